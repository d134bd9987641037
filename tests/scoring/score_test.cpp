// Scoring: hand-computed components, every edge case the card names, invariants, determinism.
#include <rapport/io/generate.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/score.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace rapport;

namespace {
seconds_t ts(const char* s) { return *parse_timestamp(s); }
day_t day(const char* s) { return *parse_date(s); }

ScoringConfig fixed_config() {
  ScoringConfig c;
  c.bgnbd = BgNbdParams{0.5, 30.0, 0.8, 2.5, 0.0};
  c.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0, 0.0};
  return c;
}

ContactRow contact(const char* at, Initiator who, Stage stage, Aspect aspect, int impression, bool complaint = false,
                   const char* resolved = nullptr) {
  ContactRow r;
  r.at = ts(at);
  r.initiator = who;
  r.stage = stage;
  r.aspect = aspect;
  r.impression = impression;
  r.complaint = complaint;
  r.resolved_at = resolved ? ts(resolved) : no_time;
  r.channel = Channel::visit;
  return r;
}

// w(t) for T = 2024-04-01T00:00 (as of 2024-03-31), ages in days
double w_days(double age_days) { return std::exp2(-age_days / 180.0); }

constexpr auto B = Initiator::business;
constexpr auto C = Initiator::customer;
}  // namespace

//  as of 2024-03-31, T = 2024-04-01 00:00; customer acquired 2024-02-01 (T − A = 60 days: 2 periods)
//
//  period 1 [01-31, 03-02)            period 0 [03-02, 04-01)
//  ── 02-05 buy ─ 02-10 complaint ───┼── 03-10 buy ── 03-15 +2 ── 03-20 service ── 03-25 buy ──▶ T
//     (no follow-up)  (customer, −1,  │                (business,    (business, tech, 0)   (< 14 d before T:
//                     tech, resolved  │                 hospitality)                        not eligible)
//                     02-20: 10 days) │
TEST(Score, HandComputedComponents) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-02-01"), "retail");
  bld.add_contact("A", contact("2024-02-10", C, Stage::welcome, Aspect::technical, -1, true, "2024-02-20"));
  bld.add_contact("A", contact("2024-03-15", B, Stage::discovery, Aspect::hospitality, 2));
  bld.add_contact("A", contact("2024-03-20", B, Stage::service, Aspect::technical, 0));
  bld.add_purchase("A", ts("2024-02-05"), 10);
  bld.add_purchase("A", ts("2024-03-10"), 20);
  bld.add_purchase("A", ts("2024-03-25"), 30);
  const auto base = bld.finish();
  const auto cfg = fixed_config();
  const auto res = score(base, day("2024-03-31"), cfg);
  const auto& s = res.scores;
  ASSERT_EQ(s.size(), 1u);

  const double continuity = 1.0 / (1.0 + std::exp2(-30.0 / 180.0));
  const double follow = w_days(22) / (w_days(22) + w_days(56));
  const double P = 2 * w_days(17), N = w_days(51);
  const double q = P / (P + 2 * N);
  const double recovery = std::exp2(-3.0 / 7.0);
  const double t = w_days(12) / (w_days(51) + w_days(12));
  const double ladder = t / 3.0;  // t < 0.9: warmth and wow do not count yet
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::continuity][0], continuity, 1e-12);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::follow_through][0], follow, 1e-12);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::impression][0], q, 1e-12);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::recovery][0], recovery, 1e-12);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::service_ladder][0], ladder, 1e-12);
  EXPECT_NEAR(s.ladder_hospitality[0], 1.0, 1e-15);
  EXPECT_EQ(s.ladder_wow[0], 1);
  const double L = 100 * (0.3 * continuity + 0.25 * follow + 0.2 * q + 0.15 * recovery + 0.1 * ladder);
  EXPECT_NEAR(s.loyalty_given[0], L, 1e-10);
  // gaps: continuity .3(1-.5138)=.146, follow .25(1-.5915)=.102, impression .2(1-.533)=.093,
  //       recovery .15(1-.743)=.039, ladder .1(1-.15)=.085 → continuity
  EXPECT_EQ(s.next_action[0], NextAction::reach_out);
  EXPECT_NEAR(s.next_action_gap[0], 0.3 * (1 - continuity), 1e-12);

  const double timing = std::exp2(-7.0 / 30.0);
  const double tenure = 60.0 / 730.0;
  EXPECT_NEAR(s.referral[ReferralComponent::advocacy][0], q, 1e-12);
  EXPECT_EQ(s.referral[ReferralComponent::track_record][0], 0.0);
  EXPECT_EQ(s.referral[ReferralComponent::chain_reach][0], 0.0);
  EXPECT_NEAR(s.referral[ReferralComponent::timing][0], timing, 1e-12);
  EXPECT_NEAR(s.referral[ReferralComponent::tenure][0], tenure, 1e-12);
  EXPECT_GT(q, 0.5);  // no gate
  EXPECT_NEAR(s.referral_potential[0], 100 * (0.3 * q + 0.2 * timing + 0.15 * tenure), 1e-10);
  EXPECT_EQ(s.ask_for_referral[0], 0);  // advocacy < 0.7

  // value at stake: three purchase days, x = 2, t_x = 03-25 − 02-05 = 49, T = 03-31 − 02-05 = 55
  EXPECT_EQ(s.frequency[0], 2.0);
  EXPECT_EQ(s.recency[0], 49.0);
  EXPECT_EQ(s.age[0], 55.0);
  EXPECT_EQ(s.monetary[0], 25.0);
  EXPECT_NEAR(s.p_alive[0], bgnbd_p_alive(*cfg.bgnbd, 2, 49, 55), 1e-15);
  const double spend = (15.0 + 25.0 * 2) * 6 / (6 * 2 + 4 - 1.0);
  EXPECT_NEAR(s.expected_value[0], bgnbd_expected_purchases(*cfg.bgnbd, 365, 2, 49, 55) * spend, 1e-9);
  EXPECT_NEAR(s.upserve_value[0], s.expected_value[0] * (1 - L / 100), 1e-9);
  EXPECT_EQ(s.upserve_score[0], 50.0);  // n = 1
}

