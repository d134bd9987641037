/// @file summary.hpp
/// The base-wide summary as a C++ struct (every figure a field) and its JSON rendering.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/value/models.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rapport {

struct ScoreResult;

/// A distribution of loyalty given: count, mean, extremes and quantiles by linear interpolation
/// (numpy's default). Every statistic is NaN when `customers` is 0.
struct Distribution {
  std::size_t customers = 0;  ///< number of values
  double mean = 0;            ///< arithmetic mean
  double min = 0;             ///< smallest value
  double p10 = 0;             ///< 10th percentile
  double p25 = 0;             ///< 25th percentile
  double median = 0;          ///< 50th percentile
  double p75 = 0;             ///< 75th percentile
  double p90 = 0;             ///< 90th percentile
  double max = 0;             ///< largest value
};

/// One sales stage of the Critical Wheel: its contacts, its share of the four sales stages and
/// the gap to its target share (Welcome 0.4, Discovery 0.3, Presentation 0.2, Closing 0.1).
struct WheelStage {
  Stage stage = Stage::welcome;  ///< the stage
  std::size_t contacts = 0;      ///< contacts of scored customers before T at this stage
  double share = 0;              ///< contacts / sales-stage contacts (0 when there are none)
  double target = 0;             ///< the target share
  double gap = 0;                ///< share − target
};

/// A referral tree among the largest ones.
struct ReferralTree {
  std::string root_id;            ///< the topmost person
  std::uint32_t tree_size = 0;    ///< people in the tree, the root included
  bool root_is_customer = false;  ///< whether the root is a customer (not a prospect)
  std::uint32_t root = 0;         ///< the root's person index in the base (not in the JSON)
};

/// An acquiring edge dropped to break a cycle.
struct DroppedEdge {
  std::string referrer_id;  ///< who referred
  std::string referred_id;  ///< who was referred
};

/// A value model in the summary: fitted, given, or unavailable (and why).
struct ModelSummary {
  bool available = false;                    ///< parameters were fitted or given
  bool fitted = false;                       ///< parameters were fitted on this base
  std::string reason;                        ///< why the model is unavailable (empty when available)
  std::size_t customers = 0;                 ///< customers the fit was over
  std::map<std::string, double> parameters;  ///< parameter name → value (empty when unavailable)
  std::optional<double> log_likelihood;      ///< maximised log-likelihood (when fitted)
};

/// One candidate of `value_model = auto`: fitted on the calibration part of the base's history
/// and judged on its holdout.
struct ModelCandidate {
  ValueModelName name = ValueModelName::bgnbd;  ///< the candidate
  bool fitted = false;                          ///< fitted on the calibration part
  std::string error;                            ///< why it could not be fitted (empty when fitted)
  std::size_t customers = 0;                    ///< calibration customers (a purchase before the holdout)
  double log_likelihood = std::numeric_limits<double>::quiet_NaN();  ///< calibration fit's LL
  double aic = std::numeric_limits<double>::quiet_NaN();             ///< calibration fit's AIC
  double bic = std::numeric_limits<double>::quiet_NaN();             ///< calibration fit's BIC
  /// Mean absolute error per calibration customer of holdout repeat purchases (the criterion).
  double holdout_mae = std::numeric_limits<double>::quiet_NaN();
  double holdout_predicted = std::numeric_limits<double>::quiet_NaN();  ///< predicted holdout purchases, all customers
  double holdout_actual = std::numeric_limits<double>::quiet_NaN();     ///< actual holdout purchases, all customers
};

/// How the purchase model was chosen (`value_model = auto`; `automatic` false otherwise).
struct ModelSelection {
  bool automatic = false;                         ///< the setting was auto
  day_t holdout_first = 0;                        ///< first day of the holdout (purchase days from it on are held out)
  day_t holdout_last = 0;                         ///< last purchase day of the base before T
  std::int32_t holdout_days = 0;                  ///< min(365, ⌊span/3⌋); 0 when no holdout was made
  std::vector<ModelCandidate> candidates;         ///< in table order: bgnbd, pareto_nbd, mbgnbd[, bgbb]
  ValueModelName winner = ValueModelName::bgnbd;  ///< the model refitted on everything
  std::string reason;                             ///< why it won, in words
};

