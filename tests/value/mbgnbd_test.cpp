// Tests of the MBG/NBD kernel (src/value/mbgnbd.cpp) through rapport/value/models.hpp.
#include <rapport/value/models.hpp>
#include <rapport/value/value.hpp>

#include "value/cdnow.hpp"
#include "value/model_kernels.hpp"

#include <gtest/gtest.h>

#include <boost/math/special_functions/beta.hpp>

#include <cmath>
#include <random>
#include <vector>

namespace {

using rapport::ModelData;
using rapport::ValueModel;
using rapport::ValueModelName;

ModelData rfm(const std::vector<double>& x, const std::vector<double>& t_x, const std::vector<double>& T) {
  ModelData data;
  data.x = x;
  data.t_x = t_x;
  data.T = T;
  return data;
}

void expect_digits(double fit, double published, double half_unit, const char* what) {
  EXPECT_LE(std::abs(fit - published), half_unit * (1 + 1e-9))
      << what << ": fitted " << fit << ", published " << published;
}

ValueModel mbg(double r, double alpha, double a, double b) {
  return rapport::make_value_model(ValueModelName::mbgnbd, std::vector<double>{r, alpha, a, b});
}

}  // namespace

TEST(MbgNbd, CdnowMatchesPublishedFit) {
  // BTYDplus' mbgnbd on the CDNOW calibration in weeks: r = 0.525, alpha = 6.183, a = 0.891,
  // b = 1.614, as lifetimes quotes it (tests/test_estimation.py,
  // TestModifiedBetaGammaFitter.test_params_out_is_close_to_BTYDplus, to 3 decimals).
  const auto& d = rapport::test::cdnow();
  const std::vector<double> tx = rapport::test::in_weeks(d.t_x), T = rapport::test::in_weeks(d.T);
  const ModelData data = rfm(d.x, tx, T);
  const ValueModel m = rapport::fit_value_model(ValueModelName::mbgnbd, data);
  expect_digits(m.params[0], 0.525, 0.0005, "r");
  expect_digits(m.params[1], 6.183, 0.0005, "alpha");
  expect_digits(m.params[2], 0.891, 0.0005, "a");
  expect_digits(m.params[3], 1.614, 0.0005, "b");
  for (double se : m.std_errors) EXPECT_GT(se, 0);
  // A maximum in every direction.
  for (std::size_t k = 0; k < 4; ++k) {
    for (double f : {0.999, 1.001}) {
      std::vector<double> p = m.params;
      p[k] *= f;
      EXPECT_LT(rapport::log_likelihood(rapport::make_value_model(ValueModelName::mbgnbd, p), data), m.log_likelihood);
    }
  }
}

TEST(MbgNbd, LikelihoodByHand) {
  // One customer x = 2, t_x = 3, T = 5 with r = 1, alpha = 2, a = 1, b = 2, from the two paths
  // (Batislam, Denizel & Filiztekin 2007, eq. 5):
  //   alive:   B(1, 5)/B(1, 2) Γ(3)/Γ(1) 2^1 / 7^3 = (1/5)/(1/2) * 2 * 2 / 343 = 0.4 * 4 / 343
  //   left:    B(2, 4)/B(1, 2) Γ(3)/Γ(1) 2^1 / 5^3 = (1/20)/(1/2) * 4 / 125 = 0.1 * 4 / 125
  const ValueModel m = mbg(1, 2, 1, 2);
  const std::vector<double> x{2}, tx{3}, T{5};
  const double expected = 0.4 * 4 / 343 + 0.1 * 4 / 125;
  EXPECT_NEAR(rapport::log_likelihood(m, rfm(x, tx, T)), std::log(expected), 1e-14);
  // P(alive) = alive / (alive + left).
  std::vector<double> pa(1);
  rapport::p_alive(m, rfm(x, tx, T), pa);
  EXPECT_NEAR(pa[0], (0.4 * 4 / 343) / expected, 1e-14);
  // A customer with no repeat purchase may have left at time 0: P(alive) < 1 (unlike BG/NBD).
  const std::vector<double> x0{0}, t0{0}, T0{5};
  rapport::p_alive(m, rfm(x0, t0, T0), pa);
  // alive: B(1, 3)/B(1, 2) (2/7)^1 = (2/3)(2/7); left: B(2, 2)/B(1, 2) = (1/6)/(1/2) = 1/3.
  EXPECT_NEAR(pa[0], (2.0 / 3 * 2 / 7) / (2.0 / 3 * 2 / 7 + 1.0 / 3), 1e-14);
}

