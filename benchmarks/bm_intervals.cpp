// The cost of the value intervals: scoring a generated base with the fits, plain, with 90 %
// parametric intervals (1000 draws) and with bootstrap intervals (200 resamples and refits), for
// the default BG/NBD and for Pareto/NBD (the model path: its inputs gathered, its generic fit).
// Sizes 100k and 1M customers (RAPPORT_BENCH_MIN_CUSTOMERS / RAPPORT_BENCH_MAX_CUSTOMERS move the
// smallest and the largest).
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
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

/// range 0: customers; 1: method (0 no intervals, 1 parametric with 1000 draws, 2 bootstrap with
/// 200 resamples); 2: the value model (0 bgnbd, 1 pareto_nbd).
void BM_ScoreIntervals(benchmark::State& state) {
  const auto& b = base(state.range(0));
  rapport::ScoringConfig c;
  if (state.range(2) == 1) c.value_model = rapport::ValueModelSetting::pareto_nbd;
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
  std::int64_t min = 100'000, max = 1'000'000;
  if (const char* env = std::getenv("RAPPORT_BENCH_MIN_CUSTOMERS")) min = std::max<std::int64_t>(1, std::atoll(env));
  if (const char* env = std::getenv("RAPPORT_BENCH_MAX_CUSTOMERS")) max = std::atoll(env);
  for (int model : {0, 1})
    for (std::int64_t n = min; n <= max; n *= 10)
      for (int method : {0, 1, 2})
        benchmark::RegisterBenchmark(model == 0 ? "BM_ScoreIntervals/bgnbd" : "BM_ScoreIntervals/pareto_nbd",
                                     BM_ScoreIntervals)
            ->Args({n, method, model})
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Iterations(1);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
