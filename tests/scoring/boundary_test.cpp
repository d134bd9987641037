// Boundaries of the reference semantics: each case exactly on the edge and one second (or one
// day) either side. Scored as of D = 2024-03-31, T = 2024-04-01T00:00Z, unless a case says so.
#include <rapport/io/load.hpp>
#include <rapport/scoring/score.hpp>

#include "support/scoring_cases.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace rapport;
using namespace rapport::test;

namespace {

ContactRow service_followup(seconds_t at) { return contact_at(at, B, Stage::service, Aspect::wow, 0); }
ContactRow business_touch(seconds_t at) { return contact_at(at, B, Stage::welcome, Aspect::wow, 0); }

/// Row of customer `id` in the scores (all customers in these cases are scored, in input order).
std::size_t row_of(const CustomerBase& base, const ScoreResult& res, const char* id) {
  const auto c = base.find_customer(id);
  for (std::size_t r = 0; r < res.scores.size(); ++r)
    if (c && res.scores.customer[r] == *c) return r;
  throw std::logic_error(std::string("not scored: ") + id);
}
}  // namespace

//  Follow-through: a purchase at s is followed when a business service contact has
//  s ≤ at ≤ s + 14 d. Purchases at s = 2024-02-01T12:00 (long before T: eligible):
//
//        s−1s  s                                  s+14d−1s  s+14d  s+14d+1s
//    ─────┼────┼───────────────────────────────────────┼───────┼───────┼────▶
//        no   yes                                     yes     yes      no
//  and a customer-initiated service contact at s + 1 d does not follow through.
TEST(Boundary, FollowThroughWindowIncludesBothEnds) {
  const seconds_t s = ts("2024-02-01T12:00:00");
  const seconds_t end = s + 14 * one_day;
  const std::pair<const char*, ContactRow> cases[] = {
      {"before_start", service_followup(s - 1)},
      {"at_start", service_followup(s)},
      {"before_end", service_followup(end - 1)},
      {"at_end", service_followup(end)},
      {"after_end", service_followup(end + 1)},
      {"by_customer", contact_at(s + one_day, C, Stage::service, Aspect::wow, 0)}};
  CustomerBaseBuilder bld;
  for (const auto& [id, row] : cases) {
    must(bld.add_customer(id, day("2024-01-01"), ""));
    must(bld.add_purchase(id, s, 10));
    must(bld.add_contact(id, row));
  }
  const auto base = bld.finish();
  const auto res = score(base, case_as_of, fixed_config());
  const double expected[] = {0, 1, 1, 1, 0, 0};
  for (std::size_t k = 0; k < std::size(cases); ++k) {
    const auto r = row_of(base, res, cases[k].first);
    EXPECT_EQ(res.scores.loyalty_evidence[LoyaltyComponent::follow_through][r], 1u) << cases[k].first;
    EXPECT_EQ(res.scores.loyalty[LoyaltyComponent::follow_through][r], expected[k]) << cases[k].first;
  }
}

//  Eligibility: a purchase counts for follow-through when s + 14 d ≤ T.
//    s = T − 14 d − 1 s: eligible | s = T − 14 d (s + 14 d == T): eligible | s = T − 14 d + 1 s: not
//  (no service contact follows, so an eligible purchase gives follow-through 0).
TEST(Boundary, FollowThroughEligibleWhenWindowEndsExactlyAtT) {
  const seconds_t edge = case_T - 14 * one_day;
  CustomerBaseBuilder bld;
  for (const char* id : {"inside", "at_edge", "outside"}) must(bld.add_customer(id, day("2024-01-01"), ""));
  must(bld.add_purchase("inside", edge - 1, 10));
  must(bld.add_purchase("at_edge", edge, 10));
  must(bld.add_purchase("outside", edge + 1, 10));
  const auto base = bld.finish();
  const auto res = score(base, case_as_of, fixed_config());
  const auto& s = res.scores;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.loyalty_evidence[LoyaltyComponent::follow_through][0], 1u);
  EXPECT_EQ(s.loyalty[LoyaltyComponent::follow_through][0], 0.0);
  EXPECT_EQ(s.loyalty_evidence[LoyaltyComponent::follow_through][1], 1u);
  EXPECT_EQ(s.loyalty[LoyaltyComponent::follow_through][1], 0.0);
  EXPECT_EQ(s.loyalty_evidence[LoyaltyComponent::follow_through][2], 0u);
  EXPECT_TRUE(std::isnan(s.loyalty[LoyaltyComponent::follow_through][2]));
}

