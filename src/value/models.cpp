/// @file models.cpp
/// The generic layer of rapport/value/models.hpp: names, dispatch to the per-model kernels
/// (model_kernels.hpp), the maximum-likelihood fit in log-parameters (optional L2 penalty,
/// several starts, the damped Newton of newton.hpp with numeric derivatives where a kernel has no
/// analytic ones), standard errors from the inverse Hessian, AIC/BIC, and the per-row predictions.
#include <rapport/value/models.hpp>

#include "util/parallel.hpp"
#include "value/model_kernels.hpp"
#include "value/newton.hpp"

#include <Eigen/Core>
#include <Eigen/LU>
#include <boost/math/quadrature/gauss.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>
#include "value/log_gamma.hpp"

namespace rapport {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr std::array<std::string_view, 6> kModelNames = {"bgnbd", "pareto_nbd", "mbgnbd", "bgbb", "sbg", "gamma_gamma"};
constexpr std::array<std::string_view, 4> kRAlphaAB = {"r", "alpha", "a", "b"};
constexpr std::array<std::string_view, 4> kRAlphaSBeta = {"r", "alpha", "s", "beta"};
constexpr std::array<std::string_view, 4> kBgbb = {"alpha", "beta", "gamma", "delta"};
constexpr std::array<std::string_view, 2> kSbg = {"alpha", "beta"};
constexpr std::array<std::string_view, 3> kGammaGamma = {"p", "q", "gamma"};

std::string name_of(ValueModelName model) { return std::string(to_string(model)); }

// Rows are summed in fixed blocks and the block sums added in order, so the total does not
// depend on the number of threads.
constexpr std::size_t kBlock = 4096;

/// Σ weight·row LL over the rows used, at natural parameters `p` (−inf/NaN propagate).
double total_row_log_likelihood(const detail::ModelKernel& k, std::span<const double> p, const ModelData& data,
                                std::size_t rows) {
  const std::size_t blocks = (rows + kBlock - 1) / kBlock;
  std::vector<double> sums(blocks, 0.0);
  detail::parallel_for_dynamic(blocks, rows >= 4 * kBlock ? 0U : 1U, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t b = lo; b < hi; ++b) {
      double s = 0;
      const std::size_t end = std::min(rows, (b + 1) * kBlock);
      for (std::size_t i = b * kBlock; i < end; ++i) {
        if (k.row_used && !k.row_used(data, i)) continue;
        const double w = detail::row_weight(data, i);
        if (w == 0) continue;
        s += w * k.row_log_likelihood(p, data, i);
      }
      sums[b] = s;
    }
  });
  double total = 0;
  for (double s : sums) total += s;
  return total;
}

/// Unpenalised LL at log-parameters `theta`, with the kernel's analytic gradient when it has one.
double unpenalised(const detail::ModelKernel& k, std::span<const double> theta, const ModelData& data, std::size_t rows,
                   std::span<double> grad) {
  if (k.total_log_likelihood) return k.total_log_likelihood(theta, data, grad);
  std::vector<double> p(theta.size());
  for (std::size_t i = 0; i < theta.size(); ++i) p[i] = std::exp(theta[i]);
  return total_row_log_likelihood(k, p, data, rows);
}

/// The model's likelihood in theta with derivatives: analytic gradient when the kernel has one
/// (Hessian by central differences of it), else central differences of the values.
template <int N>
struct Objective {
  using Vec = Eigen::Matrix<double, N, 1>;
  using Mat = Eigen::Matrix<double, N, N>;
  const detail::ModelKernel& k;
  const ModelData& data;
  std::size_t rows;
  double penalizer;

  double value(const Vec& th, Vec* grad) const {
    std::array<double, N> g{};
    const double f = unpenalised(k, std::span<const double>(th.data(), N), data, rows,
                                 grad ? std::span<double>(g) : std::span<double>());
    if (grad)
      for (int i = 0; i < N; ++i) (*grad)[i] = g[static_cast<std::size_t>(i)];
    return f;
  }

