// Tests of rapport::validate (rapport/scoring/validate.hpp): the calibration/holdout split by
// hand on a small base, and the CDNOW holdout of weeks 40-78 against the published figures.
#include <rapport/io/validation_report.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/validate.hpp>
#include <rapport/value/value.hpp>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>

namespace {

using rapport::day_t;
using rapport::days_from_civil;
using rapport::midnight;
using rapport::ValueModelName;

day_t ymd(int y, unsigned m, unsigned d) { return days_from_civil(y, m, d); }

// ---------------------------------------------------------------------------------------------
// A small base, by hand
// ---------------------------------------------------------------------------------------------
//
// D1 = 2026-03-01 (calibration as of 2026-02-28), D2 = 2026-03-31. Purchases (day: amount):
//   a  acquired 01-01: 01-05: 10, 01-05: 5 (same day, one purchase day of 15), 02-10: 20,
//                      03-02: 30, 03-02: 1 (one holdout day of 31), 03-20: 9, 04-05: 100 (after D2)
//   b  acquired 01-01: 01-12: 7 only                           -> x = 0, holdout 0
//   c  acquired 02-01: 02-01: 4, 03-10: 6                      -> x = 0, holdout 1 (6)
//   d  acquired 02-20: no purchase before D1, 03-05: 50        -> left out (no calibration purchase)
//   e  acquired 03-03: 03-04: 8                                -> acquired in the holdout: not a customer here
// Calibration: a x=1 t_x=36 T=54 (01-05 -> 02-10 -> 02-28), b x=0 T=47, c x=0 T=27.
// Holdout purchase days: a 2 (03-02, 03-20), b 0, c 1: total 3, spend 31 + 9 + 6 = 46.
// Tracking weeks from 01-05 (a's first day): repeat days a 02-10 (day 36: week 6),
// 03-02 (day 56: week 9), 03-20 (day 74: week 11); c 03-10 (day 64: week 10). D2 = day 85: week 13.
rapport::CustomerBase small_base() {
  rapport::CustomerBaseBuilder b;
  const auto at = [](int m, unsigned d) { return midnight(ymd(2026, static_cast<unsigned>(m), d)) + 3600; };
  EXPECT_EQ(b.add_customer("a", ymd(2026, 1, 1), ""), "");
  EXPECT_EQ(b.add_customer("b", ymd(2026, 1, 1), ""), "");
  EXPECT_EQ(b.add_customer("c", ymd(2026, 2, 1), ""), "");
  EXPECT_EQ(b.add_customer("d", ymd(2026, 2, 20), ""), "");
  EXPECT_EQ(b.add_customer("e", ymd(2026, 3, 3), ""), "");
  for (const auto& [id, m, d, amount] : std::vector<std::tuple<const char*, int, unsigned, double>>{{"a", 3, 2, 30},
                                                                                                    {"a", 1, 5, 10},
                                                                                                    {"a", 2, 10, 20},
                                                                                                    {"a", 1, 5, 5},
                                                                                                    {"a", 3, 2, 1},
                                                                                                    {"a", 3, 20, 9},
                                                                                                    {"a", 4, 5, 100},
                                                                                                    {"b", 1, 12, 7},
                                                                                                    {"c", 2, 1, 4},
                                                                                                    {"c", 3, 10, 6},
                                                                                                    {"d", 3, 5, 50},
                                                                                                    {"e", 3, 4, 8}})
    EXPECT_EQ(b.add_purchase(id, at(m, d), amount), "");
  return b.finish();
}

rapport::ScoringConfig small_config() {
  rapport::ScoringConfig cfg;
  cfg.fit.min_customers = 1;
  cfg.threads = 1;
  return cfg;
}

TEST(Validate, SplitsByHand) {
  rapport::ValidationOptions o;
  o.holdout_from = ymd(2026, 3, 1);
  o.holdout_to = ymd(2026, 3, 31);
  const rapport::Validation v = rapport::validate(small_base(), o, small_config());
  EXPECT_EQ(v.calibration_as_of, ymd(2026, 2, 28));
  EXPECT_EQ(v.holdout_days, 31);
  EXPECT_EQ(v.customers, 3u);
  EXPECT_EQ(v.customers_without_calibration_purchase, 1u);  // d
  EXPECT_EQ(v.actual_total, 3);
  EXPECT_EQ(v.actual_spend, 46);
  EXPECT_EQ(v.tracking_from, ymd(2026, 1, 5));
  const std::vector<double> weekly{0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0};
  EXPECT_EQ(v.actual_weekly, weekly);
  EXPECT_EQ(v.actual_cumulative.back(), 4);
  ASSERT_EQ(v.models.size(), 1u);
  const auto& m = v.models[0];
  if (m.fitted) {  // one repeat buyer among three: the fit may hit the edge of the parameter space
    EXPECT_EQ(m.by_frequency[0].customers, 2u);  // b, c
    EXPECT_EQ(m.by_frequency[0].actual_mean, 0.5);
    EXPECT_EQ(m.by_frequency[1].customers, 1u);  // a
    EXPECT_EQ(m.by_frequency[1].actual_mean, 2);
    EXPECT_EQ(m.by_frequency[7].customers, 0u);
    EXPECT_TRUE(std::isnan(m.by_frequency[7].actual_mean));
  }
}

TEST(Validate, RejectsBadSplitsAndModels) {
  rapport::ValidationOptions o;
  o.holdout_from = ymd(2026, 3, 1);
  o.holdout_to = ymd(2026, 2, 27);
  EXPECT_THROW(rapport::validate(small_base(), o, small_config()), rapport::ConfigError);
  o.holdout_to.reset();
  o.holdout_from = ymd(2025, 1, 1);  // nobody bought before it
  EXPECT_THROW(rapport::validate(small_base(), o, small_config()), rapport::InputError);
  o.holdout_from = ymd(2026, 3, 1);
  o.models = {ValueModelName::sbg};
  EXPECT_THROW(rapport::validate(small_base(), o, small_config()), rapport::ConfigError);
  o.models.clear();
  EXPECT_THROW(rapport::validate(small_base(), o, small_config()), rapport::ConfigError);
  EXPECT_THROW(rapport::parse_validation_models("bgnbd,nope"), rapport::ConfigError);
  EXPECT_THROW(rapport::parse_validation_models("gamma_gamma"), rapport::ConfigError);
  EXPECT_EQ(rapport::parse_validation_models("all").size(), 3u);
  EXPECT_EQ(rapport::parse_validation_models("mbgnbd,bgnbd,mbgnbd"),
            (std::vector<ValueModelName>{ValueModelName::mbgnbd, ValueModelName::bgnbd}));
}

// ---------------------------------------------------------------------------------------------
// CDNOW: calibration weeks 1-39 (to 1997-09-30), holdout weeks 40-78 (1997-10-01 .. 1998-06-30)
// ---------------------------------------------------------------------------------------------

rapport::CustomerBase cdnow_base() {
  const std::string path = std::string(RAPPORT_TEST_DATA) + "/cdnow/CDNOW_sample.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::map<long, std::vector<std::pair<day_t, double>>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    long id = 0, sample = 0, date = 0, cds = 0;
    double dollars = 0;
    if (!(ls >> id >> sample >> date >> cds >> dollars)) continue;
    rows[sample].emplace_back(
        ymd(static_cast<int>(date / 10000), static_cast<unsigned>(date / 100 % 100), static_cast<unsigned>(date % 100)),
        dollars);
  }
  rapport::CustomerBaseBuilder b;
  for (const auto& [id, purchases] : rows) {
    day_t first = purchases.front().first;
    for (const auto& p : purchases) first = std::min(first, p.first);
    EXPECT_EQ(b.add_customer(std::to_string(id), first, ""), "");
    for (const auto& [d, amount] : purchases) EXPECT_EQ(b.add_purchase(std::to_string(id), midnight(d), amount), "");
  }
  return b.finish();
}

