// Tests of the generic value-model layer (rapport/value/models.hpp) and of BG/NBD and
// Gamma-Gamma behind it.
#include <rapport/value/models.hpp>
#include <rapport/value/value.hpp>

#include "value/cdnow.hpp"
#include "value/model_kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using rapport::ModelData;
using rapport::ValueModel;
using rapport::ValueModelName;
using rapport::test::cdnow;
using rapport::test::in_weeks;

/// The (x, t_x, T) inputs of `d` (times in whatever unit the vectors hold).
ModelData rfm(const std::vector<double>& x, const std::vector<double>& t_x, const std::vector<double>& T) {
  ModelData data;
  data.x = x;
  data.t_x = t_x;
  data.T = T;
  return data;
}

/// Expects `fit` to round to `published` at the published digits (|difference| <= half a unit).
void expect_digits(double fit, double published, double half_unit, const char* what) {
  EXPECT_LE(std::abs(fit - published), half_unit * (1 + 1e-9))
      << what << ": fitted " << fit << ", published " << published;
}

}  // namespace

TEST(ValueModels, NamesRoundTrip) {
  for (ValueModelName m : {ValueModelName::bgnbd, ValueModelName::pareto_nbd, ValueModelName::mbgnbd,
                           ValueModelName::bgbb, ValueModelName::sbg, ValueModelName::gamma_gamma}) {
    EXPECT_EQ(rapport::parse_value_model(rapport::to_string(m)), m);
    EXPECT_EQ(&rapport::detail::kernel(m), &rapport::detail::kernel(m));
    EXPECT_EQ(rapport::detail::kernel(m).name, m);
  }
  EXPECT_EQ(rapport::to_string(ValueModelName::pareto_nbd), "pareto_nbd");
  EXPECT_FALSE(rapport::parse_value_model("BGNBD"));
  EXPECT_FALSE(rapport::parse_value_model("auto"));
  const auto names = rapport::param_names(ValueModelName::pareto_nbd);
  ASSERT_EQ(names.size(), 4U);
  EXPECT_EQ(names[2], "s");
  EXPECT_EQ(rapport::param_names(ValueModelName::gamma_gamma).size(), 3U);
  EXPECT_EQ(rapport::param_names(ValueModelName::sbg).size(), 2U);
  EXPECT_EQ(rapport::param_names(ValueModelName::bgbb)[3], "delta");
}

TEST(ValueModels, BgNbdThroughTheLayerEqualsTheOldFitBitForBit) {
  const auto& d = cdnow();
  const ModelData data = rfm(d.x, d.t_x, d.T);
  const ValueModel m = rapport::fit_value_model(ValueModelName::bgnbd, data);
  const rapport::BgNbdParams old = rapport::fit_bgnbd(d.x, d.t_x, d.T);
  ASSERT_EQ(m.params.size(), 4U);
  EXPECT_EQ(m.params[0], old.r);
  EXPECT_EQ(m.params[1], old.alpha);
  EXPECT_EQ(m.params[2], old.a);
  EXPECT_EQ(m.params[3], old.b);
  EXPECT_EQ(m.log_likelihood, old.log_likelihood);
  EXPECT_EQ(m.n, 2357.0);
  // AIC / BIC by definition, k = 4, n = 2357.
  EXPECT_DOUBLE_EQ(m.aic, 8 - 2 * old.log_likelihood);
  EXPECT_DOUBLE_EQ(m.bic, 4 * std::log(2357.0) - 2 * old.log_likelihood);
  // Predictions equal the per-customer functions bit for bit.
  std::vector<double> pa(d.x.size()), ex(d.x.size());
  rapport::p_alive(m, data, pa);
  rapport::expected_purchases(m, 365, data, ex);
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    EXPECT_EQ(pa[i], rapport::bgnbd_p_alive(old, d.x[i], d.t_x[i], d.T[i]));
    EXPECT_EQ(ex[i], rapport::bgnbd_expected_purchases(old, 365, d.x[i], d.t_x[i], d.T[i]));
  }
  // The layer's own likelihood sum agrees with the fit's to rounding.
  EXPECT_NEAR(rapport::log_likelihood(m, data), old.log_likelihood, 1e-9 * std::abs(old.log_likelihood));
}