  /// Unpenalised value, gradient and Hessian at `th`. Steps: 1e-5 for the gradient, 1e-3 for the
  /// Hessian (its rounding error grows as 1/h², its truncation error as h²).
  double derivatives(const Vec& th, Vec* g, Mat* H) const {
    constexpr double hg = 1e-5, hh = 1e-3;
    if (H && k.total_log_likelihood_hessian) {
      std::array<double, N> g0{};
      std::array<double, static_cast<std::size_t>(N * N)> h0{};
      const double f0 = k.total_log_likelihood_hessian(std::span<const double>(th.data(), N), data, g0, h0);
      for (int i = 0; i < N; ++i) {
        if (g) (*g)[i] = g0[static_cast<std::size_t>(i)];
        for (int j = 0; j < N; ++j) (*H)(i, j) = h0[static_cast<std::size_t>(i * N + j)];
      }
      return f0;
    }
    if (k.total_log_likelihood) {
      Vec g0;
      const double f0 = value(th, &g0);
      if (g) *g = g0;
      if (H) {
        for (int i = 0; i < N; ++i) {
          Vec tp = th, tm = th, gp, gm;
          tp[i] += hh;
          tm[i] -= hh;
          value(tp, &gp);
          value(tm, &gm);
          H->col(i) = (gp - gm) / (2 * hh);
        }
        *H = 0.5 * (*H + H->transpose()).eval();
      }
      return f0;
    }
    const double f0 = value(th, nullptr);
    const auto at = [&](int i, double di, int j, double dj) {
      Vec t = th;
      t[i] += di;
      if (j >= 0) t[j] += dj;
      return value(t, nullptr);
    };
    for (int i = 0; g && i < N; ++i) (*g)[i] = (at(i, hg, -1, 0) - at(i, -hg, -1, 0)) / (2 * hg);
    if (H) {
      for (int i = 0; i < N; ++i) {
        (*H)(i, i) = (at(i, hh, -1, 0) - 2 * f0 + at(i, -hh, -1, 0)) / (hh * hh);
        for (int j = i + 1; j < N; ++j) {
          const double hij =
              (at(i, hh, j, hh) - at(i, hh, j, -hh) - at(i, -hh, j, hh) + at(i, -hh, j, -hh)) / (4 * hh * hh);
          (*H)(i, j) = hij;
          (*H)(j, i) = hij;
        }
      }
    }
    return f0;
  }

  /// Penalised objective for newton_maximize: LL − penalizer·Σθ².
  double operator()(const Vec& th, Vec* g, Mat* H) const {
    double f = derivatives(th, g, H);
    f -= penalizer * th.squaredNorm();
    if (g) *g -= 2 * penalizer * th;
    if (H) H->diagonal().array() -= 2 * penalizer;
    return f;
  }
};

/// Every `stride`-th row of `data` (weights kept): the sample a large fit starts from.
struct Sample {
  std::vector<std::vector<double>> columns;
  std::vector<std::uint8_t> ended;
  ModelData data;
};

Sample sample_rows(const ModelData& data, std::size_t rows, std::size_t stride) {
  Sample s;
  const std::array<std::span<const double>, 7> in = {data.x, data.t_x,     data.T,      data.n,
                                                     data.m, data.periods, data.weights};
  s.columns.resize(in.size());
  for (std::size_t c = 0; c < in.size(); ++c) {
    if (in[c].empty()) continue;
    for (std::size_t i = 0; i < rows; i += stride) s.columns[c].push_back(in[c][i]);
  }
  if (!data.ended.empty())
    for (std::size_t i = 0; i < rows; i += stride) s.ended.push_back(data.ended[i]);
  s.data = ModelData{s.columns[0], s.columns[1], s.columns[2], s.columns[3],
                     s.columns[4], s.columns[5], s.ended,      s.columns[6]};
  return s;
}

