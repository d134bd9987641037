// RFC 4180 reader: quoting, line endings, BOM, blank lines, line numbers, malformed input.
#include "io/csv.hpp"

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
  while (r.next(rec)) out.push_back({{rec.fields.begin(), rec.fields.end()}, rec.line, std::string(rec.raw), rec.error != nullptr});
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
