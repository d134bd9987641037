// Gamma and beta function ratios for the discrete value models (see beta_ratios.hpp).
#include "value/beta_ratios.hpp"

#include <rapport/error.hpp>

#include <boost/math/special_functions/digamma.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rapport::detail {

namespace {

/// log1p(v) / v, 1 at v = 0.
double log1p_quotient(double v) { return v == 0 ? 1.0 : std::log1p(v) / v; }

/// lgamma_difference_quotient for u >= 10 and u + e >= 10: Stirling's series
/// lgamma(w) = (w - 1/2) log w - w + log(2π)/2 + Σ_j c_j w^(1-2j) differenced exactly:
/// (u - 1/2) log1p(e/u) / e + log(u + e) - 1 + Σ_j c_j ((u+e)^-m - u^-m) / e, where with p = 1/u and
/// q = 1/(u+e), (q^m - p^m) / e = -p q S_m, S_m = Σ_{i<m} q^i p^(m-1-i). Eight terms (through
/// B_16): the first left out, 43867/(244188 u^17), is below 1e-17 at u = 10.
double stirling_quotient(double u, double e) {
  static constexpr double c[] = {1.0 / 12,   -1.0 / 360,      1.0 / 1260, -1.0 / 1680,
                                 1.0 / 1188, -691.0 / 360360, 1.0 / 156,  -3617.0 / 122400};
  const double p = 1 / u;
  const double q = 1 / (u + e);
  double s_m = 1;  // S_1
  double q_m = q;  // q^m
  double series = 0;
  for (const double c_j : c) {
    series -= c_j * p * q * s_m;
    s_m = p * p * s_m + q_m * (p + q);  // S_(m+2)
    q_m *= q * q;
  }
  return (1 - 0.5 * p) * log1p_quotient(e * p) + std::log(u + e) - 1 + series;
}

}  // namespace

double lgamma_difference_quotient(double u, double e) {
  const double lo = std::min(u, u + e);
  if (lo >= 10) return stirling_quotient(u, e);
  // lgamma(u+e) - lgamma(u) = [lgamma(u+M+e) - lgamma(u+M)] - Σ_{j<M} log1p(e / (u+j)).
  const int shift = static_cast<int>(std::ceil(10 - lo));
  double sum = 0;
  for (int j = 0; j < shift; ++j) sum += log1p_quotient(e / (u + j)) / (u + j);
  return stirling_quotient(u + shift, e) - sum;
}

double log_rising(double z, double k) {
  if (k == 0) return 0;
  // Few whole steps (the usual counts of periods): the product itself, 16 factors below 1e15
  // each staying far inside the double range, rounded at most 16 times.
  if (k <= 16 && k == std::floor(k) && z <= 1e15) {
    double product = z;
    for (double j = 1; j < k; ++j) product *= z + j;
    return std::log(product);
  }
  return k * lgamma_difference_quotient(z, k);
}

double digamma_difference(double z, double k) {
  if (k == std::floor(k) && k <= 4096) {
    double sum = 0;
    for (double j = 0; j < k; ++j) sum += 1 / (z + j);
    return sum;
  }
  return boost::math::digamma(z + k) - boost::math::digamma(z);
}

double log_beta_ratio(double a, double b, double x, double y) {
  return log_rising(a, x) + log_rising(b, y) - log_rising(a + b, x + y);
}

double survival_sum(double z, double a, double n, double rate) {
  n = std::floor(n);
  if (!(n >= 1)) return 0;
  constexpr double kTail = 1e-17;
  double term = 1;
  double sum = 0;
  if (rate == 0) {
    // Term by term while the terms fall fast enough; the rest after term k is exactly
    // term_k (z+k)/(a-1) when a > 1.
    constexpr double kDirect = 4096;
    for (double k = 1; k <= n && k <= kDirect; ++k) {
      term *= (z + k - 1) / (z + a + k - 1);
      sum += term;
      if (k == n || (a > 1 && term * (z + k) / (a - 1) <= kTail * sum)) return sum;
    }
    if (std::isinf(n)) return a > 1 ? z / (a - 1) : std::numeric_limits<double>::infinity();
    // Telescoping: Σ_{k=1..n} (z)_k/(z+a)_k = z/(a-1) (1 - exp(L)) with
    // L = log[(z+1)_n / (z+a)_n] = -(a-1) h, h = dq(z+1+n, a-1) - dq(z+1, a-1) > 0, so the sum is
    // z h (1 - exp(-(a-1) h)) / ((a-1) h), finite and exact at a = 1.
    const double e = a - 1;
    const double h = lgamma_difference_quotient(z + 1 + n, e) - lgamma_difference_quotient(z + 1, e);
    const double eh = e * h;
    return eh == 0 ? z * h : z * h * (-std::expm1(-eh) / eh);
  }
  // Discounted: the rest after term k is below term_k q/(1-q), and below term_k (z+k)/(a-1).
  const double q = std::exp(-rate);
  const double geometric_rest = q / -std::expm1(-rate);
  constexpr double kMaxTerms = 16777216;  // 2^24
  for (double k = 1; k <= n; ++k) {
    term *= q * (z + k - 1) / (z + a + k - 1);
    sum += term;
    double rest = term * geometric_rest;
    if (a > 1) rest = std::min(rest, term * (z + k) / (a - 1));
    if (rest <= kTail * sum) break;
    if (k >= kMaxTerms)
      throw InputError("discounted expectation: a discount rate of " + std::to_string(rate) +
                       " per period over more than 2^24 periods does not converge in 2^24 terms");
  }
  return sum;
}

}  // namespace rapport::detail
