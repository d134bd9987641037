// Databases: the same base scored from CSV and from SQLite (TEXT columns and native columns)
// gives the same scores and the same rejects; table names are validated before anything is
// opened; write-back replaces atomically, history by as_of, and never alters a wrong table.
#include <rapport/io/database.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/scorer.hpp>

#include "db/db_connection.hpp"
#include "io/csv_reader.hpp"

#include "support/pg_schema.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>
#include <tuple>

using namespace rapport;
using rapport::test::pg_uri;
using rapport::test::PgSchema;
using rapport::test::TempDir;

namespace {

void append(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::app) << text; }

/// A generated base with bad rows appended to its CSV files: every kind, or (`typed_only`) only
/// those a table with native column types can hold (wrong keys, ranges and amounts).
void generate_with_bad_rows(const TempDir& dir, std::size_t customers, bool typed_only = false) {
  GenerateOptions g;
  g.customers = customers;
  g.seed = 7;
  generate_csv(dir.path(), g);
  append(dir.file("customers.csv"),
         "C00000001,2024-01-01,retail\n"  // duplicate key (first row wins)
         ",2024-01-01,retail\n");         // empty key
  if (typed_only) {
    append(dir.file("contacts.csv"),
           "NOPE,2025-01-01T10:00:00Z,visit,welcome,business,technical,1,false,\n"
           "C00000002,2025-01-01,fax,welcome,business,technical,1,false,\n"
           "C00000002,2025-01-01,visit,welcome,business,technical,3,false,\n"
           "C00000002,2025-01-02,visit,welcome,business,technical,1,true,2025-01-01\n");
    append(dir.file("purchases.csv"), "C00000003,2025-01-01,-5\nNOPE,2025-01-01,10\n");
    append(dir.file("referrals.csv"), "C00000004,C00000004,2025-01-01\n,C00000004,2025-01-01\n");
    return;
  }
  append(dir.file("customers.csv"), "BAD1,2024-02-30,retail\n");  // impossible date
  append(dir.file("contacts.csv"),
         "NOPE,2025-01-01T10:00:00Z,visit,welcome,business,technical,1,false,\n"        // unknown
         "C00000002,2025-01-01T10:00,visit,welcome,business,technical,1,false,\n"       // timestamp
         "C00000002,2025-01-01,fax,welcome,business,technical,1,false,\n"               // channel
         "C00000002,2025-01-01,visit,welcome,business,technical,3,false,\n"             // impression
         "C00000002,2025-01-01,visit,welcome,business,technical,1,maybe,\n"             // flag
         "C00000002,2025-01-02,visit,welcome,business,technical,1,true,2025-01-01\n");  // early
  append(dir.file("purchases.csv"),
         "C00000003,2025-01-01,-5\n"           // negative amount
         "C00000003,2025-01-01,12.5.1\n"       // not the amount form
         "C00000003,2025-01-01T25:00:00,10\n"  // impossible timestamp
         "NOPE,2025-01-01,10\n");              // unknown customer
  append(dir.file("referrals.csv"),
         "C00000004,C00000004,2025-01-01\n"  // self-referral
         ",C00000004,2025-01-01\n");         // empty referrer
}

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

/// Native column types of the CSV columns (others TEXT), as a CRM would declare them.
std::string native_type(const std::string& column) {
  if (column == "acquired_on") return "DATE";
  if (column == "at" || column == "resolved_at") return "TIMESTAMP";
  if (column == "impression") return "INTEGER";
  if (column == "complaint") return "BOOLEAN";
  if (column == "amount") return "DOUBLE PRECISION";
  return "TEXT";
}

bool amount_form(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  const auto dot = s.find('.');
  const auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return dot == std::string_view::npos ? digits(s) : digits(s.substr(0, dot)) && digits(s.substr(dot + 1));
}

/// Binds a CSV field natively where it is a valid value of the column's type (INTEGER Unix
/// seconds for dates and timestamps, numbers, 0/1 flags), else as the text (SQLite keeps it).
void bind_native(sqlite3_stmt* st, int k, const std::string& type, std::string_view v) {
  std::int64_t i = 0;
  double d = 0;
  if (v.empty()) {
    sqlite3_bind_null(st, k);
  } else if (type == "DATE" && parse_date(v)) {
    sqlite3_bind_int64(st, k, midnight(*parse_date(v)));
  } else if (type == "TIMESTAMP" && parse_timestamp(v)) {
    sqlite3_bind_int64(st, k, *parse_timestamp(v));
  } else if (type == "INTEGER" && std::from_chars(v.data(), v.data() + v.size(), i).ptr == v.data() + v.size() &&
             v[0] != '+') {
    sqlite3_bind_int64(st, k, i);
  } else if (type == "BOOLEAN" && (v == "true" || v == "false" || v == "1" || v == "0")) {
    sqlite3_bind_int(st, k, v == "true" || v == "1");
  } else if (type == "DOUBLE PRECISION" && amount_form(v)) {
    std::from_chars(v.data(), v.data() + v.size(), d);
    sqlite3_bind_double(st, k, d);
  } else {
    sqlite3_bind_text(st, k, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
}

/// Copies a CSV file into a SQLite table, row by row, all TEXT (empty = NULL) or native.
void csv_to_sqlite(sqlite3* db, const std::string& csv, const std::string& table, bool native) {
  detail::CsvReader reader(csv);
  detail::CsvRecord rec;
  reader.next(rec);
  const std::vector<std::string> header(rec.fields.begin(), rec.fields.end());
  std::string create = "CREATE TABLE " + table + " (", insert = "INSERT INTO " + table + " VALUES (";
  for (std::size_t i = 0; i < header.size(); ++i) {
    create += (i ? ", " : "") + header[i] + " " + (native ? native_type(header[i]) : "TEXT");
    insert += i ? ",?" : "?";
  }
  check(db, sqlite3_exec(db, (create + ")").c_str(), nullptr, nullptr, nullptr), "create");
  sqlite3_stmt* st = nullptr;
  check(db, sqlite3_prepare_v2(db, (insert + ")").c_str(), -1, &st, nullptr), "prepare");
  while (reader.next(rec)) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      const int k = static_cast<int>(i) + 1;
      if (native)
        bind_native(st, k, native_type(header[i]), rec.fields[i]);
      else if (rec.fields[i].empty())
        sqlite3_bind_null(st, k);
      else
        sqlite3_bind_text(st, k, rec.fields[i].data(), static_cast<int>(rec.fields[i].size()), SQLITE_TRANSIENT);
    }
    check(db, sqlite3_step(st), "insert");
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
}

/// Builds `path` from the CSV files in `dir`, tables renamed by `names`.
void build_sqlite(const TempDir& dir, const std::string& path, bool native,
                  const std::array<std::string, 4>& names = {"customers", "contacts", "purchases", "referrals"}) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  const char* files[4] = {"customers.csv", "contacts.csv", "purchases.csv", "referrals.csv"};
  for (int k = 0; k < 4; ++k) csv_to_sqlite(db, dir.file(files[k]), names[static_cast<std::size_t>(k)], native);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

long long count(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  check(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), "count");
  sqlite3_step(st);
  const long long n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

std::string scores_csv(const TempDir& dir, const std::string& name, const LoadResult& loaded) {
  const auto res = score(loaded.base);
  write_scores_csv(dir.file(name), loaded.base, res, 1);
  return rapport::test::read_file(dir.file(name));
}

using RejectKey = std::tuple<std::string, std::size_t, std::string, std::string>;
std::vector<RejectKey> reject_keys(const LoadReport& rep, bool csv_lines) {
  std::vector<RejectKey> out;
  // generated CSV rows are one line each: row number in read order = CSV line - 1
  for (const auto& r : rep.rejects) out.emplace_back(r.table, csv_lines ? r.line - 1 : r.line, r.column_name, r.reason);
  return out;
}

}  // namespace

