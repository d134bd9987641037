// Tests of the shifted-beta-geometric model (Fader & Hardie 2007; src/value/sbg.cpp).
#include <rapport/error.hpp>
#include <rapport/value/models.hpp>

#include "value/model_kernels.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace {

using rapport::ModelData;
using rapport::detail::sbg_kernel;

/// S(t) through the kernel.
double sbg_survival(const std::vector<double>& p, double t) { return sbg_kernel().survival(p, t); }

/// sBG inputs over the given spans (the other models' spans empty).
ModelData sbg_data(std::span<const double> periods, std::span<const std::uint8_t> ended,
                   std::span<const double> weights = {}) {
  ModelData d;
  d.periods = periods;
  d.ended = ended;
  d.weights = weights;
  return d;
}

/// The two retention curves of Fader & Hardie (2007) (tests/data/value-models/retention-curves.csv):
/// % of 1,000 customers still active after each year 0-12, "regular" and "high end".
struct Curves {
  std::vector<double> regular, high_end;
};

const Curves& curves() {
  static const Curves c = [] {
    const std::string path = std::string(RAPPORT_TEST_DATA) + "/value-models/retention-curves.csv";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    Curves out;
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "year,regular_pct_surviving,high_end_pct_surviving");
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      double year = 0, r = 0, h = 0;
      char comma = 0;
      ls >> year >> comma >> r >> comma >> h;
      EXPECT_EQ(year, static_cast<double>(out.regular.size()));
      out.regular.push_back(r);
      out.high_end.push_back(h);
    }
    return out;
  }();
  return c;
}

/// The calibration years 0-7 of a curve as weighted rows, the cohort of 1,000 customers:
/// survivors n_t = 10 × pct; n_(t-1) - n_t contracts ended in year t, after t - 1 whole years
/// (periods = t - 1, ended = 1); the n_7 still active completed 7 (periods = 7, ended = 0).
struct Rows {
  std::vector<double> periods, weights;
  std::vector<std::uint8_t> ended;
  ModelData data() const { return sbg_data(periods, ended, weights); }
};

Rows calibration(const std::vector<double>& pct) {
  Rows r;
  for (int t = 1; t <= 7; ++t) {
    r.periods.push_back(t - 1);
    r.ended.push_back(1);
    r.weights.push_back(std::round(10 * pct[t - 1]) - std::round(10 * pct[t]));
  }
  r.periods.push_back(7);
  r.ended.push_back(0);
  r.weights.push_back(std::round(10 * pct[7]));
  return r;
}

double total_ll(const std::vector<double>& p, const Rows& r) {
  const ModelData d = r.data();
  double sum = 0;
  for (std::size_t i = 0; i < r.periods.size(); ++i) sum += r.weights[i] * sbg_kernel().row_log_likelihood(p, d, i);
  return sum;
}

TEST(Sbg, CalibrationRowsCountTheCohort) {
  for (const auto* pct : {&curves().regular, &curves().high_end}) {
    ASSERT_EQ(pct->size(), 13u);
    const Rows r = calibration(*pct);
    double total = 0;
    for (const double w : r.weights) total += w;
    EXPECT_EQ(total, 1000);
    EXPECT_EQ(sbg_kernel().validate(r.data()), 8u);
  }
  // Regular: 1000 - 631 = 369 customers lost in year 1 (63.1 % still active after year 1).
  EXPECT_EQ(calibration(curves().regular).weights[0], 369);
}

// Log-likelihood at the published estimates (Fader & Hardie 2007: regular
// α = 0.704, β = 1.182, LL = -1,680.3; high end α = 0.668, β = 3.806, LL = -1,611.2).
TEST(Sbg, LogLikelihoodAtPublishedEstimates) {
  EXPECT_NEAR(total_ll({0.704, 1.182}, calibration(curves().regular)), -1680.3, 0.05);
  EXPECT_NEAR(total_ll({0.668, 3.806}, calibration(curves().high_end)), -1611.2, 0.05);
}

