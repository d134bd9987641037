// Explanations: each component's value, weight, effective weight, contribution and evidence,
// the gate, the next action's gap and the referral facts, hand-computed for a drawn base.
// Scored as of D = 2024-03-31 (T = 2024-04-01T00:00Z) with fixed model parameters.
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>

#include "support/scoring_cases.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace rapport;
using namespace rapport::test;
using nlohmann::json;

namespace {
constexpr double eps = 1e-9;

//  The base (input order X, Y, Z, W):
//
//    X  acquired 2024-03-02 (T − A = 30 d: one period; tenure 30/730)
//       business welcome contact, hospitality, +1, on 2024-03-20; no purchases
//    Y  acquired 2024-01-01 (T − A = 91 d: 4 periods, none covered; tenure 91/730)
//       customer-initiated wow-aspect contacts +1 and −1 on 2024-03-30; purchase 2024-03-31 10
//    Z  acquired 2024-02-15 (T − A = 46 d), nothing else
//    W  acquired 2024-03-02; business service complaint, technical, −2, on 2024-03-10, still open
//
//    referrals:  X ─(T − 180 d = 2023-10-04, weight 0.5)─▶ Y ─(2024-02-01, 60 d: weight 2^(−1/3))─▶ Z
//    both convert (Y acquired 2024-01-01 ≥ 2023-10-04, Z acquired 2024-02-15 ≥ 2024-02-01)
CustomerBase drawn_base() {
  CustomerBaseBuilder bld;
  must(bld.add_customer("X", day("2024-03-02"), ""));
  must(bld.add_customer("Y", day("2024-01-01"), ""));
  must(bld.add_customer("Z", day("2024-02-15"), ""));
  must(bld.add_customer("W", day("2024-03-02"), ""));
  must(bld.add_contact("X", contact_at(ts("2024-03-20"), B, Stage::welcome, Aspect::hospitality, 1)));
  must(bld.add_contact("Y", contact_at(ts("2024-03-30"), C, Stage::service, Aspect::wow, 1)));
  must(bld.add_contact("Y", contact_at(ts("2024-03-30"), C, Stage::service, Aspect::wow, -1)));
  must(bld.add_purchase("Y", ts("2024-03-31"), 10));
  must(bld.add_contact("W", contact_at(ts("2024-03-10"), B, Stage::service, Aspect::technical, -2, true)));
  must(bld.add_referral("X", "Y", case_T - 180 * one_day));
  must(bld.add_referral("Y", "Z", ts("2024-02-01")));
  return bld.finish();
}

struct Expected {
  const char* name;
  double value;  // NaN: no evidence
  double weight;
  double effective_weight;
  double contribution;  // NaN: null
  unsigned evidence;
};

void expect_components(const json& components, const std::vector<Expected>& expected) {
  ASSERT_EQ(components.size(), expected.size()) << components.dump();
  for (std::size_t k = 0; k < expected.size(); ++k) {
    const json& c = components[k];
    const Expected& e = expected[k];
    SCOPED_TRACE(e.name);
    EXPECT_EQ(c.at("name").get<std::string>(), e.name);
    EXPECT_NEAR(c.at("weight").get<double>(), e.weight, eps);
    EXPECT_NEAR(c.at("effective_weight").get<double>(), e.effective_weight, eps);
    EXPECT_EQ(c.at("evidence").get<unsigned>(), e.evidence);
    if (std::isnan(e.value)) {
      EXPECT_TRUE(c.at("value").is_null()) << c.dump();
      EXPECT_TRUE(c.at("contribution").is_null()) << c.dump();
      EXPECT_EQ(c.at("note").get<std::string>(), "no evidence");
    } else {
      EXPECT_NEAR(c.at("value").get<double>(), e.value, eps);
      EXPECT_NEAR(c.at("contribution").get<double>(), e.contribution, eps);
    }
  }
}

double sum_of_contributions(const json& components) {
  double sum = 0;
  for (const auto& c : components)
    if (!c.at("contribution").is_null()) sum += c.at("contribution").get<double>();
  return sum;
}

constexpr double none = std::numeric_limits<double>::quiet_NaN();
}  // namespace

