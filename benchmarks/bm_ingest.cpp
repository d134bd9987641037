// CSV ingest throughput (bytes of CSV per second) on generated bases.
#include <rapport/data.hpp>
#include <rapport/generate.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>

namespace {
const std::string& base_dir(std::int64_t customers) {
  static std::map<std::int64_t, std::string> dirs;
  auto& d = dirs[customers];
  if (d.empty()) {
    d = (std::filesystem::temp_directory_path() / ("rapport-bm-ingest-" + std::to_string(customers))).string();
    if (!std::filesystem::exists(d + "/customers.csv")) {
      rapport::GenerateOptions o;
      o.customers = static_cast<std::size_t>(customers);
      o.seed = 1;
      rapport::generate_csv(d, o);
    }
  }
  return d;
}
}  // namespace

// Loads customers + contacts; reports contacts-CSV bytes per second.
static void BM_IngestContacts(benchmark::State& state) {
  const auto& dir = base_dir(state.range(0));
  rapport::InputFiles files;
  files.customers = dir + "/customers.csv";
  files.contacts = dir + "/contacts.csv";
  const auto bytes = std::filesystem::file_size(files.contacts);
  std::size_t rows = 0;
  for (auto _ : state) {
    auto res = rapport::load_csv(files);
    rows = res.base.contact_count();
    benchmark::DoNotOptimize(res.base.contact_at.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(rows) * state.iterations());
  state.counters["contacts"] = static_cast<double>(rows);
}
BENCHMARK(BM_IngestContacts)->RangeMultiplier(10)->Range(10'000, 100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// All four files.
static void BM_IngestAll(benchmark::State& state) {
  const auto& dir = base_dir(state.range(0));
  const auto files = rapport::InputFiles::from_directory(dir);
  std::uintmax_t bytes = 0;
  for (const auto* f : {&files.customers, &files.contacts, &files.purchases, &files.referrals})
    bytes += std::filesystem::file_size(*f);
  for (auto _ : state) {
    auto res = rapport::load_csv(files);
    benchmark::DoNotOptimize(res.base.contact_at.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}
BENCHMARK(BM_IngestAll)->RangeMultiplier(10)->Range(10'000, 100'000)->Unit(benchmark::kMillisecond)->UseRealTime();
