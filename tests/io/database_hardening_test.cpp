// Databases, hardening round two (issue 21): each test is named after the item it pins down and
// failed before the fix. Concurrent write-back with real processes against PostgreSQL is in
// tests/python/test_db_hardening.py (it runs the CLI); here: SQLite's two concurrent writers,
// passwords, values outside the CSV ranges, name resolution, vanishing tables, import rejects,
// and the runs table's counts.
#include <rapport/io/database.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>
#include <rapport/io/writers.hpp>

#include "db/db_connection.hpp"

#include "support/pg_schema.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

using namespace rapport;
using rapport::test::pg_uri;
using rapport::test::PgSchema;
using rapport::test::TempDir;

namespace {

/// Runs `sql` on a SQLite file (created when missing); fails the test on an error.
void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  EXPECT_EQ(rc, SQLITE_OK) << (msg ? msg : "") << "\n" << sql;
  sqlite3_free(msg);
  sqlite3_close(db);
}

/// The first column of the first row of `sql` as text ("" for NULL or no row).
std::string sqlite_value(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string out = "<error>";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    out.clear();
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

// ---- item 1: SQLite's write lock serialises two concurrent writers (processes, and PostgreSQL: the
// Python tests)

TEST(DatabaseHardening, Item1_SqliteTwoConcurrentWritersEachWriteAWholeSet) {
  TempDir dir;
  GenerateOptions g;
  g.customers = 3000;
  g.seed = 11;
  generate_csv(dir.file("base"), g);
  const auto loaded = load_csv(InputFiles::from_directory(dir.file("base")));
  const auto result = score(loaded.base);
  const auto uri = "sqlite:" + dir.file("out.db");
  const DbWriteOptions w{"scores", "history", "runs"};
  // two writers, each with its own connection, write the same tables at once (separate processes:
  // tests/python/test_db_hardening.py); BEGIN IMMEDIATE makes the second wait (busy timeout 10 s)
  // for the first to commit, then it replaces the first one's rows
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int k = 0; k < 2; ++k)
    writers.emplace_back([&, k] {
      try {
        write_db(uri, w, loaded.base, loaded.report, result, {}, {k, k + 1});
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failed;
      }
    });
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed.load(), 0);
  const auto n = std::to_string(result.scores.size());
  EXPECT_EQ(sqlite_value(dir.file("out.db"), "SELECT count(*) FROM scores"), n);
  EXPECT_EQ(sqlite_value(dir.file("out.db"), "SELECT count(DISTINCT customer_id) FROM scores"), n);
  EXPECT_EQ(sqlite_value(dir.file("out.db"), "SELECT count(*) FROM history"), n);  // one set for the one as_of
  EXPECT_EQ(sqlite_value(dir.file("out.db"), "SELECT count(*) FROM runs"), "2");
}

// ---- item 2: no form of a password leaves the library

