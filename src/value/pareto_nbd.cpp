/// @file pareto_nbd.cpp
/// Pareto/NBD (Schmittlein, Morrison & Colombo 1987) behind the generic layer, in the forms of
/// Fader & Hardie, "A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005).
///
/// Everything is built on R = s (α+T)^(r+x) (β+T)^s ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ >= 0:
/// the likelihood is Γ(r+x) α^r β^s / Γ(r) · (α+T)^-(r+x) (β+T)^-s · (1 + R) and P(alive) = 1/(1+R).
/// log R is evaluated in log space, never as a difference of two huge or tiny numbers:
/// - the integral is the difference of the note's two Gauss hypergeometric terms, with the note's
///   branch for α >= β (2F1(r+s+x, s+1; r+s+x+1; (α-β)/(α+t))) and for α < β
///   (2F1(r+s+x, r+x; r+s+x+1; (β-α)/(β+t))), both positive series with argument in [0, 1); each
///   term is kept as a logarithm and the difference taken as log(A) + log(-expm1(log B - log A));
/// - where the series' argument is above 0.95 (slow convergence: one of α, β tiny against the
///   other) or the two terms agree to 4 digits (t_x near T: the cancellation that made naive code
///   return NaN, CLVTools #100) the integral itself is summed by Gauss-Legendre quadrature in
///   log(min(α, β) + τ), scaled by its largest value: positive terms only.
/// P(X(t) = x) for a new customer (Fader & Hardie's note on the Pareto/NBD pmf) is evaluated in
/// its integral form NB(x; r, α/(α+t)) (β/(β+t))^s + s β^s ∫_0^t NB(x; r, α/(α+τ)) (β+τ)^-(s+1) dτ
/// by the same quadrature.
#include "value/model_kernels.hpp"
#include "value/newton.hpp"

#include <boost/math/quadrature/gauss.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>
#include "value/log_gamma.hpp"

