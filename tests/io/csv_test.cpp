// RFC 4180 reader: quoting, line endings, BOM, blank lines, line numbers, malformed input.
#include "io/csv_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using rapport::detail::CsvReader;
using rapport::detail::CsvRecord;

namespace {
struct Row {
  std::vector<std::string> fields;
  std::size_t line;
  std::string raw;
  bool error;
};
std::vector<Row> read_all(std::string_view text) {
  CsvReader r(text, "mem.csv");
  CsvRecord rec;
  std::vector<Row> out;
  while (r.next(rec))
    out.push_back({{rec.fields.begin(), rec.fields.end()}, rec.line, std::string(rec.raw), rec.error != nullptr});
  return out;
}
}  // namespace

TEST(Csv, PlainRowsAndEmptyFields) {
  const auto rows = read_all("a,b,c\n1,,3\n,,\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "", "3"}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(rows[2].line, 3u);
}

TEST(Csv, QuotedCommasQuotesAndNewlines) {
  // line 1: header; line 2-3: one record whose second field spans two lines; line 4: next record
  const auto rows = read_all("id,note\n\"x,1\",\"he said \"\"hi\"\"\nbye\"\nz,\"\"\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"x,1", "he said \"hi\"\nbye"}));
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"z", ""}));
  EXPECT_EQ(rows[2].line, 4u);
}

TEST(Csv, CrlfBomAndBlankLines) {
  const auto rows = read_all("\xEF\xBB\xBFid,v\r\n\r\n1,a\r\n\n2,\"b\r\nc\"\r\n3,d");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].fields[0], "id");  // BOM gone
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "a"}));
  EXPECT_EQ(rows[1].line, 3u);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"2", "b\r\nc"}));
  EXPECT_EQ(rows[2].line, 5u);
  EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"3", "d"}));  // no final newline
  EXPECT_EQ(rows[3].line, 7u);
  EXPECT_EQ(rows[1].raw, "1,a");
}

TEST(Csv, FieldsAreVerbatim) {
  const auto rows = read_all("a,b\n x , y\t\n");
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{" x ", " y\t"}));
}

TEST(Csv, UnterminatedQuoteIsAnErrorNotACrash) {
  const auto rows = read_all("a,b\n1,\"open\n2,3\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[1].error);
}

TEST(Csv, LongRecordsAcrossBufferRefills) {
  std::string big(3'000'000, 'x');
  const auto rows = read_all("a,b\n\"" + big + "\",1\n2,3\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].fields[0].size(), big.size());
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"2", "3"}));
}

// ---- the plain-text field splitter (64-byte masks)

namespace {
using rapport::detail::PlainLineSplitter;
using rapport::detail::split_plain_record;

struct Line {
  std::vector<std::string> fields;
  std::string text;
  bool operator==(const Line&) const = default;
};

/// The splitter's lines, and whether it stopped at a quote.
std::pair<std::vector<Line>, bool> split_lines(std::string_view text) {
  PlainLineSplitter s(text.data(), text.data() + text.size());
  std::vector<std::string_view> fields;
  std::string_view line;
  std::vector<Line> out;
  while (s.next(fields, line)) out.push_back({{fields.begin(), fields.end()}, std::string(line)});
  return {out, s.saw_quote()};
}

/// The same split, a character at a time: lines at '\n', one '\r' dropped before it, fields at ','.
std::vector<Line> naive_lines(std::string_view text) {
  std::vector<Line> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    std::string line(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Line l{{""}, line};
    for (const char c : line) {
      if (c == ',')
        l.fields.emplace_back();
      else
        l.fields.back().push_back(c);
    }
    out.push_back(l);
  }
  return out;
}
}  // namespace

TEST(PlainSplit, FieldsAtEveryOffsetAcrossThe64ByteStretches) {
  // lines of growing length put commas and line feeds on every position of a 64-byte stretch,
  // and on both sides of its edges; one CRLF line, empty fields and a last line without '\n'
  std::string text;
  for (int n = 0; n < 150; ++n) {
    text +=
        std::string(static_cast<std::size_t>(n % 7), 'a') + "," + std::string(static_cast<std::size_t>(n), 'b') + ",,c";
    text += n % 11 == 0 ? "\r\n" : "\n";
  }
  text += "x,y";
  const auto [lines, quote] = split_lines(text);
  EXPECT_FALSE(quote);
  EXPECT_EQ(lines, naive_lines(text));
  ASSERT_EQ(lines.size(), 151u);
  EXPECT_EQ(lines[0].fields, (std::vector<std::string>{"", "", "", "c"}));  // n = 0: ",,,c" and CRLF
  EXPECT_EQ(lines.back().fields, (std::vector<std::string>{"x", "y"}));
}

TEST(PlainSplit, BlankAndCarriageReturnOnlyLines) {
  const auto [lines, quote] = split_lines("a\n\n\r\nb\r\r\n");
  EXPECT_FALSE(quote);
  // "a", "", "" (the CR dropped), "b\r" (only one CR is dropped)
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1].text, "");
  EXPECT_EQ(lines[2].text, "");
  EXPECT_EQ(lines[3].fields, (std::vector<std::string>{"b\r"}));
}

TEST(PlainSplit, StopsAtAQuote) {
  const std::string text = std::string(200, 'a') + "\nb,\"c\"\n";
  const auto [lines, quote] = split_lines(text);
  EXPECT_TRUE(quote);
  EXPECT_LE(lines.size(), 1u);  // at most the lines before the 64-byte stretch holding the quote
}

TEST(PlainSplit, RecordSplitterMatchesTheLineSplitter) {
  std::vector<std::string_view> fields;
  const std::string long_record = std::string(70, 'x') + "," + std::string(63, 'y') + ",,z";
  split_plain_record(long_record, fields);
  EXPECT_EQ(std::vector<std::string>(fields.begin(), fields.end()),
            (std::vector<std::string>{std::string(70, 'x'), std::string(63, 'y'), "", "z"}));
  split_plain_record("", fields);
  EXPECT_EQ(fields.size(), 1u);  // one empty field
  split_plain_record("a\r", fields);
  EXPECT_EQ(fields[0], "a\r");  // a record's text is taken as it is
}