namespace {
/// Connection strings that each hold the password `Sup3r` + `S3cret` (in some form) and fail to
/// connect: the socket folder does not exist, or libpq cannot parse them.
const std::vector<std::string> secret_forms = {
    "postgresql://ann:Sup3rS3cret@/crm?host=/nonexistent-rapport-dir&connect_timeout=2",  // URI userinfo
    "host=/nonexistent-rapport-dir password = Sup3rS3cret dbname=crm",                    // spaces around =
    "host=/nonexistent-rapport-dir password='Sup3r\\' S3cret' dbname=crm",                // quoted, escaped quote
    "host=/nonexistent-rapport-dir password=Sup3r\\ S3cret dbname=crm",                   // backslash-escaped blank
    "host=/nonexistent-rapport-dir password=Sup3r S3cret dbname=crm",                     // libpq quotes "S3cret"
    "postgresql:///crm?host=/nonexistent-rapport-dir&password=Sup3rS3cret",               // ?password=
    "postgresql:///crm?host=/nonexistent-rapport-dir&pass%77ord=Sup3rS3cret",             // percent-encoded key
    "postgresql:///crm?host=/nonexistent-rapport-dir&password=Sup3r&S3cret&user=ann",     // raw & in the value
    "postgresql://ann:Sup3r%zzS3cret@/crm?host=/nonexistent-rapport-dir",                 // libpq rejects %zz
    "postgresql://ann:Sup3r@S3cret@/crm?host=/nonexistent-rapport-dir",                   // raw @ in the password
    "postgresql://ann:Sup3r/S3cret@localhost/crm?host=/nonexistent-rapport-dir",          // raw / (port "Sup3r")
    "postgresql://ann:Sup3r%53%33cret@/crm?host=/nonexistent-rapport-dir",                // percent-encoded S3
    " postgresql://ann:Sup3rS3cret@/crm",                                                 // not a URI to libpq
    "host=/nonexistent-rapport-dir sslpassword=Sup3rS3cret",                              // the key's password
    "host=/nonexistent-rapport-dir PASSWORD=Sup3rS3cret",                                 // unknown key to libpq
};

void expect_no_secret(const std::string& text, const std::string& form) {
  for (const char* piece : {"Sup3r", "S3cret", "Sup3rS3cret"})
    EXPECT_EQ(text.find(piece), std::string::npos) << "form: " << form << "\nleaked: " << text;
}
}  // namespace

TEST(DatabaseHardening, Item2_NoFormOfAPasswordReachesAMessage) {
  for (const auto& form : secret_forms) {
    expect_no_secret(redact_uri(form), form);
    try {
      load_db(form);
      ADD_FAILURE() << "connected? " << form;
    } catch (const InputError& e) {
      const std::string what = e.what();
      expect_no_secret(what, form);
      EXPECT_NE(what.find("cannot connect"), std::string::npos) << what;  // still says what went wrong
    }
    TempDir dir;
    GenerateOptions g;
    g.customers = 20;
    generate_csv(dir.path(), g);
    try {
      import_csv_to_db(InputFiles::from_directory(dir.path()), form);
      ADD_FAILURE() << "connected? " << form;
    } catch (const InputError& e) {
      expect_no_secret(e.what(), form);
    }
  }
  // the shown URI keeps everything but the password
  EXPECT_EQ(redact_uri("postgresql://ann:p%40ss@db:5432/crm?sslmode=require"),
            "postgresql://ann@db:5432/crm?sslmode=require");
  EXPECT_EQ(redact_uri("postgresql://ann:p@ss@db/crm"), "postgresql://ann@db/crm");
  EXPECT_EQ(redact_uri("host=db password = 'a b' dbname=crm"), "host=db  dbname=crm");
  EXPECT_EQ(redact_uri("postgresql://db/crm?user=ann@corp"), "postgresql://db/crm?user=ann@corp");
  // libpq's own message: the token it quotes is replaced, the rest kept
  EXPECT_EQ(detail::redact("invalid percent-encoded token: \"Sup3r%zzS3cret\"", "postgresql://a:Sup3r%zzS3cret@h/d"),
            "invalid percent-encoded token: \"***\"");
  EXPECT_EQ(detail::redact("invalid integer value \"Sup3r\" for connection option \"port\"",
                           "postgresql://a:Sup3r/S3cret@h/d"),
            "invalid integer value \"***\" for connection option \"port\"");
  // a short password is removed where it stands alone, not from inside other words
  EXPECT_EQ(detail::redact("connection failed: bad password ab", "host=h password=ab"),
            "connection failed: bad password ***");
  EXPECT_EQ(detail::redact("could not translate host name \"x@ab\" to address", "postgresql://u:ab@x@ab/d"),
            "could not translate host name \"***\" to address");
  // a connection string without a password, quoted in a message, is left as it is
  EXPECT_EQ(detail::redact("bad \"host=h dbname=d\"", "host=h dbname=d"), "bad \"host=h dbname=d\"");
}

