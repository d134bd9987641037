// The streamed database write-back (open_db_writer: score_to's sink): the tables it writes equal
// write_db()'s of the whole result row for row (values and storage types), for SQLite and
// PostgreSQL, for one run and for several runs in one transaction (`rapport history`); a failure
// in the middle of the stream leaves every table as it was.
#include <rapport/io/database.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/scoring/summary.hpp>

#include "support/pg_schema.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>

using namespace rapport;
using rapport::test::pg_uri;
using rapport::test::PgSchema;
using rapport::test::TempDir;

namespace {

/// A 40,000-customer generated base: three batches of score_to (16,384 customers each).
class DbStream : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    GenerateOptions g;
    g.customers = 40000;
    g.seed = 11;
    generate_csv(dir_->file("base"), g);
    loaded_ = new LoadResult(load_csv(InputFiles::from_directory(dir_->file("base"))));
  }
  static void TearDownTestSuite() {
    delete loaded_;
    delete dir_;
  }
  static const CustomerBase& base() { return loaded_->base; }
  static const LoadReport& report() { return loaded_->report; }
  static day_t as_of() { return days_from_civil(2026, 6, 30); }

  static TempDir* dir_;
  static LoadResult* loaded_;
};
TempDir* DbStream::dir_ = nullptr;
LoadResult* DbStream::loaded_ = nullptr;

/// score_to's sink of a test: each batch to the writer and the summary's rows; throws at batch
/// number `fail_at` (1-based; 0 = never), after the writer took the batches before it.
class Tee : public ScoreSink {
public:
  Tee(DbScoresWriter& writer, const CustomerBase& base, const LoadReport& report, std::size_t fail_at = 0)
      : writer_(writer), summary_(base, report, config_), fail_at_(fail_at) {}
  void rows(const ScoreResult& batch, std::size_t first) override {
    if (++batches_ == fail_at_) throw std::runtime_error("stopped in the middle");
    writer_.rows(batch, first);
    summary_.add(batch, first);
  }
  /// Streams the run as of `as_of` and ends it in the writer.
  void run(const CustomerBase& base, day_t as_of, const DbRun& times) {
    const ScoreResult run = score_to(*this, base, as_of, config_);
    const Summary s = summary_.summary(run);
    writer_.end_run(run, times, &s);
  }
  std::size_t batches() const { return batches_; }

private:
  ScoringConfig config_;
  DbScoresWriter& writer_;
  SummaryRows summary_;
  std::size_t fail_at_;
  std::size_t batches_ = 0;
};

/// Every row of a SQLite table in rowid order, each value with its storage class
/// (`integer:3|real:0.5|text:C1|null:`), each row ended by \x1e.
std::string sqlite_dump(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, ("SELECT * FROM " + table + " ORDER BY rowid").c_str(), -1, &st, nullptr) != SQLITE_OK)
    out = std::string("no table: ") + sqlite3_errmsg(db);
  static const char* const types[] = {"?", "integer", "real", "text", "blob", "null"};
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    for (int k = 0; k < sqlite3_column_count(st); ++k) {
      const auto* text = sqlite3_column_text(st, k);
      out += std::string(k ? "|" : "") + types[sqlite3_column_type(st, k)] + ":" +
             (text ? reinterpret_cast<const char*>(text) : "");
    }
    out += '\x1e';  // a record separator: the runs table's summary holds newlines
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

/// The rows of a dump.
std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\x1e')); }

}  // namespace

// One run: the streamed tables equal write_db()'s of score()'s result, row for row and type for type.
TEST_F(DbStream, SqliteStreamedWriteBackEqualsWriteDb) {
  TempDir dir;
  const DbWriteOptions w{"scores", "score_history", "rapport_runs"};
  const std::string whole = dir.file("whole.db"), streamed = dir.file("streamed.db");
  write_db("sqlite:" + whole, w, base(), report(), score(base(), as_of()), {}, {100, 200});

  auto writer = open_db_writer("sqlite:" + streamed, w, base(), report());
  ASSERT_TRUE(writer->needs_summary());
  Tee tee(*writer, base(), report());
  tee.run(base(), as_of(), {100, 200});
  writer->commit();
  EXPECT_EQ(tee.batches(), 3u);  // 16,384 + 16,384 + 7,232 customers

  for (const char* table : {"scores", "score_history", "rapport_runs"}) {
    const auto a = sqlite_dump(whole, table), b = sqlite_dump(streamed, table);
    EXPECT_EQ(a, b) << table;
    EXPECT_EQ(lines(b), std::string(table) == "rapport_runs" ? 1u : 40000u) << table;
  }
}

