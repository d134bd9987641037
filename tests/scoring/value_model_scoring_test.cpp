// Scoring through the `value_model` setting: BG/BB and sBG inputs from purchase days and
// contracts (hand-checked), ended contracts known lost under every model, discounting, `auto`'s
// holdout choice named in the summary, and the default path's bytes.
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/scorer.hpp>

#include "scoring/score_steps.hpp"
#include "support/scoring_cases.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using namespace rapport;
using rapport::test::day;

// BG/BB with opportunity_days = 10, first purchase on day 0, as of D = 39 (T = day 40):
//
//   day   0   3 | 12 | 25  27 |      38 | T=40
//   period   0  |  1 |    2   |   3     |
//   n = ⌊(39 + 1 − 0) / 10⌋ = 4 whole periods between the first purchase day and T
//
// purchases 0, 3, 12, 25, 27: later periods with a purchase {1, 2} -> x = 2, t_x = 2, n = 4
TEST(ValueModelInputs, BgBbCountsLaterPeriodsWithAPurchase) {
  double x = -1, t_x = -1, n = -1;
  detail::bgbb_inputs({0, 3, 12, 25, 27}, 39, 10, x, t_x, n);
  EXPECT_EQ(x, 2);
  EXPECT_EQ(t_x, 2);
  EXPECT_EQ(n, 4);
  // one purchase only: x = t_x = 0
  detail::bgbb_inputs({0}, 39, 10, x, t_x, n);
  EXPECT_EQ(x, 0);
  EXPECT_EQ(t_x, 0);
  EXPECT_EQ(n, 4);
  // first purchase on day 5; day 14 is 9 days later, still period 0: x = 0; n = ⌊35/10⌋ = 3
  detail::bgbb_inputs({5, 14}, 39, 10, x, t_x, n);
  EXPECT_EQ(x, 0);
  EXPECT_EQ(t_x, 0);
  EXPECT_EQ(n, 3);
  // a purchase on day 38 lies in period 3 (the one holding T): x = 1, t_x = 3 <= n = 4
  detail::bgbb_inputs({0, 38}, 39, 10, x, t_x, n);
  EXPECT_EQ(x, 1);
  EXPECT_EQ(t_x, 3);
  EXPECT_EQ(n, 4);
}

// sBG with contract_period_days = 30, acquired on day 0, as of D = 100 (T = day 101):
//
//   day 0      30      60  75  90    100|T
//       | p1   | p2    | p3 x  | p4...  |
//   ended on 75 (before T): lost after ⌊75/30⌋ = 2 whole periods
//   active: survived ⌊101/30⌋ = 3 whole periods; an ended_on after D is still active
TEST(ValueModelInputs, SbgCountsWholeContractPeriods) {
  double periods = -1;
  std::uint8_t ended = 9;
  detail::sbg_inputs(0, 75, 100, 30, periods, ended);
  EXPECT_EQ(periods, 2);
  EXPECT_EQ(ended, 1);
  detail::sbg_inputs(0, no_day, 100, 30, periods, ended);
  EXPECT_EQ(periods, 3);
  EXPECT_EQ(ended, 0);
  detail::sbg_inputs(0, 120, 100, 30, periods, ended);  // ends after D: not yet lost
  EXPECT_EQ(periods, 3);
  EXPECT_EQ(ended, 0);
  detail::sbg_inputs(10, 100, 100, 30, periods, ended);  // ended on D itself: before T, lost
  EXPECT_EQ(periods, 3);
  EXPECT_EQ(ended, 1);
}

/// A generated base with every tenth customer's contract ended a year before the end.
CustomerBase base_with_ended(std::size_t customers) {
  GenerateOptions o;
  o.customers = customers;
  o.seed = 11;
  const CustomerBase gen = generate_base(o);
  CustomerBaseBuilder b;
  for (std::size_t c = 0; c < gen.customer_count(); ++c) {
    const day_t ended = c % 10 == 3 ? std::max(gen.acquired_on[c], o.end_day - 365) : no_day;
    EXPECT_EQ(b.add_customer(gen.customer_id[c], gen.acquired_on[c], gen.segment_names[gen.segment[c]], ended), "");
  }
  for (std::size_t c = 0; c < gen.customer_count(); ++c)
    for (auto k = gen.purchase_offsets[c]; k < gen.purchase_offsets[c + 1]; ++k)
      EXPECT_EQ(b.add_purchase(gen.customer_id[c], gen.purchase_at[k], gen.purchase_amount[k]), "");
  return b.finish();
}

