/// @file mbgnbd.cpp
/// MBG/NBD (Batislam, Denizel & Filiztekin 2007) behind the generic layer. As BG/NBD, but a
/// customer may also leave right after the first purchase (at time 0): given λ and p,
///   alive path:  (1−p)^(x+1) λ^x e^(−λT),    left after the x-th purchase:  p (1−p)^x λ^x e^(−λ t_x),
/// so every BG/NBD expression holds with the dropout exponents shifted by one. Mixed over
/// λ ~ Gamma(r, α) and p ~ Beta(a, b):
///   L = Γ(r+x) α^r / Γ(r) · [B(a, b+x+1)/B(a, b) (α+T)^-(r+x) + B(a+1, b+x)/B(a, b) (α+t_x)^-(r+x)],
///   P(alive) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x)),
///   E[Y(t) | alive] = BG/NBD's with b+1 in place of b (posterior p ~ Beta(a, b+x+1)),
///   E[X(t)] = b/(a+b) · BG/NBD's E[X(t)] at (r, α, a, b+1) = b/(a−1) [1 − (α/(α+t))^r 2F1(r, b+1; a+b; t/(α+t))],
///   P(X(t) = k) = B(a, b+k+1)/B(a, b) NB(k) + B(a+1, b+k)/B(a, b) (1 − Σ_{j<k} NB(j)), NB(j) = NB(j; r, α/(α+t)).
/// The hypergeometric expectation is value.cpp's (bgnbd_expected_purchases_if_alive): the same
/// Euler-transformed series and quadrature fallback, bounded time for any input.
#include <rapport/value/value.hpp>

#include "value/jet.hpp"
#include "value/model_kernels.hpp"
#include "value/row_sums.hpp"
#include "value/value_detail.hpp"

#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>
#include "value/log_gamma.hpp"

namespace rapport::detail {
namespace {

/// log B(a, b).
double log_beta(double a, double b) {
  return rapport::detail::log_gamma(a) + rapport::detail::log_gamma(b) - rapport::detail::log_gamma(a + b);
}

std::size_t validate(const ModelData& data) { return validate_recency_data(data, "mbgnbd"); }

/// One parameter point (doubles, or Jets in the log-parameters) with the terms every row shares.
template <class Num>
struct Point {
  Num r, alpha, a, b;
  Num log_a;
  Num shared;  ///< r log α − log Γ(r) − log Γ(b) + log Γ(a+b)
};

/// What a row's log-likelihood needs of its x alone: g = log Γ(r+x) + log Γ(b+1+x) − log Γ(a+b+1+x)
/// and log(b+x); tabulated once per pass for the whole x a base's rows share.
template <class Num>
struct XTerms {
  Num g, log_bx;
};

XTerms<double> x_terms(const Point<double>& p, double x) {
  return {log_gamma(p.r + x) + log_gamma((p.b + 1) + x) - log_gamma((p.a + p.b + 1) + x), std::log(p.b + x)};
}

/// log of the odds a/(b+x) ((α+T)/(α+t_x))^(r+x) that the customer left after the last purchase.
template <class Num>
Num log_odds(const Point<Num>& p, const Num& log_bx, double x, double t_x, const Num& log_alpha_T) {
  using std::log;
  return p.log_a - log_bx + (p.r + x) * (log_alpha_T - log(p.alpha + t_x));
}

/// One row's log-likelihood
///   log Γ(r+x) − log Γ(r) + r log α + log B(a, b+x+1) − log B(a, b) − (r+x) log(α+T) + softplus(log odds),
/// as B(a+1, b+x) = B(a, b+x+1) a/(b+x): six log Γ per row, three shared by all rows, three by x.
template <class Num>
Num row_ll(const Point<Num>& p, const XTerms<Num>& xt, double x, double t_x, double T) {
  using std::log;
  const Num log_alpha_T = log(p.alpha + T);
  const Num log_alive = xt.g + p.shared - (p.r + x) * log_alpha_T;
  return log_alive + softplus(log_odds(p, xt.log_bx, x, t_x, log_alpha_T));
}

Point<double> point_of(std::span<const double> p) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  return {r, alpha, a, b, std::log(a), r * std::log(alpha) - log_gamma(r) - log_gamma(b) + log_gamma(a + b)};
}

double row_log_likelihood(std::span<const double> p, const ModelData& data, std::size_t row) {
  const Point<double> pt = point_of(p);
  const double x = data.x[row];
  return row_ll(pt, x_terms(pt, x), x, data.t_x[row], data.T[row]);
}

double p_alive(std::span<const double> p, const ModelData& data, std::size_t row) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  const Point<double> pt{r, alpha, a, b, std::log(a), 0.0};
  const double x = data.x[row];
  const double lo = log_odds(pt, std::log(b + x), x, data.t_x[row], std::log(alpha + data.T[row]));
  return lo > 0 ? std::exp(-lo) / (1 + std::exp(-lo)) : 1 / (1 + std::exp(lo));
}

