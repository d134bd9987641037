// Private: a part of a base's value-model inputs (rapport.dask's stage 4), mergeable over
// partitions: the purchase span and the BG/NBD and Gamma-Gamma fits' input patterns (and the
// intervals' patterns), all from value_input_columns, without scoring.
#pragma once

#include "scoring/score_steps.hpp"

#include <vector>

namespace rapport::detail {

/// The value-model inputs of some scored customers in their canonical merged form: the same for
/// any partitioning and order of the customers once the parts are merged (merge_value_parts).
struct ValueParts {
  ValueSpan span;         ///< what `auto` plans its holdout from (value_span)
  ModelRows bgnbd;        ///< (x, t_x, T) of the rows bgnbd_input selects, merged, weights = customers
  ModelRows gamma_gamma;  ///< (x, m) of the rows gamma_gamma_input selects, merged, weights = customers
};

/// The parts of `out`'s scored customers (out.scores' frequency, recency, age and monetary, e.g.
/// value_input_columns'): the rows fit_value_models fits on, as distinct patterns with counts.
ValueParts value_parts(const CustomerBase& base, const ScoreResult& out);

/// `parts` together, in any order the same: spans widened (merge_span), every part's patterns
/// appended (append_rows) and merged once (merge_rows).
ValueParts merge_value_parts(const std::vector<ValueParts>& parts);

/// The intervals' step (a) input of `base`'s scored customers as of `as_of` without scoring them:
/// interval_patterns of value_input_columns under the model `config` names (a partition's config,
/// whose value_model partition_config has resolved — the model a score run with it uses).
/// @throws UsageError when config.value_model is still auto.
IntervalPatterns value_interval_patterns(const CustomerBase& base, day_t as_of, const ScoringConfig& config);

}  // namespace rapport::detail
