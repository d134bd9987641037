/// @file gamma_gamma_kernel.cpp
/// Gamma-Gamma (Fader & Hardie 2013) behind the generic layer: value.cpp's fit_gamma_gamma, so
/// the same parameters come out bit for bit, and the per-customer density of the mean spend.
#include <rapport/value/value.hpp>

#include "value/model_kernels.hpp"
#include "value/newton.hpp"
#include "value/value_detail.hpp"

#include <cmath>
#include <string>
#include <vector>
#include "value/log_gamma.hpp"

namespace rapport::detail {
namespace {

std::size_t validate(const ModelData& data) {
  const std::size_t rows = data.x.size();
  if (data.m.size() != rows) {
    throw InputError("gamma_gamma: x and m differ in length (" + std::to_string(rows) + ", " +
                     std::to_string(data.m.size()) + ")");
  }
  for (std::size_t i = 0; i < rows; ++i) {
    if (!std::isfinite(data.x[i]) || data.x[i] < 0) {
      throw InputError("gamma_gamma: row " + std::to_string(i) + ": column x: " + format_double(data.x[i]) +
                       " is not a finite number >= 0");
    }
    if (!std::isfinite(data.m[i]) || data.m[i] < 0) {
      throw InputError("gamma_gamma: row " + std::to_string(i) + ": column m: " + format_double(data.m[i]) +
                       " is not a finite number >= 0");
    }
  }
  validate_weights(data, rows, "gamma_gamma");
  return rows;
}

bool row_used(const ModelData& data, std::size_t row) { return data.x[row] >= 1 && data.m[row] > 0; }

/// log f(m | p, q, γ, x) = log Γ(px+q) − log Γ(px) − log Γ(q) + q log γ + (px−1) log m + px log x
///   − (px+q) log(γ + m x)  (Fader & Hardie 2013, the density of the mean of x spends).
double row_log_likelihood(std::span<const double> p, const ModelData& data, std::size_t row) {
  const double x = data.x[row], m = data.m[row];
  const double px = p[0] * x, q = p[1], gam = p[2];
  return rapport::detail::log_gamma(px + q) - rapport::detail::log_gamma(px) - rapport::detail::log_gamma(q) +
         q * std::log(gam) + (px - 1) * std::log(m) + px * std::log(x) - (px + q) * std::log(gam + m * x);
}

std::vector<std::vector<double>> starts(const ModelData& data) {
  // fit_gamma_gamma's starting points (p γ / (q − 1) = the mean spend), in log-parameters.
  double mean_m = 0, total = 0;
  for (std::size_t i = 0; i < data.x.size(); ++i) {
    if (!row_used(data, i)) continue;
    mean_m += row_weight(data, i) * data.m[i];
    total += row_weight(data, i);
  }
  mean_m = total > 0 ? mean_m / total : 1.0;
  std::vector<std::vector<double>> out;
  for (const auto& st : {std::vector<double>{1.0, 2.0, mean_m}, std::vector<double>{4.0, 3.0, 0.5 * mean_m},
                         std::vector<double>{0.5, 5.0, 8.0 * mean_m}}) {
    out.push_back({std::log(st[0]), std::log(st[1]), std::log(st[2])});
  }
  return out;
}

std::optional<KernelFit> fit(const ModelData& data, const FitOptions& options) {
  if (!data.weights.empty()) return std::nullopt;  // fit_gamma_gamma counts customers one per row
  const GammaGammaParams fitted = fit_gamma_gamma(data.x, data.m, options);
  KernelFit out;
  out.params = {fitted.p, fitted.q, fitted.gamma};
  out.log_likelihood = fitted.log_likelihood;
  const GammaGammaData compressed = compress_gamma_gamma(data.x, data.m);
  const Eigen::Vector3d theta(std::log(fitted.p), std::log(fitted.q), std::log(fitted.gamma));
  Eigen::Vector3d g;
  Eigen::Matrix3d H;
  gamma_gamma_objective(compressed, theta, &g, &H);
  out.hessian.resize(9);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) out.hessian[static_cast<std::size_t>(i * 3 + j)] = H(i, j);
  return out;
}

}  // namespace

const ModelKernel& gamma_gamma_kernel() {
  static const ModelKernel k{ValueModelName::gamma_gamma,
                             validate,
                             row_log_likelihood,
                             nullptr,
                             starts,
                             fit,
                             nullptr,
                             nullptr,
                             nullptr,
                             nullptr,
                             nullptr,
                             row_used};
  return k;
}

}  // namespace rapport::detail
