// Tests of the Pareto/NBD kernel (src/value/pareto_nbd.cpp) through rapport/value/models.hpp.
#include <rapport/value/models.hpp>

#include "value/cdnow.hpp"
#include "value/model_kernels.hpp"

#include <gtest/gtest.h>

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

ValueModel pnbd(double r, double alpha, double s, double beta) {
  return rapport::make_value_model(ValueModelName::pareto_nbd, std::vector<double>{r, alpha, s, beta});
}

/// R = s (α+T)^(r+x) (β+T)^s ∫_{t_x}^T (α+τ)^-(r+x) (β+τ)^-(s+1) dτ by a 200,000-step midpoint
/// sum in long double: the definition, with none of the kernel's hypergeometric algebra.
double brute_r(double r, double alpha, double s, double beta, double x, double t_x, double T) {
  const int steps = 200000;
  long double sum = 0;
  const long double h = (static_cast<long double>(T) - t_x) / steps;
  for (int i = 0; i < steps; ++i) {
    const long double tau = t_x + (i + 0.5L) * h;
    sum += std::exp((r + x) * std::log((alpha + T) / (alpha + tau)) + s * std::log((beta + T) / (beta + tau)) -
                    std::log(beta + tau));
  }
  return static_cast<double>(s * sum * h);
}

/// The CDNOW fit in weeks (shared by the tests below; the fit takes a second or two).
const ValueModel& cdnow_fit() {
  static const ValueModel m = [] {
    const auto& d = rapport::test::cdnow();
    static const std::vector<double> tx = rapport::test::in_weeks(d.t_x), T = rapport::test::in_weeks(d.T);
    return rapport::fit_value_model(ValueModelName::pareto_nbd, rfm(d.x, tx, T));
  }();
  return m;
}

}  // namespace

TEST(ParetoNbd, CdnowMatchesPublishedFit) {
  const ValueModel& m = cdnow_fit();
  // Fader, Hardie & Lee (2005) report the Pareto/NBD on this calibration to three decimals:
  // r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0, as quoted by CLVTools
  // (tests/testthat/test_correctness_pnbd_nocovstaticcov.R, "As also reported to compare against
  // bgnbd in Fader, Hardie, Lee (2005)") and lifetimes (tests/test_estimation.py,
  // test_params_out_is_close_to_Hardie_paper).
  expect_digits(m.params[0], 0.553, 0.0005, "r");
  expect_digits(m.params[1], 10.578, 0.0005, "alpha");
  expect_digits(m.params[2], 0.606, 0.0005, "s");
  expect_digits(m.params[3], 11.669, 0.0005, "beta");
  expect_digits(m.log_likelihood, -9595.0, 0.05, "LL");
  // Four- and five-digit figures differ in their last digits between sources, as each optimiser
  // stops at its own point of a ridge where the likelihood is flat to 1e-4: Fader, Hardie & Lee's
  // MATLAB note (r = 0.5534, alpha = 10.5796, s = 0.6061, beta = 11.6562, LL = -9594.98), the BTYD
  // walkthrough (0.5534, 10.5802, 0.6061, 11.6562), CLVTools' own estimate (same file: 0.55315,
  // 10.57633, 0.60625, 11.67150, LL = -9594.976). The maximum found here lies above every one of
  // them, by less than 1e-3, and its LL rounds to both published values.
  expect_digits(m.log_likelihood, -9594.98, 0.005, "LL (FHL MATLAB note)");
  expect_digits(m.log_likelihood, -9594.976, 0.0005, "LL (CLVTools)");
  const auto& d = rapport::test::cdnow();
  const std::vector<double> tx = rapport::test::in_weeks(d.t_x), T = rapport::test::in_weeks(d.T);
  const ModelData data = rfm(d.x, tx, T);
  for (const auto& published :
       {std::vector<double>{0.5534, 10.5796, 0.6061, 11.6562}, std::vector<double>{0.5534, 10.5802, 0.6061, 11.6562},
        std::vector<double>{0.55315, 10.57633, 0.60625, 11.67150}}) {
    const double ll = rapport::log_likelihood(rapport::make_value_model(ValueModelName::pareto_nbd, published), data);
    EXPECT_LT(ll, m.log_likelihood);
    EXPECT_GT(ll, m.log_likelihood - 1e-3);
  }
  // The fitted LL is the layer's sum of the rows; a maximum in every direction.
  EXPECT_NEAR(rapport::log_likelihood(m, data), m.log_likelihood, 1e-9 * std::abs(m.log_likelihood));
  for (std::size_t k = 0; k < 4; ++k) {
    for (double f : {0.999, 1.001}) {
      std::vector<double> p = m.params;
      p[k] *= f;
      EXPECT_LT(rapport::log_likelihood(rapport::make_value_model(ValueModelName::pareto_nbd, p), data),
                m.log_likelihood);
    }
  }
  EXPECT_EQ(m.n, 2357.0);
  EXPECT_DOUBLE_EQ(m.aic, 8 - 2 * m.log_likelihood);
}

