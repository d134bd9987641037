/// @file bgnbd_kernel.cpp
/// BG/NBD (Fader, Hardie & Lee 2005) behind the generic layer: the existing fast fit_bgnbd and
/// bgnbd_* functions of value.cpp, so the same parameters and predictions come out bit for bit,
/// plus a new customer's E[X(t)] and P(X(t) = k) (FHL 2005 eq. 7 and 8).
#include <rapport/value/value.hpp>

#include "value/model_kernels.hpp"
#include "value/newton.hpp"
#include "value/value_detail.hpp"

#include <boost/math/special_functions/beta.hpp>

#include <cmath>
#include <string>
#include <vector>
#include "value/log_gamma.hpp"

namespace rapport::detail {
namespace {

BgNbdParams params_of(std::span<const double> p) { return BgNbdParams{p[0], p[1], p[2], p[3], 0}; }

std::size_t validate(const ModelData& data) {
  const std::size_t rows = validate_recency_data(data, "bgnbd");
  for (std::size_t i = 0; i < rows; ++i) {
    if (data.x[i] > 0 && data.x[i] < 1) {
      throw InputError("bgnbd: row " + std::to_string(i) + ": column x: " + format_double(data.x[i]) +
                       " is between 0 and 1 (repeat purchases are counted)");
    }
  }
  return rows;
}

double row_log_likelihood(std::span<const double> p, const ModelData& data, std::size_t row) {
  return bgnbd_log_likelihood(params_of(p), data.x[row], data.t_x[row], data.T[row]);
}

std::vector<std::vector<double>> starts(const ModelData& data) {
  // fit_bgnbd's starting points (value.cpp, fit_bgnbd_rows), in log-parameters.
  const double mean_T = weighted_mean_T(data);
  std::vector<std::vector<double>> out;
  for (const auto& st : {std::vector<double>{1.0, mean_T, 1.0, 1.0}, std::vector<double>{0.25, 0.25 * mean_T, 0.5, 2.0},
                         std::vector<double>{4.0, 4.0 * mean_T, 2.0, 0.5}}) {
    std::vector<double> th(4);
    for (std::size_t k = 0; k < 4; ++k) th[k] = std::log(st[k]);
    out.push_back(th);
  }
  return out;
}

std::optional<KernelFit> fit(const ModelData& data, const FitOptions& options) {
  if (!data.weights.empty()) return std::nullopt;  // fit_bgnbd counts customers one per row
  const BgNbdParams fitted = fit_bgnbd(data.x, data.t_x, data.T, options);
  KernelFit out;
  out.params = {fitted.r, fitted.alpha, fitted.a, fitted.b};
  out.log_likelihood = fitted.log_likelihood;
  // The analytic Hessian of value.cpp's objective at the optimum.
  const BgNbdData compressed = compress_bgnbd(data.x, data.t_x, data.T);
  const Eigen::Vector4d theta(std::log(fitted.r), std::log(fitted.alpha), std::log(fitted.a), std::log(fitted.b));
  Eigen::Vector4d g;
  Eigen::Matrix4d H;
  bgnbd_objective(compressed, theta, &g, &H);
  out.hessian.resize(16);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) out.hessian[static_cast<std::size_t>(i * 4 + j)] = H(i, j);
  return out;
}

double p_alive(std::span<const double> p, const ModelData& data, std::size_t row) {
  return bgnbd_p_alive(params_of(p), data.x[row], data.t_x[row], data.T[row]);
}

double expected(std::span<const double> p, double t, const ModelData& data, std::size_t row) {
  return bgnbd_expected_purchases(params_of(p), t, data.x[row], data.t_x[row], data.T[row]);
}

double expected_new(std::span<const double> p, double t) {
  // FHL 2005 eq. 7 is the conditional expectation at x = t_x = T = 0.
  return bgnbd_expected_purchases(params_of(p), t, 0.0, 0.0, 0.0);
}

/// FHL 2005 eq. 8: P(X(t) = k) = B(a, b+k)/B(a, b) · NB(k; r, α/(α+t))
///   + [k > 0] B(a+1, b+k-1)/B(a, b) · (1 − Σ_{j<k} NB(j; r, α/(α+t))),
/// with NB(j; r, q) = Γ(r+j)/(Γ(r) j!) q^r (1-q)^j.
double pmf_new(std::span<const double> p, double t, unsigned k) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  if (!(t > 0)) return k == 0 ? 1.0 : 0.0;
  const double log_q = std::log(alpha) - std::log(alpha + t);  // log α/(α+t)
  const double log_1q = std::log(t) - std::log(alpha + t);     // log t/(α+t)
  const auto log_nb = [&](unsigned j) { return log_rising_over_factorial(r, j) + r * log_q + j * log_1q; };
  const double log_beta_ab =
      rapport::detail::log_gamma(a) + rapport::detail::log_gamma(b) - rapport::detail::log_gamma(a + b);
  const double k_d = k;
  const double first = std::exp(rapport::detail::log_gamma(a) + rapport::detail::log_gamma(b + k_d) -
                                rapport::detail::log_gamma(a + b + k_d) - log_beta_ab + log_nb(k));
  if (k == 0) return first;
  // 1 − Σ_{j<k} NB(j; r, q) = 1 − I_q(r, k): the regularised incomplete beta's complement.
  const double tail = boost::math::ibetac(r, k_d, alpha / (alpha + t));
  const double second = std::exp(rapport::detail::log_gamma(a + 1) + rapport::detail::log_gamma(b + k_d - 1) -
                                 rapport::detail::log_gamma(a + b + k_d) - log_beta_ab) *
                        tail;
  return first + second;
}

}  // namespace

const ModelKernel& bgnbd_kernel() {
  static const ModelKernel k{
      ValueModelName::bgnbd, validate, row_log_likelihood, nullptr, starts, fit, p_alive, expected, nullptr,
      expected_new,          pmf_new};
  return k;
}

}  // namespace rapport::detail
