// BG/BB (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a Discrete-Time Noncontractual
// Setting", Marketing Science 29(6)): at each of n discrete opportunities an alive customer buys
// with probability p ~ Beta(α, β), and before each opportunity dies with probability
// θ ~ Beta(γ, δ). A customer's history is (x, t_x, n): x opportunities with a purchase among the
// n observed, the last at opportunity t_x (0 when x = 0). Parameters in param_names() order:
// α, β, γ, δ.
//
// Every beta-function ratio is a ratio of rising factorials, B(a+x, b+y)/B(a, b) =
// (a)_x (b)_y / (a+b)_(x+y), taken in log space by log_beta_ratio (beta_ratios.hpp), so nothing
// cancels even where the fit runs off to α, β, γ, δ -> ∞ (no heterogeneity).
#include "value/beta_ratios.hpp"
#include "value/model_kernels.hpp"
#include "value/whole_patterns.hpp"

#include <rapport/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace rapport::detail {

namespace {

struct Params {
  double alpha, beta, gamma, delta;
  explicit Params(std::span<const double> p) : alpha(p[0]), beta(p[1]), gamma(p[2]), delta(p[3]) {}
};

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

[[noreturn]] void bad_row(std::size_t row, const char* column, double value, const std::string& why) {
  throw InputError("bgbb: row " + std::to_string(row) + ": column " + column + ": " + number(value) + " " + why);
}

bool whole(double v) { return std::isfinite(v) && v >= 0 && v == std::floor(v); }

std::size_t validate(const ModelData& data) {
  const std::size_t rows = data.x.size();
  if (data.t_x.size() != rows || data.n.size() != rows)
    throw InputError("bgbb: x, t_x and n differ in length (" + std::to_string(rows) + ", " +
                     std::to_string(data.t_x.size()) + ", " + std::to_string(data.n.size()) + ")");
  for (std::size_t i = 0; i < rows; ++i) {
    const double x = data.x[i], t_x = data.t_x[i], n = data.n[i];
    if (!whole(x)) bad_row(i, "x", x, "is not a whole number >= 0");
    if (!whole(t_x)) bad_row(i, "t_x", t_x, "is not a whole number >= 0");
    if (!whole(n)) bad_row(i, "n", n, "is not a whole number >= 0");
    if (x > n) bad_row(i, "x", x, "exceeds n = " + number(n));
    if (t_x > n) bad_row(i, "t_x", t_x, "exceeds n = " + number(n));
    if (t_x < x) bad_row(i, "t_x", t_x, "is below x = " + number(x));
    if (x == 0 && t_x != 0) bad_row(i, "t_x", t_x, "with x = 0 (t_x is 0 when there is no purchase)");
  }
  validate_weights(data, rows, "bgbb");
  return rows;
}

/// log of the "alive throughout" part of the likelihood, B(α+x, β+n-x)/B(α,β) · B(γ, δ+n)/B(γ,δ).
double log_alive_part(const Params& p, double x, double n) {
  return log_beta_ratio(p.alpha, p.beta, x, n - x) + log_rising(p.delta, n) - log_rising(p.gamma + p.delta, n);
}

using Grad = std::array<double, 4>;  // ∂/∂(α, β, γ, δ)

/// ∂ log_alive_part / ∂(α, β, γ, δ).
Grad alive_part_gradient(const Params& p, double x, double n) {
  const double ab = digamma_difference(p.alpha + p.beta, n), gd = digamma_difference(p.gamma + p.delta, n);
  return {digamma_difference(p.alpha, x) - ab, digamma_difference(p.beta, n - x) - ab, -gd,
          digamma_difference(p.delta, n) - gd};
}

/// log L(α, β, γ, δ | x, t_x, n) (FHS 2010, eq. 5):
///   B(α+x, β+n-x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///   + Σ_{i=0}^{n-t_x-1} B(α+x, β+t_x-x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)
/// with B(γ+1, δ+m)/B(γ,δ) = γ (δ)_m / (γ+δ)_(m+1). The sum's terms fall (each ratio < 1), so it is
/// summed relative to its first term, stopping once the terms left cannot reach 1e-17 of it. With
/// `grad`, also ∂ log L / ∂(α, β, γ, δ): each term's log-derivative follows the same recurrence.
double log_likelihood(const Params& p, double x, double t_x, double n, double log_alive, Grad* grad) {
  if (grad) *grad = alive_part_gradient(p, x, n);
  if (n == t_x) return log_alive;
  const double log_first = log_beta_ratio(p.alpha, p.beta, x, t_x - x) + std::log(p.gamma) + log_rising(p.delta, t_x) -
                           log_rising(p.gamma + p.delta, t_x + 1);
  Grad d_term{}, d_sum{};
  if (grad) {
    const double ab = digamma_difference(p.alpha + p.beta, t_x), gd = digamma_difference(p.gamma + p.delta, t_x + 1);
    d_term = {digamma_difference(p.alpha, x) - ab, digamma_difference(p.beta, t_x - x) - ab, 1 / p.gamma - gd,
              digamma_difference(p.delta, t_x) - gd};
    d_sum = d_term;
  }
  const double count = n - t_x;
  double term = 1, sum = 1;
  for (double i = 0; i + 1 < count; ++i) {
    const double b_i = p.beta + t_x - x + i, ab_i = p.alpha + p.beta + t_x + i;
    const double d_i = p.delta + t_x + i, gd_i = p.gamma + p.delta + t_x + i + 1;
    term *= b_i / ab_i * d_i / gd_i;
    sum += term;
    if (grad) {
      d_term[0] -= 1 / ab_i;
      d_term[1] += 1 / b_i - 1 / ab_i;
      d_term[2] -= 1 / gd_i;
      d_term[3] += 1 / d_i - 1 / gd_i;
      for (std::size_t j = 0; j < 4; ++j) d_sum[j] += term * d_term[j];
    }
    if (term * (count - i - 2) <= 1e-17 * sum) break;
  }
  const double log_dead = log_first + std::log(sum);
  const double hi = std::max(log_alive, log_dead);
  const double ll = hi + std::log1p(std::exp(std::min(log_alive, log_dead) - hi));
  if (grad) {
    const double w_alive = std::exp(log_alive - ll), w_dead = std::exp(log_first - ll);
    for (std::size_t j = 0; j < 4; ++j) (*grad)[j] = w_alive * (*grad)[j] + w_dead * d_sum[j];
  }
  return ll;
}

double row_log_likelihood(std::span<const double> theta_natural, const ModelData& data, std::size_t row) {
  const Params p(theta_natural);
  const double x = data.x[row], t_x = data.t_x[row], n = data.n[row];
  return log_likelihood(p, x, t_x, n, log_alive_part(p, x, n), nullptr);
}

/// The fit's fast path: identical (x, t_x, n) merged, the likelihood and its analytic gradient in
/// log-parameters summed over the distinct histories.
double total_log_likelihood(std::span<const double> theta, const ModelData& data, std::span<double> grad) {
  const std::array<double, 4> natural = {std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]),
                                         std::exp(theta[3])};
  const Params p(natural);
  const auto patterns = whole_patterns(data, data.x.size(), [&](std::size_t i) {
    return std::array<double, 3>{data.x[i], data.t_x[i], data.n[i]};
  });
  double total = 0;
  Grad sum{}, g{};
  for (const WholePattern& c : patterns) {
    const double x = c.v[0], t_x = c.v[1], n = c.v[2];
    total += c.weight * log_likelihood(p, x, t_x, n, log_alive_part(p, x, n), grad.empty() ? nullptr : &g);
    if (!grad.empty())
      for (std::size_t j = 0; j < 4; ++j) sum[j] += c.weight * g[j];
  }
  if (!grad.empty())
    for (std::size_t j = 0; j < 4; ++j) grad[j] = sum[j] * natural[j];
  return total;
}

