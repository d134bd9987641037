/// @file score.hpp
/// The scoring engine: loyalty given, up-serve opportunity and referral potential, explained.
#pragma once

#include <rapport/scoring/config.hpp>
#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/graph/referral.hpp>
#include <rapport/value/value.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport {

/// The recommended next action for a customer.
enum class NextAction : std::uint8_t {
  none,                  ///< every evidenced gap is zero
  reach_out,             ///< continuity is the largest gap
  follow_up_after_sale,  ///< follow-through is the largest gap
  repair_impression,     ///< impression quality is the largest gap
  resolve_complaint,     ///< a complaint is open past its window, or recovery is the largest gap
  fix_basics,            ///< service ladder gap with technical reliability below threshold
  add_hospitality,       ///< service ladder gap with warmth below threshold
  create_wow             ///< service ladder gap with only the wow rung missing
};

/// snake_case name of a next action, as in the CSV output.
RAPPORT_API std::string_view to_string(NextAction a) noexcept;

/// Names of the five loyalty-given components, in table order.
inline constexpr std::array<std::string_view, 5> loyalty_components{"continuity", "follow_through", "impression",
                                                                    "recovery", "service_ladder"};
/// Names of the five referral-potential components, in table order.
inline constexpr std::array<std::string_view, 5> referral_components{"advocacy", "track_record", "chain_reach",
                                                                     "timing", "tenure"};

/// Scores of the scored customers (acquired_on <= as-of), one entry per customer in input order.
/// A NaN component means "no evidence" (an empty CSV cell).
struct Scores {
  std::vector<std::uint32_t> customer;  ///< customer index into CustomerBase
  std::vector<double> loyalty_given;    ///< L in [0, 100]
  std::array<std::vector<double>, 5> loyalty;   ///< the five loyalty components (NaN = no evidence)
  std::array<std::vector<std::uint32_t>, 5> loyalty_evidence;  ///< evidence count per component
  std::vector<double> ladder_technical;   ///< service ladder t
  std::vector<double> ladder_hospitality; ///< service ladder h
  std::vector<std::uint8_t> ladder_wow;   ///< service ladder o
  std::vector<std::uint8_t> overdue_complaint;  ///< 1 when a complaint is open past its window
  std::vector<double> frequency;          ///< BG/NBD x (NaN without purchases)
  std::vector<double> recency;            ///< BG/NBD t_x in days (NaN without purchases)
  std::vector<double> age;                ///< BG/NBD T in days (NaN without purchases)
  std::vector<double> monetary;           ///< mean repeat spend (NaN when x = 0)
  std::vector<double> p_alive;            ///< probability alive (NaN without purchases)
  std::vector<double> expected_purchases; ///< over the horizon (NaN without purchases)
  std::vector<double> expected_value;     ///< expected purchases × spend (0 without purchases)
  std::vector<double> upserve_value;      ///< expected_value × (1 − L/100)
  std::vector<double> upserve_score;      ///< mid-rank percentile of upserve_value
  std::vector<NextAction> next_action;    ///< recommended action
  std::vector<double> next_action_gap;    ///< weighted gap that chose it (NaN for an overdue complaint without it)
  std::vector<double> referral_potential; ///< R in [0, 100]
  std::array<std::vector<double>, 5> referral;  ///< the five referral components (NaN = no evidence)
  std::vector<std::uint32_t> purchases_counted;  ///< purchases before T (timing's evidence)
  std::vector<std::uint8_t> ask_for_referral;  ///< 1 = ask now
  /// Number of scored customers.
  std::size_t size() const noexcept { return customer.size(); }
};

/// Everything a scoring run produces.
struct ScoreResult {
  day_t as_of = 0;             ///< the as-of date D
  Scores scores;               ///< per-customer scores
  ReferralForest forest;       ///< per-person referral results
  BgNbdParams bgnbd;           ///< BG/NBD parameters used (alpha in days)
  GammaGammaParams gamma_gamma;  ///< Gamma-Gamma parameters used
  bool bgnbd_fitted = false;   ///< false when the parameters were given
  bool gamma_gamma_fitted = false;  ///< false when the parameters were given
  std::size_t bgnbd_customers = 0;  ///< customers in the BG/NBD fit
  std::size_t gamma_gamma_customers = 0;  ///< customers in the Gamma-Gamma fit
};

/// Evidence counts of the five referral components of row `row`: impressions, converted
/// referrals, descendants, purchases, and 1 for tenure.
RAPPORT_API std::array<std::uint32_t, 5> referral_evidence(const ScoreResult& result, std::size_t row);

/// Progress callback: (customers done, customers total).
using ProgressFn = std::function<void(std::size_t, std::size_t)>;

/// Scores `base` as of `as_of` (default: the base's default_as_of()).
/// @throws FitError when the value models cannot be fitted; InputError for an empty base.
RAPPORT_API ScoreResult score(const CustomerBase& base, std::optional<day_t> as_of = std::nullopt,
                              const ScoringConfig& config = {}, const ProgressFn& progress = {});

/// Scores as of a Boost date.
RAPPORT_API ScoreResult score(const CustomerBase& base, const boost::gregorian::date& as_of,
                              const ScoringConfig& config = {});

/// The base-wide summary (load counts, distributions, Critical Wheel, revenue shares, referral
/// statistics, fitted parameters) as JSON text.
RAPPORT_API std::string summary_json(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                                     const ScoringConfig& config = {});

/// One customer's explanation (row `row` of result.scores) as a single-line JSON object.
RAPPORT_API std::string explain_json(const CustomerBase& base, const ScoreResult& result, std::size_t row,
                                     const ScoringConfig& config = {});

}  // namespace rapport
