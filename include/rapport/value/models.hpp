/// @file models.hpp
/// Every value model behind one interface: the purchase models BG/NBD, Pareto/NBD, MBG/NBD, BG/BB
/// and sBG, and the Gamma-Gamma spend model. Fitted by maximum likelihood in log-parameters (an
/// optional L2 penalty on the log-parameters), with standard errors from the inverse Hessian at
/// the optimum, AIC and BIC. Time is in whatever unit the caller uses (scoring uses days); BG/BB
/// and sBG count whole periods.
///
/// Inputs per model (ModelData; every span given has the same length, one entry per customer or
/// per pattern of identical customers with `weights`):
/// | model | inputs |
/// |---|---|
/// | `bgnbd`, `pareto_nbd`, `mbgnbd` | x (repeat purchases), t_x (time of the last, since the first), T (age since the
/// first) | | `bgbb` | x (later periods with a purchase), t_x (index of the last such period, 0 when none), n (periods
/// observed) | | `sbg` | periods (whole periods completed: before the contract ended, or so far), ended (1 = ended) |
/// | `gamma_gamma` | x (repeat purchases), m (mean repeat spend); rows with x < 1 or m <= 0 are skipped |
#pragma once

#include <rapport/error.hpp>
#include <rapport/export.hpp>
#include <rapport/value/value.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace rapport {

/// The value models rapport fits.
enum class ValueModelName : std::uint8_t {
  bgnbd,       ///< BG/NBD (Fader, Hardie & Lee 2005): buys any time, leaves unobserved
  pareto_nbd,  ///< Pareto/NBD (Schmittlein, Morrison & Colombo 1987)
  mbgnbd,      ///< MBG/NBD (Batislam, Denizel & Filiztekin 2007): one-time buyers may leave
  bgbb,        ///< BG/BB (Fader, Hardie & Shang 2010): discrete purchase opportunities
  sbg,         ///< shifted-beta-geometric (Fader & Hardie 2007): contracts, churn observed
  gamma_gamma  ///< Gamma-Gamma spend model (Fader & Hardie 2013)
};

/// snake_case name of a model ("bgnbd", "pareto_nbd", …, "gamma_gamma").
RAPPORT_API std::string_view to_string(ValueModelName model) noexcept;

/// The model named `name`, or nullopt when no model has that name.
RAPPORT_API std::optional<ValueModelName> parse_value_model(std::string_view name) noexcept;

/// The model's natural parameters in their usual names and order: r, alpha, a, b (bgnbd, mbgnbd)
/// · r, alpha, s, beta (pareto_nbd) · alpha, beta, gamma, delta (bgbb) · alpha, beta (sbg) ·
/// p, q, gamma (gamma_gamma).
RAPPORT_API std::span<const std::string_view> param_names(ValueModelName model) noexcept;

/// Per-customer inputs of a model (see the table above). Spans a model does not use are ignored;
/// `weights` (empty: 1 per row) counts identical customers, as published tables give them.
struct ModelData {
  std::span<const double> x;            ///< repeat purchases (bgnbd, pareto_nbd, mbgnbd, bgbb, gamma_gamma)
  std::span<const double> t_x;          ///< recency (bgnbd, pareto_nbd, mbgnbd, bgbb)
  std::span<const double> T;            ///< age since the first purchase (bgnbd, pareto_nbd, mbgnbd)
  std::span<const double> n;            ///< opportunities observed (bgbb)
  std::span<const double> m;            ///< mean repeat spend (gamma_gamma)
  std::span<const double> periods;      ///< whole periods completed (sbg)
  std::span<const std::uint8_t> ended;  ///< 1 when the contract ended (sbg)
  std::span<const double> weights;      ///< customers per row (empty: 1 each)
};

