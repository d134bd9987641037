// Tests of the BG/NBD and Gamma-Gamma models (rapport/value/value.hpp).
#include <rapport/value/value.hpp>

#include "value/cdnow.hpp"
#include "value/lanes.hpp"
#include "value/value_detail.hpp"

#include <gtest/gtest.h>

#include <boost/multiprecision/cpp_bin_float.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

// lanes.hpp's 32-byte vectors are passed between inline functions only.
#if defined(__GNUC__)  // GCC and Clang
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace {

using rapport::BgNbdParams;
using rapport::FitError;
using rapport::GammaGammaParams;
using rapport::test::cdnow;
using rapport::test::Cdnow;
using rapport::test::expect_published;

/// Simulated BG/NBD customers with whole-day t_x and T.
struct Simulated {
  std::vector<double> x, t_x, T;
};

Simulated simulate_bgnbd(std::size_t n, double r, double alpha, double a, double b, std::uint64_t seed,
                         bool whole_days = true) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> lambda_dist(r, 1.0 / alpha);
  std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
  std::uniform_int_distribution<int> T_dist(30, 540);
  std::uniform_real_distribution<double> T_real(30.0, 540.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Simulated s;
  for (std::size_t i = 0; i < n; ++i) {
    const double lambda = lambda_dist(rng);
    const double ya = ga(rng);
    const double p = ya / (ya + gb(rng));
    const double T = whole_days ? T_dist(rng) : T_real(rng);
    double t = 0, tx = 0, x = 0;
    while (lambda > 0) {
      t += std::exponential_distribution<double>(lambda)(rng);
      if (t > T) break;
      x += 1;
      tx = whole_days ? std::ceil(t) : t;  // whole days: a repeat purchase is at least day 1
      if (u(rng) < p) break;
    }
    s.x.push_back(x);
    s.t_x.push_back(tx);
    s.T.push_back(T);
  }
  return s;
}

/// Expects two BG/NBD fits to agree in every parameter to `rel` relative.
void expect_same_bgnbd(const BgNbdParams& a, const BgNbdParams& b, double rel) {
  EXPECT_NEAR(a.r, b.r, rel * b.r);
  EXPECT_NEAR(a.alpha, b.alpha, rel * b.alpha);
  EXPECT_NEAR(a.a, b.a, rel * b.a);
  EXPECT_NEAR(a.b, b.b, rel * b.b);
}

/// Expects the analytic gradient `g` and Hessian `H` of `objective(theta, grad*, hess*)` at
/// `theta` to match central finite differences of the objective and of its gradient (step 1e-5).
template <int N, class Objective>
void expect_derivatives_match_finite_differences(Objective&& objective, const Eigen::Matrix<double, N, 1>& theta,
                                                 const Eigen::Matrix<double, N, 1>& g,
                                                 const Eigen::Matrix<double, N, N>& H) {
  using Vec = Eigen::Matrix<double, N, 1>;
  const double h = 1e-5;
  for (int i = 0; i < N; ++i) {
    Vec tp = theta, tm = theta;
    tp[i] += h;
    tm[i] -= h;
    Vec gp, gm;
    const double fp = objective(tp, &gp);
    const double fm = objective(tm, &gm);
    const double fd = (fp - fm) / (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-6 * std::max(1.0, std::abs(fd))) << "gradient " << i;
    const Vec hd = (gp - gm) / (2 * h);
    for (int j = 0; j < N; ++j) {
      EXPECT_NEAR(H(j, i), hd[j], 1e-5 * std::max(1.0, std::abs(hd[j]))) << "hessian " << j << "," << i;
    }
  }
}

/// The check above for the BG/NBD objective on `data`.
void expect_bgnbd_derivatives_match_finite_differences(const rapport::detail::BgNbdData& data,
                                                       const Eigen::Vector4d& theta, const Eigen::Vector4d& g,
                                                       const Eigen::Matrix4d& H) {
  expect_derivatives_match_finite_differences<4>(
      [&](const Eigen::Vector4d& t, Eigen::Vector4d* grad) {
        return rapport::detail::bgnbd_objective(data, t, grad, nullptr);
      },
      theta, g, H);
}

using mp = boost::multiprecision::cpp_bin_float_50;

/// Reference E[Y(t) | x, t_x, T] from the textbook formula in 50-digit arithmetic, with the
/// Gauss hypergeometric series summed directly.
double expected_reference(const BgNbdParams& p, double t, double x, double t_x, double T) {
  const mp r = p.r, alpha = p.alpha, a = p.a, b = p.b, X = x;
  const mp z = mp(t) / (alpha + T + t);
  const mp A = r + X, B = b + X, C = a + b + X - 1;
  mp term = 1, sum = 1;
  for (int n = 0; n < 2000000; ++n) {
    term *= (A + n) * (B + n) / ((C + n) * (n + 1)) * z;
    sum += term;
    if (n > 10 && abs(term) < mp("1e-45") * abs(sum)) break;
  }
  const mp pow1z = pow(1 - z, A);
  const mp numer = C / (a - 1) * (1 - pow1z * sum);
  mp denom = 1;
  if (x > 0) denom += a / (b + X - 1) * pow((alpha + T) / (alpha + t_x), A);
  return static_cast<double>(numer / denom);
}

constexpr BgNbdParams kHardieWeeks{0.243, 4.414, 0.793, 2.426, 0};
constexpr BgNbdParams kHardieDays{0.243, 4.414 * 7, 0.793, 2.426, 0};

}  // namespace

// -------------------------------------------------------------------------------------------
// CDNOW reference fits
// -------------------------------------------------------------------------------------------

TEST(ValueTest, CdnowCalibrationSummary) {
  const Cdnow& d = cdnow();
  ASSERT_EQ(d.x.size(), 2357U);
  double total_x = 0;
  for (double v : d.x) total_x += v;
  EXPECT_EQ(std::count_if(d.x.begin(), d.x.end(), [](double v) { return v > 0; }), 946);
  EXPECT_GT(total_x, 1000);
}