TEST(Score, NoEvidenceLeavesComponentsOutAndRenormalises) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-03-02"), "");  // one period, no contacts, no purchases
  const auto base = bld.finish();
  const auto res = score(base, day("2024-03-31"), fixed_config());
  const auto& s = res.scores;
  EXPECT_EQ(s.loyalty[LoyaltyComponent::continuity][0], 0.0);
  for (const auto k : {LoyaltyComponent::follow_through, LoyaltyComponent::impression, LoyaltyComponent::recovery,
                       LoyaltyComponent::service_ladder})
    EXPECT_TRUE(std::isnan(s.loyalty[k][0])) << to_string(k);
  EXPECT_EQ(s.loyalty_given[0], 0.0);
  EXPECT_EQ(s.next_action[0], NextAction::reach_out);
  EXPECT_TRUE(std::isnan(s.p_alive[0]));
  EXPECT_TRUE(std::isnan(s.expected_purchases[0]));
  EXPECT_EQ(s.expected_value[0], 0.0);
  EXPECT_TRUE(std::isnan(s.referral[ReferralComponent::advocacy][0]));
  EXPECT_TRUE(std::isnan(s.referral[ReferralComponent::timing][0]));
  // R over track_record, chain_reach, tenure only: tenure = 30/730
  EXPECT_NEAR(s.referral_potential[0], 100 * (0.15 * 30.0 / 730.0) / 0.5, 1e-12);
}

TEST(Score, ComplaintWindowAndOverdueComplaintFirst) {
  CustomerBaseBuilder bld;
  bld.add_customer("open_recent", day("2024-01-01"), "");
  bld.add_customer("open_overdue", day("2024-01-01"), "");
  bld.add_customer("resolved_late", day("2024-01-01"), "");
  bld.add_customer("resolved_after_T", day("2024-01-01"), "");
  // T = 2024-04-01: a complaint made 7 days before T exactly is still within its window
  bld.add_contact("open_recent", contact("2024-03-25", C, Stage::service, Aspect::wow, 0, true));
  bld.add_contact("open_overdue", contact("2024-03-24T23:59:59", C, Stage::service, Aspect::wow, 0, true));
  bld.add_contact("resolved_late", contact("2024-03-01", C, Stage::service, Aspect::wow, 0, true, "2024-03-15"));
  bld.add_contact("resolved_after_T", contact("2024-03-01", C, Stage::service, Aspect::wow, 0, true, "2024-04-01"));
  const auto base = bld.finish();
  const auto res = score(base, day("2024-03-31"), fixed_config());
  const auto& s = res.scores;
  EXPECT_TRUE(std::isnan(s.loyalty[LoyaltyComponent::recovery][0]));
  EXPECT_EQ(s.loyalty[LoyaltyComponent::recovery][1], 0.0);
  EXPECT_EQ(s.next_action[1], NextAction::resolve_complaint);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::recovery][2], std::exp2(-1.0), 1e-15);  // 14-day delay: 2^(-(14-7)/7)
  EXPECT_EQ(s.loyalty[LoyaltyComponent::recovery][3], 0.0);  // resolved_at == T is not before T: open and overdue
  EXPECT_EQ(s.next_action[3], NextAction::resolve_complaint);
  EXPECT_EQ(s.next_action[0], NextAction::reach_out);
}

