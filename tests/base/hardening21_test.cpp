// Issue 21 (hardening, round two), the C++ API items: each test is named after its item and
// failed before the fix.
#include <rapport/base/data.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/scorer.hpp>
#include <rapport/scoring/summary.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace {

using namespace rapport;

constexpr day_t day(int y, unsigned m, unsigned d) { return days_from_civil(y, m, d); }
constexpr seconds_t at(int y, unsigned m, unsigned d) { return midnight(day(y, m, d)); }

ContactRow contact(seconds_t t) {
  ContactRow r;
  r.at = t;
  r.stage = Stage::service;
  r.impression = 1;
  return r;
}

// The edges of the text sources' range: 0000-01-01T00:00:00 and 9999-12-31T23:59:59.
constexpr seconds_t first_instant = at(0, 1, 1);
constexpr seconds_t last_instant = at(9999, 12, 31) + 86399;

TEST(Hardening21, Item3_BuilderRejectsInstantsOutsideYears0000To9999) {
  CustomerBaseBuilder b;
  std::string column;
  EXPECT_EQ(b.add_customer("early", day(0, 1, 1) - 1, "", &column), "date out of range (years 0000-9999)");
  EXPECT_EQ(column, "acquired_on");
  EXPECT_EQ(b.add_customer("late", day(9999, 12, 31) + 1, "", &column), "date out of range (years 0000-9999)");
  EXPECT_EQ(b.add_customer("min", std::numeric_limits<day_t>::min(), ""), "date out of range (years 0000-9999)");
  EXPECT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  EXPECT_EQ(b.add_customer("edge", day(9999, 12, 31), ""), "");  // the last day is in range

  for (const seconds_t t : {std::numeric_limits<seconds_t>::min(), std::numeric_limits<seconds_t>::max(),
                            first_instant - 1, last_instant + 1}) {
    column.clear();
    EXPECT_EQ(b.add_contact("a", contact(t), &column), "timestamp out of range (years 0000-9999)") << t;
    EXPECT_EQ(column, "at");
    column.clear();
    EXPECT_EQ(b.add_purchase("a", t, 10.0, &column), "timestamp out of range (years 0000-9999)") << t;
    EXPECT_EQ(column, "at");
    column.clear();
    EXPECT_EQ(b.add_referral("a", "x", t, &column), "timestamp out of range (years 0000-9999)") << t;
    EXPECT_EQ(column, "at");
  }
  // the edges themselves are accepted
  EXPECT_EQ(b.add_contact("a", contact(first_instant)), "");
  EXPECT_EQ(b.add_contact("a", contact(last_instant)), "");
  EXPECT_EQ(b.add_purchase("a", first_instant, 1.0), "");
  EXPECT_EQ(b.add_referral("a", "x", last_instant), "");

  // a complaint's resolution instant too (no_time = not resolved stays allowed)
  ContactRow complaint = contact(at(2020, 2, 1));
  complaint.complaint = true;
  complaint.resolved_at = std::numeric_limits<seconds_t>::max();
  EXPECT_EQ(b.add_contact("a", complaint, &column), "resolved_at: timestamp out of range (years 0000-9999)");
  EXPECT_EQ(column, "resolved_at");
  complaint.resolved_at = no_time;
  EXPECT_EQ(b.add_contact("a", complaint), "");

  // an unknown customer is still the first reason (schema order: customer_id before at)
  EXPECT_EQ(b.add_contact("nobody", contact(std::numeric_limits<seconds_t>::min())), "unknown customer");

  const CustomerBase base = b.finish();
  EXPECT_EQ(base.customer_count(), 2u);
  EXPECT_EQ(base.contact_count(), 3u);
  EXPECT_EQ(base.purchase_count(), 1u);
  EXPECT_EQ(base.referral_count(), 1u);
  // scoring what was accepted does not crash, and only the customers acquired by D are scored
  const ScoreResult r = score(base, day(2021, 1, 1));
  EXPECT_EQ(r.scores.size(), 1u);
  const Summary s = summarize(base, LoadReport{}, r);
  EXPECT_EQ(s.customers_scored, 1u);
}

