// Tests of the gamma/beta ratios behind BG/BB and sBG (src/value/beta_ratios.hpp).
#include "value/beta_ratios.hpp"

#include <rapport/error.hpp>

#include <gtest/gtest.h>

#include <boost/multiprecision/cpp_bin_float.hpp>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using rapport::detail::lgamma_difference_quotient;
using rapport::detail::log_beta_ratio;
using rapport::detail::log_rising;
using rapport::detail::survival_sum;
using Big = boost::multiprecision::cpp_bin_float_50;

// log (z)_k against 50-digit lgamma differences, over shapes from 1e-8 to 1e12 and counts from
// 1e-9 (the a -> 1 limits) to 1e9, where the double subtraction lgamma(z+k) - lgamma(z) loses
// up to every digit.
TEST(BetaRatios, LogRisingMatches50DigitLgamma) {
  const std::vector<double> zs = {1e-8, 0.3, 0.657, 1, 2.5, 9.99, 10, 37.5, 1e4, 1e8, 1e12};
  const std::vector<double> ks = {1e-9, 1e-4, 0.5, 1, 3, 6, 10.5, 100, 1e5, 1e9};
  for (const double z : zs) {
    for (const double k : ks) {
      const Big exact = boost::multiprecision::lgamma(Big(z) + Big(k)) - boost::multiprecision::lgamma(Big(z));
      const double want = exact.convert_to<double>();
      EXPECT_NEAR(log_rising(z, k), want, 4e-15 * std::max(1.0, std::abs(want))) << "z=" << z << " k=" << k;
    }
  }
}

// e = 0 is the derivative, digamma: ψ(1) = -γ_Euler, ψ(1/2) = -γ_Euler - 2 ln 2 (exact values).
TEST(BetaRatios, QuotientAtZeroIsDigamma) {
  constexpr double euler = 0.57721566490153286061;
  EXPECT_NEAR(lgamma_difference_quotient(1, 0), -euler, 2e-15);
  EXPECT_NEAR(lgamma_difference_quotient(0.5, 0), -euler - 2 * std::log(2.0), 2e-15);
  // Continuous through e = 0 from both sides.
  EXPECT_NEAR(lgamma_difference_quotient(3.7, 1e-12), lgamma_difference_quotient(3.7, 0), 1e-11);
  EXPECT_NEAR(lgamma_difference_quotient(3.7, -1e-12), lgamma_difference_quotient(3.7, 0), 1e-11);
}

// B(a+x, b+y)/B(a, b) for integer x, y is (a)_x (b)_y / (a+b)_(x+y): B(2,3)/B(1,1) = 1/12.
TEST(BetaRatios, LogBetaRatioSmallIntegers) {
  EXPECT_NEAR(std::exp(log_beta_ratio(1, 1, 1, 2)), 1.0 / 12, 1e-15);
  // B(1.5, 2.5)/B(0.5, 0.5) = (0.5)(0.5)(1.5) / (1)(2)(3) = 0.375 / 6 = 1/16.
  EXPECT_NEAR(std::exp(log_beta_ratio(0.5, 0.5, 1, 2)), 1.0 / 16, 1e-15);
}

// Σ_{k=1..n} (z)_k/(z+a)_k with z = 1, a = 2: (1)_k/(3)_k = 2/((k+1)(k+2)) = 2[1/(k+1) - 1/(k+2)],
// telescoping to 1 - 2/(n+2). n = 3: 1/3 + 1/6 + 1/10 = 3/5 = 1 - 2/5. Beyond 4096 terms the
// closed form answers; n = +inf gives z/(a-1) = 1.
TEST(BetaRatios, SurvivalSumTelescopes) {
  EXPECT_NEAR(survival_sum(1, 2, 3), 3.0 / 5, 1e-15);
  EXPECT_NEAR(survival_sum(1, 2, 3.9), 3.0 / 5, 1e-15);  // whole periods only
  EXPECT_EQ(survival_sum(1, 2, 0), 0.0);
  EXPECT_EQ(survival_sum(1, 2, -3), 0.0);
  EXPECT_NEAR(survival_sum(1, 2, 1e6), 1 - 2 / (1e6 + 2), 1e-13);
  EXPECT_NEAR(survival_sum(1, 2, 1e15), 1.0, 1e-13);
  EXPECT_NEAR(survival_sum(1, 2, std::numeric_limits<double>::infinity()), 1.0, 1e-15);
}

