// The CSV cell rules: numbers in their shortest round-trip spelling (the same bytes as
// std::to_chars, whole numbers taken by a shortcut), CSV quoting.
#include "io/csv_write.hpp"

#include <rapport/io/writers.hpp>

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace {
std::string via_to_chars(double v) {
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
}  // namespace

TEST(CsvWrite, WholeNumbersMatchToChars) {
  // every whole number the shortcut takes, and its edges: 10000 stays plain (a tie with 1e+04),
  // 100000 is 1e+05 (to_chars, shorter than the plain form)
  for (int i = -100000; i <= 100000; ++i) {
    const double v = i;
    ASSERT_EQ(rapport::format_number(v), via_to_chars(v)) << i;
  }
  EXPECT_EQ(rapport::format_number(10000.0), "10000");
  EXPECT_EQ(rapport::format_number(100000.0), "1e+05");
  EXPECT_EQ(rapport::format_number(-0.0), "-0");
  EXPECT_EQ(rapport::format_number(0.0), "0");
}

TEST(CsvWrite, OtherNumbersMatchToChars) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (int k = 0; k < 200000; ++k) {
    // fractions, large values, tiny values, and raw bit patterns
    const double scale = std::pow(10.0, static_cast<double>(static_cast<int>(rng() % 40) - 20));
    const double v = unit(rng) * scale;
    ASSERT_EQ(rapport::format_number(v), via_to_chars(v)) << v;
    std::uint64_t bits = rng();
    double raw;
    std::memcpy(&raw, &bits, sizeof raw);
    if (!std::isnan(raw)) {
      ASSERT_EQ(rapport::format_number(raw), via_to_chars(raw));
    }
  }
  for (const double v : {0.5, 99999.5, -99999.5, 1e5 - 1e-11, std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max()})
    EXPECT_EQ(rapport::format_number(v), via_to_chars(v)) << v;
  EXPECT_EQ(rapport::format_number(std::nan("")), "");
}

TEST(CsvWrite, WriteUintAndFieldQuoting) {
  char buf[rapport::detail::number_room];
  EXPECT_EQ(std::string(buf, rapport::detail::write_uint(buf, 18446744073709551615ull)), "18446744073709551615");
  std::string out;
  rapport::detail::append_csv_field(out, "a,\"b\"");
  EXPECT_EQ(out, "\"a,\"\"b\"\"\"");
}
