// Tests of rapport::validate (rapport/scoring/validate.hpp): the calibration/holdout split by
// hand on a small base, and the CDNOW holdout of weeks 40-78 against the published figures.
#include <rapport/io/html_report.hpp>
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
#include <span>
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

/// Checks every data-validation="pointer" data-value="v" of `html` against `json`; returns how many.
std::size_t expect_figures_equal_json(const std::string& html, const nlohmann::json& json) {
  std::size_t n = 0;
  const std::string key = "data-validation=\"";
  for (auto at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
    const auto from = at + key.size(), to = html.find('"', from);
    const std::string pointer = html.substr(from, to - from);
    const auto vfrom = html.find("data-value=\"", to) + 12, vto = html.find('"', vfrom);
    const std::string value = html.substr(vfrom, vto - vfrom);
    const auto& expected = json.at(nlohmann::json::json_pointer(pointer));
    if (value.empty())
      EXPECT_TRUE(expected.is_null()) << pointer;
    else
      EXPECT_EQ(std::stod(value), expected.get<double>()) << pointer;
    ++n;
  }
  return n;
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
  EXPECT_EQ(rapport::parse_validation_models("all").size(), 5u);
  try {  // bgbb needs opportunity_days: refused with the reason, unless only what is available is asked
    o.models = {ValueModelName::bgnbd, ValueModelName::bgbb};
    rapport::validate(small_base(), o, small_config());
    ADD_FAILURE() << "bgbb without opportunity_days was accepted";
  } catch (const rapport::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bgbb needs opportunity_days"), std::string::npos) << e.what();
  }
  o.models = rapport::parse_validation_models("all");
  o.only_available = true;  // --value-model all: bgbb and sbg left out here (no opportunity_days, no ended_on)
  const auto v = rapport::validate(small_base(), o, small_config());
  ASSERT_EQ(v.models.size(), 3u);
  EXPECT_EQ(v.models[2].name, ValueModelName::mbgnbd);
  EXPECT_EQ(rapport::parse_validation_models("mbgnbd,bgnbd,mbgnbd"),
            (std::vector<ValueModelName>{ValueModelName::mbgnbd, ValueModelName::bgnbd}));
}