//  Continuity: period k is [T − 30(k+1) d, T − 30k d). Customers acquired T − 60 d = 2024-02-01
//  have n = 2 periods; one business contact each:
//
//     T−60d−1s │ T−60d (= A)        T−30d−1s │ T−30d                    T
//    ──────────┼───────── period 1 ───────────┼──────── period 0 ─────────┤
//      outside     period 1          period 1     period 0
//
//  continuity = Σ covered 2^(−k/6) / (1 + 2^(−1/6)).
//  A customer acquired T − 61 d = 2024-01-31 has n = ⌈61/30⌉ = 3 periods: a contact at
//  T − 90 d (before A, in the oldest period) counts; at T − 90 d − 1 s it does not.
TEST(Boundary, ContinuityPeriodEdgesAtTMinus30kDays) {
  const std::pair<const char*, seconds_t> two[] = {{"p0_start", case_T - 30 * one_day},
                                                   {"p1_end", case_T - 30 * one_day - 1},
                                                   {"p1_start", case_T - 60 * one_day},
                                                   {"outside", case_T - 60 * one_day - 1}};
  CustomerBaseBuilder bld;
  for (const auto& [id, at] : two) {
    must(bld.add_customer(id, day("2024-02-01"), ""));
    must(bld.add_contact(id, business_touch(at)));
  }
  must(bld.add_customer("n3_oldest", day("2024-01-31"), ""));
  must(bld.add_contact("n3_oldest", business_touch(case_T - 90 * one_day)));
  must(bld.add_customer("n3_outside", day("2024-01-31"), ""));
  must(bld.add_contact("n3_outside", business_touch(case_T - 90 * one_day - 1)));
  const auto base = bld.finish();
  const auto res = score(base, case_as_of, fixed_config());
  const auto& s = res.scores;
  ASSERT_EQ(s.size(), 6u);
  const double g = std::exp2(-1.0 / 6);  // period weight 2^(−30/180)
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::continuity][0], 1 / (1 + g), 1e-12);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::continuity][1], g / (1 + g), 1e-12);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::continuity][2], g / (1 + g), 1e-12);
  EXPECT_EQ(s.loyalty[LoyaltyComponent::continuity][3], 0.0);
  EXPECT_EQ(s.loyalty_evidence[LoyaltyComponent::continuity][3], 0u);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::continuity][4], g * g / (1 + g + g * g), 1e-12);
  EXPECT_EQ(s.loyalty[LoyaltyComponent::continuity][5], 0.0);
}

//  Wow: a +2 impression with age ≤ 365 d. One hospitality +2 contact each (t = 1 without
//  technical contacts, h = 1), so ladder = (1 + 1 + o)/3: 1 with wow, 2/3 without.
//    age 365 d − 1 s: wow | age 365 d exactly: wow | age 365 d + 1 s: no wow
TEST(Boundary, WowWindowIncludesAgeExactly365Days) {
  const seconds_t edge = case_T - 365 * one_day;
  const std::pair<const char*, seconds_t> cases[] = {{"inside", edge + 1}, {"at_edge", edge}, {"outside", edge - 1}};
  CustomerBaseBuilder bld;
  for (const auto& [id, at] : cases) {
    must(bld.add_customer(id, day("2023-01-01"), ""));
    must(bld.add_contact(id, contact_at(at, C, Stage::service, Aspect::hospitality, 2)));
  }
  const auto base = bld.finish();
  const auto s = score(base, case_as_of, fixed_config()).scores;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.ladder_wow[0], 1);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::service_ladder][0], 1.0, 1e-15);
  EXPECT_EQ(s.ladder_wow[1], 1);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::service_ladder][1], 1.0, 1e-15);
  EXPECT_EQ(s.ladder_wow[2], 0);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::service_ladder][2], 2.0 / 3, 1e-15);
}

