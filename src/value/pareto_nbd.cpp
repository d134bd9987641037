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
#include "value/jet.hpp"
#include "value/log_gamma.hpp"
#include "value/model_kernels.hpp"
#include "value/row_sums.hpp"

#include <boost/math/quadrature/gauss.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace rapport::detail {
namespace {

constexpr double kSeriesLimit = 0.95;  // largest 2F1 argument summed as a series

/// log Σ_n (c)_n/(a+1)_n z^n, c = a+1−b (> 0), with its partial derivatives in (a, b, z) up to
/// `Order` (d: a, b, z; dd: aa, ab, az, bb, bz, zz). Term n is t_n = ρ_n z^n with
/// ρ_n = Π_{k<n} (c+k)/(a+1+k), so ∂_a log t_n = Σ_{k<n} 1/(c+k) − 1/(a+1+k), ∂_b log t_n =
/// −Σ_{k<n} 1/(c+k) and ∂_z t_n = n ρ_n z^(n−1): the derivatives are differentiated term by
/// term, all z-terms positive, summed until each sum has converged. The value is summed exactly
/// as at Order 0.
template <int Order>
struct EulerSeries {
  double v = 0;
  std::array<double, 3> d{};
  std::array<double, 6> dd{};
};

template <int Order>
EulerSeries<Order> log_euler_series(double a, double b, double z) {
  const double c = a + 1 - b;
  double term = 1, sum = 1;
  // Order >= 1: Σ t_n ∂log t_n (a, b) and Σ n ρ_n z^(n−1); Order 2: the second-order sums.
  double A = 0, B = 0, Aa = 0, Ab = 0, Bb = 0;  // ∂ and ∂² of log t_n in (a, b)
  double rz1 = 0, rz2 = 0;                      // ρ_n z^(n−1), ρ_n z^(n−2)
  double sa = 0, sb = 0, sz = 0;                // Σ t ∂log t, Σ n ρ z^(n−1)
  double saa = 0, sab = 0, sbb = 0, saz = 0, sbz = 0, szz = 0;
  for (int n = 0; n < 100000; ++n) {
    const double dn = n;
    // One division per term: q = 1/((c+n)(a+1+n)) gives the ratio and both reciprocals.
    const double cn = c + dn, an = a + 1 + dn;
    const double q = 1 / (cn * an);
    const double ratio = cn * cn * q;
    term *= ratio * z;
    sum += term;
    if constexpr (Order >= 1) {
      const double ic = an * q, ia = cn * q;
      const double m = dn + 1;  // the index of the term just added
      A += ic - ia;
      B -= ic;
      rz2 = n == 0 ? 0.0 : rz1 * ratio;
      rz1 = n == 0 ? ratio : rz2 * z;
      sa += term * A;
      sb += term * B;
      sz += m * rz1;
      if constexpr (Order >= 2) {
        Aa += ia * ia - ic * ic;
        Ab += ic * ic;
        Bb -= ic * ic;
        saa += term * (A * A + Aa);
        sab += term * (A * B + Ab);
        sbb += term * (B * B + Bb);
        saz += m * rz1 * A;
        sbz += m * rz1 * B;
        szz += m * (m - 1) * rz2;
      }
      const bool first = m * rz1 <= 1e-17 * sz;
      const bool second = Order < 2 || (n >= 2 && m * (m - 1) * rz2 <= 1e-17 * szz);
      if (term <= 1e-17 * sum && first && second) break;
    } else {
      if (term <= 1e-17 * sum) break;
    }
  }
  EulerSeries<Order> out;
  out.v = std::log(sum);
  if constexpr (Order >= 1) {
    const double la = sa / sum, lb = sb / sum, lz = sz / sum;
    out.d = {la, lb, lz};
    if constexpr (Order >= 2) {
      out.dd = {saa / sum - la * la, sab / sum - la * lb, saz / sum - la * lz,
                sbb / sum - lb * lb, sbz / sum - lb * lz, szz / sum - lz * lz};
    }
  }
  return out;
}

/// log 2F1(a, b; a+1; z) for 0 < b < a+1 and 0 <= z <= kSeriesLimit, after Euler's transformation
/// 2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z): a series of positive terms, each at most
/// z times the one before (the untransformed series first grows for large b, i.e. heavy buyers).
double log_hyp2f1_a_plus_1(double a, double b, double z) {
  return (1 - b) * std::log1p(-z) + log_euler_series<0>(a, b, z).v;
}

/// The same with its derivatives, differentiated term by term (log_euler_series).
template <int N, bool H>
Jet<N, H> log_hyp2f1_a_plus_1(const Jet<N, H>& a, const Jet<N, H>& b, const Jet<N, H>& z) {
  const EulerSeries<H ? 2 : 1> s = log_euler_series < H ? 2 : 1 > (a.v, b.v, z.v);
  return (1 - b) * log1p(-z) + Jet<N, H>::compose3(s.v, s.d, s.dd, a, b, z);
}

/// log ∫_{lo}^{hi} e^{f(v)} dv for a smooth f: composite 20-point Gauss-Legendre on e^{f - M}, M
/// the largest of f over the nodes, so nothing overflows or underflows. Fixed nodes (one panel
/// for short intervals, 16 otherwise), so the value is a smooth function of the parameters and
/// its derivatives (f a Jet) are the quadrature of the integrand's derivatives.
template <class F>
auto log_integral(F&& f, double lo, double hi) -> decltype(f(lo)) {
  using Num = decltype(f(lo));
  using std::exp;
  using std::log;
  using Gauss = boost::math::quadrature::gauss<double, 20>;
  const int panels = hi - lo < 0.25 ? 1 : 16;
  const double width = (hi - lo) / panels;
  std::array<Num, 20 * 16> values{};
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
        m = std::max(m, value_of(values[count]));
        ++count;
      }
    }
  }
  if (!std::isfinite(m)) return Num(m);
  Num sum(0.0);
  for (std::size_t i = 0; i < count; ++i) sum += weights[i] * exp(values[i] - m);
  return m + log(sum);
}

