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

/// With config.intervals > 0: the _lo/_hi columns of p_alive, expected purchases and expected
/// value (out.scores.intervals), from parameter draws of the value models (interval_columns.cpp);
/// NaN where the point value is NaN or a model was given rather than fitted. Otherwise nothing.
void fill_interval_columns(const ScoringConfig& config, unsigned threads, ScoreResult& out);

/// upserve_score of every row by sorting upserve_value (NaN for all when value is unknown).
void rank_upserve(unsigned threads, bool value_known, Scores& s);

}  // namespace rapport::detail