//  Service ladder thresholds t ≥ 0.9 and h ≥ 0.5. All contacts at T − 180 d (weight exactly
//  0.5, so the shares are exact). "tech a/b" = a non-negative and b negative technical contacts;
//  hospitality contacts listed by impression; the +2 gives wow (age 180 d ≤ 365 d).
//
//    id        tech   hospitality   t       h     ladder                     next action (ladder only)
//    t_below   8/1    +2 0          8/9     1/2   (8/9)/3                    fix_basics
//    edges     9/1    +2 0          0.9     0.5   (0.9 + 0.5 + 1)/3 = 0.8    create_wow
//    t_above   10/1   +2 0          10/11   1/2   (10/11 + 0.5 + 1)/3        create_wow
//    h_below   9/1    +2 0 0        0.9     1/3   (0.9 + 1/3)/3              add_hospitality
//    h_above   9/1    +2 +1 0       0.9     2/3   (0.9 + 2/3 + 1)/3          create_wow
TEST(Boundary, ServiceLadderThresholdsAreInclusive) {
  struct Case {
    const char* id;
    int good, bad;
    std::vector<int> hospitality;
    double ladder;
    NextAction action;
  };
  const Case cases[] = {
      {"t_below", 8, 1, {2, 0}, (8.0 / 9) / 3, NextAction::fix_basics},
      {"edges", 9, 1, {2, 0}, 0.8, NextAction::create_wow},
      {"t_above", 10, 1, {2, 0}, (10.0 / 11 + 0.5 + 1) / 3, NextAction::create_wow},
      {"h_below", 9, 1, {2, 0, 0}, (0.9 + 1.0 / 3) / 3, NextAction::add_hospitality},
      {"h_above", 9, 1, {2, 1, 0}, (0.9 + 2.0 / 3 + 1) / 3, NextAction::create_wow},
  };
  const seconds_t at = case_T - 180 * one_day;
  CustomerBaseBuilder bld;
  for (const auto& c : cases) {
    must(bld.add_customer(c.id, day("2023-01-01"), ""));
    for (int k = 0; k < c.good; ++k)
      must(bld.add_contact(c.id, contact_at(at, C, Stage::service, Aspect::technical, 0)));
    for (int k = 0; k < c.bad; ++k)
      must(bld.add_contact(c.id, contact_at(at, C, Stage::service, Aspect::technical, -1)));
    for (int imp : c.hospitality)
      must(bld.add_contact(c.id, contact_at(at, C, Stage::service, Aspect::hospitality, imp)));
  }
  const auto base = bld.finish();
  auto cfg = fixed_config();
  // the ladder's gap decides; continuity (0: no business contact) must weigh something but
  // 0.01 · 1 stays below every ladder gap here (>= 0.19)
  cfg.loyalty_weights = {0.01, 0, 0, 0, 1};
  const auto s = score(base, case_as_of, cfg).scores;
  ASSERT_EQ(s.size(), std::size(cases));
  for (std::size_t r = 0; r < std::size(cases); ++r) {
    SCOPED_TRACE(cases[r].id);
    EXPECT_NEAR(s.loyalty[LoyaltyComponent::service_ladder][r], cases[r].ladder, 1e-15);
    EXPECT_EQ(s.next_action[r], cases[r].action);
  }
  EXPECT_EQ(s.ladder_technical[1], 0.9);
  EXPECT_EQ(s.ladder_hospitality[1], 0.5);
}

//  The default as-of date is the latest UTC date among the `at` of contacts, purchases and
//  referrals and the customers' acquired_on; resolved_at does not count.
//    A acquired 2024-03-01; a complaint made 2024-03-01 and resolved 2024-03-20 (the latest
//    instant anywhere) → D = 2024-03-01, T = 2024-03-02: the resolution is after T, the
//    complaint is open and 1 day old → recovery left out (with D = 03-20 it would be 2^(−12/7)).
TEST(Boundary, DefaultAsOfIgnoresResolvedAt) {
  CustomerBaseBuilder bld;
  must(bld.add_customer("A", day("2024-03-01"), ""));
  must(bld.add_contact("A", contact_at(ts("2024-03-01"), C, Stage::service, Aspect::wow, 0, true, ts("2024-03-20"))));
  const auto base = bld.finish();
  ASSERT_TRUE(base.default_as_of());
  EXPECT_EQ(*base.default_as_of(), day("2024-03-01"));
  const auto res = score(base, std::nullopt, fixed_config());
  EXPECT_EQ(res.as_of, day("2024-03-01"));
  ASSERT_EQ(res.scores.size(), 1u);
  EXPECT_TRUE(std::isnan(res.scores.loyalty[LoyaltyComponent::recovery][0]));
  EXPECT_EQ(res.scores.loyalty_evidence[LoyaltyComponent::recovery][0], 0u);
}