TEST(ParetoNbd, CdnowStandardErrorsMatchClvTools) {
  // CLVTools tests/testthat/test_correctness_pnbd_nocovstaticcov.R ("Cdnow nocov correct SE",
  // tolerance 0.001): r 0.0476264, alpha 0.8427222, s 0.1872594, beta 6.2105448.
  const ValueModel& m = cdnow_fit();
  const double published[] = {0.0476264, 0.8427222, 0.1872594, 6.2105448};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(m.std_errors[k], published[k], 1e-3 * published[k]) << k;
  }
}

TEST(ParetoNbd, PublishedCustomerPredictions) {
  // BTYD walkthrough (McCarthy & Wadsworth, "Buy 'Til You Die - A Walkthrough", section 2.2),
  // parameters r = 0.5534, alpha = 10.5802, s = 0.6061, beta = 11.6562: the customer with
  // x = 26, t_x = 30.86, T = 31 weeks is alive with probability 0.9979 and is expected to make
  // 25.46 transactions in the next 52 weeks. The two printed figures agree with each other to
  // 0.01 only: E[Y(52) | alive] = 25.508 here, and 25.508 x 0.9979 = 25.454 (lifetimes' test of
  // the same numbers, tests/test_estimation.py, allows 0.01 too).
  const ValueModel m = pnbd(0.5534, 10.5802, 0.6061, 11.6562);
  const std::vector<double> x{26}, tx{30.86}, T{31};
  std::vector<double> pa(1), ce(1);
  rapport::p_alive(m, rfm(x, tx, T), pa);
  rapport::expected_purchases(m, 52, rfm(x, tx, T), ce);
  expect_digits(pa[0], 0.9979, 0.00005, "P(alive)");
  expect_digits(ce[0], 25.46, 0.01, "E[Y(52)]");
  EXPECT_NEAR(ce[0] / pa[0], 25.508, 0.0005);  // by hand: 26.5534 x 42.6562 / 41.5802 x 0.93641
}

