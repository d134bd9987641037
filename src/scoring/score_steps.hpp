// Private: the steps of score(), one by one, for callers that run them on part of a base (the
// live Scorer). They are the very functions score() runs; there is no second scoring path.
#pragma once

#include <rapport/export.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/value/models.hpp>

#include "value/model_columns.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

/// Whether scored row `r` enters the BG/NBD fit (it has purchases before T).
inline bool bgnbd_input(const Scores& s, std::size_t r) noexcept { return !std::isnan(s.frequency[r]); }
/// Whether scored row `r` enters the Gamma-Gamma fit (a repeat buyer with a positive mean spend).
inline bool gamma_gamma_input(const Scores& s, std::size_t r) noexcept {
  return s.frequency[r] >= 1 && s.monetary[r] > 0;
}

/// Customer `c`'s purchases before T (`at < T`), in their stored order: each(at, amount). The walk
/// of the purchases the value models see: score.cpp's purchases_before (scoring and
/// value_input_columns: (day, amount) pairs) and value_models.cpp's purchase_days (the distinct
/// days up to D for BG/BB, value_span and auto's holdout, with T = midnight(D + 1)). The holdout
/// validation (validate.cpp) and the summary's revenue sums (summary.cpp) still walk with their
/// own loops over the same `at < T` rule.
template <class Each>
void each_purchase_before(const CustomerBase& b, std::uint32_t c, seconds_t T, Each&& each) {
  for (auto k = b.purchase_offsets[c]; k < b.purchase_offsets[c + 1]; ++k)
    if (b.purchase_at[k] < T) each(b.purchase_at[k], b.purchase_amount[k]);
}

/// Sizes every column of `s` to `n` rows.
void resize_scores(Scores& s, std::size_t n, unsigned threads);

/// Scores customers `rows[r]` into row r of out.scores (sized already) — everything but value at
/// stake and percentiles — with out.as_of and out.forest (built over the whole base).
void score_rows(const CustomerBase& base, const std::vector<std::uint32_t>& rows, const ScoringConfig& config,
                unsigned threads, const ProgressFn& progress, ScoreResult& out);

/// Takes config's model parameters, or fits them over out.scores (an unfittable model recorded
/// in out.*_error, not thrown).
void fit_value_models(const ScoringConfig& config, ScoreResult& out);

/// p_alive, expected purchases, expected value and up-serve value of every row of out.scores
/// with out's model parameters.
void fill_value_columns(const ScoringConfig& config, unsigned threads, ScoreResult& out);

/// BG/BB's inputs from a customer's distinct purchase days `days` (ascending, non-empty) as of D:
/// periods of `opp` days count from the first purchase day (period 0 holds it); x = later periods
/// with a purchase, t_x = the last such period's index (0 when none), n = whole periods between
/// the first purchase day and T (⌊(D + 1 − first) / opp⌋).
void bgbb_inputs(const std::vector<day_t>& days, day_t D, double opp, double& x, double& t_x, double& n);

/// sBG's inputs: periods of `cp` days count from acquired_on; a contract that ended before T
/// (ended_on <= D) is lost (`ended` 1) after the whole periods it completed, ⌊(ended_on −
/// acquired_on) / cp⌋; otherwise it survived the whole periods up to T, ⌊(D + 1 − acquired_on) / cp⌋.
void sbg_inputs(day_t acquired, day_t ended_on, day_t D, double cp, double& periods, std::uint8_t& ended);

/// out.purchase_model from out.bgnbd (the default path's fast fit: no standard errors).
void record_bgnbd_model(ScoreResult& out);

/// The live Scorer's config in force: `config` (as given) takes the parameters of the value models
/// `result` used (BG/NBD or the purchase model in use, which `auto` resolves to its winner, and
/// Gamma-Gamma), so later rows are scored with the same models.
void keep_model_params(const ScoreResult& result, ScoringConfig& config);

/// After a rerun with the parameters kept by keep_model_params: the fit's figures (fitted flags,
/// log-likelihoods, standard errors, the auto selection) of `before`, where both runs used the
/// same parameters.
void keep_fit_figures(const ScoreResult& before, ScoreResult& after);

/// Whether value at stake takes the model path (value_models.cpp): a `value_model` other than
/// bgnbd, a discount rate, a penalizer, or customers with an `ended_on` column. Otherwise fit_value_models and
/// fill_value_columns alone (today's bytes).
bool model_path(const CustomerBase& base, const ScoringConfig& config);

/// The model path: chooses the purchase model (auto), fits or takes it and Gamma-Gamma, and fills
/// p_alive, expected purchases, expected value and up-serve value of every row of out.scores
/// (known-lost customers 0, expected value discounted at config.discount_rate).
/// @throws ConfigError when bgbb runs without opportunity_days.
void score_value_models(const CustomerBase& base, const ScoringConfig& config, unsigned threads, ScoreResult& out);