/// One parameter point (doubles, or Jets in the log-parameters) with the terms every row shares.
template <class Num>
struct Point {
  Num r, alpha, s, beta;
  Num log_alpha, log_beta;
  const Num* l_zero = nullptr;  ///< log_term(p, 0, 0, ·) when known: every x = 0 row shares it
};

template <class Num>
Point<Num> point(const Num& r, const Num& alpha, const Num& s, const Num& beta) {
  using std::log;
  return {r, alpha, s, beta, log(alpha), log(beta)};
}

/// log of the note's hypergeometric term for a customer with x purchases at the time t where
/// log(big + t) = `log_big_t`: log 2F1(a1, b1; a1+1; z) − a1 log(big + t), a1 = r+s+x,
/// z = |α−β| / (big + t) (at most kSeriesLimit), big = max(α, β), b1 = s+1 (α >= β) or r+x (α < β).
template <class Num>
Num log_term_given_log(const Point<Num>& p, double x, const Num& z, const Num& log_big_t) {
  const bool alpha_ge = value_of(p.alpha) >= value_of(p.beta);
  const Num a1 = p.r + p.s + x;
  const Num b1 = alpha_ge ? p.s + 1.0 : p.r + x;
  return log_hyp2f1_a_plus_1(a1, b1, z) - a1 * log_big_t;
}

/// The same at time t.
template <class Num>
Num log_term(const Point<Num>& p, double x, double t, const Num& z) {
  using std::log;
  const bool alpha_ge = value_of(p.alpha) >= value_of(p.beta);
  return log_term_given_log(p, x, z, log((alpha_ge ? p.alpha : p.beta) + t));
}

/// log R for one customer (see the file comment); −inf when t_x = T (R = 0).
template <class Num>
Num log_r(const Point<Num>& p, double x, double t_x, double T) {
  using std::expm1;
  using std::log;
  using std::log1p;
  const Num &r = p.r, &alpha = p.alpha, &s = p.s, &beta = p.beta;
  if (!(t_x < T)) return Num(-std::numeric_limits<double>::infinity());
  const Num a1 = r + s + x;
  const bool alpha_ge = value_of(alpha) >= value_of(beta);
  const Num& big = alpha_ge ? alpha : beta;  // the offset in the series' denominator
  const Num diff = alpha_ge ? alpha - beta : beta - alpha;
  const Num z_tx = diff / (big + t_x);
  const Num lat = log(alpha + T), lbt = log(beta + T);
  const Num scale = (r + x) * lat + s * lbt;
  if (value_of(z_tx) <= kSeriesLimit) {
    const Num l_tx = x == 0 && t_x == 0 && p.l_zero ? *p.l_zero : log_term(p, x, t_x, z_tx);
    const Num l_T = log_term_given_log(p, x, diff / (big + T), alpha_ge ? lat : lbt);
    const Num d = l_T - l_tx;  // < 0: the integrand is positive
    if (value_of(d) < -1e-4 * std::max(1.0, std::abs(value_of(l_tx)))) {
      return log(s / a1) + l_tx + scale + log(-expm1(d));
    }
  }
  // The integral, in v = log(c + τ) with c = min(α, β) (a fixed change of variable: the
  // derivatives are those of the integrand): R = s ∫ exp(ψ(v)) dv.
  const double c = std::min(value_of(alpha), value_of(beta));
  const auto psi = [&](double v) {
    const double tau = std::max(0.0, std::exp(v) - c);
    const Num lb = log(beta + tau);
    return (r + x) * (lat - log(alpha + tau)) + s * (lbt - lb) - lb + v;
  };
  return log(s) + log_integral(psi, std::log(c + t_x), std::log(c + T));
}

