// Live rescoring against a full scoring: a few hundred new events into a generated base.
//   build/benchmarks/bm_rescore --benchmark_filter=BM_
// BM_Rescore/N/1: add 300 events (200 contacts, 90 purchases, 10 referrals; /0: no referrals) to an N-customer
// Scorer and call scores(); BM_FullScore/N: score() of the same base. Their ratio is the cost
// of a live update relative to rescoring everything. BM_ChangesOnly/1000000/{0,1}: a 200-contact
// batch, then changes() alone or with the upsert of those rows into SQLite.
#include <rapport/io/database.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/scoring/scorer.hpp>

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>

using namespace rapport;

namespace {

const CustomerBase& base_of(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<CustomerBase>> cache;
  auto& slot = cache[n];
  if (!slot) {
    GenerateOptions g;
    g.customers = n;
    slot = std::make_unique<CustomerBase>(generate_base(g));
  }
  return *slot;
}

RowBatch events(const CustomerBase& b, std::mt19937_64& rng, bool referrals) {
  RowBatch batch;
  const day_t D = *b.default_as_of();
  const auto customer = [&] { return b.customer_id[rng() % b.customer_count()]; };
  const auto when = [&] { return midnight(D) + static_cast<seconds_t>(rng() % 86400); };
  for (int k = 0; k < 200; ++k)
    batch.contacts.push_back({customer(), ContactRow{when(), Channel::phone, Stage::service, Initiator::business,
                                                     Aspect::hospitality, 1, false, no_time}});
  for (int k = 0; k < 90; ++k) batch.purchases.push_back({customer(), when(), 40.0 + static_cast<double>(rng() % 100)});
  for (int k = 0; referrals && k < 10; ++k)
    batch.referrals.push_back({customer(), "prospect-" + std::to_string(rng()), when()});
  return batch;
}

// range(1) = 0: no referrals in the batch (the referral forest is not rebuilt).
void BM_Rescore(benchmark::State& state) {
  const CustomerBase& b = base_of(static_cast<std::size_t>(state.range(0)));
  const bool referrals = state.range(1) != 0;
  Scorer scorer(b, b.default_as_of());
  std::mt19937_64 rng(1);
  std::size_t rescored = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const RowBatch batch = events(b, rng, referrals);
    state.ResumeTiming();
    scorer.add(batch);
    benchmark::DoNotOptimize(scorer.scores().scores.upserve_score.data());
    rescored += scorer.rescored();
  }
  state.counters["rescored"] = benchmark::Counter(static_cast<double>(rescored), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Rescore)
    ->Args({100000, 1})
    ->Args({1000000, 1})
    ->Args({1000000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A batch of 200 contacts of random customers (the live feed's common case), then the rows to
// hand on: range(1) = 0: changes() (the rows of scores() rescored, O(batch) to list); 1: those
// rows upserted into a SQLite scores table in one transaction (Scorer::with_changes +
// upsert_scores_db; the table starts with every row, written once before timing).
void BM_ChangesOnly(benchmark::State& state) {
  const CustomerBase& b = base_of(static_cast<std::size_t>(state.range(0)));
  const bool write = state.range(1) != 0;
  Scorer scorer(b, b.default_as_of());
  std::string uri;
  if (write) {
    uri = "sqlite:" +
          (std::filesystem::temp_directory_path() / ("bm_rescore_" + std::to_string(::getpid()) + ".db")).string();
    scorer.with_changes([&](const CustomerBase& base, const ScoreResult& r, const std::vector<std::uint32_t>&) {
      DbWriteOptions t;
      t.out_table = "scores";
      write_db(uri, t, base, LoadReport{}, r, {}, {});
    });
  } else {
    scorer.changes();  // the first call lists every row
  }
  std::mt19937_64 rng(2);
  const day_t D = *b.default_as_of();
  std::size_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    RowBatch batch;
    for (int k = 0; k < 200; ++k)
      batch.contacts.push_back(
          {b.customer_id[rng() % b.customer_count()],
           ContactRow{midnight(D) + static_cast<seconds_t>(rng() % 86400), Channel::phone, Stage::service,
                      Initiator::business, Aspect::hospitality, 1, false, no_time}});
    state.ResumeTiming();
    scorer.add(batch);
    if (write) {
      scorer.with_changes(
          [&](const CustomerBase& base, const ScoreResult& r, const std::vector<std::uint32_t>& changed) {
            upsert_scores_db(uri, "scores", base, r, changed);
            rows += changed.size();
          });
    } else {
      rows += scorer.changes().size();
    }
  }
  state.counters["rows"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kAvgIterations);
  if (write) std::filesystem::remove(uri.substr(7));
}
BENCHMARK(BM_ChangesOnly)->Args({1000000, 0})->Args({1000000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FullScore(benchmark::State& state) {
  const CustomerBase& b = base_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(score(b, b.default_as_of()).scores.upserve_score.data());
}
BENCHMARK(BM_FullScore)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