/// A model's per-customer input rows, as distinct rows with their customer counts (`weights`): one
/// input family of the purchase models, or the patterns of the intervals' step (a). Beside the
/// model's columns, each row may carry `actual` (auto's calibration rows) or the spend inputs
/// (`spend_x`, `spend_m`: IntervalPatterns); a column a family does not use is empty.
struct ModelRows : ModelColumns {
  std::vector<double> actual;   ///< holdout repeat purchases (auto's calibration rows), else empty
  std::vector<double> spend_x;  ///< Gamma-Gamma's x: repeat purchases (0 without any; IntervalPatterns), else empty
  std::vector<double> spend_m;  ///< Gamma-Gamma's m: mean repeat spend (0 without repeat purchases), else empty
  /// The spend inputs as Gamma-Gamma's ModelData (x = spend_x, m = spend_m, the rows' weights; spans
  /// over them, valid while this object lives unchanged).
  ModelData spend_data() const;
};

/// How many double columns a row is sorted by (row_keys).
inline constexpr std::size_t kRowKeys = 9;
/// The double columns of `rows` in the order merge_rows sorts by: x, t_x, T, n, m, periods, actual,
/// spend_x, spend_m (then `ended`, a byte column).
std::array<std::vector<double>*, kRowKeys> row_keys(ModelRows& rows);

/// The rows `order` of `from` (every column it has, weights included), in that order.
ModelRows rows_at(const ModelRows& from, const std::vector<std::size_t>& order);

/// Sorts the rows of `rows` by every column it has (row_keys, then ended) and merges identical ones,
/// adding their weights in input order (an empty `weights` counts 1 per row). Rows merged in any
/// grouping and order give the same result: the one form in which one process and the partitions of
/// a cluster hand a model its inputs (the purchase-model stage and the intervals' step (a) alike).
RAPPORT_API void merge_rows(ModelRows& rows);

/// `from`'s rows (every column, weights included; none when it has no weights) appended to
/// `into`'s, not merged.
void append_rows(ModelRows& into, const ModelRows& from);

/// What `auto` plans its holdout from; merges over partitions (OR, min, max).
struct ValueSpan {
  bool any_ended = false;                           ///< a customer has ended_on
  day_t first = std::numeric_limits<day_t>::max();  ///< first purchase day of a scored customer (before T)
  day_t last = std::numeric_limits<day_t>::min();   ///< last purchase day of a scored customer (before T)
};
/// The span of `base`'s scored customers (out.scores) as of out.as_of.
ValueSpan value_span(const CustomerBase& base, const ScoreResult& out);
/// `into` widened by `part`.
void merge_span(ValueSpan& into, const ValueSpan& part);

/// The merged inputs of the purchase-model stage: the named model's family, or for `auto` the
/// calibration rows of the race and every candidate's full inputs.
struct ValueInputs {
  ModelRows continuous;          ///< (x, t_x, T) in days: bgnbd, pareto_nbd, mbgnbd
  ModelRows bgbb;                ///< (x, t_x, n) in periods of opportunity_days
  ModelRows sbg;                 ///< (periods, ended) in periods of contract_period_days
  ModelRows holdout_continuous;  ///< auto: (x, t_x, T) at the holdout cut, with `actual`
  ModelRows holdout_bgbb;        ///< auto with opportunity_days: (x, t_x, n) at the cut, with `actual`
};
/// The inputs `config` needs from `base`'s scored customers (out.scores, out.as_of), each family
/// merged; `span` is the whole base's (auto's holdout cut).
ValueInputs gather_value_inputs(const CustomerBase& base, const ScoreResult& out, const ScoringConfig& config,
                                const ValueSpan& span);
/// `into` and `part` together, each family merged again.
void merge_value_inputs(ValueInputs& into, const ValueInputs& part);
/// The inputs as bytes (for moving them between processes) and back.
std::string to_bytes(const ValueInputs& in);
ValueInputs value_inputs_from_bytes(std::string_view bytes);

/// The purchase model of a run from its merged inputs, as score_value_models takes it: `auto`'s
/// race and choice (out.selection), then the model given or fitted (out.purchase_model; BG/NBD
/// by its own fit into out.bgnbd), failures in out.bgnbd_error, customers in out.bgnbd_customers.
/// Gamma-Gamma is not touched. @throws ConfigError when bgbb runs without opportunity_days.
void fit_purchase_model(const ValueInputs& in, const ValueSpan& span, const ScoringConfig& config, ScoreResult& out);

/// The purchase model a value_model setting names (automatic: bgnbd; auto is resolved elsewhere).
ValueModelName named_model(ValueModelSetting v);

/// The config a partition scores with after fit_purchase_model on the whole base's inputs: the
/// model it resolved to with its parameters given (or, when it failed, no fit at all).
ScoringConfig partition_config(const ScoreResult& fitted, const ScoringConfig& config);

/// One model's inputs over some scored rows (`row[i]` is the scored row of input i).
struct ModelInputs : ModelColumns {
  std::vector<std::size_t> row;  ///< the scored row of each input
};

