// Private: what each value model gives the generic layer of rapport/value/models.hpp
// (src/value/models.cpp). One kernel per model, each in its own file (bgnbd_kernel.cpp,
// pareto_nbd.cpp, mbgnbd.cpp, bgbb.cpp, sbg.cpp, gamma_gamma_kernel.cpp); the generic layer
// does the fit (optimiser, penalty, Hessian, standard errors, AIC/BIC) and the dispatch.
#pragma once

#include <rapport/value/models.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rapport::detail {

/// One model's parts. Parameters `p` are natural parameters in param_names() order; `theta`
/// are their logarithms. Rows are indices into the ModelData spans.
struct ModelKernel {
  ValueModelName name;
  /// Throws InputError naming the first bad row; returns how many rows take part in the fit
  /// (e.g. gamma_gamma: rows with x >= 1 and m > 0).
  std::size_t (*validate)(const ModelData& data);
  /// Log-likelihood of row `row` at natural parameters `p` (one customer, unweighted).
  double (*row_log_likelihood)(std::span<const double> p, const ModelData& data, std::size_t row);
  /// Optional: total weighted log-likelihood and its gradient in theta (fast path); null = the
  /// generic layer sums row_log_likelihood and differentiates numerically.
  double (*total_log_likelihood)(std::span<const double> theta, const ModelData& data, std::span<double> grad);
  /// Starting points in theta for the optimiser (tried in order).
  std::vector<std::vector<double>> (*starts)(const ModelData& data);
  /// Optional: a specialised fit of the unpenalised model returning theta at the optimum
  /// (bgnbd: the existing fast fit_bgnbd, so scoring keeps its bytes); null = generic optimiser.
  std::optional<std::vector<double>> (*fit)(const ModelData& data, const FitOptions& options);
  /// Per-row predictions (null for gamma_gamma).
  double (*p_alive)(std::span<const double> p, const ModelData& data, std::size_t row);
  double (*expected)(std::span<const double> p, double t, const ModelData& data, std::size_t row);
  double (*discounted_expected)(std::span<const double> p, double t, double rate, const ModelData& data,
                                std::size_t row);
  double (*expected_new)(std::span<const double> p, double t);
  double (*pmf_new)(std::span<const double> p, double t, unsigned k);
};

const ModelKernel& bgnbd_kernel();
const ModelKernel& pareto_nbd_kernel();
const ModelKernel& mbgnbd_kernel();
const ModelKernel& bgbb_kernel();
const ModelKernel& sbg_kernel();
const ModelKernel& gamma_gamma_kernel();

/// The kernel of `model`.
const ModelKernel& kernel(ValueModelName model);

}  // namespace rapport::detail