class DatabaseSameAsCsv : public ::testing::TestWithParam<bool> {};

TEST_P(DatabaseSameAsCsv, SameScoresAndRejects) {
  TempDir dir;
  generate_with_bad_rows(dir, 400);
  const auto db_path = dir.file("base.db");
  build_sqlite(dir, db_path, GetParam());

  const auto from_csv = load_csv(InputFiles::from_directory(dir.path()));
  const auto from_db = load_db("sqlite:" + db_path);
  // the bad rows appended above: 3 customers, 6 contacts, 4 purchases, 2 referrals
  EXPECT_EQ(from_csv.report.customers.rejected, 3u);
  EXPECT_EQ(from_csv.report.contacts.rejected, 6u);
  EXPECT_EQ(from_csv.report.purchases.rejected, 4u);
  EXPECT_EQ(from_csv.report.referrals.rejected, 2u);
  for (auto t : {&LoadReport::customers, &LoadReport::contacts, &LoadReport::purchases, &LoadReport::referrals}) {
    EXPECT_EQ((from_db.report.*t).read, (from_csv.report.*t).read);
    EXPECT_EQ((from_db.report.*t).rejected, (from_csv.report.*t).rejected);
  }
  EXPECT_EQ(reject_keys(from_db.report, false), reject_keys(from_csv.report, true));
  ASSERT_FALSE(from_db.report.rejects.empty());
  EXPECT_EQ(from_db.report.rejects.front().file, "customers");
  EXPECT_EQ(scores_csv(dir, "db.csv", from_db), scores_csv(dir, "csv.csv", from_csv));
  // --strict: the first rejected row stops the load, named by table, row number and column
  DbOptions strict;
  strict.load.strict = true;
  try {
    load_db("sqlite:" + db_path, strict);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "customers:401:1: duplicate customer_id (first row wins) (column customer_id)");
  }
}

INSTANTIATE_TEST_SUITE_P(TextAndNativeColumns, DatabaseSameAsCsv, ::testing::Values(false, true));

TEST(Database, ImportThenScoreEqualsCsv) {
  TempDir dir;
  generate_with_bad_rows(dir, 300);
  const auto db_uri = "sqlite:" + dir.file("imported.db");
  const auto imported = import_csv_to_db(InputFiles::from_directory(dir.path()), db_uri);
  EXPECT_EQ(imported.report.total_rejected(), 15u);  // rejected the same way as CSV
  const auto from_db = load_db(db_uri);
  EXPECT_EQ(from_db.report.total_rejected(), 0u);  // only accepted rows were imported
  EXPECT_EQ(from_db.report.customers.read, imported.base.customer_count());
  EXPECT_EQ(scores_csv(dir, "db.csv", from_db), scores_csv(dir, "csv.csv", imported));
  // native types: amounts are REAL, impressions INTEGER, complaint 0/1
  EXPECT_EQ(count(dir.file("imported.db"), "SELECT count(*) FROM purchases WHERE typeof(amount) <> 'real'"), 0);
  EXPECT_EQ(count(dir.file("imported.db"), "SELECT count(*) FROM contacts WHERE typeof(impression) <> 'integer'"), 0);
  // a second import into the same tables is refused (they hold rows) and adds nothing
  EXPECT_THROW(import_csv_to_db(InputFiles::from_directory(dir.path()), db_uri), OutputError);
  EXPECT_EQ(count(dir.file("imported.db"), "SELECT count(*) FROM customers"),
            static_cast<long long>(imported.base.customer_count()));
}

TEST(Database, MappedSchemaQualifiedTablesAndAbsentOptionalTables) {
  TempDir dir;
  generate_with_bad_rows(dir, 100);
  const auto db_path = dir.file("crm.db");
  build_sqlite(dir, db_path, true, {"clients", "touches", "orders", "intros"});
  DbOptions o;
  o.tables = DbTables::parse("customers=main.clients,contacts=touches,purchases=main.orders,referrals=intros");
  const auto mapped = load_db("sqlite:" + db_path, o);
  EXPECT_EQ(mapped.report.customers.rejected, 3u);
  EXPECT_EQ(mapped.report.rejects.front().file, "main.clients");
  EXPECT_GT(mapped.base.contact_count(), 0u);
  // default names: only `customers` is required; the others are read when they exist
  o.tables = DbTables::parse("customers=clients");
  const auto only_customers = load_db("sqlite:" + db_path, o);
  EXPECT_EQ(only_customers.base.customer_count(), mapped.base.customer_count());
  EXPECT_EQ(only_customers.base.contact_count(), 0u);
  EXPECT_EQ(only_customers.report.contacts.read, 0u);
  EXPECT_THROW(load_db("sqlite:" + db_path), InputError);  // no table `customers`
}

TEST(Database, TableNamesAreValidatedBeforeAnythingIsOpened) {
  for (const char* bad : {"customers=x;drop table y", "customers=a.b.c", "customers=\"q\"", "customers=1abc",
                          "customers=", "customers=a b", "clients=x", "customers"})
    EXPECT_THROW(DbTables::parse(bad), ConfigError) << bad;
  EXPECT_EQ(DbTables::parse("customers=crm.clients,referrals=_r$1").customers, "crm.clients");
  EXPECT_TRUE(is_plain_identifier("crm.clients"));
  EXPECT_FALSE(is_plain_identifier("crm.clients."));
  EXPECT_FALSE(is_plain_identifier(".clients"));
  TempDir dir;
  DbOptions o;
  o.tables.contacts = "x'; --";
  // a config error, not "cannot open": the database (which does not exist) was never touched
  EXPECT_THROW(load_db("sqlite:" + dir.file("none.db"), o), ConfigError);
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));
  EXPECT_THROW(load_db("sqlite:" + dir.file("none.db")), InputError);
}

TEST(Database, ValueSpellingsMatchTheCsvForms) {
  std::string s;
  const auto spell = [&](double v) {
    s.clear();
    detail::spell_double(v, s);
    return s;
  };
  EXPECT_EQ(spell(0.1), "0.1");
  EXPECT_EQ(spell(12.0), "12");
  EXPECT_EQ(spell(1e20), "100000000000000000000");  // no exponent: the amount form holds
  EXPECT_EQ(spell(1e-7), "0.0000001");
  EXPECT_EQ(spell(-2.5), "-2.5");  // stays negative: rejected as "negative amount" like CSV
  // an integer in a timestamp or date column: the instant (its UTC day) within years 0000-9999,
  // spelled as the CSV holds it; outside them the integer itself (rejected as unparsable)
  const auto typed = [&](std::int64_t t, detail::DbType type) {
    s.clear();
    detail::spell_typed(detail::typed_unix_seconds(t, type), s);
    return s;
  };
  using Kind = detail::TypedField::Kind;
  EXPECT_EQ(detail::typed_unix_seconds(86400 + 3661, detail::DbType::timestamp).kind, Kind::instant);
  EXPECT_EQ(typed(86400 + 3661, detail::DbType::timestamp), "1970-01-02T01:01:01Z");
  EXPECT_EQ(detail::typed_unix_seconds(86400 + 3661, detail::DbType::date).integer, 1);  // day 1
  EXPECT_EQ(typed(86400 + 3661, detail::DbType::date), "1970-01-02");
  EXPECT_EQ(typed(-1, detail::DbType::date), "1969-12-31");                   // the day holding it
  EXPECT_EQ(typed(253402300800, detail::DbType::timestamp), "253402300800");  // 10000-01-01
  EXPECT_EQ(typed(253402300799, detail::DbType::timestamp), "9999-12-31T23:59:59Z");
  s.clear();
  detail::spell_typed({Kind::boolean, 1, 0}, s);
  detail::spell_typed({Kind::integer, -42, 0}, s);
  detail::spell_typed({Kind::text, 7, 0}, s);  // nothing: the text is the record's
  EXPECT_EQ(s, "true-42");
  EXPECT_EQ(detail::type_from_declared("TIMESTAMPTZ"), detail::DbType::timestamp);
  EXPECT_EQ(detail::type_from_declared("date"), detail::DbType::date);
  EXPECT_EQ(detail::type_from_declared("BOOLEAN"), detail::DbType::boolean);
  EXPECT_EQ(detail::type_from_declared("INTEGER"), detail::DbType::text);  // integers spell as decimals anyway
}

