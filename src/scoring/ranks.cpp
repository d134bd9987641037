#include "scoring/ranks.hpp"

#include <rapport/error.hpp>

#include "util/parallel.hpp"
#include "util/radix_sort.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace rapport::detail {

namespace {

// Unsigned keys in the order of the doubles: −0 as +0, every NaN as one NaN above +inf.
std::uint64_t key_of(double v) noexcept {
  if (v == 0) v = 0.0;
  if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
  const auto bits = std::bit_cast<std::uint64_t>(v);
  return bits >> 63 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// The keys and rows being sorted.
struct RadixArrays {
  explicit RadixArrays(std::size_t n) : key(n), row(n) {}
  std::vector<std::uint64_t> key;
  std::vector<std::uint32_t> row;
};

// score[row(i)] for every position i of n sorted entries, by the runs of equal entries (same(a, b)
// for adjacent positions); each thread's range starts at the start of a run.
template <class Same, class Row>
void ranks_by_runs(std::size_t n, Same&& same, Row&& row, std::vector<double>& score, unsigned threads) {
  if (n == 1) score[row(0)] = mid_rank(0, 1, 1);
  if (n < 2) return;
  parallel_for(
      n, threads,
      [&](std::size_t lo, std::size_t hi) {
        while (lo > 0 && lo < n && same(lo - 1, lo)) ++lo;
        while (hi < n && same(hi - 1, hi)) ++hi;
        for (std::size_t a = lo; a < hi;) {
          std::size_t b = a + 1;
          while (b < n && same(a, b)) ++b;
          const double v = mid_rank(a, b - a, n);
          for (std::size_t k = a; k < b; ++k) score[row(k)] = v;
          a = b;
        }
      },
      65536);
}

// The keys and rows of `values` in sorted order.
RadixArrays sorted_keys(const std::vector<double>& values, std::size_t ranges) {
  const std::size_t n = values.size();
  RadixArrays a(n);
  parallel_for(n, static_cast<unsigned>(ranges), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      a.key[r] = key_of(values[r]);
      a.row[r] = static_cast<std::uint32_t>(r);
    }
  });
  radix_sort(a.key, a.row, 64, ranges);
  return a;
}

std::size_t ranges_for(std::size_t n, unsigned threads) {
  return std::min<std::size_t>(thread_count(threads), std::max<std::size_t>(1, n / 65536));
}

}  // namespace

std::vector<ValueRow> sort_with_rows(const std::vector<double>& values, unsigned threads) {
  const std::size_t n = values.size();
  if (n == 0) return {};
  const std::size_t ranges = ranges_for(n, threads);
  const RadixArrays a = sorted_keys(values, ranges);
  std::vector<ValueRow> sorted(n);
  parallel_for(n, static_cast<unsigned>(ranges), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) sorted[i] = {values[a.row[i]], a.row[i]};
  });
  return sorted;
}

void mid_ranks(const std::vector<ValueRow>& sorted, std::vector<double>& score, unsigned threads) {
  ranks_by_runs(
      sorted.size(), [&](std::size_t a, std::size_t b) { return key_of(sorted[a].first) == key_of(sorted[b].first); },
      [&](std::size_t i) { return sorted[i].second; }, score, threads);
}

void mid_ranks(const std::vector<double>& values, std::vector<double>& score, unsigned threads) {
  if (values.empty()) return;
  const RadixArrays a = sorted_keys(values, ranges_for(values.size(), threads));
  ranks_by_runs(
      values.size(), [&](std::size_t x, std::size_t y) { return a.key[x] == a.key[y]; },
      [&](std::size_t i) { return a.row[i]; }, score, threads);
}

std::vector<double> rank_sample(const std::vector<double>& values, unsigned threads) {
  constexpr std::size_t kSteps = 32;
  const std::size_t n = values.size();
  if (n == 0) return {};
  const RadixArrays a = sorted_keys(values, ranges_for(n, threads));
  std::vector<double> out;
  out.reserve(kSteps + 1);
  for (std::size_t k = 0; k <= kSteps; ++k) out.push_back(values[a.row[k * (n - 1) / kSteps]]);
  return out;
}

