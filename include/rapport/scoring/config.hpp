/// @file config.hpp
/// ScoringConfig: every default of the design card in one place, and its schema — each field
/// declared once (name, member, domain, doc) in visit_fields(), from which JSON in and out, the
/// Python attributes and validate() are all derived. docs/settings.md explains each domain.
#pragma once

#include <rapport/export.hpp>
#include <rapport/scoring/components.hpp>
#include <rapport/value/intervals.hpp>
#include <rapport/value/value.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace rapport {

/// The `value_model` setting: the purchase model of value at stake, or `automatic` ("auto": sBG when
/// any customer has `ended_on`, else the candidate with the lowest holdout error).
enum class ValueModelSetting : std::uint8_t { bgnbd, pareto_nbd, mbgnbd, bgbb, sbg, automatic };

/// The spellings of a string-valued setting, in enumerator order (JSON, Python and messages use them).
template <class E>
struct SettingSpellings;
/// Spellings of ValueModelSetting.
template <>
struct SettingSpellings<ValueModelSetting> {
  /// "bgnbd", "pareto_nbd", "mbgnbd", "bgbb", "sbg", "auto"
  static constexpr std::array<std::string_view, 6> names{"bgnbd", "pareto_nbd", "mbgnbd", "bgbb", "sbg", "auto"};
};

/// The spelling of a string-valued setting's value.
template <class E>
constexpr std::string_view setting_spelling(E value) noexcept {
  return SettingSpellings<E>::names[static_cast<std::size_t>(value)];
}

/// Fixed Pareto/NBD parameters (`beta` and `alpha` in days), as the config's `pareto_nbd`.
struct ParetoNbdParams {
  double r = 0, alpha = 0, s = 0, beta = 0;  ///< purchase-rate shape and scale, dropout-rate shape and scale
  double log_likelihood = 0;                 ///< NaN when given
};
/// Fixed MBG/NBD parameters (`alpha` in days), as the config's `mbgnbd`.
struct MbgNbdParams {
  double r = 0, alpha = 0, a = 0, b = 0;  ///< purchase-rate shape and scale, dropout beta a and b
  double log_likelihood = 0;              ///< NaN when given
};
/// Fixed BG/BB parameters, as the config's `bgbb`.
struct BgBbParams {
  double alpha = 0, beta = 0, gamma = 0, delta = 0;  ///< purchase-probability beta, dropout-probability beta
  double log_likelihood = 0;                         ///< NaN when given
};
/// Fixed sBG parameters, as the config's `sbg`.
struct SbgParams {
  double alpha = 0, beta = 0;  ///< churn-probability beta
  double log_likelihood = 0;   ///< NaN when given
};