TEST(Database, PasswordsAreRedacted) {
  EXPECT_EQ(redact_uri("postgresql://ann:s3cret@db.example:5432/crm?sslmode=require"),
            "postgresql://ann@db.example:5432/crm?sslmode=require");
  EXPECT_EQ(redact_uri("host=db user=ann password=s3cret dbname=crm"), "host=db user=ann  dbname=crm");
  EXPECT_EQ(redact_uri("host=db password='a b\\'c' dbname=crm"), "host=db  dbname=crm");
  EXPECT_EQ(redact_uri("postgresql:///crm?host=/tmp&password=x&user=u"), "postgresql:///crm?host=/tmp&&user=u");
  EXPECT_EQ(redact_uri("sqlite:/data/crm.db"), "sqlite:/data/crm.db");
}

namespace {
struct Scored {
  LoadResult loaded;
  ScoreResult result;
};
Scored score_sample(const TempDir& dir, std::size_t customers, std::uint64_t seed) {
  GenerateOptions g;
  g.customers = customers;
  g.seed = seed;
  const auto sub = dir.file("gen" + std::to_string(seed));
  generate_csv(sub, g);
  Scored s{load_csv(InputFiles::from_directory(sub)), {}};
  s.result = score(s.loaded.base, days_from_civil(2026, 6, 30));  // one as_of for every sample
  return s;
}
}  // namespace