TEST(BgNbd, CdnowMatchesPublishedFit) {
  const Cdnow& d = cdnow();
  const BgNbdParams days = rapport::fit_bgnbd(d.x, d.t_x, d.T);
  expect_published(days.r, 0.243, 0.0005, "r");
  expect_published(days.alpha / 7.0, 4.414, 0.0005, "alpha (weeks)");
  expect_published(days.a, 0.793, 0.0005, "a");
  expect_published(days.b, 2.426, 0.0005, "b");

  std::vector<double> tx_w(d.t_x), T_w(d.T);
  for (double& v : tx_w) v /= 7.0;
  for (double& v : T_w) v /= 7.0;
  const BgNbdParams weeks = rapport::fit_bgnbd(d.x, tx_w, T_w);
  EXPECT_NEAR(weeks.log_likelihood, -9582.4, 0.1);
  EXPECT_NEAR(weeks.alpha, days.alpha / 7.0, 1e-6 * weeks.alpha);
  EXPECT_NEAR(weeks.r, days.r, 1e-6 * days.r);
  EXPECT_NEAR(weeks.a, days.a, 1e-6 * days.a);
  EXPECT_NEAR(weeks.b, days.b, 1e-6 * days.b);
  // Rescaling time by 7 changes the density of t_x by 7 per repeat purchase.
  double total_x = 0;
  for (double v : d.x) total_x += v;
  EXPECT_NEAR(days.log_likelihood + total_x * std::log(7.0), weeks.log_likelihood, 1e-6);

  // The fitted log-likelihood is the sum of the per-customer log-likelihoods.
  double sum = 0;
  for (std::size_t i = 0; i < d.x.size(); ++i) sum += rapport::bgnbd_log_likelihood(days, d.x[i], d.t_x[i], d.T[i]);
  EXPECT_NEAR(sum, days.log_likelihood, 1e-8 * std::abs(sum));

  // A maximum: the log-likelihood drops when any parameter moves.
  for (int k = 0; k < 4; ++k) {
    for (double f : {0.99, 1.01}) {
      BgNbdParams q = days;
      double* fields[] = {&q.r, &q.alpha, &q.a, &q.b};
      *fields[k] *= f;
      double s2 = 0;
      for (std::size_t i = 0; i < d.x.size(); ++i) s2 += rapport::bgnbd_log_likelihood(q, d.x[i], d.t_x[i], d.T[i]);
      EXPECT_LT(s2, sum);
    }
  }
}

TEST(GammaGamma, CdnowMatchesPublishedFit) {
  const Cdnow& d = cdnow();
  const rapport::detail::GammaGammaData data = rapport::detail::compress_gamma_gamma(d.x, d.m);
  ASSERT_EQ(data.customers, 946U);
  const GammaGammaParams gg = rapport::fit_gamma_gamma(d.x, d.m);
  expect_published(gg.p, 6.25, 0.005, "p");
  expect_published(gg.q, 3.74, 0.005, "q");
  expect_published(gg.gamma, 15.44, 0.005, "gamma");
  EXPECT_TRUE(std::isfinite(gg.log_likelihood));
  // Expected spend shrinks the observed mean towards the population mean.
  const double pop = gg.p * gg.gamma / (gg.q - 1);
  EXPECT_DOUBLE_EQ(rapport::gamma_gamma_expected_spend(gg, 0, 123.0), pop);
  const double e = rapport::gamma_gamma_expected_spend(gg, 2, 100.0);
  EXPECT_DOUBLE_EQ(e, (gg.gamma + 200.0) * gg.p / (2 * gg.p + gg.q - 1));
  EXPECT_GT(e, pop);
  EXPECT_LT(e, 100.0);
}

// -------------------------------------------------------------------------------------------
// BG/NBD per-customer quantities
// -------------------------------------------------------------------------------------------

TEST(BgNbd, HardieWorkedExample) {
  // Fader, Hardie & Lee (2005): x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 in 39 weeks.
  const double e = rapport::bgnbd_expected_purchases(kHardieWeeks, 39, 2, 30.43, 38.86);
  EXPECT_NEAR(e, 1.226, 0.0005);
  // Unit-agnostic: the same customer in days.
  const double e_days = rapport::bgnbd_expected_purchases(kHardieDays, 39 * 7, 2, 30.43 * 7, 38.86 * 7);
  EXPECT_NEAR(e_days, e, 1e-12 * e);
}

TEST(BgNbd, ExpectedPurchasesMatchHighPrecisionReference) {
  struct Case {
    BgNbdParams p;
    double t, x, t_x, T;
  };
  const std::vector<Case> cases = {
      {kHardieWeeks, 39, 2, 30.43, 38.86},
      {kHardieWeeks, 39, 0, 0, 38.86},
      {kHardieWeeks, 52, 0, 0, 0.5},
      {kHardieWeeks, 1, 7, 20, 30},
      {kHardieDays, 365, 0, 0, 7300},
      {kHardieDays, 365, 1, 3, 10},
      {kHardieDays, 365, 25, 300, 320},
      {kHardieDays, 365, 300, 2000, 2100},
      {kHardieDays, 365, 5000, 7290, 7300},
      {kHardieDays, 3650, 5000, 7000, 7300},
      {kHardieDays, 365, 1200, 7200, 7300},
      {BgNbdParams{1.5, 10, 3.5, 0.4, 0}, 365, 0, 0, 5},
      {BgNbdParams{1.5, 10, 3.5, 0.4, 0}, 365, 3, 40, 100},
      {BgNbdParams{0.05, 200, 0.2, 0.3, 0}, 365, 2, 10, 60},
      {BgNbdParams{0.5, 2, 1.0 + 1e-20, 2, 0}, 90, 4, 50, 100},  // a -> 1
      {BgNbdParams{0.5, 2, 1.0 + 1e-20, 2, 0}, 90, 0, 0, 100},
  };
  for (const Case& c : cases) {
    const double got = rapport::bgnbd_expected_purchases(c.p, c.t, c.x, c.t_x, c.T);
    const double want = expected_reference(c.p, c.t, c.x, c.t_x, c.T);
    EXPECT_NEAR(got, want, 1e-10 * std::abs(want))
        << "x=" << c.x << " t_x=" << c.t_x << " T=" << c.T << " t=" << c.t << " a=" << c.p.a;
    EXPECT_GT(got, 0);
  }
}

TEST(BgNbd, ExpectedPurchasesContinuousAtAEqualsOne) {
  BgNbdParams p{0.5, 2, 1.0, 2, 0};
  const double at_one = rapport::bgnbd_expected_purchases(p, 90, 4, 50, 100);
  for (double da : {1e-12, -1e-12, 1e-8, -1e-8}) {
    BgNbdParams q = p;
    q.a = 1.0 + da;
    const double near_one = rapport::bgnbd_expected_purchases(q, 90, 4, 50, 100);
    EXPECT_NEAR(near_one, at_one, 1e-6 * at_one);
  }
  EXPECT_TRUE(std::isfinite(at_one));
  EXPECT_GT(at_one, 0);
}