TEST(MbgNbd, ExpectationsMatchTheirBgNbdShift) {
  // E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))] (Batislam et al.
  // 2007, eq. 8), its hypergeometric series summed here directly.
  const double r = 0.243, alpha = 4.414, a = 0.793, b = 2.426;
  const ValueModel m = mbg(r, alpha, a, b);
  for (double t : {1.0, 10.0, 39.0}) {
    const double z = t / (alpha + t);
    double term = 1, sum = 1;
    for (int n = 0; n < 100000 && term > 1e-18 * sum; ++n) {
      term *= (r + n) * (b + 1 + n) / ((a + b + n) * (n + 1)) * z;
      sum += term;
    }
    const double direct = b / (a - 1) * (1 - std::pow(alpha / (alpha + t), r) * sum);
    EXPECT_NEAR(rapport::expected_purchases_new(m, t), direct, 1e-11 * direct) << t;
  }
}

TEST(MbgNbd, NewCustomerPmfSumsToOneWithMeanEqualToExpectation) {
  const ValueModel m = mbg(0.525, 6.183, 0.891, 1.614);
  for (double t : {1.0, 39.0, 78.0, 520.0}) {
    double total = 0, mean = 0;
    for (unsigned k = 0; k < 20000; ++k) {
      const double p = rapport::probability_of_purchases_new(m, t, k);
      ASSERT_GE(p, 0);
      total += p;
      mean += k * p;
    }
    EXPECT_NEAR(total, 1.0, 1e-10) << t;
    EXPECT_NEAR(mean, rapport::expected_purchases_new(m, t), 1e-9 * mean) << t;
  }
}

TEST(MbgNbd, ConditionalExpectationMatchesSimulation) {
  // E[Y(t) | x, t_x, T] against a Monte Carlo of the posterior: given the history, lambda ~
  // Gamma(r+x, alpha+T) and p ~ Beta(a, b+x+1) when alive, and the customer is alive with
  // P(alive); then purchases in (T, T+t] with dropout p after each.
  const double r = 0.525, alpha = 6.183, a = 0.891, b = 1.614, x = 3, t_x = 20, T = 35, t = 26;
  const ValueModel m = mbg(r, alpha, a, b);
  const std::vector<double> xs{x}, txs{t_x}, Ts{T};
  std::vector<double> pa(1), ce(1);
  rapport::p_alive(m, rfm(xs, txs, Ts), pa);
  rapport::expected_purchases(m, t, rfm(xs, txs, Ts), ce);
  std::mt19937_64 rng(7);
  std::gamma_distribution<double> lam(r + x, 1.0 / (alpha + T)), ga(a, 1.0), gb(b + x + 1, 1.0);
  std::uniform_real_distribution<double> u(0, 1);
  const int draws = 400000;
  double total = 0;
  for (int i = 0; i < draws; ++i) {
    const double l = lam(rng), ya = ga(rng), p = ya / (ya + gb(rng));
    double s = 0;
    for (;;) {
      s += std::exponential_distribution<double>(l)(rng);
      if (s > t) break;
      total += 1;
      if (u(rng) < p) break;
    }
  }
  const double mc = pa[0] * total / draws;
  EXPECT_NEAR(ce[0], mc, 0.01 * mc);
}

