// Tests of the value intervals (rapport/value/intervals.hpp): quantiles by hand, determinism
// across thread counts, and coverage of a new customer's E[X(t)] on bases simulated from known
// BG/NBD parameters (fixed seeds).
#include <rapport/value/intervals.hpp>

#include "value/intervals_eval.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

using rapport::IntervalMethod;
using rapport::IntervalOptions;
using rapport::ModelData;
using rapport::ValueModel;
using rapport::ValueModelName;

TEST(Intervals, QuantilesByHand) {
  // 0..10 in a shuffled order: the 5 % and 95 % quantiles by linear interpolation (numpy's
  // default) are at positions 0.5 and 9.5, i.e. 0.5 and 9.5
  std::vector<double> v{7, 3, 10, 0, 5, 1, 9, 2, 8, 4, 6};
  const auto [lo, hi] = rapport::quantile_interval(v, 0.9);
  EXPECT_DOUBLE_EQ(lo, 0.5);
  EXPECT_DOUBLE_EQ(hi, 9.5);
  std::vector<double> with_nan{std::nan(""), 2, 4};  // NaN left out: positions 0.05 and 0.95 of {2, 4}
  const auto [lo2, hi2] = rapport::quantile_interval(with_nan, 0.9);
  EXPECT_DOUBLE_EQ(lo2, 2.1);
  EXPECT_DOUBLE_EQ(hi2, 3.9);
  std::vector<double> none{std::nan("")};
  EXPECT_TRUE(std::isnan(rapport::quantile_interval(none, 0.9).first));
}

/// BG/NBD histories of `n` customers (time in weeks, ages uniform in [26, 39]): a purchase at 0,
/// then purchases at rate lambda ~ Gamma(r, 1/alpha) until T, the customer leaving after each
/// repeat purchase with probability p ~ Beta(a, b).
struct Histories {
  std::vector<double> x, t_x, T;
  ModelData data() const {
    ModelData d;
    d.x = x;
    d.t_x = t_x;
    d.T = T;
    return d;
  }
};

Histories simulate_bgnbd(double r, double alpha, double a, double b, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> rate(r, 1 / alpha), ga(a, 1), gb(b, 1);
  std::uniform_real_distribution<double> age(26, 39), u(0, 1);
  Histories h;
  for (std::size_t i = 0; i < n; ++i) {
    const double lambda = rate(rng), pa = ga(rng), pb = gb(rng), p = pa / (pa + pb), T = age(rng);
    double t = 0, x = 0, last = 0;
    for (;;) {
      t += -std::log(u(rng)) / lambda;
      if (t > T) break;
      x += 1;
      last = t;
      if (u(rng) < p) break;
    }
    h.x.push_back(x);
    h.t_x.push_back(last);
    h.T.push_back(T);
  }
  return h;
}

constexpr double true_r = 0.243, true_alpha = 4.414, true_a = 0.793, true_b = 2.426;  // FHL (2005) on CDNOW
constexpr double horizon = 39;                                                        // weeks

/// Share of `bases` simulated bases whose interval of E[X(39)] covers the true value.
double coverage(IntervalMethod method, unsigned draws, std::size_t bases, std::size_t customers) {
  const double params[] = {true_r, true_alpha, true_a, true_b};
  const double truth =
      rapport::expected_purchases_new(rapport::make_value_model(ValueModelName::bgnbd, params), horizon);
  std::size_t covered = 0;
  for (std::size_t k = 0; k < bases; ++k) {
    const Histories h = simulate_bgnbd(true_r, true_alpha, true_a, true_b, customers, 1000 + k);
    const ValueModel fit = rapport::fit_value_model(ValueModelName::bgnbd, h.data());
    IntervalOptions o;
    o.method = method;
    o.draws = draws;
    o.seed = 7 + k;
    const auto models = rapport::draw_value_models(fit, h.data(), o);
    std::vector<double> ex;
    for (const auto& m : models) ex.push_back(rapport::expected_purchases_new(m, horizon));
    const auto [lo, hi] = rapport::quantile_interval(ex, o.level);
    covered += lo <= truth && truth <= hi;
  }
  return static_cast<double>(covered) / static_cast<double>(bases);
}

TEST(Intervals, ParametricCoverageOfANewCustomersExpectation) {
  const double c = coverage(IntervalMethod::parametric, 1000, 200, 1000);
  std::printf("parametric 90%% interval of E[X(39)]: coverage %.3f over 200 bases of 1000 customers\n", c);
  EXPECT_GE(c, 0.85);
  EXPECT_LE(c, 0.95);
}

TEST(Intervals, BootstrapCoverageOfANewCustomersExpectation) {
  const double c = coverage(IntervalMethod::bootstrap, 100, 40, 1000);
  std::printf("bootstrap 90%% interval of E[X(39)]: coverage %.3f over 40 bases of 1000 customers\n", c);
  EXPECT_GE(c, 0.75);  // 40 bases: a binomial standard error of ~5 points around 0.9
  EXPECT_LE(c, 1.0);
}