TEST(BgNbd, ExtremeHistoriesStayFinite) {
  // 5000 repeat purchases over 20 years, last one 10 days ago.
  const double x = 5000, t_x = 7290, T = 7300, horizon = 365;
  const double pa = rapport::bgnbd_p_alive(kHardieDays, x, t_x, T);
  EXPECT_GE(pa, 0.0);
  EXPECT_LE(pa, 1.0);
  EXPECT_GT(pa, 0.5);
  const double e = rapport::bgnbd_expected_purchases(kHardieDays, horizon, x, t_x, T);
  EXPECT_TRUE(std::isfinite(e));
  const double rate_based = x / T * horizon;  // 250
  EXPECT_GT(e, 0.5 * pa * rate_based);
  EXPECT_LT(e, 1.1 * rate_based);
  const double if_alive = rapport::detail::bgnbd_expected_purchases_if_alive(kHardieDays, horizon, x, T);
  EXPECT_NEAR(if_alive, rate_based, 0.05 * rate_based);
  const double ll = rapport::bgnbd_log_likelihood(kHardieDays, x, t_x, T);
  EXPECT_TRUE(std::isfinite(ll));
  EXPECT_LT(ll, 0);
  // Long inactive: almost surely gone, no overflow.
  const double pa_gone = rapport::bgnbd_p_alive(kHardieDays, x, 100, T);
  EXPECT_GE(pa_gone, 0.0);
  EXPECT_LT(pa_gone, 1e-100);
  EXPECT_TRUE(std::isfinite(rapport::bgnbd_expected_purchases(kHardieDays, horizon, x, 100, T)));
  EXPECT_TRUE(std::isfinite(rapport::bgnbd_log_likelihood(kHardieDays, x, 100, T)));
}

TEST(BgNbd, PAliveAndMonotoneHorizon) {
  EXPECT_EQ(rapport::bgnbd_p_alive(kHardieWeeks, 0, 0, 30), 1.0);
  // Recent purchase: more likely alive than an old one.
  EXPECT_GT(rapport::bgnbd_p_alive(kHardieWeeks, 3, 29, 30), rapport::bgnbd_p_alive(kHardieWeeks, 3, 5, 30));
  EXPECT_EQ(rapport::bgnbd_expected_purchases(kHardieWeeks, 0, 3, 20, 30), 0.0);
  double prev = 0;
  for (double h : {1.0, 5.0, 13.0, 26.0, 52.0, 104.0, 520.0}) {
    const double e = rapport::bgnbd_expected_purchases(kHardieWeeks, h, 3, 20, 30);
    EXPECT_GT(e, prev) << "horizon " << h;
    prev = e;
  }
}

// E[X(t) | alive] = E_p[(1 - (1 + p u)^-(r+x)) / p] with p ~ Beta(a, b+x), u = t / (alpha+T).
// With r = 1, x = 0 the integrand is u / (1 + p u), which integrates in closed form:
//   a = 1, b = 1 (p uniform):  int_0^1 u / (1 + p u) dp          = log(1 + u)
//   a = 2, b = 1 (density 2p): int_0^1 2 p u / (1 + p u) dp      = 2 (1 - log(1 + u) / u)
// With alpha tiny, T = 0 and a long horizon, z = t / (alpha+T+t) is within 1e-10 of 1: the
// Gauss series used to need ~1e11 terms (capped at 5e7, seconds per customer, 1e-10 off).
TEST(BgNbd, ExpectedPurchasesNearZOneMatchClosedForms) {
  for (const double alpha : {1e-9, 1e-6, 0.01, 1.0}) {
    for (const double t : {365.0, 36500.0}) {
      const double u = t / alpha;
      const double uniform =
          rapport::detail::bgnbd_expected_purchases_if_alive(BgNbdParams{1, alpha, 1, 1, 0}, t, 0, 0);
      EXPECT_NEAR(uniform, std::log1p(u), 1e-13 * std::log1p(u)) << "alpha " << alpha;
      const double linear = rapport::detail::bgnbd_expected_purchases_if_alive(BgNbdParams{1, alpha, 2, 1, 0}, t, 0, 0);
      const double want = 2 * (1 - std::log1p(u) / u);
      EXPECT_NEAR(linear, want, 1e-13 * want) << "alpha " << alpha << " t " << t;
    }
  }
}

// A 300-customer generated base fitted a -> infinity, b -> infinity (no dropout
// heterogeneity): a = 1.74e7, b = 1.61e8. The Euler series then needs ~a+b terms (it was capped
// at 5e7: 0.25 s per customer, and its terms overflowed to NaN). The 50-digit textbook series
// converges there at ratio z (b+x)/(a+b+x-1), so it is an independent reference.
TEST(BgNbd, ExpectedPurchasesWithHugeDropoutParametersMatchReference) {
  const BgNbdParams huge{0.562883, 59.2666, 1.74023e7, 1.60751e8, 0};
  const BgNbdParams huge_a{0.3, 28.8, 3.7e7, 12.0, 0};
  struct Case {
    BgNbdParams p;
    double t, x, t_x, T;
  };
  for (const Case& c : std::vector<Case>{{huge, 365, 0, 0, 1458},
                                         {huge, 365, 7, 590, 600},
                                         {huge, 36500, 40, 1400, 1460},
                                         {huge, 30, 1, 3, 5},
                                         {huge_a, 365, 2, 100, 300},
                                         {huge_a, 3650, 0, 0, 0}}) {
    const double got = rapport::bgnbd_expected_purchases(c.p, c.t, c.x, c.t_x, c.T);
    const double want = expected_reference(c.p, c.t, c.x, c.t_x, c.T);
    EXPECT_NEAR(got, want, 1e-12 * want) << "x=" << c.x << " T=" << c.T << " t=" << c.t;
  }
  // Near-degenerate Beta: E[X | alive] tends to (1 - (1 + p0 u)^-(r+x)) / p0, p0 = a/(a+b+x),
  // up to O(1/(a+b)) (here ~1e-8 relative).
  const double u = 365.0 / (huge.alpha + 1458), p0 = huge.a / (huge.a + huge.b);
  const double limit = -std::expm1(-huge.r * std::log1p(p0 * u)) / p0;
  EXPECT_NEAR(rapport::detail::bgnbd_expected_purchases_if_alive(huge, 365, 0, 1458), limit, 1e-6 * limit);
}

