// The base-wide summary: hand-computed values for small drawn bases, read through the JSON.
// Every case is scored as of D = 2024-03-31 (T = 2024-04-01T00:00Z) with fixed model parameters.
#include <rapport/io/load.hpp>
#include <rapport/scoring/score.hpp>

#include "support/scoring_cases.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace rapport;
using namespace rapport::test;
using nlohmann::json;

namespace {
constexpr double eps = 1e-9;

/// One contact of stage `stage` (business, technical, neutral) at `at`.
ContactRow staged(seconds_t at, Stage stage, Initiator who = B) {
  return contact_at(at, who, stage, Aspect::technical, 0);
}

/// Adds customer-initiated, neutral-aspect contacts with the given impressions, all at T − 180 d
/// (recency weight exactly 0.5, so every weighted sum is exact).
void impressions(CustomerBaseBuilder& bld, const char* id, const std::vector<int>& values) {
  for (int v : values) must(bld.add_contact(id, contact_at(case_T - 180 * one_day, C, Stage::service, Aspect::wow, v)));
}

/// Loyalty given = 50 × impression quality q: continuity and impression weigh 1 each, and every
/// contact of these cases is customer-initiated, so continuity is 0 (with evidence) for everyone.
/// (Continuity must weigh something: it is the one loyalty component every customer has.)
ScoringConfig impression_only() {
  auto cfg = fixed_config();
  cfg.loyalty_weights = {1, 0, 1, 0, 0};
  return cfg;
}
/// L per unit of 100·q under impression_only().
constexpr double h = 0.5;

void expect_distribution(const json& d, std::size_t count, double mean, double min, double p10, double p25,
                         double median, double p75, double p90, double max) {
  EXPECT_EQ(d.at("customers").get<std::size_t>(), count) << d.dump();
  EXPECT_NEAR(d.at("mean").get<double>(), mean, eps) << d.dump();
  EXPECT_NEAR(d.at("min").get<double>(), min, eps) << d.dump();
  EXPECT_NEAR(d.at("p10").get<double>(), p10, eps) << d.dump();
  EXPECT_NEAR(d.at("p25").get<double>(), p25, eps) << d.dump();
  EXPECT_NEAR(d.at("median").get<double>(), median, eps) << d.dump();
  EXPECT_NEAR(d.at("p75").get<double>(), p75, eps) << d.dump();
  EXPECT_NEAR(d.at("p90").get<double>(), p90, eps) << d.dump();
  EXPECT_NEAR(d.at("max").get<double>(), max, eps) << d.dump();
}
}  // namespace

//  Critical Wheel. Scored customers A (2024-01-01) and B (2024-02-01); N is acquired 2024-04-01
//  (after D: not scored, its contacts are not counted).
//
//    A: welcome 03-01, welcome 03-02 (customer-initiated), discovery 03-03, service 03-10,
//       welcome at T exactly (not before T: not counted)
//    B: presentation 03-05, service 03-20 (customer-initiated)
//    N: closing 03-15 (not scored)
//
//  counted: welcome 2, discovery 1, presentation 1, closing 0, service 2 → sales 4, all 6
//  shares of the four sales stages: 2/4 = 0.5, 1/4, 1/4, 0; gaps vs 0.4/0.3/0.2/0.1:
//  +0.1, −0.05, +0.05, −0.1.  service_share = service / ALL contacts = 2/6 = 1/3
//  (over the sales contacts it would be 2/4 = 0.5).  service_per_sales_contact = 2/4 = 0.5.
TEST(Summary, CriticalWheelSharesGapsAndServiceShareOverAllContacts) {
  CustomerBaseBuilder bld;
  must(bld.add_customer("A", day("2024-01-01"), ""));
  must(bld.add_customer("B", day("2024-02-01"), ""));
  must(bld.add_customer("N", day("2024-04-01"), ""));
  must(bld.add_contact("A", staged(ts("2024-03-01"), Stage::welcome)));
  must(bld.add_contact("A", staged(ts("2024-03-02"), Stage::welcome, C)));
  must(bld.add_contact("A", staged(ts("2024-03-03"), Stage::discovery)));
  must(bld.add_contact("A", staged(ts("2024-03-10"), Stage::service)));
  must(bld.add_contact("A", staged(case_T, Stage::welcome)));
  must(bld.add_contact("B", staged(ts("2024-03-05"), Stage::presentation)));
  must(bld.add_contact("B", staged(ts("2024-03-20"), Stage::service, C)));
  must(bld.add_contact("N", staged(ts("2024-03-15"), Stage::closing)));
  const auto base = bld.finish();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json w = summary_of(base, res, cfg).at("critical_wheel");

  EXPECT_EQ(w.at("sales_stage_contacts").get<int>(), 4);
  EXPECT_EQ(w.at("service_contacts").get<int>(), 2);
  EXPECT_NEAR(w.at("service_share").get<double>(), 1.0 / 3.0, eps);
  EXPECT_NEAR(w.at("service_per_sales_contact").get<double>(), 0.5, eps);
  const json& st = w.at("stages");
  const struct {
    const char* name;
    int contacts;
    double share, target;
  } expected[] = {
      {"welcome", 2, 0.5, 0.4}, {"discovery", 1, 0.25, 0.3}, {"presentation", 1, 0.25, 0.2}, {"closing", 0, 0.0, 0.1}};
  for (const auto& e : expected) {
    SCOPED_TRACE(e.name);
    EXPECT_EQ(st.at(e.name).at("contacts").get<int>(), e.contacts);
    EXPECT_NEAR(st.at(e.name).at("share").get<double>(), e.share, eps);
    EXPECT_NEAR(st.at(e.name).at("target").get<double>(), e.target, eps);
    EXPECT_NEAR(st.at(e.name).at("gap").get<double>(), e.share - e.target, eps);
  }
}