TEST(ParetoNbd, LikelihoodMatchesTheDefiningIntegral) {
  // Against brute-force integration of the definition, over both 2F1 branches (alpha >= beta and
  // alpha < beta), arguments near 1 (the quadrature path), t_x near T, and heavy buyers.
  struct Case {
    double r, alpha, s, beta, x, t_x, T;
  };
  const Case cases[] = {
      {0.5534, 10.5796, 0.6061, 11.6562, 2, 30.43, 38.86},           // alpha < beta
      {0.5534, 11.6562, 0.6061, 10.5796, 2, 30.43, 38.86},           // alpha > beta
      {0.5, 10, 0.6, 10, 3, 20, 39},                                 // alpha == beta
      {0.5, 50, 0.6, 0.01, 4, 0.5, 39},                              // (alpha-beta)/(alpha+t_x) = 0.99
      {0.5, 0.01, 0.6, 50, 4, 0.5, 39},                              // (beta-alpha)/(beta+t_x) = 0.99
      {0.5143, 2.8845, 0.2856, 14.1087, 221, 103.42857, 103.57143},  // CLVTools #100
      {1.2, 3, 2.5, 40, 60, 38.9, 39},
      {0.3, 8, 0.9, 2, 1, 1e-3, 52},
  };
  for (const Case& c : cases) {
    const ValueModel m = pnbd(c.r, c.alpha, c.s, c.beta);
    const std::vector<double> x{c.x}, tx{c.t_x}, T{c.T};
    const double R = brute_r(c.r, c.alpha, c.s, c.beta, c.x, c.t_x, c.T);
    std::vector<double> pa(1);
    rapport::p_alive(m, rfm(x, tx, T), pa);
    EXPECT_NEAR(pa[0], 1 / (1 + R), 1e-7 / (1 + R)) << c.alpha << " " << c.beta << " " << c.x;
    const double head = std::lgamma(c.r + c.x) - std::lgamma(c.r) + c.r * std::log(c.alpha) + c.s * std::log(c.beta) -
                        (c.r + c.x) * std::log(c.alpha + c.T) - c.s * std::log(c.beta + c.T);
    EXPECT_NEAR(rapport::log_likelihood(m, rfm(x, tx, T)), head + std::log1p(R), 1e-7) << c.x;
  }
}

TEST(ParetoNbd, ExtremeHistoriesStayFinite) {
  // CLVTools #100: P(alive) was NaN for these heavy buyers (parameters from that issue).
  const ValueModel m = pnbd(0.5143, 2.8845, 0.2856, 14.1087);
  const std::vector<double> x{221, 254, 161, 204, 0, 5000}, tx{103.42857, 97.14286, 94.71429, 98.57143, 0, 1},
      T{103.57143, 97.28571, 98.00000, 99.42857, 1e4, 3e4};
  std::vector<double> pa(6), ce(6);
  rapport::p_alive(m, rfm(x, tx, T), pa);
  rapport::expected_purchases(m, 52, rfm(x, tx, T), ce);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_TRUE(std::isfinite(pa[i]) && pa[i] >= 0 && pa[i] <= 1) << i << " " << pa[i];
    EXPECT_TRUE(std::isfinite(ce[i]) && ce[i] >= 0) << i << " " << ce[i];
  }
  EXPECT_TRUE(std::isfinite(rapport::log_likelihood(m, rfm(x, tx, T))));
  // lifetimes' overflow case (tests/test_estimation.py, test_conditional_probability_alive_overflow_error).
  const ValueModel big = pnbd(10.465, 7.98565181e-03, 3.0516, 2.820);
  const std::vector<double> x2{40, 50, 50}, tx2{5, 1, 4}, T2{6, 37, 37};
  std::vector<double> pa2(3);
  rapport::p_alive(big, rfm(x2, tx2, T2), pa2);
  for (double v : pa2) EXPECT_TRUE(std::isfinite(v) && v >= 0 && v <= 1) << v;
  // A repeat buyer whose last purchase is at T is alive for sure.
  const std::vector<double> x3{3}, tx3{20}, T3{20};
  std::vector<double> pa3(1);
  rapport::p_alive(m, rfm(x3, tx3, T3), pa3);
  EXPECT_EQ(pa3[0], 1.0);
}

TEST(ParetoNbd, NewCustomerPmfSumsToOneWithMeanEqualToExpectation) {
  const ValueModel m = pnbd(0.5534, 10.5796, 0.6061, 11.6562);
  for (double t : {1.0, 39.0, 78.0}) {
    double total = 0, mean = 0;
    for (unsigned k = 0; k < 600; ++k) {
      const double p = rapport::probability_of_purchases_new(m, t, k);
      ASSERT_GE(p, 0);
      total += p;
      mean += k * p;
    }
    EXPECT_NEAR(total, 1.0, 1e-9) << t;
    // E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (Fader & Hardie 2005 note, eq. 17).
    const double closed =
        0.5534 * 11.6562 / (10.5796 * (0.6061 - 1)) * (1 - std::pow(11.6562 / (11.6562 + t), 0.6061 - 1));
    EXPECT_NEAR(rapport::expected_purchases_new(m, t), closed, 1e-12 * closed);
    EXPECT_NEAR(mean, closed, 1e-7 * closed) << t;
  }
}