/// Expects `fit` to round to `published` at the published digits (|difference| <= half a unit).
void expect_digits(double fit, double published, double half_unit, const char* what) {
  EXPECT_LE(std::abs(fit - published), half_unit * (1 + 1e-9))
      << what << ": fitted " << fit << ", published " << published;
}

// The published fits, by maximum likelihood from the curves' years 0-7 (Fader & Hardie 2007):
// regular α = 0.704, β = 1.182, LL = -1,680.3; high end α = 0.668, β = 3.806, LL = -1,611.2.
TEST(Sbg, PublishedFitsReproduced) {
  struct Case {
    const std::vector<double>* pct;
    double alpha, beta, ll;
  };
  for (const Case& c :
       {Case{&curves().regular, 0.704, 1.182, -1680.3}, Case{&curves().high_end, 0.668, 3.806, -1611.2}}) {
    const Rows rows = calibration(*c.pct);
    const rapport::ValueModel m = rapport::fit_value_model(rapport::ValueModelName::sbg, rows.data());
    ASSERT_EQ(m.params.size(), 2u);
    expect_digits(m.params[0], c.alpha, 5e-4, "alpha");
    expect_digits(m.params[1], c.beta, 5e-4, "beta");
    expect_digits(m.log_likelihood, c.ll, 0.05, "log-likelihood");
    EXPECT_EQ(m.n, 1000);
    EXPECT_DOUBLE_EQ(m.aic, 4 - 2 * m.log_likelihood);
    EXPECT_DOUBLE_EQ(m.bic, 2 * std::log(1000.0) - 2 * m.log_likelihood);
    // At the optimum: the log-likelihood through the public API is the fit's, and moving either
    // parameter by 1 % lowers it.
    EXPECT_NEAR(rapport::log_likelihood(m, rows.data()), m.log_likelihood, 1e-9);
    for (std::size_t i = 0; i < 2; ++i)
      for (const double f : {0.99, 1.01}) {
        rapport::ValueModel moved = m;
        moved.params[i] *= f;
        EXPECT_LT(rapport::log_likelihood(moved, rows.data()), m.log_likelihood);
      }
    for (const double se : m.std_errors) {
      EXPECT_TRUE(std::isfinite(se));
      EXPECT_GT(se, 0);
    }
    // The same fit from one row per customer (no weights).
    Rows flat;
    for (std::size_t i = 0; i < rows.periods.size(); ++i)
      for (double w = 0; w < rows.weights[i]; ++w) {
        flat.periods.push_back(rows.periods[i]);
        flat.ended.push_back(rows.ended[i]);
      }
    const rapport::ValueModel f = rapport::fit_value_model(rapport::ValueModelName::sbg, flat.data());
    EXPECT_NEAR(f.params[0], m.params[0], 1e-6 * m.params[0]);
    EXPECT_NEAR(f.params[1], m.params[1], 1e-6 * m.params[1]);
    EXPECT_NEAR(f.log_likelihood, m.log_likelihood, 1e-7);
    // survival() of the public API is the kernel's.
    EXPECT_EQ(rapport::survival(m, 5), sbg_survival(m.params, 5));
  }
}

