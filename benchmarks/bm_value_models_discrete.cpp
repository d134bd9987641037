// Benchmarks of the whole-period value models, BG/BB and sBG, fitted and predicted through
// rapport/value/models.hpp on synthetic customers drawn from the published estimates.
//
//   bm_value_models_discrete --benchmark_filter='BM_FitBgbb/1048576'
#include <rapport/value/models.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace {

/// p ~ Beta(a, b) as ga / (ga + gb) with ga ~ Gamma(a), gb ~ Gamma(b).
double beta_draw(std::mt19937_64& rng, double a, double b) {
  std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
  const double u = ga(rng);
  return u / (u + gb(rng));
}

/// BG/BB donors as in Fader, Hardie & Shang (2010): p ~ Beta(1.204, 0.750), θ ~ Beta(0.657, 2.783),
/// n opportunities (U{1..max_n}); before each the donor dies with probability θ, while alive gives
/// with probability p.
struct BgbbSample {
  std::vector<double> x, t_x, n;
};

const BgbbSample& bgbb_sample(std::size_t count, int max_n) {
  static std::map<std::pair<std::size_t, int>, BgbbSample> cache;
  auto it = cache.find({count, max_n});
  if (it != cache.end()) return it->second;
  std::mt19937_64 rng(20101206);
  std::uniform_int_distribution<int> n_dist(1, max_n);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  BgbbSample s;
  for (std::size_t i = 0; i < count; ++i) {
    const double p = beta_draw(rng, 1.204, 0.750), theta = beta_draw(rng, 0.657, 2.783);
    const int n = n_dist(rng);
    double x = 0, t_x = 0;
    for (int k = 1; k <= n; ++k) {
      if (u(rng) < theta) break;
      if (u(rng) < p) {
        ++x;
        t_x = k;
      }
    }
    s.x.push_back(x);
    s.t_x.push_back(t_x);
    s.n.push_back(n);
  }
  return cache.emplace(std::make_pair(count, max_n), std::move(s)).first->second;
}

rapport::ModelData bgbb_data(const BgbbSample& s) {
  rapport::ModelData d;
  d.x = s.x;
  d.t_x = s.t_x;
  d.n = s.n;
  return d;
}

/// sBG contracts as Fader & Hardie's (2007) "regular" segment: θ ~ Beta(0.704, 1.182), the contract
/// ends in period T ~ Geometric(θ); observed for U{1..12} periods.
struct SbgSample {
  std::vector<double> periods;
  std::vector<std::uint8_t> ended;
};

const SbgSample& sbg_sample(std::size_t count) {
  static std::map<std::size_t, SbgSample> cache;
  auto it = cache.find(count);
  if (it != cache.end()) return it->second;
  std::mt19937_64 rng(20070101);
  std::uniform_int_distribution<int> seen(1, 12);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  SbgSample s;
  for (std::size_t i = 0; i < count; ++i) {
    const double theta = beta_draw(rng, 0.704, 1.182);
    const int observed = seen(rng);
    int completed = 0;
    while (completed < observed && u(rng) >= theta) ++completed;
    s.periods.push_back(completed);
    s.ended.push_back(completed < observed ? 1 : 0);
  }
  return cache.emplace(count, std::move(s)).first->second;
}

void BM_FitBgbb(benchmark::State& state) {
  const auto& s = bgbb_sample(static_cast<std::size_t>(state.range(0)), 12);
  const rapport::ModelData d = bgbb_data(s);
  for (auto _ : state) benchmark::DoNotOptimize(rapport::fit_value_model(rapport::ValueModelName::bgbb, d));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FitBgbb)->Arg(1 << 14)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

void BM_FitSbg(benchmark::State& state) {
  const auto& s = sbg_sample(static_cast<std::size_t>(state.range(0)));
  rapport::ModelData d;
  d.periods = s.periods;
  d.ended = s.ended;
  for (auto _ : state) benchmark::DoNotOptimize(rapport::fit_value_model(rapport::ValueModelName::sbg, d));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FitSbg)->Arg(1 << 14)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

/// p_alive and the expected purchases over the next 12 opportunities, per customer.
void BM_PredictBgbb(benchmark::State& state) {
  const auto& s = bgbb_sample(static_cast<std::size_t>(state.range(0)), 12);
  const rapport::ModelData d = bgbb_data(s);
  const std::vector<double> params = {1.204, 0.750, 0.657, 2.783};
  const rapport::ValueModel m = rapport::make_value_model(rapport::ValueModelName::bgbb, params);
  std::vector<double> alive(s.x.size()), expected(s.x.size());
  for (auto _ : state) {
    rapport::p_alive(m, d, alive);
    rapport::expected_purchases(m, 12, d, expected);
    benchmark::DoNotOptimize(expected.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PredictBgbb)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

}  // namespace
