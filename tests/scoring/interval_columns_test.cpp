// The value intervals of a scoring run for every value model (interval_columns.cpp): the same
// bytes for any thread count, the point value's meaning (no purchases, known-lost customers,
// discounting), the two steps (draws from canonical patterns, rows evaluated under them) and the
// live Scorer's intervals equal to a full run's.
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/scorer.hpp>
#include <rapport/value/intervals.hpp>

#include "scoring/score_steps.hpp"
#include "scoring/scorer_rows.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace rapport;

/// A generated base with every tenth customer's contract ended a year before the end (known lost).
CustomerBase base_with_ended(std::size_t customers, bool with_ended = true) {
  GenerateOptions o;
  o.customers = customers;
  o.seed = 11;
  const CustomerBase gen = generate_base(o);
  CustomerBaseBuilder b;
  for (std::size_t c = 0; c < gen.customer_count(); ++c) {
    const day_t ended = with_ended && c % 10 == 3 ? std::max(gen.acquired_on[c], o.end_day - 365) : no_day;
    EXPECT_EQ(b.add_customer(gen.customer_id[c], gen.acquired_on[c], "", ended), "");
  }
  for (std::size_t c = 0; c < gen.customer_count(); ++c)
    for (auto k = gen.purchase_offsets[c]; k < gen.purchase_offsets[c + 1]; ++k)
      EXPECT_EQ(b.add_purchase(gen.customer_id[c], gen.purchase_at[k], gen.purchase_amount[k]), "");
  return b.finish();
}

/// Bitwise equality of two columns (NaN equal to NaN).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

bool same_intervals(const ValueIntervals& a, const ValueIntervals& b) {
  return same_bits(a.p_alive_lo, b.p_alive_lo) && same_bits(a.p_alive_hi, b.p_alive_hi) &&
         same_bits(a.expected_purchases_lo, b.expected_purchases_lo) &&
         same_bits(a.expected_purchases_hi, b.expected_purchases_hi) &&
         same_bits(a.expected_value_lo, b.expected_value_lo) && same_bits(a.expected_value_hi, b.expected_value_hi);
}

ScoringConfig interval_config(ValueModelSetting model, unsigned threads) {
  ScoringConfig c;
  c.value_model = model;
  c.intervals = 0.9;
  c.interval_draws = 60;
  c.threads = threads;
  if (model == ValueModelSetting::bgbb) c.opportunity_days = 30;
  return c;
}

struct Case {
  const char* name;
  ValueModelSetting model;
  bool ended;            // every tenth contract ended (known lost)
  double discount_rate;  // per year
  IntervalMethod method;
};

class IntervalsPerModel : public ::testing::TestWithParam<Case> {};

// Per model: the intervals keep the point columns' meaning row by row, and their bytes do not
// depend on the thread count.
TEST_P(IntervalsPerModel, MeaningOfThePointColumnsAndTheSameBytesForAnyThreadCount) {
  const Case& k = GetParam();
  const CustomerBase base = base_with_ended(500, k.ended);
  ScoringConfig c1 = interval_config(k.model, 1);
  c1.discount_rate = k.discount_rate;
  c1.interval_method = k.method;
  if (k.method == IntervalMethod::bootstrap) c1.interval_draws = 30;  // each draw a refit
  ScoringConfig c2 = c1;
  c2.threads = 2;
  const ScoreResult one = score(base, std::nullopt, c1);
  const ScoreResult two = score(base, std::nullopt, c2);
  ASSERT_TRUE(one.value_known()) << one.bgnbd_error << one.gamma_gamma_error;
  EXPECT_TRUE(same_intervals(one.scores.intervals, two.scores.intervals));
  const Scores& s = one.scores;
  const ValueIntervals& iv = s.intervals;
  ASSERT_EQ(iv.p_alive_lo.size(), s.size());
  std::size_t lost = 0, evaluated = 0, inside = 0, none = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const day_t e = base.ended(s.customer[r]);
    if (e != no_day && e <= one.as_of) {  // known lost: 0 exactly, as the point values
      ++lost;
      for (const auto* v : {&iv.p_alive_lo, &iv.p_alive_hi, &iv.expected_purchases_lo, &iv.expected_purchases_hi,
                            &iv.expected_value_lo, &iv.expected_value_hi})
        EXPECT_EQ((*v)[r], 0) << r;
      EXPECT_EQ(s.p_alive[r], 0);
      continue;
    }
    if (std::isnan(s.frequency[r])) {  // no purchases: no p_alive interval, expected value [0, 0]
      ++none;
      EXPECT_TRUE(std::isnan(iv.p_alive_lo[r]) && std::isnan(iv.expected_purchases_hi[r])) << r;
      EXPECT_EQ(iv.expected_value_lo[r], 0);
      EXPECT_EQ(iv.expected_value_hi[r], 0);
      continue;
    }
    ++evaluated;
    EXPECT_LE(iv.p_alive_lo[r], iv.p_alive_hi[r]) << r;
    EXPECT_GE(iv.p_alive_lo[r], 0);
    EXPECT_LE(iv.p_alive_hi[r], 1);
    EXPECT_LE(iv.expected_purchases_lo[r], iv.expected_purchases_hi[r]) << r;
    EXPECT_LE(iv.expected_value_lo[r], iv.expected_value_hi[r]) << r;
    EXPECT_GE(iv.expected_value_lo[r], 0);
    // the point estimate inside its own 90 % interval (the draws centre on it: nearly always)
    const auto in = [](double lo, double x, double hi) { return lo <= x * (1 + 1e-9) && x <= hi * (1 + 1e-9); };
    inside += in(iv.expected_purchases_lo[r], s.expected_purchases[r], iv.expected_purchases_hi[r]) &&
              in(iv.expected_value_lo[r], s.expected_value[r], iv.expected_value_hi[r]);
  }
  EXPECT_GT(evaluated, 200u);
  EXPECT_GT(inside, evaluated * 8 / 10) << inside << " of " << evaluated;
  EXPECT_EQ(lost > 20, k.ended) << lost;
  EXPECT_EQ(none + evaluated + lost, s.size());
}