TEST(Database, WriteBackReplacesAtomicallyKeepsHistoryPerAsOfAndRecordsRuns) {
  TempDir dir;
  const auto path = dir.file("out.db");
  const auto uri = "sqlite:" + path;
  sqlite3* setup = nullptr;  // WAL: a reader keeps its snapshot while a writer commits
  sqlite3_open(path.c_str(), &setup);
  sqlite3_exec(setup, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  sqlite3_close(setup);

  const auto a = score_sample(dir, 120, 1), b = score_sample(dir, 80, 2);
  DbWriteOptions w{"scores", "score_history", "rapport_runs"};
  write_db(uri, w, a.loaded.base, a.loaded.report, a.result, {}, {100, 200});
  EXPECT_EQ(count(path, "SELECT count(*) FROM scores"), static_cast<long long>(a.result.scores.size()));

  // a reader that began before the second write sees the whole old set, never a mix
  sqlite3* reader = nullptr;
  sqlite3_open(path.c_str(), &reader);
  sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(reader, "SELECT count(*) FROM scores", -1, &st, nullptr);
  sqlite3_step(st);
  EXPECT_EQ(sqlite3_column_int64(st, 0), static_cast<long long>(a.result.scores.size()));
  sqlite3_reset(st);
  write_db(uri, w, b.loaded.base, b.loaded.report, b.result, {}, {300, 400});
  sqlite3_step(st);
  EXPECT_EQ(sqlite3_column_int64(st, 0), static_cast<long long>(a.result.scores.size()));
  sqlite3_finalize(st);
  sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
  EXPECT_EQ(count(path, "SELECT count(*) FROM scores"), static_cast<long long>(b.result.scores.size()));

  // both runs are as of the same day: history replaced, not doubled
  ASSERT_EQ(a.result.as_of, b.result.as_of);
  EXPECT_EQ(count(path, "SELECT count(*) FROM score_history"), static_cast<long long>(b.result.scores.size()));
  EXPECT_EQ(count(path, "SELECT count(*) FROM rapport_runs"), 2);
  EXPECT_EQ(count(path, "SELECT max(rows_rejected) FROM rapport_runs"), 0);
  EXPECT_EQ(count(path, "SELECT count(*) FROM rapport_runs WHERE ended_at = '1970-01-01 00:06:40'"), 1);
  // a run as of an earlier date adds its own history rows and keeps the others
  const auto earlier = score(a.loaded.base, a.result.as_of - 30);
  write_db(uri, w, a.loaded.base, a.loaded.report, earlier, {}, {500, 600});
  EXPECT_EQ(count(path, "SELECT count(*) FROM score_history"),
            static_cast<long long>(b.result.scores.size() + earlier.scores.size()));
  EXPECT_EQ(count(path, "SELECT count(DISTINCT as_of) FROM score_history"), 2);
  // typed columns, values read back: every ask_for_referral is 0/1, tree sizes are integers
  EXPECT_EQ(
      count(path, "SELECT count(*) FROM scores WHERE typeof(tree_size) <> 'integer' OR ask_for_referral NOT IN (0, 1)"),
      0);
  EXPECT_EQ(count(path, "SELECT count(*) FROM scores WHERE typeof(loyalty_given) <> 'real'"), 0);
}

namespace {
// A Scorer over a 120-customer sample and a batch of one contact each for its first three
// customers (rows 0..2 of the scores): the rescored rows.
struct LiveSample {
  Scored sample;
  std::unique_ptr<Scorer> scorer;
  RowBatch batch;
};
LiveSample live_sample(const TempDir& dir) {
  LiveSample s{score_sample(dir, 120, 1), nullptr, {}};
  ScoringConfig config;
  config.bgnbd = s.sample.result.bgnbd;  // fitted above: the rescored rows keep every parameter
  config.gamma_gamma = s.sample.result.gamma_gamma;
  s.scorer = std::make_unique<Scorer>(s.sample.loaded.base, s.sample.result.as_of, config);
  for (std::uint32_t c = 0; c < 3; ++c)
    s.batch.contacts.push_back({s.sample.loaded.base.customer_id[c],
                                ContactRow{midnight(days_from_civil(2026, 6, 1)), Channel::phone, Stage::service,
                                           Initiator::business, Aspect::wow, 2, false, no_time}});
  return s;
}
}  // namespace

// Scorer write-back (issue 23 item 4): the first upsert writes every row, the next only the
// rows a batch rescored — one row per customer stays, and those rows carry the new values.
TEST(Database, ScorerChangesAreUpsertedAlone) {
  TempDir dir;
  const auto path = dir.file("live.db");
  const std::string uri = "sqlite:" + path;
  LiveSample s = live_sample(dir);
  const auto upsert = [&] {
    std::size_t n = 0;
    s.scorer->with_changes([&](const CustomerBase& base, const ScoreResult& r, const std::vector<std::uint32_t>& rows) {
      upsert_scores_db(uri, "scores", base, r, rows);
      n = rows.size();
    });
    return n;
  };
  const std::size_t all = s.scorer->scores().scores.size();
  EXPECT_EQ(upsert(), all);
  EXPECT_EQ(count(path, "SELECT count(*) FROM scores"), static_cast<long long>(all));
  EXPECT_EQ(count(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'scores_customer_id'"), 1);
  const std::string before = std::to_string(count(path, "SELECT sum(loyalty_given * 1000) FROM scores"));
  s.scorer->add(s.batch);
  EXPECT_EQ(upsert(), 3u);
  EXPECT_EQ(count(path, "SELECT count(*) FROM scores"), static_cast<long long>(all));
  EXPECT_EQ(count(path, "SELECT count(DISTINCT customer_id) FROM scores"), static_cast<long long>(all));
  // the three rows now hold the rescored values: each equals the scorer's to the last bit
  const ScoreResult& now = s.scorer->scores();
  for (std::uint32_t r = 0; r < 3; ++r) {
    const auto& id = s.sample.loaded.base.customer_id[now.scores.customer[r]];
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, now.scores.loyalty_given[r]);
    ASSERT_EQ(ec, std::errc{});
    EXPECT_EQ(count(path, "SELECT count(*) FROM scores WHERE customer_id = '" + id +
                              "' AND loyalty_given = " + std::string(buf, end)),
              1)
        << id;
  }
  EXPECT_NE(std::to_string(count(path, "SELECT sum(loyalty_given * 1000) FROM scores")), before);
  EXPECT_EQ(upsert(), 0u);  // nothing new
  EXPECT_THROW(upsert_scores_db(uri, "scores", s.scorer->base(), now, {static_cast<std::uint32_t>(all)}),
               NotFoundError);
}

TEST(Database, ATableOfTheWrongShapeIsAnErrorAndNothingIsWritten) {
  TempDir dir;
  const auto path = dir.file("out.db");
  const auto s = score_sample(dir, 60, 3);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE scores (customer_id TEXT, score REAL)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  DbWriteOptions w{"scores", "", "rapport_runs"};
  try {
    write_db("sqlite:" + path, w, s.loaded.base, s.loaded.report, s.result, {}, {0, 0});
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("scores: table has columns (customer_id,score)"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(count(path, "SELECT count(*) FROM scores"), 0);
  EXPECT_EQ(count(path, "SELECT count(*) FROM sqlite_master WHERE name = 'rapport_runs'"), 0);  // rolled back
  EXPECT_EQ(count(path, "SELECT count(*) FROM pragma_table_info('scores')"), 2);                // never altered
}

TEST(Database, FractionalTextTimestampsAreRejectedAsInCsv) {
  TempDir dir;
  const auto path = dir.file("f.db");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "CREATE TABLE customers (customer_id TEXT, acquired_on DATE, segment TEXT);"
               "INSERT INTO customers VALUES ('A', '2024-01-01', NULL), ('B', 19723, 'x');"  // 19723 s: 1970-01-01
               "CREATE TABLE purchases (customer_id TEXT, at TIMESTAMP, amount REAL);"
               "INSERT INTO purchases VALUES ('A', '2024-02-01 10:00:00', 12.5), ('A', '2024-02-01 10:00:00.250', 1),"
               "('A', 1706781600, -1.0), ('A', 1706781600, 3);",
               nullptr, nullptr, nullptr);
  sqlite3_close(db);
  const auto r = load_db("sqlite:" + path);
  // row 2: a fraction is not a CSV timestamp; row 3: a negative amount
  ASSERT_EQ(r.report.rejects.size(), 2u);
  EXPECT_EQ(r.report.rejects[0].line, 2u);
  EXPECT_EQ(r.report.rejects[0].column_name, "at");
  EXPECT_EQ(r.report.rejects[1].line, 3u);
  EXPECT_EQ(r.report.rejects[1].reason, "negative amount");
  EXPECT_EQ(r.report.rejects[1].raw, "A,2024-02-01T10:00:00Z,-1");
  ASSERT_EQ(r.base.purchase_count(), 2u);
  EXPECT_EQ(r.base.purchase_at[1], 1706781600);            // INTEGER Unix seconds in a TIMESTAMP column
  EXPECT_EQ(r.base.segment_names[r.base.segment[0]], "");  // NULL is empty
  EXPECT_EQ(r.base.acquired_on[1], 0);                     // INTEGER in a DATE column: the date of that instant
}

/// A SQLite base of one customer `A` and 30,000 purchases (a view counting i = 1..30000): amount
/// -1 (a reject) where i % 10000 == 5, else 1; when `fail_at` is set, reading row `fail_at` fails
/// (abs of the smallest integer: SQLite's "integer overflow" while stepping).
std::string many_purchases_db(const TempDir& dir, int fail_at = 0) {
  const auto path = dir.file("many.db");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  const std::string sql =
      "CREATE TABLE customers (customer_id TEXT, acquired_on DATE);"
      "INSERT INTO customers VALUES ('A', '2024-01-01');"
      "CREATE VIEW purchases AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) "
      "SELECT 'A' AS customer_id, '2024-02-01' AS at, CASE WHEN i = " +
      std::to_string(fail_at) +
      " THEN abs(-9223372036854775808) WHEN i % 10000 = 5 THEN -1 ELSE 1 END AS amount FROM n;";
  check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), "create");
  sqlite3_close(db);
  return "sqlite:" + path;
}

// A rejected database row's raw text is its CSV record (the one record spelling, spell_record):
// text holding a comma or a quote quoted, typed values spelled. The row
//   customer_id | acquired_on | segment
//   b,1         | 2020-02-30  | s,"1"        (no 30 February: rejected)
// reads back as the CSV record  "b,1",2020-02-30,"s,""1""" .
TEST(Database, ARejectedRowsRawIsItsCsvRecord) {
  TempDir dir;
  const auto path = dir.file("raw.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db,
               "CREATE TABLE customers (customer_id TEXT, acquired_on TEXT, segment TEXT);"
               "INSERT INTO customers VALUES ('a', '2020-01-01', 'x'), ('b,1', '2020-02-30', 's,\"1\"');"
               "CREATE TABLE purchases (customer_id TEXT, at TEXT, amount REAL);"
               "INSERT INTO purchases VALUES ('a', '2020-02-01', -2.5);",
               nullptr, nullptr, nullptr);
  sqlite3_close(db);
  const auto r = load_db("sqlite:" + path);
  ASSERT_EQ(r.report.rejects.size(), 2u);
  EXPECT_EQ(r.report.rejects[0].line, 2u);
  EXPECT_EQ(r.report.rejects[0].raw, "\"b,1\",2020-02-30,\"s,\"\"1\"\"\"");
  EXPECT_EQ(r.report.rejects[1].raw, "a,2020-02-01,-2.5");  // a typed REAL spelled, nothing to quote
}

TEST(Database, RowsFetchedAheadKeepReadOrderAcrossBatches) {
  // 30,000 rows are several of the reader thread's batches (8,192 rows): the rejects keep their
  // row numbers in read order, the counts and the stored rows are those of the table
  TempDir dir;
  const auto r = load_db(many_purchases_db(dir));
  EXPECT_EQ(r.report.purchases.read, 30000u);
  EXPECT_EQ(r.report.purchases.rejected, 3u);
  ASSERT_EQ(r.report.rejects.size(), 3u);
  const std::size_t lines[3] = {5, 10005, 20005};
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(r.report.rejects[k].file, "purchases");
    EXPECT_EQ(r.report.rejects[k].line, lines[k]);
    EXPECT_EQ(r.report.rejects[k].reason, "negative amount");
    EXPECT_EQ(r.report.rejects[k].raw, "A,2024-02-01,-1");
  }
  ASSERT_EQ(r.base.purchase_count(), 29997u);
  for (std::size_t k = 0; k < r.base.purchase_count(); ++k) ASSERT_EQ(r.base.purchase_amount[k], 1.0);
}