std::vector<double> rank_bounds(const std::vector<std::vector<double>>& samples, std::size_t n, std::size_t parts) {
  constexpr std::size_t kBucketValues = 1'000'000;  // values per bucket aimed at (8 MB to sort in one task)
  std::vector<std::uint64_t> keys;
  for (const auto& s : samples)
    for (const double v : s) keys.push_back(key_of(v));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // at least 4 buckets (so that small runs take the same path), about a million values each
  const std::size_t want = std::max<std::size_t>(4, (n + kBucketValues - 1) / kBucketValues);
  const std::size_t nb = std::max<std::size_t>(1, std::min({parts, keys.size(), want}));
  std::vector<double> bounds;
  for (std::size_t k = 1; k < nb; ++k) {
    const std::uint64_t key = keys[k * (keys.size() - 1) / nb];
    if (!bounds.empty() && key_of(bounds.back()) == key) continue;
    // the double of a key (the inverse of key_of)
    bounds.push_back(std::bit_cast<double>(key >> 63 ? key & ~(std::uint64_t{1} << 63) : ~key));
  }
  return bounds;
}

std::size_t bucket_of(double v, const std::vector<double>& bounds) noexcept {
  const std::uint64_t key = key_of(v);
  return static_cast<std::size_t>(
      std::upper_bound(bounds.begin(), bounds.end(), key, [](std::uint64_t k, double b) { return k < key_of(b); }) -
      bounds.begin());
}

std::vector<std::vector<double>> split_by_bucket(const std::vector<double>& values, const std::vector<double>& bounds) {
  std::vector<std::vector<double>> out(bounds.size() + 1);
  for (const double v : values) out[bucket_of(v, bounds)].push_back(v);
  return out;
}

BucketRanks bucket_ranks(const std::vector<std::vector<double>>& pieces, unsigned threads) {
  BucketRanks out;
  std::vector<double> all;
  for (const auto& p : pieces) all.insert(all.end(), p.begin(), p.end());
  const std::size_t n = all.size();
  out.count = n;
  std::vector<std::uint64_t> less(n), equal(n);
  if (n > 0) {
    const RadixArrays a = sorted_keys(all, ranges_for(n, threads));
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && a.key[j] == a.key[i]) ++j;
      for (std::size_t k = i; k < j; ++k) {
        less[a.row[k]] = i;
        equal[a.row[k]] = j - i;
      }
      i = j;
    }
  }
  std::size_t at = 0;
  for (const auto& p : pieces) {
    const auto from = static_cast<std::ptrdiff_t>(at), to = static_cast<std::ptrdiff_t>(at + p.size());
    out.less.emplace_back(less.begin() + from, less.begin() + to);
    out.equal.emplace_back(equal.begin() + from, equal.begin() + to);
    at += p.size();
  }
  return out;
}

std::vector<double> assign_ranks(const std::vector<double>& values, const std::vector<double>& bounds,
                                 const std::vector<std::size_t>& counts,
                                 const std::vector<std::vector<std::uint64_t>>& less,
                                 const std::vector<std::vector<std::uint64_t>>& equal) {
  const std::size_t buckets = bounds.size() + 1;
  if (counts.size() != buckets || less.size() != buckets || equal.size() != buckets)
    throw UsageError("assign_ranks: one count and one (less, equal) pair per bucket expected");
  std::vector<std::size_t> below(buckets);  // the values of the lower buckets
  std::size_t n = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    below[b] = n;
    n += counts[b];
  }
  std::vector<std::size_t> next(buckets, 0);
  std::vector<double> score(values.size());
  for (std::size_t r = 0; r < values.size(); ++r) {
    const std::size_t b = bucket_of(values[r], bounds);
    const std::size_t i = next[b]++;
    if (i >= less[b].size() || i >= equal[b].size() || equal[b][i] == 0 || less[b][i] + equal[b][i] > counts[b])
      throw UsageError("assign_ranks: a bucket's ranks do not match the partition's values");
    score[r] = mid_rank(below[b] + less[b][i], equal[b][i], n);
  }
  for (std::size_t b = 0; b < buckets; ++b)
    if (next[b] != less[b].size() || next[b] != equal[b].size())
      throw UsageError("assign_ranks: a bucket's ranks do not match the partition's values");
  return score;
}

}  // namespace rapport::detail
