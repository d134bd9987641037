// The cost of the value intervals: scoring a generated base with the fits, plain, with 90 %
// parametric intervals (1000 draws) and with bootstrap intervals (200 resamples and refits).
// Sizes 100k and 1M customers (RAPPORT_BENCH_MAX_CUSTOMERS lowers or raises the largest).
#include <rapport/base/generate.hpp>
#include <rapport/scoring/score.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>

namespace {

const rapport::CustomerBase& base(std::int64_t customers) {
  static std::map<std::int64_t, rapport::CustomerBase> bases;
  auto it = bases.find(customers);
  if (it == bases.end()) {
    rapport::GenerateOptions o;
    o.customers = static_cast<std::size_t>(customers);
    o.seed = 3;
    it = bases.emplace(customers, rapport::generate_base(o)).first;
  }
  return it->second;
}

/// method 0: no intervals; 1: parametric, 1000 draws; 2: bootstrap, 200 resamples.
void BM_ScoreIntervals(benchmark::State& state) {
  const auto& b = base(state.range(0));
  rapport::ScoringConfig c;
  if (state.range(1) == 1) {
    c.intervals = 0.9;
  } else if (state.range(1) == 2) {
    c.intervals = 0.9;
    c.interval_method = rapport::IntervalMethod::bootstrap;
    c.interval_draws = 200;
  }
  for (auto _ : state) {
    auto res = rapport::score(b, std::nullopt, c);
    benchmark::DoNotOptimize(res.scores.expected_value.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(b.customer_count()) * state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t max = 1'000'000;
  if (const char* env = std::getenv("RAPPORT_BENCH_MAX_CUSTOMERS")) max = std::atoll(env);
  for (std::int64_t n = 100'000; n <= max; n *= 10)
    for (int method : {0, 1, 2})
      benchmark::RegisterBenchmark("BM_ScoreIntervals", BM_ScoreIntervals)
          ->Args({n, method})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(1);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