TEST(ValueModels, BgNbdStandardErrorsFromTheAnalyticHessianMatchNumericOnes) {
  // With weights the kernel's fast fit steps aside and the generic optimiser with numeric
  // derivatives runs: the same optimum and the same standard errors to the difference steps.
  const auto& d = cdnow();
  const auto tx = in_weeks(d.t_x), T = in_weeks(d.T);
  ModelData data = rfm(d.x, tx, T);
  const ValueModel fast = rapport::fit_value_model(ValueModelName::bgnbd, data);
  const std::vector<double> ones(d.x.size(), 1.0);
  data.weights = ones;
  const ValueModel generic = rapport::fit_value_model(ValueModelName::bgnbd, data);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(generic.params[k], fast.params[k], 1e-6 * fast.params[k]) << k;
    EXPECT_NEAR(generic.std_errors[k], fast.std_errors[k], 1e-4 * fast.std_errors[k]) << k;
    EXPECT_GT(fast.std_errors[k], 0);
  }
  EXPECT_NEAR(generic.log_likelihood, fast.log_likelihood, 1e-8 * std::abs(fast.log_likelihood));
  // FHL 2005's published fit in weeks (r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4).
  expect_digits(fast.params[0], 0.243, 0.0005, "r");
  expect_digits(fast.params[1], 4.414, 0.0005, "alpha");
  expect_digits(fast.params[2], 0.793, 0.0005, "a");
  expect_digits(fast.params[3], 2.426, 0.0005, "b");
  expect_digits(fast.log_likelihood, -9582.4, 0.05, "LL");
  // Standard errors published by BTYDplus / CLVTools for bgnbd on CDNOW are checked in
  // pareto_nbd_test.cpp for Pareto/NBD; here: log-covariance is symmetric positive definite.
  ASSERT_EQ(fast.log_covariance.size(), 16U);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j)
      EXPECT_DOUBLE_EQ(fast.log_covariance[i * 4 + j], fast.log_covariance[j * 4 + i]);
}

TEST(ValueModels, GammaGammaThroughTheLayerEqualsTheOldFitBitForBit) {
  const auto& d = cdnow();
  ModelData data;
  data.x = d.x;
  data.m = d.m;
  const ValueModel m = rapport::fit_value_model(ValueModelName::gamma_gamma, data);
  const rapport::GammaGammaParams old = rapport::fit_gamma_gamma(d.x, d.m);
  EXPECT_EQ(m.params[0], old.p);
  EXPECT_EQ(m.params[1], old.q);
  EXPECT_EQ(m.params[2], old.gamma);
  EXPECT_EQ(m.log_likelihood, old.log_likelihood);
  EXPECT_EQ(m.n, 946.0);  // repeat buyers with spend (value_test: GammaGamma.CdnowMatchesPublishedFit)
  // The per-row density summed by the layer is the fit's likelihood.
  EXPECT_NEAR(rapport::log_likelihood(m, data), old.log_likelihood, 1e-9 * std::abs(old.log_likelihood));
  std::vector<double> spend(d.x.size());
  rapport::expected_spend(m, data, spend);
  for (std::size_t i = 0; i < d.x.size(); ++i)
    EXPECT_EQ(spend[i], rapport::gamma_gamma_expected_spend(old, d.x[i], d.m[i]));
  for (double se : m.std_errors) EXPECT_GT(se, 0);
  // Gamma-Gamma predicts spend, not purchases.
  EXPECT_THROW(rapport::p_alive(m, data, spend), rapport::InputError);
  EXPECT_THROW(rapport::expected_purchases_new(m, 1), rapport::InputError);
  EXPECT_THROW(rapport::survival(m, 1), rapport::InputError);
}

TEST(ValueModels, BgNbdPublishedCustomerPrediction) {
  // Fader, Hardie & Lee (2005), section 5: with r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
  // (weeks) a customer with x = 2, t_x = 30.43, T = 38.86 makes 1.226 purchases in the next 39 weeks.
  const ValueModel m =
      rapport::make_value_model(ValueModelName::bgnbd, std::vector<double>{0.243, 4.414, 0.793, 2.426});
  const std::vector<double> x{2}, tx{30.43}, T{38.86};
  std::vector<double> e(1);
  rapport::expected_purchases(m, 39, rfm(x, tx, T), e);
  expect_digits(e[0], 1.226, 0.0005, "E[Y(39) | 2, 30.43, 38.86]");
}

TEST(ValueModels, BgNbdNewCustomerPmfSumsToOneWithMeanEqualToExpectation) {
  const ValueModel m =
      rapport::make_value_model(ValueModelName::bgnbd, std::vector<double>{0.243, 4.414, 0.793, 2.426});
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
  // BTYD's bgnbd.pmf example with these parameters (BTYD.pdf; quoted by lifetimes,
  // tests/test_estimation.py, test_probability_of_n_purchases_up_to_time_same_as_R_BTYD):
  // P(X(2) = 10) = 1.07869e-07, and P(X(30) = 11..20) below.
  EXPECT_NEAR(rapport::probability_of_purchases_new(m, 2, 10), 1.07869e-07, 0.000005e-07);
  const double btyd_30[] = {0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                            0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260};
  for (unsigned k = 11; k <= 20; ++k)
    EXPECT_NEAR(rapport::probability_of_purchases_new(m, 30, k), btyd_30[k - 11], 0.5e-10) << k;
  // FHL 2005 eq. 7 at t = 39 weeks with the published parameters, by hand:
  // E[X(39)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))];
  // the pmf's mean above is an independent check of the same number.
  EXPECT_NEAR(rapport::probability_of_purchases_new(m, 0, 0), 1.0, 0);
}