//  Revenue. Input order of A's rows is deliberately not chronological.
//
//    A  acquired 2024-01-01: 2024-02-01 20 | 2024-01-10T15:00 5 | 2024-01-10T09:00 10 | at T 1000 (not counted)
//       first purchase DAY 2024-01-10 → both 01-10 rows (15) are first-day revenue; 20 is repeat
//    Bt acquired 2022-04-02 (T − A = 730 d exactly: "two years or more"): 2024-03-01 40 | 2024-03-05 25
//       → 25 repeat
//    E  acquired 2022-04-03 (T − A = 729 d: not two years): 2022-01-15 50 (before its acquisition:
//       still counts, and is its first day) | 2024-02-01 100 → 100 repeat
//    F  acquired 2024-04-01 (not scored): 2024-03-15 300 (not counted)
//
//  total = 20+5+10 + 40+25 + 50+100 = 250;  repeat = 20 + 25 + 100 = 145 → repeat_share 0.58
//  (counting the second first-day row as repeat would give 150/250 = 0.6);
//  two years or more: Bt only, 65/250 = 0.26.
TEST(Summary, RevenueRepeatShareExcludesTheWholeFirstPurchaseDay) {
  CustomerBaseBuilder bld;
  must(bld.add_customer("A", day("2024-01-01"), ""));
  must(bld.add_customer("Bt", day("2022-04-02"), ""));
  must(bld.add_customer("E", day("2022-04-03"), ""));
  must(bld.add_customer("F", day("2024-04-01"), ""));
  must(bld.add_purchase("A", ts("2024-02-01"), 20));
  must(bld.add_purchase("A", ts("2024-01-10T15:00:00"), 5));
  must(bld.add_purchase("A", ts("2024-01-10T09:00:00"), 10));
  must(bld.add_purchase("A", case_T, 1000));
  must(bld.add_purchase("Bt", ts("2024-03-01"), 40));
  must(bld.add_purchase("Bt", ts("2024-03-05"), 25));
  must(bld.add_purchase("E", ts("2022-01-15"), 50));
  must(bld.add_purchase("E", ts("2024-02-01"), 100));
  must(bld.add_purchase("F", ts("2024-03-15"), 300));
  const auto base = bld.finish();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json rev = summary_of(base, res, cfg).at("revenue");
  EXPECT_NEAR(rev.at("total").get<double>(), 250.0, eps);
  EXPECT_NEAR(rev.at("repeat_share").get<double>(), 0.58, eps);
  EXPECT_NEAR(rev.at("from_customers_two_years_or_more_share").get<double>(), 0.26, eps);
}

