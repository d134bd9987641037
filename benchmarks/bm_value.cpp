// Benchmarks of the BG/NBD and Gamma-Gamma fits on synthetic customers.
//
//   bm_value --benchmark_filter='BM_FitBgNbd/1048576'
#include <rapport/value/models.hpp>
#include <rapport/value/value.hpp>

#include "value/value_detail.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

/// Synthetic BG/NBD customers: lambda ~ Gamma(r, 1/alpha), p ~ Beta(a, b), purchases a Poisson
/// process at rate lambda with dropout probability p after each repeat purchase. In whole days
/// (T ~ U{30..540}, t_x rounded up to a day; few distinct histories, which the fit merges) or,
/// with `real_valued`, T ~ U(30, 540) and t_x the exact time of the last purchase (every
/// history distinct; the data of benchmarks/peers/bgnbd_peers.py).
struct BgNbdSample {
  std::vector<double> x, t_x, T;
};

const BgNbdSample& bgnbd_sample(std::size_t n, bool real_valued = false) {
  static std::map<std::pair<std::size_t, bool>, BgNbdSample> cache;
  auto it = cache.find({n, real_valued});
  if (it != cache.end()) return it->second;
  constexpr double r = 0.25, alpha = 40.0, a = 0.8, b = 2.5;
  std::mt19937_64 rng(20240531);
  std::gamma_distribution<double> lambda_dist(r, 1.0 / alpha);
  std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
  std::uniform_int_distribution<int> T_dist(30, 540);
  std::uniform_real_distribution<double> T_real(30.0, 540.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::exponential_distribution<double> unit_exp(1.0);
  BgNbdSample s;
  s.x.reserve(n);
  s.t_x.reserve(n);
  s.T.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double lambda = lambda_dist(rng);
    const double ya = ga(rng);
    const double p = ya / (ya + gb(rng));
    const double T = real_valued ? T_real(rng) : T_dist(rng);
    double t = 0, tx = 0, x = 0;
    while (lambda > 0) {
      t += unit_exp(rng) / lambda;
      if (t > T) break;
      x += 1;
      tx = real_valued ? t : std::ceil(t);  // whole days: a repeat purchase is at least day 1
      if (u(rng) < p) break;
    }
    s.x.push_back(x);
    s.t_x.push_back(tx);
    s.T.push_back(T);
  }
  return cache.emplace(std::pair{n, real_valued}, std::move(s)).first->second;
}

/// Fits BG/NBD to the sample of range(0) customers (whole days or real-valued).
void fit_bgnbd_sample(benchmark::State& state, bool real_valued) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const BgNbdSample& s = bgnbd_sample(n, real_valued);
  rapport::BgNbdParams fit;
  for (auto _ : state) {
    fit = rapport::fit_bgnbd(s.x, s.t_x, s.T);
    benchmark::DoNotOptimize(fit);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.counters["r"] = fit.r;
  state.counters["alpha"] = fit.alpha;
  state.counters["a"] = fit.a;
  state.counters["b"] = fit.b;
}

void BM_FitBgNbd(benchmark::State& state) { fit_bgnbd_sample(state, false); }
BENCHMARK(BM_FitBgNbd)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

