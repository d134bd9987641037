/// @file lanes.hpp
/// Private: four-lane double vectors (GCC/Clang vector extensions) with a branch-free natural
/// logarithm and exponential, for the BG/NBD likelihood pass over large data. Only +, -, *, /
/// and bit operations are used (no fused multiply-add, no reassociation), so every lane gives
/// the same bits whether the compiler emits SSE2, AVX2 or scalar code.
#pragma once

#include <bit>
#include <cstdint>

#if defined(__GNUC__)  // GCC and Clang
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"  // 32-byte vectors are only passed inline here
#endif

namespace rapport::detail::lanes {

using V = double __attribute__((vector_size(32)));        ///< four doubles
using I = std::int64_t __attribute__((vector_size(32)));  ///< four 64-bit integers / masks

#define RAPPORT_LANES_INLINE [[gnu::always_inline]] inline

RAPPORT_LANES_INLINE V splat(double v) { return V{v, v, v, v}; }
RAPPORT_LANES_INLINE I splat_i(std::int64_t v) { return I{v, v, v, v}; }

/// Lane-wise `mask ? a : b` for a comparison mask (all ones / all zeros per lane).
RAPPORT_LANES_INLINE V select(I mask, V a, V b) {
  return std::bit_cast<V>((mask & std::bit_cast<I>(a)) | (~mask & std::bit_cast<I>(b)));
}

/// Integer-valued lanes |k| < 2^51 to double, exactly (no int64 -> double vector instruction
/// before AVX-512: add the bits of 1.5 * 2^52 and subtract it as a double).
RAPPORT_LANES_INLINE V int_to_double(I k) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  return std::bit_cast<V>(k + splat_i(std::bit_cast<std::int64_t>(kMagic))) - splat(kMagic);
}

/// Natural logarithm of positive, finite, normal lanes; error below 1 ulp (the fdlibm/musl
/// algorithm: v = 2^k m with m in [sqrt(2)/2, sqrt(2)), log m = 2 atanh(f / (2 + f)) with f = m - 1).
RAPPORT_LANES_INLINE V log(V v) {
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  constexpr double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                   Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                   Lg7 = 1.479819860511658591e-01;
  const I bits = std::bit_cast<I>(v);
  // High word shifted so that its exponent field counts from sqrt(2)/2.
  const I hx = (bits >> 32) + splat_i(0x3ff00000 - 0x3fe6a09e);
  const I k = (hx >> 20) - splat_i(0x3ff);
  const I mhx = (hx & splat_i(0x000fffff)) + splat_i(0x3fe6a09e);
  const V m = std::bit_cast<V>((mhx << 32) | (bits & splat_i(0xffffffff)));
  const V f = m - 1.0;
  const V hfsq = 0.5 * f * f;
  const V s = f / (2.0 + f);
  const V z = s * s;
  const V w = z * z;
  const V t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const V t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const V R = t2 + t1;
  const V dk = int_to_double(k);
  return s * (hfsq + R) + dk * ln2_lo - hfsq + f + dk * ln2_hi;
}

/// Exponential of lanes x <= 0 (any, including -infinity); error below 1 ulp (fdlibm/musl:
/// x = k ln2 + r, |r| <= ln2 / 2, exp r by a rational approximation). Lanes below -708 give 0
/// (the true value is below 3.3e-308).
RAPPORT_LANES_INLINE V exp_nonpositive(V x) {
  constexpr double invln2 = 1.44269504088896338700e+00;
  constexpr double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  constexpr double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
                   P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const I tiny = x < -708.0;
  const V xc = select(tiny, splat(0.0), x);
  const V kbig = invln2 * xc + kMagic;  // round(x / ln2) in the low bits
  const V kd = kbig - kMagic;
  const I k = std::bit_cast<I>(kbig) - splat_i(std::bit_cast<std::int64_t>(kMagic));
  const V hi = xc - kd * ln2hi;
  const V lo = kd * ln2lo;
  const V r = hi - lo;
  const V rr = r * r;
  const V c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
  const V y = 1.0 + (r * c / (2.0 - c) - lo + hi);
  // 2^k for -1022 <= k <= 0 (k >= -1022 because x >= -708), as two factors so that a
  // subnormal result is rounded once, from y 2^(k - h) with h = k / 2 and 2^h normal.
  const I h = k >> 1;
  const V s1 = std::bit_cast<V>((h + splat_i(1023)) << 52);
  const V s2 = std::bit_cast<V>((k - h + splat_i(1023)) << 52);
  return select(tiny, splat(0.0), y * s1 * s2);
}

#undef RAPPORT_LANES_INLINE

}  // namespace rapport::detail::lanes

#if defined(__GNUC__)  // GCC and Clang
#pragma GCC diagnostic pop
#endif