// ---------------------------------------------------------------------------------------------
// BG/BB and sBG: periods instead of days, by hand
// ---------------------------------------------------------------------------------------------
//
// Days counted from 2026-01-01 (day 0). D1 = day 40 (calibration as of day 39), D2 = day 64.
// Opportunities of 10 days (BG/BB), contract periods of 10 days (sBG).
//
//   customer  acquired  purchases (day)         ended_on
//   p         0         0 5 12 38 | 41 55 58 63  -
//   q         14        14 30     | 50 61        50
//   r         2         2         |              25
//   s         12        -                        70 (after D2)
//
// BG/BB, opportunity k = ⌊(day − first)/10⌋, n = ⌊(D + 1 − first)/10⌋ (scoring's counting):
//   p: calibration periods 0 0 1 3 -> x = 2, t_x = 3, n = ⌊40/10⌋ = 4; n2 = ⌊65/10⌋ = 6: the
//      holdout's opportunities 5, 6 (horizon 2); 41 is in opportunity 4 (already observed), 55
//      and 58 in 5, 63 in 6 -> 2 opportunities with a purchase
//   q: calibration 14 (period 0), 30 (period 1) -> x = 1, t_x = 1, n = ⌊26/10⌋ = 2; n2 = ⌊51/10⌋ = 5:
//      opportunities 3, 4, 5 (horizon 3); 50 in 3, 61 in 4 -> 2
//   r: x = 0, t_x = 0, n = ⌊38/10⌋ = 3; n2 = ⌊63/10⌋ = 6 (horizon 3); nothing -> 0
//   s: no purchase, not in BG/BB's check. Total: 4 over 3 customers.
// sBG, periods from acquired_on: as of day 39 (calibration) and as of D2:
//   p: 4 (⌊40/10⌋) and 6 (⌊65/10⌋)           -> 2 renewals, horizon 2, active at D2
//   q: 2 (⌊26/10⌋) and ended at 50: 3 (⌊36/10⌋) -> 1 renewal,  horizon ⌊51/10⌋ − 2 = 3, not active
//   r: ended at 25 in the calibration, 2 (⌊23/10⌋) -> 0,        horizon 0, not active
//   s: 2 (⌊28/10⌋) and 5 (⌊53/10⌋)            -> 3 renewals, horizon 3, active (ends after D2)
//   Total: 6 over 4 contracts.
// Tracking per period k across calibration and holdout, each customer observed up to D2:
//   BG/BB opportunities with a purchase (observed k <= n2: p 6, q 5, r 6):
//     k        1     2   3     4     5   6
//     p        x     .   x     x     x   x      (days 12, 38, 41, 55/58, 63)
//     q        x     .   x     x     .   -      (days 30, 50, 61; not observed at 6)
//     r        .     .   .     .     .   .
//     observed 3     3   3     3     3   2
//     actual   2     0   2     2     1   1      cumulative 2 2 4 6 7 8
//   expected: observed × (E[X(k)] − E[X(k−1)]) = observed × α/(α+β) · (δ)_k/(γ+δ)_k.
//   sBG contracts active after period k (observed k <= ⌊(D2 + 1 − acquired_on)/10⌋: p 6, q 5,
//   r 6, s 5; survived as of D2: p 6, q 3, r 2, s 5):
//     k        1  2  3  4  5  6
//     observed 4  4  4  4  4  2
//     actual   4  4  3  2  2  1                 cumulative 4 8 11 13 15 16
//   expected: observed × S(k).
rapport::CustomerBase period_base() {
  rapport::CustomerBaseBuilder b;
  const day_t d0 = ymd(2026, 1, 1);
  EXPECT_EQ(b.add_customer("p", d0, "", rapport::no_day), "");
  EXPECT_EQ(b.add_customer("q", d0 + 14, "", d0 + 50), "");
  EXPECT_EQ(b.add_customer("r", d0 + 2, "", d0 + 25), "");
  EXPECT_EQ(b.add_customer("s", d0 + 12, "", d0 + 70), "");
  for (const auto& [id, day] : std::vector<std::pair<const char*, int>>{{"p", 0},
                                                                        {"p", 5},
                                                                        {"p", 12},
                                                                        {"p", 38},
                                                                        {"p", 41},
                                                                        {"p", 55},
                                                                        {"p", 58},
                                                                        {"p", 63},
                                                                        {"q", 14},
                                                                        {"q", 30},
                                                                        {"q", 50},
                                                                        {"q", 61},
                                                                        {"r", 2}})
    EXPECT_EQ(b.add_purchase(id, midnight(d0 + day) + 3600, 10), "");
  return b.finish();
}

rapport::ValidationOptions period_options(ValueModelName model) {
  rapport::ValidationOptions o;
  o.holdout_from = ymd(2026, 1, 1) + 40;
  o.holdout_to = ymd(2026, 1, 1) + 64;
  o.models = {model};
  return o;
}

/// Σ over rows of the model's conditional expectation, one row and its own horizon at a time.
double expected_row_by_row(const rapport::ValueModel& model, const std::vector<std::vector<double>>& rows,
                           const std::vector<double>& horizons, bool sbg) {
  double sum = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rapport::ModelData d;
    std::vector<std::uint8_t> ended{static_cast<std::uint8_t>(sbg ? rows[i][1] : 0)};
    if (sbg) {
      d.periods = std::span<const double>(&rows[i][0], 1);
      d.ended = ended;
    } else {
      d.x = std::span<const double>(&rows[i][0], 1);
      d.t_x = std::span<const double>(&rows[i][1], 1);
      d.n = std::span<const double>(&rows[i][2], 1);
    }
    double out = 0;
    rapport::expected_purchases(model, horizons[i], d, std::span<double>(&out, 1));
    sum += out;
  }
  return sum;
}

