/// @file config.hpp
/// ScoringConfig: every default of the design card in one place.
#pragma once

#include <rapport/export.hpp>
#include <rapport/value/value.hpp>

#include <array>
#include <optional>
#include <string>

namespace rapport {

/// Every tunable of the scoring engine, defaulting to the design card's values.
struct ScoringConfig {
  double half_life_days = 180;        ///< recency half-life H of w(t) = 2^(-(T-t)/H)
  double period_days = 30;            ///< continuity period length
  double follow_up_days = 14;         ///< follow-through window after a purchase
  double complaint_days = 7;          ///< complaint resolution window (and recovery half-life)
  double impression_lambda = 2;       ///< λ: weight of negative impressions
  double technical_threshold = 0.9;   ///< service ladder: t needed before warmth counts
  double hospitality_threshold = 0.5; ///< service ladder: h needed before wow counts
  double wow_window_days = 365;       ///< a +2 impression within this many days gives wow
  /// Loyalty-given weights: continuity, follow_through, impression, recovery, service_ladder.
  std::array<double, 5> loyalty_weights{0.30, 0.25, 0.20, 0.15, 0.10};
  /// Referral-potential weights: advocacy, track_record, chain_reach, timing, tenure.
  std::array<double, 5> referral_weights{0.30, 0.20, 0.15, 0.20, 0.15};
  double katz_beta = 0.5;             ///< β of chain reach
  double chain_reach_scale = 2;       ///< chain_reach = 1 - exp(-katz / scale)
  double timing_half_life_days = 30;  ///< timing = 2^(-d / this)
  double tenure_full_days = 730;      ///< tenure saturates after this many days
  double advocacy_gate = 0.5;         ///< below this advocacy, R is multiplied by 2·advocacy
  double ask_timing = 0.5;            ///< ask_for_referral needs timing >= this
  double ask_advocacy = 0.7;          ///< ask_for_referral needs advocacy >= this
  double horizon_days = 365;          ///< value-at-stake horizon
  double p_alive_threshold = 0.5;     ///< summary: share of customers with p_alive above this
  std::optional<BgNbdParams> bgnbd;            ///< fixed BG/NBD parameters (alpha in days) instead of fitting
  std::optional<GammaGammaParams> gamma_gamma; ///< fixed Gamma-Gamma parameters instead of fitting
  FitOptions fit;                     ///< fitting options
  unsigned threads = 0;               ///< worker threads; 0 = all cores
};

/// Reads a ScoringConfig from JSON text: any subset of the field names above (weights as
/// objects keyed by component name or arrays of 5; `bgnbd` {r, alpha, a, b}; `gamma_gamma`
/// {p, q, gamma}). Unknown keys are an error.
/// @throws std::invalid_argument with the offending key.
RAPPORT_API ScoringConfig config_from_json(const std::string& json_text);

/// The config as JSON text (all fields).
RAPPORT_API std::string config_to_json(const ScoringConfig& config);

}  // namespace rapport