std::vector<std::vector<double>> starts(const ModelData&) {
  return {{0, 0, 0, 0}, {std::log(0.5), std::log(0.5), std::log(0.5), std::log(2.0)}};
}

/// P(alive at opportunity n+1 | x, t_x, n) = B(α+x, β+n-x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L.
double p_alive(std::span<const double> params, const ModelData& data, std::size_t row) {
  const Params p(params);
  const double x = data.x[row], t_x = data.t_x[row], n = data.n[row];
  const double log_alive = log_alive_part(p, x, n);
  const double ll = log_likelihood(p, x, t_x, n, log_alive, nullptr);
  return std::exp(log_alive - ll) * ((p.delta + n) / (p.gamma + p.delta + n));
}

/// Σ_{k=1}^{t} e^(-rate k) P(purchase at opportunity n+k | x, t_x, n) (FHS 2010, eq. 13 when
/// rate = 0): (1/L) B(α+x+1, β+n-x)/B(α,β) Σ_k e^(-rate k) B(γ, δ+n+k)/B(γ,δ), i.e.
/// P(alive at n | history) · E[p | history, alive] · Σ_k e^(-rate k) (δ+n)_k / (γ+δ+n)_k.
double discounted_expected(std::span<const double> params, double t, double rate, const ModelData& data,
                           std::size_t row) {
  const Params p(params);
  const double x = data.x[row], t_x = data.t_x[row], n = data.n[row];
  const double log_alive = log_alive_part(p, x, n);
  const double ll = log_likelihood(p, x, t_x, n, log_alive, nullptr);
  const double future = survival_sum(p.delta + n, p.gamma, t, rate);
  if (future == 0) return 0;
  return std::exp(log_alive - ll) * ((p.alpha + x) / (p.alpha + p.beta + n)) * future;
}