TEST(ValidatePeriods, BgBbCountsOpportunitiesByHand) {
  auto cfg = small_config();
  cfg.opportunity_days = 10;
  const auto v = rapport::validate(period_base(), period_options(ValueModelName::bgbb), cfg);
  ASSERT_EQ(v.models.size(), 1u);
  const auto& m = v.models[0];
  EXPECT_EQ(m.customers, 3u);
  EXPECT_EQ(m.actual_total, 4);
  EXPECT_EQ(v.actual_total, 6);                // purchase days in [D1, D2]: p 41 55 58 63, q 50 61
  EXPECT_TRUE(m.expected_cumulative.empty());  // no tracking curve in purchase days
  ASSERT_TRUE(m.fitted) << m.error;
  // the table by calibration opportunities with a purchase: r (x = 0): 0; q (x = 1): 2; p (x = 2): 2
  EXPECT_EQ(m.by_frequency[0].customers, 1u);
  EXPECT_EQ(m.by_frequency[0].actual_mean, 0);
  EXPECT_EQ(m.by_frequency[1].actual_mean, 2);
  EXPECT_EQ(m.by_frequency[2].actual_mean, 2);
  // predicted: each customer's (x, t_x, n) over its own holdout opportunities (2, 3, 3)
  const double want = expected_row_by_row(m.model, {{2, 3, 4}, {1, 1, 2}, {0, 0, 3}}, {2, 3, 3}, false);
  EXPECT_NEAR(m.predicted_total, want, 1e-12 * want);
  EXPECT_NEAR(m.by_frequency[2].predicted_mean, expected_row_by_row(m.model, {{2, 3, 4}}, {2}, false), 1e-12);
  // the tracking per opportunity (drawn above); a new customer's purchase probability at
  // opportunity k is α/(α+β) · (δ)_k/(γ+δ)_k, by hand from the fitted parameters
  const double al = m.model.params[0], be = m.model.params[1], ga = m.model.params[2], de = m.model.params[3];
  const auto at_opportunity = [&](int k) {
    double p = al / (al + be);
    for (int j = 1; j <= k; ++j) p *= (de + j - 1) / (ga + de + j - 1);
    return p;
  };
  const std::vector<double> observed{3, 3, 3, 3, 3, 2}, actual{2, 0, 2, 2, 1, 1};
  ASSERT_EQ(m.tracking_periods.size(), 6u);
  double cum_actual = 0, cum_expected = 0;
  for (std::size_t k = 0; k < 6; ++k) {
    const auto& t = m.tracking_periods[k];
    EXPECT_EQ(t.period, k + 1);
    EXPECT_EQ(static_cast<double>(t.customers), observed[k]) << k;
    EXPECT_EQ(t.actual, actual[k]) << k;
    EXPECT_NEAR(t.expected, observed[k] * at_opportunity(static_cast<int>(k + 1)), 1e-12) << k;
    cum_actual += actual[k];
    cum_expected += t.expected;
    EXPECT_EQ(t.actual_cumulative, cum_actual) << k;
    EXPECT_NEAR(t.expected_cumulative, cum_expected, 1e-12) << k;
  }
  EXPECT_EQ(m.tracking_periods.back().actual_cumulative, 8);
  // the five periods everyone is observed for: 3 new customers' E[X(5)]
  EXPECT_NEAR(m.tracking_periods[4].expected_cumulative, 3 * rapport::expected_purchases_new(m.model, 5), 1e-12);
  const auto j = nlohmann::json::parse(rapport::to_json(v));
  EXPECT_EQ(j["models"][0]["tracking_periods"].size(), 6u);
  EXPECT_EQ(j["models"][0]["tracking_periods"][5]["period"], 6);
  EXPECT_EQ(j["models"][0]["tracking_periods"][5]["customers"], 2);
  EXPECT_EQ(j["models"][0]["tracking_periods"][3]["actual_cumulative"], 6);
  const std::string html = rapport::validation_html(v);
  EXPECT_NE(html.find("data-chart=\"tracking-cumulative-bgbb\""), std::string::npos);
  EXPECT_NE(html.find("data-validation=\"/models/0/tracking_periods/5/expected\""), std::string::npos);
  EXPECT_EQ(j["models"][0]["holdout"]["unit"], "opportunities with a purchase");
  EXPECT_EQ(j["models"][0]["holdout"]["actual"], 4);
  EXPECT_EQ(j["tracking"][0]["expected"].size(), 0u);
  expect_figures_equal_json(rapport::validation_html(v), j);
}

