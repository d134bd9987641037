// Intervals of the value figures (rapport/value/intervals.hpp): parameter draws (asymptotic
// normal of the log-parameters, or bootstrap refits) and per-row quantiles over them.
#include <rapport/value/intervals.hpp>

#include "util/parallel.hpp"
#include "value/intervals_eval.hpp"
#include "value/model_columns.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>
#include <tuple>

namespace rapport {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// SplitMix64: a small, fully specified generator (the same numbers on every platform).
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in (0, 1).
  double uniform() noexcept { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Standard normal (Box-Muller, one value per pair of uniforms).
  double normal() noexcept {
    const double u = uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
};

void check_options(const IntervalOptions& o) {
  if (!(o.level > 0 && o.level < 1))
    throw ConfigError("intervals: level must be in (0, 1), exclusive (got " + std::to_string(o.level) + ")");
  if (o.draws == 0) throw ConfigError("intervals: draws must be >= 1");
}

std::vector<ValueModel> parametric_draws(const ValueModel& fitted, const IntervalOptions& o) {
  const auto k = static_cast<Eigen::Index>(fitted.params.size());
  if (fitted.log_covariance.size() != fitted.params.size() * fitted.params.size())
    throw FitError(std::string(to_string(fitted.name)) +
                   ": parametric intervals need a fitted model's covariance (parameters were given)");
  Eigen::MatrixXd cov(k, k);
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = 0; j < k; ++j) cov(i, j) = fitted.log_covariance[static_cast<std::size_t>(i * k + j)];
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  if (llt.info() != Eigen::Success || !cov.allFinite())
    throw FitError(std::string(to_string(fitted.name)) +
                   ": the covariance of the log-parameters is not positive definite; use bootstrap intervals");
  const Eigen::MatrixXd L = llt.matrixL();
  Eigen::VectorXd theta(k), z(k);
  for (Eigen::Index i = 0; i < k; ++i) theta(i) = std::log(fitted.params[static_cast<std::size_t>(i)]);
  SplitMix rng{o.seed};
  std::vector<ValueModel> out(o.draws, fitted);
  for (auto& m : out) {
    for (Eigen::Index i = 0; i < k; ++i) z(i) = rng.normal();
    const Eigen::VectorXd t = theta + L * z;
    for (Eigen::Index i = 0; i < k; ++i) m.params[static_cast<std::size_t>(i)] = std::exp(t(i));
  }
  return out;
}

std::size_t row_count(const ModelData& d) {
  std::size_t n = 0;
  for (const std::size_t s :
       {d.x.size(), d.t_x.size(), d.T.size(), d.n.size(), d.m.size(), d.periods.size(), d.ended.size()})
    n = std::max(n, s);
  return n;
}

/// One bootstrap resample: as many customers as the data holds, drawn with replacement
/// (weighted rows by their weights), as rows with a count.
using Resample = detail::ModelColumns;

Resample resample(const ModelData& d, std::size_t rows_n, const std::vector<double>& cumulative, std::uint64_t seed) {
  SplitMix rng{seed};
  const double total = cumulative.back();
  const auto customers = static_cast<std::size_t>(std::llround(total));
  std::vector<double> count(rows_n, 0.0);
  for (std::size_t c = 0; c < customers; ++c) {
    const double u = rng.uniform() * total;
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    ++count[std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), rows_n - 1)];
  }
  // unweighted data stays unweighted (a row per customer drawn, so the models' fast fits, which
  // merge identical rows themselves, apply); weighted rows carry their count
  const bool weighted = !d.weights.empty();
  Resample r;
  const auto take = [](std::span<const double> from, std::vector<double>& to, std::size_t i) {
    if (!from.empty()) to.push_back(from[i]);
  };
  for (std::size_t i = 0; i < rows_n; ++i) {
    const auto copies = static_cast<std::size_t>(weighted ? std::min(count[i], 1.0) : count[i]);
    for (std::size_t k = 0; k < copies; ++k) {
      take(d.x, r.x, i);
      take(d.t_x, r.t_x, i);
      take(d.T, r.T, i);
      take(d.n, r.n, i);
      take(d.m, r.m, i);
      take(d.periods, r.periods, i);
      if (!d.ended.empty()) r.ended.push_back(d.ended[i]);
      if (weighted) r.weights.push_back(count[i]);
    }
  }
  return r;
}