TEST(Database, StrictStopsAtTheFirstRejectWhileTheReaderIsAhead) {
  // the reader thread has fetched batches past row 5 when the loader rejects it: the load stops
  // there (the reader stopped and joined), naming row 5
  TempDir dir;
  DbOptions strict;
  strict.load.strict = true;
  try {
    load_db(many_purchases_db(dir), strict);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "purchases:5:3: negative amount (column amount)");
  }
}

TEST(Database, AReadErrorReachesTheLoaderAfterTheRowsBeforeIt) {
  // reading row 20,000 fails: the rows before it went through the row rules (their rejects at 5
  // and 10,005 reported, in order), none after it; the error names the table
  TempDir dir;
  std::vector<std::size_t> rejected;
  DbOptions o;
  o.load.on_reject = [&](const RejectedRow& row) { rejected.push_back(row.line); };
  try {
    load_db(many_purchases_db(dir, 20000), o);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "purchases: read failed: integer overflow");
  }
  EXPECT_EQ(rejected, (std::vector<std::size_t>{5, 10005}));
}

// ---- PostgreSQL: the same checks against a real server, when RAPPORT_TEST_PG_URI names one
// (scripts/pg-throwaway.sh start prints such a URI; CI sets it).

TEST(Database, PostgresConnectionFailureShowsTheServerMessageNeverThePassword) {
  try {
    load_db("postgresql://ann:topsecret@/crm?host=/nonexistent-rapport-socket-dir&connect_timeout=2");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find("topsecret"), std::string::npos) << what;
    EXPECT_NE(what.find("postgresql://ann@/crm"), std::string::npos) << what;
    EXPECT_NE(what.find("cannot connect"), std::string::npos) << what;
    EXPECT_NE(what.find("nonexistent-rapport-socket-dir"), std::string::npos) << what;  // libpq's own message
  }
}

namespace {

detail::DbType native_db_type(const std::string& column) {
  if (column == "acquired_on") return detail::DbType::date;
  if (column == "at" || column == "resolved_at") return detail::DbType::timestamp;
  if (column == "impression") return detail::DbType::integer;
  if (column == "complaint") return detail::DbType::boolean;
  if (column == "amount") return detail::DbType::real;
  return detail::DbType::text;
}

/// Copies the CSV files into `schema`'s four tables (all TEXT, or native DATE/TIMESTAMPTZ/...).
void build_pg(const TempDir& dir, const PgSchema& schema, bool native) {
  auto db = detail::open_db(pg_uri(), true);
  db->begin_write();
  for (const char* t : {"customers", "contacts", "purchases", "referrals"}) {
    detail::CsvReader reader(dir.file(std::string(t) + ".csv"));
    detail::CsvRecord rec;
    reader.next(rec);
    std::vector<detail::DbColumn> cols;
    for (auto f : rec.fields)
      cols.push_back({std::string(f), native ? native_db_type(std::string(f)) : detail::DbType::text});
    const auto name = detail::parse_db_name(schema.table(t), "table");
    db->create(name, cols);
    auto ins = db->insert(name, cols);
    while (reader.next(rec)) ins->add(rec.fields);
    ins->finish();
  }
  db->commit();
}
}  // namespace

class PostgresSameAsCsv : public ::testing::TestWithParam<bool> {};

TEST_P(PostgresSameAsCsv, SameScoresAndRejects) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  const bool native = GetParam();
  TempDir dir;
  generate_with_bad_rows(dir, 400, native);
  PgSchema schema("rapport_test");
  build_pg(dir, schema, native);
  DbOptions o;
  o.tables = schema.tables();
  const auto from_csv = load_csv(InputFiles::from_directory(dir.path()));
  const auto from_db = load_db(pg_uri(), o);
  EXPECT_EQ(from_csv.report.total_rejected(), native ? 10u : 15u);
  for (auto t : {&LoadReport::customers, &LoadReport::contacts, &LoadReport::purchases, &LoadReport::referrals}) {
    EXPECT_EQ((from_db.report.*t).read, (from_csv.report.*t).read);
    EXPECT_EQ((from_db.report.*t).rejected, (from_csv.report.*t).rejected);
  }
  EXPECT_EQ(reject_keys(from_db.report, false), reject_keys(from_csv.report, true));
  EXPECT_EQ(from_db.report.rejects.front().file, schema.table("customers"));
  EXPECT_EQ(scores_csv(dir, "db.csv", from_db), scores_csv(dir, "csv.csv", from_csv));
}

INSTANTIATE_TEST_SUITE_P(TextAndNativeColumns, PostgresSameAsCsv, ::testing::Values(false, true));

TEST(Database, PostgresNativeValuesSpellAsCsv) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_test");
  const auto t = [&](const char* name) { return schema.table(name); };
  // a CRM's own types: microseconds (truncated), another time zone (converted to UTC), NUMERIC
  schema.exec("CREATE TABLE " + t("customers") + " (customer_id TEXT, acquired_on DATE, segment TEXT)");
  schema.exec("INSERT INTO " + t("customers") + " VALUES ('A', '2024-01-01', NULL)");
  schema.exec("CREATE TABLE " + t("purchases") + " (customer_id TEXT, at TIMESTAMPTZ, amount NUMERIC(12,2))");
  schema.exec("INSERT INTO " + t("purchases") +
              " VALUES ('A', '2024-02-01 12:00:00.999+02', 12.50), "
              "('A', '2024-02-02 00:00:00+00', -3.00), ('A', NULL, 1)");
  DbOptions o;
  o.tables = schema.tables();  // contacts and referrals absent: not read
  const auto r = load_db(pg_uri(), o);
  EXPECT_EQ(r.report.contacts.read, 0u);
  ASSERT_EQ(r.base.purchase_count(), 1u);
  EXPECT_EQ(r.base.purchase_at[0], *parse_timestamp("2024-02-01T10:00:00Z"));
  EXPECT_EQ(r.base.purchase_amount[0], 12.5);
  ASSERT_EQ(r.report.rejects.size(), 2u);
  EXPECT_EQ(r.report.rejects[0].raw, "A,2024-02-02T00:00:00Z,-3.00");
  EXPECT_EQ(r.report.rejects[0].reason, "negative amount");
  EXPECT_EQ(r.report.rejects[1].line, 3u);
  EXPECT_EQ(r.report.rejects[1].column_name, "at");  // NULL is empty: no timestamp
}