TEST(ValueModelScoring, EndedCustomersAreKnownLostUnderBgNbd) {
  const CustomerBase base = base_with_ended(600);
  ScoringConfig cfg = test::fixed_config();
  const auto res = score(base, std::nullopt, cfg);
  ASSERT_TRUE(res.value_known());
  std::size_t lost = 0, others_alive = 0;
  for (std::size_t r = 0; r < res.scores.size(); ++r) {
    const std::uint32_t c = res.scores.customer[r];
    if (base.ended(c) != no_day && base.ended(c) <= res.as_of) {
      ++lost;
      EXPECT_EQ(res.scores.p_alive[r], 0);
      EXPECT_EQ(res.scores.expected_purchases[r], 0);
      EXPECT_EQ(res.scores.expected_value[r], 0);
      EXPECT_EQ(res.scores.upserve_value[r], 0);
    } else if (res.scores.p_alive[r] > 0) {
      ++others_alive;
    }
  }
  EXPECT_GT(lost, 30u);
  EXPECT_GT(others_alive, 300u);
  // the other customers score exactly as without the ended_on column
  CustomerBase plain = base;
  plain.ended_on.clear();
  const auto ref = score(plain, std::nullopt, cfg);
  for (std::size_t r = 0; r < res.scores.size(); ++r) {
    if (base.ended(res.scores.customer[r]) != no_day) continue;
    EXPECT_EQ(res.scores.p_alive[r], ref.scores.p_alive[r]);
    EXPECT_EQ(res.scores.expected_value[r], ref.scores.expected_value[r]);
  }
}

TEST(ValueModelScoring, DiscountingLowersExpectedValueOnly) {
  GenerateOptions o;
  o.customers = 500;
  const CustomerBase base = generate_base(o);
  ScoringConfig cfg = test::fixed_config();
  const auto plain = score(base, std::nullopt, cfg);
  cfg.discount_rate = 0.2;
  const auto disc = score(base, std::nullopt, cfg);
  const double p[] = {cfg.bgnbd->r, cfg.bgnbd->alpha, cfg.bgnbd->a, cfg.bgnbd->b};
  const ValueModel m = make_value_model(ValueModelName::bgnbd, p);
  std::size_t checked = 0;
  for (std::size_t r = 0; r < disc.scores.size(); ++r) {
    EXPECT_EQ(disc.scores.expected_purchases[r], plain.scores.expected_purchases[r]);  // undiscounted count
    const auto& s = disc.scores;
    if (std::isnan(s.frequency[r])) {
      EXPECT_EQ(s.expected_value[r], 0);
      continue;
    }
    // expected value = the discounted expectation (rate per day = 0.2 / 365) x expected spend
    const double x = s.frequency[r], t_x = s.recency[r], T = s.age[r];
    ModelData d;
    d.x = {&x, 1};
    d.t_x = {&t_x, 1};
    d.T = {&T, 1};
    double e = 0;
    discounted_expected_purchases(m, 365, 0.2 / 365, d, {&e, 1});
    const double spend = gamma_gamma_expected_spend(*cfg.gamma_gamma, x, x >= 1 ? s.monetary[r] : 0.0);
    EXPECT_DOUBLE_EQ(s.expected_value[r], e * spend);
    EXPECT_LT(s.expected_value[r], plain.scores.expected_value[r]);
    ++checked;
  }
  EXPECT_GT(checked, 300u);
}