TEST(Score, EventsAtOrAfterTAreIgnored) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-01-01"), "");
  bld.add_contact("A", contact("2024-04-01", B, Stage::service, Aspect::technical, -2, true));
  bld.add_purchase("A", ts("2024-04-01"), 99);
  bld.add_purchase("A", ts("2024-03-31T23:59:59"), 1);
  const auto base = bld.finish();
  const auto s = score(base, day("2024-03-31"), fixed_config()).scores;
  EXPECT_EQ(s.loyalty[LoyaltyComponent::continuity][0], 0.0);
  EXPECT_TRUE(std::isnan(s.loyalty[LoyaltyComponent::impression][0]));
  EXPECT_TRUE(
      std::isnan(s.loyalty[LoyaltyComponent::follow_through][0]));  // the only counted purchase is < 14 days before T
  EXPECT_EQ(s.frequency[0], 0.0);
  EXPECT_NEAR(s.referral[ReferralComponent::timing][0], std::exp2(-(1.0 / 86400) / 30), 1e-15);
}

TEST(Score, SameDayPurchasesMergeIntoOneTransaction) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-01-01"), "");
  bld.add_purchase("A", ts("2024-02-01T09:00:00"), 10);
  bld.add_purchase("A", ts("2024-02-10T09:00:00"), 5);
  bld.add_purchase("A", ts("2024-02-01T18:00:00"), 20);
  bld.add_purchase("A", ts("2024-02-10T19:00:00"), 7);
  bld.add_purchase("A", ts("2024-03-01T00:00:00"), 0);
  const auto base = bld.finish();
  const auto s = score(base, day("2024-03-31"), fixed_config()).scores;
  EXPECT_EQ(s.frequency[0], 2.0);
  EXPECT_EQ(s.recency[0], 29.0);
  EXPECT_EQ(s.age[0], 59.0);
  EXPECT_EQ(s.monetary[0], 6.0);  // (5 + 7 + 0) / 2
}

TEST(Score, NextActionTiesGoToTableOrderAndZeroGapsGiveNone) {
  CustomerBaseBuilder bld;
  bld.add_customer("perfect", day("2024-03-02"), "");
  bld.add_contact("perfect", contact("2024-03-20", B, Stage::service, Aspect::hospitality, 2));
  bld.add_contact("perfect", contact("2024-03-21", B, Stage::service, Aspect::wow, 1));
  // loyalty_weights all 0.2 and continuity = impression = 0: equal gaps → continuity (first)
  bld.add_customer("tie", day("2024-03-02"), "");
  bld.add_contact("tie", contact("2024-03-20", C, Stage::service, Aspect::wow, -1));
  const auto base = bld.finish();
  auto cfg = fixed_config();
  cfg.loyalty_weights = {0.2, 0.2, 0.2, 0.2, 0.2};
  const auto s = score(base, day("2024-03-31"), cfg).scores;
  // perfect: continuity 1, impression 1, ladder: t = 1 (no technical), h = 1, o = 1 → 1
  EXPECT_EQ(s.loyalty[LoyaltyComponent::service_ladder][0], 1.0);
  EXPECT_EQ(s.loyalty_given[0], 100.0);
  EXPECT_EQ(s.next_action[0], NextAction::none);
  EXPECT_EQ(s.next_action[1], NextAction::reach_out);
}