const rapport::Validation& cdnow_validation() {
  static const rapport::Validation v = [] {
    rapport::ValidationOptions o;
    o.holdout_from = ymd(1997, 10, 1);  // week 40
    o.holdout_to = ymd(1998, 6, 30);    // end of week 78
    o.models = rapport::parse_validation_models("all");
    return rapport::validate(cdnow_base(), o);
  }();
  return v;
}

// Published: the BTYD walkthrough (McCarthy & Wadsworth, "Buy 'Til You Die - A Walkthrough",
// BTYD 2.4, section "Pareto/NBD", pnbd.PlotFreqVsConditionalExpectedFrequency on CDNOW with
// T.star = 39), rows x = 0..6, 7+: customers (bin.size) and actual mean holdout transactions.
constexpr double published_bins[8] = {1411, 439, 214, 100, 62, 38, 29, 64};
constexpr double published_actual[8] = {0.2367116, 0.6970387, 1.392523, 1.560000,
                                        2.532258,  2.947368,  3.862069, 6.359375};
// ... and the Pareto/NBD conditional expectations of the same table (params 0.553, 10.580, 0.606,
// 11.656 per week), printed to three decimals.
constexpr double published_pnbd[8] = {0.138, 0.600, 1.196, 1.714, 2.399, 2.907, 3.819, 6.403};

