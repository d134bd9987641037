// The up-serve percentile's sort and mid ranks (src/scoring/ranks.*).
#include "scoring/ranks.hpp"

#include <gtest/gtest.h>

#include <rapport/error.hpp>

#include <algorithm>
#include <bit>
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

// ---- the distributed percentiles (rapport.dask's stage 6): buckets over partitions ----

namespace {

using rapport::detail::assign_ranks;
using rapport::detail::bucket_of;
using rapport::detail::bucket_ranks;
using rapport::detail::rank_bounds;
using rapport::detail::rank_sample;
using rapport::detail::split_by_bucket;

using Parts = std::vector<std::vector<double>>;

// Every stage as rapport.dask wires it: samples → bounds → split → per-bucket ranks → assignment.
Parts distributed_ranks(const Parts& parts, unsigned threads) {
  Parts samples;
  std::size_t n = 0;
  for (const auto& p : parts) {
    samples.push_back(rank_sample(p, threads));
    n += p.size();
  }
  const auto bounds = rank_bounds(samples, n, parts.size());
  std::vector<Parts> split;
  for (const auto& p : parts) split.push_back(split_by_bucket(p, bounds));
  std::vector<std::size_t> counts;
  std::vector<std::vector<std::vector<std::uint64_t>>> less(parts.size()), equal(parts.size());
  for (std::size_t b = 0; b <= bounds.size(); ++b) {
    Parts pieces;
    for (const auto& s : split) pieces.push_back(s[b]);
    auto r = bucket_ranks(pieces, threads);
    counts.push_back(r.count);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      less[k].push_back(std::move(r.less[k]));
      equal[k].push_back(std::move(r.equal[k]));
    }
  }
  Parts out;
  for (std::size_t k = 0; k < parts.size(); ++k)
    out.push_back(assign_ranks(parts[k], bounds, counts, less[k], equal[k]));
  return out;
}

// mid_ranks of the partitions' values one after another, cut back into the partitions.
Parts concatenated_ranks(const Parts& parts) {
  std::vector<double> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  std::vector<double> score(all.size());
  mid_ranks(all, score, 2);
  Parts out;
  std::size_t at = 0;
  for (const auto& p : parts) {
    out.emplace_back(score.begin() + static_cast<std::ptrdiff_t>(at),
                     score.begin() + static_cast<std::ptrdiff_t>(at + p.size()));
    at += p.size();
  }
  return out;
}

}  // namespace