/// The base-wide summary of one scoring run (the card's "Summary"): over scored customers and
/// events before T.
struct Summary {
  day_t as_of = 0;                                        ///< the as-of date D
  TableCounts customers_rows;                             ///< customers rows read and rejected
  TableCounts contacts_rows;                              ///< contacts rows read and rejected
  TableCounts purchases_rows;                             ///< purchases rows read and rejected
  TableCounts referrals_rows;                             ///< referrals rows read and rejected
  std::map<std::string, std::size_t> rejected_by_reason;  ///< "table: reason" → rejected rows
  /// From a live Scorer: the rows tables also show `pending` (rows held for customers not added
  /// yet, counted in `rejected` as a full run of the same rows would count them).
  bool live = false;
  std::size_t customers_scored = 0;            ///< n: customers acquired on or before D
  std::size_t customers_not_yet_acquired = 0;  ///< customers acquired after D

  Distribution loyalty_overall;                             ///< loyalty given over all n
  std::map<std::string, Distribution> loyalty_per_segment;  ///< per segment ("(none)" for empty)
  /// Per value decile 1..10 (stable sort by expected_value); empty when value at stake is unknown.
  std::vector<Distribution> loyalty_per_value_decile;
  /// Mean L of decile 10 − mean L of the others: nullopt when either side is empty or value at
  /// stake is unknown (see value_known).
  std::optional<double> top_decile_gap;
  bool value_known = false;  ///< both value models available: value deciles are meaningful

  std::array<WheelStage, 4> wheel_stages{};  ///< the four sales stages in order
  std::size_t sales_stage_contacts = 0;      ///< contacts at the four sales stages
  std::size_t service_contacts = 0;          ///< contacts at the service stage
  double service_share = 0;                  ///< service contacts / all contacts (0 when none)
  double service_per_sales_contact = 0;      ///< service contacts / sales contacts (0 when none)

  double revenue_total = 0;                                      ///< sum of purchase amounts before T
  std::optional<double> repeat_share;                            ///< share from a day after the first purchase day
  std::optional<double> from_customers_two_years_or_more_share;  ///< share from customers of tenure ≥ tenure_full_days

  std::size_t referral_edges_before_as_of = 0;       ///< referral rows with at < T
  std::size_t people = 0;                            ///< nodes of the referral graph
  std::size_t converted_referrals = 0;               ///< edges of the acquisition forest
  double k_factor = 0;                               ///< converted_referrals / n
  std::vector<std::uint32_t> chain_depth_histogram;  ///< scored customers per generation
  std::vector<ReferralTree> largest_trees;           ///< up to ten, by size then root id
  std::vector<DroppedEdge> cycles_broken;            ///< acquiring edges dropped to break cycles

  std::size_t customers_with_purchases = 0;                          ///< scored customers with a purchase before T
  std::optional<double> share_p_alive_above_threshold;               ///< over n (nullopt without BG/NBD)
  std::optional<double> share_p_alive_above_threshold_among_buyers;  ///< over buyers
  std::optional<double> expected_value_total;                        ///< nullopt when value at stake is unknown
  std::optional<double> upserve_value_total;                         ///< nullopt when value at stake is unknown
  std::size_t ask_for_referral_customers = 0;                        ///< customers to ask for a referral now
  std::array<std::size_t, 8> next_actions{};                         ///< customers per NextAction, in enum order

  ModelSummary bgnbd;        ///< the BG/NBD model
  ModelSummary gamma_gamma;  ///< the Gamma-Gamma model
  /// The purchase model in use (ScoreResult::purchase_model) and its availability; in the JSON
  /// (`purchase_model`, and `model_selection` for auto) when `value_model` is not bgnbd.
  ValueModel purchase_model;
  ModelSummary purchase_model_status;  ///< fitted, customers and why unavailable (parameters unused)
  ModelSelection selection;            ///< how auto chose (automatic false otherwise)
  ScoringConfig config;                ///< the config of the run
};

