/// @file intervals.hpp
/// Uncertainty of the value figures from the uncertainty of a model's parameters. Two ways to get
/// draws of the parameters:
/// - `parametric` (default): draws of the log-parameters from their asymptotic normal
///   N(θ̂, Σ), Σ = the fit's `log_covariance` (the inverse Hessian at the optimum), through its
///   Cholesky factor;
/// - `bootstrap`: the customers resampled with replacement and the model refitted on each
///   resample (CLVTools' method).
/// A figure's interval at level ℓ is the ((1 − ℓ)/2, (1 + ℓ)/2) quantile pair (linear
/// interpolation between order statistics, numpy's default) of the figure over the draws. The
/// draws depend on the seed only: the same bytes for any thread count.
#pragma once

#include <rapport/export.hpp>
#include <rapport/value/models.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace rapport {

/// How the parameter draws are made.
enum class IntervalMethod : std::uint8_t {
  parametric,  ///< log-parameters from their asymptotic normal (the fit's log_covariance)
  bootstrap    ///< customers resampled with replacement, the model refitted on each resample
};

/// "parametric" or "bootstrap".
RAPPORT_API std::string_view to_string(IntervalMethod method) noexcept;

/// The method named `name`, or nullopt.
RAPPORT_API std::optional<IntervalMethod> parse_interval_method(std::string_view name) noexcept;

/// Options of the intervals.
struct IntervalOptions {
  double level = 0.9;                                  ///< coverage of each interval, in (0, 1)
  IntervalMethod method = IntervalMethod::parametric;  ///< how the draws are made
  unsigned draws = 1000;                               ///< parameter draws (bootstrap: resamples)
  std::uint64_t seed = 1;                              ///< seed of the draws
};

/// `options.draws` models with parameters drawn around `fitted` (its name and penalizer kept).
/// `data` is the fit's data (read by `bootstrap` only, which refits with `fit` on each resample
/// of its rows; rows with `weights` count as that many customers). Bootstrap refits run on up to
/// `threads` threads (0 = all cores), draw k always from the same resample.
/// @throws ConfigError when the level is outside (0, 1) or draws is 0; FitError when a parametric
/// draw is asked of a model without a covariance (given parameters) or whose covariance is not
/// positive definite, or when a bootstrap refit fails.
RAPPORT_API std::vector<ValueModel> draw_value_models(const ValueModel& fitted, const ModelData& data,
                                                      const IntervalOptions& options, const FitOptions& fit = {},
                                                      unsigned threads = 0);

/// The ((1 − level)/2, (1 + level)/2) quantiles of `values` (reordered). NaN values are left out;
/// (NaN, NaN) when none is left.
RAPPORT_API std::pair<double, double> quantile_interval(std::span<double> values, double level);

/// Per-row intervals of the value figures.
struct ValueIntervals {
  std::vector<double> p_alive_lo, p_alive_hi;                        ///< p_alive
  std::vector<double> expected_purchases_lo, expected_purchases_hi;  ///< expected purchases over the horizon
  std::vector<double> expected_value_lo, expected_value_hi;          ///< expected purchases × expected spend
};

/// Per row of `data`: the intervals of p_alive, expected purchases over `horizon` and (when
/// `spend_draws` is given, paired draw by draw with `purchase_draws`; `data.m` the mean repeat
/// spend) expected value, over the draws. Rows run on up to `threads` threads; the result does not
/// depend on their number.
/// @throws InputError when the draw lists are empty or differ in length.
RAPPORT_API ValueIntervals value_intervals(std::span<const ValueModel> purchase_draws,
                                           std::span<const ValueModel> spend_draws, const ModelData& data,
                                           double horizon, double level, unsigned threads = 0);

}  // namespace rapport