/// BG/NBD fit on real-valued histories (no two customers alike, so merging does not help).
void BM_FitBgNbdReal(benchmark::State& state) { fit_bgnbd_sample(state, true); }
BENCHMARK(BM_FitBgNbdReal)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Expected purchases over 365 days for every customer of the sample: range 0 at the sample's
/// own parameters (the Euler series), range 1 at a = 1.74e7, b = 1.61e8 (a fit on a small base
/// without dropout heterogeneity; the logit-Beta quadrature).
void BM_ExpectedPurchases(benchmark::State& state) {
  const BgNbdSample& s = bgnbd_sample(100'000);
  const rapport::BgNbdParams params = state.range(0) == 0 ? rapport::BgNbdParams{0.25, 40.0, 0.8, 2.5, 0}
                                                          : rapport::BgNbdParams{0.56, 59.3, 1.74e7, 1.61e8, 0};
  const std::size_t n = state.range(0) == 0 ? s.x.size() : 2'000;
  double total = 0;
  for (auto _ : state) {
    total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      total += rapport::bgnbd_expected_purchases(params, 365, s.x[i], s.t_x[i], s.T[i]);
    }
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.counters["mean"] = total / static_cast<double>(n);
}
BENCHMARK(BM_ExpectedPurchases)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

/// p_alive and expected purchases over 365 days for 1M customers at the sample's parameters, as
/// scoring needs them: range(0) = 0 the per-customer functions in a loop (one thread), 1
/// detail::predict_bgnbd on one thread, 2 on two threads; range(1) = 0 whole days, 1 real-valued.
void BM_PredictBgNbd(benchmark::State& state) {
  const BgNbdSample& s = bgnbd_sample(1'000'000, state.range(1) == 1);
  const rapport::BgNbdParams params{0.25, 40.0, 0.8, 2.5, 0};
  const std::size_t n = s.x.size();
  std::vector<double> p_alive(n), expected(n);
  for (auto _ : state) {
    if (state.range(0) == 0) {
      for (std::size_t i = 0; i < n; ++i) {
        p_alive[i] = rapport::bgnbd_p_alive(params, s.x[i], s.t_x[i], s.T[i]);
        expected[i] = rapport::bgnbd_expected_purchases(params, 365, s.x[i], s.t_x[i], s.T[i]);
      }
    } else {
      rapport::detail::predict_bgnbd(params, 365, s.x.data(), s.t_x.data(), s.T.data(), p_alive.data(), expected.data(),
                                     n, static_cast<unsigned>(state.range(0)));
    }
    benchmark::DoNotOptimize(expected.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_PredictBgNbd)->ArgsProduct({{0, 1, 2}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();

/// Synthetic Gamma-Gamma customers: x = 1 + Geometric(0.4), nu ~ Gamma(q, 1/gamma), mean spend
/// ~ Gamma(p x, 1/(nu x)) rounded to cents (p = 6.25, q = 3.74, gamma = 15.44).
struct SpendSample {
  std::vector<double> x, m;
};

const SpendSample& spend_sample(std::size_t n) {
  static std::map<std::size_t, SpendSample> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  constexpr double p = 6.25, q = 3.74, gam = 15.44;
  std::mt19937_64 rng(987654321);
  std::gamma_distribution<double> nu_dist(q, 1.0 / gam);
  std::geometric_distribution<int> extra(0.4);
  SpendSample s;
  s.x.reserve(n);
  s.m.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = 1.0 + std::min(extra(rng), 50);
    const double nu = nu_dist(rng);
    std::gamma_distribution<double> mean_spend(p * x, 1.0 / (nu * x));
    s.x.push_back(x);
    s.m.push_back(std::max(0.01, std::round(mean_spend(rng) * 100.0) / 100.0));
  }
  return cache.emplace(n, std::move(s)).first->second;
}

void BM_FitGammaGamma(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const SpendSample& s = spend_sample(n);
  rapport::GammaGammaParams fit;
  for (auto _ : state) {
    fit = rapport::fit_gamma_gamma(s.x, s.m);
    benchmark::DoNotOptimize(fit);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.counters["p"] = fit.p;
  state.counters["q"] = fit.q;
  state.counters["gamma"] = fit.gamma;
}
BENCHMARK(BM_FitGammaGamma)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Synthetic Pareto/NBD customers with real-valued histories (every history distinct):
/// lambda ~ Gamma(r, 1/alpha), lifetime ~ Exp(mu) with mu ~ Gamma(s, 1/beta), T ~ U(30, 540) days;
/// the CDNOW fit's parameters in days (r = 0.55, alpha = 74, s = 0.61, beta = 82). The data of
/// benchmarks/peers/value_models_peers.py.
const BgNbdSample& pareto_sample(std::size_t n) {
  static std::map<std::size_t, BgNbdSample> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  std::mt19937_64 rng(20241206);
  std::gamma_distribution<double> lambda_dist(0.55, 1.0 / 74.0), mu_dist(0.61, 1.0 / 82.0);
  std::uniform_real_distribution<double> T_real(30.0, 540.0);
  std::exponential_distribution<double> unit_exp(1.0);
  BgNbdSample s;
  for (std::size_t i = 0; i < n; ++i) {
    const double lambda = lambda_dist(rng), life = unit_exp(rng) / mu_dist(rng), T = T_real(rng);
    const double end = std::min(life, T);
    double t = 0, tx = 0, x = 0;
    while (lambda > 0) {
      t += unit_exp(rng) / lambda;
      if (t > end) break;
      x += 1;
      tx = t;
    }
    s.x.push_back(x);
    s.t_x.push_back(tx);
    s.T.push_back(T);
  }
  return cache.emplace(n, std::move(s)).first->second;
}

/// Fits `model` through the generic layer (models.hpp) on range(0) real-valued customers: the
/// Pareto/NBD sample for pareto_nbd, the BG/NBD one otherwise.
void fit_value_model_sample(benchmark::State& state, rapport::ValueModelName model) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const BgNbdSample& s = model == rapport::ValueModelName::pareto_nbd ? pareto_sample(n) : bgnbd_sample(n, true);
  rapport::ModelData data;
  data.x = s.x;
  data.t_x = s.t_x;
  data.T = s.T;
  rapport::ValueModel fit;
  for (auto _ : state) {
    fit = rapport::fit_value_model(model, data);
    benchmark::DoNotOptimize(fit);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  const auto names = rapport::param_names(model);
  for (std::size_t k = 0; k < names.size(); ++k) state.counters[std::string(names[k])] = fit.params[k];
}

void BM_FitParetoNbd(benchmark::State& state) { fit_value_model_sample(state, rapport::ValueModelName::pareto_nbd); }
BENCHMARK(BM_FitParetoNbd)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

void BM_FitMbgNbd(benchmark::State& state) { fit_value_model_sample(state, rapport::ValueModelName::mbgnbd); }
BENCHMARK(BM_FitMbgNbd)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