//  Referrals. Customers (input order): R 2023-01-01, X 2024-01-15, Y 2024-02-01, Z 2024-04-01
//  (after D: a node, not scored), U 2024-01-01, V 2024-02-01, S 2024-03-01. Prospects P and K.
//
//    P ─2022-12-01─▶ R ─2024-01-10─▶ X ─2024-01-20─▶ Y        U ─2024-01-05─▶ V
//                    │ ─2024-03-01─▶ Z (not scored: no conversion)
//                    │ ─2024-02-01─▶ X again (X acquired before that date: no conversion)
//    K ─2024-02-15─▶ S                                        U ─2024-04-05─▶ R (after T: ignored)
//
//  people 9 (7 customers + P, K); n = 6 scored (R X Y U V S); edges before T: 7
//  forest edges (converted referrals) 5: P→R, R→X, X→Y, U→V, K→S → k_factor 5/6
//  (over people it would be 5/9)
//  generations of the scored: U 0 | R 1, V 1, S 1 | X 2 | Y 3 → histogram [1, 3, 1, 1]
//  trees of size > 1: P {P R X Y} 4, U {U V} 2, K {K S} 2 → P, then the tie K before U by id
//  (U comes first by index: it is a customer, K a prospect)
TEST(Summary, ReferralKFactorDepthHistogramAndLargestTrees) {
  CustomerBaseBuilder bld;
  const std::pair<const char*, const char*> customers[] = {
      {"R", "2023-01-01"}, {"X", "2024-01-15"}, {"Y", "2024-02-01"}, {"Z", "2024-04-01"},
      {"U", "2024-01-01"}, {"V", "2024-02-01"}, {"S", "2024-03-01"}};
  for (const auto& [id, acq] : customers) must(bld.add_customer(id, day(acq), ""));
  must(bld.add_referral("P", "R", ts("2022-12-01")));
  must(bld.add_referral("R", "X", ts("2024-01-10")));
  must(bld.add_referral("X", "Y", ts("2024-01-20")));
  must(bld.add_referral("R", "Z", ts("2024-03-01")));
  must(bld.add_referral("R", "X", ts("2024-02-01")));
  must(bld.add_referral("U", "V", ts("2024-01-05")));
  must(bld.add_referral("K", "S", ts("2024-02-15")));
  must(bld.add_referral("U", "R", ts("2024-04-05")));
  const auto base = bld.finish();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json s = summary_of(base, res, cfg);
  EXPECT_EQ(s.at("customers_scored").get<int>(), 6);
  EXPECT_EQ(s.at("customers_not_yet_acquired").get<int>(), 1);
  const json& r = s.at("referrals");
  EXPECT_EQ(r.at("people").get<int>(), 9);
  EXPECT_EQ(r.at("edges_before_as_of").get<int>(), 7);
  EXPECT_EQ(r.at("converted_referrals").get<int>(), 5);
  EXPECT_NEAR(r.at("k_factor").get<double>(), 5.0 / 6.0, eps);
  EXPECT_EQ(r.at("chain_depth_histogram"), json::parse("[1, 3, 1, 1]"));
  const json& largest = r.at("largest_trees");
  ASSERT_EQ(largest.size(), 3u) << largest.dump();
  const struct {
    const char* root;
    int size;
    bool customer;
  } expected[] = {{"P", 4, false}, {"K", 2, false}, {"U", 2, true}};
  for (std::size_t k = 0; k < 3; ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(largest[k].at("root_id").get<std::string>(), expected[k].root);
    EXPECT_EQ(largest[k].at("tree_size").get<int>(), expected[k].size);
    EXPECT_EQ(largest[k].at("root_is_customer").get<bool>(), expected[k].customer);
  }
  EXPECT_TRUE(r.at("cycles_broken").empty());
}

//  Largest trees keep only ten. Prospects p11 … p00 each refer one customer c11 … c00 (added in
//  that descending order, all acquired 2024-03-01, referred 2024-02-01): twelve trees of size 2.
//  Prospect q refers c12 and c13: one tree of size 3.
//  → q (3), then the ties by root id: p00 … p08 (p09, p10, p11 are cut).
TEST(Summary, LargestTreesAreTheTenLargestTiesByRootId) {
  CustomerBaseBuilder bld;
  const auto name = [](char prefix, int k) { return std::string(1, prefix) + (k < 10 ? "0" : "") + std::to_string(k); };
  for (int k = 13; k >= 0; --k) must(bld.add_customer(name('c', k), day("2024-03-01"), ""));
  for (int k = 11; k >= 0; --k) must(bld.add_referral(name('p', k), name('c', k), ts("2024-02-01")));
  must(bld.add_referral("q", "c12", ts("2024-02-01")));
  must(bld.add_referral("q", "c13", ts("2024-02-02")));
  const auto base = bld.finish();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json largest = summary_of(base, res, cfg).at("referrals").at("largest_trees");
  ASSERT_EQ(largest.size(), 10u);
  EXPECT_EQ(largest[0].at("root_id").get<std::string>(), "q");
  EXPECT_EQ(largest[0].at("tree_size").get<int>(), 3);
  for (int k = 0; k < 9; ++k) {
    EXPECT_EQ(largest[static_cast<std::size_t>(k + 1)].at("root_id").get<std::string>(), name('p', k));
    EXPECT_EQ(largest[static_cast<std::size_t>(k + 1)].at("tree_size").get<int>(), 2);
  }
}