TEST(Hardening21, Item3_BuilderRejectsEnumerationsOutsideTheirValues) {
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  std::string column;
  ContactRow r = contact(at(2020, 3, 1));
  r.stage = static_cast<Stage>(9);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown stage (value 9, expected 0..4)");
  EXPECT_EQ(column, "stage");
  r = contact(at(2020, 3, 1));
  r.channel = static_cast<Channel>(8);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown channel (value 8, expected 0..7)");
  EXPECT_EQ(column, "channel");
  r = contact(at(2020, 3, 1));
  r.initiator = static_cast<Initiator>(2);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown initiator (value 2, expected 0..1)");
  EXPECT_EQ(column, "initiator");
  r = contact(at(2020, 3, 1));
  r.aspect = static_cast<Aspect>(255);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown aspect (value 255, expected 0..2)");
  EXPECT_EQ(column, "aspect");
  // schema order: a bad `at` is named before a bad stage
  r = contact(std::numeric_limits<seconds_t>::min());
  r.stage = static_cast<Stage>(9);
  EXPECT_EQ(b.add_contact("a", r, &column), "timestamp out of range (years 0000-9999)");
  // the last value of each enumeration is accepted
  r = contact(at(2020, 3, 1));
  r.channel = Channel::other;
  r.stage = Stage::service;
  r.initiator = Initiator::customer;
  r.aspect = Aspect::wow;
  EXPECT_EQ(b.add_contact("a", r), "");
  const CustomerBase base = b.finish();
  ASSERT_EQ(base.contact_count(), 1u);
  const ScoreResult res = score(base, day(2020, 12, 31));
  // one service-stage contact: the wheel's four sales stages hold none, service_share = 1/1
  const Summary s = summarize(base, LoadReport{}, res);
  EXPECT_EQ(s.service_share, 1.0);
}

TEST(Hardening21, Item3_ScorerAddAppliesTheSameRanges) {
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  Scorer scorer(b.finish(), day(2021, 1, 1));
  RowBatch batch;
  batch.customers.push_back({"late", day(10000, 1, 1), ""});
  batch.customers.push_back({"min", std::numeric_limits<day_t>::min(), ""});
  ContactEntry bad_stage{"a", contact(at(2020, 6, 1))};
  bad_stage.row.stage = static_cast<Stage>(9);
  batch.contacts.push_back(bad_stage);
  batch.contacts.push_back({"a", contact(std::numeric_limits<seconds_t>::min())});
  batch.contacts.push_back({"a", contact(at(2020, 6, 1))});
  batch.purchases.push_back({"a", std::numeric_limits<seconds_t>::min(), 5.0});
  batch.purchases.push_back({"a", std::numeric_limits<seconds_t>::max(), 5.0});
  batch.referrals.push_back({"a", "b", std::numeric_limits<seconds_t>::min()});
  const LoadReport rep = scorer.add(batch);
  EXPECT_EQ(rep.customers.rejected, 2u);
  EXPECT_EQ(rep.contacts.rejected, 2u);
  EXPECT_EQ(rep.purchases.rejected, 2u);
  EXPECT_EQ(rep.referrals.rejected, 1u);
  ASSERT_EQ(rep.rejects.size(), 7u);
  EXPECT_EQ(rep.rejects[0].reason, "date out of range (years 0000-9999)");
  EXPECT_EQ(rep.rejects[0].column_name, "acquired_on");
  EXPECT_EQ(rep.rejects[2].reason, "unknown stage (value 9, expected 0..4)");
  EXPECT_EQ(rep.rejects[2].column_name, "stage");
  EXPECT_EQ(rep.rejects[3].reason, "timestamp out of range (years 0000-9999)");
  EXPECT_EQ(rep.rejects[6].table, "referrals");
  const ScoreResult& r = scorer.scores();
  ASSERT_EQ(r.scores.size(), 1u);
  const Summary s = scorer.summary();
  EXPECT_EQ(s.service_share, 1.0);  // the one accepted contact is a service contact
}

}  // namespace