TEST(ValidatePeriods, SbgCountsRenewalsByHand) {
  const auto v = rapport::validate(period_base(), period_options(ValueModelName::sbg), [] {
    auto cfg = small_config();
    cfg.contract_period_days = 10;
    return cfg;
  }());
  const auto& m = v.models.at(0);
  EXPECT_EQ(m.customers, 4u);  // every contract acquired before D1, s (no purchase) included
  EXPECT_EQ(m.actual_total, 6);
  ASSERT_TRUE(m.fitted) << m.error;
  // by periods survived in the calibration: 2 (q, r, s: 1 + 0 + 3 renewals), 4 (p: 2)
  EXPECT_EQ(m.by_frequency[2].customers, 3u);
  EXPECT_DOUBLE_EQ(m.by_frequency[2].actual_mean, 4.0 / 3);
  EXPECT_EQ(m.by_frequency[4].actual_mean, 2);
  // predicted renewals: Σ_k S(periods + k)/S(periods) over each one's horizon; by hand from
  // S(t) = B(α, β + t)/B(α, β) with the fitted α, β, whose ratios are products of the retention
  // rates r(t) = S(t)/S(t − 1) = (β + t − 1)/(α + β + t − 1) (exact however large α and β are)
  const double a = m.model.params[0], b = m.model.params[1];
  const auto survive = [&](double from, int k) {  // S(from + k)/S(from)
    double ratio = 1;
    for (int j = 1; j <= k; ++j) ratio *= (b + from + j - 1) / (a + b + from + j - 1);
    return ratio;
  };
  const auto renewals = [&](double periods, int h) {
    double sum = 0;
    for (int k = 1; k <= h; ++k) sum += survive(periods, k);
    return sum;
  };
  const double want = renewals(4, 2) + renewals(2, 3) + 0 + renewals(2, 3);
  EXPECT_NEAR(m.predicted_total, want, 1e-12 * want);
  EXPECT_NEAR(m.predicted_total, expected_row_by_row(m.model, {{4, 0}, {2, 0}, {2, 1}, {2, 0}}, {2, 3, 0, 3}, true),
              1e-12 * want);
  // p_alive calibration: the probability of running to D2, S(periods + h)/S(periods), against
  // being active at D2; 4 contracts in deciles 1, 3, 6, 8 (⌊10k/4⌋ + 1), sorted: r (0), then
  // q and s (S(5)/S(2), equal: stable order q, s), then p (S(6)/S(4))
  std::vector<double> p;
  for (const auto& d : m.p_alive_deciles)
    if (d.customers) p.push_back(d.mean_p_alive);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], 0);
  EXPECT_NEAR(p[1], survive(2, 3), 1e-12);
  EXPECT_NEAR(p[3], survive(4, 2), 1e-12);
  EXPECT_EQ(m.p_alive_deciles[0].active_share, 0);  // r
  EXPECT_EQ(m.p_alive_deciles[2].active_share, 0);  // q ended at 50
  EXPECT_EQ(m.p_alive_deciles[5].active_share, 1);  // s
  EXPECT_EQ(m.p_alive_deciles[7].active_share, 1);  // p
  // the retention curve (drawn above): contracts active after period k against observed × S(k)
  const std::vector<double> observed{4, 4, 4, 4, 4, 2}, active{4, 4, 3, 2, 2, 1};
  ASSERT_EQ(m.tracking_periods.size(), 6u);
  double cum_actual = 0;
  for (std::size_t k = 0; k < 6; ++k) {
    const auto& t = m.tracking_periods[k];
    EXPECT_EQ(t.period, k + 1);
    EXPECT_EQ(static_cast<double>(t.customers), observed[k]) << k;
    EXPECT_EQ(t.actual, active[k]) << k;
    EXPECT_NEAR(t.expected, observed[k] * survive(0, static_cast<int>(k + 1)), 1e-12) << k;
    cum_actual += active[k];
    EXPECT_EQ(t.actual_cumulative, cum_actual) << k;
  }
  EXPECT_EQ(m.tracking_periods.back().actual_cumulative, 16);
  // Σ_{k<=5} S(k) is a new contract's expected renewals in 5 periods, over 4 contracts; then 2 × S(6)
  EXPECT_NEAR(m.tracking_periods[4].expected_cumulative, 4 * rapport::expected_purchases_new(m.model, 5), 1e-12);
  EXPECT_NEAR(m.tracking_periods[5].expected_cumulative - m.tracking_periods[4].expected_cumulative,
              2 * rapport::survival(m.model, 6), 1e-12);
  const auto j = nlohmann::json::parse(rapport::to_json(v));
  EXPECT_EQ(j["models"][0]["tracking_periods"][2]["actual"], 3);
  EXPECT_EQ(j["models"][0]["tracking_periods"][5]["actual_cumulative"], 16);
  const std::string html = rapport::validation_html(v);
  EXPECT_NE(html.find("data-chart=\"tracking-periods-sbg\""), std::string::npos);
  EXPECT_GT(expect_figures_equal_json(html, j), 24u);  // 6 periods × 2 series × 2 charts, and the tables
  EXPECT_THROW(rapport::validate(small_base(), period_options(ValueModelName::sbg), small_config()),
               rapport::ConfigError);  // no ended_on: refused with the reason
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
    o.only_available = true;  // no opportunity_days, no ended_on: bgbb and sbg left out
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
  EXPECT_EQ(j["models"][0]["holdout"]["unit"], "purchase days");
  const std::string html = rapport::validation_html(v);
  EXPECT_NE(html.find("data-chart=\"tracking-cumulative\""), std::string::npos);
  EXPECT_NE(html.find("data-chart=\"by-frequency\""), std::string::npos);
  EXPECT_NE(html.find("1,411"), std::string::npos);
  // every figure of the page names its place in the JSON and holds that exact number
  EXPECT_GT(expect_figures_equal_json(html, j), 78u * 4);  // tracking points and tables
}

