/// @file score.hpp
/// The scoring engine: loyalty given, up-serve opportunity and referral potential, explained.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/components.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/scoring/explain.hpp>
#include <rapport/scoring/referral.hpp>
#include <rapport/scoring/summary.hpp>
#include <rapport/value/models.hpp>
#include <rapport/value/value.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
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

/// Scores of the scored customers (acquired_on <= as-of), one entry per customer in input order.
/// A NaN component means "no evidence" (an empty CSV cell).
struct Scores {
  std::vector<std::uint32_t> customer;                            ///< customer index into CustomerBase
  std::vector<double> loyalty_given;                              ///< L in [0, 100]
  ComponentArray<LoyaltyComponent, std::vector<double>> loyalty;  ///< the loyalty components (NaN = no evidence)
  ComponentArray<LoyaltyComponent, std::vector<std::uint32_t>> loyalty_evidence;  ///< evidence count per component
  std::vector<double> ladder_technical;                                           ///< service ladder t
  std::vector<double> ladder_hospitality;                                         ///< service ladder h
  std::vector<std::uint8_t> ladder_wow;                                           ///< service ladder o
  std::vector<std::uint8_t> overdue_complaint;  ///< 1 when a complaint is open past its window
  std::vector<double> frequency;                ///< BG/NBD x (NaN without purchases)
  std::vector<double> recency;                  ///< BG/NBD t_x in days (NaN without purchases)
  std::vector<double> age;                      ///< BG/NBD T in days (NaN without purchases)
  std::vector<double> monetary;                 ///< mean repeat spend (NaN when x = 0)
  std::vector<double> p_alive;                  ///< probability alive (NaN without purchases or without BG/NBD)
  std::vector<double> expected_purchases;       ///< over the horizon (NaN without purchases or without BG/NBD)
  std::vector<double> expected_value;  ///< expected purchases × spend (0 without purchases; NaN without a value model)
  std::vector<double> upserve_value;   ///< expected_value × (1 − L/100) (NaN without a value model)
  std::vector<double> upserve_score;   ///< mid-rank percentile of upserve_value (NaN without a value model)
  ValueIntervals intervals;  ///< _lo/_hi of p_alive, expected purchases and value (empty unless config.intervals > 0)
  std::vector<NextAction> next_action;     ///< recommended action
  std::vector<double> next_action_gap;     ///< weighted gap that chose it (NaN for an overdue complaint without it)
  std::vector<double> referral_potential;  ///< R in [0, 100]
  ComponentArray<ReferralComponent, std::vector<double>> referral;  ///< the referral components (NaN = no evidence)
  std::vector<std::uint32_t> purchases_counted;                     ///< purchases before T (timing's evidence)
  std::vector<std::uint8_t> ask_for_referral;                       ///< 1 = ask now
  /// Number of scored customers.
  std::size_t size() const noexcept { return customer.size(); }
};

/// Everything a scoring run produces.
struct ScoreResult {
  day_t as_of = 0;                        ///< the as-of date D
  Scores scores;                          ///< per-customer scores
  ReferralForest forest;                  ///< per-person referral results
  BgNbdParams bgnbd;                      ///< BG/NBD parameters used (alpha in days); zeros when unavailable
  GammaGammaParams gamma_gamma;           ///< Gamma-Gamma parameters used; zeros when unavailable
  bool bgnbd_fitted = false;              ///< true when fitted on this base (false when given or unavailable)
  bool gamma_gamma_fitted = false;        ///< true when fitted on this base (false when given or unavailable)
  std::size_t bgnbd_customers = 0;        ///< customers in the BG/NBD fit
  std::size_t gamma_gamma_customers = 0;  ///< customers in the Gamma-Gamma fit
  /// Why BG/NBD (or the purchase model in use, see purchase_model) could not be fitted (too few
  /// customers, no repeat buyer, no convergence); empty when it was fitted or given. Non-empty: p_alive,
  /// expected_purchases and every value column are NaN.
  std::string bgnbd_error;
  /// Why Gamma-Gamma could not be fitted; empty when it was fitted or given. Non-empty:
  /// expected_value, upserve_value and upserve_score are NaN.
  std::string gamma_gamma_error;
  /// The purchase model of value at stake (the `value_model` setting; for auto the winner) with
  /// its fit statistics (parameters empty when unavailable; standard errors, AIC and BIC NaN
  /// when given, or for BG/NBD by default, which keeps its fast fit). For a model other than
  /// BG/NBD, `bgnbd` stays zero and bgnbd_fitted / bgnbd_customers / bgnbd_error describe this
  /// model instead (the purchase model's availability, whichever model it is).
  ValueModel purchase_model;
  /// How `purchase_model` was chosen (auto only).
  ModelSelection selection;
  /// True when both value models are available (value at stake is known).
  bool value_known() const noexcept { return bgnbd_error.empty() && gamma_gamma_error.empty(); }
};