/// A fitted or given value model.
struct ValueModel {
  ValueModelName name = ValueModelName::bgnbd;  ///< which model
  std::vector<double> params;                   ///< natural parameters, in param_names() order
  std::vector<double> std_errors;      ///< standard errors of `params` (NaN when given, or the Hessian is singular)
  std::vector<double> log_covariance;  ///< k×k row-major covariance of the log-parameters (empty when given)
  double log_likelihood = std::numeric_limits<double>::quiet_NaN();  ///< maximised log-likelihood (NaN when given)
  double aic = std::numeric_limits<double>::quiet_NaN();             ///< 2k − 2 LL
  double bic = std::numeric_limits<double>::quiet_NaN();             ///< k ln n − 2 LL
  double n = 0;          ///< customers in the fit (sum of weights of the rows used)
  double penalizer = 0;  ///< L2 penalty on the log-parameters used in the fit
};

/// Fits `model` by maximum likelihood over `data`, maximising LL − penalizer·Σ(log θ)².
/// `options` are checked first (rapport::validate(const FitOptions&), rapport/value/value.hpp).
/// @throws FitError when fewer than `options.min_customers` customers qualify, on no convergence,
/// or for a model-specific impossibility (bgnbd: no repeat buyer; gamma_gamma: q <= 1).
/// @throws InputError naming the row when an input is negative, non-finite or inconsistent
/// (t_x > T, x > n, …) or the spans differ in length; ConfigError when `penalizer` is negative or
/// not finite or `options` are out of their domains.
RAPPORT_API ValueModel fit_value_model(ValueModelName model, const ModelData& data, const FitOptions& options = {},
                                       double penalizer = 0);

/// A model with given natural parameters (no fit statistics).
/// @throws ConfigError when the count is wrong or a parameter is outside its domain (positive,
/// finite; gamma_gamma q > 1).
RAPPORT_API ValueModel make_value_model(ValueModelName model, std::span<const double> params);

/// Total (weighted) log-likelihood of `data` under `model`'s parameters.
RAPPORT_API double log_likelihood(const ValueModel& model, const ModelData& data);

/// Per row: the probability the customer is still alive (sbg: 1 while the contract runs, 0 once
/// it ended). `out` has one entry per row. @throws InputError for gamma_gamma.
RAPPORT_API void p_alive(const ValueModel& model, const ModelData& data, std::span<double> out);

/// Per row: expected purchases over the next `t` time units (bgbb: expected periods with a
/// purchase among the next `t` opportunities; sbg: expected renewals among the next `t` periods,
/// 0 once ended), conditional on the row's history. @throws InputError for gamma_gamma.
RAPPORT_API void expected_purchases(const ValueModel& model, double t, const ModelData& data, std::span<double> out);

/// Per row: as expected_purchases(), each purchase at time s discounted by e^(−rate·s), with
/// `rate` per time unit (continuous compounding). For sbg: the discounted expected residual
/// lifetime over the next `t` periods (a renewal at the end of period k weighs e^(−rate·k)).
RAPPORT_API void discounted_expected_purchases(const ValueModel& model, double t, double rate, const ModelData& data,
                                               std::span<double> out);

/// A new customer's expected purchases E[X(t)] in (0, t] (bgbb: in the first t opportunities;
/// sbg: expected renewals in the first t periods).
RAPPORT_API double expected_purchases_new(const ValueModel& model, double t);

/// A new customer's P(X(t) = k), the purchase-count distribution (BTYD's pmf, lifetimes'
/// probability_of_n_purchases_up_to_time).
RAPPORT_API double probability_of_purchases_new(const ValueModel& model, double t, unsigned k);

/// sbg: the survival function S(t) = P(still a customer after t whole periods).
/// @throws InputError for any other model.
RAPPORT_API double survival(const ValueModel& model, double t);

/// gamma_gamma: expected spend per future purchase, per row (x, m).
/// @throws InputError for any other model.
RAPPORT_API void expected_spend(const ValueModel& model, const ModelData& data, std::span<double> out);

}  // namespace rapport
