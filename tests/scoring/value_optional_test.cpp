// Value models that cannot be fitted: the run still scores every customer; value columns are
// NaN, the result and the summary say why, and check_value_models() keeps the fit error for
// strict mode.
#include <rapport/io/writers.hpp>
#include <rapport/scoring/score.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace rapport;

namespace {
seconds_t ts(const char* s) { return *parse_timestamp(s); }
day_t day(const char* s) { return *parse_date(s); }

ContactRow business_contact(const char* at, int impression) {
  ContactRow r;
  r.at = ts(at);
  r.initiator = Initiator::business;
  r.stage = Stage::service;
  r.aspect = Aspect::technical;
  r.impression = impression;
  r.channel = Channel::phone;
  return r;
}

// Four customers, three of them buyers (one a repeat buyer): far fewer than the 10 a fit needs.
//   A: 2 purchase days, a +2 and a -1 impression     B: 1 purchase, one contact
//   C: 1 purchase                                    D: nothing
CustomerBase tiny_base() {
  CustomerBaseBuilder b;
  for (const char* id : {"A", "B", "C", "D"}) b.add_customer(id, day("2024-01-01"), "");
  b.add_purchase("A", ts("2024-01-10"), 20);
  b.add_purchase("A", ts("2024-02-10"), 30);
  b.add_purchase("B", ts("2024-03-01"), 15);
  b.add_purchase("C", ts("2024-03-20"), 5);
  b.add_contact("A", business_contact("2024-02-11", 2));
  b.add_contact("A", business_contact("2024-03-11", -1));
  b.add_contact("B", business_contact("2024-03-02", 1));
  return b.finish();
}

ScoringConfig fixed() {
  ScoringConfig c;
  c.bgnbd = BgNbdParams{0.5, 30.0, 0.8, 2.5, 0.0};
  c.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0, 0.0};
  return c;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }
}  // namespace

TEST(ValueOptional, SmallBaseGetsEveryNonValueColumn) {
  const auto base = tiny_base();
  const auto res = score(base, day("2024-03-31"));  // before: FitError, no scores at all
  const auto ref = score(base, day("2024-03-31"), fixed());
  const auto& s = res.scores;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_FALSE(res.bgnbd_error.empty());
  EXPECT_FALSE(res.gamma_gamma_error.empty());
  EXPECT_FALSE(res.bgnbd_fitted);
  EXPECT_FALSE(res.value_known());
  EXPECT_EQ(res.bgnbd_customers, 3u);
  for (std::size_t r = 0; r < s.size(); ++r) {
    // the value columns are unknown for everyone
    EXPECT_TRUE(std::isnan(s.p_alive[r])) << r;
    EXPECT_TRUE(std::isnan(s.expected_purchases[r])) << r;
    EXPECT_TRUE(std::isnan(s.expected_value[r])) << r;
    EXPECT_TRUE(std::isnan(s.upserve_value[r])) << r;
    EXPECT_TRUE(std::isnan(s.upserve_score[r])) << r;
    // every other column is exactly what a run with given parameters computes
    EXPECT_TRUE(same(s.loyalty_given[r], ref.scores.loyalty_given[r])) << r;
    for (const auto k : all_loyalty_components)
      EXPECT_TRUE(same(s.loyalty[k][r], ref.scores.loyalty[k][r])) << r << to_string(k);
    for (const auto k : all_referral_components)
      EXPECT_TRUE(same(s.referral[k][r], ref.scores.referral[k][r])) << r << to_string(k);
    EXPECT_EQ(s.next_action[r], ref.scores.next_action[r]);
    EXPECT_TRUE(same(s.referral_potential[r], ref.scores.referral_potential[r]));
    EXPECT_EQ(s.ask_for_referral[r], ref.scores.ask_for_referral[r]);
  }
  // hand-checked: A's impressions +2 and -1 give q = P/(P + 2N) > 0 (so loyalty is computed)
  EXPECT_GT(s.loyalty[LoyaltyComponent::impression][0], 0.0);
  EXPECT_FALSE(std::isnan(s.loyalty_given[3]));  // D: continuity alone (0)
  EXPECT_EQ(s.loyalty_given[3], 0.0);
}