TEST(ValidateCdnow, HoldoutActualsMatchThePublishedTable) {
  const auto& v = cdnow_validation();
  EXPECT_EQ(v.customers, 2357u);   // the whole 1/10 sample bought in its first quarter
  EXPECT_EQ(v.holdout_days, 273);  // 39 weeks
  // 1882 = Σ bins × actual means of the published table (334 + 306 + 298 + 156 + 157 + 112 + 112 + 407)
  EXPECT_EQ(v.actual_total, 1882);
  const auto& m = v.models.at(0);
  ASSERT_TRUE(m.fitted) << m.error;
  for (std::size_t k = 0; k < 8; ++k) {
    EXPECT_EQ(static_cast<double>(m.by_frequency[k].customers), published_bins[k]) << "x = " << k;
    EXPECT_NEAR(m.by_frequency[k].actual_mean, published_actual[k], 5e-7) << "x = " << k;
  }
}

// Fader, Hardie & Lee (2005) publish the BG/NBD conditional expectations of this table only as a
// chart (Figure 5); their parameters are published (r = 0.243, alpha = 4.414 weeks, a = 0.793,
// b = 2.426). The table's expectations at those parameters, computed in weeks (x, t_x/7, T/7,
// horizon 39), must match the expectations validate computes in days from its own fit.
TEST(ValidateCdnow, BgNbdConditionalExpectationsMatchThePublishedFitInWeeks) {
  const auto& v = cdnow_validation();
  const auto& m = v.models.at(0);
  ASSERT_EQ(m.name, ValueModelName::bgnbd);
  ASSERT_TRUE(m.fitted) << m.error;
  EXPECT_NEAR(m.model.params[0], 0.243, 5e-4);      // r (FHL 2005)
  EXPECT_NEAR(m.model.params[1] / 7, 4.414, 5e-3);  // alpha: days -> weeks (FHL 2005)
  EXPECT_NEAR(m.model.params[2], 0.793, 5e-4);      // a (FHL 2005)
  EXPECT_NEAR(m.model.params[3], 2.426, 5e-3);      // b (FHL 2005)
  // the calibration histories again, in weeks, from the same base
  const rapport::CustomerBase base = cdnow_base();
  const rapport::ScoreResult cal = rapport::score(base, ymd(1997, 9, 30));
  const rapport::BgNbdParams published{0.243, 4.414, 0.793, 2.426, 0};
  double sum[8] = {}, count[8] = {};
  for (std::size_t r = 0; r < cal.scores.size(); ++r) {
    const double x = cal.scores.frequency[r];
    if (std::isnan(x)) continue;
    const auto k = static_cast<std::size_t>(std::min(x, 7.0));
    sum[k] += rapport::bgnbd_expected_purchases(published, 39, x, cal.scores.recency[r] / 7, cal.scores.age[r] / 7);
    count[k] += 1;
  }
  for (std::size_t k = 0; k < 8; ++k)
    EXPECT_NEAR(m.by_frequency[k].predicted_mean, sum[k] / count[k], 0.01 * sum[k] / count[k] + 1e-3) << "x = " << k;
}

TEST(ValidateCdnow, ParetoNbdConditionalExpectationsMatchThePublishedTable) {
  const auto& v = cdnow_validation();
  const auto& m = v.models.at(1);
  ASSERT_EQ(m.name, ValueModelName::pareto_nbd);
  ASSERT_TRUE(m.fitted) << m.error;
  for (std::size_t k = 0; k < 8; ++k)
    EXPECT_NEAR(m.by_frequency[k].predicted_mean, published_pnbd[k], 0.001) << "x = " << k;  // BTYD walkthrough
}