TEST(ValueModels, MakeValueModelRejectsBadParameters) {
  EXPECT_THROW(rapport::make_value_model(ValueModelName::bgnbd, std::vector<double>{1, 2, 3}), rapport::ConfigError);
  EXPECT_THROW(rapport::make_value_model(ValueModelName::bgnbd, std::vector<double>{1, 2, 3, -1}),
               rapport::ConfigError);
  EXPECT_THROW(rapport::make_value_model(ValueModelName::pareto_nbd, std::vector<double>{1, NAN, 3, 1}),
               rapport::ConfigError);
  EXPECT_THROW(rapport::make_value_model(ValueModelName::gamma_gamma, std::vector<double>{1, 0.5, 3}),
               rapport::ConfigError);
  const ValueModel m = rapport::make_value_model(ValueModelName::gamma_gamma, std::vector<double>{1, 2, 3});
  EXPECT_TRUE(std::isnan(m.log_likelihood));
  EXPECT_TRUE(std::isnan(m.std_errors[0]));
}

TEST(ValueModels, BadInputIsRejectedNamingTheRow) {
  const std::vector<double> x{1, 2, 0}, tx{3, 5, 0}, T{4, 4, 7};
  try {
    rapport::fit_value_model(ValueModelName::bgnbd, rfm(x, tx, T));
    FAIL() << "t_x > T accepted";
  } catch (const rapport::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 1: column t_x"), std::string::npos) << e.what();
  }
  const std::vector<double> xn{1, -2, 0};
  EXPECT_THROW(rapport::fit_value_model(ValueModelName::bgnbd, rfm(xn, tx, T)), rapport::InputError);
  const std::vector<double> short_T{4, 4};
  EXPECT_THROW(rapport::fit_value_model(ValueModelName::bgnbd, rfm(x, tx, short_T)), rapport::InputError);
  const auto& d = cdnow();
  ModelData data = rfm(d.x, d.t_x, d.T);
  std::vector<double> w(d.x.size(), 1.0);
  w[17] = -1;
  data.weights = w;
  try {
    rapport::fit_value_model(ValueModelName::bgnbd, data);
    FAIL() << "negative weight accepted";
  } catch (const rapport::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 17: column weights"), std::string::npos) << e.what();
  }
  EXPECT_THROW(rapport::fit_value_model(ValueModelName::bgnbd, rfm(d.x, d.t_x, d.T), {}, -1.0), rapport::ConfigError);
  EXPECT_THROW(rapport::fit_value_model(ValueModelName::bgnbd, rfm(d.x, d.t_x, d.T), {}, NAN), rapport::ConfigError);
  // Too few customers is a FitError (min_customers = 10 by default).
  EXPECT_THROW(rapport::fit_value_model(ValueModelName::bgnbd, rfm(x, tx, {4, 5, 7})), rapport::FitError);
  // Output of the wrong length.
  const ValueModel m =
      rapport::make_value_model(ValueModelName::bgnbd, std::vector<double>{0.243, 4.414, 0.793, 2.426});
  std::vector<double> out(2);
  EXPECT_THROW(rapport::p_alive(m, rfm(x, {3, 4, 0}, T), out), rapport::InputError);
}

TEST(ValueModels, WeightsEqualRepeatedRows) {
  // Every CDNOW customer twice, against each customer once with weight 2: the same fit (generic
  // optimiser on both sides: the weighted data and the doubled data with weight 1).
  const auto& d = cdnow();
  const auto tx = in_weeks(d.t_x), T = in_weeks(d.T);
  std::vector<double> x2, tx2, T2;
  for (int rep = 0; rep < 2; ++rep) {
    x2.insert(x2.end(), d.x.begin(), d.x.end());
    tx2.insert(tx2.end(), tx.begin(), tx.end());
    T2.insert(T2.end(), T.begin(), T.end());
  }
  ModelData doubled = rfm(x2, tx2, T2);
  const std::vector<double> ones(x2.size(), 1.0), twos(d.x.size(), 2.0);
  doubled.weights = ones;
  ModelData weighted = rfm(d.x, tx, T);
  weighted.weights = twos;
  const ValueModel a = rapport::fit_value_model(ValueModelName::bgnbd, doubled);
  const ValueModel b = rapport::fit_value_model(ValueModelName::bgnbd, weighted);
  EXPECT_EQ(a.n, 4714.0);
  EXPECT_EQ(b.n, 4714.0);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(a.params[k], b.params[k], 1e-7 * a.params[k]);
    EXPECT_NEAR(a.std_errors[k], b.std_errors[k], 1e-4 * a.std_errors[k]);
  }
  EXPECT_NEAR(a.log_likelihood, b.log_likelihood, 1e-8 * std::abs(a.log_likelihood));
  // Twice the customers: the standard errors shrink by sqrt(2) against the single base.
  const ValueModel single = rapport::fit_value_model(ValueModelName::bgnbd, rfm(d.x, tx, T));
  for (std::size_t k = 0; k < 4; ++k)
    EXPECT_NEAR(b.std_errors[k] * std::sqrt(2.0), single.std_errors[k], 1e-4 * single.std_errors[k]);
}

