// The CSV field parsers' fast paths (src/base/parse.hpp, the splitter of src/base/csv.cpp): each
// checked against a plain reading of the same rule, on the edges each fast path has.
#include "base/parse.hpp"
#include "base/csv.hpp"

#include <rapport/base/data.hpp>
#include <rapport/base/time.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace rapport;
using namespace rapport::detail;

namespace {

/// The calendar rule read plainly: a leap year divides by 4 and not by 100, or by 400.
bool plain_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned plain_days_in_month(int y, unsigned m) {
  static constexpr unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && plain_leap(y) ? 29 : dm[m - 1];
}

std::string date_text(int y, unsigned m, unsigned d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

}  // namespace

TEST(ParseDate, EveryMonthAndDayNumberOfSelectedYearsAgreesWithThePlainRule) {
  // years on each branch of the leap rule: 0000 (divisible by 400), 1900 and 2100 (centuries
  // that are not), 2000 (one that is), 2023 (common), 2024 (leap), 9999 (the last); months and
  // days 00..99, so that 00, 13, 29..31 and 32+ all occur
  constexpr const char* unparsable = "unparsable date (expected YYYY-MM-DD)";
  for (const int y : {0, 4, 100, 400, 1900, 2000, 2023, 2024, 2100, 9996, 9999})
    for (unsigned m = 0; m <= 99; ++m)
      for (unsigned d = 0; d <= 99; ++d) {
        const std::string text = date_text(y, m, d);
        day_t got = -12345;
        const char* why = read_date(text, got);
        const bool valid = m >= 1 && m <= 12 && d >= 1 && d <= plain_days_in_month(y, m);
        if (valid) {
          ASSERT_EQ(why, nullptr) << text;
          ASSERT_EQ(got, days_from_civil(y, m, d)) << text;
        } else {
          ASSERT_STREQ(why, "impossible date") << text;
          ASSERT_EQ(got, -12345) << text;  // nothing stored
        }
      }
  day_t d = 0;
  EXPECT_EQ(read_date("0000-02-29", d), nullptr);  // 0000 divides by 400: a leap year
  EXPECT_EQ(d, days_from_civil(0, 2, 29));
  EXPECT_STREQ(read_date("1900-02-29", d), "impossible date");
  EXPECT_EQ(read_date("9999-12-31", d), nullptr);
  EXPECT_EQ(d, days_from_civil(9999, 12, 31));
  for (const char* bad : {"2024-1-05", "2024-01-5", "2024/01/05", "2024-01-05 ", "+024-01-05", "2024-0a-05",
                          "2024-01-0:", "202401-05-", ""})
    EXPECT_STREQ(read_date(bad, d), unparsable) << bad;
}

TEST(ParseDate, TheLeapRuleHoldsForEveryFourDigitYear) {
  for (unsigned y = 0; y <= 9999; ++y) ASSERT_EQ(leap(y), plain_leap(static_cast<int>(y))) << y;
}

TEST(ParseTimestamp, TheSpellingsTakenTodayAndTheirEdges) {
  seconds_t t = 0;
  const seconds_t base = midnight(days_from_civil(2024, 2, 29));
  EXPECT_EQ(read_timestamp("2024-02-29T23:59:59Z", t), nullptr);
  EXPECT_EQ(t, base + 86399);
  EXPECT_EQ(read_timestamp("2024-02-29 00:00:00", t), nullptr);
  EXPECT_EQ(t, base);
  EXPECT_EQ(read_timestamp("0000-01-01T00:00:00Z", t), nullptr);
  EXPECT_EQ(t, midnight(days_from_civil(0, 1, 1)));
  EXPECT_EQ(read_timestamp("9999-12-31T23:59:59Z", t), nullptr);
  EXPECT_EQ(t, midnight(days_from_civil(9999, 12, 31)) + 86399);
  EXPECT_STREQ(read_timestamp("2023-02-29T10:00:00Z", t), "impossible timestamp");
  EXPECT_STREQ(read_timestamp("2023-02-29", t), "impossible timestamp");
  EXPECT_STREQ(read_timestamp("2024-02-28T24:00:00Z", t), "impossible timestamp");
  EXPECT_STREQ(read_timestamp("2024-02-28T23:60:00Z", t), "impossible timestamp");
  EXPECT_STREQ(read_timestamp("2024-02-28T23:00:60Z", t), "impossible timestamp");
  // fractional seconds and offsets are not spellings the contract takes
  constexpr const char* bad = "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])";
  for (const char* text :
       {"2024-02-28T10:11:12.5Z", "2024-02-28T10:11:12.500", "2024-02-28T10:11:12+02:00", "2024-02-28T10:11:12z",
        "2024-02-28X10:11:12", "2024-02-28T10-11:12", "2024-02-28T1a:11:12", "2024-02-28T10:11", "2024-2-28T10:11:12Z"})
    EXPECT_STREQ(read_timestamp(text, t), bad) << text;
  EXPECT_STREQ(read_timestamp("2024-02-2x", t), "unparsable timestamp");
}

namespace {

/// The timestamp rule read plainly, a byte at a time: its reason, or null with the instant.
const char* plain_timestamp(std::string_view s, seconds_t& t) {
  constexpr const char* bad = "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])";
  const auto digits = [&](std::size_t from, std::size_t n, unsigned& v) {
    v = 0;
    for (std::size_t k = from; k < from + n; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      v = v * 10 + static_cast<unsigned>(s[k] - '0');
    }
    return true;
  };
  unsigned y = 0, m = 0, d = 0, hh = 0, mi = 0, ss = 0;
  const bool date_only = s.size() == 10;
  if (!date_only && s.size() != 19 && !(s.size() == 20 && s[19] == 'Z')) return bad;
  if (!date_only && ((s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')) return bad;
  if (!date_only && (!digits(11, 2, hh) || !digits(14, 2, mi) || !digits(17, 2, ss))) return bad;
  if (s[4] != '-' || s[7] != '-' || !digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d))
    return date_only ? "unparsable timestamp" : bad;
  const int year = static_cast<int>(y);
  if (m < 1 || m > 12 || d < 1 || d > plain_days_in_month(year, m) || hh > 23 || mi > 59 || ss > 59)
    return "impossible timestamp";
  t = midnight(days_from_civil(year, m, d)) + hh * 3600 + mi * 60 + ss;
  return nullptr;
}

}  // namespace

TEST(ParseTimestamp, EveryByteOfEachFormReplacedByEveryValueAgreesWithThePlainRule) {
  // the fixed-width fast path checks 8 bytes at a time: each byte position of each form, set to
  // each of the 256 values, gives the plain rule's reason and instant
  for (const std::string form : {"2024-02-29T23:59:59Z", "2024-02-29 23:59:59", "0000-02-29T00:00:00",
                                 "1900-02-28T12:30:45Z", "9999-12-31T23:59:59Z", "2023-11-30", "2024-02-29"}) {
    for (std::size_t k = 0; k < form.size(); ++k)
      for (int c = 0; c < 256; ++c) {
        std::string text = form;
        text[k] = static_cast<char>(c);
        seconds_t got = -7, want = -7;
        const char* why = read_timestamp(text, got);
        const char* plain = plain_timestamp(text, want);
        ASSERT_STREQ(why, plain) << text << " (byte " << k << " = " << c << ")";
        ASSERT_EQ(got, want) << text;
      }
  }
}

TEST(ParseImpression, OneDigitFastPathAndTheGeneralPathAgree) {
  const auto value = [](const char* text) {
    int v = 99;
    const char* why = read_impression(text, v);
    return why ? 100 : v;  // 100: rejected
  };
  // in range, one digit with an optional minus
  EXPECT_EQ(value("0"), 0);
  EXPECT_EQ(value("2"), 2);
  EXPECT_EQ(value("-2"), -2);
  EXPECT_EQ(value("-0"), 0);
  // out of range: +-3 for the range rule, however large
  EXPECT_EQ(value("3"), 3);
  EXPECT_EQ(value("9"), 3);
  EXPECT_EQ(value("-9"), -3);
  EXPECT_EQ(value("12"), 3);
  EXPECT_EQ(value("-123456789012345678901234567890"), -3);
  // two digits take the general path: a leading zero is still a digit
  EXPECT_EQ(value("01"), 1);
  EXPECT_EQ(value("-01"), -1);
  // not integers
  for (const char* bad : {"", "-", "--1", "+1", "a", "1a", "-a", " 1", "1 ", "1-", "1.0", ":", "/"})
    EXPECT_EQ(value(bad), 100) << bad;
}

TEST(ParseEnums, EverySpellingAndEveryNearMiss) {
  // each spelling is found; a change of any one byte of it, a byte added or removed, or another
  // case is not (the table picks the candidate by one byte, then compares the whole field)
  const auto check = [](const auto& words, auto parse, const char* what) {
    for (std::size_t i = 0; i < std::size(words); ++i) {
      const std::string w = words[i];
      const auto got = parse(w);
      ASSERT_TRUE(got.has_value()) << what << " " << w;
      EXPECT_EQ(static_cast<std::size_t>(*got), i) << w;
      for (std::size_t k = 0; k < w.size(); ++k)
        for (const char c : {'x', 'A', '\0', ',', static_cast<char>(w[k] ^ 0x20), static_cast<char>(w[k] + 1)}) {
          std::string near = w;
          near[k] = c;
          EXPECT_FALSE(parse(near).has_value()) << what << " " << near;
        }
      EXPECT_FALSE(parse(w + "s").has_value()) << w;
      EXPECT_FALSE(parse(w + std::string(1, '\0')).has_value()) << w;
      EXPECT_FALSE(parse(w.substr(0, w.size() - 1)).has_value()) << w;
      if (const auto tail = parse(w.substr(1))) {  // "email" without its first byte is "mail"
        EXPECT_EQ(words[static_cast<std::size_t>(*tail)], w.substr(1));
      }
      EXPECT_FALSE(parse(w + w).has_value()) << w;
    }
    for (const char* other : {"", "a", "ab", "abc", "abcd", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
      EXPECT_FALSE(parse(other).has_value()) << what << " " << other;
  };
  check(channel_words, parse_channel, "channel");
  check(stage_words, parse_stage, "stage");
  check(initiator_words, parse_initiator, "initiator");
  check(aspect_words, parse_aspect, "aspect");
  // words of another enumeration, and the same byte at the picked position
  EXPECT_FALSE(parse_channel("welcome"));
  EXPECT_FALSE(parse_channel("oiline"));  // byte 1 picks 'visit', the whole field is compared
  EXPECT_FALSE(parse_stage("service_call"));
  EXPECT_EQ(parse_aspect("wow"), Aspect::wow);
  EXPECT_FALSE(parse_aspect("wo"));
  EXPECT_FALSE(parse_aspect("woW"));
  EXPECT_FALSE(parse_aspect("wowo"));
  EXPECT_EQ(parse_channel("service_call"), Channel::service_call);
  EXPECT_EQ(parse_stage("presentation"), Stage::presentation);
  EXPECT_EQ(parse_initiator("customer"), Initiator::customer);
  EXPECT_EQ(parse_aspect("hospitality"), Aspect::hospitality);
}

namespace {

/// The splitter's lines (fields joined by '|'), and whether it stopped at a quote.
std::pair<std::vector<std::string>, bool> split(std::string_view text) {
  PlainLineSplitter s(text.data(), text.data() + text.size());
  std::vector<std::string_view> fields;
  std::string_view line;
  std::vector<std::string> out;
  while (s.next(fields, line)) {
    std::string joined;
    for (std::size_t k = 0; k < fields.size(); ++k) {
      if (k) joined += '|';
      joined.append(fields[k]);
    }
    joined += '#';
    joined.append(line);
    out.push_back(std::move(joined));
  }
  return {out, s.saw_quote()};
}

/// The same, a byte at a time.
std::vector<std::string> plain_split(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    std::string line(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string joined;
    for (const char c : line) joined += c == ',' ? '|' : c;
    joined += '#';
    joined += line;
    out.push_back(std::move(joined));
  }
  return out;
}

}  // namespace

TEST(PlainSplitIndex, DenseSeparatorsLongFieldsAndTheIndexWindows) {
  // the splitter indexes up to 16 stretches of 64 bytes (1 KiB) at a time and writes 16
  // separator offsets per stretch unconditionally: stretches of 64 separators, fields longer
  // than the index window, and lines that cross its edges
  std::string text;
  text += std::string(64 * 3, ',') + "\n";       // 192 separators in three stretches
  text += std::string(3000, 'a') + "," + "b\n";  // a field longer than the index window
  text += std::string(1023, 'c') + "\n";         // a line feed at the window's last byte
  for (int n = 0; n < 40; ++n) text += std::string(static_cast<std::size_t>(n * 7 % 97), 'd') + ",,\r\n";
  text += std::string(5000, ',');  // no line feed at the end
  const auto [lines, quote] = split(text);
  EXPECT_FALSE(quote);
  EXPECT_EQ(lines, plain_split(text));
  EXPECT_EQ(lines.size(), 44u);
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{1024},
                                 std::size_t{1025}, std::size_t{2049}}) {
    const std::string part = text.substr(0, size);
    EXPECT_EQ(split(part).first, plain_split(part)) << size;
  }
}

TEST(PlainSplitIndex, LinesBeforeTheQuotedStretchAreReturnedAfterAWindow) {
  // 40 lines of 50 bytes (2000 bytes: the index window ends inside them), then a quote at
  // byte 2002: the lines that end before the stretch holding it (bytes 1984..2047) are returned
  std::string text;
  for (int n = 0; n < 40; ++n) text += std::string(47, 'e') + ",f\n";
  text += "g,\"h\"\n";
  const auto [lines, quote] = split(text);
  EXPECT_TRUE(quote);
  ASSERT_EQ(lines.size(), 39u);  // line 40 (bytes 1950..1999) reaches into the quoted stretch
  EXPECT_EQ(lines[38], std::string(47, 'e') + "|f#" + std::string(47, 'e') + ",f");
}