//  Loyalty-given distributions. Only impression carries weight besides continuity (0 for all),
//  so L = 50·q with q = P / (P + 2N); every impression is made at T − 180 d (weight 0.5
//  cancels). The figures below are in units of 100·q; the test scales them by h = 1/2.
//
//    id  segment  impressions   q      L
//    c1  north    +1            1      100
//    c2  north    −1            0      0
//    c3  north    +1 −1         1/3    33.33
//    c4  south    +2 −1         2/4    50
//    c5  south    +2 +2 −1      4/6    66.67
//    c6  ""       +1 +1 +1 −1   3/5    60
//    c7  ""       +1 +1 −1      2/4    50
//    c8  west     +1            (acquired 2024-04-01: not scored, so no "west" entry)
//
//  overall sorted: 0, 100/3, 50, 50, 60, 200/3, 100 (n = 7, numpy linear: position p·(n−1))
//    mean 360/7; p10 @0.6 → 0.6·100/3 = 20; p25 @1.5 → (100/3 + 50)/2 = 125/3;
//    median @3 → 50; p75 @4.5 → (60 + 200/3)/2 = 190/3; p90 @5.4 → 200/3 + 0.4·(100/3) = 80
//  north {0, 100/3, 100}: mean 400/9; p10 @0.2 → 20/3; p25 @0.5 → 50/3; median 100/3;
//    p75 @1.5 → 200/3; p90 @1.8 → 100/3 + 0.8·200/3 = 260/3
//  south {50, 200/3}: mean 175/3; p10 50 + 0.1·50/3 = 155/3; p25 50 + 0.25·50/3 = 325/6;
//    median 175/3; p75 62.5; p90 65
//  "(none)" {50, 60}: mean 55; p10 51; p25 52.5; median 55; p75 57.5; p90 59
TEST(Summary, LoyaltyDistributionsOverallAndPerSegmentUseNumpyLinearQuantiles) {
  CustomerBaseBuilder bld;
  const struct {
    const char* id;
    const char* segment;
    std::vector<int> imps;
  } rows[] = {{"c1", "north", {1}},     {"c2", "north", {-1}},       {"c3", "north", {1, -1}},
              {"c4", "south", {2, -1}}, {"c5", "south", {2, 2, -1}}, {"c6", "", {1, 1, 1, -1}},
              {"c7", "", {1, 1, -1}}};
  for (const auto& r : rows) must(bld.add_customer(r.id, day("2024-01-01"), r.segment));
  must(bld.add_customer("c8", day("2024-04-01"), "west"));
  for (const auto& r : rows) impressions(bld, r.id, r.imps);
  impressions(bld, "c8", {1});
  const auto base = bld.finish();
  const auto cfg = impression_only();
  const auto res = score(base, case_as_of, cfg);
  const json s = summary_of(base, res, cfg);
  EXPECT_EQ(s.at("customers_scored").get<int>(), 7);
  EXPECT_EQ(s.at("customers_not_yet_acquired").get<int>(), 1);
  const json& lg = s.at("loyalty_given");
  {
    SCOPED_TRACE("overall");
    expect_distribution(lg.at("overall"), 7, h * 360.0 / 7, 0, h * 20, h * 125.0 / 3, h * 50, h * 190.0 / 3, h * 80,
                        h * 100);
  }
  const json& seg = lg.at("per_segment");
  EXPECT_EQ(seg.size(), 3u) << seg.dump();
  EXPECT_FALSE(seg.contains("west"));
  EXPECT_FALSE(seg.contains(""));
  {
    SCOPED_TRACE("north");
    expect_distribution(seg.at("north"), 3, h * 400.0 / 9, 0, h * 20.0 / 3, h * 50.0 / 3, h * 100.0 / 3, h * 200.0 / 3,
                        h * 260.0 / 3, h * 100);
  }
  {
    SCOPED_TRACE("south");
    expect_distribution(seg.at("south"), 2, h * 175.0 / 3, h * 50, h * 155.0 / 3, h * 325.0 / 6, h * 175.0 / 3,
                        h * 62.5, h * 65, h * 200.0 / 3);
  }
  {
    SCOPED_TRACE("(none)");
    expect_distribution(seg.at("(none)"), 2, h * 55, h * 50, h * 51, h * 52.5, h * 55, h * 57.5, h * 59, h * 60);
  }
}