//  X, loyalty given: continuity 1 (1 business contact in the window), follow-through and
//  recovery no evidence, impression q = 1, service ladder t = 1 (no technical contact),
//  h = 1, o = 0 (only +1) → (1 + 1 + 0)/3 = 2/3.
//  Evidenced weights 0.30 + 0.20 + 0.10 = 0.60, so effective weights 1/2, 1/3, 1/6 and
//  contributions 100·w·v/0.6: 50, 33.333…, 11.111… → L = 850/9 (their sum).
//  Next action: gaps 0.3·0, 0.2·0, 0.1·(1/3) → create_wow (t ≥ 0.9, h ≥ 0.5) with gap 1/30.
//  Referral potential: advocacy 1, track_record 1 − e^(−0.5) (one child, weight 0.5),
//  chain_reach 1 − e^(−1.5/2) (katz = 1 + 0.5·1 = 1.5), timing no evidence, tenure 30/730.
//  Evidenced weights 0.30 + 0.20 + 0.15 + 0.15 = 0.80 → contributions 100·w·v/0.8:
//  37.5, 25·0.393469, 18.75·0.527633, 18.75·30/730; R = their sum = 58.000409 (no gate).
TEST(Explain, ContributionsRenormaliseOverEvidencedComponents) {
  const auto base = drawn_base();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json x = explanation_of(base, res, 0, cfg);
  EXPECT_EQ(x.at("customer_id").get<std::string>(), "X");

  const json& L = x.at("loyalty_given");
  expect_components(L.at("components"), {{"continuity", 1, 0.30, 0.5, 50, 1},
                                         {"follow_through", none, 0.25, 0, none, 0},
                                         {"impression", 1, 0.20, 1.0 / 3, 100.0 / 3, 1},
                                         {"recovery", none, 0.15, 0, none, 0},
                                         {"service_ladder", 2.0 / 3, 0.10, 1.0 / 6, 100.0 / 9, 1}});
  EXPECT_NEAR(L.at("value").get<double>(), 850.0 / 9, eps);
  EXPECT_NEAR(sum_of_contributions(L.at("components")), 850.0 / 9, eps);
  EXPECT_NEAR(L.at("service_ladder_detail").at("technical").get<double>(), 1, eps);
  EXPECT_NEAR(L.at("service_ladder_detail").at("hospitality").get<double>(), 1, eps);
  EXPECT_FALSE(L.at("service_ladder_detail").at("wow").get<bool>());

  const json& na = x.at("next_action");
  EXPECT_EQ(na.at("action").get<std::string>(), "create_wow");
  EXPECT_NEAR(na.at("gap").get<double>(), 0.1 / 3, eps);
  EXPECT_FALSE(na.at("overdue_complaint").get<bool>());
  EXPECT_NEAR(na.at("gaps").at("continuity").get<double>(), 0, eps);
  EXPECT_TRUE(na.at("gaps").at("follow_through").is_null());
  EXPECT_NEAR(na.at("gaps").at("impression").get<double>(), 0, eps);
  EXPECT_TRUE(na.at("gaps").at("recovery").is_null());
  EXPECT_NEAR(na.at("gaps").at("service_ladder").get<double>(), 0.1 / 3, eps);

  const double track = 1 - std::exp(-0.5), chain = 1 - std::exp(-0.75), tenure = 30.0 / 730;
  const json& R = x.at("referral_potential");
  expect_components(R.at("components"), {{"advocacy", 1, 0.30, 0.375, 37.5, 1},
                                         {"track_record", track, 0.20, 0.25, 25 * track, 1},
                                         {"chain_reach", chain, 0.15, 0.1875, 18.75 * chain, 2},
                                         {"timing", none, 0.20, 0, none, 0},
                                         {"tenure", tenure, 0.15, 0.1875, 18.75 * tenure, 1}});
  EXPECT_NEAR(R.at("value").get<double>(), 58.00040858849561, eps);
  EXPECT_NEAR(sum_of_contributions(R.at("components")), 58.00040858849561, eps);
  EXPECT_FALSE(R.at("gate").at("applied").get<bool>());
  EXPECT_EQ(R.at("gate").at("factor").get<double>(), 1.0);
  EXPECT_FALSE(R.at("ask_for_referral").get<bool>());

  const json& f = x.at("referrals");
  EXPECT_EQ(f.at("direct_referrals").get<int>(), 1);
  EXPECT_EQ(f.at("converted_referrals").get<int>(), 1);
  EXPECT_EQ(f.at("generation").get<int>(), 0);
  EXPECT_EQ(f.at("root_id").get<std::string>(), "X");
  EXPECT_EQ(f.at("tree_size").get<int>(), 3);
  EXPECT_NEAR(f.at("katz").get<double>(), 1.5, eps);
  EXPECT_TRUE(f.at("parent_id").is_null());

  const json& v = x.at("value_at_stake");  // no purchases
  for (const char* k : {"frequency", "recency_days", "age_days", "mean_repeat_spend", "p_alive", "expected_purchases",
                        "expected_spend"})
    EXPECT_TRUE(v.at(k).is_null()) << k;
  EXPECT_EQ(v.at("expected_value").get<double>(), 0.0);
}