/// Every tunable of the scoring engine, defaulting to the design card's values. Each field's
/// domain is listed in visit_fields() (and docs/settings.md); score() rejects a config outside it.
struct ScoringConfig {
  double half_life_days = 180;         ///< recency half-life H of w(t) = 2^(-(T-t)/H)
  double period_days = 30;             ///< continuity period length
  double follow_up_days = 14;          ///< follow-through window after a purchase
  double complaint_days = 7;           ///< complaint resolution window (and recovery half-life)
  double impression_lambda = 2;        ///< λ: weight of negative impressions
  double technical_threshold = 0.9;    ///< service ladder: t needed before warmth counts
  double hospitality_threshold = 0.5;  ///< service ladder: h needed before wow counts
  double wow_window_days = 365;        ///< a +2 impression within this many days gives wow
  LoyaltyWeights loyalty_weights{0.30, 0.25, 0.20, 0.15, 0.10};    ///< loyalty-given weights
  ReferralWeights referral_weights{0.30, 0.20, 0.15, 0.20, 0.15};  ///< referral-potential weights
  double katz_beta = 0.5;                                          ///< β of chain reach
  double chain_reach_scale = 2;                                    ///< chain_reach = 1 - exp(-katz / scale)
  double timing_half_life_days = 30;                               ///< timing = 2^(-d / this)
  double tenure_full_days = 730;                                   ///< tenure saturates after this many days
  double advocacy_gate = 0.5;                   ///< below this advocacy, R is multiplied by 2·advocacy
  double ask_timing = 0.5;                      ///< ask_for_referral needs timing >= this
  double ask_advocacy = 0.7;                    ///< ask_for_referral needs advocacy >= this
  double horizon_days = 365;                    ///< value-at-stake horizon
  double p_alive_threshold = 0.5;               ///< summary: share of customers with p_alive above this
  std::optional<BgNbdParams> bgnbd;             ///< fixed BG/NBD parameters (alpha in days) instead of fitting
  std::optional<GammaGammaParams> gamma_gamma;  ///< fixed Gamma-Gamma parameters instead of fitting
  ValueModelSetting value_model = ValueModelSetting::bgnbd;  ///< purchase model of value at stake (or auto)
  double opportunity_days = 0;                ///< BG/BB: length of one purchase opportunity (0 = not set)
  double contract_period_days = 30;           ///< sBG: length of one contract period
  double discount_rate = 0;                   ///< annual, continuous discount rate of expected value
  double penalizer = 0;                       ///< L2 penalty on the log-parameters of the purchase-model fit
  std::optional<ParetoNbdParams> pareto_nbd;  ///< fixed Pareto/NBD parameters instead of fitting
  std::optional<MbgNbdParams> mbgnbd;         ///< fixed MBG/NBD parameters instead of fitting
  std::optional<BgBbParams> bgbb;             ///< fixed BG/BB parameters instead of fitting
  std::optional<SbgParams> sbg;               ///< fixed sBG parameters instead of fitting
  FitOptions fit;                             ///< fitting options
  double intervals = 0;                       ///< level of the value intervals (_lo/_hi columns); 0 = none
  IntervalMethod interval_method = IntervalMethod::parametric;  ///< how the parameter draws are made
  unsigned interval_draws = 1000;  ///< parameter draws (bootstrap: resamples) of the intervals
  unsigned interval_seed = 1;      ///< seed of the draws (the same bytes for any thread count)
  unsigned threads = 0;            ///< worker threads; 0 = all cores (capped to the machine)
};

/// Settings of a live Scorer (scorer.hpp). They change no score, so they are not part of
/// ScoringConfig (nor of the summary's config); they are declared and validated like it.
struct ScorerOptions {
  /// Contacts and purchases held, together, for customers not added yet (applied when the customer
  /// arrives); a row beyond it is rejected. 0: none held (rejected as unknown customers at once).
  std::size_t max_pending_rows = 100000;
};

/// The set of values a numeric setting may take: an interval whose ends may be open or closed,
/// finite values only. `text` says it in words for messages and docs ("must be >= 1 and <= 36500").
struct Domain {
  double low = -std::numeric_limits<double>::infinity();  ///< lower end
  double high = std::numeric_limits<double>::infinity();  ///< upper end
  bool low_open = false;                                  ///< true: low itself is excluded
  bool high_open = false;                                 ///< true: high itself is excluded
  std::string_view text;                                  ///< the domain in words, after "must be"
  /// True when `x` is finite and inside the interval.
  constexpr bool contains(double x) const noexcept {
    if (!(x == x) || x == std::numeric_limits<double>::infinity() || x == -std::numeric_limits<double>::infinity())
      return false;
    return (low_open ? x > low : x >= low) && (high_open ? x < high : x <= high);
  }
};

/// The longest duration any day-valued setting may take: 100 years.
inline constexpr double max_setting_days = 36500;
/// The most worker threads a config may ask for (more are capped to the machine anyway).
inline constexpr unsigned max_threads = 1048576;