// partition 0: 5 1 3      partition 1: 3 NaN 7      partition 2: 3 2        bounds [3]
// bucket 0 (below 3): 1 (p0), 2 (p2)                 → count 2; 1: less 0, 2: less 1 (equal 1 each)
// bucket 1 (3 and up, NaN last): 3 3 3 | 5 | 7 | NaN → count 6; the three 3s (one from each
//   partition, the tie at the bound) less 0 equal 3; 5 less 3; 7 less 4; NaN less 5
// n = 8, n − 1 = 7: 1 → 0; 2 → 100·1/7; 3 → 100·(2 + 0 + 2/2)/7 = 300/7; 5 → 100·(2 + 3)/7;
//   7 → 100·6/7; NaN → 100·7/7
TEST(Ranks, DistributedOverThreePartitionsAndTwoBucketsWithTiesAtTheBound) {
  const double qnan = std::numeric_limits<double>::quiet_NaN();
  const Parts parts{{5, 1, 3}, {3, qnan, 7}, {3, 2}};
  const std::vector<double> bounds{3};
  EXPECT_EQ(bucket_of(1, bounds), 0u);
  EXPECT_EQ(bucket_of(3, bounds), 1u);
  EXPECT_EQ(bucket_of(qnan, bounds), 1u);
  EXPECT_EQ(bucket_of(-0.0, std::vector<double>{0.0}), 1u) << "-0 goes where +0 goes";

  std::vector<std::vector<std::vector<double>>> split;  // [partition][bucket]
  for (const auto& p : parts) split.push_back(split_by_bucket(p, bounds));
  EXPECT_EQ(split[0][0], (std::vector<double>{1}));
  EXPECT_EQ(split[0][1], (std::vector<double>{5, 3}));
  EXPECT_EQ(split[1][0], (std::vector<double>{}));
  EXPECT_EQ(split[2][1], (std::vector<double>{3}));

  const auto b0 = bucket_ranks({split[0][0], split[1][0], split[2][0]}, 1);
  const auto b1 = bucket_ranks({split[0][1], split[1][1], split[2][1]}, 1);
  EXPECT_EQ(b0.count, 2u);
  EXPECT_EQ(b1.count, 6u);
  EXPECT_EQ(b0.less[2], (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(b1.less[0], (std::vector<std::uint64_t>{3, 0}));  // 5, 3
  EXPECT_EQ(b1.equal[0], (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(b1.less[1], (std::vector<std::uint64_t>{0, 5, 4}));  // 3, NaN, 7
  EXPECT_EQ(b1.equal[2], (std::vector<std::uint64_t>{3}));

  const std::vector<std::size_t> counts{2, 6};
  const Parts expected{{500.0 / 7, 0, 300.0 / 7}, {300.0 / 7, 100, 600.0 / 7}, {300.0 / 7, 100.0 / 7}};
  for (std::size_t k = 0; k < 3; ++k) {
    const auto got = assign_ranks(parts[k], bounds, counts, {b0.less[k], b1.less[k]}, {b0.equal[k], b1.equal[k]});
    ASSERT_EQ(got.size(), expected[k].size());
    for (std::size_t r = 0; r < got.size(); ++r) EXPECT_DOUBLE_EQ(got[r], expected[k][r]) << k << " " << r;
  }
  EXPECT_EQ(distributed_ranks(parts, 1), concatenated_ranks(parts));
}

// The bounds: the distinct sampled values (NaN last) cut at even positions into
// nb = min(parts, distinct, max(4, ⌈n / 10^6⌉)) buckets. Samples {1 3 5} {3 7 NaN} {2 3}: distinct
// 1 2 3 5 7 NaN (6); 2 partitions → nb 2, the cut at ⌊1·5/2⌋ = 2: [3]; 8 partitions → nb 4 (at
// least 4 buckets, at most the distinct values): cuts ⌊5/4⌋ = 1, ⌊10/4⌋ = 2, ⌊15/4⌋ = 3: [2 3 5].
// A partition's sample: 33 sorted positions ⌊k (n − 1)/32⌋, of 5 1 3: sixteen 1s, sixteen 3s, 5.
TEST(Ranks, BoundsFromTheSamplesAndTheSampleOfAPartition) {
  const double qnan = std::numeric_limits<double>::quiet_NaN();
  const Parts samples{{1, 3, 5}, {3, 7, qnan}, {2, 3}};
  EXPECT_EQ(rank_bounds(samples, 8, 2), (std::vector<double>{3}));
  EXPECT_EQ(rank_bounds(samples, 8, 8), (std::vector<double>{2, 3, 5}));
  EXPECT_TRUE(rank_bounds(samples, 8, 1).empty());
  EXPECT_TRUE(rank_bounds({{}, {}}, 0, 2).empty());
  EXPECT_TRUE(rank_bounds({{4, 4}, {-0.0, 0.0}}, 4, 4).size() == 1u) << "0 and 4: one inner cut";
  const auto s = rank_sample({5, 1, 3}, 1);
  ASSERT_EQ(s.size(), 33u);
  EXPECT_EQ(s[0], 1);
  EXPECT_EQ(s[15], 1);
  EXPECT_EQ(s[16], 3);
  EXPECT_EQ(s[31], 3);
  EXPECT_EQ(s[32], 5);
  EXPECT_TRUE(rank_sample({}, 1).empty());
}

// One value over all partitions (the others empty) is the median; partitions all empty give nothing.
TEST(Ranks, DistributedOneValueAndEmptyPartitions) {
  EXPECT_EQ(distributed_ranks({{}, {7.5}, {}}, 1), (Parts{{}, {50.0}, {}}));
  EXPECT_EQ(distributed_ranks({{}, {}}, 1), (Parts{{}, {}}));
  EXPECT_THROW(assign_ranks({1.0}, {}, {1}, {{}}, {{}}), rapport::UsageError) << "a value without its rank";
}

// The invariant at scale: over 7 partitions (one empty), with many ties, ±0, infinities and NaNs,
// every percentile equals mid_ranks of the concatenation bit for bit, for 1 and 3 threads.
TEST(Ranks, DistributedEqualsMidRanksOfTheConcatenation) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> few(-20, 20), pick(0, 9);
  std::normal_distribution<double> spread(0, 1e3);
  const double inf = std::numeric_limits<double>::infinity(), qnan = std::numeric_limits<double>::quiet_NaN();
  Parts parts(7);
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const std::size_t n = k == 3 ? 0 : 1000 + 20000 * k;
    for (std::size_t r = 0; r < n; ++r) {
      const int c = pick(rng);
      parts[k].push_back(c < 4    ? static_cast<double>(few(rng))
                         : c == 4 ? (r % 2 ? -0.0 : 0.0)
                         : c == 5 ? (r % 3 ? qnan : (r % 2 ? inf : -inf))
                                  : spread(rng));
    }
  }
  const auto expected = concatenated_ranks(parts);
  for (const unsigned threads : {1u, 3u}) {
    const auto got = distributed_ranks(parts, threads);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(got[k].size(), expected[k].size());
      for (std::size_t r = 0; r < got[k].size(); ++r)
        ASSERT_EQ(std::bit_cast<std::uint64_t>(got[k][r]), std::bit_cast<std::uint64_t>(expected[k][r]))
            << "partition " << k << " row " << r << " threads " << threads;
    }
  }
}