TEST(DatabaseHardening, Item2_APasswordNeverReachesTheRunsTableOrAServerError) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  // the throwaway server trusts its socket: libpq connects without sending the password
  const std::string uri = std::string(pg_uri()) + "&password=Sup3rS3cret";
  PgSchema schema("rapport_hard");
  TempDir dir;
  GenerateOptions g;
  g.customers = 50;
  generate_csv(dir.path(), g);
  const auto loaded = load_csv(InputFiles::from_directory(dir.path()));
  const auto result = score(loaded.base);
  write_db(uri, {schema.table("s"), "", schema.table("runs")}, loaded.base, loaded.report, result, {}, {1, 2});
  EXPECT_EQ(schema.value("SELECT count(*) FROM " + schema.table("runs") +
                         " WHERE summary LIKE '%S3cret%' OR parameters LIKE '%S3cret%'"),
            "0");
  EXPECT_EQ(schema.value("SELECT count(*) FROM " + schema.table("s")), std::to_string(result.scores.size()));
  // a server error after connecting (a table of the wrong shape), and a missing table
  schema.exec_ok("CREATE TABLE " + schema.table("bad") + " (x TEXT)");
  try {
    write_db(uri, {schema.table("bad"), "", ""}, loaded.base, loaded.report, result, {}, {1, 2});
    ADD_FAILURE() << "wrote into a table of the wrong shape";
  } catch (const OutputError& e) {
    expect_no_secret(e.what(), uri);
  }
  DbOptions o;
  o.tables.customers = schema.table("none");
  try {
    load_db(uri, o);
    ADD_FAILURE() << "read a missing table";
  } catch (const InputError& e) {
    expect_no_secret(e.what(), uri);
  }
}

// ---- item 7: databases read as CSV reads

TEST(DatabaseHardening, Item7_SqliteIntegerInstantsOutsideYears0000To9999AreRejectedNotWrapped) {
  TempDir dir;
  const auto path = dir.file("x.db");
  // 253402300800 s = 10000-01-01T00:00:00Z (one past the range); -62167219200 s = 0000-01-01T00:00:00Z
  sqlite_exec(path,
              "CREATE TABLE customers (customer_id TEXT, acquired_on DATE, segment TEXT);"
              "INSERT INTO customers VALUES ('A', -62167219200, NULL), ('B', -62167219201, NULL),"
              "('C', 253402300799, NULL), ('D', 253402300800, NULL), ('E', -9223372036854775808, NULL),"
              "('F', 9223372036854775807, NULL);"
              "CREATE TABLE purchases (customer_id TEXT, at TIMESTAMP, amount REAL);"
              "INSERT INTO purchases VALUES ('A', 253402300799, 1), ('A', 253402300800, 2), ('A', -62167219201, 3),"
              "('A', -9223372036854775808, 4);");
  const auto r = load_db("sqlite:" + path);
  // A (0000-01-01) and C (9999-12-31) are in range; B, D, E, F are not
  ASSERT_EQ(r.base.customer_count(), 2u);
  EXPECT_EQ(r.base.customer_id[0], "A");
  EXPECT_EQ(format_date(r.base.acquired_on[0]), "0000-01-01");
  EXPECT_EQ(format_date(r.base.acquired_on[1]), "9999-12-31");
  EXPECT_EQ(r.report.customers.rejected, 4u);
  EXPECT_EQ(r.report.purchases.rejected, 3u);
  ASSERT_EQ(r.base.purchase_count(), 1u);
  EXPECT_EQ(format_timestamp(r.base.purchase_at[0]), "9999-12-31T23:59:59Z");
  ASSERT_GE(r.report.rejects.size(), 1u);
  EXPECT_EQ(r.report.rejects[0].column_name, "acquired_on");
  EXPECT_EQ(r.report.rejects[0].raw, "B,-62167219201,");  // the integer itself, never a wrapped date
}

