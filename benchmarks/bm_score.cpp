// Scoring throughput (contacts per second) and the referral forest on generated bases.
#include <rapport/generate.hpp>
#include <rapport/score.hpp>

#include <benchmark/benchmark.h>

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
BENCHMARK(BM_Score)->ArgsProduct({{10'000, 100'000, 1'000'000}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();

// Scoring including the BG/NBD and Gamma-Gamma fits.
static void BM_ScoreWithFit(benchmark::State& state) {
  const auto& b = base(state.range(0));
  for (auto _ : state) {
    auto res = rapport::score(b);
    benchmark::DoNotOptimize(res.scores.loyalty_given.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(b.contact_count()) * state.iterations());
}
BENCHMARK(BM_ScoreWithFit)->RangeMultiplier(10)->Range(10'000, 1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

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
BENCHMARK(BM_ReferralForest)->RangeMultiplier(10)->Range(10'000, 1'000'000)->Unit(benchmark::kMillisecond);