//  Value deciles. n = 12 customers c00 … c11, all acquired 2024-01-01; L = 50·q as above (the
//  L figures below are in units of 100·q, scaled by h = 1/2 in the test).
//  c00 and c01 have the same purchases (2024-01-10 10, 2024-02-10 10) and so the same
//  expected_value EV > 0; the others have none (expected_value 0).
//
//    stable sort by expected_value (input order on ties):
//      position k: 0   1   2   3   4   5   6   7   8   9   10  11
//      customer:  c02 c03 c04 c05 c06 c07 c08 c09 c10 c11 c00 c01
//      decile = min(9, ⌊10k/12⌋) + 1:
//                  1   1   2   3   4   5   6   6   7   8   9   10
//    L: c00 50 (+1 +1 −1), c01 100 (+1), c02 100 (+1), c03 … c11 0 (−1)
//    decile 1 {100, 0}: mean 50, p10 10, median 50, p90 90; decile 9 {50}; decile 10 {100}
//    top_decile_gap = 100 − (50 + 100 + 9·0)/11 = 950/11
//
//  value: 2 customers with purchases, x = 1, t_x = 31, T = D − 2024-01-10 = 81 days:
//    p_alive = 1 / (1 + a/(b + x − 1) · ((α + T)/(α + t_x))^(r + x))
//            = 1 / (1 + 0.8/2.5 · (111/61)^1.5) = 0.560071 > 0.5 for both → share 2/12
//    expected spend (γ + m̄x)p/(px + q − 1) = (15 + 10)·6/(6 + 3) = 50/3;
//    expected_value_total = 2·E[purchases]·50/3; upserve_value_total = EV·(1 − 0.25) + EV·(1 − 0.5)
//  next actions: continuity's gap 1·(1 − 0) is the largest for everyone (impression's is at most
//  1) → reach_out (12); ask_for_referral: none (no one has timing ≥ 0.5 and advocacy ≥ 0.7:
//  the buyers' latest purchase is 51 days before T, timing 2^(−51/30) < 0.5).
TEST(Summary, ValueDecilesTopDecileGapValueTotalsAndActionCounts) {
  CustomerBaseBuilder bld;
  std::vector<std::string> ids;
  for (int k = 0; k < 12; ++k) ids.push_back(std::string(k < 10 ? "c0" : "c").append(std::to_string(k)));
  for (const auto& id : ids) must(bld.add_customer(id, day("2024-01-01"), ""));
  for (const char* id : {"c00", "c01"}) {
    must(bld.add_purchase(id, ts("2024-01-10"), 10));
    must(bld.add_purchase(id, ts("2024-02-10"), 10));
  }
  impressions(bld, "c00", {1, 1, -1});
  impressions(bld, "c01", {1});
  impressions(bld, "c02", {1});
  for (int k = 3; k < 12; ++k) impressions(bld, ids[static_cast<std::size_t>(k)].c_str(), {-1});
  const auto base = bld.finish();
  const auto cfg = impression_only();
  const auto res = score(base, case_as_of, cfg);
  ASSERT_EQ(res.scores.size(), 12u);
  const json s = summary_of(base, res, cfg);

  const json& dec = s.at("loyalty_given").at("per_value_decile");
  ASSERT_EQ(dec.size(), 10u);
  const std::size_t counts[] = {2, 1, 1, 1, 1, 2, 1, 1, 1, 1};
  for (std::size_t d = 0; d < 10; ++d) {
    EXPECT_EQ(dec[d].at("decile").get<std::size_t>(), d + 1);
    EXPECT_EQ(dec[d].at("customers").get<std::size_t>(), counts[d]) << "decile " << d + 1;
  }
  {
    SCOPED_TRACE("decile 1");
    expect_distribution(dec[0], 2, h * 50, 0, h * 10, h * 25, h * 50, h * 75, h * 90, h * 100);
  }
  EXPECT_NEAR(dec[8].at("mean").get<double>(), h * 50, eps);
  EXPECT_NEAR(dec[9].at("mean").get<double>(), h * 100, eps);
  for (std::size_t d = 1; d < 8; ++d) EXPECT_NEAR(dec[d].at("max").get<double>(), 0, eps) << "decile " << d + 1;
  EXPECT_NEAR(s.at("loyalty_given").at("top_decile_gap").get<double>(), h * 950.0 / 11, eps);

  const json& v = s.at("value");
  EXPECT_EQ(v.at("customers_with_purchases").get<int>(), 2);
  const double p_alive = 1 / (1 + 0.8 / 2.5 * std::pow(111.0 / 61.0, 1.5));
  EXPECT_NEAR(p_alive, 0.560071, 1e-6);  // the hand computation above
  EXPECT_NEAR(res.scores.p_alive[0], p_alive, 1e-12);
  EXPECT_NEAR(v.at("share_p_alive_above_half").get<double>(), 2.0 / 12, eps);
  const double ev = bgnbd_expected_purchases(*cfg.bgnbd, 365, 1, 31, 81) * 50.0 / 3;
  EXPECT_NEAR(v.at("expected_value_total").get<double>(), 2 * ev, 1e-9 * ev);
  EXPECT_NEAR(v.at("upserve_value_total").get<double>(), 1.25 * ev, 1e-9 * ev);

  const json& actions = s.at("next_actions");
  EXPECT_EQ(actions.at("reach_out").get<int>(), 12);
  for (const char* a : {"none", "repair_impression", "follow_up_after_sale", "resolve_complaint", "fix_basics",
                        "add_hospitality", "create_wow"})
    EXPECT_EQ(actions.at(a).get<int>(), 0) << a;
  EXPECT_EQ(s.at("ask_for_referral_customers").get<int>(), 0);
}

