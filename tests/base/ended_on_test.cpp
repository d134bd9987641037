// ended_on: the optional customers column (a date, empty while active) through the one row path —
// CSV files, the builder and live Scorer batches — with its two reject reasons.
#include <rapport/base/data.hpp>
#include <rapport/io/load.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/scorer.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace {

using namespace rapport;

day_t day(const char* text) { return *parse_date(text); }

TEST(EndedOn, CsvReadsTheColumnAndRejectsBadDates) {
  test::TempDir dir;
  // ended_on anywhere in the header; empty = still active
  dir.write("customers.csv",
            "customer_id,ended_on,acquired_on\n"
            "A,,2024-01-10\n"              // line 2: active
            "B,2024-06-30,2024-01-10\n"    // line 3: ended
            "C,2024-01-09,2024-01-10\n"    // line 4: ended before acquired_on -> rejected
            "D,2024-02-30,2024-01-10\n"    // line 5: impossible date -> rejected
            "E,30/06/2024,2024-01-10\n"    // line 6: unparsable -> rejected
            "F,2024-01-10,2024-01-10\n");  // line 7: ended on the day it began: accepted
  const auto loaded = load_csv({dir.file("customers.csv"), "", "", ""});
  const auto& b = loaded.base;
  ASSERT_EQ(b.customer_count(), 3u);
  ASSERT_EQ(b.ended_on.size(), 3u);
  EXPECT_EQ(b.ended(0), no_day);
  EXPECT_EQ(b.ended(1), day("2024-06-30"));
  EXPECT_EQ(b.ended(2), day("2024-01-10"));
  EXPECT_TRUE(b.any_ended());
  ASSERT_EQ(loaded.report.customers.rejected, 3u);
  const auto& r = loaded.report.rejects;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].line, 4u);
  EXPECT_EQ(r[0].column, 2u);
  EXPECT_EQ(r[0].column_name, "ended_on");
  EXPECT_EQ(r[0].reason, "ended_on before acquired_on");
  EXPECT_EQ(r[1].line, 5u);
  EXPECT_EQ(r[1].column_name, "ended_on");
  EXPECT_EQ(r[1].reason, "ended_on: impossible date");
  EXPECT_EQ(r[2].line, 6u);
  EXPECT_EQ(r[2].reason, "ended_on: unparsable date (expected YYYY-MM-DD)");
}

TEST(EndedOn, WithoutTheColumnTheBaseHasNoEndedColumn) {
  test::TempDir dir;
  dir.write("customers.csv", "customer_id,acquired_on\nA,2024-01-10\n");
  const auto b = load_csv({dir.file("customers.csv"), "", "", ""}).base;
  EXPECT_TRUE(b.ended_on.empty());  // compact: no column until some customer has ended
  EXPECT_EQ(b.ended(0), no_day);
  EXPECT_FALSE(b.any_ended());
}

TEST(EndedOn, BuilderAppliesTheSameRule) {
  CustomerBaseBuilder bld;
  std::string col;
  EXPECT_EQ(bld.add_customer("A", day("2024-01-10"), ""), "");
  EXPECT_EQ(bld.add_customer("B", day("2024-01-10"), "", day("2024-01-09"), &col), "ended_on before acquired_on");
  EXPECT_EQ(col, "ended_on");
  EXPECT_EQ(bld.add_customer("C", day("2024-01-10"), "", day("2024-03-01")), "");
  const auto b = bld.finish();
  ASSERT_EQ(b.customer_count(), 2u);
  EXPECT_EQ(b.ended_on, (std::vector<day_t>{no_day, day("2024-03-01")}));  // filled in once needed
}

TEST(EndedOn, ScorerBatchesApplyTheSameRule) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-01-10"), "");
  Scorer scorer(bld.finish(), day("2024-06-30"));
  RowBatch batch;
  batch.customers.push_back({"B", day("2024-02-01"), "", day("2024-01-31")});  // row 2: rejected
  batch.customers.push_back({"C", day("2024-02-01"), "", day("2024-05-01")});  // row 3: ended
  batch.customers.push_back({"D", day("2024-02-01"), ""});                     // row 4: active
  const auto report = scorer.add(batch);
  ASSERT_EQ(report.customers.rejected, 1u);
  EXPECT_EQ(report.rejects[0].line, 2u);
  EXPECT_EQ(report.rejects[0].column_name, "ended_on");
  EXPECT_EQ(report.rejects[0].reason, "ended_on before acquired_on");
  const auto b = scorer.base();
  ASSERT_EQ(b.customer_count(), 3u);
  EXPECT_EQ(b.ended(0), no_day);
  EXPECT_EQ(b.ended(1), day("2024-05-01"));
  EXPECT_EQ(b.ended(2), no_day);
}

}  // namespace