// Several runs in one transaction (`rapport history`): equal to write_db_all() of the whole results.
TEST_F(DbStream, SqliteSeveralRunsEqualWriteDbAll) {
  TempDir dir;
  const DbWriteOptions w{"", "score_history", "rapport_runs"};
  const std::string whole = dir.file("whole.db"), streamed = dir.file("streamed.db");
  const day_t dates[] = {as_of() - 365, as_of()};
  write_db_all("sqlite:" + whole, w, base(), report(), {}, [&](const DbStore& store) {
    for (std::size_t k = 0; k < 2; ++k) store(score(base(), dates[k]), {seconds_t(k), seconds_t(k + 1)});
  });
  auto writer = open_db_writer("sqlite:" + streamed, w, base(), report());
  for (std::size_t k = 0; k < 2; ++k) {
    Tee tee(*writer, base(), report());
    tee.run(base(), dates[k], {seconds_t(k), seconds_t(k + 1)});
  }
  writer->commit();
  for (const char* table : {"score_history", "rapport_runs"})
    EXPECT_EQ(sqlite_dump(whole, table), sqlite_dump(streamed, table)) << table;
  EXPECT_EQ(lines(sqlite_dump(streamed, "rapport_runs")), 2u);
}

// A run that stops in the middle (its second batch), one that hands a batch out of order, and a
// writer dropped without commit: every table keeps the previous run's rows.
TEST_F(DbStream, SqliteFailureInTheMiddleLeavesTheOldTables) {
  TempDir dir;
  const DbWriteOptions w{"scores", "score_history", "rapport_runs"};
  const std::string path = dir.file("out.db"), uri = "sqlite:" + path;
  write_db(uri, w, base(), report(), score(base(), as_of()), {}, {100, 200});
  std::string before[3];
  const char* tables[] = {"scores", "score_history", "rapport_runs"};
  for (int k = 0; k < 3; ++k) before[k] = sqlite_dump(path, tables[k]);
  ASSERT_EQ(lines(before[0]), 40000u);
  {
    auto writer = open_db_writer(uri, w, base(), report());
    Tee tee(*writer, base(), report(), 2);  // the first batch is written, the second never comes
    EXPECT_THROW(tee.run(base(), as_of() - 30, {300, 400}), std::runtime_error);
  }
  {
    auto writer = open_db_writer(uri, w, base(), report());
    const ScoreResult whole = score(base(), as_of() - 30);
    writer->rows(whole, 0);
    EXPECT_THROW(writer->rows(whole, 5), InputError);  // rows 0.. again, not the next ones
    EXPECT_THROW(writer->commit(), OutputError);       // rolled back: nothing left to commit
  }
  {
    auto writer = open_db_writer(uri, w, base(), report());
    Tee tee(*writer, base(), report());
    tee.run(base(), as_of() - 30, {300, 400});  // ended, never committed
  }
  for (int k = 0; k < 3; ++k) EXPECT_EQ(sqlite_dump(path, tables[k]), before[k]) << tables[k];
}

namespace {}  // namespace

TEST_F(DbStream, PostgresStreamedWriteBackEqualsWriteDbAndFailsWhole) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_stream_test");
  const DbWriteOptions a{schema.table("a_scores"), schema.table("a_history"), schema.table("a_runs")};
  const DbWriteOptions b{schema.table("b_scores"), schema.table("b_history"), schema.table("b_runs")};
  write_db(pg_uri(), a, base(), report(), score(base(), as_of()), {}, {100, 200});
  {
    auto writer = open_db_writer(pg_uri(), b, base(), report());
    Tee tee(*writer, base(), report());
    tee.run(base(), as_of(), {100, 200});
    writer->commit();
    EXPECT_EQ(tee.batches(), 3u);
  }
  for (const char* t : {"scores", "history", "runs"}) {
    const auto whole = schema.dump(schema.table(std::string("a_") + t));
    const auto streamed = schema.dump(schema.table(std::string("b_") + t));
    EXPECT_EQ(whole, streamed) << t;
    EXPECT_EQ(lines(streamed), std::string(t) == "runs" ? 1u : 40000u) << t;
  }
  // stopped at the second batch (one batch already copied into each table): all rolled back
  std::string before[3];
  const char* tables[] = {"b_scores", "b_history", "b_runs"};
  for (int k = 0; k < 3; ++k) before[k] = schema.dump(schema.table(tables[k]));
  {
    auto writer = open_db_writer(pg_uri(), b, base(), report());
    Tee tee(*writer, base(), report(), 2);
    EXPECT_THROW(tee.run(base(), as_of() - 30, {300, 400}), std::runtime_error);
  }
  for (int k = 0; k < 3; ++k) EXPECT_EQ(schema.dump(schema.table(tables[k])), before[k]) << tables[k];
}