std::vector<ValueModel> bootstrap_draws(const ValueModel& fitted, const ModelData& data, const IntervalOptions& o,
                                        const FitOptions& fit, unsigned threads) {
  const std::size_t n = row_count(data);
  if (n == 0) throw FitError(std::string(to_string(fitted.name)) + ": bootstrap intervals need the fit's data");
  std::vector<double> cumulative(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) cumulative[i] = sum += data.weights.empty() ? 1.0 : data.weights[i];
  // each draw's seed is fixed by its index, so which thread refits it does not matter
  SplitMix seeds{o.seed};
  std::vector<std::uint64_t> seed(o.draws);
  for (auto& s : seed) s = seeds.next();
  std::vector<ValueModel> out(o.draws);
  detail::parallel_for_dynamic(o.draws, threads, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t b = lo; b < hi; ++b) {
      const Resample r = resample(data, n, cumulative, seed[b]);
      out[b] = fit_value_model(fitted.name, r.data(), fit, fitted.penalizer);
    }
  });
  return out;
}

}  // namespace

std::string_view to_string(IntervalMethod method) noexcept {
  return method == IntervalMethod::bootstrap ? "bootstrap" : "parametric";
}

std::optional<IntervalMethod> parse_interval_method(std::string_view name) noexcept {
  if (name == "parametric") return IntervalMethod::parametric;
  if (name == "bootstrap") return IntervalMethod::bootstrap;
  return std::nullopt;
}

std::vector<ValueModel> draw_value_models(const ValueModel& fitted, const ModelData& data,
                                          const IntervalOptions& options, const FitOptions& fit, unsigned threads) {
  check_options(options);
  return options.method == IntervalMethod::parametric ? parametric_draws(fitted, options)
                                                      : bootstrap_draws(fitted, data, options, fit, threads);
}

std::pair<double, double> quantile_interval(std::span<double> values, double level) {
  const auto end = std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); });
  const auto n = static_cast<std::size_t>(end - values.begin());
  if (n == 0) return {nan, nan};
  // linear interpolation between the order statistics at floor(pos) and floor(pos) + 1, each
  // found by selection (the interval needs two quantiles, not the whole order)
  const auto quantile = [&](double p) {
    const double pos = p * static_cast<double>(n - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), end);
    const double a = values[lo];
    if (lo + 1 >= n) return a;
    const double b = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, end);
    return a + (b - a) * (pos - static_cast<double>(lo));
  };
  const double low = quantile((1 - level) / 2);
  return {low, quantile((1 + level) / 2)};
}

namespace {

/// The inputs p_alive and expected purchases depend on (every span but m and weights), compared
/// lexicographically: rows sorted by them put identical histories next to each other.
struct HistoryKey {
  const ModelData& d;
  bool less(std::size_t a, std::size_t b) const {
    for (const auto s : {d.x, d.t_x, d.T, d.n, d.periods})
      if (!s.empty() && s[a] != s[b]) return s[a] < s[b];
    return !d.ended.empty() && d.ended[a] < d.ended[b];
  }
  bool same(std::size_t a, std::size_t b) const { return !less(a, b) && !less(b, a); }
};

}  // namespace

ValueIntervals value_intervals(std::span<const ValueModel> purchase_draws, std::span<const ValueModel> spend_draws,
                               const ModelData& data, double horizon, double level, unsigned threads) {
  return detail::value_intervals(purchase_draws, spend_draws, data, data, {horizon, level, 0}, threads);
}

