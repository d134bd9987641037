// Tests of the BG/BB model (Fader, Hardie & Shang 2010; src/value/bgbb.cpp).
#include <rapport/error.hpp>
#include <rapport/value/models.hpp>

#include "value/model_kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace {

using rapport::ModelData;
using rapport::detail::bgbb_kernel;

/// BG/BB inputs over the given spans (the other models' spans empty).
ModelData bgbb_data(std::span<const double> x, std::span<const double> t_x, std::span<const double> n,
                    std::span<const double> weights = {}) {
  ModelData d;
  d.x = x;
  d.t_x = t_x;
  d.n = n;
  d.weights = weights;
  return d;
}

/// The donations table (tests/data/value-models/donations.csv): 11,104 first-time donors of 1995,
/// x = years with a donation among the 6 opportunities 1996-2001, t_x = the last such year's index,
/// n = 6; one row per pattern with its count of donors.
struct Table {
  std::vector<double> x, t_x, n, weights;
  ModelData data() const { return bgbb_data(x, t_x, n, weights); }
};

const Table& donations() {
  static const Table table = [] {
    const std::string path = std::string(RAPPORT_TEST_DATA) + "/value-models/donations.csv";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    Table t;
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "frequency,recency,periods,weights");
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      double v[4];
      char comma = 0;
      ls >> v[0] >> comma >> v[1] >> comma >> v[2] >> comma >> v[3];
      t.x.push_back(v[0]);
      t.t_x.push_back(v[1]);
      t.n.push_back(v[2]);
      t.weights.push_back(v[3]);
    }
    return t;
  }();
  return table;
}

/// One customer (x, t_x, n) as ModelData over the given storage.
struct One {
  double x, t_x, n;
  ModelData data() const { return bgbb_data({&x, 1}, {&t_x, 1}, {&n, 1}); }
};

double row_ll(std::vector<double> p, One c) { return bgbb_kernel().row_log_likelihood(p, c.data(), 0); }

double total_ll(const std::vector<double>& p, const Table& t) {
  const ModelData d = t.data();
  double sum = 0;
  for (std::size_t i = 0; i < t.x.size(); ++i) sum += t.weights[i] * bgbb_kernel().row_log_likelihood(p, d, i);
  return sum;
}

// The table as published: 22 patterns, the 11,104 first-time donors of 1995 (Fader, Hardie & Shang
// 2010), 3,464 of whom never donated again in 1996-2001.
TEST(Bgbb, DonationsTableShape) {
  const Table& t = donations();
  ASSERT_EQ(t.x.size(), 22u);
  double donors = 0;
  for (const double w : t.weights) donors += w;
  EXPECT_EQ(donors, 11104);
  EXPECT_EQ(t.weights[0], 3464);
  EXPECT_EQ(bgbb_kernel().validate(t.data()), 22u);
}

// Log-likelihood at the published estimates. α = 1.2035, β = 0.7497, γ = 0.6567, δ = 2.7834 are
// the four-digit MLEs that pymc-marketing's tests/clv/models/test_beta_geo_beta_binom.py
// (Apache-2.0) checks lifetimes' BetaGeoBetaBinomFitter against; LL = -33,225.6 is Fader, Hardie &
// Shang (2010).
TEST(Bgbb, DonationsLogLikelihoodAtPublishedEstimates) {
  const double ll = total_ll({1.2035, 0.7497, 0.6567, 2.7834}, donations());
  EXPECT_NEAR(ll, -33225.6, 0.05);
}

/// Expects `fit` to round to `published` at the published digits (|difference| <= half a unit).
void expect_digits(double fit, double published, double half_unit, const char* what) {
  EXPECT_LE(std::abs(fit - published), half_unit * (1 + 1e-9))
      << what << ": fitted " << fit << ", published " << published;
}

const rapport::ValueModel& donations_fit() {
  static const rapport::ValueModel m = rapport::fit_value_model(rapport::ValueModelName::bgbb, donations().data());
  return m;
}