// Predictions through the public API: renewals over the next 5 years for a customer active after
// 7 (row 7) equal S(8..12)/S(7) summed; the ones who left get 0 and p_alive 0.
TEST(Sbg, PredictionsThroughTheApi) {
  const std::vector<double> p = {0.704, 1.182};
  const rapport::ValueModel m = rapport::make_value_model(rapport::ValueModelName::sbg, p);
  const Rows rows = calibration(curves().regular);
  std::vector<double> alive(rows.periods.size()), renewals(rows.periods.size()), derl(rows.periods.size());
  rapport::p_alive(m, rows.data(), alive);
  rapport::expected_purchases(m, 5, rows.data(), renewals);
  rapport::discounted_expected_purchases(m, 5, 0.1, rows.data(), derl);
  double want = 0;
  for (int k = 8; k <= 12; ++k) want += sbg_survival(p, k) / sbg_survival(p, 7);
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(alive[i], 0.0);
    EXPECT_EQ(renewals[i], 0.0);
    EXPECT_EQ(derl[i], 0.0);
  }
  EXPECT_EQ(alive[7], 1.0);
  EXPECT_NEAR(renewals[7], want, 1e-14);
  double discounted = 0;
  for (int k = 1; k <= 5; ++k) discounted += std::exp(-0.1 * k) * sbg_survival(p, 7 + k) / sbg_survival(p, 7);
  EXPECT_NEAR(derl[7], discounted, 1e-14);
  EXPECT_NEAR(rapport::expected_purchases_new(m, 3), sbg_survival(p, 1) + sbg_survival(p, 2) + sbg_survival(p, 3),
              1e-15);
  EXPECT_NEAR(rapport::probability_of_purchases_new(m, 3, 0), 1 - sbg_survival(p, 1), 1e-15);
  // Bad rows through fit_value_model name the row.
  Rows bad = rows;
  bad.periods[3] = -2;
  EXPECT_THROW(
      {
        try {
          rapport::fit_value_model(rapport::ValueModelName::sbg, bad.data());
        } catch (const rapport::InputError& e) {
          EXPECT_EQ(std::string(e.what()), "sbg: row 3: column periods: -2 is not a whole number >= 0");
          throw;
        }
      },
      rapport::InputError);
}

// The fit's fast path (identical histories merged, analytic gradient in log-parameters) equals the
// row-by-row sum, and its gradient central differences of that sum.
TEST(Sbg, FastPathMatchesRowsAndNumericGradient) {
  const Rows rows = calibration(curves().high_end);
  const ModelData data = rows.data();
  const auto rows_total = [&](double la, double lb) {
    const std::vector<double> p = {std::exp(la), std::exp(lb)};
    double sum = 0;
    for (std::size_t i = 0; i < rows.periods.size(); ++i)
      sum += rows.weights[i] * sbg_kernel().row_log_likelihood(p, data, i);
    return sum;
  };
  for (const auto& p : std::vector<std::array<double, 2>>{{0.668, 3.806}, {0.01, 0.02}, {4e7, 9e7}}) {
    const std::vector<double> theta = {std::log(p[0]), std::log(p[1])};
    std::vector<double> grad(2);
    const double fast = sbg_kernel().total_log_likelihood(theta, data, grad);
    EXPECT_NEAR(fast, rows_total(theta[0], theta[1]), 1e-12 * std::abs(fast));
    const double h = 1e-5;
    const double da = (rows_total(theta[0] + h, theta[1]) - rows_total(theta[0] - h, theta[1])) / (2 * h);
    const double db = (rows_total(theta[0], theta[1] + h) - rows_total(theta[0], theta[1] - h)) / (2 * h);
    EXPECT_NEAR(grad[0], da, 1e-5 * std::max(1.0, std::abs(da))) << p[0];
    EXPECT_NEAR(grad[1], db, 1e-5 * std::max(1.0, std::abs(db))) << p[0];
  }
}

// Round trip: 100,000 contracts simulated from the published high-end estimates (θ ~ Beta(α, β),
// renewing with probability 1 - θ at the end of each period, observed for U{1..12} periods) give
// α and β back within 4 of their own standard errors.
TEST(Sbg, SimulatedContractsGiveTheParametersBack) {
  const std::vector<double> truth = {0.668, 3.806};
  std::mt19937_64 rng(11);
  std::gamma_distribution<double> ga(truth[0], 1.0), gb(truth[1], 1.0);
  std::uniform_int_distribution<int> seen(1, 12);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> periods;
  std::vector<std::uint8_t> ended;
  for (int i = 0; i < 100000; ++i) {
    const double a = ga(rng), theta = a / (a + gb(rng));
    const int observed = seen(rng);
    int completed = 0;
    while (completed < observed && u(rng) >= theta) ++completed;
    periods.push_back(completed);
    ended.push_back(completed < observed ? 1 : 0);
  }
  const rapport::ValueModel m = rapport::fit_value_model(rapport::ValueModelName::sbg, sbg_data(periods, ended));
  for (std::size_t j = 0; j < 2; ++j) {
    ASSERT_TRUE(std::isfinite(m.std_errors[j]));
    EXPECT_NEAR(m.params[j], truth[j], 4 * m.std_errors[j]) << j;
  }
}