constexpr std::size_t kLargeRows = std::size_t{1} << 16U;
constexpr std::size_t kSampleStride = 8;

/// Generic maximum likelihood: from a sample's optimum when the data are large, else (or when
/// that fails) from the kernel's starts in turn, the first that converges winning, as value.cpp's
/// fits do. Returns theta, or throws FitError describing the first start's failure.
template <int N>
std::vector<double> fit_generic(const detail::ModelKernel& k, const ModelData& data, std::size_t rows,
                                const FitOptions& options, double penalizer) {
  using Vec = Eigen::Matrix<double, N, 1>;
  const Objective<N> objective{k, data, rows, penalizer};
  std::optional<detail::NewtonResult<N>> best;
  if (rows >= kLargeRows) {
    const Sample sample = sample_rows(data, rows, kSampleStride);
    try {
      const std::vector<double> warm =
          fit_generic<N>(k, sample.data, (rows + kSampleStride - 1) / kSampleStride, options, penalizer);
      Vec th0;
      for (int i = 0; i < N; ++i) th0[i] = warm[static_cast<std::size_t>(i)];
      // The sample's optimum is close: Newton steps with the Hessian of the start (one numeric
      // Hessian, then value and gradient only per step) converge in a few steps at a fraction of
      // the cost. The standard errors take a fresh Hessian at the optimum (fit_value_model).
      // With an analytic Hessian (one pass) the start's Hessian is the sample's (one pass over an
      // eighth of the rows, scaled by the ratio of their weights) and the first trial point takes a
      // fresh one of the full data: the sample's optimum may sit a visible step away, and the
      // Hessian there converges in a few steps.
      Eigen::Matrix<double, N, N> H0;
      int calls = 0;
      const bool analytic = k.total_log_likelihood_hessian != nullptr;
      if (analytic) {
        const std::size_t sampled = (rows + kSampleStride - 1) / kSampleStride;
        double full = 0, part = 0;
        for (std::size_t i = 0; i < rows; ++i) full += detail::row_weight(data, i);
        for (std::size_t i = 0; i < sampled; ++i) part += detail::row_weight(sample.data, i);
        const Objective<N> on_sample{k, sample.data, sampled, 0.0};
        on_sample.derivatives(th0, nullptr, &H0);
        H0 *= part > 0 ? full / part : 1.0;
        H0.diagonal().array() -= 2 * penalizer;
      } else {
        objective(th0, nullptr, &H0);
      }
      const auto frozen = [&](const Vec& th, Vec* g, Eigen::Matrix<double, N, N>* H) {
        if (H && analytic && ++calls == 2) {
          const double f = objective(th, g, &H0);
          *H = H0;
          return f;
        }
        const double f = objective(th, g, nullptr);
        if (H) *H = H0;
        return f;
      };
      auto res = detail::newton_maximize<N>(frozen, th0, options);
      if (res.converged) best = res;
    } catch (const FitError&) {
      // fall back to the standard starts
    }
  }
  std::string failure;
  if (!best) {
    for (const std::vector<double>& st : k.starts(data)) {
      Vec th0;
      for (int i = 0; i < N; ++i) th0[i] = st[static_cast<std::size_t>(i)];
      auto res = detail::newton_maximize<N>(objective, th0, options);
      if (res.converged) {
        best = res;
        break;
      }
      if (failure.empty()) {
        failure = res.failure + " after " + std::to_string(res.iterations) + " iterations, max |gradient| " +
                  detail::format_double(res.max_gradient) + " at ";
        const auto names = param_names(k.name);
        for (int i = 0; i < N; ++i)
          failure += std::string(i ? ", " : "") + std::string(names[static_cast<std::size_t>(i)]) + "=" +
                     detail::format_double(std::exp(res.theta[i]));
      }
    }
  }
  if (!best) throw FitError("fit_value_model(" + name_of(k.name) + "): did not converge: " + failure);
  std::vector<double> theta(N);
  for (int i = 0; i < N; ++i) theta[static_cast<std::size_t>(i)] = best->theta[i];
  return theta;
}