//  The other sources of the default as-of: an acquired_on later than every event, and a
//  referral's at (its UTC date, 23:59:59 still that day).
TEST(Boundary, DefaultAsOfTakesAcquiredOnAndReferrals) {
  {
    CustomerBaseBuilder bld;
    must(bld.add_customer("A", day("2024-01-01"), ""));
    must(bld.add_customer("B", day("2024-05-01"), ""));
    must(bld.add_purchase("A", ts("2024-03-01"), 1));
    EXPECT_EQ(*bld.finish().default_as_of(), day("2024-05-01"));
  }
  {
    CustomerBaseBuilder bld;
    must(bld.add_customer("A", day("2024-01-01"), ""));
    must(bld.add_contact("A", business_touch(ts("2024-03-01"))));
    must(bld.add_referral("A", "P", ts("2024-06-01T23:59:59")));
    EXPECT_EQ(*bld.finish().default_as_of(), day("2024-06-01"));
  }
}

//  Recovery: per complaint made at 2024-03-01 (age > 7 d at T), delay = resolved_at − at:
//    7 d − 1 s → 1 | 7 d → 1 | 7 d + 1 s → 2^(−(1/86400)/7) < 1
//  Open complaints: age exactly 7 d (made at T − 7 d) → left out; 7 d + 1 s → 0 (overdue).
TEST(Boundary, RecoveryAtExactlySevenDays) {
  const seconds_t at = ts("2024-03-01");
  const seconds_t week = 7 * one_day;
  CustomerBaseBuilder bld;
  const std::pair<const char*, seconds_t> resolved[] = {
      {"early", at + week - 1}, {"on_time", at + week}, {"late", at + week + 1}};
  for (const auto& [id, res] : resolved) {
    must(bld.add_customer(id, day("2024-01-01"), ""));
    must(bld.add_contact(id, contact_at(at, C, Stage::service, Aspect::wow, 0, true, res)));
  }
  must(bld.add_customer("open_7d", day("2024-01-01"), ""));
  must(bld.add_contact("open_7d", contact_at(case_T - week, C, Stage::service, Aspect::wow, 0, true)));
  must(bld.add_customer("open_7d_1s", day("2024-01-01"), ""));
  must(bld.add_contact("open_7d_1s", contact_at(case_T - week - 1, C, Stage::service, Aspect::wow, 0, true)));
  const auto base = bld.finish();
  const auto s = score(base, case_as_of, fixed_config()).scores;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.loyalty[LoyaltyComponent::recovery][0], 1.0);
  EXPECT_EQ(s.loyalty[LoyaltyComponent::recovery][1], 1.0);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::recovery][2], std::exp2(-(1.0 / 86400) / 7), 1e-15);
  EXPECT_LT(s.loyalty[LoyaltyComponent::recovery][2], 1.0);
  EXPECT_TRUE(std::isnan(s.loyalty[LoyaltyComponent::recovery][3]));
  EXPECT_EQ(s.overdue_complaint[3], 0);
  EXPECT_EQ(s.loyalty[LoyaltyComponent::recovery][4], 0.0);
  EXPECT_EQ(s.overdue_complaint[4], 1);
  EXPECT_EQ(s.next_action[4], NextAction::resolve_complaint);
}

