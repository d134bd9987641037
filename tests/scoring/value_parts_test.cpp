// A base's value-model inputs without scoring it (value_input_columns) and their mergeable parts
// (src/scoring/value_parts.*): rapport.dask's stage 4.
#include "scoring/value_parts.hpp"

#include <rapport/io/generate.hpp>

#include "scoring/score_steps.hpp"
#include "support/scoring_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

using namespace rapport;
using namespace rapport::test;
using detail::ValueParts;

namespace {

bool same(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

// The scored rows `rows` of `from` (as_of, customer and the four input columns): a partition's.
ScoreResult rows_of(const ScoreResult& from, const std::vector<std::size_t>& rows) {
  ScoreResult out;
  out.as_of = from.as_of;
  for (const std::size_t r : rows) {
    out.scores.customer.push_back(from.scores.customer[r]);
    out.scores.frequency.push_back(from.scores.frequency[r]);
    out.scores.recency.push_back(from.scores.recency[r]);
    out.scores.age.push_back(from.scores.age[r]);
    out.scores.monetary.push_back(from.scores.monetary[r]);
  }
  return out;
}

void expect_same_parts(const ValueParts& a, const ValueParts& b) {
  EXPECT_EQ(a.span.any_ended, b.span.any_ended);
  EXPECT_EQ(a.span.first, b.span.first);
  EXPECT_EQ(a.span.last, b.span.last);
  EXPECT_EQ(a.bgnbd.x, b.bgnbd.x);
  EXPECT_EQ(a.bgnbd.t_x, b.bgnbd.t_x);
  EXPECT_EQ(a.bgnbd.T, b.bgnbd.T);
  EXPECT_EQ(a.bgnbd.weights, b.bgnbd.weights);
  EXPECT_EQ(a.gamma_gamma.x, b.gamma_gamma.x);
  EXPECT_EQ(a.gamma_gamma.m, b.gamma_gamma.m);
  EXPECT_EQ(a.gamma_gamma.weights, b.gamma_gamma.weights);
}

}  // namespace

// As of D = 2024-03-31 (T = 2024-04-01T00:00), customers acquired 2024-01-01:
//   a: Jan 10 (20), Jan 10 (5), Feb 9 (30), Mar 10 (10) → distinct days Jan 10, Feb 9, Mar 10:
//      x 2, t_x Jan 10 → Mar 10 = 60, T Jan 10 → Mar 31 = 81, m (30 + 10)/2 = 20 (first day's spend out)
//   b: Mar 1 (40)                       → x 0, t_x 0, T 30, m NaN (BG/NBD only)
//   c: no purchase                      → NaN (in neither fit)
//   d: Mar 1 (7), Apr 1 00:00 (at T)    → as b: the purchase at T is not before T
//   e: acquired Apr 2, after D          → not scored
//   f: Feb 1 (10), Feb 2 (0)            → x 1, t_x 1, T 59, m 0 (BG/NBD only: m must be > 0)
// BG/NBD patterns (x, t_x, T; customers), sorted: (0, 0, 30; 2) (1, 1, 59; 1) (2, 60, 81; 1)
// Gamma-Gamma (x, m; customers): (2, 20; 1); span: first purchase Jan 10, last Mar 10, no ended_on.
TEST(ValueParts, HandDrawnBaseGivesScoresInputsAndMergedPatterns) {
  CustomerBaseBuilder bld;
  for (const char* id : {"a", "b", "c", "d"}) must(bld.add_customer(id, day("2024-01-01"), ""));
  must(bld.add_customer("e", day("2024-04-02"), ""));
  must(bld.add_customer("f", day("2024-01-01"), ""));
  must(bld.add_purchase("a", ts("2024-01-10T09:00:00"), 20));
  must(bld.add_purchase("a", ts("2024-01-10T17:00:00"), 5));
  must(bld.add_purchase("a", ts("2024-02-09T12:00:00"), 30));
  must(bld.add_purchase("a", ts("2024-03-10T12:00:00"), 10));
  must(bld.add_purchase("b", ts("2024-03-01T12:00:00"), 40));
  must(bld.add_purchase("d", ts("2024-03-01T12:00:00"), 7));
  must(bld.add_purchase("d", case_T, 7));
  must(bld.add_purchase("f", ts("2024-02-01T12:00:00"), 10));
  must(bld.add_purchase("f", ts("2024-02-02T12:00:00"), 0));
  const auto base = bld.finish();

  const ScoreResult in = detail::value_input_columns(base, case_as_of, fixed_config());
  EXPECT_EQ(in.as_of, case_as_of);
  ASSERT_EQ(in.scores.customer, (std::vector<std::uint32_t>{0, 1, 2, 3, 5}));
  EXPECT_EQ(in.scores.frequency[0], 2);
  EXPECT_EQ(in.scores.recency[0], 60);
  EXPECT_EQ(in.scores.age[0], 81);
  EXPECT_EQ(in.scores.monetary[0], 20);
  EXPECT_TRUE(std::isnan(in.scores.frequency[2]));
  EXPECT_EQ(in.scores.age[3], 30);
  EXPECT_EQ(in.scores.monetary[4], 0);
  const ScoreResult scored = score(base, case_as_of, fixed_config());
  for (std::size_t r = 0; r < 5; ++r) {
    EXPECT_TRUE(same(in.scores.frequency[r], scored.scores.frequency[r])) << r;
    EXPECT_TRUE(same(in.scores.recency[r], scored.scores.recency[r])) << r;
    EXPECT_TRUE(same(in.scores.age[r], scored.scores.age[r])) << r;
    EXPECT_TRUE(same(in.scores.monetary[r], scored.scores.monetary[r])) << r;
  }

  const ValueParts whole = detail::value_parts(base, in);
  EXPECT_FALSE(whole.span.any_ended);
  EXPECT_EQ(whole.span.first, day("2024-01-10"));
  EXPECT_EQ(whole.span.last, day("2024-03-10"));
  EXPECT_EQ(whole.bgnbd.x, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(whole.bgnbd.t_x, (std::vector<double>{0, 1, 60}));
  EXPECT_EQ(whole.bgnbd.T, (std::vector<double>{30, 59, 81}));
  EXPECT_EQ(whole.bgnbd.weights, (std::vector<double>{2, 1, 1}));
  EXPECT_EQ(whole.gamma_gamma.x, (std::vector<double>{2}));
  EXPECT_EQ(whole.gamma_gamma.m, (std::vector<double>{20}));
  EXPECT_EQ(whole.gamma_gamma.weights, (std::vector<double>{1}));

  // two partitions {a, d} and {b, c, f}, merged in either order: the whole base's parts
  const ValueParts p0 = detail::value_parts(base, rows_of(in, {0, 3})),
                   p1 = detail::value_parts(base, rows_of(in, {1, 2, 4}));
  EXPECT_EQ(p0.bgnbd.weights, (std::vector<double>{1, 1}));  // (0, 0, 30) once here, once in p1
  expect_same_parts(detail::merge_value_parts({p0, p1}), whole);
  expect_same_parts(detail::merge_value_parts({p1, p0}), whole);
}

// Spans merge by OR, min and max: (no ended_on, Jan 10 – Mar 10) with (ended_on, Jan 5 – Feb 1)
// gives (ended_on, Jan 5 – Mar 10); an empty part changes nothing.
TEST(ValueParts, SpansWidenAndEmptyPartsChangeNothing) {
  ValueParts a, b;
  a.span = {false, day("2024-01-10"), day("2024-03-10")};
  b.span = {true, day("2024-01-05"), day("2024-02-01")};
  const ValueParts merged = detail::merge_value_parts({a, ValueParts{}, b});
  EXPECT_TRUE(merged.span.any_ended);
  EXPECT_EQ(merged.span.first, day("2024-01-05"));
  EXPECT_EQ(merged.span.last, day("2024-03-10"));
  EXPECT_TRUE(merged.bgnbd.weights.empty());
}

// A generated base: the inputs alone equal score()'s columns bit for bit, the patterns count
// every customer each fit takes, and the parts of three interleaved partitions merge to the whole's.
TEST(ValueParts, GeneratedBaseEqualsScoreAndPartitionsMergeToTheWhole) {
  const auto base = generate_base({.customers = 1500, .seed = 21});
  const ScoringConfig config;
  const ScoreResult one = score(base, std::nullopt, config);
  const ScoreResult in = detail::value_input_columns(base, std::nullopt, config);
  EXPECT_EQ(in.as_of, one.as_of);
  ASSERT_EQ(in.scores.customer, one.scores.customer);
  std::size_t bgnbd_rows = 0, gamma_gamma_rows = 0;
  for (std::size_t r = 0; r < in.scores.size(); ++r) {
    ASSERT_TRUE(same(in.scores.frequency[r], one.scores.frequency[r])) << r;
    ASSERT_TRUE(same(in.scores.recency[r], one.scores.recency[r])) << r;
    ASSERT_TRUE(same(in.scores.age[r], one.scores.age[r])) << r;
    ASSERT_TRUE(same(in.scores.monetary[r], one.scores.monetary[r])) << r;
    bgnbd_rows += detail::bgnbd_input(one.scores, r);
    gamma_gamma_rows += detail::gamma_gamma_input(one.scores, r);
  }
  const ValueParts whole = detail::value_parts(base, in);
  double bw = 0, gw = 0;
  for (const double w : whole.bgnbd.weights) bw += w;
  for (const double w : whole.gamma_gamma.weights) gw += w;
  EXPECT_EQ(bw, static_cast<double>(bgnbd_rows));
  EXPECT_EQ(gw, static_cast<double>(gamma_gamma_rows));
  EXPECT_LT(whole.bgnbd.weights.size(), bgnbd_rows) << "patterns repeat";

  std::vector<ValueParts> parts;
  for (std::size_t k = 0; k < 3; ++k) {
    std::vector<std::size_t> rows;
    for (std::size_t r = k; r < in.scores.size(); r += 3) rows.push_back(r);
    parts.push_back(detail::value_parts(base, rows_of(in, rows)));
  }
  expect_same_parts(detail::merge_value_parts(parts), whole);
  std::swap(parts[0], parts[2]);
  expect_same_parts(detail::merge_value_parts(parts), whole);
}

// The purchases before T as scoring reads them (purchases_before: frequency, recency, age) and as
// the distinct days up to D (purchase_days: BG/BB's inputs, value_span) are one walk
// (each_purchase_before). With one-day opportunities BG/BB's x is the distinct days after the
// first and t_x the last one's distance from it, i.e. frequency and recency; n = age + 1; the span
// runs from the buyers' earliest first day to their latest last day. At T's edge:
//   g (acquired Jan 1): Mar 1 12:00, Mar 31 23:59:59 (T - 1 s, day D), Apr 1 00:00 (T: not before T)
//      -> frequency 1, recency 30, age 30; BG/BB x 1, t_x 30, n 31; span Mar 1 .. Mar 31
TEST(ValueParts, PurchaseDaysAndScoredPurchasesAreTheSameWalk) {
  ScoringConfig config;
  config.opportunity_days = 1;
  const auto agree = [&](const CustomerBase& base, day_t D) {
    const ScoreResult in = detail::value_input_columns(base, D, config);
    const Scores& s = in.scores;
    const detail::ModelInputs bgbb = detail::gather_inputs(base, s, ValueModelName::bgbb, config, D);
    const detail::ValueSpan span = detail::value_span(base, in);
    std::size_t i = 0;
    day_t first = std::numeric_limits<day_t>::max(), last = std::numeric_limits<day_t>::min();
    for (std::size_t r = 0; r < s.size(); ++r) {
      if (!detail::bgnbd_input(s, r)) continue;
      EXPECT_EQ(bgbb.row[i], r);
      EXPECT_EQ(bgbb.x[i], s.frequency[r]) << r;
      EXPECT_EQ(bgbb.t_x[i], s.recency[r]) << r;
      EXPECT_EQ(bgbb.n[i], s.age[r] + 1) << r;
      first = std::min(first, D - static_cast<day_t>(s.age[r]));
      last = std::max(last, D - static_cast<day_t>(s.age[r]) + static_cast<day_t>(s.recency[r]));
      ++i;
    }
    EXPECT_EQ(i, bgbb.row.size());
    EXPECT_EQ(span.first, first);
    EXPECT_EQ(span.last, last);
    return i;
  };
  CustomerBaseBuilder bld;
  must(bld.add_customer("g", day("2024-01-01"), ""));
  must(bld.add_purchase("g", ts("2024-03-01T12:00:00"), 5));
  must(bld.add_purchase("g", case_T - 1, 5));
  must(bld.add_purchase("g", case_T, 5));
  const auto g = bld.finish();
  EXPECT_EQ(agree(g, case_as_of), 1u);
  const ScoreResult in = detail::value_input_columns(g, case_as_of, config);
  EXPECT_EQ(in.scores.frequency[0], 1);
  EXPECT_EQ(in.scores.recency[0], 30);
  EXPECT_EQ(in.scores.age[0], 30);
  EXPECT_EQ(detail::value_span(g, in).last, case_as_of);
  // a generated base as of its default day and as of a day inside its history (later purchases out)
  const auto base = generate_base({.customers = 800, .seed = 4});
  const day_t D = *base.default_as_of();
  EXPECT_GT(agree(base, D), 300u);
  EXPECT_GT(agree(base, D - 200), 100u);
}