// a = 1 (the closed form's 0/0): (1)_k/(2)_k = 1/(k+1), so the sum is H_(n+1) - 1; at n = 1e6
// H_(n+1) = ln(n+1) + γ + 1/(2(n+1)) - 1/(12(n+1)^2) + O(n^-4). Unbounded n diverges (+inf).
TEST(BetaRatios, SurvivalSumAtAOne) {
  constexpr double euler = 0.57721566490153286061;
  const double m = 1e6 + 1;
  const double harmonic = std::log(m) + euler + 1 / (2 * m) - 1 / (12 * m * m);
  EXPECT_NEAR(survival_sum(1, 1, 1e6), harmonic - 1, 1e-12);
  // Continuous across a = 1 (closed form on both sides).
  EXPECT_NEAR(survival_sum(1, 1 + 1e-10, 1e6), harmonic - 1, 1e-8);
  EXPECT_NEAR(survival_sum(1, 1 - 1e-10, 1e6), harmonic - 1, 1e-8);
  EXPECT_TRUE(std::isinf(survival_sum(1, 1, std::numeric_limits<double>::infinity())));
  EXPECT_TRUE(std::isinf(survival_sum(1, 0.5, std::numeric_limits<double>::infinity())));
}

// The term-by-term sum and the closed form agree where both apply (a 5000-period sum is past
// the 4096 terms summed directly; the direct sum is done here in long double).
TEST(BetaRatios, SurvivalSumClosedFormMatchesDirectSum) {
  for (const double z : {0.4, 2.783, 50.0}) {
    for (const double a : {0.3, 0.657, 1.0, 1.5, 7.0}) {
      long double term = 1, direct = 0;
      for (int k = 1; k <= 5000; ++k) {
        term *= (z + k - 1) / static_cast<long double>(z + a + k - 1);
        direct += term;
      }
      EXPECT_NEAR(survival_sum(z, a, 5000), static_cast<double>(direct), 1e-12 * static_cast<double>(direct))
          << "z=" << z << " a=" << a;
    }
  }
}

// Discounted with q = e^(-rate): z = 1, a = 2, Σ_{k>=1} q^k 2[1/(k+1) - 1/(k+2)] with
// Σ q^k/(k+1) = (-ln(1-q) - q)/q and Σ q^k/(k+2) = (-ln(1-q) - q - q²/2)/q².
TEST(BetaRatios, SurvivalSumDiscounted) {
  const double rate = 0.1;
  const double q = std::exp(-rate);
  const double l = -std::log1p(-q);
  const double want = 2 * ((l - q) / q - (l - q - q * q / 2) / (q * q));
  EXPECT_NEAR(survival_sum(1, 2, std::numeric_limits<double>::infinity(), rate), want, 1e-14);
  // Two terms by hand: q·(1/3) + q²·(1/6).
  EXPECT_NEAR(survival_sum(1, 2, 2, rate), q / 3 + q * q / 6, 1e-15);
  // No discount: the undiscounted sum.
  EXPECT_EQ(survival_sum(1, 2, 3, 0), survival_sum(1, 2, 3));
  // An unbounded horizon at a vanishing rate cannot be summed term by term: an error, not a hang.
  EXPECT_THROW(survival_sum(1, 0.5, std::numeric_limits<double>::infinity(), 1e-12), rapport::InputError);
}

}  // namespace