/// Inputs of `model` for the scored rows of `s` as of D, as the point columns use them (value_models.cpp): rows
/// with purchases (x, t_x, T in days; bgbb: its periods x, t_x, n), every row for sbg (periods, ended).
ModelInputs gather_inputs(const CustomerBase& b, const Scores& s, ValueModelName model, const ScoringConfig& cfg,
                          day_t D);

/// The horizon of expected purchases in `model`'s unit (days; bgbb and sbg: the whole periods of horizon_days).
double model_horizon(ValueModelName model, const ScoringConfig& cfg);

/// config.discount_rate (per year) as a continuous rate per `model` time unit.
double model_discount_rate(ValueModelName model, const ScoringConfig& cfg);

/// Step (a) of the intervals: the parameter draws of a run's value models, made once over the whole base and then
/// evaluated on any rows (step b). Empty `purchase` when no interval is drawn (intervals off, the purchase model
/// unavailable or given); empty `spend` when expected value has no interval (value at stake unknown, Gamma-Gamma
/// given).
struct IntervalDraws {
  ValueModelName model = ValueModelName::bgnbd;  ///< the purchase model the draws are of
  double level = 0;                              ///< config.intervals
  std::vector<ValueModel> purchase;              ///< draws of the purchase model
  std::vector<ValueModel> spend;                 ///< draws of Gamma-Gamma, draw k paired with purchase[k]
};

/// The canonical inputs of step (a): every scored customer that enters the purchase model's fit, as its purchase
/// inputs (the columns of gather_inputs) and its spend inputs (spend_x = repeat purchases, spend_m = mean repeat
/// spend, 0 without repeat purchases), merged by merge_rows (sorted by the purchase columns, then the spend ones;
/// `weights` = the customers of each row). Independent of the order and partitioning of the rows.
struct IntervalPatterns {
  ValueModelName model = ValueModelName::bgnbd;  ///< the purchase model whose inputs `rows` holds
  ModelRows rows;                                ///< purchase inputs with spend_x and spend_m, weighted
};

/// The patterns of the rows of `out.scores` for `model` (not yet merged: weights 1, in row order).
RAPPORT_API IntervalPatterns interval_patterns(const CustomerBase& base, const ScoreResult& out, ValueModelName model,
                                               const ScoringConfig& config);

/// Step (a) from canonical patterns: the patterns as one row per customer (each repeated by its count, in
/// pattern order), the purchase model `p.model` (penalised by config.penalizer) and Gamma-Gamma fitted on them
/// (the centre with its covariance) unless `config` gives their parameters, then config.interval_draws parameter
/// sets drawn (parametric, or bootstrap resamples of those rows, the same resample for both models) from
/// config.interval_seed. `value_known`: whether expected value is known (else no spend draws). The same merged
/// patterns and config give the same bits for any thread count.
/// @throws FitError when a fit or the covariance fails (as draw_value_models); InputError for a count that is not
/// a whole number >= 1.
RAPPORT_API IntervalDraws draw_intervals(const IntervalPatterns& p, const ScoringConfig& config, bool value_known,
                                         unsigned threads);

/// Step (a) of a whole run: draw_intervals of the merged interval_patterns of every scored row, with the purchase
/// model out.purchase_model.name; no draws when config.intervals is 0 or the purchase model is unavailable.
RAPPORT_API IntervalDraws draw_run_intervals(const CustomerBase& base, const ScoreResult& out,
                                             const ScoringConfig& config, unsigned threads);

/// Step (b): the _lo/_hi columns of every row of out.scores (sized to them) under `draws`, with the same
/// per-customer meaning as the point columns: the model's inputs (gather_inputs), its horizon, expected value from
/// the discounted expectation when config.discount_rate is set; customers without purchases have no p_alive and
/// expected-purchase interval and expected value [0, 0]; known-lost customers (ended_on <= T) [0, 0] for all
/// three. NaN where `draws` has none. Nothing when config.intervals is 0. The bits do not depend on `threads` nor
/// on which other rows out.scores holds.
RAPPORT_API void fill_interval_columns(const CustomerBase& base, const ScoringConfig& config,
                                       const IntervalDraws& draws, unsigned threads, ScoreResult& out);

/// The value models' inputs of `base` alone: a result holding only out.as_of (as_of, else the base's
/// default), the scored customers (out.scores.customer: score()'s rows) and their frequency,
/// recency, age and monetary columns — by score()'s own purchase walk and formula, the same
/// numbers as a score run's — which is all value_span, gather_value_inputs and the fits' patterns
/// read. Nothing else is scored (no contacts, no forest). @throws as score() for the config and
/// the as-of date.
ScoreResult value_input_columns(const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config);

/// upserve_score of every row by sorting upserve_value (NaN for all when value is unknown).
void rank_upserve(unsigned threads, bool value_known, Scores& s);

}  // namespace rapport::detail
