// Private: the up-serve percentile's sort and mid ranks, shared by score() and the live Scorer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace rapport::detail {

/// The up-serve percentile of a value with `less` values below it and `equal` values equal to it
/// (itself included) among `n`: 100 × (less + (equal − 1)/2) / (n − 1), 50 when n = 1. The one
/// formula: mid_ranks and the distributed assignment (assign_ranks) both call it.
inline double mid_rank(std::size_t less, std::size_t equal, std::size_t n) noexcept {
  if (n == 1) return 50;
  return 100.0 * (static_cast<double>(less) + static_cast<double>(equal - 1) / 2.0) / static_cast<double>(n - 1);
}

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

// ---- the same percentiles over values held in several partitions (rapport.dask's stage 6) ----
//
// Every value goes to the bucket of the bounds it lies in (bucket_of: equal values, −0 and +0
// alike, always in one bucket; NaNs in the last); each bucket gathers its values from every
// partition and gives each its (#less, #equal) within the bucket (bucket_ranks); a partition's
// value then has #less = the values of the lower buckets + its #less in its bucket
// (assign_ranks). The result is mid_ranks of the concatenation, bit for bit.

/// Up to 33 values of `values` at evenly spaced sorted positions ⌊k (n − 1) / 32⌋ (k = 0..32; in
/// the order of sort_with_rows, NaNs last): a partition's sample the bucket bounds are drawn from.
/// Empty for no values.
std::vector<double> rank_sample(const std::vector<double>& values, unsigned threads);

/// The bucket bounds from every partition's sample (`samples`) for `n` values in `parts`
/// partitions: the distinct sampled values (sorted, NaN last) cut into nb = max(1, min(parts,
/// distinct, max(4, ⌈n / 10^6⌉))) runs at even positions; the distinct values at the nb − 1
/// inner cuts, ascending. Empty when nb is 1 (one bucket).
std::vector<double> rank_bounds(const std::vector<std::vector<double>>& samples, std::size_t n, std::size_t parts);

/// The bucket of `v` under `bounds` (ascending, distinct): how many bounds are at or below v
/// (−0 as +0, NaN above every number).
std::size_t bucket_of(double v, const std::vector<double>& bounds) noexcept;

/// `values` split by bucket (bounds.size() + 1 buckets), each bucket's values in row order.
std::vector<std::vector<double>> split_by_bucket(const std::vector<double>& values, const std::vector<double>& bounds);

/// One bucket's ranks: its count of values and, per partition, for each of its values in that
/// partition (in the order given) the count of the bucket's values below it and equal to it.
struct BucketRanks {
  std::size_t count = 0;                          ///< the bucket's values over all partitions
  std::vector<std::vector<std::uint64_t>> less;   ///< per partition: #less within the bucket
  std::vector<std::vector<std::uint64_t>> equal;  ///< per partition: #equal within the bucket (itself included)
};

/// The ranks within one bucket of its values from every partition (`pieces[k]`: partition k's
/// values in the bucket), by one sort of them all (sort_with_rows' order and equality).
BucketRanks bucket_ranks(const std::vector<std::vector<double>>& pieces, unsigned threads);

/// The percentiles of one partition's `values`: `counts[b]` is bucket b's count over all
/// partitions, `less[b]` and `equal[b]` this partition's values' ranks within bucket b (in the
/// row order of split_by_bucket). mid_rank(values below in lower buckets + less, equal, n).
/// @throws UsageError when the sizes disagree with `values` and `bounds`.
std::vector<double> assign_ranks(const std::vector<double>& values, const std::vector<double>& bounds,
                                 const std::vector<std::size_t>& counts,
                                 const std::vector<std::vector<std::uint64_t>>& less,
                                 const std::vector<std::vector<std::uint64_t>>& equal);

}  // namespace rapport::detail