// Invariants over a grid of valid parameters, extreme ones included: finite, >= 0, increasing
// in the horizon, and at most the no-dropout expectation (r+x) t / (alpha+T) (since
// (1 - (1 + p u)^-s) / p <= s u for every p).
TEST(BgNbd, ExpectedPurchasesInvariantsOverExtremeGrid) {
  std::size_t checked = 0;
  for (const double r : {1e-6, 0.25, 4.0, 1e3})
    for (const double alpha : {1e-6, 1.0, 60.0, 1e6})
      for (const double a : {1e-3, 0.5, 1.0, 3.0, 1e3, 1e8})
        for (const double b : {1e-3, 0.5, 3.0, 1e3, 1e9})
          for (const double x : {0.0, 2.0, 500.0})
            for (const double T : {0.0, 30.0, 3000.0}) {
              const BgNbdParams p{r, alpha, a, b, 0};
              double previous = 0;
              for (const double t : {1e-3, 1.0, 30.0, 365.0, 3650.0, 36500.0}) {
                const double e = rapport::detail::bgnbd_expected_purchases_if_alive(p, t, x, T);
                const double no_dropout = (r + x) * t / (alpha + T);
                ASSERT_TRUE(std::isfinite(e))
                    << r << ' ' << alpha << ' ' << a << ' ' << b << ' ' << x << ' ' << T << ' ' << t;
                ASSERT_GE(e, previous * (1 - 1e-12))
                    << r << ' ' << alpha << ' ' << x << ' ' << T << ' ' << a << ' ' << b << ' ' << t;
                // 1e-9: with r ~ 1e-6 the series' two leading parts cancel to ~1e-10 relative.
                ASSERT_LE(e, no_dropout * (1 + 1e-9)) << a << ' ' << b << ' ' << t;
                ASSERT_GT(e, 0);
                previous = e;
                ++checked;
              }
            }
  EXPECT_EQ(checked, 4u * 4 * 6 * 5 * 3 * 3 * 6);
}

TEST(BgNbd, LogLikelihoodMatchesDirectFormula) {
  const BgNbdParams p = kHardieWeeks;
  for (const auto& [x, tx, T] :
       {std::tuple{0.0, 0.0, 30.0}, std::tuple{2.0, 30.43, 38.86}, std::tuple{10.0, 5.0, 38.0}}) {
    const double B = std::exp(std::lgamma(p.a) + std::lgamma(p.b + x) - std::lgamma(p.a + p.b + x) - std::lgamma(p.a) -
                              std::lgamma(p.b) + std::lgamma(p.a + p.b));
    const double head = std::exp(std::lgamma(p.r + x) - std::lgamma(p.r)) * std::pow(p.alpha, p.r);
    double bracket = std::pow(p.alpha + T, -(p.r + x));
    if (x > 0) bracket += p.a / (p.b + x - 1) * std::pow(p.alpha + tx, -(p.r + x));
    EXPECT_NEAR(rapport::bgnbd_log_likelihood(p, x, tx, T), std::log(B * head * bracket), 1e-12);
  }
}

// -------------------------------------------------------------------------------------------
// Fitting: errors, compression, recovery
// -------------------------------------------------------------------------------------------

TEST(BgNbd, FitErrors) {
  const std::vector<double> x5 = {0, 1, 2, 0, 3}, tx5 = {0, 5, 9, 0, 20}, T5 = {30, 30, 30, 30, 30};
  EXPECT_THROW(rapport::fit_bgnbd(x5, tx5, T5), FitError);
  try {
    rapport::fit_bgnbd(x5, tx5, T5);
  } catch (const FitError& e) {
    EXPECT_NE(std::string(e.what()).find("5 customers"), std::string::npos) << e.what();
  }
  const std::vector<double> zeros(50, 0.0), T50(50, 100.0);
  EXPECT_THROW(rapport::fit_bgnbd(zeros, zeros, T50), FitError);
  EXPECT_THROW(
      rapport::fit_bgnbd(std::vector<double>(20, 1.0), std::vector<double>(19, 1.0), std::vector<double>(20, 2.0)),
      rapport::UsageError);
  std::vector<double> bad_tx(50, 1.0);
  bad_tx[3] = 200;  // t_x > T
  EXPECT_THROW(rapport::fit_bgnbd(std::vector<double>(50, 1.0), bad_tx, T50), rapport::InputError);
}

TEST(BgNbd, CompressionMergesIdenticalCustomers) {
  const std::vector<double> x = {0, 1, 0, 1, 2, 0}, tx = {0, 5, 7, 5, 9, 0}, T = {30, 30, 30, 30, 30, 40};
  const auto data = rapport::detail::compress_bgnbd(x, tx, T);
  EXPECT_EQ(data.customers, 6U);
  EXPECT_EQ(data.repeat_buyers, 3U);
  ASSERT_EQ(data.rows.size(), 4U);  // (0,_,30) x2 (t_x ignored when x = 0), (0,_,40), (1,5,30) x2, (2,9,30)
  double w = 0;
  for (const auto& row : data.rows) w += row.weight;
  EXPECT_EQ(w, 6.0);
  EXPECT_EQ(data.rows[0].weight, 2.0);
}

// Both layouts of the compressed data (tables of distinct t_x and T, or one entry per row) hold
// the same rows in the same order, so the likelihood and its derivatives agree to the last bit:
// the layout is a speed choice only. Mixed data: whole days (many repeats, merged), real-valued
// times (distinct), t_x = 0 with x = 0 and -0.0 (merged with +0.0).
TEST(BgNbd, CompressionLayoutsGiveTheSameBits) {
  Simulated s = simulate_bgnbd(20000, 0.25, 40, 0.8, 2.5, 11);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> frac(0.0, 1.0);
  for (std::size_t i = 0; i < s.x.size(); i += 2) {  // every other customer real-valued
    s.T[i] -= frac(rng);
    s.t_x[i] = s.x[i] > 0 ? s.T[i] * frac(rng) : 0.0;
  }
  s.t_x[1] = -0.0;
  s.x[1] = 0;
  const auto tables = rapport::detail::compress_bgnbd(s.x, s.t_x, s.T, rapport::detail::BgNbdLayout::tables);
  const auto rows = rapport::detail::compress_bgnbd(s.x, s.t_x, s.T, rapport::detail::BgNbdLayout::per_row);
  EXPECT_FALSE(tables.per_row);
  EXPECT_TRUE(rows.per_row);
  EXPECT_EQ(rapport::detail::compress_bgnbd(s.x, s.t_x, s.T).per_row, true);  // half the T distinct
  ASSERT_EQ(tables.rows.size(), rows.rows.size());
  EXPECT_LT(rows.rows.size(), s.x.size());  // the whole-day half merges
  EXPECT_EQ(tables.x_values, rows.x_values);
  EXPECT_EQ(tables.x_weight, rows.x_weight);
  EXPECT_EQ(tables.repeat_buyers, rows.repeat_buyers);
  for (std::size_t k = 0; k < rows.rows.size(); ++k) {
    const auto& a = tables.rows[k];
    const auto& b = rows.rows[k];
    ASSERT_EQ(a.ix, b.ix) << k;
    ASSERT_EQ(a.weight, b.weight) << k;
    ASSERT_EQ(tables.T_values[a.iT], rows.T_values[b.iT]) << k;
    if (tables.x_values[a.ix] > 0) {
      ASSERT_EQ(tables.tx_values[a.itx], rows.tx_values[b.itx]) << k;
    }
  }
  const Eigen::Vector4d theta(std::log(0.3), std::log(35.0), std::log(0.7), std::log(2.0));
  Eigen::Vector4d ga, gb;
  Eigen::Matrix4d Ha, Hb;
  const double fa = rapport::detail::bgnbd_objective(tables, theta, &ga, &Ha);
  const double fb = rapport::detail::bgnbd_objective(rows, theta, &gb, &Hb);
  EXPECT_EQ(fa, fb);
  EXPECT_EQ(ga, gb);
  EXPECT_EQ(Ha, Hb);
}