// α = β = 1, θ uniform:
//   P(T = 1) = E[θ] = 1/2, P(T = 2) = E[θ(1-θ)] = 1/6, S(t) = E[(1-θ)^t] = 1/(t+1),
//   retention r(t) = S(t)/S(t-1) = t/(t+1).
TEST(Sbg, HandCaseUniformChurn) {
  const std::vector<double> p = {1, 1};
  const std::vector<double> periods = {0, 1, 2};
  const std::vector<std::uint8_t> ended = {1, 1, 0};
  const ModelData d = sbg_data(periods, ended);
  EXPECT_NEAR(std::exp(sbg_kernel().row_log_likelihood(p, d, 0)), 0.5, 1e-15);
  EXPECT_NEAR(std::exp(sbg_kernel().row_log_likelihood(p, d, 1)), 1.0 / 6, 1e-15);
  EXPECT_NEAR(std::exp(sbg_kernel().row_log_likelihood(p, d, 2)), 1.0 / 3, 1e-15);
  for (int t = 0; t <= 5; ++t) EXPECT_NEAR(sbg_survival(p, t), 1.0 / (t + 1), 1e-15);
  EXPECT_NEAR(sbg_survival(p, 2.5), 1.0 / 3, 1e-15);  // T is whole: S(2.5) = P(T > 2.5) = S(2)
  EXPECT_NEAR(sbg_survival(p, 4) / sbg_survival(p, 3), 4.0 / 5, 1e-15);
  EXPECT_EQ(sbg_survival(p, std::numeric_limits<double>::infinity()), 0.0);
}

// α = β = 1. A new customer's renewals in 3 years: S(1) + S(2) + S(3) = 1/2 + 1/3 + 1/4 = 13/12.
// A customer active after 1 year (row 0), over the next 2: S(2)/S(1) + S(3)/S(1) = 2/3 + 1/2 = 7/6;
// discounted by 1/2 a year: 1/2 · 2/3 + 1/4 · 1/2 = 11/24. One whose contract ended (row 1): 0.
TEST(Sbg, HandCaseRenewals) {
  const std::vector<double> p = {1, 1};
  const std::vector<double> periods = {1, 1};
  const std::vector<std::uint8_t> ended = {0, 1};
  const ModelData d = sbg_data(periods, ended);
  const auto& k = sbg_kernel();
  EXPECT_NEAR(k.expected_new(p, 3), 13.0 / 12, 1e-15);
  EXPECT_NEAR(k.expected(p, 2, d, 0), 7.0 / 6, 1e-15);
  EXPECT_NEAR(k.discounted_expected(p, 2, std::log(2.0), d, 0), 11.0 / 24, 1e-15);
  EXPECT_EQ(k.p_alive(p, d, 0), 1.0);
  EXPECT_EQ(k.p_alive(p, d, 1), 0.0);
  EXPECT_EQ(k.expected(p, 2, d, 1), 0.0);
  EXPECT_EQ(k.discounted_expected(p, 2, 0.1, d, 1), 0.0);
}

// Discounted expected residual lifetime, unbounded horizon (Fader & Hardie 2010, eq. 6 form):
// with α = 2, β = 1 and a customer active after t = 0 periods, S(k) = 2/((k+1)(k+2)) and
// Σ_{k>=1} q^k S(k) = 2[(L - q)/q - (L - q - q²/2)/q²], L = -ln(1-q), q = e^(-rate).
// Undiscounted it is z/(a-1) = β/(α-1) = 1; with α <= 1 the expected lifetime is unbounded.
TEST(Sbg, DiscountedResidualLifetime) {
  const std::vector<double> p = {2, 1};
  const std::vector<double> periods = {0};
  const std::vector<std::uint8_t> ended = {0};
  const ModelData d = sbg_data(periods, ended);
  const double inf = std::numeric_limits<double>::infinity();
  const double rate = 0.1, q = std::exp(-rate), l = -std::log1p(-q);
  const double want = 2 * ((l - q) / q - (l - q - q * q / 2) / (q * q));
  EXPECT_NEAR(sbg_kernel().discounted_expected(p, inf, rate, d, 0), want, 1e-14);
  EXPECT_NEAR(sbg_kernel().expected(p, inf, d, 0), 1.0, 1e-15);
  const std::vector<double> regular = {0.704, 1.182};
  EXPECT_TRUE(std::isinf(sbg_kernel().expected(regular, inf, d, 0)));
}