// The binary COPY's native values: numbers, booleans, instants and dates typed; every value the
// text COPY printed otherwise (BC, past 9999, infinite, NaN, a REAL's short form, CHAR padding, a
// domain) shows in a reject exactly as PostgreSQL prints it, and is rejected for the same reason.
TEST(Database, PostgresBinaryValuesReadAsTheTextCopyPrintedThem) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_test");
  const auto t = [&](const char* name) { return schema.table(name); };
  schema.exec("CREATE DOMAIN " + schema.name() + ".flag AS BOOLEAN");
  schema.exec("CREATE TABLE " + t("customers") + " (customer_id TEXT, acquired_on DATE, segment CHAR(4))");
  schema.exec("INSERT INTO " + t("customers") +
              " VALUES ('A', '2024-01-01', 'ab'), ('B', '0044-03-15 BC', 'x'), ('C', 'infinity', NULL),"
              " ('D', '10000-01-01', NULL)");
  schema.exec("CREATE TABLE " + t("contacts") +
              " (customer_id VARCHAR(8), at TIMESTAMPTZ, channel TEXT, stage TEXT, initiator TEXT, aspect TEXT,"
              " impression SMALLINT, complaint " +
              schema.name() + ".flag, resolved_at TIMESTAMP)");
  schema.exec("INSERT INTO " + t("contacts") +
              " VALUES ('A', '2024-05-01 10:00:00.75+00', 'visit', 'welcome', 'business', 'technical', -2, true,"
              " '2024-05-01 11:00:00'),"
              " ('A', '0044-03-15 12:00:00.5+00 BC', 'visit', 'welcome', 'business', 'technical', 0, false, NULL),"
              " ('A', 'infinity', 'visit', 'welcome', 'business', 'technical', 0, false, NULL),"
              " ('A', '2024-05-01 10:00:00+00', 'visit', 'welcome', 'business', 'technical', 9, false, NULL),"
              " ('A', '2024-05-01 10:00:00+00', 'visit', 'welcome', 'business', 'technical', 0, true,"
              " '12000-01-01 00:00:00')");
  schema.exec("CREATE TABLE " + t("purchases") + " (customer_id TEXT, at DATE, amount DOUBLE PRECISION, small REAL)");
  schema.exec("INSERT INTO " + t("purchases") +
              " VALUES ('A', '2024-05-02', 0.1, 0.1), ('A', '2024-05-02', 'NaN', 1e-5),"
              " ('A', '2024-05-02', '-Infinity', 3e38), ('A', '2024-05-02', 1e20, NULL)");
  DbOptions o;
  o.tables = schema.tables();
  const auto r = load_db(pg_uri(), o);
  ASSERT_EQ(r.base.customer_count(), 1u);
  EXPECT_EQ(r.base.segment_names[r.base.segment[0]], "ab  ");  // CHAR(4) keeps its padding
  ASSERT_EQ(r.base.contact_count(), 1u);
  EXPECT_EQ(r.base.contact_at[0], 1714557600);  // 2024-05-01T10:00:00Z: the fraction truncated
  EXPECT_EQ(r.base.contact_impression[0], -2);
  EXPECT_EQ(r.base.resolved_at_column()[0], 1714561200);
  ASSERT_EQ(r.base.purchase_count(), 2u);
  EXPECT_EQ(r.base.purchase_at[0], 1714608000);  // a DATE where an instant belongs: its midnight
  EXPECT_EQ(r.base.purchase_amount[0], 0.1);
  EXPECT_EQ(r.base.purchase_amount[1], 1e20);
  std::vector<std::string> raws, reasons;
  for (const auto& j : r.report.rejects) raws.push_back(j.raw), reasons.push_back(j.reason);
  const std::vector<std::string> want_raw{
      "B,0044-03-15 BC,x   ",
      "C,infinity,",
      "D,10000-01-01,",
      "A,0044-03-15 12:00:00.5+00 BC,visit,welcome,business,technical,0,false,",
      "A,infinity,visit,welcome,business,technical,0,false,",
      "A,2024-05-01T10:00:00Z,visit,welcome,business,technical,9,false,",
      "A,2024-05-01T10:00:00Z,visit,welcome,business,technical,0,true,12000-01-01 00:00:00",
      "A,2024-05-02,NaN,0.00001",
      // 3e+38 as the text COPY printed it, read as a double and spelled in full
      "A,2024-05-02,-Infinity,300000000000000012135895401846682943488",
  };
  EXPECT_EQ(raws, want_raw);
  const std::vector<std::string> want_reason{
      "unparsable date (expected YYYY-MM-DD)",
      "unparsable date (expected YYYY-MM-DD)",
      "unparsable date (expected YYYY-MM-DD)",
      "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])",
      "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])",
      "impression out of range -2..2",
      "resolved_at: unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])",
      "unparsable amount (expected digits with an optional .fraction)",
      "unparsable amount (expected digits with an optional .fraction)",
  };
  EXPECT_EQ(reasons, want_reason);
}

// The tables are read on connections of their own, all in the snapshot the read transaction
// exported: a row committed by another session after the read began is not seen by a table read
// on a connection opened after that commit.
TEST(Database, PostgresTablesShareTheReadSnapshot) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_test");
  schema.exec("CREATE TABLE " + schema.table("contacts") + " (customer_id TEXT, n INTEGER)");
  schema.exec("INSERT INTO " + schema.table("contacts") + " VALUES ('A', 1), ('B', 2)");
  const auto count_rows = [](detail::RecordSource& source) {
    detail::CsvRecord rec;
    std::size_t n = 0;
    while (source.next(rec)) ++n;
    return n - 1;  // the header
  };
  const auto name = detail::parse_db_name(schema.table("contacts"), "table");
  auto db = detail::open_db(pg_uri(), false);
  db->begin_read();
  // another session commits a row after the snapshot was taken...
  schema.exec("INSERT INTO " + schema.table("contacts") + " VALUES ('C', 3)");
  ASSERT_EQ(schema.count("SELECT count(*) FROM " + schema.table("contacts")), 3);
  {
    // ...and the table, read on a connection opened now, still has two rows
    auto source = db->read(name);
    EXPECT_EQ(count_rows(*source), 2u);
  }
  db->commit();
  // a read that begins after the commit sees it
  db->begin_read();
  auto source = db->read(name);
  EXPECT_EQ(count_rows(*source), 3u);
  source.reset();
  db->commit();
}

TEST(Database, PostgresWriteBackIsAtomicWithHistoryAndRuns) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  TempDir dir;
  PgSchema schema("rapport_test");
  const auto a = score_sample(dir, 120, 1), b = score_sample(dir, 80, 2);
  const DbWriteOptions w{schema.table("scores"), schema.table("history"), schema.table("runs")};
  write_db(pg_uri(), w, a.loaded.base, a.loaded.report, a.result, {}, {100, 200});
  // a reader whose snapshot began before the second write keeps seeing the old set
  PQclear(PQexec(schema.conn(), "BEGIN ISOLATION LEVEL REPEATABLE READ"));
  const std::string count_scores = "SELECT count(*) FROM " + schema.table("scores");
  EXPECT_EQ(schema.count(count_scores), static_cast<long long>(a.result.scores.size()));
  write_db(pg_uri(), w, b.loaded.base, b.loaded.report, b.result, {}, {300, 400});
  EXPECT_EQ(schema.count(count_scores), static_cast<long long>(a.result.scores.size()));
  PQclear(PQexec(schema.conn(), "COMMIT"));
  EXPECT_EQ(schema.count(count_scores), static_cast<long long>(b.result.scores.size()));
  EXPECT_EQ(schema.count("SELECT count(*) FROM " + schema.table("history")),
            static_cast<long long>(b.result.scores.size()));
  EXPECT_EQ(schema.count("SELECT count(*) FROM " + schema.table("runs")), 2);
  EXPECT_EQ(schema.count("SELECT count(*) FROM " + schema.table("runs") + " WHERE ended_at = '1970-01-01 00:06:40+00'"),
            1);
  EXPECT_EQ(schema.count("SELECT count(*) FROM " + schema.table("scores") +
                         " WHERE ask_for_referral IS NULL OR tree_size < 1"),
            0);
  // wrong shape: refused, the transaction rolled back (no third run recorded), the table untouched
  schema.exec("CREATE TABLE " + schema.table("bad") + " (customer_id TEXT)");
  const DbWriteOptions bad{schema.table("bad"), "", schema.table("runs")};
  EXPECT_THROW(write_db(pg_uri(), bad, b.loaded.base, b.loaded.report, b.result, {}, {0, 0}), OutputError);
  EXPECT_EQ(schema.count("SELECT count(*) FROM " + schema.table("runs")), 2);
  EXPECT_EQ(schema.count("SELECT count(*) FROM information_schema.columns WHERE table_schema = '" + schema.name() +
                         "' AND table_name = 'bad'"),
            1);
}