TEST(ValidateCdnow, TheReportShowsTheSameCheckAndTheTopIntervals) {
  const auto base = cdnow_base();
  rapport::ScoringConfig cfg;
  cfg.intervals = 0.9;
  cfg.interval_draws = 50;
  const auto result = rapport::score(base, ymd(1997, 9, 30), cfg);
  rapport::HtmlReportOptions options;
  const std::string plain = rapport::html_report(base, rapport::LoadReport{}, result, cfg, options);
  EXPECT_EQ(plain.find("id=\"validation\""), std::string::npos);
  EXPECT_EQ(plain.find("data-validation"), std::string::npos);
  options.validation = rapport::report_validation(base, result, cfg, ymd(1997, 10, 1), ymd(1998, 6, 30));
  ASSERT_EQ(options.validation->models.size(), 1u);
  EXPECT_EQ(options.validation->models[0].name, result.purchase_model.name);  // the run's model: bgnbd
  const std::string html = rapport::html_report(base, rapport::LoadReport{}, result, cfg, options);
  ASSERT_NE(html.find("id=\"validation\""), std::string::npos);
  // the section's figures are validate()'s: the same numbers as the validation JSON and page
  const auto j = nlohmann::json::parse(rapport::to_json(*options.validation));
  EXPECT_EQ(expect_figures_equal_json(html, j),
            expect_figures_equal_json(rapport::validation_html(*options.validation), j));
  EXPECT_EQ(j["models"][0]["holdout"]["actual"], 1882);
  // intervals on: the top up-serve rows show p_alive, expected purchases and value with lo–hi
  EXPECT_NE(html.find("(in brackets: the 90% interval)"), std::string::npos);
  EXPECT_NE(html.find("<th scope=\"col\">expected purchases</th>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"range\">("), std::string::npos);
  EXPECT_EQ(plain.size() < html.size(), true);
  cfg.intervals = 0;
  const std::string without = rapport::html_report(
      base, rapport::LoadReport{}, rapport::score(base, ymd(1997, 9, 30), cfg), cfg, rapport::HtmlReportOptions{});
  EXPECT_EQ(without.find("class=\"range\""), std::string::npos);
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
