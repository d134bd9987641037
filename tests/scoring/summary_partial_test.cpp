// The summary from mergeable parts: exact sums, parts of any split merging into the summary of
// the whole base bit for bit, and the parts' bytes.
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/summary.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

using namespace rapport;

namespace {

double exact_sum(std::initializer_list<double> values) {
  ExactSum s;
  for (double v : values) s.add(v);
  return s.value();
}

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }

// The rows `rows` of `whole` as a result of their own (the columns the summary reads), as a
// partition of a distributed run would give them.
ScoreResult slice(const ScoreResult& whole, const std::vector<std::size_t>& rows) {
  ScoreResult out;
  out.as_of = whole.as_of;
  out.bgnbd_error = whole.bgnbd_error;
  out.gamma_gamma_error = whole.gamma_gamma_error;
  const auto pick = [&](auto& to, const auto& from) {
    to.clear();
    for (auto r : rows) to.push_back(from[r]);
  };
  const Scores& s = whole.scores;
  Scores& t = out.scores;
  pick(t.customer, s.customer);
  pick(t.loyalty_given, s.loyalty_given);
  pick(t.p_alive, s.p_alive);
  pick(t.expected_value, s.expected_value);
  pick(t.upserve_value, s.upserve_value);
  pick(t.purchases_counted, s.purchases_counted);
  pick(t.ask_for_referral, s.ask_for_referral);
  pick(t.next_action, s.next_action);
  return out;
}

}  // namespace

// Test vectors of CPython's math.fsum (Lib/test/test_math.py, test_fsum): the exact sum rounded once.
TEST(ExactSum, PythonFsumVectors) {
  EXPECT_EQ(exact_sum({}), 0.0);
  EXPECT_EQ(exact_sum({0.0}), 0.0);
  EXPECT_EQ(exact_sum({1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50}), 1e-100);
  EXPECT_EQ(exact_sum({std::ldexp(1.0, 53), -0.5, -std::ldexp(1.0, -54)}), std::ldexp(1.0, 53) - 1.0);
  EXPECT_EQ(exact_sum({std::ldexp(1.0, 53), 1.0, std::ldexp(1.0, -100)}), std::ldexp(1.0, 53) + 2.0);
  EXPECT_EQ(exact_sum({std::ldexp(1.0, 53) + 10.0, 1.0, std::ldexp(1.0, -100)}), std::ldexp(1.0, 53) + 12.0);
  EXPECT_EQ(exact_sum({std::ldexp(1.0, 53) - 4.0, 0.5, std::ldexp(1.0, -54)}), std::ldexp(1.0, 53) - 3.0);
  ExactSum harmonic;
  for (int n = 1; n <= 1000; ++n) harmonic.add(1.0 / n);
  EXPECT_EQ(harmonic.value(), 0x1.df11f45f4e61ap+2);
  // 1e16 + 1 − 1e16: a plain left-to-right sum loses the 1
  EXPECT_EQ(exact_sum({1e16, 1.0, -1e16}), 1.0);
  EXPECT_EQ(exact_sum({0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}),
            1.0);  // a plain sum gives 0.9999999999999999
}

TEST(ExactSum, NonFiniteAndOverflow) {
  EXPECT_TRUE(std::isnan(exact_sum({1.0, std::nan(""), 2.0})));
  EXPECT_EQ(exact_sum({1.0, INFINITY}), INFINITY);
  EXPECT_TRUE(std::isnan(exact_sum({INFINITY, -INFINITY})));
  EXPECT_EQ(exact_sum({1e308, 1e308}), INFINITY);  // the exact sum is beyond the doubles
}

// The same values in any order and any grouping give the same bits.
TEST(ExactSum, OrderAndGroupingDoNotMatter) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> amount(3, 2);
  std::vector<double> v(5000);
  for (auto& x : v) x = std::round(amount(rng) * 100) / 100 * (rng() % 7 == 0 ? -1 : 1);
  ExactSum whole;
  for (double x : v) whole.add(x);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(v.begin(), v.end(), rng);
    std::vector<ExactSum> groups(1 + trial * 3);
    for (std::size_t k = 0; k < v.size(); ++k) groups[rng() % groups.size()].add(v[k]);
    ExactSum merged;
    for (const auto& g : groups) merged.merge(g);
    EXPECT_EQ(bits(merged.value()), bits(whole.value()));
    EXPECT_EQ(bits(ExactSum::from_parts(merged.parts()).value()), bits(whole.value()));
  }
}