TEST(Database, PostgresScorerChangesAreUpsertedAlone) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  TempDir dir;
  PgSchema schema("rapport_test");
  LiveSample s = live_sample(dir);
  const std::string table = schema.table("scores");
  const auto upsert = [&] {
    std::size_t n = 0;
    s.scorer->with_changes([&](const CustomerBase& base, const ScoreResult& r, const std::vector<std::uint32_t>& rows) {
      upsert_scores_db(pg_uri(), table, base, r, rows);
      n = rows.size();
    });
    return n;
  };
  const std::size_t all = s.scorer->scores().scores.size();
  EXPECT_EQ(upsert(), all);
  s.scorer->add(s.batch);
  EXPECT_EQ(upsert(), 3u);
  EXPECT_EQ(schema.count("SELECT count(DISTINCT customer_id) FROM " + table), static_cast<long long>(all));
  EXPECT_EQ(schema.count("SELECT count(*) FROM " + table), static_cast<long long>(all));
  EXPECT_EQ(schema.count("SELECT count(*) FROM pg_indexes WHERE schemaname = '" + schema.name() +
                         "' AND indexname = 'scores_customer_id'"),
            1);
  const ScoreResult& now = s.scorer->scores();
  for (std::uint32_t r = 0; r < 3; ++r) {
    const auto& id = s.sample.loaded.base.customer_id[now.scores.customer[r]];
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, now.scores.loyalty_given[r]);
    ASSERT_EQ(ec, std::errc{});
    EXPECT_EQ(schema.count("SELECT count(*) FROM " + table + " WHERE customer_id = '" + id +
                           "' AND loyalty_given = " + std::string(buf, end)),
              1)
        << id;
  }
}

// rapport.dask.read_db's reads: a snapshot held open (DbSnapshot), tables read in heap page
// ranges on other connections in it (read_in_snapshot).
namespace {
/// Each record of a source (header first) as its fields joined by '|', typed values spelled.
std::vector<std::string> spelled_rows(detail::RecordSource& source) {
  std::vector<std::string> out;
  detail::CsvRecord rec;
  while (source.next(rec)) {
    std::string row;
    for (std::size_t i = 0; i < rec.fields.size(); ++i) {
      if (i) row += '|';
      if (rec.typed && rec.typed[i].kind != detail::TypedField::Kind::text)
        detail::spell_typed(rec.typed[i], row);
      else
        row += rec.fields[i];
    }
    out.push_back(row);
  }
  return out;
}
}  // namespace

TEST(Database, SnapshotIdsAreHexDigitsAndDashesOnly) {
  EXPECT_TRUE(detail::snapshot_id_ok("00000003-0000001B-1"));
  EXPECT_FALSE(detail::snapshot_id_ok(""));
  EXPECT_FALSE(detail::snapshot_id_ok("0000-1'; DROP TABLE x; --"));
  EXPECT_FALSE(detail::snapshot_id_ok("00000003 0000001B"));
}

// A table of 2000 rows over several pages, some pages emptied (their rows deleted): read in page
// ranges [0,2) [2,5) [5,end) in the snapshot, the ranges' rows one after another are one read's
// rows in one read's order, and rows written after the snapshot are in neither.
TEST(Database, PostgresPageRangesInTheSnapshotEqualOneRead) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_test");
  const std::string t = schema.table("customers");
  schema.exec_ok("CREATE TABLE " + t + " (customer_id TEXT, acquired_on DATE, n INTEGER, note TEXT)");
  schema.exec_ok("INSERT INTO " + t +
                 " SELECT 'C' || i, DATE '2020-01-01' + i, i, CASE WHEN i % 7 = 0 THEN 'a,\"b\"' END "
                 "FROM generate_series(1, 2000) i");
  schema.exec_ok("DELETE FROM " + t + " WHERE ctid >= '(2,0)'::tid AND ctid < '(4,0)'::tid");  // pages 2, 3 emptied
  schema.exec_ok("UPDATE " + t + " SET n = -n WHERE n % 100 = 0");  // new versions at the table's end
  const auto name = detail::parse_db_name(t, "table");

  DbTables tables;
  tables.customers = t;
  tables.contacts = schema.table("contacts");  // absent: left out
  detail::DbSnapshot snap(pg_uri(), tables);
  ASSERT_FALSE(snap.id().empty());
  ASSERT_EQ(snap.tables().size(), 1u);
  const auto pages = snap.tables()[0].pages;
  ASSERT_TRUE(pages.has_value());
  ASSERT_GE(*pages, 8u);
  EXPECT_EQ(snap.tables()[0].columns, (std::vector<std::string>{"customer_id", "acquired_on", "n", "note"}));

  {  // a view has no ctid order of its own: not cut (one range)
    schema.exec_ok("CREATE VIEW " + schema.table("v") + " AS SELECT * FROM " + t);
    DbTables view;
    view.customers = schema.table("v");
    detail::DbSnapshot v(pg_uri(), view);
    ASSERT_EQ(v.tables().size(), 1u);
    EXPECT_FALSE(v.tables()[0].pages.has_value());
  }

  // written after the snapshot: not seen by any read in it
  schema.exec_ok("INSERT INTO " + t + " VALUES ('late', DATE '2021-01-01', 0, NULL)");
  schema.exec_ok("DELETE FROM " + t + " WHERE n = 1");

  std::vector<std::string> whole, ranged;
  detail::read_in_snapshot(pg_uri(), snap.id(), {{name, std::nullopt}},
                           [&](std::size_t, detail::RecordSource& s) { whole = spelled_rows(s); });
  std::vector<std::size_t> counts;
  detail::read_in_snapshot(
      pg_uri(), snap.id(),
      {{name, detail::DbPageRange{0, 2}}, {name, detail::DbPageRange{2, 5}}, {name, detail::DbPageRange{5, 0}}},
      [&](std::size_t, detail::RecordSource& s) {
        auto rows = spelled_rows(s);
        counts.push_back(rows.size() - 1);
        ranged.insert(ranged.end(), rows.begin() + (ranged.empty() ? 0 : 1), rows.end());
      });
  ASSERT_GT(whole.size(), 1000u);  // the header and the rows of the pages not emptied
  EXPECT_EQ(ranged, whole);
  EXPECT_EQ(whole.front(), "customer_id|acquired_on|n|note");
  EXPECT_EQ(whole[1], "C1|2020-01-02|1|");  // deleted after the snapshot: still read
  EXPECT_EQ(std::count(whole.begin(), whole.end(), "late|2021-01-01|0|"), 0);
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_GT(counts[0], 0u);
  EXPECT_EQ(schema.count("SELECT count(*) FROM " + t + " WHERE ctid < '(2,0)'::tid AND customer_id <> 'late'") + 1,
            static_cast<long long>(counts[0]));  // C1 is gone now but was read
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), std::size_t{0}), whole.size() - 1);

  // the snapshot's connection ends with close(); a read in it then fails with the server's reason.
  // Its session is the one holding a lock on this test's own table (other tests run beside this
  // one on the same server); after close() that backend is gone from pg_stat_activity.
  const long long pid = schema.count("SELECT min(pid) FROM pg_locks WHERE relation = to_regclass('" + t +
                                     "') AND pid <> pg_backend_pid()");
  ASSERT_GT(pid, 0);
  const auto alive = [&] {
    return schema.count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid));
  };
  EXPECT_EQ(alive(), 1);
  snap.close();
  EXPECT_TRUE(snap.closed());
  for (int i = 0; i < 100 && alive() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(alive(), 0);
  EXPECT_THROW(
      detail::read_in_snapshot(pg_uri(), snap.id(), {{name, std::nullopt}}, [](std::size_t, detail::RecordSource&) {}),
      InputError);
  EXPECT_THROW(
      detail::read_in_snapshot(pg_uri(), "1'; --", {{name, std::nullopt}}, [](std::size_t, detail::RecordSource&) {}),
      InputError);
}