namespace domains {
inline constexpr double inf = std::numeric_limits<double>::infinity();
/// Half-lives and periods: at least one day (shorter ones make every weight vanish).
inline constexpr Domain at_least_a_day{1, max_setting_days, false, false, ">= 1 and <= 36500"};
/// Windows and scales in days: positive, at most 100 years.
inline constexpr Domain positive_days{0, max_setting_days, true, false, "> 0 and <= 36500"};
/// A positive finite number.
inline constexpr Domain positive{0, inf, true, true, "a finite number > 0"};
/// A share or probability threshold.
inline constexpr Domain unit{0, 1, false, false, "in [0, 1]"};
/// Strictly between 0 and 1.
inline constexpr Domain open_unit{0, 1, true, true, "in (0, 1), exclusive"};
/// A weight: finite and non-negative (the weights of one score must also have a positive sum).
inline constexpr Domain weight{0, inf, false, true, "a finite number >= 0"};
/// Gamma-Gamma q: above 1, else expected spend is undefined.
inline constexpr Domain above_one{1, inf, true, true, "a finite number > 1"};
/// Fit iterations.
inline constexpr Domain iterations{1, 100000, false, false, "an integer in [1, 100000]"};
/// Fit tolerance.
inline constexpr Domain tolerance{0, 1, true, false, "in (0, 1]"};
/// Minimum customers of a fit.
inline constexpr Domain min_customers{1, 4294967295.0, false, false, "an integer >= 1"};
/// Rows a live Scorer holds.
inline constexpr Domain pending_rows{0, 4294967295.0, false, false, "an integer in [0, 4294967295]"};
/// An interval level: 0 (none) or a coverage below 1.
inline constexpr Domain interval_level{0, 1, false, true, "in [0, 1); 0 = no intervals"};
/// Parameter draws of the intervals.
inline constexpr Domain draws{1, 1000000, false, false, "an integer in [1, 1000000]"};
/// A seed.
inline constexpr Domain seed{0, 4294967295.0, false, false, "an integer in [0, 4294967295]"};
/// Worker threads.
inline constexpr Domain threads{0, max_threads, false, false, "an integer in [0, 1048576]"};
/// A rate or penalty: finite and non-negative.
inline constexpr Domain non_negative{0, inf, false, true, "a finite number >= 0"};
/// An optional duration in days: 0 (not set), else at most 100 years.
inline constexpr Domain optional_days{0, max_setting_days, false, false, "0 (not set) or > 0 and <= 36500"};
}  // namespace domains

/// One field of a settings struct `S`: its name (JSON key, Python attribute), member, domain
/// (for numbers: of the value; for weights: of each weight; unused for nested structs) and doc.
template <class S, class T>
struct Field {
  using owner_type = S;   ///< the struct holding the field
  using value_type = T;   ///< the field's type
  std::string_view name;  ///< JSON key and Python attribute
  T S::*member;           ///< pointer to the member
  Domain domain;          ///< allowed values
  std::string_view doc;   ///< one line of documentation
  /// Written to JSON only when it differs from the default (settings added later keep the bytes
  /// of every output that embeds a default config).
  bool omit_default = false;
};