double expected(std::span<const double> params, double t, const ModelData& data, std::size_t row) {
  return discounted_expected(params, t, 0, data, row);
}

/// E[X(n)] = α/(α+β) Σ_{k=1}^{n} (δ)_k / (γ+δ)_k, equal to FHS 2010 eq. 7,
/// α/(α+β) · δ/(γ-1) · [1 - Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))], and finite at γ = 1.
double expected_new(std::span<const double> params, double t) {
  const Params p(params);
  return p.alpha / (p.alpha + p.beta) * survival_sum(p.delta, p.gamma, t);
}

/// log C(n, k) = log (n-k+1)_k - log k!.
double log_choose(double n, double k) { return log_rising(n - k + 1, k) - log_rising(1, k); }

/// P(X(n) = k) (FHS 2010, eq. 8):
///   C(n,k) B(α+k, β+n-k)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///   + Σ_{i=k}^{n-1} C(i,k) B(α+k, β+i-k)/B(α,β) · B(γ+1, δ+i)/B(γ,δ)
/// (the customer alive through n, or dying after opportunity i with k purchases among the first i).
double pmf_new(std::span<const double> params, double t, unsigned k_count) {
  const Params p(params);
  if (!std::isfinite(t))
    throw InputError("bgbb: the purchase-count distribution needs a finite number of opportunities");
  const double n = std::max(0.0, std::floor(t));
  const double k = k_count;
  if (k > n) return 0;
  const double log_gamma_param = std::log(p.gamma);
  double hi = log_choose(n, k) + log_alive_part(p, k, n);
  double scaled = 1;  // Σ exp(term - hi)
  for (double i = k; i < n; ++i) {
    const double log_term = log_choose(i, k) + log_beta_ratio(p.alpha, p.beta, k, i - k) + log_gamma_param +
                            log_rising(p.delta, i) - log_rising(p.gamma + p.delta, i + 1);
    if (log_term > hi) {
      scaled = scaled * std::exp(hi - log_term) + 1;
      hi = log_term;
    } else {
      scaled += std::exp(log_term - hi);
    }
  }
  return std::exp(hi + std::log(scaled));
}

}  // namespace

const ModelKernel& bgbb_kernel() {
  static const ModelKernel kernel{
      .name = ValueModelName::bgbb,
      .validate = validate,
      .row_log_likelihood = row_log_likelihood,
      .total_log_likelihood = total_log_likelihood,
      .starts = starts,
      .fit = nullptr,
      .p_alive = p_alive,
      .expected = expected,
      .discounted_expected = discounted_expected,
      .expected_new = expected_new,
      .pmf_new = pmf_new,
      .row_used = nullptr,
      .survival = nullptr,
  };
  return kernel;
}

}  // namespace rapport::detail