/// Hessian of the unpenalised LL in theta at `theta` (numeric unless the kernel gave one).
template <int N>
std::vector<double> hessian_at(const detail::ModelKernel& k, const ModelData& data, std::size_t rows,
                               const std::vector<double>& theta) {
  const Objective<N> objective{k, data, rows, 0.0};
  Eigen::Matrix<double, N, 1> th;
  for (int i = 0; i < N; ++i) th[i] = theta[static_cast<std::size_t>(i)];
  Eigen::Matrix<double, N, N> H;
  objective.derivatives(th, nullptr, &H);
  std::vector<double> out(static_cast<std::size_t>(N * N));
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) out[static_cast<std::size_t>(i * N + j)] = H(i, j);
  return out;
}

/// Fills the standard errors and log_covariance of `model` from the Hessian `hessian` (k×k).
void fill_errors(ValueModel& model, const std::vector<double>& hessian) {
  const auto k = static_cast<Eigen::Index>(model.params.size());
  Eigen::MatrixXd A(k, k);
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = 0; j < k; ++j) A(i, j) = -hessian[static_cast<std::size_t>(i * k + j)];
  model.std_errors.assign(model.params.size(), kNaN);
  model.log_covariance.assign(model.params.size() * model.params.size(), kNaN);
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(A);
  if (!A.allFinite() || !lu.isInvertible()) return;
  const Eigen::MatrixXd inv = lu.inverse();
  const Eigen::MatrixXd cov = 0.5 * (inv + inv.transpose());
  for (Eigen::Index i = 0; i < k; ++i) {
    for (Eigen::Index j = 0; j < k; ++j) model.log_covariance[static_cast<std::size_t>(i * k + j)] = cov(i, j);
    const double var = cov(i, i);
    if (var >= 0)
      model.std_errors[static_cast<std::size_t>(i)] = model.params[static_cast<std::size_t>(i)] * std::sqrt(var);
  }
}

std::size_t validated_rows(const detail::ModelKernel& k, const ModelData& data) { return k.validate(data); }

/// Rows of `data` for predictions (validated as for a fit: the longest span given), checking `out`.
std::size_t prediction_rows(const detail::ModelKernel& k, const ModelData& data, std::span<double> out,
                            const char* what) {
  validated_rows(k, data);
  std::size_t length = data.ended.size();
  for (std::span<const double> s : {data.x, data.t_x, data.T, data.n, data.m, data.periods})
    length = std::max(length, s.size());
  if (out.size() != length) {
    throw InputError(std::string(what) + "(" + name_of(k.name) + "): output has " + std::to_string(out.size()) +
                     " entries for " + std::to_string(length) + " rows");
  }
  return length;
}

const detail::ModelKernel& purchase_kernel(const ValueModel& model, const char* what) {
  if (model.name == ValueModelName::gamma_gamma)
    throw InputError(std::string(what) + ": gamma_gamma is a spend model, it predicts no purchases");
  return detail::kernel(model.name);
}

template <class Fn>
void per_row(std::size_t rows, std::span<double> out, Fn&& fn) {
  detail::parallel_for(rows, rows >= 4 * kBlock ? 0U : 1U, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) out[i] = fn(i);
  });
}

}  // namespace

std::string_view to_string(ValueModelName model) noexcept { return kModelNames[static_cast<std::size_t>(model)]; }

std::optional<ValueModelName> parse_value_model(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kModelNames.size(); ++i)
    if (kModelNames[i] == name) return static_cast<ValueModelName>(i);
  return std::nullopt;
}