TEST(ValueModels, PenalizerShrinksLogParametersTowardsZero) {
  const auto& d = cdnow();
  const auto tx = in_weeks(d.t_x), T = in_weeks(d.T);
  const ModelData data = rfm(d.x, tx, T);
  const ValueModel free = rapport::fit_value_model(ValueModelName::bgnbd, data);
  double previous = 0;
  for (std::size_t k = 0; k < 4; ++k) previous += std::log(free.params[k]) * std::log(free.params[k]);
  for (double pen : {1.0, 10.0, 100.0, 10000.0}) {
    const ValueModel m = rapport::fit_value_model(ValueModelName::bgnbd, data, {}, pen);
    EXPECT_EQ(m.penalizer, pen);
    double norm = 0;
    for (std::size_t k = 0; k < 4; ++k) norm += std::log(m.params[k]) * std::log(m.params[k]);
    EXPECT_LT(norm, previous) << pen;                  // Σθ² strictly decreases with the penalty
    EXPECT_LT(m.log_likelihood, free.log_likelihood);  // and the unpenalised LL drops
    EXPECT_NEAR(m.log_likelihood, rapport::log_likelihood(m, data), 1e-9 * std::abs(m.log_likelihood));
    previous = norm;
  }
}

TEST(ValueModels, DiscountedExpectationByPartsMatchesDirectIntegral) {
  // For a new customer (x = t_x = T = 0) under BG/NBD, E(s) is smooth; the discounted count
  // ∫ e^(-δs) dE(s) by parts against a fine midpoint sum of e^(-δs) (E(s+h) − E(s)).
  const ValueModel m =
      rapport::make_value_model(ValueModelName::bgnbd, std::vector<double>{0.243, 4.414, 0.793, 2.426});
  const std::vector<double> x{0, 2, 5}, tx{0, 30.43, 20}, T{0, 38.86, 38};
  const ModelData data = rfm(x, tx, T);
  std::vector<double> disc(3), plain(3), check(3);
  const double t = 52, rate = 0.1 / 52;
  rapport::discounted_expected_purchases(m, t, rate, data, disc);
  rapport::expected_purchases(m, t, data, plain);
  const int steps = 20000;
  for (std::size_t i = 0; i < 3; ++i) {
    double sum = 0, prev = 0;
    for (int j = 1; j <= steps; ++j) {
      const double s = t * j / steps;
      std::vector<double> e(3);
      rapport::expected_purchases(m, s, data, e);
      sum += std::exp(-rate * (s - 0.5 * t / steps)) * (e[i] - prev);
      prev = e[i];
    }
    EXPECT_NEAR(disc[i], sum, 1e-7 * sum) << i;
    EXPECT_LT(disc[i], plain[i]);
  }
  rapport::discounted_expected_purchases(m, t, 0.0, data, check);
  EXPECT_EQ(check, plain);
}

// Every fit checks its FitOptions first, whatever the caller (the value area declares the check;
// the settings registry defines it): max_iterations 0 and a tolerance of 0 are out of their
// domains ([1, 100000] and (0, 1]), so each fit throws ConfigError naming the option before
// looking at the data.
TEST(ValueModels, EveryFitChecksItsOptions) {
  const std::vector<double> x{0, 1, 2}, t_x{0, 5, 9}, T{10, 10, 10}, m{0, 20, 30};
  rapport::FitOptions no_iterations;
  no_iterations.max_iterations = 0;
  rapport::FitOptions no_tolerance;
  no_tolerance.gradient_tolerance = 0;
  rapport::ModelData data;
  data.x = x;
  data.t_x = t_x;
  data.T = T;
  for (const auto& bad : {no_iterations, no_tolerance}) {
    const std::string name = bad.max_iterations == 0 ? "fit.max_iterations" : "fit.gradient_tolerance";
    try {
      rapport::fit_value_model(rapport::ValueModelName::pareto_nbd, data, bad);
      FAIL() << "fit_value_model accepted bad " << name;
    } catch (const rapport::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
    EXPECT_THROW(rapport::fit_bgnbd(x, t_x, T, bad), rapport::ConfigError);
    EXPECT_THROW(rapport::fit_gamma_gamma(x, m, bad), rapport::ConfigError);
  }
}
