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

#include "value/model_kernels.hpp"
#include "value/value_detail.hpp"

#include "util/parallel.hpp"

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/digamma.hpp>

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

double row_log_likelihood(std::span<const double> p, const ModelData& data, std::size_t row) {
  // B(a+1, b+x) = B(a, b+x+1) a/(b+x): L = Γ(r+x) α^r/Γ(r) B(a, b+x+1)/B(a, b) (α+T)^-(r+x)
  //   · (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x)); six lgamma per row instead of eleven.
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  const double x = data.x[row], t_x = data.t_x[row], T = data.T[row];
  const double log_alive = rapport::detail::log_gamma(r + x) - rapport::detail::log_gamma(r) + r * std::log(alpha) +
                           rapport::detail::log_gamma(b + x + 1) - rapport::detail::log_gamma(a + b + x + 1) -
                           rapport::detail::log_gamma(b) + rapport::detail::log_gamma(a + b) -
                           (r + x) * std::log(alpha + T);
  const double log_odds = std::log(a) - std::log(b + x) + (r + x) * (std::log(alpha + T) - std::log(alpha + t_x));
  return log_alive + (log_odds > 0 ? log_odds + std::log1p(std::exp(-log_odds)) : std::log1p(std::exp(log_odds)));
}

double p_alive(std::span<const double> p, const ModelData& data, std::size_t row) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  const double x = data.x[row], t_x = data.t_x[row], T = data.T[row];
  const double log_odds = std::log(a) - std::log(b + x) + (r + x) * (std::log(alpha + T) - std::log(alpha + t_x));
  return log_odds > 0 ? std::exp(-log_odds) / (1 + std::exp(-log_odds)) : 1 / (1 + std::exp(log_odds));
}

/// Σ weight · row LL at log-parameters `theta`, with its analytic gradient in theta when `grad`
/// is not empty (σ = P(left after the last purchase | history)):
///   ∂/∂r = ψ(r+x) − ψ(r) + log α − log(α+T) + σ (log(α+T) − log(α+t_x))
///   ∂/∂α = r/α − (r+x)/(α+T) + σ (r+x) (1/(α+T) − 1/(α+t_x))
///   ∂/∂a = ψ(a+b) − ψ(a+b+x+1) + σ/a
///   ∂/∂b = ψ(b+x+1) − ψ(a+b+x+1) − ψ(b) + ψ(a+b) − σ/(b+x)
/// Rows are summed in fixed blocks added in order: the same bits for any thread count.
double total_log_likelihood(std::span<const double> theta, const ModelData& data, std::span<double> grad) {
  using boost::math::digamma;
  const double r = std::exp(theta[0]), alpha = std::exp(theta[1]), a = std::exp(theta[2]), b = std::exp(theta[3]);
  const std::array<double, 4> p{r, alpha, a, b};
  const bool want = !grad.empty();
  const double dg_r = want ? digamma(r) : 0, dg_b = want ? digamma(b) : 0, dg_ab = want ? digamma(a + b) : 0;
  const std::size_t rows = data.x.size();
  constexpr std::size_t kBlock = 4096;
  const std::size_t blocks = (rows + kBlock - 1) / kBlock;
  std::vector<std::array<double, 5>> sums(blocks);
  parallel_for_dynamic(blocks, rows >= 4 * kBlock ? 0U : 1U, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t blk = lo; blk < hi; ++blk) {
      std::array<double, 5> acc{};
      const std::size_t end = std::min(rows, (blk + 1) * kBlock);
      for (std::size_t i = blk * kBlock; i < end; ++i) {
        const double w = row_weight(data, i);
        if (w == 0) continue;
        acc[0] += w * row_log_likelihood(p, data, i);
        if (!want) continue;
        const double x = data.x[i], lT = std::log(alpha + data.T[i]), ltx = std::log(alpha + data.t_x[i]);
        const double sigma = 1 - p_alive(p, data, i);
        const double dg_abx = digamma(a + b + x + 1);
        acc[1] += w * (digamma(r + x) - dg_r + theta[1] - lT + sigma * (lT - ltx));
        acc[2] += w * (r / alpha - (r + x) / (alpha + data.T[i]) +
                       sigma * (r + x) * (1 / (alpha + data.T[i]) - 1 / (alpha + data.t_x[i])));
        acc[3] += w * (dg_ab - dg_abx + sigma / a);
        acc[4] += w * (digamma(b + x + 1) - dg_abx - dg_b + dg_ab - sigma / (b + x));
      }
      sums[blk] = acc;
    }
  });
  std::array<double, 5> total{};
  for (const auto& acc : sums)
    for (std::size_t k = 0; k < 5; ++k) total[k] += acc[k];
  if (want)
    for (std::size_t k = 0; k < 4; ++k) grad[k] = total[k + 1] * p[k];  // chain rule to log-parameters
  return total[0];
}

std::vector<std::vector<double>> starts(const ModelData& data) {
  double mean_T = 0, total = 0;
  for (std::size_t i = 0; i < data.T.size(); ++i) {
    mean_T += row_weight(data, i) * data.T[i];
    total += row_weight(data, i);
  }
  mean_T = total > 0 ? mean_T / total : 1.0;
  if (!(mean_T > 0)) mean_T = 1.0;
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
  static const ModelKernel k{ValueModelName::mbgnbd,
                             validate,
                             row_log_likelihood,
                             total_log_likelihood,
                             starts,
                             nullptr,
                             p_alive,
                             expected,
                             nullptr,
                             expected_new,
                             pmf_new};
  return k;
}

}  // namespace rapport::detail
