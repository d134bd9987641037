/// @file value.hpp
/// Value at stake: BG/NBD (Fader, Hardie & Lee 2005) for repeat-purchase frequency and
/// Gamma-Gamma (Fader & Hardie) for spend. Time is measured in days throughout.
#pragma once

#include <rapport/error.hpp>
#include <rapport/export.hpp>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace rapport {

/// BG/NBD parameters; `alpha` is in days. `log_likelihood` is the maximised log-likelihood
/// (NaN when the parameters were given rather than fitted).
struct BgNbdParams {
  double r = 0, alpha = 0, a = 0, b = 0;  ///< model parameters (alpha in days)
  double log_likelihood = 0;              ///< maximised log-likelihood of the fit
};

/// Gamma-Gamma spend-model parameters.
struct GammaGammaParams {
  double p = 0, q = 0, gamma = 0;  ///< model parameters
  double log_likelihood = 0;       ///< maximised log-likelihood of the fit
};

/// Options for the maximum-likelihood fits (domains: rapport::visit_fields<FitOptions>,
/// checked by rapport::validate(const FitOptions&) below).
struct FitOptions {
  int max_iterations = 200;          ///< Newton / quasi-Newton iterations before giving up
  double gradient_tolerance = 1e-9;  ///< convergence: max |gradient| in log-parameter space, relative
  std::size_t min_customers = 10;    ///< fewer customers than this is a FitError
};

/// Checks fit options against their domains (as the config's `fit`; names prefixed `fit.` in
/// messages). Every fit below calls it first. The domains are the settings registry's one schema
/// (visit_fields<FitOptions> in rapport/scoring/config.hpp), which defines this function in the
/// same library (rapport::core), so the value area declares it without including scoring.
/// @throws ConfigError naming the option, e.g. "config: fit.max_iterations must be ...".
RAPPORT_API void validate(const FitOptions& options);

/// Fits BG/NBD by maximum likelihood in log-parameters (damped Newton, analytic derivatives).
/// Identical (x, t_x, T) rows are merged first, so whole-day data with millions of customers
/// fits quickly. With 65,536 or more distinct histories (large or real-valued data) the fit
/// starts from the optimum of a systematic sample of the rows and sums the likelihood in four
/// vector lanes on two threads; it still ends at the optimum to rounding, and the result does
/// not depend on the number of cores. When the likelihood is maximised at the edge of the parameter space (for
/// example no heterogeneity in dropout, a and b -> infinity) the returned parameters are large
/// but the log-likelihood is within rounding of its supremum.
/// @param x repeat purchases per customer, @param t_x time of last purchase (days since first),
/// @param T age (days since first purchase). All three spans have the same length.
/// @throws FitError when there are fewer than `min_customers` customers, no repeat buyer, or no
/// convergence (including a likelihood that grows without bound, e.g. repeat buyers with t_x = 0).
/// @throws UsageError when the spans differ in length; ConfigError when `options` are out of
/// their domains.
/// @throws InputError when a row has a negative or non-finite value, 0 < x < 1, or t_x > T.
RAPPORT_API BgNbdParams fit_bgnbd(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                                  const FitOptions& options = {});

/// fit_bgnbd over distinct histories with weights: row i stands for `weight[i]` customers (a
/// whole number, at least 1; empty: 1 each). The same fit as fit_bgnbd over the rows repeated by
/// their weights, to the last bit (identical rows are merged by adding their weights), so pattern
/// counts gathered from many places need not be expanded. `min_customers` counts customers.
/// @throws InputError when a weight is not a whole number >= 1; UsageError when the weights'
/// count differs from the rows'; otherwise as fit_bgnbd.
RAPPORT_API BgNbdParams fit_bgnbd_weighted(std::span<const double> x, std::span<const double> t_x,
                                           std::span<const double> T, std::span<const double> weight,
                                           const FitOptions& options = {});

/// Fits Gamma-Gamma by maximum likelihood in log-parameters over customers with x >= 1 and m > 0.
/// @param x repeat purchases, @param m mean repeat spend. Rows with x < 1 or m <= 0 are skipped.
/// @throws FitError when fewer than `min_customers` rows qualify, on no convergence, or when q <= 1.
/// @throws UsageError when the spans differ in length; ConfigError when `options` are out of
/// their domains.
RAPPORT_API GammaGammaParams fit_gamma_gamma(std::span<const double> x, std::span<const double> m,
                                             const FitOptions& options = {});

/// fit_gamma_gamma over distinct (x, m) rows with weights: row i stands for `weight[i]`
/// customers (a whole number, at least 1; empty: 1 each); the same fit as over the rows repeated
/// by their weights, to the last bit. `min_customers` counts qualifying customers.
/// @throws InputError when a weight is not a whole number >= 1; UsageError when the weights'
/// count differs from the rows'; otherwise as fit_gamma_gamma.
RAPPORT_API GammaGammaParams fit_gamma_gamma_weighted(std::span<const double> x, std::span<const double> m,
                                                      std::span<const double> weight, const FitOptions& options = {});

/// BG/NBD log-likelihood of one customer (x, t_x, T) under `params`.
RAPPORT_API double bgnbd_log_likelihood(const BgNbdParams& params, double x, double t_x, double T);

/// Probability that a customer with history (x, t_x, T) is still alive.
RAPPORT_API double bgnbd_p_alive(const BgNbdParams& params, double x, double t_x, double T);

/// Expected number of purchases in the next `horizon` days for a customer with history (x, t_x, T).
/// The Gauss hypergeometric term is evaluated after an Euler transformation, accurate to about
/// 1e-12 relative for x in the thousands and T in decades; a = 1 is handled as a limit. Where
/// that series would be slow or inaccurate (horizon far beyond alpha + T, very large a or b) an
/// equivalent integral over the dropout probability is used: bounded time for any valid input.
RAPPORT_API double bgnbd_expected_purchases(const BgNbdParams& params, double horizon, double x, double t_x, double T);

/// Expected spend per future purchase: `(gamma + m x) p / (p x + q - 1)` for x >= 1,
/// `p gamma / (q - 1)` for x = 0. NaN when the denominator is not positive.
RAPPORT_API double gamma_gamma_expected_spend(const GammaGammaParams& params, double x, double m);

}  // namespace rapport
