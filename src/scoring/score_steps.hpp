// Private: the steps of score(), one by one, for callers that run them on part of a base (the
// live Scorer). They are the very functions score() runs; there is no second scoring path.
#pragma once

#include <rapport/scoring/score.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace rapport::detail {

/// Whether scored row `r` enters the BG/NBD fit (it has purchases before T).
inline bool bgnbd_input(const Scores& s, std::size_t r) noexcept { return !std::isnan(s.frequency[r]); }
/// Whether scored row `r` enters the Gamma-Gamma fit (a repeat buyer with a positive mean spend).
inline bool gamma_gamma_input(const Scores& s, std::size_t r) noexcept {
  return s.frequency[r] >= 1 && s.monetary[r] > 0;
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

/// With config.intervals > 0: the _lo/_hi columns of p_alive, expected purchases and expected
/// value (out.scores.intervals), from parameter draws of the value models (interval_columns.cpp);
/// NaN where the point value is NaN or a model was given rather than fitted. Otherwise nothing.
void fill_interval_columns(const ScoringConfig& config, unsigned threads, ScoreResult& out);

/// upserve_score of every row by sorting upserve_value (NaN for all when value is unknown).
void rank_upserve(unsigned threads, bool value_known, Scores& s);

}  // namespace rapport::detail