//  next_action counts with the default weights (0.30 0.25 0.20 0.15 0.10). All but "fresh" are
//  acquired 2024-03-02 (T − A = 30 d: one period, covered by any business contact); all contacts
//  are business-initiated, welcome stage unless noted.
//
//    fresh       acquired D, no contact: continuity 0                        → reach_out
//    overdue     service complaint 03-10 still open (22 d > 7)                 → resolve_complaint
//    perfect     hospitality +2 03-20: q 1, ladder (1 + 1 + 1)/3 = 1           → none
//    unhappy     hospitality −2 03-20: q 0 (gap .2) > ladder 1/3 (gap .067)    → repair_impression
//    basics      technical −1 + 10 × hospitality +2 on 03-20: q = 20/22 (gap .018),
//                t = 0 → ladder 0 (gap .1)                                     → fix_basics
//    warmth      technical 0 03-20: t 1, h 0 → ladder 1/3 (gap .067)           → add_hospitality
//    wow         hospitality +1 03-20 → ladder 2/3 (gap .033); purchase 03-25 (not eligible for
//                follow-through), timing 2^(−7/30) ≥ 0.5, advocacy 1 ≥ 0.7     → create_wow, ask
//    after_sale  technical 0 03-05; purchase 03-10 (eligible, no service contact after it):
//                follow-through 0 (gap .25); no impression so no ask           → follow_up_after_sale
//    late_fix    service complaint 03-05 resolved 03-26 (21 d: 2^(−2) = .25, gap .1125) vs
//                ladder 1/3 (gap .067)                                          → resolve_complaint
TEST(Summary, NextActionAndAskForReferralCounts) {
  CustomerBaseBuilder bld;
  must(bld.add_customer("fresh", case_as_of, ""));
  for (const char* id : {"overdue", "perfect", "unhappy", "basics", "warmth", "wow", "after_sale", "late_fix"})
    must(bld.add_customer(id, day("2024-03-02"), ""));
  const auto at = [](const char* t) { return ts(t); };
  must(bld.add_contact("overdue", contact_at(at("2024-03-10"), B, Stage::service, Aspect::technical, 0, true)));
  must(bld.add_contact("perfect", contact_at(at("2024-03-20"), B, Stage::welcome, Aspect::hospitality, 2)));
  must(bld.add_contact("unhappy", contact_at(at("2024-03-20"), B, Stage::welcome, Aspect::hospitality, -2)));
  must(bld.add_contact("basics", contact_at(at("2024-03-20"), B, Stage::welcome, Aspect::technical, -1)));
  for (int k = 0; k < 10; ++k)
    must(bld.add_contact("basics", contact_at(at("2024-03-20"), B, Stage::welcome, Aspect::hospitality, 2)));
  must(bld.add_contact("warmth", contact_at(at("2024-03-20"), B, Stage::welcome, Aspect::technical, 0)));
  must(bld.add_contact("wow", contact_at(at("2024-03-20"), B, Stage::welcome, Aspect::hospitality, 1)));
  must(bld.add_purchase("wow", at("2024-03-25"), 10));
  must(bld.add_contact("after_sale", contact_at(at("2024-03-05"), B, Stage::welcome, Aspect::technical, 0)));
  must(bld.add_purchase("after_sale", at("2024-03-10"), 10));
  must(bld.add_contact("late_fix",
                       contact_at(at("2024-03-05"), B, Stage::service, Aspect::technical, 0, true, at("2024-03-26"))));
  const auto base = bld.finish();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json s = summary_of(base, res, cfg);
  const json& a = s.at("next_actions");
  const std::pair<const char*, int> expected[] = {{"none", 1},
                                                  {"reach_out", 1},
                                                  {"follow_up_after_sale", 1},
                                                  {"repair_impression", 1},
                                                  {"resolve_complaint", 2},
                                                  {"fix_basics", 1},
                                                  {"add_hospitality", 1},
                                                  {"create_wow", 1}};
  EXPECT_EQ(a.size(), 8u);
  for (const auto& [name, count] : expected) EXPECT_EQ(a.at(name).get<int>(), count) << name;
  EXPECT_EQ(s.at("ask_for_referral_customers").get<int>(), 1);
}

