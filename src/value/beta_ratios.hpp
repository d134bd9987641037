// Private: ratios of gamma and beta functions and the sums of rising-factorial ratios that the
// discrete value models (BG/BB in bgbb.cpp, sBG in sbg.cpp) are built from, evaluated without
// cancellation over the whole parameter range (shape parameters from 1e-300 to 1e300, where
// lgamma(a + x) - lgamma(a) by subtraction would lose every digit).
#pragma once

namespace rapport::detail {

/// (lgamma(u + e) - lgamma(u)) / e for u > 0, u + e > 0; digamma(u) when e = 0. Relative error a
/// few ulps: both arguments are shifted to at least 10 with log1p terms, then Stirling's series of
/// the difference is summed term by term.
double lgamma_difference_quotient(double u, double e);

/// log of the rising factorial (z)_k = Γ(z + k) / Γ(z), z > 0, k >= 0 (whole k <= 16: the log of
/// the product z (z+1) … (z+k-1)).
double log_rising(double z, double k);

/// ψ(z + k) - ψ(z), the derivative of log_rising in z (z > 0, k >= 0): Σ_{j<k} 1/(z + j) for
/// whole k up to 4096, else a difference of digammas.
double digamma_difference(double z, double k);

/// log B(a + x, b + y) - log B(a, b), a, b > 0, x, y >= 0.
double log_beta_ratio(double a, double b, double x, double y);

/// Σ_{k=1..n} e^(-rate k) (z)_k / (z + a)_k for z > 0, a > 0, n >= 0 (floored; +inf for no end)
/// and rate >= 0: with θ ~ Beta(a, z), (z)_k / (z + a)_k = E[(1 - θ)^k], so this is the expected
/// (discounted) count of k in 1..n that a beta-geometric process survives. Sums term by term
/// until the rest is below 1e-17 of the sum; undiscounted sums too long for that use the closed
/// form z/(a-1) (1 - (z+1)_n / (z+a)_n), exact at a = 1. +inf when rate = 0, n = +inf and a <= 1.
/// @throws InputError when rate > 0 and more than 2^24 terms would be needed (a rate below ~2e-6
/// per period over a longer horizon).
double survival_sum(double z, double a, double n, double rate = 0);

}  // namespace rapport::detail