std::span<const std::string_view> param_names(ValueModelName model) noexcept {
  switch (model) {
    case ValueModelName::bgnbd:
    case ValueModelName::mbgnbd:
      return kRAlphaAB;
    case ValueModelName::pareto_nbd:
      return kRAlphaSBeta;
    case ValueModelName::bgbb:
      return kBgbb;
    case ValueModelName::sbg:
      return kSbg;
    case ValueModelName::gamma_gamma:
      return kGammaGamma;
  }
  return {};
}

ValueModel fit_value_model(ValueModelName model, const ModelData& data, const FitOptions& options, double penalizer) {
  validate(options);
  if (!std::isfinite(penalizer) || penalizer < 0) {
    throw ConfigError("fit_value_model: penalizer must be finite and >= 0, got " + detail::format_double(penalizer));
  }
  const detail::ModelKernel& k = detail::kernel(model);
  const std::size_t rows = validated_rows(k, data);
  const std::size_t k_params = param_names(model).size();
  double customers = 0;
  for (std::size_t i = 0; i < rows; ++i)
    if (!k.row_used || k.row_used(data, i)) customers += detail::row_weight(data, i);
  if (customers < static_cast<double>(options.min_customers) || customers <= 0) {
    throw FitError("fit_value_model(" + name_of(model) + "): " + detail::format_double(customers) +
                   " customers qualify, at least " + std::to_string(std::max<std::size_t>(options.min_customers, 1)) +
                   " required");
  }
  ValueModel out;
  out.name = model;
  out.n = customers;
  out.penalizer = penalizer;
  std::vector<double> hessian;
  std::optional<detail::KernelFit> fast;
  if (penalizer == 0 && k.fit) fast = k.fit(data, options);
  if (fast) {
    out.params = fast->params;
    out.log_likelihood = fast->log_likelihood;
    hessian = fast->hessian;
  } else {
    std::vector<double> theta;
    switch (k_params) {
      case 2:
        theta = fit_generic<2>(k, data, rows, options, penalizer);
        break;
      case 3:
        theta = fit_generic<3>(k, data, rows, options, penalizer);
        break;
      default:
        theta = fit_generic<4>(k, data, rows, options, penalizer);
        break;
    }
    out.params.resize(k_params);
    for (std::size_t i = 0; i < k_params; ++i) out.params[i] = std::exp(theta[i]);
    // A kernel with analytic Hessians sums the same rows' values faster (per-pass tables).
    out.log_likelihood = k.total_log_likelihood_hessian
                             ? k.total_log_likelihood_hessian(theta, data, std::span<double>(), std::span<double>())
                             : total_row_log_likelihood(k, out.params, data, rows);
  }
  for (double v : out.params)
    if (!std::isfinite(v) || !(v > 0))
      throw FitError("fit_value_model(" + name_of(model) + "): non-finite fitted parameters");
  if (model == ValueModelName::gamma_gamma && !(out.params[1] > 1)) {
    throw FitError("fit_value_model(gamma_gamma): fitted q = " + detail::format_double(out.params[1]) +
                   " <= 1, expected spend undefined");
  }
  if (!std::isfinite(out.log_likelihood))
    throw FitError("fit_value_model(" + name_of(model) + "): non-finite log-likelihood at the optimum");
  if (hessian.empty()) {
    std::vector<double> theta(k_params);
    for (std::size_t i = 0; i < k_params; ++i) theta[i] = std::log(out.params[i]);
    switch (k_params) {
      case 2:
        hessian = hessian_at<2>(k, data, rows, theta);
        break;
      case 3:
        hessian = hessian_at<3>(k, data, rows, theta);
        break;
      default:
        hessian = hessian_at<4>(k, data, rows, theta);
        break;
    }
  }
  fill_errors(out, hessian);
  const auto kd = static_cast<double>(k_params);
  out.aic = 2 * kd - 2 * out.log_likelihood;
  out.bic = kd * std::log(customers) - 2 * out.log_likelihood;
  return out;
}