TEST(MbgNbd, AnalyticGradientMatchesFiniteDifferences) {
  // The kernel's total log-likelihood and gradient in log-parameters, on CDNOW in weeks with
  // weights, against central differences (step 1e-6) of the same total and the layer's row sum.
  const auto& d = rapport::test::cdnow();
  const std::vector<double> tx = rapport::test::in_weeks(d.t_x), T = rapport::test::in_weeks(d.T);
  std::vector<double> w(d.x.size());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 1 + static_cast<double>(i % 3);
  ModelData data = rfm(d.x, tx, T);
  data.weights = w;
  const auto& k = rapport::detail::kernel(ValueModelName::mbgnbd);
  ASSERT_NE(k.total_log_likelihood, nullptr);
  for (const std::vector<double>& p :
       {std::vector<double>{0.525, 6.183, 0.891, 1.614}, std::vector<double>{2, 0.5, 3, 0.2}}) {
    std::vector<double> theta(4), g(4), none;
    for (std::size_t i = 0; i < 4; ++i) theta[i] = std::log(p[i]);
    const double f = k.total_log_likelihood(theta, data, g);
    EXPECT_NEAR(f, rapport::log_likelihood(rapport::make_value_model(ValueModelName::mbgnbd, p), data),
                1e-10 * std::abs(f));
    for (std::size_t i = 0; i < 4; ++i) {
      std::vector<double> tp = theta, tm = theta;
      tp[i] += 1e-6;
      tm[i] -= 1e-6;
      const double fd = (k.total_log_likelihood(tp, data, none) - k.total_log_likelihood(tm, data, none)) / 2e-6;
      EXPECT_NEAR(g[i], fd, 1e-5 * std::abs(fd) + 1e-8 * std::abs(f)) << i;  // rounding of f / step
    }
  }
}

TEST(MbgNbd, AnalyticHessianMatchesDifferencesOfTheGradient) {
  // The kernel's Hessian in log-parameters (forward differentiation of the row code) against
  // central differences (step 1e-5) of its analytic gradient, on CDNOW in weeks with weights, at
  // the published fit, far from it, and with a, b tiny and huge; the value is the row sum.
  const auto& d = rapport::test::cdnow();
  const std::vector<double> tx = rapport::test::in_weeks(d.t_x), T = rapport::test::in_weeks(d.T);
  std::vector<double> w(d.x.size());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 1 + static_cast<double>(i % 3);
  ModelData data = rfm(d.x, tx, T);
  data.weights = w;
  const auto& k = rapport::detail::kernel(ValueModelName::mbgnbd);
  ASSERT_NE(k.total_log_likelihood_hessian, nullptr);
  for (const std::vector<double>& p :
       {std::vector<double>{0.525, 6.183, 0.891, 1.614}, std::vector<double>{2, 0.5, 3, 0.2},
        std::vector<double>{0.5, 6, 1e-3, 1e-3}, std::vector<double>{0.5, 6, 500, 800}}) {
    std::vector<double> theta(4), natural(4), g(4), h(16), none;
    for (std::size_t i = 0; i < 4; ++i) theta[i] = std::log(p[i]);
    for (std::size_t i = 0; i < 4; ++i) natural[i] = std::exp(theta[i]);
    const double f = k.total_log_likelihood_hessian(theta, data, g, h);
    EXPECT_EQ(f, rapport::log_likelihood(rapport::make_value_model(ValueModelName::mbgnbd, natural), data));
    for (std::size_t i = 0; i < 4; ++i) {
      std::vector<double> tp = theta, tm = theta, gp(4), gm(4);
      tp[i] += 1e-5;
      tm[i] -= 1e-5;
      k.total_log_likelihood_hessian(tp, data, gp, none);
      k.total_log_likelihood_hessian(tm, data, gm, none);
      for (std::size_t j = 0; j < 4; ++j) {
        const double hd = (gp[j] - gm[j]) / 2e-5;
        EXPECT_NEAR(h[i * 4 + j], hd, 1e-6 * std::abs(hd) + 1e-7 * (std::abs(g[j]) + 1)) << i << "," << j;
        EXPECT_EQ(h[i * 4 + j], h[j * 4 + i]);
      }
    }
  }
}