ValueIntervals detail::value_intervals(std::span<const ValueModel> purchase_draws,
                                       std::span<const ValueModel> spend_draws, const ModelData& data,
                                       const ModelData& spend_data, const IntervalEvaluation& eval, unsigned threads) {
  if (!(eval.level > 0 && eval.level < 1))
    throw ConfigError("intervals: level must be in (0, 1), exclusive (got " + std::to_string(eval.level) + ")");
  if (purchase_draws.empty()) throw InputError("value_intervals: no parameter draws");
  const bool with_spend = !spend_draws.empty();
  if (with_spend && spend_draws.size() != purchase_draws.size())
    throw InputError("value_intervals: " + std::to_string(purchase_draws.size()) + " purchase-model draws but " +
                     std::to_string(spend_draws.size()) + " spend-model draws");
  const std::size_t n = row_count(data), D = purchase_draws.size();
  if (with_spend && row_count(spend_data) != n)
    throw InputError("value_intervals: " + std::to_string(n) + " purchase-model rows but " +
                     std::to_string(row_count(spend_data)) + " spend-model rows");
  const double horizon = eval.horizon, level = eval.level;
  const bool discounted = eval.discount_rate != 0;
  ValueIntervals out;
  for (auto* v : {&out.p_alive_lo, &out.p_alive_hi, &out.expected_purchases_lo, &out.expected_purchases_hi,
                  &out.expected_value_lo, &out.expected_value_hi})
    v->assign(n, nan);
  // rows in history order: each block evaluates every distinct history of its rows once per draw
  const HistoryKey key{data};
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key.less(a, b); });
  constexpr std::size_t block = 512;
  detail::parallel_for_dynamic(n, threads, block, [&](std::size_t lo, std::size_t hi) {
    detail::ModelColumns uc;  // the block's distinct histories
    std::vector<double> bx, bm, spend, p, e, ev, col(D), v(D * block);
    std::vector<std::size_t> of(block);  // the distinct history of each row of the block
    for (std::size_t b0 = lo; b0 < hi; b0 += block) {
      const std::size_t b1 = std::min(hi, b0 + block), rows_n = b1 - b0;
      for (auto* u : {&uc.x, &uc.t_x, &uc.T, &uc.n, &uc.periods}) u->clear();
      uc.ended.clear();
      bx.clear();
      bm.clear();
      std::size_t distinct = 0;
      for (std::size_t i = 0; i < rows_n; ++i) {
        const std::size_t r = order[b0 + i];
        if (i == 0 || !key.same(order[b0 + i - 1], r)) {
          ++distinct;
          const auto put = [r](std::span<const double> s, std::vector<double>& to) {
            if (!s.empty()) to.push_back(s[r]);
          };
          put(data.x, uc.x);
          put(data.t_x, uc.t_x);
          put(data.T, uc.T);
          put(data.n, uc.n);
          put(data.periods, uc.periods);
          if (!data.ended.empty()) uc.ended.push_back(data.ended[r]);
        }
        of[i] = distinct - 1;
        if (with_spend) {
          bx.push_back(spend_data.x.empty() ? 0.0 : spend_data.x[r]);
          bm.push_back(spend_data.m.empty() ? 0.0 : spend_data.m[r]);
        }
      }
      const ModelData u = uc.data();
      ModelData sm;
      sm.x = bx;
      sm.m = bm;
      p.assign(D * distinct, nan);
      e.assign(D * distinct, nan);
      ev.assign(discounted ? distinct : 0, nan);
      spend.assign(rows_n, nan);
      for (std::size_t d = 0; d < D; ++d) {
        const std::span<double> pd(p.data() + d * distinct, distinct), ed(e.data() + d * distinct, distinct);
        rapport::p_alive(purchase_draws[d], u, pd);
        expected_purchases(purchase_draws[d], horizon, u, ed);
        if (!with_spend) continue;
        expected_spend(spend_draws[d], sm, spend);
        // expected value's purchases: the same expectation, or its discounted form
        if (discounted) discounted_expected_purchases(purchase_draws[d], horizon, eval.discount_rate, u, ev);
        const std::span<const double> vd = discounted ? std::span<const double>(ev) : std::span<const double>(ed);
        for (std::size_t i = 0; i < rows_n; ++i) v[d * block + i] = vd[of[i]] * spend[i];
      }
      // p_alive and expected purchases: once per distinct history, copied to its rows
      for (std::size_t k = 0, i = 0; k < distinct; ++k) {
        for (std::size_t d = 0; d < D; ++d) col[d] = p[d * distinct + k];
        const auto pi = quantile_interval(col, level);
        for (std::size_t d = 0; d < D; ++d) col[d] = e[d * distinct + k];
        const auto ei = quantile_interval(col, level);
        for (; i < rows_n && of[i] == k; ++i) {
          const std::size_t r = order[b0 + i];
          std::tie(out.p_alive_lo[r], out.p_alive_hi[r]) = pi;
          std::tie(out.expected_purchases_lo[r], out.expected_purchases_hi[r]) = ei;
        }
      }
      if (!with_spend) continue;
      for (std::size_t i = 0; i < rows_n; ++i) {
        for (std::size_t d = 0; d < D; ++d) col[d] = v[d * block + i];
        const std::size_t r = order[b0 + i];
        std::tie(out.expected_value_lo[r], out.expected_value_hi[r]) = quantile_interval(col, level);
      }
    }
  });
  return out;
}

}  // namespace rapport
