/// @file jet.hpp
/// Private: forward-mode derivatives for the value models' likelihoods. A `Jet<N, H>` is a value
/// with its gradient in N variables and, when H, its Hessian (packed upper triangle); arithmetic
/// and the few functions the likelihoods use carry both by the chain rule, so a likelihood
/// written once as a template over its scalar type gives its value (double) and its exact
/// derivatives (Jet) from the same expressions. The value part of every operation is the same
/// double operation as on plain doubles, so a Jet's value has the bits of the double code.
#pragma once

#include "value/log_gamma.hpp"

#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

namespace rapport::detail {

/// A value with its gradient in N variables and (when H) its Hessian.
template <int N, bool H>
struct Jet {
  static constexpr int kPairs = H ? N * (N + 1) / 2 : 0;  ///< packed Hessian entries (i <= j)
  double v = 0;                                           ///< the value
  std::array<double, N> g{};                              ///< ∂v/∂x_i
  std::array<double, kPairs> h{};                         ///< ∂²v/∂x_i∂x_j, i <= j, row by row

  Jet() = default;
  /// A constant (zero derivatives).
  Jet(double value) : v(value) {}  // NOLINT(google-explicit-constructor): constants mix freely

  /// The i-th variable at `value`.
  static Jet variable(double value, int i) {
    Jet out(value);
    out.g[static_cast<std::size_t>(i)] = 1;
    return out;
  }

  /// e^θ as a function of the i-th variable θ (a log-parameter) at `theta`.
  static Jet exp_of_variable(double theta, int i) {
    const double e = std::exp(theta);
    return chain(variable(theta, i), e, e, e);
  }

  /// `u` mapped through a function with value f, first derivative f1 and second f2 at u.v.
  static Jet chain(const Jet& u, double f, double f1, double f2) {
    Jet out(f);
    for (int i = 0; i < N; ++i) out.g[i] = f1 * u.g[i];
    if constexpr (H) {
      int k = 0;
      for (int i = 0; i < N; ++i)
        for (int j = i; j < N; ++j, ++k) out.h[k] = f1 * u.h[k] + f2 * u.g[i] * u.g[j];
    }
    return out;
  }

  /// f(u, w, y) with value f, gradient d (in u, w, y) and Hessian dd (uu, uw, uy, ww, wy, yy).
  static Jet compose3(double f, const std::array<double, 3>& d, const std::array<double, 6>& dd, const Jet& u,
                      const Jet& w, const Jet& y) {
    Jet out(f);
    for (int i = 0; i < N; ++i) out.g[i] = d[0] * u.g[i] + d[1] * w.g[i] + d[2] * y.g[i];
    if constexpr (H) {
      int k = 0;
      for (int i = 0; i < N; ++i) {
        for (int j = i; j < N; ++j, ++k) {
          out.h[k] = d[0] * u.h[k] + d[1] * w.h[k] + d[2] * y.h[k] + dd[0] * u.g[i] * u.g[j] + dd[3] * w.g[i] * w.g[j] +
                     dd[5] * y.g[i] * y.g[j] + dd[1] * (u.g[i] * w.g[j] + w.g[i] * u.g[j]) +
                     dd[2] * (u.g[i] * y.g[j] + y.g[i] * u.g[j]) + dd[4] * (w.g[i] * y.g[j] + y.g[i] * w.g[j]);
        }
      }
    }
    return out;
  }

  /// this += w · u (accumulating weighted rows).
  void add_scaled(double w, const Jet& u) {
    v += w * u.v;
    for (int i = 0; i < N; ++i) g[i] += w * u.g[i];
    for (int k = 0; k < kPairs; ++k) h[k] += w * u.h[k];
  }