TEST(ValueOptional, StrictModeKeepsTheFitError) {
  const auto res = score(tiny_base(), day("2024-03-31"));
  try {
    check_value_models(res);
    FAIL() << "expected FitError";
  } catch (const FitError& e) {
    EXPECT_EQ(std::string(e.what()), res.bgnbd_error);
    EXPECT_NE(std::string(e.what()).find("BG/NBD"), std::string::npos);
    EXPECT_EQ(exit_code(e.kind()), 3);
  }
  EXPECT_NO_THROW(check_value_models(score(tiny_base(), day("2024-03-31"), fixed())));
}

TEST(ValueOptional, GivenBgNbdWithoutGammaGammaKeepsPAliveOnly) {
  auto cfg = fixed();
  cfg.gamma_gamma.reset();
  const auto res = score(tiny_base(), day("2024-03-31"), cfg);
  EXPECT_TRUE(res.bgnbd_error.empty());
  EXPECT_FALSE(res.gamma_gamma_error.empty());
  const auto& s = res.scores;
  EXPECT_FALSE(std::isnan(s.p_alive[0]));
  EXPECT_FALSE(std::isnan(s.expected_purchases[0]));
  EXPECT_TRUE(std::isnan(s.p_alive[3]));  // D has no purchases
  for (std::size_t r = 0; r < s.size(); ++r) {
    EXPECT_TRUE(std::isnan(s.expected_value[r]));
    EXPECT_TRUE(std::isnan(s.upserve_score[r]));
  }
  EXPECT_THROW(check_value_models(res), FitError);
}

TEST(ValueOptional, SummaryMarksTheModelsAndLeavesValueDecilesOut) {
  const auto base = tiny_base();
  const auto res = score(base, day("2024-03-31"));
  const LoadReport report;
  const Summary sum = summarize(base, report, res);
  EXPECT_FALSE(sum.bgnbd.fitted);
  EXPECT_FALSE(sum.bgnbd.available);
  EXPECT_EQ(sum.bgnbd.reason, res.bgnbd_error);
  EXPECT_TRUE(sum.bgnbd.parameters.empty());
  EXPECT_EQ(sum.gamma_gamma.reason, res.gamma_gamma_error);
  EXPECT_FALSE(sum.value_known);
  EXPECT_TRUE(sum.loyalty_per_value_decile.empty());
  EXPECT_FALSE(sum.top_decile_gap);
  EXPECT_FALSE(sum.expected_value_total);
  EXPECT_FALSE(sum.share_p_alive_above_threshold);
  EXPECT_EQ(sum.customers_with_purchases, 3u);
  EXPECT_EQ(sum.customers_scored, 4u);
  const std::string json = to_json(sum);
  EXPECT_EQ(json, summary_json(base, report, res));
  EXPECT_EQ(json.find("per_value_decile"), std::string::npos);
  EXPECT_EQ(json.find("top_decile_gap"), std::string::npos);
  EXPECT_NE(json.find("\"reason\""), std::string::npos);
  EXPECT_NE(json.find("\"fitted\": false"), std::string::npos);

  const Summary known = summarize(base, report, score(base, day("2024-03-31"), fixed()));
  EXPECT_TRUE(known.value_known);
  EXPECT_EQ(known.loyalty_per_value_decile.size(), 10u);
  EXPECT_TRUE(known.bgnbd.available);
  EXPECT_EQ(known.bgnbd.parameters.at("alpha"), 30.0);
  EXPECT_NE(to_json(known).find("per_value_decile"), std::string::npos);
}

TEST(ValueOptional, CsvRowsHaveEmptyValueCells) {
  rapport::test::TempDir dir;
  const auto base = tiny_base();
  const auto res = score(base, day("2024-03-31"));
  const auto path = dir.file("scores.csv");
  write_scores_csv(path, base, res, 1);
  std::ifstream in(path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);  // customer A
  std::vector<std::string> names, cells;
  for (auto* pair : {&header, &row}) {
    std::stringstream ss(*pair);
    std::string cell;
    auto& out = pair == &header ? names : cells;
    while (std::getline(ss, cell, ',')) out.push_back(cell);
    if (!pair->empty() && pair->back() == ',') out.emplace_back();
  }
  ASSERT_EQ(names.size(), cells.size());
  for (std::size_t k = 0; k < names.size(); ++k) {
    const bool value = names[k] == "p_alive" || names[k] == "expected_purchases" || names[k] == "expected_value" ||
                       names[k] == "upserve_value" || names[k] == "upserve_score";
    if (value) {
      EXPECT_EQ(cells[k], "") << names[k];
    }
    if (names[k] == "loyalty_given" || names[k] == "next_action" || names[k] == "referral_potential") {
      EXPECT_NE(cells[k], "") << names[k];
    }
  }
}