TEST(DatabaseHardening, Item7_PostgresBcTimestampIsRejected) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_hard");
  const auto t = [&](const char* n) { return schema.table(n); };
  schema.exec_ok("CREATE TABLE " + t("customers") + " (customer_id TEXT, acquired_on DATE, segment TEXT)");
  schema.exec_ok("INSERT INTO " + t("customers") + " VALUES ('A', '2024-01-01', NULL), ('B', '0044-03-15 BC', NULL)");
  schema.exec_ok("CREATE TABLE " + t("purchases") + " (customer_id TEXT, at TIMESTAMPTZ, amount DOUBLE PRECISION)");
  schema.exec_ok("INSERT INTO " + t("purchases") +
                 " VALUES ('A', '0044-03-15 12:00:00+00 BC', 1), "
                 "('A', '0044-03-15 12:00:00.5+00 BC', 2), ('A', '0044-03-15 12:00:00+00', 3), ('A', 'infinity', 4)");
  DbOptions o;
  o.tables = DbTables::parse("customers=" + t("customers") + ",contacts=" + t("contacts") +
                             ",purchases=" + t("purchases") + ",referrals=" + t("referrals"));  // the last two absent
  const auto r = load_db(pg_uri(), o);
  ASSERT_EQ(r.base.customer_count(), 1u);
  EXPECT_EQ(r.report.customers.rejected, 1u);
  ASSERT_EQ(r.base.purchase_count(), 1u);  // only the AD instant
  EXPECT_EQ(format_timestamp(r.base.purchase_at[0]), "0044-03-15T12:00:00Z");
  EXPECT_EQ(r.report.purchases.rejected, 3u);
  ASSERT_EQ(r.report.rejects.size(), 4u);
  EXPECT_EQ(r.report.rejects[1].raw, "A,0044-03-15 12:00:00+00 BC,1");
  EXPECT_EQ(r.report.rejects[1].column_name, "at");
}

TEST(DatabaseHardening, Item7_UnqualifiedNameIsFoundThroughTheSearchPath) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  PgSchema schema("rapport_hard");
  // the table lives in the second schema of the search path (the first, public, does not hold it)
  schema.exec_ok("CREATE TABLE " + schema.table("hard_clients") + " (customer_id TEXT, acquired_on DATE)");
  schema.exec_ok("INSERT INTO " + schema.table("hard_clients") + " VALUES ('A', '2024-01-01'), ('B', '2024-02-01')");
  const std::string uri = std::string(pg_uri()) + "&options=-csearch_path%3Dpublic,";
  DbOptions o;
  o.tables.customers = "hard_clients";
  const auto r = load_db(uri + schema.name(), o);
  EXPECT_EQ(r.base.customer_count(), 2u);
  // write-back through the same path: the existing table of that schema is the one replaced
  schema.exec_ok("CREATE TABLE " + schema.table("hard_runs") +
                 " (as_of DATE, started_at TIMESTAMPTZ, ended_at "
                 "TIMESTAMPTZ, rows_read INTEGER, rows_rejected INTEGER, parameters TEXT, summary TEXT)");
  const auto result = score(r.base);
  write_db(uri + schema.name(), {"", "", "hard_runs"}, r.base, r.report, result, {}, {0, 1});
  EXPECT_EQ(schema.value("SELECT count(*) FROM " + schema.table("hard_runs")), "1");
  EXPECT_EQ(schema.value("SELECT count(*) FROM pg_tables WHERE tablename = 'hard_runs'"), "1");  // no second table
}