  Jet& operator+=(const Jet& o) {
    v += o.v;
    for (int i = 0; i < N; ++i) g[i] += o.g[i];
    for (int k = 0; k < kPairs; ++k) h[k] += o.h[k];
    return *this;
  }
  Jet& operator-=(const Jet& o) {
    v -= o.v;
    for (int i = 0; i < N; ++i) g[i] -= o.g[i];
    for (int k = 0; k < kPairs; ++k) h[k] -= o.h[k];
    return *this;
  }
  Jet& operator+=(double c) {
    v += c;
    return *this;
  }
  Jet& operator*=(double c) {
    v *= c;
    for (int i = 0; i < N; ++i) g[i] *= c;
    for (int k = 0; k < kPairs; ++k) h[k] *= c;
    return *this;
  }
};

template <int N, bool H>
Jet<N, H> operator+(Jet<N, H> a, const Jet<N, H>& b) {
  return a += b;
}
template <int N, bool H>
Jet<N, H> operator-(Jet<N, H> a, const Jet<N, H>& b) {
  return a -= b;
}
template <int N, bool H>
Jet<N, H> operator+(Jet<N, H> a, double c) {
  return a += c;
}
template <int N, bool H>
Jet<N, H> operator+(double c, Jet<N, H> a) {
  a.v = c + a.v;
  return a;
}
template <int N, bool H>
Jet<N, H> operator-(Jet<N, H> a, double c) {
  a.v -= c;
  return a;
}
template <int N, bool H>
Jet<N, H> operator-(double c, const Jet<N, H>& a) {
  return Jet<N, H>::chain(a, c - a.v, -1, 0);
}
template <int N, bool H>
Jet<N, H> operator-(const Jet<N, H>& a) {
  return Jet<N, H>::chain(a, -a.v, -1, 0);
}
template <int N, bool H>
Jet<N, H> operator*(Jet<N, H> a, double c) {
  return a *= c;
}
template <int N, bool H>
Jet<N, H> operator*(double c, Jet<N, H> a) {
  a.v = c * a.v;
  for (int i = 0; i < N; ++i) a.g[i] *= c;
  for (int k = 0; k < Jet<N, H>::kPairs; ++k) a.h[k] *= c;
  return a;
}
template <int N, bool H>
Jet<N, H> operator*(const Jet<N, H>& a, const Jet<N, H>& b) {
  Jet<N, H> out(a.v * b.v);
  for (int i = 0; i < N; ++i) out.g[i] = a.v * b.g[i] + b.v * a.g[i];
  if constexpr (H) {
    int k = 0;
    for (int i = 0; i < N; ++i)
      for (int j = i; j < N; ++j, ++k) out.h[k] = a.v * b.h[k] + b.v * a.h[k] + a.g[i] * b.g[j] + a.g[j] * b.g[i];
  }
  return out;
}
template <int N, bool H>
Jet<N, H> operator/(const Jet<N, H>& a, const Jet<N, H>& b) {
  const double inv = 1 / b.v;
  Jet<N, H> rb = Jet<N, H>::chain(b, inv, -inv * inv, 2 * inv * inv * inv);
  Jet<N, H> out = a * rb;
  out.v = a.v / b.v;  // the double quotient's bits
  return out;
}
template <int N, bool H>
Jet<N, H> operator/(double c, const Jet<N, H>& b) {
  const double inv = 1 / b.v;
  return Jet<N, H>::chain(b, c / b.v, -c * inv * inv, 2 * c * inv * inv * inv);
}
template <int N, bool H>
Jet<N, H> operator/(const Jet<N, H>& a, double c) {
  Jet<N, H> out = a * (1 / c);
  out.v = a.v / c;
  return out;
}

template <int N, bool H>
Jet<N, H> log(const Jet<N, H>& u) {
  const double inv = 1 / u.v;
  return Jet<N, H>::chain(u, std::log(u.v), inv, -inv * inv);
}
template <int N, bool H>
Jet<N, H> exp(const Jet<N, H>& u) {
  const double e = std::exp(u.v);
  return Jet<N, H>::chain(u, e, e, e);
}
template <int N, bool H>
Jet<N, H> log1p(const Jet<N, H>& u) {
  const double inv = 1 / (1 + u.v);
  return Jet<N, H>::chain(u, std::log1p(u.v), inv, -inv * inv);
}
template <int N, bool H>
Jet<N, H> expm1(const Jet<N, H>& u) {
  const double e = std::exp(u.v);
  return Jet<N, H>::chain(u, std::expm1(u.v), e, e);
}

/// log(1 + e^u) without overflow.
inline double softplus(double u) { return u > 0 ? u + std::log1p(std::exp(-u)) : std::log1p(std::exp(u)); }

/// log(1 + e^u) with its derivatives σ(u) and σ(u) σ(−u) (σ the logistic function).
template <int N, bool H>
Jet<N, H> softplus(const Jet<N, H>& u) {
  const double e = std::exp(-std::abs(u.v));  // in (0, 1]
  const double big = 1 / (1 + e), small = e / (1 + e);
  const double sigma = u.v > 0 ? big : small;
  return Jet<N, H>::chain(u, softplus(u.v), sigma, big * small);
}

/// log Γ(u + x) as a Jet for many x and one Jet u: value, digamma and trigamma tabulated for the
/// whole x below `size` (the counts of purchases a base's rows share), computed directly
/// otherwise. The value is log_gamma(u.v + x), the bits the double code computes.
template <int N, bool H>
class ShiftedLogGamma {
public:
  ShiftedLogGamma(const Jet<N, H>& u, std::size_t size) : u_(u), table_(size) {
    // ψ(u+k+1) = ψ(u+k) + 1/(u+k), ψ'(u+k+1) = ψ'(u+k) − 1/(u+k)².
    double dg = boost::math::digamma(u.v), tg = H ? boost::math::trigamma(u.v) : 0.0;
    for (std::size_t k = 0; k < size; ++k) {
      const double at = u.v + static_cast<double>(k);
      table_[k] = {log_gamma(at), dg, tg};
      dg += 1 / at;
      if constexpr (H) tg -= 1 / (at * at);
    }
  }
  Jet<N, H> operator()(double x) const {
    const double at = u_.v + x;
    if (x < static_cast<double>(table_.size()) && x == std::floor(x)) {
      const auto& e = table_[static_cast<std::size_t>(x)];
      return Jet<N, H>::chain(u_, e[0], e[1], e[2]);
    }
    return Jet<N, H>::chain(u_, log_gamma(at), boost::math::digamma(at), H ? boost::math::trigamma(at) : 0.0);
  }

private:
  Jet<N, H> u_;
  std::vector<std::array<double, 3>> table_;
};

/// The value of a double or a Jet (for branches and comparisons).
inline double value_of(double v) { return v; }
template <int N, bool H>
double value_of(const Jet<N, H>& u) {
  return u.v;
}

}  // namespace rapport::detail