/// One row's log-likelihood, log Γ(r+x) − log Γ(r) given as `lg_rx_minus_lg_r`.
template <class Num>
Num row_ll(const Point<Num>& p, const Num& lg_rx_minus_lg_r, double x, double t_x, double T) {
  using std::log;
  const Num head =
      lg_rx_minus_lg_r + p.r * p.log_alpha + p.s * p.log_beta - (p.r + x) * log(p.alpha + T) - p.s * log(p.beta + T);
  return head + softplus(log_r(p, x, t_x, T));
}

std::size_t validate(const ModelData& data) { return validate_recency_data(data, "pareto_nbd"); }

Point<double> point_of(std::span<const double> p) { return point(p[0], p[1], p[2], p[3]); }

double row_log_likelihood(std::span<const double> p, const ModelData& data, std::size_t row) {
  const double x = data.x[row];
  const double lg = rapport::detail::log_gamma(p[0] + x) - rapport::detail::log_gamma(p[0]);
  return row_ll(point_of(p), lg, x, data.t_x[row], data.T[row]);
}

/// Σ weight · row LL at log-parameters `theta`: the rows' double code, or (Jets) with the gradient
/// and Hessian in theta from the same expressions; log Γ(r+x) and its derivatives tabulated.
double total_log_likelihood_hessian(std::span<const double> theta, const ModelData& data, std::span<double> grad,
                                    std::span<double> hess) {
  const std::size_t rows = data.x.size();
  return total_by_order<4>(grad, hess, [&](auto order) {
    if constexpr (decltype(order)::value == 0) {
      const std::array<double, 4> p{std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]), std::exp(theta[3])};
      return sum_rows<double>(data, rows, [&](std::size_t i) { return row_log_likelihood(p, data, i); });
    } else {
      constexpr bool H = decltype(order)::value == 2;
      using J = Jet<4, H>;
      Point<J> p = point(J::exp_of_variable(theta[0], 0), J::exp_of_variable(theta[1], 1),
                         J::exp_of_variable(theta[2], 2), J::exp_of_variable(theta[3], 3));
      // The x = 0 rows' term at t_x = 0 (most of a base), once per pass: the same expression.
      const bool alpha_ge = value_of(p.alpha) >= value_of(p.beta);
      const J z_zero = (alpha_ge ? p.alpha - p.beta : p.beta - p.alpha) / (alpha_ge ? p.alpha : p.beta);
      const J l_zero = value_of(z_zero) <= kSeriesLimit ? log_term(p, 0.0, 0.0, z_zero) : J(0.0);
      p.l_zero = &l_zero;
      const ShiftedLogGamma<4, H> lg_shift(p.r, gamma_table_size(data));
      const J lg_r = lg_shift(0.0);
      return sum_rows<J>(data, rows, [&](std::size_t i) {
        const double x = data.x[i];
        return row_ll(p, lg_shift(x) - lg_r, x, data.t_x[i], data.T[i]);
      });
    }
  });
}

double total_log_likelihood(std::span<const double> theta, const ModelData& data, std::span<double> grad) {
  return total_log_likelihood_hessian(theta, data, grad, {});
}

std::vector<std::vector<double>> starts(const ModelData& data) {
  const double mean_T = weighted_mean_T(data);
  std::vector<std::vector<double>> out;
  for (const auto& st :
       {std::vector<double>{1.0, mean_T, 1.0, mean_T}, std::vector<double>{0.5, 0.25 * mean_T, 0.5, 0.25 * mean_T},
        std::vector<double>{2.0, 4.0 * mean_T, 2.0, 4.0 * mean_T}}) {
    out.push_back({std::log(st[0]), std::log(st[1]), std::log(st[2]), std::log(st[3])});
  }
  return out;
}

double p_alive(std::span<const double> p, const ModelData& data, std::size_t row) {
  const Point<double> pt{p[0], p[1], p[2], p[3], 0.0, 0.0};  // log_r needs no log α, log β
  return std::exp(-softplus(log_r(pt, data.x[row], data.t_x[row], data.T[row])));
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
  static const ModelKernel k{.name = ValueModelName::pareto_nbd,
                             .validate = validate,
                             .row_log_likelihood = row_log_likelihood,
                             .total_log_likelihood = total_log_likelihood,
                             .starts = starts,
                             .fit = nullptr,
                             .p_alive = p_alive,
                             .expected = expected,
                             .discounted_expected = nullptr,
                             .expected_new = expected_new,
                             .pmf_new = pmf_new,
                             .total_log_likelihood_hessian = total_log_likelihood_hessian};
  return k;
}

}  // namespace rapport::detail