// lanes::log and lanes::exp_nonpositive (the large-data likelihood pass) are within one ulp of
// the C library's log and exp over the whole range the pass uses, exact at the easy points, and
// exp flushes only below -708 (true values under 3.3e-308) to 0.
TEST(Lanes, LogAndExpWithinOneUlpOfTheCLibrary) {
  namespace lanes = rapport::detail::lanes;
  auto ulps = [](double p, double q) {
    return std::llabs(std::bit_cast<std::int64_t>(p) - std::bit_cast<std::int64_t>(q));
  };
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  long long worst_log = 0, worst_exp = 0;
  for (int i = 0; i < 200000; ++i) {
    const lanes::V v = {std::exp(u(rng) * 1400 - 700), 1.0 + u(rng), 30.0 + 510.0 * u(rng), 1e-300 * (1 + u(rng))};
    const lanes::V lv = lanes::log(v);
    const lanes::V x = {-u(rng) * 708.0, -u(rng), -u(rng) * 1e-12, -u(rng) * 40.0};
    const lanes::V ex = lanes::exp_nonpositive(x);
    for (int j = 0; j < 4; ++j) {
      worst_log = std::max(worst_log, ulps(lv[j], std::log(v[j])));
      worst_exp = std::max(worst_exp, ulps(ex[j], std::exp(x[j])));
    }
  }
  EXPECT_LE(worst_log, 1);
  EXPECT_LE(worst_exp, 1);
  const lanes::V l = lanes::log(lanes::V{1.0, 2.0, 0.5, 1024.0});
  EXPECT_EQ(l[0], 0.0);
  EXPECT_EQ(l[1], std::log(2.0));
  EXPECT_EQ(l[2], -std::log(2.0));
  EXPECT_EQ(l[3], std::log(1024.0));
  const lanes::V e = lanes::exp_nonpositive(lanes::V{0.0, -708.0, -708.5, -INFINITY});
  EXPECT_EQ(e[0], 1.0);
  EXPECT_LE(ulps(e[1], std::exp(-708.0)), 1);
  EXPECT_EQ(e[2], 0.0);
  EXPECT_EQ(e[3], 0.0);
}

/// 80,000 real-valued customers: no two histories alike, so the data take the large-data paths
/// (four-lane likelihood pass, fit started from a sample's optimum).
const Simulated& real_valued_sample() {
  static const Simulated s = simulate_bgnbd(80000, 0.25, 40, 0.8, 2.5, 17, false);
  return s;
}

// The four-lane pass gives the sum of the per-customer log-likelihoods (long double reference)
// to rounding, and its gradient and Hessian match finite differences, as the scalar pass does.
TEST(BgNbd, LargeDataPassMatchesPerCustomerLikelihoods) {
  const Simulated& s = real_valued_sample();
  const auto data = rapport::detail::compress_bgnbd(s.x, s.t_x, s.T);
  ASSERT_GE(data.rows.size(), 65536U);  // the large-data threshold (value.cpp, kLargeRows)
  EXPECT_TRUE(data.per_row);
  for (const Eigen::Vector4d& theta : {Eigen::Vector4d(std::log(0.25), std::log(40.0), std::log(0.8), std::log(2.5)),
                                       Eigen::Vector4d(0.3, 1.0, -1.5, 2.0)}) {
    const BgNbdParams p{std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]), std::exp(theta[3]), 0};
    long double ref = 0;
    for (std::size_t i = 0; i < s.x.size(); ++i) ref += rapport::bgnbd_log_likelihood(p, s.x[i], s.t_x[i], s.T[i]);
    Eigen::Vector4d g;
    Eigen::Matrix4d H;
    const double f = rapport::detail::bgnbd_objective(data, theta, &g, &H);
    EXPECT_NEAR(f, static_cast<double>(ref), 1e-12 * std::abs(static_cast<double>(ref)));
    expect_bgnbd_derivatives_match_finite_differences(data, theta, g, H);
  }
}

// Large data start from a sample's optimum: the fit still ends at the optimum to rounding (a far
// tighter tolerance changes nothing beyond 1e-12), near the simulated parameters.
TEST(BgNbd, LargeFitReachesTheOptimumToRounding) {
  const Simulated& s = real_valued_sample();
  rapport::FitOptions tight;
  tight.gradient_tolerance = 1e-15;
  const BgNbdParams a = rapport::fit_bgnbd(s.x, s.t_x, s.T);
  expect_same_bgnbd(a, rapport::fit_bgnbd(s.x, s.t_x, s.T, tight), 1e-12);
  EXPECT_NEAR(a.r, 0.25, 0.02);
  EXPECT_NEAR(a.alpha, 40, 4);
  EXPECT_NEAR(a.a, 0.8, 0.15);
  EXPECT_NEAR(a.b, 2.5, 0.6);
  // The gradient at the returned parameters vanishes to the fit's tolerance.
  const auto data = rapport::detail::compress_bgnbd(s.x, s.t_x, s.T);
  Eigen::Vector4d g;
  const double f = rapport::detail::bgnbd_objective(
      data, Eigen::Vector4d(std::log(a.r), std::log(a.alpha), std::log(a.a), std::log(a.b)), &g, nullptr);
  EXPECT_EQ(f, a.log_likelihood);
  EXPECT_LT(g.cwiseAbs().maxCoeff(), 1e-9 * std::abs(f));
}

// sample_bgnbd keeps every stride-th row with its weight, and recounts customers per x.
TEST(BgNbd, SampleKeepsEveryStrideThRow) {
  const std::vector<double> x = {0, 0, 1, 1, 2, 0}, tx = {0, 0, 5, 6, 9, 0}, T = {30, 31, 30, 30, 30, 30};
  // rows sorted by (x, t_x, T): (0,0,30) w2, (0,0,31) w1, (1,5,30), (1,6,30), (2,9,30)
  for (const auto layout : {rapport::detail::BgNbdLayout::tables, rapport::detail::BgNbdLayout::per_row}) {
    const auto data = rapport::detail::compress_bgnbd(x, tx, T, layout);
    ASSERT_EQ(data.rows.size(), 5U);
    const auto sample = rapport::detail::sample_bgnbd(data, 2);  // rows 0, 2, 4
    ASSERT_EQ(sample.rows.size(), 3U);
    EXPECT_EQ(sample.customers, 4U);
    EXPECT_EQ(sample.repeat_buyers, 2U);
    EXPECT_EQ(sample.x_weight, (std::vector<double>{2, 1, 1}));
    EXPECT_EQ(sample.T_values[sample.rows[0].iT], 30.0);
    EXPECT_EQ(sample.tx_values[sample.rows[1].itx], 5.0);
    EXPECT_EQ(sample.tx_values[sample.rows[2].itx], 9.0);
  }
}

