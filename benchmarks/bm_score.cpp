// Scoring throughput (contacts per second) and the referral forest on generated bases.
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
rapport::ScoringConfig fixed(unsigned threads) {
  rapport::ScoringConfig c;
  c.bgnbd = rapport::BgNbdParams{0.75, 60, 0.9, 4, 0};
  c.gamma_gamma = rapport::GammaGammaParams{4, 6, 80, 0};
  c.threads = threads;
  return c;
}
}  // namespace

// In-memory scoring with given model parameters (no fit): contacts per second.
static void BM_Score(benchmark::State& state) {
  const auto& b = base(state.range(0));
  const auto cfg = fixed(static_cast<unsigned>(state.range(1)));
  for (auto _ : state) {
    auto res = rapport::score(b, std::nullopt, cfg);
    benchmark::DoNotOptimize(res.scores.loyalty_given.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(b.contact_count()) * state.iterations());
  state.counters["customers"] = static_cast<double>(b.customer_count());
  state.counters["contacts"] = static_cast<double>(b.contact_count());
}


// Scoring including the BG/NBD and Gamma-Gamma fits.
static void BM_ScoreWithFit(benchmark::State& state) {
  const auto& b = base(state.range(0));
  for (auto _ : state) {
    auto res = rapport::score(b);
    benchmark::DoNotOptimize(res.scores.loyalty_given.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(b.contact_count()) * state.iterations());
}


// The acquisition forest alone: referrals per second.
static void BM_ReferralForest(benchmark::State& state) {
  const auto& b = base(state.range(0));
  const auto D = *b.default_as_of();
  for (auto _ : state) {
    auto f = rapport::build_referral_forest(b, D);
    benchmark::DoNotOptimize(f.katz.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(b.referral_count()) * state.iterations());
}

// Sizes 10k, 100k, 1M by default; RAPPORT_BENCH_MAX_CUSTOMERS=10000000 adds 10M (about 5 GB of
// memory and two minutes to generate the base).
int main(int argc, char** argv) {
  std::int64_t max = 1'000'000;
  if (const char* env = std::getenv("RAPPORT_BENCH_MAX_CUSTOMERS")) max = std::atoll(env);
  for (std::int64_t n = 10'000; n <= max; n *= 10) {
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark("BM_Score", BM_Score)->Args({n, threads})->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("BM_ScoreWithFit", BM_ScoreWithFit)->Arg(n)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("BM_ReferralForest", BM_ReferralForest)->Arg(n)->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