INSTANTIATE_TEST_SUITE_P(
    EveryModel, IntervalsPerModel,
    ::testing::Values(Case{"bgnbd", ValueModelSetting::bgnbd, false, 0, IntervalMethod::parametric},
                      Case{"bgnbd_ended_discounted", ValueModelSetting::bgnbd, true, 0.1, IntervalMethod::parametric},
                      Case{"pareto_nbd", ValueModelSetting::pareto_nbd, false, 0, IntervalMethod::parametric},
                      Case{"mbgnbd", ValueModelSetting::mbgnbd, false, 0, IntervalMethod::parametric},
                      Case{"bgbb", ValueModelSetting::bgbb, false, 0, IntervalMethod::parametric},
                      Case{"bgbb_bootstrap", ValueModelSetting::bgbb, false, 0, IntervalMethod::bootstrap},
                      Case{"sbg", ValueModelSetting::sbg, true, 0, IntervalMethod::parametric},
                      Case{"sbg_bootstrap_discounted", ValueModelSetting::sbg, true, 0.1, IntervalMethod::bootstrap},
                      Case{"auto", ValueModelSetting::automatic, false, 0, IntervalMethod::parametric}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// Step (a)'s canonical form, by hand: rows (x, t_x, T | spend x, m)
//   0: (1, 5, 10 | 1, 20)   1: (0, 0, 8 | 0, 0)   2: (1, 5, 10 | 1, 20)   3: (1, 5, 10 | 1, 30)
// sorted by every column and merged: (0,0,8|0,0) w1, (1,5,10|1,20) w2, (1,5,10|1,30) w1,
// whatever the order of the rows.
TEST(IntervalSteps, PatternsAreSortedAndMerged) {
  for (const bool reversed : {false, true}) {
    detail::IntervalPatterns p;
    std::vector<std::vector<double>> rows{{1, 5, 10, 1, 20}, {0, 0, 8, 0, 0}, {1, 5, 10, 1, 20}, {1, 5, 10, 1, 30}};
    if (reversed) std::reverse(rows.begin(), rows.end());
    for (const auto& r : rows) {
      p.rows.x.push_back(r[0]);
      p.rows.t_x.push_back(r[1]);
      p.rows.T.push_back(r[2]);
      p.rows.spend_x.push_back(r[3]);
      p.rows.spend_m.push_back(r[4]);
      p.rows.weights.push_back(1);
    }
    detail::merge_rows(p.rows);
    EXPECT_EQ(p.rows.x, (std::vector<double>{0, 1, 1}));
    EXPECT_EQ(p.rows.T, (std::vector<double>{8, 10, 10}));
    EXPECT_EQ(p.rows.spend_m, (std::vector<double>{0, 20, 30}));
    EXPECT_EQ(p.rows.weights, (std::vector<double>{1, 2, 1}));
  }
}

// sBG's patterns by hand: rows (periods | spend x, m | ended)
//   0: (3 | 0, 0 | 1)   1: (3 | 0, 0 | 0)   2: (3 | 1, 5 | 0)   3: (3 | 0, 0 | 1)
// sorted by periods, then the spend columns, then ended (the byte column last, as step (a) lays
// the patterns out): (3|0,0|0) w1, (3|0,0|1) w2, (3|1,5|0) w1.
TEST(IntervalSteps, SbgPatternsSortEndedLast) {
  detail::ModelRows rows;
  rows.periods = {3, 3, 3, 3};
  rows.spend_x = {0, 0, 1, 0};
  rows.spend_m = {0, 0, 5, 0};
  rows.ended = {1, 0, 0, 1};
  detail::merge_rows(rows);  // no weights: one customer per row
  EXPECT_EQ(rows.periods, (std::vector<double>{3, 3, 3}));
  EXPECT_EQ(rows.spend_m, (std::vector<double>{0, 0, 5}));
  EXPECT_EQ(rows.ended, (std::vector<std::uint8_t>{0, 1, 0}));
  EXPECT_EQ(rows.weights, (std::vector<double>{1, 2, 1}));
  EXPECT_TRUE(rows.x.empty() && rows.actual.empty());
}

// The two steps as a cluster runs them: the draws from the patterns of two halves of the base
// (concatenated in either order) and each half's rows evaluated under them equal one process's
// intervals bit for bit.
TEST(IntervalSteps, PartsGiveOneProcesssBits) {
  const CustomerBase base = base_with_ended(500, false);
  for (const auto method : {IntervalMethod::parametric, IntervalMethod::bootstrap}) {
    ScoringConfig cfg = interval_config(ValueModelSetting::bgnbd, 1);
    cfg.interval_method = method;
    cfg.interval_draws = method == IntervalMethod::bootstrap ? 30 : 60;  // each bootstrap draw a refit
    const ScoreResult whole = score(base, std::nullopt, cfg);
    const auto patterns = detail::interval_patterns(base, whole, whole.purchase_model.name, cfg);
    // two "partitions": the even and the odd pattern rows, concatenated odd first
    detail::IntervalPatterns joined;
    for (const std::size_t parity : {1u, 0u})
      for (std::size_t i = parity; i < patterns.rows.x.size(); i += 2) {
        joined.rows.x.push_back(patterns.rows.x[i]);
        joined.rows.t_x.push_back(patterns.rows.t_x[i]);
        joined.rows.T.push_back(patterns.rows.T[i]);
        joined.rows.weights.push_back(1);
        joined.rows.spend_x.push_back(patterns.rows.spend_x[i]);
        joined.rows.spend_m.push_back(patterns.rows.spend_m[i]);
      }
    detail::merge_rows(joined.rows);
    const detail::IntervalDraws draws = detail::draw_intervals(joined, cfg, true, 2);
    ASSERT_EQ(draws.purchase.size(), cfg.interval_draws);
    ASSERT_EQ(draws.spend.size(), cfg.interval_draws);
    // step (b) on a run with given parameters (no draws of its own), as a partition scores
    ScoringConfig given = cfg;
    given.bgnbd = whole.bgnbd;
    given.gamma_gamma = whole.gamma_gamma;
    ScoreResult part = score(base, std::nullopt, given);
    EXPECT_TRUE(std::isnan(part.scores.intervals.p_alive_lo[0]));  // a given model has no draws
    detail::fill_interval_columns(base, given, draws, 1, part);
    EXPECT_TRUE(same_intervals(part.scores.intervals, whole.scores.intervals)) << to_string(method);
  }
}

// A Scorer's intervals after batches equal step (b) under its draws over a full run of every row
// with its parameters; after refit() they equal score() of every row, intervals included.
TEST(IntervalSteps, ScorerEqualsAFullRun) {
  for (const auto model : {ValueModelSetting::bgnbd, ValueModelSetting::pareto_nbd}) {
    const CustomerBase all = base_with_ended(500, false);
    CustomerBaseBuilder first;
    RowBatch batch;
    for (std::size_t c = 0; c < all.customer_count(); ++c) {
      if (c < 400)
        first.add_customer(all.customer_id[c], all.acquired_on[c], "");
      else
        batch.customers.push_back({all.customer_id[c], all.acquired_on[c], "", no_day});
    }
    for (std::size_t c = 0; c < all.customer_count(); ++c)
      for (auto k = all.purchase_offsets[c]; k < all.purchase_offsets[c + 1]; ++k) {
        if (c < 300)
          first.add_purchase(all.customer_id[c], all.purchase_at[k], all.purchase_amount[k]);
        else
          batch.purchases.push_back({all.customer_id[c], all.purchase_at[k], all.purchase_amount[k]});
      }
    const ScoringConfig cfg = interval_config(model, 2);
    Scorer scorer(first.finish(), all.default_as_of(), cfg);
    const detail::IntervalDraws draws = detail::interval_draws(scorer);
    ASSERT_EQ(draws.purchase.size(), 60u);
    scorer.add(batch);
    const ScoreResult live = scorer.scores();
    EXPECT_EQ(detail::interval_draws(scorer).purchase[7].params, draws.purchase[7].params);  // kept
    ScoreResult full = score(all, all.default_as_of(), scorer.config());
    ASSERT_EQ(live.scores.size(), full.scores.size());
    EXPECT_TRUE(same_bits(live.scores.p_alive, full.scores.p_alive));
    detail::fill_interval_columns(all, scorer.config(), draws, 1, full);
    EXPECT_TRUE(same_intervals(live.scores.intervals, full.scores.intervals));
    const auto changed = detail::extract_rows(all, live, {0, 450});
    EXPECT_EQ(changed.result.scores.intervals.p_alive_hi[1], live.scores.intervals.p_alive_hi[450]);

    scorer.refit();
    const ScoreResult fresh = score(all, all.default_as_of(), cfg);
    EXPECT_TRUE(same_intervals(scorer.scores().scores.intervals, fresh.scores.intervals));
    EXPECT_NE(detail::interval_draws(scorer).purchase[7].params, draws.purchase[7].params);  // redrawn
  }
}

}  // namespace