// P(renewals in the first t periods = k) sums to 1 with mean E[renewals], and the last mass is S(t).
TEST(Sbg, PmfSumsToOneWithMeanExpected) {
  for (const auto& p : std::vector<std::vector<double>>{{0.704, 1.182}, {0.668, 3.806}, {1e-3, 2e-3}, {1e9, 3e9}}) {
    for (const double t : {0.0, 1.0, 7.0, 12.0, 500.0}) {
      double total = 0, mean = 0;
      for (unsigned k = 0; k <= t; ++k) {
        const double pr = sbg_kernel().pmf_new(p, t, k);
        total += pr;
        mean += k * pr;
      }
      EXPECT_NEAR(total, 1.0, 1e-12) << "t=" << t << " alpha=" << p[0];
      EXPECT_NEAR(mean, sbg_kernel().expected_new(p, t), 1e-11 * std::max(1.0, mean)) << "t=" << t;
      EXPECT_NEAR(sbg_kernel().pmf_new(p, t, static_cast<unsigned>(t)), sbg_survival(p, t), 1e-15);
      EXPECT_EQ(sbg_kernel().pmf_new(p, t, static_cast<unsigned>(t) + 1), 0.0);
    }
  }
}

// Projection: survival for years 8-12 at the published estimates, against the published curves
// (Fader & Hardie 2007: the model calibrated on years 0-7 tracks the actual curves of years 8-12). The model's figures
// follow from S(t) = Π_{k=1..t} (β+k-1)/(α+β+k-1), summed here independently; the tolerance is the gap the paper shows
// (regular within 0.4 points, high end within 1.7 points, the model below the actual curve in both).
TEST(Sbg, ProjectedRetentionYears8To12) {
  struct Case {
    std::vector<double> p;
    const std::vector<double>* pct;
    double gap;
  };
  for (const Case& c : {Case{{0.704, 1.182}, &curves().regular, 0.4}, Case{{0.668, 3.806}, &curves().high_end, 1.7}}) {
    double s = 1;
    for (int t = 1; t <= 12; ++t) {
      s *= (c.p[1] + t - 1) / (c.p[0] + c.p[1] + t - 1);
      EXPECT_NEAR(sbg_survival(c.p, t), s, 1e-14);
      if (t >= 8) {
        EXPECT_LT(100 * s, (*c.pct)[t]) << "year " << t;
        EXPECT_GT(100 * s, (*c.pct)[t] - c.gap) << "year " << t;
      }
    }
  }
}

std::string rejection(double periods, std::uint8_t ended) {
  const std::vector<double> ps = {3, periods};
  const std::vector<std::uint8_t> es = {0, ended};
  try {
    sbg_kernel().validate(sbg_data(ps, es));
  } catch (const rapport::InputError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Sbg, BadRowsRejectedNamingTheRow) {
  EXPECT_EQ(rejection(-1, 0), "sbg: row 1: column periods: -1 is not a whole number >= 0");
  EXPECT_EQ(rejection(2.5, 1), "sbg: row 1: column periods: 2.5 is not a whole number >= 0");
  EXPECT_EQ(rejection(INFINITY, 1), "sbg: row 1: column periods: inf is not a whole number >= 0");
  EXPECT_EQ(rejection(2, 2), "sbg: row 1: column ended: 2 is neither 0 (active) nor 1 (ended)");
  EXPECT_EQ(rejection(0, 1), "accepted");
  const std::vector<double> ps = {1, 2};
  const std::vector<std::uint8_t> es = {0};
  EXPECT_THROW(sbg_kernel().validate(sbg_data(ps, es)), rapport::InputError);
}

}  // namespace