// The published fit, by maximum likelihood from the table (Fader, Hardie & Shang 2010:
// α = 1.204, β = 0.750, γ = 0.657, δ = 2.783, LL = -33,225.6).
TEST(Bgbb, DonationsPublishedFitReproduced) {
  const rapport::ValueModel& m = donations_fit();
  ASSERT_EQ(m.params.size(), 4u);
  expect_digits(m.params[0], 1.204, 5e-4, "alpha");
  expect_digits(m.params[1], 0.750, 5e-4, "beta");
  expect_digits(m.params[2], 0.657, 5e-4, "gamma");
  expect_digits(m.params[3], 2.783, 5e-4, "delta");
  expect_digits(m.log_likelihood, -33225.6, 0.05, "log-likelihood");
  EXPECT_EQ(m.n, 11104);
  EXPECT_DOUBLE_EQ(m.aic, 8 - 2 * m.log_likelihood);
  EXPECT_DOUBLE_EQ(m.bic, 4 * std::log(11104.0) - 2 * m.log_likelihood);
  EXPECT_NEAR(rapport::log_likelihood(m, donations().data()), m.log_likelihood, 1e-8);
  // An optimum: moving any parameter by 1 % lowers the likelihood.
  for (std::size_t i = 0; i < 4; ++i)
    for (const double f : {0.99, 1.01}) {
      rapport::ValueModel moved = m;
      moved.params[i] *= f;
      EXPECT_LT(rapport::log_likelihood(moved, donations().data()), m.log_likelihood) << i;
    }
  for (const double se : m.std_errors) {
    EXPECT_TRUE(std::isfinite(se));
    EXPECT_GT(se, 0);
  }
}

// The L2 penalty on the log-parameters pulls them towards 0 (parameters towards 1): the penalised
// optimum has the smaller Σ(log θ)² and the lower likelihood.
TEST(Bgbb, PenaltyShrinksTheLogParameters) {
  const rapport::ValueModel& free = donations_fit();
  const rapport::ValueModel tied =
      rapport::fit_value_model(rapport::ValueModelName::bgbb, donations().data(), rapport::FitOptions{}, 2000);
  const auto norm = [](const rapport::ValueModel& m) {
    double sum = 0;
    for (const double v : m.params) sum += std::log(v) * std::log(v);
    return sum;
  };
  EXPECT_LT(norm(tied), norm(free));
  EXPECT_LT(tied.log_likelihood, free.log_likelihood);
  EXPECT_EQ(tied.penalizer, 2000);
}

// A new donor's E[X(n)], n = 1..11, at the fitted (unrounded) estimates: Hardie's BG/BB
// spreadsheet (brucehardie.com/notes/010, sheet "Tracking Plot", cells B7:B17, as quoted by
// pymc-marketing's tests/clv/models/test_beta_geo_beta_binom.py), to its four decimals.
TEST(Bgbb, FittedExpectedNewCustomerToFourDecimals) {
  const double published[] = {0.4985, 0.9233, 1.2969, 1.6323, 1.9381, 2.2202, 2.4826, 2.7285, 2.9603, 3.1798, 3.3887};
  for (int n = 1; n <= 11; ++n)
    expect_digits(rapport::expected_purchases_new(donations_fit(), n), published[n - 1], 5e-5, "E[X(n)]");
}

// Predictions through the public API agree with the kernel, row by row, and over 2002-2006 the
// fitted model expects the donors of every pattern to give, in total, what the kernel sums.
TEST(Bgbb, PredictionsThroughTheApi) {
  const rapport::ValueModel& m = donations_fit();
  const Table& t = donations();
  const ModelData data = t.data();
  std::vector<double> alive(t.x.size()), next5(t.x.size()), disc(t.x.size());
  rapport::p_alive(m, data, alive);
  rapport::expected_purchases(m, 5, data, next5);
  rapport::discounted_expected_purchases(m, 5, 0.1, data, disc);
  for (std::size_t i = 0; i < t.x.size(); ++i) {
    EXPECT_EQ(alive[i], bgbb_kernel().p_alive(m.params, data, i));
    EXPECT_EQ(next5[i], bgbb_kernel().expected(m.params, 5, data, i));
    EXPECT_GT(next5[i], disc[i]);
    EXPECT_GT(disc[i], std::exp(-0.5) * next5[i]);  // every weight is at least e^(-0.1·5)
  }
  // Bad rows through fit_value_model name the row.
  Table bad = t;
  bad.x[4] = 9;
  try {
    rapport::fit_value_model(rapport::ValueModelName::bgbb, bad.data());
    ADD_FAILURE() << "accepted x > n";
  } catch (const rapport::InputError& e) {
    EXPECT_EQ(std::string(e.what()), "bgbb: row 4: column x: 9 exceeds n = 6");
  }
}