// predict_bgnbd gives exactly the per-customer functions' bits (memoised or not, on one thread
// or two), over whole-day repeats (memo hits), real-valued histories, x = 0, NaN x, t_x = T,
// huge T, and at parameters where E[X | alive] takes the quadrature.
TEST(BgNbd, BatchPredictionsEqualPerCustomerFunctionsBitForBit) {
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x, tx, T;
  for (int i = 0; i < 3000; ++i) {
    const int kind = i % 6;
    double xi = std::floor(u(rng) * 12), Ti = 30 + std::floor(u(rng) * 500), ti = std::floor(Ti * u(rng));
    if (kind == 1) {  // real-valued
      Ti = 30 + 500 * u(rng);
      ti = Ti * u(rng);
    } else if (kind == 2) {
      xi = 0;
      ti = 0;
    } else if (kind == 3) {
      xi = std::nan("");
    } else if (kind == 4) {
      ti = Ti;  // bought on the last day
    } else if (kind == 5 && i % 12 == 5) {
      Ti = 1e12 * (1 + u(rng));  // huge age
      ti = Ti * u(rng);
      xi = 1 + std::floor(u(rng) * 3000);
    }
    x.push_back(xi);
    tx.push_back(ti);
    T.push_back(Ti);
  }
  const std::vector<BgNbdParams> models = {
      {0.243, 4.41, 0.793, 2.426, 0}, {0.56, 59.3, 1.74e7, 1.61e8, 0}, {2.0, 0.5, 1.0, 0.3, 0}};
  auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v); };
  for (const BgNbdParams& p : models) {
    // (the quadrature model is slow per customer: fewer of them)
    const std::size_t n = p.a > 1e6 ? 300 : x.size();
    for (const double horizon : {365.0, 0.0, 30.5}) {
      for (const unsigned threads : {1U, 2U}) {
        std::vector<double> pa(n), ep(n);
        rapport::detail::predict_bgnbd(p, horizon, x.data(), tx.data(), T.data(), pa.data(), ep.data(), n, threads);
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(bits(pa[i]), bits(rapport::bgnbd_p_alive(p, x[i], tx[i], T[i]))) << i;
          ASSERT_EQ(bits(ep[i]), bits(rapport::bgnbd_expected_purchases(p, horizon, x[i], tx[i], T[i]))) << i;
        }
      }
    }
  }
  // Either output may be left out.
  std::vector<double> only(x.size());
  rapport::detail::predict_bgnbd(models[0], 365, x.data(), tx.data(), T.data(), nullptr, only.data(), x.size());
  EXPECT_EQ(bits(only[7]), bits(rapport::bgnbd_expected_purchases(models[0], 365, x[7], tx[7], T[7])));
}

TEST(BgNbd, FitIsInvariantToDuplicationAndOrder) {
  const Simulated s = simulate_bgnbd(3000, 0.25, 40, 0.8, 2.5, 7);
  const BgNbdParams once = rapport::fit_bgnbd(s.x, s.t_x, s.T);
  Simulated twice = s;
  twice.x.insert(twice.x.end(), s.x.rbegin(), s.x.rend());
  twice.t_x.insert(twice.t_x.end(), s.t_x.rbegin(), s.t_x.rend());
  twice.T.insert(twice.T.end(), s.T.rbegin(), s.T.rend());
  const BgNbdParams both = rapport::fit_bgnbd(twice.x, twice.t_x, twice.T);
  EXPECT_NEAR(both.r, once.r, 1e-7 * once.r);
  EXPECT_NEAR(both.alpha, once.alpha, 1e-7 * once.alpha);
  EXPECT_NEAR(both.a, once.a, 1e-7 * once.a);
  EXPECT_NEAR(both.b, once.b, 1e-7 * once.b);
  EXPECT_NEAR(both.log_likelihood, 2 * once.log_likelihood, 1e-9 * std::abs(both.log_likelihood));
}

TEST(BgNbd, RecoversSimulatedParameters) {
  const Simulated s = simulate_bgnbd(200000, 0.25, 40, 0.8, 2.5, 42);
  const BgNbdParams p = rapport::fit_bgnbd(s.x, s.t_x, s.T);
  // Whole-day rounding of t_x and sampling noise: a few percent.
  EXPECT_NEAR(p.r, 0.25, 0.02);
  EXPECT_NEAR(p.alpha, 40, 4);
  EXPECT_NEAR(p.a, 0.8, 0.1);
  EXPECT_NEAR(p.b, 2.5, 0.4);
}

TEST(BgNbd, AnalyticGradientAndHessianMatchFiniteDifferences) {
  const Cdnow& d = cdnow();
  const auto data = rapport::detail::compress_bgnbd(d.x, d.t_x, d.T);
  for (const Eigen::Vector4d& theta :
       {Eigen::Vector4d(std::log(0.243), std::log(30.9), std::log(0.793), std::log(2.426)),
        Eigen::Vector4d(0.3, 4.0, -0.5, 1.2), Eigen::Vector4d(-2.0, 2.0, 1.0, -1.0)}) {
    Eigen::Vector4d g;
    Eigen::Matrix4d H;
    const double f = rapport::detail::bgnbd_objective(data, theta, &g, &H);
    EXPECT_DOUBLE_EQ(rapport::detail::bgnbd_objective(data, theta, nullptr, nullptr), f);
    EXPECT_LT((H - H.transpose()).cwiseAbs().maxCoeff(), 1e-9 * H.cwiseAbs().maxCoeff());
    expect_bgnbd_derivatives_match_finite_differences(data, theta, g, H);
  }
}

TEST(GammaGamma, AnalyticGradientAndHessianMatchFiniteDifferences) {
  const Cdnow& d = cdnow();
  const auto data = rapport::detail::compress_gamma_gamma(d.x, d.m);
  for (const Eigen::Vector3d& theta : {Eigen::Vector3d(std::log(6.25), std::log(3.74), std::log(15.44)),
                                       Eigen::Vector3d(0.0, 0.7, 4.0), Eigen::Vector3d(2.5, 2.0, 1.0)}) {
    Eigen::Vector3d g;
    Eigen::Matrix3d H;
    rapport::detail::gamma_gamma_objective(data, theta, &g, &H);
    expect_derivatives_match_finite_differences<3>(
        [&](const Eigen::Vector3d& t, Eigen::Vector3d* grad) {
          return rapport::detail::gamma_gamma_objective(data, t, grad, nullptr);
        },
        theta, g, H);
  }
}