TEST(ParetoNbd, ConditionalExpectationAtSEqualsOneIsTheLimit) {
  const std::vector<double> x{3}, tx{20}, T{30};
  std::vector<double> at(1), below(1), above(1);
  rapport::expected_purchases(pnbd(0.5, 10, 1.0, 12), 52, rfm(x, tx, T), at);
  rapport::expected_purchases(pnbd(0.5, 10, 1.0 - 1e-7, 12), 52, rfm(x, tx, T), below);
  rapport::expected_purchases(pnbd(0.5, 10, 1.0 + 1e-7, 12), 52, rfm(x, tx, T), above);
  EXPECT_NEAR(at[0], below[0], 1e-6 * at[0]);
  EXPECT_NEAR(at[0], above[0], 1e-6 * at[0]);
}

TEST(ParetoNbd, RecoversSimulatedParameters) {
  // 3,000 customers simulated from Pareto/NBD(r = 0.8, alpha = 5, s = 0.7, beta = 8), T
  // uniform in [20, 80): the fit lands within a few standard errors of the truth.
  std::mt19937_64 rng(2024);
  std::gamma_distribution<double> lam(0.8, 1.0 / 5), mu(0.7, 1.0 / 8);
  std::uniform_real_distribution<double> Td(20, 80);
  std::vector<double> x, tx, T;
  for (int i = 0; i < 3000; ++i) {
    const double l = lam(rng), death = std::exponential_distribution<double>(mu(rng))(rng), age = Td(rng);
    const double end = std::min(death, age);
    double t = 0, last = 0, n = 0;
    for (;;) {
      t += std::exponential_distribution<double>(l)(rng);
      if (t > end) break;
      n += 1;
      last = t;
    }
    x.push_back(n);
    tx.push_back(last);
    T.push_back(age);
  }
  const ValueModel m = rapport::fit_value_model(ValueModelName::pareto_nbd, rfm(x, tx, T));
  const double truth[] = {0.8, 5, 0.7, 8};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(m.params[k], truth[k], 4 * m.std_errors[k]) << k << " se " << m.std_errors[k];
    EXPECT_LT(m.std_errors[k], 0.5 * truth[k]) << k;
  }
}

namespace {

/// Central differences of the kernel's total (value, gradient) in log-parameters at `theta`,
/// against its analytic gradient and Hessian (forward differentiation through the same code):
/// step h = 1e-5, so truncation (~h² f''') and rounding (~1e-16 |f| / h) stay below the bounds.
void expect_derivatives_match_differences(const ModelData& data, const std::vector<double>& p) {
  const auto& k = rapport::detail::kernel(ValueModelName::pareto_nbd);
  ASSERT_NE(k.total_log_likelihood_hessian, nullptr);
  std::vector<double> theta(4), natural(4), g(4), h(16), none;
  for (std::size_t i = 0; i < 4; ++i) theta[i] = std::log(p[i]);
  for (std::size_t i = 0; i < 4; ++i) natural[i] = std::exp(theta[i]);
  const double f = k.total_log_likelihood_hessian(theta, data, g, h);
  // The value is the layer's row sum, bit for bit; the gradient-only pass gives the same gradient.
  EXPECT_EQ(f, rapport::log_likelihood(rapport::make_value_model(ValueModelName::pareto_nbd, natural), data));
  std::vector<double> g_only(4);
  EXPECT_EQ(k.total_log_likelihood(theta, data, g_only), f);
  constexpr double step = 1e-5;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(g_only[i], g[i], 1e-12 * (std::abs(g[i]) + 1)) << i;
    std::vector<double> tp = theta, tm = theta, gp(4), gm(4);
    tp[i] += step;
    tm[i] -= step;
    const double fd =
        (k.total_log_likelihood_hessian(tp, data, gp, none) - k.total_log_likelihood_hessian(tm, data, gm, none)) /
        (2 * step);
    EXPECT_NEAR(g[i], fd, 1e-6 * std::abs(fd) + 1e-9 * std::abs(f))
        << "gradient " << i << " at r=" << p[0] << " alpha=" << p[1] << " s=" << p[2] << " beta=" << p[3];
    for (std::size_t j = 0; j < 4; ++j) {
      const double hd = (gp[j] - gm[j]) / (2 * step);
      EXPECT_NEAR(h[i * 4 + j], hd, 1e-6 * std::abs(hd) + 1e-7 * (std::abs(g[j]) + 1))
          << "Hessian " << i << "," << j << " at r=" << p[0] << " alpha=" << p[1] << " s=" << p[2] << " beta=" << p[3];
      EXPECT_EQ(h[i * 4 + j], h[j * 4 + i]);
    }
  }
}

}  // namespace

