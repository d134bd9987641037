// Database throughput next to the CSV path: rows per second reading the four tables of a
// generated base (CSV files, SQLite, PostgreSQL when RAPPORT_TEST_PG_URI is set) and writing its
// scores back (scores CSV, SQLite table, PostgreSQL table).
// Size: RAPPORT_BM_DB_CUSTOMERS customers (default 100000; the figure uses 1000000).
// The readers also report process_cpu_s: the CPU seconds of all their threads per read.
#include <rapport/io/database.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>
#include <rapport/io/writers.hpp>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>

namespace {
namespace fs = std::filesystem;

std::size_t customers() {
  const char* v = std::getenv("RAPPORT_BM_DB_CUSTOMERS");
  return v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : 100000;
}
const char* pg_uri() { return std::getenv("RAPPORT_TEST_PG_URI"); }

/// The generated base: its CSV folder, loaded once, its scores; imported into SQLite (and
/// PostgreSQL) once per size (kept in the temp folder between runs).
struct Fixture {
  std::string dir, sqlite_uri;
  rapport::DbTables pg_tables;
  rapport::LoadResult loaded;
  rapport::ScoreResult scores;
  std::size_t rows = 0;
};

Fixture& fixture() {
  static std::unique_ptr<Fixture> f;
  if (f) return *f;
  f = std::make_unique<Fixture>();
  const auto n = customers();
  f->dir = (fs::temp_directory_path() / ("rapport-bm-db-" + std::to_string(n))).string();
  if (!fs::exists(f->dir + "/customers.csv")) {
    rapport::GenerateOptions o;
    o.customers = n;
    o.seed = 1;
    rapport::generate_csv(f->dir, o);
  }
  f->loaded = rapport::load_csv(rapport::InputFiles::from_directory(f->dir));
  const auto& r = f->loaded.report;
  f->rows = r.customers.read + r.contacts.read + r.purchases.read + r.referrals.read;
  f->scores = rapport::score(f->loaded.base);
  const auto db = f->dir + "/base.db";
  f->sqlite_uri = "sqlite:" + db;
  if (!fs::exists(db)) rapport::import_csv_to_db(rapport::InputFiles::from_directory(f->dir), f->sqlite_uri);
  if (pg_uri()) {
    const std::string prefix = "bm" + std::to_string(n) + "_";
    f->pg_tables =
        rapport::DbTables::parse("customers=" + prefix + "customers,contacts=" + prefix +
                                 "contacts,purchases=" + prefix + "purchases,referrals=" + prefix + "referrals");
    try {
      rapport::import_csv_to_db(rapport::InputFiles::from_directory(f->dir), pg_uri(), f->pg_tables);
    } catch (const rapport::OutputError&) {
      // imported by an earlier run (the tables hold rows)
    }
  }
  return *f;
}

/// CPU seconds of this process so far, every thread (a database server's own CPU not included).
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

void read_rows(benchmark::State& state, const std::function<rapport::LoadResult()>& load) {
  const auto& f = fixture();
  const double cpu = process_cpu_seconds();
  for (auto _ : state) {
    auto r = load();
    benchmark::DoNotOptimize(r.base.contact_at.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(f.rows) * state.iterations());
  state.counters["rows"] = static_cast<double>(f.rows);
  // the CPU of all the process's threads (reader threads included): on a busy machine a fairer
  // comparison than the wall clock, whose share of the cores depends on everything else running
  state.counters["process_cpu_s"] = (process_cpu_seconds() - cpu) / static_cast<double>(state.iterations());
}

void write_scores(benchmark::State& state, const std::function<void()>& write) {
  const auto& f = fixture();
  for (auto _ : state) write();
  state.SetItemsProcessed(static_cast<std::int64_t>(f.scores.scores.size()) * state.iterations());
  state.counters["scores"] = static_cast<double>(f.scores.scores.size());
}
}  // namespace

static void BM_ReadCsv(benchmark::State& state) {
  read_rows(state, [] { return rapport::load_csv(rapport::InputFiles::from_directory(fixture().dir)); });
}
static void BM_ReadSqlite(benchmark::State& state) {
  read_rows(state, [] { return rapport::load_db(fixture().sqlite_uri); });
}
static void BM_ReadPostgres(benchmark::State& state) {
  if (!pg_uri()) return state.SkipWithError("RAPPORT_TEST_PG_URI is not set");
  read_rows(state, [] {
    rapport::DbOptions o;
    o.tables = fixture().pg_tables;
    return rapport::load_db(pg_uri(), o);
  });
}
static void BM_WriteScoresCsv(benchmark::State& state) {
  write_scores(state, [] {
    const auto& f = fixture();
    rapport::write_scores_csv(f.dir + "/scores.csv", f.loaded.base, f.scores);
  });
}
static void BM_WriteScoresSqlite(benchmark::State& state) {
  write_scores(state, [] {
    const auto& f = fixture();
    rapport::write_db(f.sqlite_uri, {"bm_scores", "", ""}, f.loaded.base, f.loaded.report, f.scores, {}, {});
  });
}
static void BM_WriteScoresPostgres(benchmark::State& state) {
  if (!pg_uri()) return state.SkipWithError("RAPPORT_TEST_PG_URI is not set");
  write_scores(state, [] {
    const auto& f = fixture();
    rapport::write_db(pg_uri(), {"bm_scores", "", ""}, f.loaded.base, f.loaded.report, f.scores, {}, {});
  });
}
BENCHMARK(BM_ReadCsv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadSqlite)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadPostgres)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WriteScoresCsv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WriteScoresSqlite)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WriteScoresPostgres)->Unit(benchmark::kMillisecond)->UseRealTime();
