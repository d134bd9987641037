// sBG, the shifted-beta-geometric model (Fader & Hardie 2007, "How to Project Customer
// Retention", Journal of Interactive Marketing 21(1)): a customer with churn probability
// θ ~ Beta(α, β) renews at the end of each contract period with probability 1 - θ, so the period T
// in which the contract ends has P(T = t) = B(α+1, β+t-1)/B(α,β), t = 1, 2, …, and the survival
// function is S(t) = P(T > t) = B(α, β+t)/B(α,β) = (β)_t / (α+β)_t. A customer's history is
// (periods, ended): the whole periods completed (before the contract ended, or so far) and whether
// it ended. Parameters in param_names() order: α, β.
//
// Renewals: a customer who completed t periods and is still active renews at the end of period
// t + k with probability S(t+k)/S(t) = (β+t)_k / (α+β+t)_k. Discounting (the discounted expected
// residual lifetime of Fader & Hardie 2010, "Customer-Base Valuation in a Contractual Setting:
// The Perils of Ignoring Heterogeneity", Marketing Science 29(1)): the renewal at the end of
// period t + k weighs e^(-rate k), rate per period, so the payment made at the start (k = 0) is
// not counted; DERL's 2F1(1, β+t; α+β+t; e^(-rate)) equals 1 + this sum over an unbounded horizon.
#include "value/beta_ratios.hpp"
#include "value/model_kernels.hpp"
#include "value/whole_patterns.hpp"

#include <rapport/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace rapport::detail {

namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::size_t validate(const ModelData& data) {
  const std::size_t rows = data.periods.size();
  if (data.ended.size() != rows)
    throw InputError("sbg: periods and ended differ in length (" + std::to_string(rows) + ", " +
                     std::to_string(data.ended.size()) + ")");
  for (std::size_t i = 0; i < rows; ++i) {
    const double t = data.periods[i];
    if (!(std::isfinite(t) && t >= 0 && t == std::floor(t)))
      throw InputError("sbg: row " + std::to_string(i) + ": column periods: " + number(t) +
                       " is not a whole number >= 0");
    if (data.ended[i] > 1)
      throw InputError("sbg: row " + std::to_string(i) + ": column ended: " + std::to_string(data.ended[i]) +
                       " is neither 0 (active) nor 1 (ended)");
  }
  validate_weights(data, rows, "sbg");
  return rows;
}

/// log P(T = t + 1) = log[α (β)_t / (α+β)_(t+1)] for a contract that ended after t whole periods,
/// log S(t) = log[(β)_t / (α+β)_t] for one still running after t; with `grad`, also
/// ∂/∂(α, β).
double log_likelihood(double alpha, double beta, double t, bool ended, std::array<double, 2>* grad) {
  const double end = ended ? 1 : 0;
  if (grad) {
    const double ab = digamma_difference(alpha + beta, t + end);
    *grad = {(ended ? 1 / alpha : 0.0) - ab, digamma_difference(beta, t) - ab};
  }
  return (ended ? std::log(alpha) : 0.0) + log_rising(beta, t) - log_rising(alpha + beta, t + end);
}

double row_log_likelihood(std::span<const double> p, const ModelData& data, std::size_t row) {
  return log_likelihood(p[0], p[1], data.periods[row], data.ended[row] != 0, nullptr);
}

/// The fit's fast path: identical (periods, ended) merged, the likelihood and its analytic
/// gradient in log-parameters summed over the distinct histories.
double total_log_likelihood(std::span<const double> theta, const ModelData& data, std::span<double> grad) {
  const double alpha = std::exp(theta[0]), beta = std::exp(theta[1]);
  const auto patterns = whole_patterns(data, data.periods.size(), [&](std::size_t i) {
    return std::array<double, 3>{data.periods[i], data.ended[i] != 0 ? 1.0 : 0.0, 0.0};
  });
  double total = 0;
  std::array<double, 2> sum{}, g{};
  for (const WholePattern& c : patterns) {
    total += c.weight * log_likelihood(alpha, beta, c.v[0], c.v[1] != 0, grad.empty() ? nullptr : &g);
    sum[0] += c.weight * g[0];
    sum[1] += c.weight * g[1];
  }
  if (!grad.empty()) {
    grad[0] = sum[0] * alpha;
    grad[1] = sum[1] * beta;
  }
  return total;
}

std::vector<std::vector<double>> starts(const ModelData&) { return {{0, 0}, {std::log(0.5), std::log(2.0)}}; }

double p_alive(std::span<const double>, const ModelData& data, std::size_t row) {
  return data.ended[row] != 0 ? 0.0 : 1.0;
}

/// Σ_{k=1}^{t} e^(-rate k) S(periods + k) / S(periods); 0 once the contract ended.
double discounted_expected(std::span<const double> p, double t, double rate, const ModelData& data, std::size_t row) {
  if (data.ended[row] != 0) return 0;
  return survival_sum(p[1] + data.periods[row], p[0], t, rate);
}

double expected(std::span<const double> p, double t, const ModelData& data, std::size_t row) {
  return discounted_expected(p, t, 0, data, row);
}

/// A new customer's expected renewals in the first t periods, Σ_{k=1}^{t} S(k).
double expected_new(std::span<const double> p, double t) { return survival_sum(p[1], p[0], t); }

/// S(t) = P(T > t) = (β)_⌊t⌋ / (α+β)_⌊t⌋: the share of a cohort still a customer after ⌊t⌋ whole
/// periods (1 for t < 1, 0 for t = +inf).
double survival(std::span<const double> p, double t) {
  const double n = std::floor(std::max(0.0, t));
  if (std::isinf(n)) return 0;
  return std::exp(log_rising(p[1], n) - log_rising(p[0] + p[1], n));
}

/// A new customer's renewals in the first t periods are min(T - 1, t): P(k) = P(T = k + 1) for
/// k < t, S(t) for k = t, 0 beyond.
double pmf_new(std::span<const double> p, double t, unsigned k_count) {
  const double alpha = p[0], beta = p[1];
  const double n = std::floor(std::max(0.0, t));
  const double k = k_count;
  if (k > n) return 0;
  if (k == n) return survival(p, n);
  return std::exp(std::log(alpha) + log_rising(beta, k) - log_rising(alpha + beta, k + 1));
}

}  // namespace

const ModelKernel& sbg_kernel() {
  static const ModelKernel kernel{
      .name = ValueModelName::sbg,
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
      .survival = survival,
  };
  return kernel;
}

}  // namespace rapport::detail