/// `make(x)` for every whole x below `size`, looked up for those x and computed for the others.
template <class Terms, class Make>
class XTable {
public:
  XTable(std::size_t size, Make make) : make_(make) {
    table_.reserve(size);
    for (std::size_t k = 0; k < size; ++k) table_.push_back(make_(static_cast<double>(k)));
  }
  Terms operator()(double x) const {
    if (x < static_cast<double>(table_.size()) && x == std::floor(x)) return table_[static_cast<std::size_t>(x)];
    return make_(x);
  }

private:
  Make make_;
  std::vector<Terms> table_;
};

/// Σ weight · row LL at log-parameters `theta`: the rows' double code (the point and the x terms
/// once per pass: the same expressions, so the same bits as row_log_likelihood), or (Jets) with
/// the gradient and Hessian in theta from the same expressions (jet.hpp), log Γ(u+x) with its
/// derivatives tabulated for whole x.
double total_log_likelihood_hessian(std::span<const double> theta, const ModelData& data, std::span<double> grad,
                                    std::span<double> hess) {
  using std::log;
  const std::size_t rows = data.x.size();
  const std::size_t table = gamma_table_size(data);
  return total_by_order<4>(grad, hess, [&](auto order) {
    if constexpr (decltype(order)::value == 0) {
      const std::array<double, 4> natural{std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]),
                                          std::exp(theta[3])};
      const Point<double> p = point_of(natural);
      const auto make = [&](double x) { return x_terms(p, x); };
      const XTable<XTerms<double>, decltype(make)> xt(table, make);
      return sum_rows<double>(data, rows, [&](std::size_t i) {
        const double x = data.x[i];
        return row_ll(p, xt(x), x, data.t_x[i], data.T[i]);
      });
    } else {
      // Jets in the natural parameters for the terms of x alone (tabulated) and of the point; the
      // rest of a row, −(r+x) log(α+T) + softplus(log odds), by its closed-form derivatives
      // (cheaper than jet arithmetic per row); the value by the double code's expressions.
      constexpr bool H = decltype(order)::value == 2;
      using J = Jet<4, H>;
      const double rv = std::exp(theta[0]), av = std::exp(theta[1]), aa = std::exp(theta[2]), bv = std::exp(theta[3]);
      const J r = J::variable(rv, 0), alpha = J::variable(av, 1), a = J::variable(aa, 2), b = J::variable(bv, 3);
      const ShiftedLogGamma<4, H> lg_r(r, table), lg_b1(b + 1.0, table), lg_ab1(a + b + 1.0, table);
      const ShiftedLogGamma<4, H> lg_b(b, 1), lg_ab(a + b, 1);
      const Point<J> p{r, alpha, a, b, log(a), r * log(alpha) - lg_r(0.0) - lg_b(0.0) + lg_ab(0.0)};
      const auto make = [&](double x) { return XTerms<J>{lg_r(x) + lg_b1(x) - lg_ab1(x), log(b + x)}; };
      const XTable<XTerms<J>, decltype(make)> xt(table, make);
      const double log_a = p.log_a.v, inv_a = 1 / aa;
      J total = sum_rows<J>(data, rows, [&](std::size_t i) {
        const double x = data.x[i], t_x = data.t_x[i], T = data.T[i];
        const XTerms<J> terms = xt(x);
        J row = terms.g + p.shared;
        const double s = rv + x, lt = std::log(av + T), lx = std::log(av + t_x);
        const double lo = log_a - terms.log_bx.v + s * (lt - lx);
        row.v = (row.v - s * lt) + softplus(lo);
        // σ = P(left after the last purchase); ∇ log odds = (lt − lx, s (1/(α+T) − 1/(α+t_x)), 1/a, −1/(b+x)).
        const double e = std::exp(-std::abs(lo)), big = 1 / (1 + e), small = e / (1 + e);
        const double sigma = lo > 0 ? big : small, kk = big * small;
        const double it = 1 / (av + T), ix = 1 / (av + t_x), ib = 1 / (bv + x);
        const double d0 = lt - lx, d1 = s * (it - ix), d2 = inv_a, d3 = -ib;
        row.g[0] += -lt + sigma * d0;
        row.g[1] += -s * it + sigma * d1;
        row.g[2] += sigma * d2;
        row.g[3] += sigma * d3;
        if constexpr (H) {
          // packed (rr, rα, ra, rb, αα, αa, αb, aa, ab, bb)
          row.h[0] += kk * d0 * d0;
          row.h[1] += -it + sigma * (it - ix) + kk * d0 * d1;
          row.h[2] += kk * d0 * d2;
          row.h[3] += kk * d0 * d3;
          row.h[4] += s * it * it + sigma * s * (ix * ix - it * it) + kk * d1 * d1;
          row.h[5] += kk * d1 * d2;
          row.h[6] += kk * d1 * d3;
          row.h[7] += -sigma * inv_a * inv_a + kk * d2 * d2;
          row.h[8] += kk * d2 * d3;
          row.h[9] += sigma * ib * ib + kk * d3 * d3;
        }
        return row;
      });
      // To the log-parameters: ∂/∂θ_i = p_i ∂/∂p_i, ∂²/∂θ_i∂θ_j = p_i p_j ∂²/∂p_i∂p_j + [i = j] p_i ∂/∂p_i.
      const std::array<double, 4> nat{rv, av, aa, bv};
      if constexpr (H) {
        int k = 0;
        for (std::size_t i = 0; i < 4; ++i)
          for (std::size_t j = i; j < 4; ++j, ++k)
            total.h[static_cast<std::size_t>(k)] =
                nat[i] * nat[j] * total.h[static_cast<std::size_t>(k)] + (i == j ? nat[i] * total.g[i] : 0.0);
      }
      for (std::size_t i = 0; i < 4; ++i) total.g[i] *= nat[i];
      return total;
    }
  });
}