TEST(ParetoNbd, AnalyticDerivativesMatchCentralDifferences) {
  // Rows for every path of log R: a one-time buyer (x = 0, t_x = 0), ordinary and heavy buyers
  // (the series at t_x and at T), t_x within 1e-4 of T (the quadrature: the two series cancel),
  // CLVTools #100's heavy buyer, and a long-dead customer; with weights.
  const std::vector<double> x{0, 2, 26, 1, 221, 5, 3}, tx{0, 30.43, 30.86, 38.9999, 103.42857, 1, 12},
      T{39, 38.86, 31, 39, 103.57143, 300, 52};
  ModelData data = rfm(x, tx, T);
  const std::vector<double> w{3, 1, 2, 1, 1, 4, 0.5};
  data.weights = w;
  for (const std::vector<double>& p : {
           std::vector<double>{0.5534, 10.5796, 0.6061, 11.6562},  // CDNOW: alpha < beta, series
           std::vector<double>{0.5534, 11.6562, 0.6061, 10.5796},  // alpha > beta
           std::vector<double>{0.5, 10, 0.6, 10},                  // alpha = beta: z = 0 exactly
           std::vector<double>{0.5, 10, 0.6, 10 * (1 + 1e-9)},     // alpha ≈ beta
           std::vector<double>{1e-3, 5, 1e-3, 7},                  // r, s tiny
           std::vector<double>{300, 5, 200, 7},                    // r, s huge
           std::vector<double>{0.5, 500, 0.6, 0.05},               // alpha >> beta: z > 0.95, quadrature
           std::vector<double>{0.5, 0.05, 0.6, 500},               // beta >> alpha
           std::vector<double>{0.5, 2000, 3, 1e-3},                // both at once, far from the data
       }) {
    expect_derivatives_match_differences(data, p);
  }
}

TEST(ParetoNbd, CdnowOptimumIsTheNumericFitsToItsDigits) {
  // The fit by numeric differences (before the analytic derivatives) stopped at r = 0.55328,
  // alpha = 10.57768, s = 0.60624, beta = 11.66873, LL = -9594.97618 (docs/value-models.md); the
  // analytic Newton lands on the same optimum within one unit of those digits (the likelihood is
  // flat to 1e-9 along the ridge there: beta = 11.6687353 now).
  const ValueModel& m = cdnow_fit();
  expect_digits(m.params[0], 0.55328, 0.00001, "r");
  expect_digits(m.params[1], 10.57768, 0.00001, "alpha");
  expect_digits(m.params[2], 0.60624, 0.00001, "s");
  expect_digits(m.params[3], 11.66873, 0.00001, "beta");
  expect_digits(m.log_likelihood, -9594.97618, 0.000005, "LL");
}