//  Y: P = N = w (the +1 and the −1 at the same instant) → q = 1/(1 + 2) = 1/3.
//  Loyalty: continuity 0 (no business contact; evidence 0), impression 1/3; nothing else →
//  evidenced weights 0.5: contributions 0 and 100·0.2·(1/3)/0.5 = 40/3 → L = 40/3.
//  Referral: every component evidenced (weights sum to 1): advocacy 1/3,
//  track_record 1 − e^(−2^(−1/3)) (child Z acquired by an edge 60 d before T),
//  chain_reach 1 − e^(−1/2) (katz 1), timing 2^(−1/30) (latest purchase 1 d before T),
//  tenure 91/730; Σ contributions = 48.271734; advocacy < 0.5 → gate factor 2·(1/3):
//  R = 48.271734·2/3 = 32.181156.
//  Value: one purchase day → x = 0, t_x = 0, T = 0, no mean repeat spend; p_alive 1 (x = 0);
//  expected spend pγ/(q − 1) = 6·15/3 = 30.
TEST(Explain, GateAndValueAtStake) {
  const auto base = drawn_base();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json y = explanation_of(base, res, 1, cfg);
  EXPECT_EQ(y.at("customer_id").get<std::string>(), "Y");
  expect_components(y.at("loyalty_given").at("components"), {{"continuity", 0, 0.30, 0.6, 0, 0},
                                                             {"follow_through", none, 0.25, 0, none, 0},
                                                             {"impression", 1.0 / 3, 0.20, 0.4, 40.0 / 3, 2},
                                                             {"recovery", none, 0.15, 0, none, 0},
                                                             {"service_ladder", none, 0.10, 0, none, 0}});
  EXPECT_NEAR(y.at("loyalty_given").at("value").get<double>(), 40.0 / 3, eps);
  EXPECT_EQ(y.at("next_action").at("action").get<std::string>(), "reach_out");
  EXPECT_NEAR(y.at("next_action").at("gap").get<double>(), 0.3, eps);

  const double track = 1 - std::exp(-std::exp2(-1.0 / 3)), chain = 1 - std::exp(-0.5);
  const double timing = std::exp2(-1.0 / 30), tenure = 91.0 / 730;
  const json& R = y.at("referral_potential");
  expect_components(R.at("components"), {{"advocacy", 1.0 / 3, 0.30, 0.30, 10, 2},
                                         {"track_record", track, 0.20, 0.20, 20 * track, 1},
                                         {"chain_reach", chain, 0.15, 0.15, 15 * chain, 1},
                                         {"timing", timing, 0.20, 0.20, 20 * timing, 1},
                                         {"tenure", tenure, 0.15, 0.15, 15 * tenure, 1}});
  EXPECT_NEAR(sum_of_contributions(R.at("components")), 48.27173379777258, eps);
  EXPECT_TRUE(R.at("gate").at("applied").get<bool>());
  EXPECT_NEAR(R.at("gate").at("factor").get<double>(), 2.0 / 3, eps);
  EXPECT_NEAR(R.at("value").get<double>(), 32.18115586518172, eps);
  EXPECT_FALSE(R.at("ask_for_referral").get<bool>());  // advocacy < 0.7

  const json& f = y.at("referrals");
  EXPECT_EQ(f.at("generation").get<int>(), 1);
  EXPECT_EQ(f.at("root_id").get<std::string>(), "X");
  EXPECT_EQ(f.at("parent_id").get<std::string>(), "X");
  EXPECT_EQ(f.at("tree_size").get<int>(), 2);
  EXPECT_NEAR(f.at("katz").get<double>(), 1.0, eps);

  const json& v = y.at("value_at_stake");
  EXPECT_EQ(v.at("frequency").get<double>(), 0.0);
  EXPECT_EQ(v.at("recency_days").get<double>(), 0.0);
  EXPECT_EQ(v.at("age_days").get<double>(), 0.0);
  EXPECT_TRUE(v.at("mean_repeat_spend").is_null());
  EXPECT_NEAR(v.at("p_alive").get<double>(), 1.0, eps);
  EXPECT_NEAR(v.at("expected_spend").get<double>(), 30.0, eps);
  const double purchases = bgnbd_expected_purchases(*cfg.bgnbd, 365, 0, 0, 0);
  EXPECT_NEAR(v.at("expected_purchases").get<double>(), purchases, eps);
  EXPECT_NEAR(v.at("expected_value").get<double>(), purchases * 30, 1e-9 * purchases * 30);
}