TEST(DatabaseHardening, Item7_AnOutTableThatWouldVanishIsRefused) {
  TempDir dir;
  GenerateOptions g;
  g.customers = 30;
  generate_csv(dir.file("base"), g);
  const auto loaded = load_csv(InputFiles::from_directory(dir.file("base")));
  const auto result = score(loaded.base);
  const auto path = dir.file("out.db");
  for (const char* table : {"temp.scores", "TEMP.scores", "Temp.scores"}) {
    try {
      write_db("sqlite:" + path, {table, "", ""}, loaded.base, loaded.report, result, {}, {0, 1});
      ADD_FAILURE() << table << " accepted";
    } catch (const OutputError& e) {
      EXPECT_NE(std::string(e.what()).find("temp schema vanishes"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(write_db("sqlite:" + path, {"scores", "temp.h", ""}, loaded.base, loaded.report, result, {}, {0, 1}),
               OutputError);
  EXPECT_FALSE(std::filesystem::exists(path) && sqlite_value(path, "SELECT count(*) FROM sqlite_master") != "0");
  EXPECT_THROW(write_db("sqlite::memory:", {"scores", "", ""}, loaded.base, loaded.report, result, {}, {0, 1}),
               OutputError);
  EXPECT_THROW(import_csv_to_db(InputFiles::from_directory(dir.file("base")), "sqlite:" + path,
                                DbTables::parse("customers=temp.c")),
               OutputError);
  if (pg_uri()) {
    EXPECT_THROW(write_db(pg_uri(), {"pg_temp.scores", "", ""}, loaded.base, loaded.report, result, {}, {0, 1}),
                 OutputError);
  }
}

TEST(DatabaseHardening, Item7_ImportIntoPostgresReportsRowsItCannotStoreAsRejects) {
  if (!pg_uri()) GTEST_SKIP() << "RAPPORT_TEST_PG_URI is not set";
  TempDir dir;
  // C2 was acquired in year 0000 (valid for rapport, not for PostgreSQL): it and its purchase are
  // not stored; a referral at year 0000 is not stored; everything else is
  write_text(dir.file("customers.csv"),
             "customer_id,acquired_on,segment\nC1,2024-01-01,a\nC2,0000-06-01,b\nC3,2024-03-01,\n");
  write_text(dir.file("purchases.csv"),
             "customer_id,at,amount\nC1,2024-02-01,10\nC2,2024-02-01,5\nC3,0000-01-01T10:00:00Z,1\n");
  write_text(dir.file("referrals.csv"), "referrer_id,referred_id,at\nC1,C3,2024-02-20\nC1,C2,0000-07-01\n");
  PgSchema schema("rapport_hard");
  const auto tables = DbTables::parse("customers=" + schema.table("c") + ",contacts=" + schema.table("k") +
                                      ",purchases=" + schema.table("p") + ",referrals=" + schema.table("r"));
  const auto imported = import_csv_to_db(InputFiles::from_directory(dir.path()), pg_uri(), tables);
  EXPECT_EQ(imported.report.customers.rejected, 1u);
  EXPECT_EQ(imported.report.purchases.rejected, 2u);  // C2's (customer not stored) and C3's year 0000
  EXPECT_EQ(imported.report.referrals.rejected, 1u);
  ASSERT_EQ(imported.report.rejects.size(), 4u);
  const auto& c2 = imported.report.rejects[0];
  EXPECT_EQ(c2.file, dir.file("customers.csv"));
  EXPECT_EQ(c2.column_name, "acquired_on");
  EXPECT_EQ(c2.reason, "cannot be stored: PostgreSQL has no year 0000");
  EXPECT_EQ(c2.raw, "C2,0000-06-01,b");
  EXPECT_EQ(imported.report.rejects[1].reason, "customer C2 was not stored");
  EXPECT_EQ(schema.value("SELECT string_agg(customer_id, ',' ORDER BY customer_id) FROM " + schema.table("c")),
            "C1,C3");
  EXPECT_EQ(schema.value("SELECT count(*) FROM " + schema.table("p")), "1");
  EXPECT_EQ(schema.value("SELECT count(*) FROM " + schema.table("r")), "1");
  // strict: the first such row stops the import and nothing is stored
  PgSchema strict_schema("rapport_hard");
  LoadOptions strict;
  strict.strict = true;
  EXPECT_THROW(import_csv_to_db(
                   InputFiles::from_directory(dir.path()), pg_uri(),
                   DbTables::parse("customers=" + strict_schema.table("c") + ",contacts=" + strict_schema.table("k") +
                                   ",purchases=" + strict_schema.table("p") + ",referrals=" + strict_schema.table("r")),
                   strict),
               InputError);
  EXPECT_EQ(strict_schema.value("SELECT count(*) FROM pg_tables WHERE schemaname = '" + strict_schema.name() + "'"),
            "0");
}

// ---- item 13: the runs table's counts, an empty TIMESTAMP stored as NULL

TEST(DatabaseHardening, Item13_RunsTableRowsReadIsTheDataRowCount) {
  TempDir dir;
  // 3 customers (one a duplicate: rejected), 2 contacts, 1 purchase (negative: rejected), no
  // referrals file: rows_read = 3 + 2 + 1 = 6, rows_rejected = 2 (header lines are not rows)
  write_text(dir.file("customers.csv"), "customer_id,acquired_on\nA,2024-01-01\nB,2024-01-02\nA,2024-01-03\n");
  write_text(dir.file("contacts.csv"),
             "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
             "A,2024-02-01,visit,welcome,business,technical,1,false,\n"
             "B,2024-02-02,phone,service,customer,hospitality,-1,true,\n");
  write_text(dir.file("purchases.csv"), "customer_id,at,amount\nA,2024-02-03,-1\n");
  const auto loaded = load_csv(InputFiles::from_directory(dir.path()));
  const auto result = score(loaded.base);
  const auto path = dir.file("out.db");
  write_db("sqlite:" + path, {"s", "", "runs"}, loaded.base, loaded.report, result, {}, {0, 1});
  EXPECT_EQ(sqlite_value(path, "SELECT rows_read FROM runs"), "6");
  EXPECT_EQ(sqlite_value(path, "SELECT rows_rejected FROM runs"), "2");
  // the same base imported and scored from the database: its runs row counts the stored rows
  const auto db = "sqlite:" + dir.file("in.db");
  import_csv_to_db(InputFiles::from_directory(dir.path()), db);
  const auto from_db = load_db(db);
  write_db(db, {"s", "", "runs"}, from_db.base, from_db.report, score(from_db.base), {}, {0, 1});
  EXPECT_EQ(sqlite_value(dir.file("in.db"), "SELECT rows_read || ',' || rows_rejected FROM runs"), "4,0");
}

TEST(DatabaseHardening, Item13_AnEmptyTimestampIsImportedIntoSqliteAsNull) {
  TempDir dir;
  // two complaints, one resolved, one open (resolved_at empty); a contact that is no complaint
  write_text(dir.file("customers.csv"), "customer_id,acquired_on\nA,2024-01-01\n");
  write_text(dir.file("contacts.csv"),
             "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
             "A,2024-02-01,visit,service,customer,technical,-1,true,2024-02-03T08:00:00Z\n"
             "A,2024-02-05,visit,service,customer,technical,-1,true,\n"
             "A,2024-02-06,visit,welcome,business,technical,1,false,\n");
  const auto path = dir.file("in.db");
  import_csv_to_db(InputFiles::from_directory(dir.path()), "sqlite:" + path);
  EXPECT_EQ(sqlite_value(path, "SELECT count(*) FROM contacts WHERE resolved_at IS NULL"), "2");
  EXPECT_EQ(sqlite_value(path, "SELECT count(*) FROM contacts WHERE resolved_at = ''"), "0");
  EXPECT_EQ(sqlite_value(path, "SELECT resolved_at FROM contacts WHERE resolved_at IS NOT NULL"),
            "2024-02-03 08:00:00");
  // and it reads back as the open complaint it was
  const auto r = load_db("sqlite:" + path);
  EXPECT_EQ(r.report.total_rejected(), 0u);
  ASSERT_EQ(r.base.contact_count(), 3u);
  EXPECT_EQ(r.base.resolved_at_column()[1], no_time);
}