TEST(GammaGamma, FitErrors) {
  // Too few qualifying rows: x = 0 and m <= 0 rows do not count.
  const std::vector<double> x = {1, 2, 0, 3, 1, 0, 2}, m = {10, 20, 30, 0, 15, 5, 12};
  try {
    rapport::fit_gamma_gamma(x, m);
    FAIL() << "expected FitError";
  } catch (const FitError& e) {
    EXPECT_NE(std::string(e.what()).find("4 of 7"), std::string::npos) << e.what();
  }
  // Extremely heavy-tailed spend across customers: q <= 1 (or no finite optimum).
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 3.0);
  std::vector<double> hx, hm;
  for (int i = 0; i < 2000; ++i) {
    hx.push_back(1 + i % 3);
    hm.push_back(std::exp(z(rng)));
  }
  try {
    rapport::fit_gamma_gamma(hx, hm);
    FAIL() << "expected FitError";
  } catch (const FitError& e) {
    EXPECT_NE(std::string(e.what()).find("q = "), std::string::npos) << e.what();
  }
}

TEST(GammaGamma, RecoversSimulatedParameters) {
  const double p = 6.25, q = 3.74, gam = 15.44;
  std::mt19937_64 rng(11);
  std::gamma_distribution<double> nu_dist(q, 1.0 / gam);
  std::geometric_distribution<int> extra(0.4);
  std::vector<double> x, m;
  for (int i = 0; i < 100000; ++i) {
    const double xi = 1 + std::min(extra(rng), 30);
    const double nu = nu_dist(rng);
    std::gamma_distribution<double> mean_spend(p * xi, 1.0 / (nu * xi));
    x.push_back(xi);
    m.push_back(mean_spend(rng));
  }
  const GammaGammaParams fit = rapport::fit_gamma_gamma(x, m);
  EXPECT_NEAR(fit.p, p, 0.05 * p);
  EXPECT_NEAR(fit.q, q, 0.05 * q);
  EXPECT_NEAR(fit.gamma, gam, 0.08 * gam);
}

// The fits stop at the optimum to rounding, not merely at the gradient tolerance: a far tighter
// tolerance gives the same parameters (so two correct implementations agree to 1e-9 downstream).
TEST(BgNbd, FitReachesTheOptimumToRounding) {
  const Cdnow& d = cdnow();
  rapport::FitOptions tight;
  tight.gradient_tolerance = 1e-15;
  expect_same_bgnbd(rapport::fit_bgnbd(d.x, d.t_x, d.T), rapport::fit_bgnbd(d.x, d.t_x, d.T, tight), 1e-13);
  const GammaGammaParams g = rapport::fit_gamma_gamma(d.x, d.m);
  const GammaGammaParams h = rapport::fit_gamma_gamma(d.x, d.m, tight);
  EXPECT_NEAR(g.p, h.p, 1e-12 * h.p);
  EXPECT_NEAR(g.q, h.q, 1e-12 * h.q);
  EXPECT_NEAR(g.gamma, h.gamma, 1e-12 * h.gamma);
}

// -------------------------------------------------------------------------------------------
// Weighted fits: distinct rows with customer counts (a distributed run's pattern counts) give
// exactly the data, and so the fit, of the rows repeated by their weights.

/// `s`'s rows as distinct patterns with weights, in first-seen order, plus (to show that
/// repeated patterns merge too) every 7th pattern given twice with its weight split.
struct WeightedRows {
  std::vector<double> x, t_x, T, w;
  Simulated expanded;  ///< the rows repeated by their weights, in the same order
};

WeightedRows weighted_patterns(const Simulated& s, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> extra(0, 4);
  WeightedRows out;
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    const double w = 1 + extra(rng);
    const int copies = i % 7 == 0 && w >= 2 ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      const double part = copies == 1 ? w : (c == 0 ? 1.0 : w - 1.0);
      out.x.push_back(s.x[i]);
      out.t_x.push_back(s.t_x[i]);
      out.T.push_back(s.T[i]);
      out.w.push_back(part);
      for (int k = 0; k < static_cast<int>(part); ++k) {
        out.expanded.x.push_back(s.x[i]);
        out.expanded.t_x.push_back(s.t_x[i]);
        out.expanded.T.push_back(s.T[i]);
      }
    }
  }
  return out;
}

void expect_identical_bgnbd(const BgNbdParams& a, const BgNbdParams& b) {
  EXPECT_EQ(a.r, b.r);
  EXPECT_EQ(a.alpha, b.alpha);
  EXPECT_EQ(a.a, b.a);
  EXPECT_EQ(a.b, b.b);
  EXPECT_EQ(a.log_likelihood, b.log_likelihood);
}