ValueModel make_value_model(ValueModelName model, std::span<const double> params) {
  const auto names = param_names(model);
  if (params.size() != names.size()) {
    throw ConfigError("make_value_model(" + name_of(model) + "): " + std::to_string(names.size()) +
                      " parameters expected, got " + std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!std::isfinite(params[i]) || !(params[i] > 0)) {
      throw ConfigError("make_value_model(" + name_of(model) + "): " + std::string(names[i]) +
                        " must be positive and finite, got " + detail::format_double(params[i]));
    }
  }
  if (model == ValueModelName::gamma_gamma && !(params[1] > 1)) {
    throw ConfigError("make_value_model(gamma_gamma): q must be > 1 (expected spend is undefined otherwise), got " +
                      detail::format_double(params[1]));
  }
  ValueModel out;
  out.name = model;
  out.params.assign(params.begin(), params.end());
  out.std_errors.assign(params.size(), kNaN);
  return out;
}

double log_likelihood(const ValueModel& model, const ModelData& data) {
  const detail::ModelKernel& k = detail::kernel(model.name);
  return total_row_log_likelihood(k, model.params, data, validated_rows(k, data));
}

void p_alive(const ValueModel& model, const ModelData& data, std::span<double> out) {
  const detail::ModelKernel& k = purchase_kernel(model, "p_alive");
  const std::size_t rows = prediction_rows(k, data, out, "p_alive");
  per_row(rows, out, [&](std::size_t i) { return k.p_alive(model.params, data, i); });
}

void expected_purchases(const ValueModel& model, double t, const ModelData& data, std::span<double> out) {
  const detail::ModelKernel& k = purchase_kernel(model, "expected_purchases");
  const std::size_t rows = prediction_rows(k, data, out, "expected_purchases");
  per_row(rows, out, [&](std::size_t i) { return k.expected(model.params, t, data, i); });
}

void discounted_expected_purchases(const ValueModel& model, double t, double rate, const ModelData& data,
                                   std::span<double> out) {
  const detail::ModelKernel& k = purchase_kernel(model, "discounted_expected_purchases");
  if (!std::isfinite(rate) || rate < 0)
    throw ConfigError("discounted_expected_purchases: rate must be finite and >= 0, got " +
                      detail::format_double(rate));
  const std::size_t rows = prediction_rows(k, data, out, "discounted_expected_purchases");
  per_row(rows, out, [&](std::size_t i) {
    if (rate == 0) return k.expected(model.params, t, data, i);
    if (k.discounted_expected) return k.discounted_expected(model.params, t, rate, data, i);
    return detail::discounted_by_parts(k, model.params, t, rate, data, i);
  });
}

double expected_purchases_new(const ValueModel& model, double t) {
  const detail::ModelKernel& k = purchase_kernel(model, "expected_purchases_new");
  return k.expected_new(model.params, t);
}

double probability_of_purchases_new(const ValueModel& model, double t, unsigned k_purchases) {
  const detail::ModelKernel& k = purchase_kernel(model, "probability_of_purchases_new");
  return k.pmf_new(model.params, t, k_purchases);
}

double survival(const ValueModel& model, double t) {
  const detail::ModelKernel& k = detail::kernel(model.name);
  if (!k.survival) throw InputError("survival: defined for sbg only, not " + name_of(model.name));
  return k.survival(model.params, t);
}

void expected_spend(const ValueModel& model, const ModelData& data, std::span<double> out) {
  if (model.name != ValueModelName::gamma_gamma)
    throw InputError("expected_spend: defined for gamma_gamma only, not " + name_of(model.name));
  const detail::ModelKernel& k = detail::kernel(model.name);
  const std::size_t rows = prediction_rows(k, data, out, "expected_spend");
  const GammaGammaParams gg{model.params[0], model.params[1], model.params[2], 0};
  per_row(rows, out, [&](std::size_t i) { return gamma_gamma_expected_spend(gg, data.x[i], data.m[i]); });
}