//  A customer is scored when acquired_on ≤ D: acquired on D → scored (one period, tenure
//  1/730); acquired on D + 1 → not scored. Tenure saturates at exactly 730 days.
TEST(Boundary, AcquiredOnAsOfIsScoredTheDayAfterIsNot) {
  CustomerBaseBuilder bld;
  must(bld.add_customer("on_D", case_as_of, ""));
  must(bld.add_customer("after_D", case_as_of + 1, ""));
  must(bld.add_customer("two_years", day("2022-04-02"), ""));   // T − A = 730 d
  must(bld.add_customer("almost_two", day("2022-04-03"), ""));  // T − A = 729 d
  const auto base = bld.finish();
  const auto res = score(base, case_as_of, fixed_config());
  const auto& s = res.scores;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(base.customer_id[s.customer[0]], "on_D");
  EXPECT_EQ(base.customer_id[s.customer[1]], "two_years");
  EXPECT_EQ(base.customer_id[s.customer[2]], "almost_two");
  EXPECT_NEAR(s.referral[ReferralComponent::tenure][0], 1.0 / 730, 1e-15);
  EXPECT_EQ(s.referral[ReferralComponent::tenure][1], 1.0);
  EXPECT_NEAR(s.referral[ReferralComponent::tenure][2], 729.0 / 730, 1e-15);
}

//  A referral converts when the referred person is a scored customer acquired on or after the
//  UTC date of `at`; only referrals with at < T count.
//    ref ─2024-03-10T15:00─▶ same_day   (acquired 2024-03-10: converts)
//    ref ─2024-03-10T00:00─▶ day_before (acquired 2024-03-09: does not)
//    ref ─T − 1 s─────────▶ last_second (acquired 2024-03-31: converts)
//    ref ─T───────────────▶ at_T       (acquired 2024-03-31: the edge is not before T)
//  ref: direct referrals 3, converted 2, tree size 3.
TEST(Boundary, ReferralConvertsWhenAcquiredOnTheDateOfAt) {
  CustomerBaseBuilder bld;
  must(bld.add_customer("ref", day("2023-01-01"), ""));
  must(bld.add_customer("same_day", day("2024-03-10"), ""));
  must(bld.add_customer("day_before", day("2024-03-09"), ""));
  must(bld.add_customer("last_second", day("2024-03-31"), ""));
  must(bld.add_customer("at_T", day("2024-03-31"), ""));
  must(bld.add_referral("ref", "same_day", ts("2024-03-10T15:00:00")));
  must(bld.add_referral("ref", "day_before", ts("2024-03-10T00:00:00")));
  must(bld.add_referral("ref", "last_second", case_T - 1));
  must(bld.add_referral("ref", "at_T", case_T));
  const auto base = bld.finish();
  const auto res = score(base, case_as_of, fixed_config());
  const auto& f = res.forest;
  EXPECT_EQ(f.parent[1], 0u);
  EXPECT_EQ(f.parent[2], no_index);
  EXPECT_EQ(f.parent[3], 0u);
  EXPECT_EQ(f.parent[4], no_index);
  EXPECT_EQ(f.direct_referrals[0], 3u);
  EXPECT_EQ(f.converted_referrals[0], 2u);
  EXPECT_EQ(f.tree_size[0], 3u);
}

//  Header names are exact and case-sensitive: `Customer_ID` is not `customer_id` (a missing
//  required column), and an optional `Segment` column is not `segment` (an extra column,
//  ignored: every customer has no segment).
TEST(Boundary, HeaderNamesAreCaseSensitive) {
  {
    TempDir dir;
    dir.write("customers.csv", "Customer_ID,acquired_on\nA,2024-01-01\n");
    try {
      load_csv(InputFiles::from_directory(dir.path()));
      FAIL() << "a header `Customer_ID` must not match the column customer_id";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("customer_id"), std::string::npos) << e.what();
    }
  }
  {
    TempDir dir;
    dir.write("customers.csv", "customer_id,acquired_on\nA,2024-01-01\n");
    dir.write("purchases.csv", "customer_id,AT,amount\nA,2024-02-01,5\n");
    EXPECT_THROW(load_csv(InputFiles::from_directory(dir.path())), InputError);
  }
  {
    TempDir dir;
    dir.write("customers.csv", "customer_id,acquired_on,Segment\nA,2024-01-01,north\nB,2024-01-02,south\n");
    const auto loaded = load_csv(InputFiles::from_directory(dir.path()));
    ASSERT_EQ(loaded.base.customer_count(), 2u);
    for (std::size_t c = 0; c < 2; ++c) EXPECT_EQ(loaded.base.segment_names[loaded.base.segment[c]], "") << c;
  }
}
