// The one radix sort (util/radix_sort.hpp): hand-drawn sorts, stability, skipped passes, and the
// same result for every digit width and every split of the passes into ranges.
#include "util/radix_sort.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace rapport::detail {
namespace {

using Keys = std::vector<std::uint64_t>;
using Rows = std::vector<std::uint32_t>;

TEST(RadixSort, SortsKeysAndCarriesRowsStably) {
  // row:  0  1  2  3
  // key:  3  1  2  1   -> sorted: 1 (row 1), 1 (row 3), 2 (row 2), 3 (row 0)
  Keys keys{3, 1, 2, 1};
  Rows rows{0, 1, 2, 3};
  radix_sort(keys, rows, 64);
  EXPECT_EQ(keys, (Keys{1, 1, 2, 3}));
  EXPECT_EQ(rows, (Rows{1, 3, 2, 0}));
}

TEST(RadixSort, OrdersAcrossDigits) {
  // 8-bit digits: 0x100 and 0x0FF differ in both digits; 0x101 and 0x100 only in the low one.
  Keys keys{0x100, 0x001, 0x0FF, 0x101};
  radix_sort(keys, 16);
  EXPECT_EQ(keys, (Keys{0x001, 0x0FF, 0x100, 0x101}));
}

TEST(RadixSort, SkipsAPassWhereEveryKeyHasTheSameDigit) {
  // the low digit is 0 everywhere: the first pass moves nothing; the second orders 5, 3, 4.
  Keys keys{0x500, 0x300, 0x400};
  Rows rows{0, 1, 2};
  radix_sort(keys, rows, 16);
  EXPECT_EQ(keys, (Keys{0x300, 0x400, 0x500}));
  EXPECT_EQ(rows, (Rows{1, 2, 0}));
}

TEST(RadixSort, SortsOnlyTheLowBitsAskedFor) {
  // bits = 8: one pass by the low byte, so 0x1FF (low byte FF) comes after 0x2 and 0x101.
  Keys keys{0x1FF, 0x002, 0x101};
  radix_sort(keys, 8);
  EXPECT_EQ(keys, (Keys{0x101, 0x002, 0x1FF}));
}

TEST(RadixSort, EmptyAndSingleAreLeftAlone) {
  Keys none;
  Rows no_rows;
  radix_sort(none, no_rows, 64, 4);
  EXPECT_TRUE(none.empty());
  Keys one{42};
  Rows row{7};
  radix_sort(one, row, 64, 4);
  EXPECT_EQ(one, Keys{42});
  EXPECT_EQ(row, Rows{7});
}

TEST(RadixSort, MatchesAStableSortForAnyRangesAndDigitWidth) {
  std::mt19937_64 rng(19);
  const std::size_t n = 100000;
  Keys input(n);
  // few distinct high parts and full-width low parts: many ties, many digits
  for (auto& k : input) k = (rng() % 97) << 40 | (rng() & 0xFFFFFFFFFFULL);
  for (std::size_t i = 0; i < n; i += 3) input[i] = input[i / 2];  // repeated keys: stability shows
  std::vector<std::pair<std::uint64_t, std::uint32_t>> expected(n);
  for (std::size_t i = 0; i < n; ++i) expected[i] = {input[i], static_cast<std::uint32_t>(i)};
  std::stable_sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto check = [&](Keys keys, Rows rows) {
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(keys[i], expected[i].first) << i;
      ASSERT_EQ(rows[i], expected[i].second) << i;
    }
  };
  for (const std::size_t ranges : {1, 2, 3, 7}) {
    SCOPED_TRACE(ranges);
    Keys keys = input;
    Rows rows(n);
    std::iota(rows.begin(), rows.end(), 0U);
    Keys keys11 = keys;
    Rows rows11 = rows;
    radix_sort(keys, rows, 64, ranges);
    check(keys, rows);
    radix_sort<11>(keys11, rows11, 47, ranges);  // the keys fit in 47 bits
    check(keys11, rows11);
  }
}

}  // namespace
}  // namespace rapport::detail