namespace rapport::detail {
namespace {

constexpr double kSeriesLimit = 0.95;  // largest 2F1 argument summed as a series

/// log 2F1(a, b; a+1; z) for 0 < b < a+1 and 0 <= z <= kSeriesLimit, after Euler's transformation
/// 2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z): a series of positive terms, each at most
/// z times the one before (the untransformed series first grows for large b, i.e. heavy buyers).
double log_hyp2f1_a_plus_1(double a, double b, double z) {
  const double c = a + 1 - b;
  double term = 1, sum = 1;
  for (int n = 0; n < 100000; ++n) {
    const double dn = n;
    term *= (c + dn) / (a + 1 + dn) * z;
    sum += term;
    if (term <= 1e-17 * sum) break;
  }
  return (1 - b) * std::log1p(-z) + std::log(sum);
}

/// log(1 + e^v) without overflow.
double softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }

/// log ∫_{lo}^{hi} e^{f(v)} dv for a smooth f: composite 20-point Gauss-Legendre on e^{f - M}, M
/// the largest of f over the nodes, so nothing overflows or underflows. Fixed nodes (one panel
/// for short intervals, 16 otherwise), so the value is a smooth function of the parameters and
/// the optimiser's difference quotients see no adaptive-refinement noise.
template <class F>
double log_integral(F&& f, double lo, double hi) {
  using Gauss = boost::math::quadrature::gauss<double, 20>;
  const int panels = hi - lo < 0.25 ? 1 : 16;
  const double width = (hi - lo) / panels;
  std::array<double, 20 * 16> values{};
  std::array<double, 20 * 16> weights{};
  const auto& abscissa = Gauss::abscissa();
  const auto& weight = Gauss::weights();
  double m = -std::numeric_limits<double>::infinity();
  std::size_t count = 0;
  for (int j = 0; j < panels; ++j) {
    const double mid = lo + (j + 0.5) * width, half = 0.5 * width;
    for (std::size_t i = 0; i < abscissa.size(); ++i) {
      // abscissa holds the non-negative nodes; each but 0 stands for a symmetric pair.
      for (const double sign : {1.0, -1.0}) {
        if (abscissa[i] == 0 && sign < 0) continue;
        values[count] = f(mid + sign * half * abscissa[i]);
        weights[count] = half * weight[i];
        m = std::max(m, values[count]);
        ++count;
      }
    }
  }
  if (!std::isfinite(m)) return m;
  double sum = 0;
  for (std::size_t i = 0; i < count; ++i) sum += weights[i] * std::exp(values[i] - m);
  return m + std::log(sum);
}

/// log R for one customer (see the file comment); −inf when t_x = T (R = 0).
double log_r(std::span<const double> p, double x, double t_x, double T) {
  const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  if (!(t_x < T)) return -std::numeric_limits<double>::infinity();
  const double a1 = r + s + x;
  const bool alpha_ge = alpha >= beta;
  const double big = alpha_ge ? alpha : beta;  // the offset in the series' denominator
  const double diff = alpha_ge ? alpha - beta : beta - alpha;
  const double b1 = alpha_ge ? s + 1 : r + x;
  const double z_tx = diff / (big + t_x);
  const double scale = (r + x) * std::log(alpha + T) + s * std::log(beta + T);
  if (z_tx <= kSeriesLimit) {
    const double l_tx = log_hyp2f1_a_plus_1(a1, b1, z_tx) - a1 * std::log(big + t_x);
    const double l_T = log_hyp2f1_a_plus_1(a1, b1, diff / (big + T)) - a1 * std::log(big + T);
    const double d = l_T - l_tx;  // < 0: the integrand is positive
    if (d < -1e-4 * std::max(1.0, std::abs(l_tx))) {
      return std::log(s / a1) + l_tx + scale + std::log(-std::expm1(d));
    }
  }
  // The integral, in v = log(c + τ) with c = min(α, β): R = s ∫ exp(ψ(v)) dv.
  const double c = std::min(alpha, beta);
  const double lat = std::log(alpha + T), lbt = std::log(beta + T);
  const auto psi = [&](double v) {
    const double tau = std::max(0.0, std::exp(v) - c);
    return (r + x) * (lat - std::log(alpha + tau)) + s * (lbt - std::log(beta + tau)) - std::log(beta + tau) + v;
  };
  return std::log(s) + log_integral(psi, std::log(c + t_x), std::log(c + T));
}

std::size_t validate(const ModelData& data) { return validate_recency_data(data, "pareto_nbd"); }

double row_log_likelihood(std::span<const double> p, const ModelData& data, std::size_t row) {
  const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  const double x = data.x[row], t_x = data.t_x[row], T = data.T[row];
  const double head = rapport::detail::log_gamma(r + x) - rapport::detail::log_gamma(r) + r * std::log(alpha) +
                      s * std::log(beta) - (r + x) * std::log(alpha + T) - s * std::log(beta + T);
  return head + softplus(log_r(p, x, t_x, T));
}

std::vector<std::vector<double>> starts(const ModelData& data) {
  double mean_T = 0, total = 0;
  for (std::size_t i = 0; i < data.T.size(); ++i) {
    mean_T += row_weight(data, i) * data.T[i];
    total += row_weight(data, i);
  }
  mean_T = total > 0 ? mean_T / total : 1.0;
  if (!(mean_T > 0)) mean_T = 1.0;
  std::vector<std::vector<double>> out;
  for (const auto& st :
       {std::vector<double>{1.0, mean_T, 1.0, mean_T}, std::vector<double>{0.5, 0.25 * mean_T, 0.5, 0.25 * mean_T},
        std::vector<double>{2.0, 4.0 * mean_T, 2.0, 4.0 * mean_T}}) {
    out.push_back({std::log(st[0]), std::log(st[1]), std::log(st[2]), std::log(st[3])});
  }
  return out;
}

double p_alive(std::span<const double> p, const ModelData& data, std::size_t row) {
  return std::exp(-softplus(log_r(p, data.x[row], data.t_x[row], data.T[row])));
}

/// (1 − (b/(b+t))^u) / u = −expm1(−u log1p(t/b)) / u, and log1p(t/b) at u = 0.
double power_gap(double u, double t, double b) {
  const double l = std::log1p(t / b);
  return u == 0 ? l : -std::expm1(-u * l) / u;
}

/// E[Y(t) | x, t_x, T] = (r+x)(β+T)/((α+T)(s−1)) [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)
/// (Fader & Hardie 2005 note, eq. 22; the limit log((β+T+t)/(β+T)) at s = 1).
double expected(std::span<const double> p, double t, const ModelData& data, std::size_t row) {
  const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  const double x = data.x[row], T = data.T[row];
  if (!(t > 0)) return 0.0;
  return (r + x) * (beta + T) / (alpha + T) * power_gap(s - 1, t, beta + T) * p_alive(p, data, row);
}

/// E[X(t)] = rβ/(α(s−1)) [1 − (β/(β+t))^(s−1)] (the note's eq. 17).
double expected_new(std::span<const double> p, double t) {
  if (!(t > 0)) return 0.0;
  return p[0] * p[3] / p[1] * power_gap(p[2] - 1, t, p[3]);
}

/// log NB(k; r, α/(α+τ)) = log Γ(r+k)/(Γ(r) k!) + r log(α/(α+τ)) + k log(τ/(α+τ)).
double log_nb(double r, double alpha, double tau, unsigned k) {
  const double lk = k == 0 ? 0.0 : k * (std::log(tau) - std::log(alpha + tau));
  return log_rising_over_factorial(r, k) + r * (std::log(alpha) - std::log(alpha + tau)) + lk;
}

double pmf_new(std::span<const double> p, double t, unsigned k) {
  const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  if (!(t > 0)) return k == 0 ? 1.0 : 0.0;
  const double alive = std::exp(log_nb(r, alpha, t, k) + s * (std::log(beta) - std::log(beta + t)));
  // s β^s ∫_0^t NB(k; τ) (β+τ)^-(s+1) dτ with v = log(β+τ): the integrand is NB(k; τ) (β+τ)^-s.
  const auto f = [&](double v) {
    const double tau = std::max(0.0, std::exp(v) - beta);
    if (tau == 0 && k > 0) return -std::numeric_limits<double>::infinity();
    return log_nb(r, alpha, tau, k) + s * (std::log(beta) - v);
  };
  const double died = s * std::exp(log_integral(f, std::log(beta), std::log(beta + t)));
  return alive + died;
}

}  // namespace

const ModelKernel& pareto_nbd_kernel() {
  static const ModelKernel k{ValueModelName::pareto_nbd,
                             validate,
                             row_log_likelihood,
                             nullptr,
                             starts,
                             nullptr,
                             p_alive,
                             expected,
                             nullptr,
                             expected_new,
                             pmf_new};
  return k;
}

}  // namespace rapport::detail