double total_log_likelihood(std::span<const double> theta, const ModelData& data, std::span<double> grad) {
  return total_log_likelihood_hessian(theta, data, grad, {});
}

std::vector<std::vector<double>> starts(const ModelData& data) {
  const double mean_T = weighted_mean_T(data);
  std::vector<std::vector<double>> out;
  for (const auto& st : {std::vector<double>{1.0, mean_T, 1.0, 1.0}, std::vector<double>{0.25, 0.25 * mean_T, 0.5, 2.0},
                         std::vector<double>{4.0, 4.0 * mean_T, 2.0, 0.5}}) {
    out.push_back({std::log(st[0]), std::log(st[1]), std::log(st[2]), std::log(st[3])});
  }
  return out;
}

double expected(std::span<const double> p, double t, const ModelData& data, std::size_t row) {
  const BgNbdParams shifted{p[0], p[1], p[2], p[3] + 1, 0};
  return bgnbd_expected_purchases_if_alive(shifted, t, data.x[row], data.T[row]) * p_alive(p, data, row);
}

double expected_new(std::span<const double> p, double t) {
  const BgNbdParams shifted{p[0], p[1], p[2], p[3] + 1, 0};
  return p[3] / (p[2] + p[3]) * bgnbd_expected_purchases_if_alive(shifted, t, 0.0, 0.0);
}

double pmf_new(std::span<const double> p, double t, unsigned k) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  const double kd = k;
  const double lb = log_beta(a, b);
  if (!(t > 0)) return k == 0 ? 1.0 : 0.0;
  const double log_nb = log_rising_over_factorial(r, k) + r * (std::log(alpha) - std::log(alpha + t)) +
                        kd * (std::log(t) - std::log(alpha + t));
  const double alive = std::exp(log_beta(a, b + kd + 1) - lb + log_nb);
  // 1 − Σ_{j<k} NB(j; r, q) = 1 − I_q(r, k), q = α/(α+t); 1 at k = 0.
  const double tail = k == 0 ? 1.0 : boost::math::ibetac(r, kd, alpha / (alpha + t));
  return alive + std::exp(log_beta(a + 1, b + kd) - lb) * tail;
}

}  // namespace

const ModelKernel& mbgnbd_kernel() {
  static const ModelKernel k{.name = ValueModelName::mbgnbd,
                             .validate = validate,
                             .row_log_likelihood = row_log_likelihood,
                             .total_log_likelihood = total_log_likelihood,
                             .starts = starts,
                             .fit = nullptr,
                             .p_alive = p_alive,
                             .expected = expected,
                             .discounted_expected = nullptr,
                             .expected_new = expected_new,
                             .pmf_new = pmf_new,
                             .total_log_likelihood_hessian = total_log_likelihood_hessian};
  return k;
}

}  // namespace rapport::detail
