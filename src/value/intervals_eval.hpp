// Private: value_intervals in full — a spend model's inputs apart from the purchase model's (BG/BB
// counts periods, the spend model repeat purchases) and expected value from the discounted
// expectation. rapport::value_intervals (intervals.hpp) is its case of one ModelData, undiscounted.
#pragma once

#include <rapport/export.hpp>
#include <rapport/value/intervals.hpp>

#include <span>

namespace rapport::detail {

/// What value_intervals evaluates per row under each draw.
struct IntervalEvaluation {
  double horizon = 0;        ///< horizon of expected purchases, in the purchase model's unit (bgbb, sbg: periods)
  double level = 0.9;        ///< coverage of each interval, in (0, 1)
  double discount_rate = 0;  ///< expected value's continuous discount rate per model time unit (0: undiscounted)
};

/// Per row of `data` (the purchase model's inputs): the intervals of p_alive, expected purchases
/// over `eval.horizon` and, when `spend_draws` is given (paired draw by draw with
/// `purchase_draws`), expected value = expected purchases (discounted at `eval.discount_rate`
/// when it is not 0, as discounted_expected_purchases) × expected spend, the spend from row i of
/// `spend_data` (x: repeat purchases, m: mean repeat spend; the same rows as `data`), over the
/// draws. Rows run on up to `threads` threads; the result does not depend on their number.
/// @throws InputError when the draw lists are empty or differ in length, or `spend_data` has
/// another row count than `data`; ConfigError when the level is outside (0, 1).
RAPPORT_API ValueIntervals value_intervals(std::span<const ValueModel> purchase_draws,
                                           std::span<const ValueModel> spend_draws, const ModelData& data,
                                           const ModelData& spend_data, const IntervalEvaluation& eval,
                                           unsigned threads = 0);

}  // namespace rapport::detail
