// The up-serve percentile's sort and mid ranks (src/scoring/ranks.*).
#include "scoring/ranks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace {

using rapport::detail::mid_ranks;
using rapport::detail::sort_with_rows;
using rapport::detail::ValueRow;

// The reference: std::stable_sort of (value, row) by value (−0 == +0), the formula run by run.
std::vector<double> reference_ranks(const std::vector<double>& v) {
  std::vector<ValueRow> p;
  for (std::size_t r = 0; r < v.size(); ++r) p.emplace_back(v[r], static_cast<std::uint32_t>(r));
  std::stable_sort(p.begin(), p.end(), [](const ValueRow& a, const ValueRow& b) { return a.first < b.first; });
  std::vector<double> out(v.size());
  const double n = static_cast<double>(v.size());
  for (std::size_t a = 0; a < p.size();) {
    std::size_t b = a;
    while (b < p.size() && p[b].first == p[a].first) ++b;
    for (std::size_t k = a; k < b; ++k)
      out[p[k].second] =
          v.size() == 1 ? 50.0 : 100.0 * (static_cast<double>(a) + static_cast<double>(b - a - 1) / 2.0) / (n - 1);
    a = b;
  }
  return out;
}

}  // namespace

// values  3  1  -0  2  1  +0  -5
// sorted: -5(r6) | -0(r2) +0(r5) | 1(r1) 1(r4) | 2(r3) | 3(r0)   (equal values in row order)
// mid ranks over n − 1 = 6: -5 → 0; zeros → (1 + 0.5)/6; ones → (3 + 0.5)/6; 2 → 5/6; 3 → 6/6
TEST(Ranks, SortsByValueWithTiesInRowOrderAndMidRanksRuns) {
  const std::vector<double> v{3, 1, -0.0, 2, 1, 0.0, -5};
  const auto sorted = sort_with_rows(v, 2);
  const std::vector<std::uint32_t> rows{6, 2, 5, 1, 4, 3, 0};
  ASSERT_EQ(sorted.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(sorted[i].second, rows[i]) << i;
    EXPECT_EQ(std::signbit(sorted[i].first), std::signbit(v[rows[i]]))
        << "the value is the row's own, sign of zero kept";
  }
  std::vector<double> score(v.size(), -1), direct(v.size(), -1);
  mid_ranks(sorted, score, 2);
  mid_ranks(v, direct, 2);
  EXPECT_EQ(score, direct);
  const std::vector<double> expected{
      100.0, 100.0 * 3.5 / 6, 100.0 * 1.5 / 6, 100.0 * 5 / 6, 100.0 * 3.5 / 6, 100.0 * 1.5 / 6, 0.0};
  for (std::size_t r = 0; r < v.size(); ++r) EXPECT_DOUBLE_EQ(score[r], expected[r]) << r;
}

TEST(Ranks, OneValueIsTheMedianAndNoneIsNothing) {
  std::vector<double> score(1, -1);
  mid_ranks(sort_with_rows({7.5}, 1), score, 1);
  EXPECT_EQ(score[0], 50.0);
  EXPECT_TRUE(sort_with_rows({}, 2).empty());
}

// Infinities sort at the ends, NaNs after +inf as one run of their own (never merged with a number).
TEST(Ranks, InfinitiesAtTheEndsAndNaNsLast) {
  const double inf = std::numeric_limits<double>::infinity(), qnan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> v{qnan, inf, 1.0, -inf, -qnan, 1.0};
  const auto sorted = sort_with_rows(v, 2);
  const std::vector<std::uint32_t> rows{3, 2, 5, 1, 0, 4};
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(sorted[i].second, rows[i]) << i;
  std::vector<double> score(v.size());
  mid_ranks(sorted, score, 2);
  EXPECT_DOUBLE_EQ(score[1], 60.0);             // +inf alone at 3 of 5
  EXPECT_DOUBLE_EQ(score[0], 100.0 * 4.5 / 5);  // the two NaNs share 4 and 5
  EXPECT_DOUBLE_EQ(score[4], 100.0 * 4.5 / 5);
}

// Large inputs across the thread split (runs straddling the ranges' boundaries included), for 1, 2
// and 3 threads: every rank equals the stable-sort reference bit for bit.
TEST(Ranks, MatchesTheStableSortReferenceForAnyThreadCount) {
  std::mt19937_64 rng(7);
  for (const std::size_t n : {2u, 1000u, 200000u}) {
    std::vector<double> v(n);
    std::uniform_int_distribution<int> few(0, 40);
    std::normal_distribution<double> spread(0, 1e3);
    for (std::size_t r = 0; r < n; ++r) v[r] = r % 3 == 0 ? static_cast<double>(few(rng)) : spread(rng);
    for (std::size_t r = 50000; r < std::min<std::size_t>(n, 150000); ++r) v[r] = 12.25;  // one long run in the middle
    const auto expected = reference_ranks(v);
    for (const unsigned threads : {1u, 2u, 3u}) {
      const auto sorted = sort_with_rows(v, threads);
      ASSERT_TRUE(std::is_sorted(sorted.begin(), sorted.end(), [](const ValueRow& a, const ValueRow& b) {
        return a.first < b.first || (a.first == b.first && a.second < b.second);
      }));
      std::vector<double> score(n, -1), direct(n, -1);
      mid_ranks(sorted, score, threads);
      mid_ranks(v, direct, threads);  // from the values, without the pairs
      for (std::size_t r = 0; r < n; ++r) {
        ASSERT_EQ(score[r], expected[r]) << "n " << n << " row " << r << " threads " << threads;
        ASSERT_EQ(direct[r], expected[r]) << "n " << n << " row " << r << " threads " << threads;
      }
    }
  }
}