/// Calls `visit(Field<S, T>{…})` once for every field of settings struct `S` (ScoringConfig,
/// BgNbdParams, GammaGammaParams, ParetoNbdParams, MbgNbdParams, BgBbParams, SbgParams,
/// FitOptions or ScorerOptions), in declaration order. A string-valued field (an enum with
/// SettingSpellings) takes one of its spellings. This is the one list of
/// settings: JSON in and out, the Python attributes and validate() all walk it.
template <class S, class V>
constexpr void visit_fields(V&& visit) {
  namespace d = domains;
  if constexpr (std::is_same_v<S, ScoringConfig>) {
    using C = ScoringConfig;
    visit(Field<C, double>{"half_life_days", &C::half_life_days, d::at_least_a_day,
                           "recency half-life H of w(t) = 2^(-(T-t)/H)"});
    visit(Field<C, double>{"period_days", &C::period_days, d::at_least_a_day, "continuity period length"});
    visit(Field<C, double>{"follow_up_days", &C::follow_up_days, d::positive_days,
                           "follow-through window after a purchase"});
    visit(Field<C, double>{"complaint_days", &C::complaint_days, d::positive_days,
                           "complaint resolution window and recovery half-life"});
    visit(Field<C, double>{"impression_lambda", &C::impression_lambda, d::positive, "weight of negative impressions"});
    visit(Field<C, double>{"technical_threshold", &C::technical_threshold, d::unit,
                           "service ladder: t needed before warmth counts"});
    visit(Field<C, double>{"hospitality_threshold", &C::hospitality_threshold, d::unit,
                           "service ladder: h needed before wow counts"});
    visit(Field<C, double>{"wow_window_days", &C::wow_window_days, d::positive_days,
                           "a +2 impression within this many days gives wow"});
    visit(Field<C, LoyaltyWeights>{"loyalty_weights", &C::loyalty_weights, d::weight,
                                   "loyalty-given weights by component"});
    visit(Field<C, ReferralWeights>{"referral_weights", &C::referral_weights, d::weight,
                                    "referral-potential weights by component"});
    visit(Field<C, double>{"katz_beta", &C::katz_beta, d::open_unit, "attenuation of chain reach per step"});
    visit(Field<C, double>{"chain_reach_scale", &C::chain_reach_scale, d::positive,
                           "chain_reach = 1 - exp(-katz / scale)"});
    visit(Field<C, double>{"timing_half_life_days", &C::timing_half_life_days, d::at_least_a_day,
                           "timing = 2^(-d / this)"});
    visit(Field<C, double>{"tenure_full_days", &C::tenure_full_days, d::positive_days,
                           "tenure saturates after this many days"});
    visit(Field<C, double>{"advocacy_gate", &C::advocacy_gate, d::unit,
                           "below this advocacy, R is multiplied by 2*advocacy"});
    visit(Field<C, double>{"ask_timing", &C::ask_timing, d::unit, "ask_for_referral needs timing >= this"});
    visit(Field<C, double>{"ask_advocacy", &C::ask_advocacy, d::unit, "ask_for_referral needs advocacy >= this"});
    visit(Field<C, double>{"horizon_days", &C::horizon_days, d::positive_days, "value-at-stake horizon"});
    visit(Field<C, double>{"p_alive_threshold", &C::p_alive_threshold, d::unit,
                           "summary: share of customers with p_alive above this"});
    visit(Field<C, std::optional<BgNbdParams>>{"bgnbd", &C::bgnbd, {}, "fixed BG/NBD parameters instead of fitting"});
    visit(Field<C, std::optional<GammaGammaParams>>{
        "gamma_gamma", &C::gamma_gamma, {}, "fixed Gamma-Gamma parameters instead of fitting"});
    visit(Field<C, FitOptions>{"fit", &C::fit, {}, "options of the maximum-likelihood fits"});
    visit(Field<C, ValueModelSetting>{
        "value_model", &C::value_model, {}, "purchase model of value at stake, or auto", true});
    visit(Field<C, double>{"opportunity_days", &C::opportunity_days, d::optional_days,
                           "BG/BB: days of one purchase opportunity (0 = not set)", true});
    visit(Field<C, double>{"contract_period_days", &C::contract_period_days, d::at_least_a_day,
                           "sBG: days of one contract period", true});
    visit(Field<C, double>{"discount_rate", &C::discount_rate, d::non_negative,
                           "annual continuous discount rate of expected value", true});
    visit(Field<C, double>{"penalizer", &C::penalizer, d::non_negative,
                           "L2 penalty on the log-parameters of the purchase-model fit", true});
    visit(Field<C, std::optional<ParetoNbdParams>>{
        "pareto_nbd", &C::pareto_nbd, {}, "fixed Pareto/NBD parameters instead of fitting", true});
    visit(Field<C, std::optional<MbgNbdParams>>{
        "mbgnbd", &C::mbgnbd, {}, "fixed MBG/NBD parameters instead of fitting", true});
    visit(Field<C, std::optional<BgBbParams>>{"bgbb", &C::bgbb, {}, "fixed BG/BB parameters instead of fitting", true});
    visit(Field<C, std::optional<SbgParams>>{"sbg", &C::sbg, {}, "fixed sBG parameters instead of fitting", true});
    visit(Field<C, double>{"intervals", &C::intervals, d::interval_level, "level of the value intervals; 0 = none",
                           true});
    visit(Field<C, IntervalMethod>{"interval_method", &C::interval_method, {}, "parametric or bootstrap", true});
    visit(Field<C, unsigned>{"interval_draws", &C::interval_draws, d::draws, "parameter draws of the intervals", true});
    visit(Field<C, unsigned>{"interval_seed", &C::interval_seed, d::seed, "seed of the interval draws", true});
    visit(Field<C, unsigned>{"threads", &C::threads, d::threads, "worker threads; 0 = all cores"});
  } else if constexpr (std::is_same_v<S, BgNbdParams>) {
    visit(Field<S, double>{"r", &S::r, d::positive, "BG/NBD purchase-rate shape"});
    visit(Field<S, double>{"alpha", &S::alpha, d::positive, "BG/NBD purchase-rate scale, in days"});
    visit(Field<S, double>{"a", &S::a, d::positive, "BG/NBD dropout beta a"});
    visit(Field<S, double>{"b", &S::b, d::positive, "BG/NBD dropout beta b"});
  } else if constexpr (std::is_same_v<S, GammaGammaParams>) {
    visit(Field<S, double>{"p", &S::p, d::positive, "Gamma-Gamma spend shape"});
    visit(Field<S, double>{"q", &S::q, d::above_one, "Gamma-Gamma shape of the spend-scale prior"});
    visit(Field<S, double>{"gamma", &S::gamma, d::positive, "Gamma-Gamma scale of the spend-scale prior"});
  } else if constexpr (std::is_same_v<S, ParetoNbdParams>) {
    visit(Field<S, double>{"r", &S::r, d::positive, "Pareto/NBD purchase-rate shape"});
    visit(Field<S, double>{"alpha", &S::alpha, d::positive, "Pareto/NBD purchase-rate scale, in days"});
    visit(Field<S, double>{"s", &S::s, d::positive, "Pareto/NBD dropout-rate shape"});
    visit(Field<S, double>{"beta", &S::beta, d::positive, "Pareto/NBD dropout-rate scale, in days"});
  } else if constexpr (std::is_same_v<S, MbgNbdParams>) {
    visit(Field<S, double>{"r", &S::r, d::positive, "MBG/NBD purchase-rate shape"});
    visit(Field<S, double>{"alpha", &S::alpha, d::positive, "MBG/NBD purchase-rate scale, in days"});
    visit(Field<S, double>{"a", &S::a, d::positive, "MBG/NBD dropout beta a"});
    visit(Field<S, double>{"b", &S::b, d::positive, "MBG/NBD dropout beta b"});
  } else if constexpr (std::is_same_v<S, BgBbParams>) {
    visit(Field<S, double>{"alpha", &S::alpha, d::positive, "BG/BB purchase-probability beta alpha"});
    visit(Field<S, double>{"beta", &S::beta, d::positive, "BG/BB purchase-probability beta beta"});
    visit(Field<S, double>{"gamma", &S::gamma, d::positive, "BG/BB dropout-probability beta gamma"});
    visit(Field<S, double>{"delta", &S::delta, d::positive, "BG/BB dropout-probability beta delta"});
  } else if constexpr (std::is_same_v<S, SbgParams>) {
    visit(Field<S, double>{"alpha", &S::alpha, d::positive, "sBG churn-probability beta alpha"});
    visit(Field<S, double>{"beta", &S::beta, d::positive, "sBG churn-probability beta beta"});
  } else if constexpr (std::is_same_v<S, FitOptions>) {
    visit(Field<S, int>{"max_iterations", &S::max_iterations, d::iterations, "iterations before giving up"});
    visit(Field<S, double>{"gradient_tolerance", &S::gradient_tolerance, d::tolerance, "convergence tolerance"});
    visit(Field<S, std::size_t>{"min_customers", &S::min_customers, d::min_customers,
                                "fewer customers cannot be fitted"});
  } else if constexpr (std::is_same_v<S, ScorerOptions>) {
    visit(Field<S, std::size_t>{"max_pending_rows", &S::max_pending_rows, d::pending_rows,
                                "contacts and purchases held for customers not added yet"});
  } else {
    static_assert(!sizeof(S), "visit_fields: not a settings struct");
  }
}

