// A fresh PostgreSQL schema on the test server for one test (RAPPORT_TEST_PG_URI; the database
// tests skip without it), dropped with its tables at the end: the one fixture of the database tests.
#pragma once

#include <rapport/io/database.hpp>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

namespace rapport::test {

/// The test server's URI, or null when no server is given.
inline const char* pg_uri() { return std::getenv("RAPPORT_TEST_PG_URI"); }

/// A schema named `<prefix>_<random>` created on construction and dropped (CASCADE) on destruction.
class PgSchema {
public:
  explicit PgSchema(const std::string& prefix) : conn_(PQconnectdb(pg_uri())) {
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
    std::random_device rd;
    name_ = prefix + "_" + std::to_string(rd() % 1000000000u);
    exec_ok("SET client_min_messages = warning");
    exec_ok("CREATE SCHEMA " + name_);
  }
  ~PgSchema() {
    exec("DROP SCHEMA " + name_ + " CASCADE");
    PQfinish(conn_);
  }
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;

  const std::string& name() const { return name_; }
  /// `schema.t`.
  std::string table(const std::string& t) const { return name_ + "." + t; }
  /// The four input tables in this schema.
  DbTables tables() const {
    return DbTables::parse("customers=" + table("customers") + ",contacts=" + table("contacts") +
                           ",purchases=" + table("purchases") + ",referrals=" + table("referrals"));
  }
  /// Runs a statement whose outcome the test checks otherwise (or not at all).
  void exec(const std::string& sql) { PQclear(PQexec(conn_, sql.c_str())); }
  /// Runs a statement that must succeed (a failed expectation naming it otherwise).
  void exec_ok(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
  }
  /// The first value of a query's first row, as text ("<error>" when it fails or is empty).
  std::string value(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "<error>";
    PQclear(r);
    return out;
  }
  /// The first value of a query's first row as a number (-1 when it fails or is empty).
  long long count(const std::string& sql) {
    const std::string v = value(sql);
    return v == "<error>" ? -1 : std::atoll(v.c_str());
  }
  /// Every row of a table in storage order, as PostgreSQL prints the row (typed values), each ended by \x1e.
  std::string dump(const std::string& table) {
    PGresult* r = PQexec(conn_, ("SELECT t::text FROM " + table + " t ORDER BY ctid").c_str());
    std::string out = PQresultStatus(r) == PGRES_TUPLES_OK ? "" : PQresultErrorMessage(r);
    for (int i = 0; i < PQntuples(r); ++i) out += std::string(PQgetvalue(r, i, 0)) + "\x1e";
    PQclear(r);
    return out;
  }
  PGconn* conn() { return conn_; }

private:
  PGconn* conn_;
  std::string name_;
};

}  // namespace rapport::test