namespace detail {

const ModelKernel& kernel(ValueModelName model) {
  switch (model) {
    case ValueModelName::bgnbd:
      return bgnbd_kernel();
    case ValueModelName::pareto_nbd:
      return pareto_nbd_kernel();
    case ValueModelName::mbgnbd:
      return mbgnbd_kernel();
    case ValueModelName::bgbb:
      return bgbb_kernel();
    case ValueModelName::sbg:
      return sbg_kernel();
    case ValueModelName::gamma_gamma:
      return gamma_gamma_kernel();
  }
  throw ConfigError("unknown value model " + std::to_string(static_cast<int>(model)));
}

void validate_weights(const ModelData& data, std::size_t rows, std::string_view model) {
  if (data.weights.empty()) return;
  if (data.weights.size() != rows) {
    throw InputError(std::string(model) + ": weights has " + std::to_string(data.weights.size()) + " entries for " +
                     std::to_string(rows) + " rows");
  }
  for (std::size_t i = 0; i < rows; ++i) {
    if (!std::isfinite(data.weights[i]) || data.weights[i] < 0) {
      throw InputError(std::string(model) + ": row " + std::to_string(i) +
                       ": column weights: " + detail::format_double(data.weights[i]) + " is not a finite number >= 0");
    }
  }
}

std::size_t validate_recency_data(const ModelData& data, std::string_view model) {
  const std::size_t rows = data.x.size();
  if (data.t_x.size() != rows || data.T.size() != rows) {
    throw InputError(std::string(model) + ": x, t_x and T differ in length (" + std::to_string(rows) + ", " +
                     std::to_string(data.t_x.size()) + ", " + std::to_string(data.T.size()) + ")");
  }
  const auto bad = [&](std::size_t i, const char* column, double v, const char* why) {
    throw InputError(std::string(model) + ": row " + std::to_string(i) + ": column " + column + ": " +
                     detail::format_double(v) + " " + why);
  };
  for (std::size_t i = 0; i < rows; ++i) {
    if (!std::isfinite(data.x[i]) || data.x[i] < 0) bad(i, "x", data.x[i], "is not a finite number >= 0");
    if (!std::isfinite(data.t_x[i]) || data.t_x[i] < 0) bad(i, "t_x", data.t_x[i], "is not a finite number >= 0");
    if (!std::isfinite(data.T[i]) || data.T[i] < 0) bad(i, "T", data.T[i], "is not a finite number >= 0");
    if (data.t_x[i] > data.T[i]) {
      throw InputError(std::string(model) + ": row " + std::to_string(i) + ": column t_x: " +
                       detail::format_double(data.t_x[i]) + " is after T = " + detail::format_double(data.T[i]));
    }
  }
  validate_weights(data, rows, model);
  return rows;
}

double discounted_by_parts(const ModelKernel& k, std::span<const double> p, double t, double rate,
                           const ModelData& data, std::size_t row) {
  // E(s) grows smoothly from 0; four 15-point Gauss-Legendre panels over [0, t].
  using Gauss = boost::math::quadrature::gauss<double, 15>;
  constexpr int kPanels = 4;
  double integral = 0;
  const double width = t / kPanels;
  for (int j = 0; j < kPanels; ++j) {
    const double lo = j * width;
    integral +=
        Gauss::integrate([&](double s) { return std::exp(-rate * s) * k.expected(p, s, data, row); }, lo, lo + width);
  }
  return std::exp(-rate * t) * k.expected(p, t, data, row) + rate * integral;
}

double log_rising_over_factorial(double a, unsigned k) {
  return rapport::detail::log_gamma(a + k) - rapport::detail::log_gamma(a) -
         rapport::detail::log_gamma(static_cast<double>(k) + 1.0);
}

}  // namespace detail

}  // namespace rapport