/// Checks every field of `config` against its domain (and that each score's weights have a
/// positive sum). Every entry point calls it: score(), config_from_json(), the Python setters.
/// @throws ConfigError naming the field, e.g. "config: period_days must be >= 1 and <= 36500 (got 1e-06)".
RAPPORT_API void validate(const ScoringConfig& config);

/// Checks given BG/NBD parameters (as the config's `bgnbd`): each finite and > 0.
/// @throws ConfigError naming the parameter, e.g. "config: bgnbd.r must be a finite number > 0 (got -1)".
RAPPORT_API void validate(const BgNbdParams& params);

/// Checks given Gamma-Gamma parameters (as the config's `gamma_gamma`): p, gamma > 0, q > 1.
/// @throws ConfigError naming the parameter.
RAPPORT_API void validate(const GammaGammaParams& params);

/// Checks given Pareto/NBD parameters (as the config's `pareto_nbd`): each finite and > 0.
/// @throws ConfigError naming the parameter.
RAPPORT_API void validate(const ParetoNbdParams& params);
/// Checks given MBG/NBD parameters (as the config's `mbgnbd`): each finite and > 0.
/// @throws ConfigError naming the parameter.
RAPPORT_API void validate(const MbgNbdParams& params);
/// Checks given BG/BB parameters (as the config's `bgbb`): each finite and > 0.
/// @throws ConfigError naming the parameter.
RAPPORT_API void validate(const BgBbParams& params);
/// Checks given sBG parameters (as the config's `sbg`): each finite and > 0.
/// @throws ConfigError naming the parameter.
RAPPORT_API void validate(const SbgParams& params);