TEST(Score, ServiceLadderRungs) {
  CustomerBaseBuilder bld;
  bld.add_customer("basics", day("2024-03-02"), "");
  bld.add_contact("basics", contact("2024-03-20", C, Stage::service, Aspect::technical, -1));
  bld.add_customer("warmth", day("2024-03-02"), "");
  bld.add_contact("warmth", contact("2024-03-20", C, Stage::service, Aspect::technical, 1));
  bld.add_contact("warmth", contact("2024-03-21", C, Stage::service, Aspect::hospitality, 0));
  bld.add_customer("wow", day("2024-03-02"), "");
  bld.add_contact("wow", contact("2024-03-20", C, Stage::service, Aspect::technical, 1));
  bld.add_contact("wow", contact("2024-03-21", C, Stage::service, Aspect::hospitality, 1));
  const auto base = bld.finish();
  auto cfg = fixed_config();
  // the ladder's gap decides (>= 1/3); continuity (0: no business contact) must weigh something
  cfg.loyalty_weights = {0.01, 0, 0, 0, 1};
  const auto s = score(base, day("2024-03-31"), cfg).scores;
  EXPECT_EQ(s.loyalty[LoyaltyComponent::service_ladder][0], 0.0);
  EXPECT_EQ(s.next_action[0], NextAction::fix_basics);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::service_ladder][1], 1.0 / 3.0, 1e-15);
  EXPECT_EQ(s.next_action[1], NextAction::add_hospitality);
  EXPECT_NEAR(s.loyalty[LoyaltyComponent::service_ladder][2], 2.0 / 3.0, 1e-15);
  EXPECT_EQ(s.next_action[2], NextAction::create_wow);
}

TEST(Score, AdvocacyGateAndAskThresholds) {
  CustomerBaseBuilder bld;
  bld.add_customer("unhappy", day("2023-01-01"), "");
  bld.add_contact("unhappy", contact("2024-03-30", C, Stage::service, Aspect::wow, 1));
  bld.add_contact("unhappy", contact("2024-03-30", C, Stage::service, Aspect::wow, -1));
  bld.add_purchase("unhappy", ts("2024-03-31"), 10);
  bld.add_customer("happy", day("2023-01-01"), "");
  bld.add_contact("happy", contact("2024-03-30", C, Stage::service, Aspect::wow, 2));
  bld.add_purchase("happy", ts("2024-03-02"), 10);  // d = 30 days: timing exactly 0.5
  const auto base = bld.finish();
  const auto s = score(base, day("2024-03-31"), fixed_config()).scores;
  const double q = 1.0 / 3.0;  // P = w, N = w, λ = 2
  EXPECT_NEAR(s.referral[ReferralComponent::advocacy][0], q, 1e-15);
  const double timing = std::exp2(-1.0 / 30.0);
  const double tenure = 456.0 / 730.0;  // 2023-01-01 .. 2024-04-01
  const double ungated = 100 * (0.3 * q + 0.2 * timing + 0.15 * tenure) / 1.0;
  EXPECT_NEAR(s.referral_potential[0], ungated * 2 * q, 1e-10);
  EXPECT_EQ(s.ask_for_referral[0], 0);
  EXPECT_EQ(s.referral[ReferralComponent::timing][1], 0.5);
  EXPECT_EQ(s.ask_for_referral[1], 1);
}

TEST(Score, UpserveScoreIsMidRankPercentile) {
  CustomerBaseBuilder bld;
  for (int i = 0; i < 4; ++i) bld.add_customer(std::string("C").append(std::to_string(i)), day("2024-01-01"), "");
  bld.add_purchase("C1", ts("2024-01-05"), 10);
  bld.add_purchase("C1", ts("2024-02-05"), 10);
  const auto base = bld.finish();
  const auto s = score(base, day("2024-03-31"), fixed_config()).scores;
  // three customers tie at 0 (no purchases): (0 + (3-1)/2)/3 = 33.3; C1 is the largest: 100
  EXPECT_NEAR(s.upserve_score[0], 100.0 / 3.0, 1e-12);
  EXPECT_EQ(s.upserve_score[1], 100.0);
}

TEST(Score, CustomersAcquiredAfterAsOfAreNotScored) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-01-01"), "");
  bld.add_customer("B", day("2024-04-01"), "");
  const auto base = bld.finish();
  const auto res = score(base, day("2024-03-31"), fixed_config());
  ASSERT_EQ(res.scores.size(), 1u);
  EXPECT_EQ(res.scores.customer[0], 0u);
  // default as-of: the latest date in the data, so B is scored
  EXPECT_EQ(score(base, std::nullopt, fixed_config()).scores.size(), 2u);
}