TEST(ValueModelScoring, AutoNamesItsChoiceInTheSummary) {
  GenerateOptions o;
  o.customers = 2000;
  o.seed = 5;
  const CustomerBase base = generate_base(o);
  ScoringConfig cfg;
  cfg.threads = 2;
  cfg.value_model = ValueModelSetting::automatic;
  const auto res = score(base, std::nullopt, cfg);
  const auto& sel = res.selection;
  ASSERT_TRUE(sel.automatic);
  ASSERT_EQ(sel.candidates.size(), 3u);  // bgnbd, pareto_nbd, mbgnbd (no opportunity_days: no bgbb)
  EXPECT_EQ(sel.candidates[0].name, ValueModelName::bgnbd);
  EXPECT_EQ(sel.candidates[1].name, ValueModelName::pareto_nbd);
  EXPECT_EQ(sel.candidates[2].name, ValueModelName::mbgnbd);
  // holdout: the last min(365, ⌊span/3⌋) days of the observed purchase span (4 years here: 365)
  EXPECT_EQ(sel.holdout_days, 365);
  EXPECT_EQ(sel.holdout_first, sel.holdout_last - 364);
  // the winner is the fitted candidate with the lowest holdout error (ties: table order)
  double best = INFINITY;
  ValueModelName winner = ValueModelName::bgnbd;
  for (const auto& c : sel.candidates) {
    if (!c.fitted) {
      EXPECT_FALSE(c.error.empty());
      continue;
    }
    EXPECT_GT(c.customers, 1000u);
    EXPECT_GT(c.holdout_actual, 0);
    EXPECT_GT(c.holdout_predicted, 0);
    if (c.holdout_mae < best) {
      best = c.holdout_mae;
      winner = c.name;
    }
  }
  ASSERT_TRUE(sel.candidates[0].fitted);
  EXPECT_EQ(sel.winner, winner);
  EXPECT_EQ(res.purchase_model.name, winner);
  EXPECT_TRUE(res.value_known());
  const auto j = test::summary_of(base, res, cfg);
  EXPECT_EQ(j["model_selection"]["winner"], std::string(to_string(winner)));
  EXPECT_EQ(j["model_selection"]["candidates"].size(), 3u);
  EXPECT_NE(j["model_selection"]["reason"].get<std::string>().find("lowest mean absolute error"), std::string::npos);
  EXPECT_EQ(j["purchase_model"]["name"], std::string(to_string(winner)));
  EXPECT_EQ(j["config"]["value_model"], "auto");
}

TEST(ValueModelScoring, AutoTakesSbgWhenContractsEnded) {
  const CustomerBase base = base_with_ended(400);
  ScoringConfig cfg;
  cfg.value_model = ValueModelSetting::automatic;
  const auto res = score(base, std::nullopt, cfg);
  EXPECT_EQ(res.selection.winner, ValueModelName::sbg);
  EXPECT_TRUE(res.selection.candidates.empty());
  EXPECT_EQ(res.purchase_model.name, ValueModelName::sbg);
  // ended contracts stay known lost whether or not sbg could be fitted in this build
  for (std::size_t r = 0; r < res.scores.size(); ++r) {
    const day_t ended = base.ended(res.scores.customer[r]);
    if (ended != no_day && ended <= res.as_of) {
      EXPECT_EQ(res.scores.p_alive[r], 0);
    }
  }
}

TEST(ValueModelScoring, BgBbWithoutOpportunityDaysIsAConfigError) {
  GenerateOptions o;
  o.customers = 50;
  ScoringConfig cfg;
  cfg.value_model = ValueModelSetting::bgbb;
  EXPECT_THROW(score(generate_base(o), std::nullopt, cfg), ConfigError);
}

TEST(ValueModelScoring, AnUnfittableModelLeavesValueUnknownNotTheRun) {
  CustomerBaseBuilder b;
  b.add_customer("A", day("2024-01-01"), "");
  b.add_purchase("A", test::ts("2024-02-01"), 10);
  const auto base = b.finish();
  for (const auto m : {ValueModelSetting::pareto_nbd, ValueModelSetting::mbgnbd, ValueModelSetting::sbg}) {
    ScoringConfig cfg;
    cfg.value_model = m;
    const auto res = score(base, std::nullopt, cfg);
    EXPECT_FALSE(res.value_known());
    EXPECT_FALSE(res.bgnbd_error.empty());
    EXPECT_TRUE(std::isnan(res.scores.p_alive[0]));
    EXPECT_THROW(check_value_models(res), FitError);
    const auto j = test::summary_of(base, res, cfg);
    EXPECT_EQ(j["purchase_model"]["fitted"], false);
    EXPECT_FALSE(j["purchase_model"]["reason"].get<std::string>().empty());
    EXPECT_NE(j["bgnbd"]["reason"].get<std::string>().find("not used"), std::string::npos);
  }
}

