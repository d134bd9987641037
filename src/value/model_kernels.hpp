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
#include <string_view>
#include <vector>

namespace rapport::detail {

/// What a kernel's specialised fit returns: the optimum of the unpenalised likelihood.
struct KernelFit {
  std::vector<double> params;   ///< natural parameters at the optimum (exactly as the old fit gives them)
  double log_likelihood = 0;    ///< maximised log-likelihood (the old fit's value)
  std::vector<double> hessian;  ///< k×k row-major Hessian of the LL in theta at the optimum (empty: numeric)
};

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
  /// Optional: a specialised fit of the unpenalised model (bgnbd: the existing fast fit_bgnbd, so
  /// scoring keeps its bytes); null, or nullopt for data it does not take (weights), = generic optimiser.
  std::optional<KernelFit> (*fit)(const ModelData& data, const FitOptions& options);
  /// Per-row predictions (null for gamma_gamma).
  double (*p_alive)(std::span<const double> p, const ModelData& data, std::size_t row);
  double (*expected)(std::span<const double> p, double t, const ModelData& data, std::size_t row);
  double (*discounted_expected)(std::span<const double> p, double t, double rate, const ModelData& data,
                                std::size_t row);
  double (*expected_new)(std::span<const double> p, double t);
  double (*pmf_new)(std::span<const double> p, double t, unsigned k);
  /// Optional: whether row `row` takes part in the fit and the likelihood (null: every row;
  /// gamma_gamma: x >= 1 and m > 0). Called after validate().
  bool (*row_used)(const ModelData& data, std::size_t row) = nullptr;
  /// sbg only: S(t), the probability of surviving t whole periods (null for the others).
  double (*survival)(std::span<const double> p, double t) = nullptr;
  /// Optional: total_log_likelihood with, when `hess` is not empty, the analytic Hessian in theta
  /// (k×k row-major) from the same pass; null = the Hessian by differences of the gradient.
  double (*total_log_likelihood_hessian)(std::span<const double> theta, const ModelData& data, std::span<double> grad,
                                         std::span<double> hess) = nullptr;
};

/// Rows in `data` for a model on (x, t_x, T) (bgnbd, pareto_nbd, mbgnbd), after checking them:
/// equal lengths, x, t_x, T finite and >= 0, t_x <= T, t_x = 0 when x = 0 is not required;
/// weights finite and >= 0. @throws InputError "`model`: row R: column …: reason".
std::size_t validate_recency_data(const ModelData& data, std::string_view model);

/// Checks `data.weights` (empty, or `rows` finite non-negative entries). @throws InputError.
void validate_weights(const ModelData& data, std::size_t rows, std::string_view model);

/// Weight of row `row` (1 when no weights are given).
inline double row_weight(const ModelData& data, std::size_t row) {
  return data.weights.empty() ? 1.0 : data.weights[row];
}

/// The weighted mean of T (1 when it is not positive): the scale of the continuous models'
/// starting points for α and β.
inline double weighted_mean_T(const ModelData& data) {
  double mean_T = 0, total = 0;
  for (std::size_t i = 0; i < data.T.size(); ++i) {
    mean_T += row_weight(data, i) * data.T[i];
    total += row_weight(data, i);
  }
  mean_T = total > 0 ? mean_T / total : 1.0;
  return mean_T > 0 ? mean_T : 1.0;
}

/// Default discounted expectation for a continuous-time model (integration by parts):
/// e^(-rate t) E(t) + rate ∫_0^t e^(-rate s) E(s) ds, with the kernel's conditional E(s) and
/// Gauss-Legendre quadrature.
double discounted_by_parts(const ModelKernel& k, std::span<const double> p, double t, double rate,
                           const ModelData& data, std::size_t row);

/// log Γ(a + k) − log Γ(a) − log k!: the log of the negative-binomial coefficient (a)_k / k!.
double log_rising_over_factorial(double a, unsigned k);

const ModelKernel& bgnbd_kernel();
const ModelKernel& pareto_nbd_kernel();
const ModelKernel& mbgnbd_kernel();
const ModelKernel& bgbb_kernel();
const ModelKernel& sbg_kernel();
const ModelKernel& gamma_gamma_kernel();

/// The kernel of `model`.
const ModelKernel& kernel(ValueModelName model);

}  // namespace rapport::detail