/// Strict mode: throws the fit error of the first value model that is unavailable.
/// @throws FitError naming the model and why it could not be fitted.
RAPPORT_API void check_value_models(const ScoreResult& result);

/// Evidence counts of the five referral components of row `row`: impressions, converted
/// referrals, descendants, purchases, and 1 for tenure.
RAPPORT_API ComponentArray<ReferralComponent, std::uint32_t> referral_evidence(const ScoreResult& result,
                                                                               std::size_t row);

/// Progress callback: (customers done, customers total).
using ProgressFn = std::function<void(std::size_t, std::size_t)>;

/// Scores `base` as of `as_of` (default: the base's default_as_of()). A value model that cannot
/// be fitted (and was not given) does not fail the run: its columns are NaN and
/// ScoreResult::bgnbd_error / gamma_gamma_error say why (check_value_models() for strict mode).
/// @throws ConfigError when `config` is outside its domain (validate()); InputError for an empty base.
RAPPORT_API ScoreResult score(const CustomerBase& base, std::optional<day_t> as_of = std::nullopt,
                              const ScoringConfig& config = {}, const ProgressFn& progress = {});

/// Scores one partition of a larger base: as score(), except that the referral results are
/// given instead of built from `base`'s own referral rows (the acquisition forest needs every
/// referral edge of the whole base, so it is built once elsewhere with build_referral_forest()).
/// `referrals` holds one entry per customer of `base` (person index = customer index, so
/// `base` carries no referral rows); its `root` may be no_index where the root lives outside
/// the partition (the caller keeps the root keys). Value models come from `config` as usual:
/// a distributed run fits them once and passes the parameters in config.bgnbd / gamma_gamma.
/// upserve_score ranks within the partition only; a distributed run re-ranks over all parts.
/// @throws ConfigError when `config` is invalid; InputError when `referrals`' columns are not
/// sized to the customers of `base`.
RAPPORT_API ScoreResult score_partition(const CustomerBase& base, day_t as_of, const ScoringConfig& config,
                                        ReferralForest referrals);

/// Receives a scoring run's scores in batches of consecutive scored customers, in customer order
/// (score_to()). A writer that needs one row at a time keeps nothing but what it writes.
class RAPPORT_API ScoreSink {
public:
  virtual ~ScoreSink() = default;
  /// One batch: `batch.scores` holds the run's scored rows [first, first + batch.scores.size()),
  /// bit for bit as score() gives them; every other field of `batch` (as-of date, referral
  /// forest, value models, errors) is the run's, final from the first batch on. Valid during the
  /// call only. Called once per batch, in row order, never concurrently.
  virtual void rows(const ScoreResult& batch, std::size_t first) = 0;
};

/// Scores `base` exactly as score() does, but hands the scores to `sink` in batches instead of
/// holding them, so that a run never holds every result column at once: only what the base-wide
/// steps need (loyalty given and the value models' inputs until the fits, one up-serve column
/// for the percentiles) plus one batch. The batches together are score()'s `scores`, bit for bit,
/// for any thread count; each batch's rows are scored a second time to produce them. Returns
/// everything else of the run (`scores` empty); the number of scored customers is the rows the
/// sink received. @throws as score(), and whatever `sink` throws (the run stops there).
RAPPORT_API ScoreResult score_to(ScoreSink& sink, const CustomerBase& base, std::optional<day_t> as_of = std::nullopt,
                                 const ScoringConfig& config = {}, const ProgressFn& progress = {});

/// Scores as of a Boost date.
RAPPORT_API ScoreResult score(const CustomerBase& base, const boost::gregorian::date& as_of,
                              const ScoringConfig& config = {});

}  // namespace rapport