TEST(ValueModelScoring, ScorerAgreesWithAFullRunWithItsParameters) {
  const CustomerBase all = base_with_ended(500);
  // the first 400 customers (and their purchases) first, the rest as a batch
  CustomerBaseBuilder first;
  RowBatch batch;
  for (std::size_t c = 0; c < all.customer_count(); ++c) {
    if (c < 400) {
      first.add_customer(all.customer_id[c], all.acquired_on[c], "", all.ended(c));
    } else {
      batch.customers.push_back({all.customer_id[c], all.acquired_on[c], "", all.ended(c)});
    }
  }
  for (std::size_t c = 0; c < all.customer_count(); ++c)
    for (auto k = all.purchase_offsets[c]; k < all.purchase_offsets[c + 1]; ++k) {
      if (c < 400)
        first.add_purchase(all.customer_id[c], all.purchase_at[k], all.purchase_amount[k]);
      else
        batch.purchases.push_back({all.customer_id[c], all.purchase_at[k], all.purchase_amount[k]});
    }
  ScoringConfig cfg;
  cfg.value_model = ValueModelSetting::automatic;
  cfg.discount_rate = 0.1;
  Scorer scorer(first.finish(), all.default_as_of(), cfg);
  scorer.add(batch);
  const ScoreResult live = scorer.scores();
  const ScoreResult full = score(all, all.default_as_of(), scorer.config());
  ASSERT_EQ(live.scores.size(), full.scores.size());
  for (std::size_t r = 0; r < full.scores.size(); ++r) {
    EXPECT_EQ(live.scores.customer[r], full.scores.customer[r]);
    const auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
    EXPECT_TRUE(same(live.scores.p_alive[r], full.scores.p_alive[r])) << r;
    EXPECT_TRUE(same(live.scores.expected_value[r], full.scores.expected_value[r])) << r;
    EXPECT_TRUE(same(live.scores.upserve_score[r], full.scores.upserve_score[r])) << r;
  }
}

}  // namespace

