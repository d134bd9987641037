#include "scoring/ranks.hpp"

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
  if (n == 1) score[row(0)] = 50;
  if (n < 2) return;
  parallel_for(
      n, threads,
      [&](std::size_t lo, std::size_t hi) {
        while (lo > 0 && lo < n && same(lo - 1, lo)) ++lo;
        while (hi < n && same(hi - 1, hi)) ++hi;
        for (std::size_t a = lo; a < hi;) {
          std::size_t b = a + 1;
          while (b < n && same(a, b)) ++b;
          const double v =
              100.0 * (static_cast<double>(a) + static_cast<double>(b - a - 1) / 2.0) / static_cast<double>(n - 1);
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

}  // namespace rapport::detail