// The fit's fast path (identical histories merged, analytic gradient in log-parameters) equals the
// row-by-row sum, and its gradient central differences of that sum, on the donations and on a
// history long enough to stop its sum early, at shapes small, published and large.
TEST(Bgbb, FastPathMatchesRowsAndNumericGradient) {
  const Table& t = donations();
  std::vector<double> x = t.x, t_x = t.t_x, n = t.n, w = t.weights;
  x.push_back(3), t_x.push_back(9), n.push_back(400), w.push_back(7);
  x.push_back(3), t_x.push_back(9), n.push_back(400), w.push_back(2);  // merged with the one above
  std::vector<double> x2 = x, t_x2 = t_x, n2 = n, w2 = w;
  // Over 2^20 possible histories: merged by hashing instead of a dense table.
  x2.push_back(1), t_x2.push_back(1), n2.push_back(1500000), w2.push_back(1);
  for (const bool hashed : {false, true}) {
    const ModelData data = hashed ? bgbb_data(x2, t_x2, n2, w2) : bgbb_data(x, t_x, n, w);
    const auto rows_total = [&](const std::vector<double>& theta) {
      std::vector<double> p(4);
      for (std::size_t j = 0; j < 4; ++j) p[j] = std::exp(theta[j]);
      double sum = 0;
      for (std::size_t i = 0; i < data.x.size(); ++i)
        sum += data.weights[i] * bgbb_kernel().row_log_likelihood(p, data, i);
      return sum;
    };
    for (const std::vector<double>& p :
         std::vector<std::vector<double>>{{1.204, 0.750, 0.657, 2.783}, {0.05, 0.2, 0.01, 0.3}, {3e6, 1e6, 2e5, 9e5}}) {
      std::vector<double> theta(4), grad(4);
      for (std::size_t j = 0; j < 4; ++j) theta[j] = std::log(p[j]);
      const double fast = bgbb_kernel().total_log_likelihood(theta, data, grad);
      const double slow = rows_total(theta);
      EXPECT_NEAR(fast, slow, 1e-12 * std::abs(slow));
      for (std::size_t j = 0; j < 4; ++j) {
        const double h = 1e-5;
        std::vector<double> up = theta, down = theta;
        up[j] += h;
        down[j] -= h;
        const double numeric = (rows_total(up) - rows_total(down)) / (2 * h);
        EXPECT_NEAR(grad[j], numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << "alpha=" << p[0] << " j=" << j;
      }
    }
  }
}

// Round trip: 200,000 donors simulated from the published estimates (p ~ Beta(α, β),
// θ ~ Beta(γ, δ), n ~ U{1..12}; dead before an opportunity with probability θ, buying while alive
// with probability p) give the estimates back, each within 4 of its own standard errors.
TEST(Bgbb, SimulatedDonorsGiveTheParametersBack) {
  const std::vector<double> truth = {1.204, 0.750, 0.657, 2.783};
  std::mt19937_64 rng(7);
  const auto beta_draw = [&](double a, double b) {
    std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
    const double u = ga(rng);
    return u / (u + gb(rng));
  };
  std::uniform_int_distribution<int> n_dist(1, 12);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x, t_x, n;
  for (int i = 0; i < 200000; ++i) {
    const double p = beta_draw(truth[0], truth[1]), theta = beta_draw(truth[2], truth[3]);
    const int opportunities = n_dist(rng);
    double bought = 0, last = 0;
    for (int k = 1; k <= opportunities; ++k) {
      if (u(rng) < theta) break;
      if (u(rng) < p) {
        ++bought;
        last = k;
      }
    }
    x.push_back(bought);
    t_x.push_back(last);
    n.push_back(opportunities);
  }
  const rapport::ValueModel m = rapport::fit_value_model(rapport::ValueModelName::bgbb, bgbb_data(x, t_x, n));
  for (std::size_t j = 0; j < 4; ++j) {
    ASSERT_TRUE(std::isfinite(m.std_errors[j]));
    EXPECT_NEAR(m.params[j], truth[j], 4 * m.std_errors[j]) << j;
  }
}

// n = 1, α = β = γ = δ = 1 (p and θ uniform). Opportunity 1: the customer dies before it (θ) or,
// alive (1-θ), buys (p) or not (1-p):
//   (x=0, t_x=0): E[(1-θ)(1-p)] + E[θ] = 1/4 + 1/2 = 3/4
//   (x=1, t_x=1): E[(1-θ) p]           = 1/4
TEST(Bgbb, HandCaseOneOpportunity) {
  const std::vector<double> p = {1, 1, 1, 1};
  EXPECT_NEAR(std::exp(row_ll(p, {0, 0, 1})), 0.75, 1e-15);
  EXPECT_NEAR(std::exp(row_ll(p, {1, 1, 1})), 0.25, 1e-15);
}

// n = 2, all parameters 1, history "bought at 1, not at 2" (x=1, t_x=1):
//   opp:    1      2
//   alive: buy   no buy     E[(1-θ)² p (1-p)] = 1/3 · 1/6 = 1/18
//   alive: buy   dead       E[(1-θ) θ p]      = 1/6 · 1/2 = 1/12
// L = 1/18 + 1/12 = 5/36.
TEST(Bgbb, HandCaseTwoOpportunities) { EXPECT_NEAR(std::exp(row_ll({1, 1, 1, 1}, {1, 1, 2})), 5.0 / 36, 1e-15); }

// Every possible history of n opportunities together has probability 1: Σ over (x, t_x) of
// L = 1, for shapes from 1e-3 to 1e9 (the large ones are the no-heterogeneity edge of the fit).
TEST(Bgbb, HistoriesSumToOne) {
  const std::vector<std::vector<double>> params = {
      {1.204, 0.750, 0.657, 2.783}, {0.001, 0.002, 0.003, 0.004}, {1e9, 2e9, 3e8, 5e9}, {0.5, 40, 1, 1}};
  for (const auto& p : params) {
    for (double n = 0; n <= 8; ++n) {
      double total = std::exp(row_ll(p, {0, 0, n}));
      for (double t_x = 1; t_x <= n; ++t_x)
        for (double x = 1; x <= t_x; ++x) {
          // The number of purchase patterns with x purchases, the last at t_x: C(t_x - 1, x - 1).
          const double patterns = std::round(std::exp(std::lgamma(t_x) - std::lgamma(x) - std::lgamma(t_x - x + 1)));
          total += patterns * std::exp(row_ll(p, {x, t_x, n}));
        }
      EXPECT_NEAR(total, 1.0, 1e-12) << "n=" << n << " alpha=" << p[0];
    }
  }
}

// Without heterogeneity (α, β, γ, δ -> ∞ with p = α/(α+β), θ = γ/(γ+δ) fixed) the likelihood is
// p^x (1-p)^(n-x) (1-θ)^n + Σ_{i=0}^{n-t_x-1} p^x (1-p)^(t_x-x+i) θ (1-θ)^(t_x+i).
TEST(Bgbb, NoHeterogeneityLimit) {
  const double p = 0.3, theta = 0.2, k = 1e13;
  const std::vector<double> params = {p * k, (1 - p) * k, theta * k, (1 - theta) * k};
  const One c{2, 3, 6};
  double want = std::pow(p, 2) * std::pow(1 - p, 4) * std::pow(1 - theta, 6);
  for (int i = 0; i < 3; ++i) want += std::pow(p, 2) * std::pow(1 - p, 1 + i) * theta * std::pow(1 - theta, 3 + i);
  EXPECT_NEAR(std::exp(row_ll(params, c)), want, 1e-9 * want);
}

// (x=0, t_x=0, n=1), all parameters 1 (L = 3/4 above):
//   P(alive at 2) = E[(1-p)(1-θ)²] / L = (1/2 · 1/3) / (3/4) = 2/9
//   E[purchases at opportunity 2] = E[(1-p)(1-θ) · (1-θ) p] / L = (1/6 · 1/3) / (3/4) = 2/27
//   at opportunity 3: E[(1-p)(1-θ) · (1-θ)² p] / L = (1/6 · 1/4) / (3/4) = 1/18
// so two more opportunities give 2/27 + 1/18 = 7/54; discounted by 1/2 per opportunity
// 1/2 · 2/27 + 1/4 · 1/18 = 11/216.
TEST(Bgbb, HandCasePredictions) {
  const std::vector<double> p = {1, 1, 1, 1};
  const One c{0, 0, 1};
  const auto& k = bgbb_kernel();
  EXPECT_NEAR(k.p_alive(p, c.data(), 0), 2.0 / 9, 1e-15);
  EXPECT_NEAR(k.expected(p, 1, c.data(), 0), 2.0 / 27, 1e-15);
  EXPECT_NEAR(k.expected(p, 2, c.data(), 0), 7.0 / 54, 1e-15);
  EXPECT_NEAR(k.expected(p, 2.7, c.data(), 0), 7.0 / 54, 1e-15);  // whole opportunities only
  EXPECT_NEAR(k.discounted_expected(p, 2, std::log(2.0), c.data(), 0), 11.0 / 216, 1e-15);
  EXPECT_EQ(k.discounted_expected(p, 2, 0, c.data(), 0), k.expected(p, 2, c.data(), 0));
  EXPECT_EQ(k.expected(p, 0, c.data(), 0), 0.0);
}

// Fader, Hardie & Shang (2010) eq. 13, with its gamma functions, against the kernel for every
// donations pattern and 5 more years (2002-2006), at the published estimates:
//   E = (1/L) B(α+x+1, β+n-x)/B(α,β) · δ/(γ-1) · Γ(γ+δ)/Γ(1+δ)
//       · [Γ(1+δ+n)/Γ(γ+δ+n) - Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)]
// and P(alive in 2002) = B(α+x, β+n-x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L (eq. 11).
TEST(Bgbb, PaperFormulasOnDonations) {
  const double a = 1.204, b = 0.750, g = 0.657, d = 2.783;
  const std::vector<double> p = {a, b, g, d};
  const auto lbeta = [](double u, double v) { return std::lgamma(u) + std::lgamma(v) - std::lgamma(u + v); };
  const Table& t = donations();
  const ModelData data = t.data();
  for (std::size_t i = 0; i < t.x.size(); ++i) {
    const double x = t.x[i], n = t.n[i], ns = 5;
    const double ll = bgbb_kernel().row_log_likelihood(p, data, i);
    const double e13 = std::exp(lbeta(a + x + 1, b + n - x) - lbeta(a, b) - ll) * d / (g - 1) *
                       std::exp(std::lgamma(g + d) - std::lgamma(1 + d)) *
                       (std::exp(std::lgamma(1 + d + n) - std::lgamma(g + d + n)) -
                        std::exp(std::lgamma(1 + d + n + ns) - std::lgamma(g + d + n + ns)));
    EXPECT_NEAR(bgbb_kernel().expected(p, ns, data, i), e13, 1e-12 * e13) << "row " << i;
    const double alive = std::exp(lbeta(a + x, b + n - x) - lbeta(a, b) + lbeta(g, d + n + 1) - lbeta(g, d) - ll);
    EXPECT_NEAR(bgbb_kernel().p_alive(p, data, i), alive, 1e-12) << "row " << i;
  }
  // The customer who donated every year is the likeliest to be alive; one who stopped after
  // 1996 far less so.
  EXPECT_GT(bgbb_kernel().p_alive(p, data, 21), 0.9);
  EXPECT_LT(bgbb_kernel().p_alive(p, data, 1), 0.1);
}

// E[X(n)] of a new customer at the estimates, n = 1..11: Hardie's BG/BB spreadsheet
// (brucehardie.com/notes/010, sheet "Tracking Plot", cells B7:B17), as quoted by pymc-marketing's
// tests/clv/models/test_beta_geo_beta_binom.py (rtol 1e-3 there; 1e-4 here). The
// spreadsheet uses the unrounded MLE: at the paper's three-decimal estimates E[X(11)] is 3.3876,
// so the four-decimal ones of pymc-marketing's test are used (1.2035, 0.7497, 0.6567, 2.7834).
TEST(Bgbb, ExpectedNewCustomerPublished) {
  const std::vector<double> p = {1.2035, 0.7497, 0.6567, 2.7834};
  const double published[] = {0.4985, 0.9233, 1.2969, 1.6323, 1.9381, 2.2202, 2.4826, 2.7285, 2.9603, 3.1798, 3.3887};
  for (int n = 1; n <= 11; ++n) EXPECT_NEAR(bgbb_kernel().expected_new(p, n), published[n - 1], 1e-4) << "n=" << n;
}

// P(X(n) = x) sums to 1 over x = 0..n and its mean is E[X(n)], for shapes small and large.
TEST(Bgbb, PmfSumsToOneWithMeanExpected) {
  const std::vector<std::vector<double>> params = {
      {1.204, 0.750, 0.657, 2.783}, {0.01, 0.02, 0.5, 0.05}, {1e8, 3e8, 2e7, 9e7}, {2, 3, 1, 4}};
  for (const auto& p : params) {
    for (const double n : {0.0, 1.0, 6.0, 30.0, 400.0}) {
      double total = 0, mean = 0;
      for (unsigned x = 0; x <= n; ++x) {
        const double pr = bgbb_kernel().pmf_new(p, n, x);
        ASSERT_GE(pr, 0.0);
        total += pr;
        mean += x * pr;
      }
      EXPECT_NEAR(total, 1.0, 1e-12) << "n=" << n << " alpha=" << p[0];
      const double expected = bgbb_kernel().expected_new(p, n);
      EXPECT_NEAR(mean, expected, 1e-11 * std::max(1.0, expected)) << "n=" << n << " alpha=" << p[0];
      EXPECT_EQ(bgbb_kernel().pmf_new(p, n, static_cast<unsigned>(n) + 1), 0.0);
    }
  }
}

// n = 1, all parameters 1: X(1) = 1 needs alive (1-θ) and a purchase (p): 1/4; else 3/4.
TEST(Bgbb, PmfHandCase) {
  const std::vector<double> p = {1, 1, 1, 1};
  EXPECT_NEAR(bgbb_kernel().pmf_new(p, 1, 1), 0.25, 1e-15);
  EXPECT_NEAR(bgbb_kernel().pmf_new(p, 1, 0), 0.75, 1e-15);
  EXPECT_THROW(bgbb_kernel().pmf_new(p, INFINITY, 0), rapport::InputError);
}

// γ = 1 is where eq. 13's δ/(γ-1) is 0/0: the kernel is finite and continuous there.
TEST(Bgbb, ExpectationContinuousAtGammaOne) {
  const One c{3, 5, 6};
  const auto at = [&](double g) {
    return bgbb_kernel().expected(std::vector<double>{1.2, 0.75, g, 2.8}, 5, c.data(), 0);
  };
  const double mid = at(1);
  EXPECT_TRUE(std::isfinite(mid));
  EXPECT_NEAR(at(1 + 1e-9), mid, 1e-8 * mid);
  EXPECT_NEAR(at(1 - 1e-9), mid, 1e-8 * mid);
  const std::vector<double> near_one = {1.2, 0.75, 1 + 1e-9, 2.8}, one = {1.2, 0.75, 1, 2.8};
  EXPECT_NEAR(bgbb_kernel().expected_new(near_one, 1e6), bgbb_kernel().expected_new(one, 1e6), 1e-6);
}

std::string rejection(double x, double t_x, double n) {
  const std::vector<double> xs = {0, x}, txs = {0, t_x}, ns = {6, n};
  try {
    bgbb_kernel().validate(bgbb_data(xs, txs, ns));
  } catch (const rapport::InputError& e) {
    return e.what();
  }
  return "accepted";
}

// Inconsistent histories are rejected, naming the row and the reason.
TEST(Bgbb, BadRowsRejectedNamingTheRow) {
  EXPECT_EQ(rejection(7, 6, 6), "bgbb: row 1: column x: 7 exceeds n = 6");
  EXPECT_EQ(rejection(2, 7, 6), "bgbb: row 1: column t_x: 7 exceeds n = 6");
  EXPECT_EQ(rejection(3, 2, 6), "bgbb: row 1: column t_x: 2 is below x = 3");
  EXPECT_EQ(rejection(0, 2, 6), "bgbb: row 1: column t_x: 2 with x = 0 (t_x is 0 when there is no purchase)");
  EXPECT_EQ(rejection(-1, 0, 6), "bgbb: row 1: column x: -1 is not a whole number >= 0");
  EXPECT_EQ(rejection(1, 1.5, 6), "bgbb: row 1: column t_x: 1.5 is not a whole number >= 0");
  EXPECT_EQ(rejection(1, 1, NAN), "bgbb: row 1: column n: nan is not a whole number >= 0");
  EXPECT_EQ(rejection(2, 4, 6), "accepted");
  const std::vector<double> two = {1, 1}, one = {1};
  EXPECT_THROW(bgbb_kernel().validate(bgbb_data(two, two, one)), rapport::InputError);
}

}  // namespace