namespace {

// sBG through scoring, contract_period_days = 30, given alpha = 1, beta = 3, as of D = 2024-03-31
// (T = 2024-04-01), horizon 365 days -> ⌊365/30⌋ = 12 future periods:
//
//   A acquired 2023-10-03, active: survived ⌊(2024-04-01 − 2023-10-03)/30⌋ = ⌊181/30⌋ = 6 periods
//   B acquired 2023-10-03, ended 2024-01-01 (before T): known lost
//   expected renewals of A = Σ_{k=1..12} S(6 + k) / S(6)   (S the sBG survival function)
TEST(ValueModelScoring, SbgExpectedRenewalsFromContractPeriods) {
  CustomerBaseBuilder b;
  b.add_customer("A", day("2023-10-03"), "");
  b.add_customer("B", day("2023-10-03"), "", day("2024-01-01"));
  for (const char* id : {"A", "B"}) {
    b.add_purchase(id, test::ts("2023-10-03"), 20);
    b.add_purchase(id, test::ts("2023-11-03"), 20);
  }
  const auto base = b.finish();
  ScoringConfig cfg = test::fixed_config();
  cfg.value_model = ValueModelSetting::sbg;
  cfg.sbg = SbgParams{1, 3, 0};
  const auto res = score(base, test::case_as_of, cfg);
  ASSERT_TRUE(res.value_known()) << res.bgnbd_error;
  const double p[] = {1, 3};
  const ValueModel m = make_value_model(ValueModelName::sbg, p);
  double expected = 0;
  for (int k = 1; k <= 12; ++k) expected += survival(m, 6 + k) / survival(m, 6);
  EXPECT_NEAR(res.scores.expected_purchases[0], expected, 1e-12);
  EXPECT_EQ(res.scores.p_alive[0], 1);  // the contract runs
  EXPECT_EQ(res.scores.p_alive[1], 0);
  EXPECT_EQ(res.scores.expected_purchases[1], 0);
  EXPECT_EQ(res.scores.expected_value[1], 0);
  const double spend = gamma_gamma_expected_spend(*cfg.gamma_gamma, 1, 20);
  EXPECT_NEAR(res.scores.expected_value[0], expected * spend, 1e-9);
  // the explanation names the model and the ended contract
  const auto a = nlohmann::json::parse(explain_json(base, res, 0, cfg))["value_at_stake"];
  EXPECT_EQ(a["model"], "sbg");
  EXPECT_FALSE(a.contains("ended_on"));
  const auto bj = nlohmann::json::parse(explain_json(base, res, 1, cfg))["value_at_stake"];
  EXPECT_EQ(bj["ended_on"], "2024-01-01");
  EXPECT_EQ(bj["known_lost"], true);
  EXPECT_EQ(bj["p_alive"], 0);
}

// BG/BB through scoring, opportunity_days = 100, as of D = 2024-03-31 (T = 2024-04-01):
//   first purchase 2023-01-01; T − first = 456 days -> n = ⌊456/100⌋ = 4
//   purchases 2023-01-01 (period 0), 2023-05-01 (day 120: period 1), 2023-12-01 (day 334: period 3)
//   -> x = 2, t_x = 3, n = 4; horizon ⌊365/100⌋ = 3 opportunities
TEST(ValueModelScoring, BgBbPredictionsFromOpportunityPeriods) {
  CustomerBaseBuilder b;
  b.add_customer("A", day("2022-12-01"), "");
  for (const char* at : {"2023-01-01", "2023-05-01", "2023-12-01"}) b.add_purchase("A", test::ts(at), 50);
  const auto base = b.finish();
  ScoringConfig cfg = test::fixed_config();
  cfg.value_model = ValueModelSetting::bgbb;
  cfg.opportunity_days = 100;
  cfg.bgbb = BgBbParams{1.2, 0.75, 0.66, 2.8, 0};
  const auto res = score(base, test::case_as_of, cfg);
  ASSERT_TRUE(res.value_known()) << res.bgnbd_error;
  const double p[] = {1.2, 0.75, 0.66, 2.8};
  const ValueModel m = make_value_model(ValueModelName::bgbb, p);
  const double x = 2, t_x = 3, n = 4;
  ModelData d;
  d.x = {&x, 1};
  d.t_x = {&t_x, 1};
  d.n = {&n, 1};
  double alive = 0, expected = 0;
  rapport::p_alive(m, d, {&alive, 1});
  expected_purchases(m, 3, d, {&expected, 1});
  EXPECT_EQ(res.scores.p_alive[0], alive);
  EXPECT_EQ(res.scores.expected_purchases[0], expected);
  EXPECT_GT(expected, 0);
  EXPECT_LT(expected, 3);
}

}  // namespace

namespace {

// penalizer with the default BG/NBD: the fit maximises LL − penalizer·Σ(log θ)², so the log-
// parameters move towards 0 and the (unpenalised) log-likelihood cannot exceed the plain fit's.
TEST(ValueModelScoring, PenalizerReachesTheBgNbdFit) {
  GenerateOptions o;
  o.customers = 800;
  o.seed = 9;
  const CustomerBase base = generate_base(o);
  ScoringConfig cfg;
  cfg.threads = 1;
  const auto plain = score(base, std::nullopt, cfg);
  cfg.penalizer = 0.5;
  const auto pen = score(base, std::nullopt, cfg);
  ASSERT_TRUE(plain.value_known() && pen.value_known());
  EXPECT_TRUE(pen.bgnbd_fitted);
  const auto norm = [](const BgNbdParams& p) {
    return std::pow(std::log(p.r), 2) + std::pow(std::log(p.alpha), 2) + std::pow(std::log(p.a), 2) +
           std::pow(std::log(p.b), 2);
  };
  EXPECT_LT(norm(pen.bgnbd), norm(plain.bgnbd));
  EXPECT_LE(pen.bgnbd.log_likelihood, plain.bgnbd.log_likelihood + 1e-9);
  EXPECT_EQ(pen.purchase_model.penalizer, 0.5);
  EXPECT_EQ(pen.purchase_model.std_errors.size(), 4u);
  EXPECT_NE(pen.scores.p_alive, plain.scores.p_alive);
}

}  // namespace
