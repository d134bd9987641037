/// @file explain.hpp
/// Explanations: each component's value, weight, contribution and evidence, and the gap that
/// chose next_action.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/config.hpp>

#include <string>

namespace rapport {

struct ScoreResult;

/// One customer's explanation (row `row` of result.scores) as a single-line JSON object.
RAPPORT_API std::string explain_json(const CustomerBase& base, const ScoreResult& result, std::size_t row,
                                     const ScoringConfig& config = {});

}  // namespace rapport