TEST(Intervals, SameBytesForAnyThreadCount) {
  const Histories h = simulate_bgnbd(true_r, true_alpha, true_a, true_b, 600, 5);
  const ValueModel fit = rapport::fit_value_model(ValueModelName::bgnbd, h.data());
  for (const auto method : {IntervalMethod::parametric, IntervalMethod::bootstrap}) {
    IntervalOptions o;
    o.method = method;
    o.draws = 40;
    const auto one = rapport::draw_value_models(fit, h.data(), o, {}, 1);
    const auto four = rapport::draw_value_models(fit, h.data(), o, {}, 4);
    ASSERT_EQ(one.size(), 40u);
    for (std::size_t d = 0; d < one.size(); ++d) EXPECT_EQ(one[d].params, four[d].params) << d;
    const auto i1 = rapport::value_intervals(one, {}, h.data(), horizon, 0.9, 1);
    const auto i4 = rapport::value_intervals(four, {}, h.data(), horizon, 0.9, 4);
    EXPECT_EQ(i1.p_alive_lo, i4.p_alive_lo);
    EXPECT_EQ(i1.expected_purchases_hi, i4.expected_purchases_hi);
    // every interval holds the point estimate's neighbourhood: lo <= hi, p_alive within [0, 1]
    std::vector<double> p(h.x.size()), e(h.x.size());
    rapport::p_alive(fit, h.data(), p);
    rapport::expected_purchases(fit, horizon, h.data(), e);
    std::size_t inside = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      EXPECT_LE(i1.p_alive_lo[i], i1.p_alive_hi[i]);
      EXPECT_GE(i1.p_alive_lo[i], 0);
      EXPECT_LE(i1.p_alive_hi[i], 1);
      inside += i1.expected_purchases_lo[i] <= e[i] && e[i] <= i1.expected_purchases_hi[i];
    }
    EXPECT_GT(inside, p.size() * 9 / 10);  // the estimate lies inside its own 90 % interval nearly always
  }
}

TEST(Intervals, ExpectedValueIsPairedDrawByDraw) {
  // one purchase-model draw and one spend-model draw: the interval collapses onto E × spend
  const double bg[] = {0.5, 10, 0.8, 2.5}, gg[] = {6.25, 3.74, 15.44};
  const std::vector<ValueModel> p{rapport::make_value_model(ValueModelName::bgnbd, bg)};
  const std::vector<ValueModel> s{rapport::make_value_model(ValueModelName::gamma_gamma, gg)};
  const std::vector<double> x{0, 2}, t_x{0, 5}, T{10, 12}, m{0, 30};
  ModelData d;
  d.x = x;
  d.t_x = t_x;
  d.T = T;
  d.m = m;
  const auto iv = rapport::value_intervals(p, s, d, 52, 0.9);
  std::vector<double> e(2), spend(2), disc(2);
  rapport::expected_purchases(p[0], 52, d, e);
  rapport::expected_spend(s[0], d, spend);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(iv.expected_value_lo[i], e[i] * spend[i]);
    EXPECT_EQ(iv.expected_value_hi[i], e[i] * spend[i]);
  }
  // with a discount rate, expected value takes the discounted expectation (p_alive and expected
  // purchases do not change)
  const auto dv = rapport::detail::value_intervals(p, s, d, d, {52, 0.9, 0.001});
  rapport::discounted_expected_purchases(p[0], 52, 0.001, d, disc);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_LT(disc[i], e[i]);
    EXPECT_EQ(dv.expected_value_lo[i], disc[i] * spend[i]);
    EXPECT_EQ(dv.expected_value_hi[i], disc[i] * spend[i]);
    EXPECT_EQ(dv.expected_purchases_lo[i], e[i]);
  }
  EXPECT_THROW(rapport::value_intervals(p, std::vector<ValueModel>(2, s[0]), d, 52, 0.9), rapport::InputError);
  ModelData short_spend;  // the spend rows must be the purchase rows
  short_spend.x = std::span<const double>(x).first(1);
  short_spend.m = std::span<const double>(m).first(1);
  EXPECT_THROW(rapport::detail::value_intervals(p, s, d, short_spend, {52, 0.9, 0}), rapport::InputError);
}

TEST(Intervals, RefusesWhatCannotBeDrawn) {
  const double bg[] = {0.5, 10, 0.8, 2.5};
  const ValueModel given = rapport::make_value_model(ValueModelName::bgnbd, bg);
  IntervalOptions o;
  EXPECT_THROW(rapport::draw_value_models(given, {}, o), rapport::FitError);  // no covariance
  o.level = 1;
  EXPECT_THROW(rapport::draw_value_models(given, {}, o), rapport::ConfigError);
  o.level = 0.9;
  o.draws = 0;
  EXPECT_THROW(rapport::draw_value_models(given, {}, o), rapport::ConfigError);
}

}  // namespace