//  Z: only continuity (0) and tenure are evidenced on their sides.
//  L = 0, next action reach_out with gap 0.3.  Referral: advocacy and timing no evidence,
//  track_record 0 and chain_reach 0 (no children), tenure 46/730; evidenced weights
//  0.20 + 0.15 + 0.15 = 0.5 → tenure contributes 100·0.15·(46/730)/0.5 = 30·46/730 = R.
//  No advocacy: no gate.
//  W: the open complaint is 22 days old → resolve_complaint first, with recovery's gap
//  0.15·(1 − 0) = 0.15, although impression's gap 0.2·(1 − 0) is larger.
//  L = 100·0.3·1 / (0.3 + 0.2 + 0.15 + 0.1) = 40 (continuity 1, impression 0, recovery 0, ladder 0).
TEST(Explain, NoEvidenceSidesAndOverdueComplaint) {
  const auto base = drawn_base();
  const auto cfg = fixed_config();
  const auto res = score(base, case_as_of, cfg);
  const json z = explanation_of(base, res, 2, cfg);
  EXPECT_EQ(z.at("customer_id").get<std::string>(), "Z");
  EXPECT_NEAR(z.at("loyalty_given").at("value").get<double>(), 0, eps);
  EXPECT_EQ(z.at("next_action").at("action").get<std::string>(), "reach_out");
  EXPECT_NEAR(z.at("next_action").at("gap").get<double>(), 0.3, eps);
  const double tenure = 46.0 / 730;
  expect_components(z.at("referral_potential").at("components"), {{"advocacy", none, 0.30, 0, none, 0},
                                                                  {"track_record", 0, 0.20, 0.4, 0, 0},
                                                                  {"chain_reach", 0, 0.15, 0.3, 0, 0},
                                                                  {"timing", none, 0.20, 0, none, 0},
                                                                  {"tenure", tenure, 0.15, 0.3, 30 * tenure, 1}});
  EXPECT_NEAR(z.at("referral_potential").at("value").get<double>(), 30 * tenure, eps);
  EXPECT_FALSE(z.at("referral_potential").at("gate").at("applied").get<bool>());

  const json w = explanation_of(base, res, 3, cfg);
  EXPECT_EQ(w.at("customer_id").get<std::string>(), "W");
  EXPECT_NEAR(w.at("loyalty_given").at("value").get<double>(), 40, eps);
  const json& na = w.at("next_action");
  EXPECT_EQ(na.at("action").get<std::string>(), "resolve_complaint");
  EXPECT_TRUE(na.at("overdue_complaint").get<bool>());
  EXPECT_NEAR(na.at("gap").get<double>(), 0.15, eps);
  EXPECT_NEAR(na.at("gaps").at("impression").get<double>(), 0.2, eps);
  EXPECT_EQ(na.at("reason").get<std::string>(), "a complaint is open past its window");
}

//  Every explanation's components add up to its score (before the gate), for every row of a
//  generated base: L = Σ contributions and R = gate factor × Σ contributions.
TEST(Explain, ContributionsAddUpToTheScoreOnAGeneratedBase) {
  GenerateOptions o;
  o.customers = 300;
  o.seed = 17;
  const auto base = generate_base(o);
  const auto cfg = fixed_config();
  const auto res = score(base, std::nullopt, cfg);
  ASSERT_GT(res.scores.size(), 100u);
  for (std::size_t r = 0; r < res.scores.size(); ++r) {
    const json e = explanation_of(base, res, r, cfg);
    EXPECT_NEAR(sum_of_contributions(e.at("loyalty_given").at("components")), res.scores.loyalty_given[r], 1e-9) << r;
    const json& R = e.at("referral_potential");
    EXPECT_NEAR(R.at("gate").at("factor").get<double>() * sum_of_contributions(R.at("components")),
                res.scores.referral_potential[r], 1e-9)
        << r;
  }
}
