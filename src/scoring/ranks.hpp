// Private: the up-serve percentile's sort and mid ranks, shared by score() and the live Scorer.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace rapport::detail {

/// A (value, row) pair; a vector of them sorted ascending by value is what the mid ranks read.
using ValueRow = std::pair<double, std::uint32_t>;

/// Every (values[r], r), sorted ascending by value: equal values (−0 and +0 count as equal) in row
/// order, NaNs last. A stable LSD radix sort on the values' order-preserving 64-bit keys, each pass
/// split across `threads` (passes where all keys share the digit are skipped), so the result is
/// the same for any thread count. `values.size()` must be below 2^32.
std::vector<ValueRow> sort_with_rows(const std::vector<double>& values, unsigned threads);

/// score[row] = 100 × (#less + (#equal − 1)/2) / (n − 1) for every pair of `sorted` (50 when n = 1),
/// walking the runs of equal values; `score` must be sized to hold every row.
void mid_ranks(const std::vector<ValueRow>& sorted, std::vector<double>& score, unsigned threads);

/// The same mid-rank percentiles straight from `values` (score[r] for values[r]), without building
/// the pairs: the sorted keys and rows are walked directly.
void mid_ranks(const std::vector<double>& values, std::vector<double>& score, unsigned threads);

}  // namespace rapport::detail
