// CSV ingest throughput (bytes of CSV per second) on generated bases.
#include <rapport/base/data.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
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

// Loads customers + contacts on range(1) threads; reports contacts-CSV bytes per second.
static void BM_IngestContacts(benchmark::State& state) {
  const auto& dir = base_dir(state.range(0));
  rapport::InputFiles files;
  files.customers = dir + "/customers.csv";
  files.contacts = dir + "/contacts.csv";
  const auto bytes = std::filesystem::file_size(files.contacts);
  rapport::LoadOptions options;
  options.threads = static_cast<unsigned>(state.range(1));
  std::size_t rows = 0;
  for (auto _ : state) {
    auto res = rapport::load_csv(files, options);
    rows = res.base.contact_count();
    benchmark::DoNotOptimize(res.base.contact_at.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(rows) * state.iterations());
  state.counters["contacts"] = static_cast<double>(rows);
}

// All four files on range(1) threads; reports CSV bytes and rows (of all four tables) per second.
static void BM_IngestAll(benchmark::State& state) {
  const auto& dir = base_dir(state.range(0));
  const auto files = rapport::InputFiles::from_directory(dir);
  std::uintmax_t bytes = 0;
  for (const auto* f : {&files.customers, &files.contacts, &files.purchases, &files.referrals})
    bytes += std::filesystem::file_size(*f);
  rapport::LoadOptions options;
  options.threads = static_cast<unsigned>(state.range(1));
  std::size_t rows = 0;
  for (auto _ : state) {
    auto res = rapport::load_csv(files, options);
    const auto& r = res.report;
    rows = r.customers.read + r.contacts.read + r.purchases.read + r.referrals.read;
    benchmark::DoNotOptimize(res.base.contact_at.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(rows) * state.iterations());
  state.counters["rows"] = static_cast<double>(rows);
}

// Sizes 10k and 100k customers by default (bases are generated once into the temp directory and
// kept); RAPPORT_BENCH_MAX_CUSTOMERS raises the largest size (1M: 1.8 GB of CSV).
int main(int argc, char** argv) {
  std::int64_t max = 100'000;
  if (const char* env = std::getenv("RAPPORT_BENCH_MAX_CUSTOMERS")) max = std::atoll(env);
  for (std::int64_t n = 10'000; n <= max; n *= 10)
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark("BM_IngestContacts", BM_IngestContacts)
          ->Args({n, threads})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark("BM_IngestAll", BM_IngestAll)
          ->Args({n, threads})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