/// Checks live Scorer options (names prefixed `scorer.` in messages).
/// @throws ConfigError naming the option.
RAPPORT_API void validate(const ScorerOptions& options);

/// Reads ScorerOptions from JSON text (any subset of the fields, over the defaults; unknown keys
/// are an error); the result is validated.
/// @throws ConfigError naming the offending key.
RAPPORT_API ScorerOptions scorer_options_from_json(const std::string& json_text);

/// Reads a ScoringConfig from JSON text: any subset of the fields (weights as objects keyed by
/// component name or arrays of 5; `bgnbd` {r, alpha, a, b} or null; `gamma_gamma` {p, q, gamma}
/// or null; `fit` any subset of its options; `value_model` a string such as "auto"; `pareto_nbd`,
/// `mbgnbd`, `bgbb`, `sbg` all of their parameters or null), applied over the defaults. Unknown keys are an
/// error at every level; the result is validated.
/// @throws ConfigError naming the offending key.
RAPPORT_API ScoringConfig config_from_json(const std::string& json_text);

/// Like config_from_json(json_text), but the given fields are applied over `base`.
/// @throws ConfigError naming the offending key; `base` is not modified.
RAPPORT_API ScoringConfig config_from_json(const std::string& json_text, const ScoringConfig& base);

/// The config as JSON text (all fields, except those marked omit_default while at their default).
RAPPORT_API std::string config_to_json(const ScoringConfig& config);

}  // namespace rapport