// A generated base's scored customers cut into parts (contiguous and scattered, as hash
// partitions are), each summarised alone and merged in any order, gives the summary of the whole
// base: the same JSON text.
TEST(SummaryPartial, AnySplitMergesIntoTheWholeSummary) {
  GenerateOptions g;
  g.customers = 3000;
  g.seed = 5;
  const CustomerBase base = generate_base(g);
  const LoadReport report;
  ScoringConfig cfg;
  const ScoreResult result = score(base, std::nullopt, cfg);
  ASSERT_TRUE(result.value_known());
  const std::string whole = to_json(summarize(base, report, result, cfg));

  std::mt19937_64 rng(3);
  for (const std::size_t nparts : {1u, 2u, 7u}) {
    std::vector<std::vector<std::size_t>> rows(nparts);
    for (std::size_t r = 0; r < result.scores.size(); ++r)
      rows[nparts == 2 ? r * 2 / result.scores.size() : rng() % nparts].push_back(r);
    std::vector<SummaryPartial> parts;
    for (const auto& part : rows) {
      const ScoreResult piece = slice(result, part);
      const std::vector<std::uint64_t> order(part.begin(), part.end());
      SummaryPartial p = summary_partial(base, LoadReport{}, piece, cfg, order);
      p.customers_not_yet_acquired = 0;  // the part's base is the whole base here: counted once below
      parts.push_back(summary_partial_from_bytes(to_bytes(p)));  // as it crosses a process boundary
    }
    parts.front().customers_not_yet_acquired = base.customer_count() - result.scores.size();
    parts.push_back(referral_summary_partial(base, report, result));
    std::shuffle(parts.begin(), parts.end(), rng);
    const Summary merged = finish_summary(merge_summary_partials(std::move(parts)), summary_models(result), cfg);
    EXPECT_EQ(to_json(merged), whole) << nparts << " parts";
  }
}

//   customers a (segment "x"), b (segment ""), c (segment "x"), as of 2024-01-31:
//   a buys 10.00 on 01-02 and 0.10 on 01-03 (a repeat day); b buys 0.20 on 01-05; c buys nothing.
//   revenue = 10.3 exactly rounded (10.0 + 0.1 + 0.2 left to right is 10.299999999999999)
TEST(SummaryPartial, HandDrawnBase) {
  CustomerBaseBuilder bld;
  bld.add_customer("a", *parse_date("2024-01-01"), "x");
  bld.add_customer("b", *parse_date("2024-01-01"), "");
  bld.add_customer("c", *parse_date("2024-01-01"), "x");
  bld.add_purchase("a", *parse_timestamp("2024-01-02"), 10.0);
  bld.add_purchase("a", *parse_timestamp("2024-01-03"), 0.1);
  bld.add_purchase("b", *parse_timestamp("2024-01-05"), 0.2);
  const CustomerBase base = bld.finish();
  ScoringConfig cfg;
  cfg.bgnbd = BgNbdParams{0.5, 30, 0.8, 2.5, 0};
  cfg.gamma_gamma = GammaGammaParams{6, 4, 15, 0};
  const ScoreResult result = score(base, *parse_date("2024-01-31"), cfg);
  const Summary s = summarize(base, LoadReport{}, result, cfg);
  EXPECT_EQ(s.revenue_total, 10.3);
  EXPECT_NE(10.0 + 0.1 + 0.2, 10.3);
  EXPECT_DOUBLE_EQ(*s.repeat_share, 0.1 / 10.3);
  EXPECT_EQ(s.customers_with_purchases, 2u);
  ASSERT_EQ(s.loyalty_per_segment.size(), 2u);
  EXPECT_EQ(s.loyalty_per_segment.at("x").customers, 2u);
  EXPECT_EQ(s.loyalty_per_segment.at("(none)").customers, 1u);
}

TEST(SummaryPartial, RefusesWhatCannotBeMerged) {
  EXPECT_THROW(merge_summary_partials({}), InputError);
  SummaryPartial a, b;
  a.as_of = 10;
  b.as_of = 11;
  EXPECT_THROW(merge_summary_partials({a, b}), InputError);
  b.as_of = 10;
  a.referrals = ReferralFigures{};
  b.referrals = ReferralFigures{};
  EXPECT_THROW(merge_summary_partials({a, b}), InputError);
  EXPECT_THROW(summary_partial_from_bytes("not a partial"), InputError);
  std::string bytes = to_bytes(a);
  EXPECT_NO_THROW(summary_partial_from_bytes(bytes));
  bytes.pop_back();
  EXPECT_THROW(summary_partial_from_bytes(bytes), InputError);              // truncated
  EXPECT_THROW(summary_partial_from_bytes(to_bytes(a) + "x"), InputError);  // trailing bytes
}