//  Load counts from CSV: each table has rows rejected for a different reason.
//    customers: A, B accepted; A again (duplicate key) and C (impossible date) rejected → 4 read, 2 rejected
//    contacts: one for A accepted; one for an unknown customer rejected            → 2 read, 1 rejected
//    purchases: one accepted; one with a negative amount rejected                  → 2 read, 1 rejected
//    referrals: A→B accepted; B→B (self-referral) rejected                         → 2 read, 1 rejected
//  rejected_by_reason: one entry per (table, reason), 5 rows in all.
TEST(Summary, LoadCountsAndRejectReasons) {
  TempDir dir;
  dir.write("customers.csv",
            "customer_id,acquired_on,segment\nA,2024-01-01,x\nB,2024-02-01,\nA,2024-01-05,y\n"
            "C,2024-02-30,\n");
  dir.write("contacts.csv",
            "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
            "A,2024-03-01,visit,welcome,business,technical,1,false,\n"
            "Q,2024-03-01,visit,welcome,business,technical,1,false,\n");
  dir.write("purchases.csv", "customer_id,at,amount\nA,2024-03-02,10\nB,2024-03-03,-5\n");
  dir.write("referrals.csv", "referrer_id,referred_id,at\nA,B,2024-01-20\nB,B,2024-01-21\n");
  const auto loaded = load_csv(InputFiles::from_directory(dir.path()));
  const auto cfg = fixed_config();
  const auto res = score(loaded.base, case_as_of, cfg);
  const json s = summary_of(loaded.base, res, cfg, loaded.report);
  const json& rows = s.at("rows");
  const struct {
    const char* table;
    int read, rejected;
  } expected[] = {{"customers", 4, 2}, {"contacts", 2, 1}, {"purchases", 2, 1}, {"referrals", 2, 1}};
  for (const auto& e : expected) {
    SCOPED_TRACE(e.table);
    EXPECT_EQ(rows.at(e.table).at("read").get<int>(), e.read);
    EXPECT_EQ(rows.at(e.table).at("rejected").get<int>(), e.rejected);
    EXPECT_EQ(rows.at(e.table).at("accepted").get<int>(), e.read - e.rejected);
  }
  int by_reason = 0, customer_reasons = 0;
  for (const auto& [key, count] : s.at("rejected_by_reason").items()) {
    by_reason += count.get<int>();
    if (key.rfind("customers: ", 0) == 0) customer_reasons += count.get<int>();
  }
  EXPECT_EQ(by_reason, 5);
  EXPECT_EQ(customer_reasons, 2);
  EXPECT_EQ(s.at("customers_scored").get<int>(), 2);
}