TEST(Score, TooFewBuyersLeavesValueUnknownAndStrictModeKeepsTheFitError) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-01-01"), "");
  bld.add_purchase("A", ts("2024-01-05"), 10);
  const auto base = bld.finish();
  const auto res = score(base, day("2024-03-31"));
  ASSERT_EQ(res.scores.size(), 1u);
  EXPECT_TRUE(std::isnan(res.scores.p_alive[0]));
  EXPECT_TRUE(std::isnan(res.scores.expected_value[0]));
  EXPECT_NE(res.bgnbd_error.find("BG/NBD"), std::string::npos) << res.bgnbd_error;
  try {
    check_value_models(res);
    FAIL() << "expected FitError";
  } catch (const FitError& e) {
    EXPECT_NE(std::string(e.what()).find("BG/NBD"), std::string::npos) << e.what();
  }
}

namespace {
CustomerBase generated(std::size_t n, std::uint64_t seed) {
  GenerateOptions o;
  o.customers = n;
  o.seed = seed;
  return generate_base(o);
}
}  // namespace

TEST(ScoreInvariants, EveryScoreInRange) {
  const auto base = generated(3000, 11);
  const auto res = score(base);
  const auto& s = res.scores;
  for (std::size_t r = 0; r < s.size(); ++r) {
    ASSERT_GE(s.loyalty_given[r], 0.0);
    ASSERT_LE(s.loyalty_given[r], 100.0);
    ASSERT_GE(s.referral_potential[r], 0.0);
    ASSERT_LE(s.referral_potential[r], 100.0);
    ASSERT_GE(s.upserve_score[r], 0.0);
    ASSERT_LE(s.upserve_score[r], 100.0);
    for (const auto& component : s.loyalty) {
      if (!std::isnan(component[r])) {
        ASSERT_GE(component[r], 0.0);
        ASSERT_LE(component[r], 1.0);
      }
    }
    for (const auto& component : s.referral) {
      if (!std::isnan(component[r])) {
        ASSERT_GE(component[r], 0.0);
        ASSERT_LE(component[r], 1.0);
      }
    }
    if (!std::isnan(s.p_alive[r])) {
      ASSERT_GE(s.p_alive[r], 0.0);
      ASSERT_LE(s.p_alive[r], 1.0);
      ASSERT_GE(s.expected_purchases[r], 0.0);
    }
    ASSERT_GE(s.upserve_value[r], 0.0);
  }
}

TEST(ScoreInvariants, AddingABusinessContactNeverLowersContinuity) {
  auto base = generated(500, 5);
  const auto before = score(base, std::nullopt, fixed_config());
  // rebuild with one extra business contact per customer, 45 days before T
  CustomerBaseBuilder bld;
  for (std::size_t c = 0; c < base.customer_count(); ++c)
    bld.add_customer(base.customer_id[c], base.acquired_on[c], "");
  const seconds_t extra = midnight(before.as_of + 1) - 45 * seconds_per_day;
  for (std::size_t c = 0; c < base.customer_count(); ++c) {
    for (auto k = base.contact_offsets[c]; k < base.contact_offsets[c + 1]; ++k) {
      ContactRow r{
          base.contact_at[k],     base.contact_channel[k],    base.contact_stage[k],          base.contact_initiator[k],
          base.contact_aspect[k], base.contact_impression[k], base.contact_complaint[k] != 0, base.resolved_at(k)};
      bld.add_contact(base.customer_id[c], r);
    }
    ContactRow r;
    r.at = extra;
    r.initiator = Initiator::business;
    bld.add_contact(base.customer_id[c], r);
  }
  const auto more = bld.finish();
  const auto after = score(more, before.as_of, fixed_config());
  for (std::size_t r = 0; r < before.scores.size(); ++r)
    ASSERT_GE(after.scores.loyalty[LoyaltyComponent::continuity][r],
              before.scores.loyalty[LoyaltyComponent::continuity][r]);
}

TEST(ScoreInvariants, LaterAsOfNeverSeesFewerEvents) {
  const auto base = generated(800, 9);
  const auto D = *base.default_as_of();
  const auto early = score(base, D - 200, fixed_config());
  const auto late = score(base, D, fixed_config());
  EXPECT_LE(early.scores.size(), late.scores.size());
  std::size_t j = 0;
  for (std::size_t r = 0; r < early.scores.size(); ++r) {
    while (late.scores.customer[j] != early.scores.customer[r]) ++j;
    // continuity's evidence is left out: its window starts up to one period before A, so a
    // contact shortly before A can leave it as T moves
    for (const auto k : {LoyaltyComponent::follow_through, LoyaltyComponent::impression, LoyaltyComponent::recovery,
                         LoyaltyComponent::service_ladder})
      ASSERT_GE(late.scores.loyalty_evidence[k][j], early.scores.loyalty_evidence[k][r]) << to_string(k);
    ASSERT_GE(referral_evidence(late, j)[ReferralComponent::timing],
              referral_evidence(early, r)[ReferralComponent::timing]);
    ASSERT_GE(referral_evidence(late, j)[ReferralComponent::advocacy],
              referral_evidence(early, r)[ReferralComponent::advocacy]);
  }
}