// Which relations are cut into page ranges: a plain table and a materialized view (its ranges one
// after another equal one read); not an inheritance parent (a ctid range on it scans each child
// with the same range: ranges would interleave parent and child rows, where one read gives the
// parent's rows, then the child's), nor a foreign table. The lock is taken for any relation kind
// (LOCK TABLE refuses a materialized view and a foreign table).
TEST(Database, PostgresSnapshotCutsOnlyRelationsWithOneCtidOrder) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_test");
  const std::string t = schema.table("parent"), mv = schema.table("mv");
  schema.exec_ok("CREATE TABLE " + t + " (customer_id TEXT, acquired_on DATE, note TEXT)");
  schema.exec_ok("INSERT INTO " + t + " SELECT 'P' || i, DATE '2020-01-01', repeat('x', 200) " +
                 "FROM generate_series(1, 200) i");  // about 7 pages
  schema.exec_ok("CREATE MATERIALIZED VIEW " + mv + " AS SELECT * FROM " + t);
  const auto snapshot_of = [&](const std::string& name) {
    DbTables one;
    one.customers = name;
    return std::make_unique<detail::DbSnapshot>(pg_uri(), one);
  };
  {  // the materialized view: cut, and its ranges are one read
    const auto snap = snapshot_of(mv);
    ASSERT_TRUE(snap->tables()[0].pages.has_value());
    ASSERT_GE(*snap->tables()[0].pages, 4u);
    const auto name = snap->tables()[0].name;
    std::vector<std::string> whole, ranged;
    detail::read_in_snapshot(pg_uri(), snap->id(), {{name, std::nullopt}},
                             [&](std::size_t, detail::RecordSource& s) { whole = spelled_rows(s); });
    detail::read_in_snapshot(pg_uri(), snap->id(),
                             {{name, detail::DbPageRange{0, 2}}, {name, detail::DbPageRange{2, 0}}},
                             [&](std::size_t, detail::RecordSource& s) {
                               auto rows = spelled_rows(s);
                               ranged.insert(ranged.end(), rows.begin() + (ranged.empty() ? 0 : 1), rows.end());
                             });
    EXPECT_EQ(whole.size(), 201u);
    EXPECT_EQ(ranged, whole);
  }
  EXPECT_TRUE(snapshot_of(t)->tables()[0].pages.has_value());  // no children yet: cut
  schema.exec_ok("CREATE TABLE " + schema.table("child") + " () INHERITS (" + t + ")");
  schema.exec_ok("INSERT INTO " + schema.table("child") + " VALUES ('C1', DATE '2020-01-01', 'c')");
  {  // a parent: one range, read as one read (the parent's 200 rows, then the child's)
    const auto snap = snapshot_of(t);
    EXPECT_FALSE(snap->tables()[0].pages.has_value());
    std::vector<std::string> whole;
    detail::read_in_snapshot(pg_uri(), snap->id(), {{snap->tables()[0].name, std::nullopt}},
                             [&](std::size_t, detail::RecordSource& s) { whole = spelled_rows(s); });
    ASSERT_EQ(whole.size(), 202u);
    EXPECT_EQ(whole.back(), "C1|2020-01-01|c");
  }
  // a foreign table (file_fdw, where the server has it and lets this role use it)
  PGresult* ext = PQexec(schema.conn(), "CREATE EXTENSION IF NOT EXISTS file_fdw");
  const bool fdw = PQresultStatus(ext) == PGRES_COMMAND_OK;
  PQclear(ext);
  if (!fdw) GTEST_SKIP() << "file_fdw is not available: the foreign-table case is not run";
  TempDir dir;
  {
    std::ofstream out(dir.file("f.csv"));
    out << "customer_id,acquired_on\nF1,2020-01-01\n";
  }
  const std::string server = schema.name() + "_files";
  schema.exec_ok("CREATE SERVER " + server + " FOREIGN DATA WRAPPER file_fdw");
  schema.exec_ok("CREATE FOREIGN TABLE " + schema.table("f") + " (customer_id TEXT, acquired_on DATE) SERVER " +
                 server + " OPTIONS (filename '" + dir.file("f.csv") + "', format 'csv', header 'true')");
  {
    const auto snap = snapshot_of(schema.table("f"));
    EXPECT_FALSE(snap->tables()[0].pages.has_value());
    std::vector<std::string> whole;
    detail::read_in_snapshot(pg_uri(), snap->id(), {{snap->tables()[0].name, std::nullopt}},
                             [&](std::size_t, detail::RecordSource& s) { whole = spelled_rows(s); });
    EXPECT_EQ(whole, (std::vector<std::string>{"customer_id|acquired_on", "F1|2020-01-01"}));
  }
  schema.exec("DROP SERVER " + server + " CASCADE");
}

TEST(Database, SnapshotNeedsTheCustomersTableAndSqliteReadsWhole) {
  TempDir dir;
  const std::string uri = "sqlite:" + dir.file("crm.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("crm.db").c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE purchases (customer_id TEXT, at TEXT, amount REAL)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  EXPECT_THROW(detail::DbSnapshot(uri, DbTables{}), InputError);
  DbTables bad;
  bad.customers = "a;b";
  EXPECT_THROW(detail::DbSnapshot(uri, bad), ConfigError);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("crm.db").c_str(), &db), SQLITE_OK);
    sqlite3_exec(
        db,
        "CREATE TABLE customers (customer_id TEXT, acquired_on TEXT); INSERT INTO customers VALUES ('A', '2020-01-01')",
        nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  detail::DbSnapshot snap(uri, DbTables{});
  EXPECT_TRUE(snap.id().empty());
  {  // the handle holds no transaction: another connection writes at once (no busy wait)
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("crm.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "INSERT INTO purchases VALUES ('A', '2020-02-01', 1)", nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  ASSERT_EQ(snap.tables().size(), 2u);  // customers, purchases
  EXPECT_EQ(snap.tables()[1].key, "purchases");
  EXPECT_FALSE(snap.tables()[0].pages.has_value());
  std::vector<std::string> rows;
  detail::read_in_snapshot(uri, "", {{snap.tables()[0].name, std::nullopt}},
                           [&](std::size_t, detail::RecordSource& s) { rows = spelled_rows(s); });
  EXPECT_EQ(rows, (std::vector<std::string>{"customer_id|acquired_on", "A|2020-01-01"}));
  EXPECT_THROW(detail::read_in_snapshot(uri, "00000003-0000001B-1", {{snap.tables()[0].name, std::nullopt}},
                                        [](std::size_t, detail::RecordSource&) {}),
               InputError);
  EXPECT_THROW(detail::read_in_snapshot(uri, "", {{snap.tables()[0].name, detail::DbPageRange{0, 1}}},
                                        [](std::size_t, detail::RecordSource&) {}),
               InternalError);
}