TEST(ValidateCdnow, InvariantsOfEveryModel) {
  const auto& v = cdnow_validation();
  // actual tracking: the cumulative count ends at every repeat purchase day up to D2, the holdout's
  // weeks adding up to the holdout total (the holdout starts on a week boundary: 1997-01-01 + 273)
  ASSERT_EQ(v.tracking_from, ymd(1997, 1, 1));
  ASSERT_EQ(v.actual_weekly.size(), 78u);
  EXPECT_EQ(v.actual_cumulative[77] - v.actual_cumulative[38], v.actual_total);
  for (const auto& m : v.models) {
    if (!m.fitted) continue;
    double total = 0;
    std::size_t customers = 0;
    for (const auto& r : m.by_frequency) {
      total += r.predicted_mean * static_cast<double>(r.customers);
      customers += r.customers;
    }
    EXPECT_EQ(customers, v.customers);
    EXPECT_NEAR(total, m.predicted_total, 1e-9 * m.predicted_total);
    EXPECT_NEAR(m.percent_error, 100 * (m.predicted_total - 1882) / 1882, 1e-9);
    EXPECT_GT(m.correlation, 0.5);
    EXPECT_LE(m.mae, m.rmse);
    for (std::size_t w = 1; w < m.expected_cumulative.size(); ++w)
      EXPECT_GE(m.expected_cumulative[w], m.expected_cumulative[w - 1]);
    EXPECT_NEAR(std::accumulate(m.expected_weekly.begin(), m.expected_weekly.end(), 0.0), m.expected_cumulative.back(),
                1e-9 * m.expected_cumulative.back());
    std::size_t in_deciles = 0;
    for (const auto& d : m.p_alive_deciles) in_deciles += d.customers;
    EXPECT_EQ(in_deciles, v.customers);
    for (std::size_t d = 1; d < m.p_alive_deciles.size(); ++d)  // deciles of a stable sort by p_alive
      EXPECT_GE(m.p_alive_deciles[d].mean_p_alive, m.p_alive_deciles[d - 1].mean_p_alive);
    // BG/NBD gives every customer without a repeat purchase p_alive = 1 (FHL 2005), so its top
    // deciles hold the 1411 one-time buyers, of whom 0.237 bought per head in the holdout:
    // the p_alive calibration shows exactly this known weakness of the model
    if (m.name == ValueModelName::bgnbd) {
      EXPECT_GE(m.p_alive_deciles[9].mean_p_alive, 0.999);
    }
    EXPECT_TRUE(std::isfinite(m.model.aic) && std::isfinite(m.model.bic));
  }
  ASSERT_TRUE(v.spend.fitted) << v.spend.error;
  EXPECT_NEAR(v.spend.model.params[0], 6.25, 0.01);   // p (Fader & Hardie's Gamma-Gamma note)
  EXPECT_NEAR(v.spend.model.params[1], 3.74, 0.01);   // q
  EXPECT_NEAR(v.spend.model.params[2], 15.44, 0.02);  // gamma
  EXPECT_NEAR(v.spend.actual_mean, v.actual_spend / v.actual_total, 1e-12);
}

TEST(ValidateCdnow, JsonAndPageCarryTheFigures) {
  const auto& v = cdnow_validation();
  const auto j = nlohmann::json::parse(rapport::to_json(v));
  EXPECT_EQ(j["holdout_from"], "1997-10-01");
  EXPECT_EQ(j["actual_holdout_purchases"], 1882);
  EXPECT_EQ(j["tracking"].size(), 78u);
  EXPECT_EQ(j["models"][0]["model"], "bgnbd");
  EXPECT_EQ(j["models"][0]["by_frequency"][7]["x"], "7+");
  EXPECT_EQ(j["models"][0]["by_frequency"][0]["customers"], 1411);
  EXPECT_EQ(j["models"][0]["holdout"]["predicted"].get<double>(), v.models[0].predicted_total);
  const std::string html = rapport::validation_html(v);
  EXPECT_NE(html.find("data-chart=\"tracking-cumulative\""), std::string::npos);
  EXPECT_NE(html.find("data-chart=\"by-frequency\""), std::string::npos);
  EXPECT_NE(html.find("1,411"), std::string::npos);
}

}  // namespace

namespace {

TEST(IntervalSettings, AreReadCheckedAndWrittenByTheRegistry) {
  const auto c =
      rapport::config_from_json(R"({"intervals": 0.9, "interval_method": "bootstrap", "interval_draws": 200})");
  EXPECT_EQ(c.intervals, 0.9);
  EXPECT_EQ(c.interval_method, rapport::IntervalMethod::bootstrap);
  EXPECT_EQ(c.interval_draws, 200u);
  EXPECT_NE(rapport::config_to_json(c).find(R"("interval_method":"bootstrap")"), std::string::npos);
  for (const char* bad : {R"({"interval_method": "jackknife"})", R"({"interval_method": 1})", R"({"intervals": 1})",
                          R"({"intervals": -0.1})", R"({"interval_draws": 0})"}) {
    try {
      rapport::config_from_json(bad);
      ADD_FAILURE() << bad;
    } catch (const rapport::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("interval"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