// Hand-drawn: four customers' histories as weighted rows,
//   (x, t_x, T)  weight          the same customers expanded
//   (0, 0, 30)   2               (0,0,30) (0,0,30)
//   (1, 5, 30)   1               (1,5,30)
//   (2, 9, 30)   1               (2,9,30)
//   (1, 5, 30)   1  (repeated)   (1,5,30)
//   (0, 7, 40)   1  (t_x ignored at x = 0) (0,7,40)
// give 6 customers, 3 repeat buyers, rows (0,_,30) w2, (0,_,40) w1, (1,5,30) w2, (2,9,30) w1,
// x weights 3 (x = 0), 2 (x = 1), 1 (x = 2).
TEST(BgNbd, WeightedCompressionHandDrawn) {
  const std::vector<double> x = {0, 1, 2, 1, 0}, tx = {0, 5, 9, 5, 7}, T = {30, 30, 30, 30, 40}, w = {2, 1, 1, 1, 1};
  const auto data = rapport::detail::compress_bgnbd(x, tx, T, w);
  EXPECT_EQ(data.customers, 6U);
  EXPECT_EQ(data.repeat_buyers, 3U);
  EXPECT_EQ(data.x_values, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(data.x_weight, (std::vector<double>{3, 2, 1}));
  ASSERT_EQ(data.rows.size(), 4U);
  const std::vector<std::array<double, 4>> want = {{0, 0, 30, 2}, {0, 0, 40, 1}, {1, 5, 30, 2}, {2, 9, 30, 1}};
  for (std::size_t k = 0; k < want.size(); ++k) {
    const auto& row = data.rows[k];
    EXPECT_EQ(data.x_values[row.ix], want[k][0]) << k;
    if (want[k][0] > 0) {
      EXPECT_EQ(data.tx_values[row.itx], want[k][1]) << k;
    }
    EXPECT_EQ(data.T_values[row.iT], want[k][2]) << k;
    EXPECT_EQ(row.weight, want[k][3]) << k;
  }
  const std::vector<double> ex = {0, 0, 1, 2, 1, 0}, etx = {0, 0, 5, 9, 5, 7}, eT = {30, 30, 30, 30, 30, 40};
  const auto expanded = rapport::detail::compress_bgnbd(ex, etx, eT);
  ASSERT_EQ(expanded.rows.size(), data.rows.size());
  for (std::size_t k = 0; k < data.rows.size(); ++k) EXPECT_EQ(expanded.rows[k].weight, data.rows[k].weight) << k;
}

// Generated patterns, whole days (the table layout), real-valued (one entry per row) and large
// real-valued (65,536+ distinct rows: the sampled warm start and the vector pass): the weighted
// fit and the fit of the expanded rows agree to the last bit, the log-likelihood included.
TEST(BgNbd, WeightedFitEqualsExpandedFitBitForBit) {
  struct Case {
    std::size_t n;
    bool whole_days;
  };
  for (const Case c : {Case{20000, true}, Case{6000, false}, Case{70000, false}}) {
    const WeightedRows p = weighted_patterns(simulate_bgnbd(c.n, 0.25, 40, 0.8, 2.5, 17, c.whole_days), 3);
    SCOPED_TRACE(std::to_string(c.n) + (c.whole_days ? " whole days" : " real-valued"));
    const auto weighted = rapport::detail::compress_bgnbd(p.x, p.t_x, p.T, p.w);
    const auto expanded = rapport::detail::compress_bgnbd(p.expanded.x, p.expanded.t_x, p.expanded.T);
    EXPECT_EQ(weighted.per_row, expanded.per_row);
    EXPECT_EQ(weighted.per_row, !c.whole_days);
    EXPECT_EQ(weighted.customers, p.expanded.x.size());
    EXPECT_EQ(weighted.repeat_buyers, expanded.repeat_buyers);
    EXPECT_EQ(weighted.x_weight, expanded.x_weight);
    ASSERT_EQ(weighted.rows.size(), expanded.rows.size());
    expect_identical_bgnbd(rapport::fit_bgnbd_weighted(p.x, p.t_x, p.T, p.w),
                           rapport::fit_bgnbd(p.expanded.x, p.expanded.t_x, p.expanded.T));
  }
}

TEST(BgNbd, WeightedFitErrors) {
  const std::vector<double> x = {0, 1, 2, 0, 3}, tx = {0, 5, 9, 0, 20}, T = {30, 30, 30, 30, 30};
  for (const double bad : {0.0, -1.0, 1.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    const std::vector<double> w = {1, bad, 1, 1, 1};
    EXPECT_THROW(rapport::fit_bgnbd_weighted(x, tx, T, w), rapport::InputError) << bad;
  }
  EXPECT_THROW(rapport::fit_bgnbd_weighted(x, tx, T, std::vector<double>{1, 1}), rapport::UsageError);
  try {  // min_customers counts customers, not rows: 5 rows of weight 1 are too few, of weight 2 enough
    rapport::fit_bgnbd_weighted(x, tx, T, std::vector<double>(5, 1.0));
    FAIL() << "expected FitError";
  } catch (const FitError& e) {
    EXPECT_NE(std::string(e.what()).find("5 customers"), std::string::npos) << e.what();
  }
  try {
    rapport::fit_bgnbd_weighted(x, tx, T, std::vector<double>(5, 2.0));
  } catch (const FitError& e) {
    EXPECT_EQ(std::string(e.what()).find("customers, at least"), std::string::npos) << e.what();
  }
}

// Hand-drawn: (x, m) = (1, 10) w2, (2, 20) w1, (1, 10) w3, (0, 5) w4 (x = 0: not a repeat buyer)
// give 6 qualifying customers, rows (1, 10) w5 and (2, 20) w1, x weights 5 and 1.
TEST(GammaGamma, WeightedCompressionHandDrawn) {
  const std::vector<double> x = {1, 2, 1, 0}, m = {10, 20, 10, 5}, w = {2, 1, 3, 4};
  const auto data = rapport::detail::compress_gamma_gamma(x, m, w);
  EXPECT_EQ(data.customers, 6U);
  EXPECT_EQ(data.x_values, (std::vector<double>{1, 2}));
  EXPECT_EQ(data.x_weight, (std::vector<double>{5, 1}));
  ASSERT_EQ(data.rows.size(), 2U);
  EXPECT_EQ(data.rows[0].m, 10.0);
  EXPECT_EQ(data.rows[0].weight, 5.0);
  EXPECT_EQ(data.rows[1].m, 20.0);
  EXPECT_EQ(data.rows[1].weight, 1.0);
  try {  // the message counts customers by weight: 6 of 10
    rapport::fit_gamma_gamma_weighted(x, m, w);
    FAIL() << "expected FitError";
  } catch (const FitError& e) {
    EXPECT_NE(std::string(e.what()).find("6 of 10"), std::string::npos) << e.what();
  }
  EXPECT_THROW(rapport::fit_gamma_gamma_weighted(x, m, std::vector<double>{1, 0, 1, 1}), rapport::InputError);
  EXPECT_THROW(rapport::fit_gamma_gamma_weighted(x, m, std::vector<double>{1, 1}), rapport::UsageError);
}

// Generated spend rounded to cents (so rows repeat) as weighted patterns: the same fit to the bit.
TEST(GammaGamma, WeightedFitEqualsExpandedFitBitForBit) {
  std::mt19937_64 rng(23);
  std::gamma_distribution<double> nu_dist(3.74, 1.0 / 15.44);
  std::geometric_distribution<int> extra(0.4);
  std::uniform_int_distribution<int> weight(1, 6);
  std::vector<double> x, m, w, ex, em;
  for (int i = 0; i < 30000; ++i) {
    const double xi = 1 + std::min(extra(rng), 30);
    std::gamma_distribution<double> mean_spend(6.25 * xi, 1.0 / (nu_dist(rng) * xi));
    const double mi = std::round(mean_spend(rng) * 4) / 4;  // quarters: many repeats
    const double wi = weight(rng);
    x.push_back(xi);
    m.push_back(mi);
    w.push_back(wi);
    ex.insert(ex.end(), static_cast<std::size_t>(wi), xi);
    em.insert(em.end(), static_cast<std::size_t>(wi), mi);
  }
  const auto a = rapport::fit_gamma_gamma_weighted(x, m, w);
  const auto b = rapport::fit_gamma_gamma(ex, em);
  EXPECT_EQ(a.p, b.p);
  EXPECT_EQ(a.q, b.q);
  EXPECT_EQ(a.gamma, b.gamma);
  EXPECT_EQ(a.log_likelihood, b.log_likelihood);
}