TEST(ScoreInvariants, OutputIsByteIdenticalForAnyThreadCount) {
  const auto base = generated(20000, 21);
  std::string outputs[3];
  const unsigned threads[3] = {1, 2, 7};
  rapport::test::TempDir dir;
  for (int i = 0; i < 3; ++i) {
    auto cfg = ScoringConfig{};
    cfg.threads = threads[i];
    const auto res = score(base, std::nullopt, cfg);
    const auto path = dir.file(std::string("s").append(std::to_string(i)).append(".csv"));
    write_scores_csv(path, base, res);
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    outputs[i] = ss.str();
  }
  EXPECT_GT(outputs[0].size(), 1000u);
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_EQ(outputs[0], outputs[2]);
}

TEST(ScoreOutput, NumbersReadBackExactlyAndColumnsMatchTheCard) {
  EXPECT_EQ(score_columns().size(), 26u);
  EXPECT_EQ(score_columns().front(), "customer_id");
  EXPECT_EQ(score_columns().back(), "katz");
  for (double v : {0.1, 1.0 / 3.0, 1e-300, 123456789.123456789, 5e-324, 100.0}) {
    EXPECT_EQ(std::strtod(format_number(v).c_str(), nullptr), v);
  }
  EXPECT_EQ(format_number(std::nan("")), "");
}

TEST(ScoreOutput, ConfigJsonRoundTripAndErrors) {
  ScoringConfig c;
  c.half_life_days = 90;
  c.loyalty_weights = {0.1, 0.2, 0.3, 0.2, 0.2};
  c.bgnbd = BgNbdParams{1, 2, 3, 4, 0};
  const auto back = config_from_json(config_to_json(c));
  EXPECT_EQ(back.half_life_days, 90);
  EXPECT_EQ(back.loyalty_weights, c.loyalty_weights);
  ASSERT_TRUE(back.bgnbd);
  EXPECT_EQ(back.bgnbd->b, 4);
  EXPECT_FALSE(back.gamma_gamma);
  EXPECT_EQ(config_from_json(R"({"loyalty_weights": {"recovery": 0.5}})").loyalty_weights[LoyaltyComponent::recovery],
            0.5);
  EXPECT_THROW(config_from_json(R"({"half_lfe_days": 3})"), ConfigError);
  EXPECT_THROW(config_from_json(R"({"half_life_days": "x"})"), ConfigError);
  EXPECT_THROW(config_from_json("{"), ConfigError);
}

TEST(ScoreOutput, AtomicWritesLeaveNoPartialFile) {
  rapport::test::TempDir dir;
  const auto path = dir.write("scores.csv", "previous result\n");
  EXPECT_THROW(write_file_atomically(dir.file("missing-dir/x.csv"), "x"), std::runtime_error);
  write_file_atomically(path, "new result\n");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "new result");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);  // no temporary left behind
}

TEST(ScoreOutput, InvalidUtf8KeysStillGiveValidJson) {
  CustomerBaseBuilder bld;
  bld.add_customer("caf\xE9", day("2024-01-01"), "seg\xFF");
  bld.add_referral("\xFF\xFE", "caf\xE9", ts("2023-12-01"));
  const auto base = bld.finish();
  const auto res = score(base, day("2024-03-31"), fixed_config());
  // both must parse (nlohmann::json::parse rejects invalid UTF-8); invalid bytes become U+FFFD
  const auto summary = nlohmann::json::parse(summary_json(base, LoadReport{}, res, fixed_config()));
  const auto explain = nlohmann::json::parse(explain_json(base, res, 0, fixed_config()));
  EXPECT_EQ(explain.at("customer_id").get<std::string>(), "caf\xEF\xBF\xBD");
  EXPECT_EQ(explain.at("referrals").at("root_id").get<std::string>(), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(summary.at("customers_scored").get<int>(), 1);
  EXPECT_TRUE(summary.at("loyalty_given").at("per_segment").contains("seg\xEF\xBF\xBD"));
}
