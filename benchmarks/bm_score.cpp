// Scoring throughput (contacts per second) and the referral forest on generated bases.
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

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
// The memory floor: the contacts' 14 bytes each (instant, channel, stage, initiator, aspect,
// impression, complaint), read once by two threads, one half each; returns seconds.
double read_contact_bytes(const rapport::CustomerBase& b) {
  const std::size_t n = b.contact_count();
  std::int64_t sums[2] = {0, 0};
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < 2; ++t)
      pool.emplace_back([&, t] {
        std::int64_t at = 0;
        std::uint32_t small = 0;
        for (std::size_t k = t * n / 2; k < (t + 1) * n / 2; ++k) {
          at += b.contact_at[k];
          small += static_cast<std::uint32_t>(b.contact_channel[k]) + static_cast<std::uint32_t>(b.contact_stage[k]) +
                   static_cast<std::uint32_t>(b.contact_initiator[k]) +
                   static_cast<std::uint32_t>(b.contact_aspect[k]) +
                   static_cast<std::uint8_t>(b.contact_impression[k]) + b.contact_complaint[k];
        }
        sums[t] = at + small;
      });
  }
  benchmark::DoNotOptimize(sums);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

// In-memory scoring (fixed parameters, all threads) next to the memory floor, measured in the same
// iteration: the time is scoring's; `floor_ms` is the best of three two-thread reads of the
// contact bytes and `floor_ratio` is scoring time over it (the target: ≤ 15 at 1M).
static void BM_ScoreVsMemoryFloor(benchmark::State& state) {
  const auto& b = base(state.range(0));
  const auto cfg = fixed(0);
  double floor = 1e300, scored = 0;
  for (auto _ : state) {
    for (int k = 0; k < 3; ++k) floor = std::min(floor, read_contact_bytes(b));
    const auto start = std::chrono::steady_clock::now();
    auto res = rapport::score(b, std::nullopt, cfg);
    benchmark::DoNotOptimize(res.scores.loyalty_given.data());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(s);
    scored += s;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(b.contact_count()) * state.iterations());
  state.counters["floor_ms"] = floor * 1e3;
  state.counters["floor_ratio"] = scored / static_cast<double>(state.iterations()) / floor;
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
      benchmark::RegisterBenchmark("BM_Score", BM_Score)
          ->Args({n, threads})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    benchmark::RegisterBenchmark("BM_ScoreVsMemoryFloor", BM_ScoreVsMemoryFloor)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime();
    benchmark::RegisterBenchmark("BM_ScoreWithFit", BM_ScoreWithFit)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_ReferralForest", BM_ReferralForest)->Arg(n)->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