/// A sum that merges exactly: the exact sum of every value added (in any order, split into any
/// groups and merged), rounded once to the nearest double (Shewchuk's algorithm, as Python's
/// math.fsum). Every total of the summary is one, so a base summarised in parts gives the same
/// bits as summarised whole.
class RAPPORT_API ExactSum {
public:
  /// Adds `x` (a non-finite `x` makes the sum non-finite, as a plain sum would).
  void add(double x);
  /// Adds everything `other` holds.
  void merge(const ExactSum& other);
  /// The exact sum rounded to the nearest double (ties to even).
  double value() const;
  /// The non-overlapping partial sums whose exact sum is the total (for serialisation).
  const std::vector<double>& parts() const noexcept { return partials_; }
  /// The sum of `parts` as parts() gave them (for deserialisation).
  static ExactSum from_parts(std::vector<double> parts);

private:
  std::vector<double> partials_;  // exact, non-overlapping, increasing magnitude
  double special_ = 0;            // the plain sum of non-finite values added
};

/// The referral figures of the summary: from the acquisition forest over the whole referral
/// graph, so exactly one part of a base carries them.
struct ReferralFigures {
  std::size_t edges_before_as_of = 0;                ///< referral rows with at < T
  std::size_t people = 0;                            ///< nodes of the referral graph
  std::size_t converted_referrals = 0;               ///< edges of the acquisition forest
  std::vector<std::uint32_t> chain_depth_histogram;  ///< scored customers per generation
  std::vector<ReferralTree> largest_trees;           ///< up to ten, by size then root id
  std::vector<DroppedEdge> cycles_broken;            ///< acquiring edges dropped to break cycles
};

/// What one part of a base (a range of its scored customers, a partition of a distributed run)
/// gives the summary: counts, exact sums and, per scored customer, what the quantiles and value
/// deciles need (its position in the whole base's input order, segment, loyalty given and
/// expected value). Parts of disjoint customers merge (merge_summary_partials) into the part of
/// their union; finish_summary() turns the whole base's part into its Summary. summarize() is
/// finish_summary() of one part; the live Scorer and rapport.dask go the same way.
struct SummaryPartial {
  day_t as_of = 0;                                                            ///< the as-of date (equal in every part)
  TableCounts customers_rows, contacts_rows, purchases_rows, referrals_rows;  ///< rows read and rejected
  std::map<std::string, std::size_t> rejected_by_reason;                      ///< "table: reason" → rejected rows
  std::size_t customers_scored = 0;                                           ///< scored customers of the part
  std::size_t customers_not_yet_acquired = 0;   ///< customers acquired after the as-of date
  std::vector<std::uint64_t> order;             ///< per scored customer: position in the whole base
  std::vector<std::uint32_t> segment;           ///< per scored customer: index into segment_names
  std::vector<std::string> segment_names;       ///< the part's segments ("" = none)
  std::vector<double> loyalty_given;            ///< per scored customer
  std::vector<double> expected_value;           ///< per scored customer (NaN when unknown)
  std::array<std::size_t, 5> stage_contacts{};  ///< contacts before T per stage (enum order)
  ExactSum revenue, repeat_revenue,
      tenured_revenue;                       ///< purchase amounts before T: all, repeat days, tenured customers
  std::size_t customers_with_purchases = 0;  ///< scored customers with a purchase before T
  std::size_t p_alive_above_threshold = 0;   ///< scored customers with p_alive above the threshold
  ExactSum expected_value_total, upserve_value_total;  ///< over scored customers
  std::size_t ask_for_referral_customers = 0;          ///< customers to ask for a referral now
  std::array<std::size_t, 8> next_actions{};           ///< customers per NextAction, in enum order
  bool p_alive_known = true;                           ///< the purchase model was available in every part
  bool value_known = true;                             ///< value at stake was known in every part
  std::optional<ReferralFigures> referrals;            ///< set in exactly one part of a base
};

/// The value models as the summary shows them.
struct SummaryModels {
  ModelSummary bgnbd;                  ///< the BG/NBD model ("not used" under another purchase model)
  ModelSummary gamma_gamma;            ///< the Gamma-Gamma model
  ValueModel purchase_model;           ///< the purchase model in use (Summary::purchase_model)
  ModelSummary purchase_model_status;  ///< its availability (Summary::purchase_model_status)
  ModelSelection selection;            ///< how auto chose (Summary::selection)
};

/// The customers' part of the summary of `result`'s scored customers (no referral figures).
/// `order` gives each scored customer's position in the whole base (default: its row in
/// `result`, for a base summarised whole).
/// @throws InputError when `order` is given with another length than the scored customers.
RAPPORT_API SummaryPartial summary_partial(const CustomerBase& base, const LoadReport& report,
                                           const ScoreResult& result, const ScoringConfig& config,
                                           std::span<const std::uint64_t> order = {});

/// The referral figures of a run over the whole referral graph (and nothing else; its rows are
/// counted by the part that holds it only when `count_rows` is true).
RAPPORT_API SummaryPartial referral_summary_partial(const CustomerBase& base, const LoadReport& report,
                                                    const ScoreResult& result, bool count_rows = true);

/// The part of the union of disjoint parts (any order: the result does not depend on it).
/// @throws InputError when `parts` is empty, the as-of dates differ or two parts carry referral figures.
RAPPORT_API SummaryPartial merge_summary_partials(std::vector<SummaryPartial> parts);

/// The value models of `result` as the summary shows them.
RAPPORT_API SummaryModels summary_models(const ScoreResult& result);

/// The Summary of a whole base from its merged part, its value models and the run's config.
RAPPORT_API Summary finish_summary(const SummaryPartial& whole, const SummaryModels& models,
                                   const ScoringConfig& config);

/// A part as bytes (for moving it between processes) and back.
RAPPORT_API std::string to_bytes(const SummaryPartial& part);
/// The part to_bytes() wrote. @throws InputError on bytes it did not write.
RAPPORT_API SummaryPartial summary_partial_from_bytes(std::string_view bytes);

/// The base-wide summary of a scoring run: finish_summary() of merge_summary_partials() of
/// summary_partial() and referral_summary_partial().
RAPPORT_API Summary summarize(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                              const ScoringConfig& config = {});

/// The summary of a streamed run (score_to), built from its batches as they come: add() each batch
/// the sink receives, then summary() gives summarize() of score()'s result for the same run, bit
/// for bit. Holds, per scored customer, what the quantiles and value deciles need (about 28 bytes).
/// Keeps references to `base`, `report` and `config`, which must outlive it.
class RAPPORT_API SummaryRows {
public:
  /// Checks `base` (as summarize() does) and starts an empty part.
  /// @throws InputError when `base` does not meet the row rules.
  SummaryRows(const CustomerBase& base, const LoadReport& report, const ScoringConfig& config);
  /// Adds a batch: rows [first, first + batch.scores.size()) of the run, following the rows added so far.
  /// @throws InputError for a batch out of order or of another base.
  void add(const ScoreResult& batch, std::size_t first);
  /// The summary of the run once every batch is added; `run` is what score_to() returned. Call it
  /// once: the rows added are handed over (the object starts empty again).
  /// @throws InputError when the run's referral results are not of the base.
  Summary summary(const ScoreResult& run);

private:
  const CustomerBase& base_;
  const LoadReport& report_;
  const ScoringConfig& config_;
  SummaryPartial part_;
  bool started_ = false;
};

/// The summary as JSON text (pretty-printed, two-space indent).
RAPPORT_API std::string to_json(const Summary& summary);

/// The two value models as compact JSON, `{"bgnbd": {...}, "gamma_gamma": {...}}`, each object as
/// to_json() writes it (the runs table's parameters column).
RAPPORT_API std::string value_models_json(const Summary& summary);

/// summarize() rendered as JSON: `to_json(summarize(base, report, result, config))`.
RAPPORT_API std::string summary_json(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                                     const ScoringConfig& config = {});

}  // namespace rapport
