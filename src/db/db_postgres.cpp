// The PostgreSQL backend (libpq): one read-only REPEATABLE READ transaction as the snapshot,
// each table streamed with COPY (SELECT * ...) TO STDOUT in text format, rows written with
// COPY ... FROM STDIN. Sessions run in UTC with ISO dates, so instants print as UTC.
#include "base/csv.hpp"
#include "db/db_connection.hpp"
#include "io/utf8.hpp"

#include <rapport/error.hpp>
#include <rapport/io/database.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace rapport::detail {

namespace {

/// Owns a PGresult.
struct Result {
  PGresult* r;
  explicit Result(PGresult* res) : r(res) {}
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result() { PQclear(r); }
};

/// Every libpq or server message leaves the library through this: redact() with the connection
/// string and the passwords libpq itself parsed out of it.
struct Redactor {
  std::string conninfo;
  std::vector<std::string> secrets;
  std::string operator()(const char* message) const {
    std::string m = message ? message : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return redact(m, conninfo, secrets);
  }
};

/// How a column's text output is turned into its CSV spelling.
enum class PgKind : std::uint8_t { as_is, boolean, timestamp, floating };

PgKind kind_of(std::string_view data_type) {
  if (data_type == "boolean") return PgKind::boolean;
  if (data_type.rfind("timestamp", 0) == 0) return PgKind::timestamp;
  if (data_type == "real" || data_type == "double precision") return PgKind::floating;
  return PgKind::as_is;
}

/// Appends one COPY text field (backslash escapes undone) to `out`; returns false for \N (NULL).
bool unescape_copy_field(std::string_view f, std::string& out) {
  if (f == "\\N") return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '\\' || i + 1 == f.size()) {
      out.push_back(f[i]);
      continue;
    }
    const char c = f[++i];
    switch (c) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      default:
        out.push_back(c);  // \\ and any other escaped character (COPY writes no octal)
    }
  }
  return true;
}

/// Rewrites a PostgreSQL value (already in `out` from `from`) into its CSV spelling.
void spell_pg(PgKind kind, std::string& out, std::size_t from) {
  std::string_view v(out.data() + from, out.size() - from);
  if (kind == PgKind::boolean) {
    const bool t = v == "t";
    out.resize(from);
    out += t ? "true" : "false";
  } else if (kind == PgKind::timestamp && v.size() >= 19 && v[10] == ' ' && v.substr(v.size() - 3) != " BC") {
    // `YYYY-MM-DD HH:MM:SS[.ffffff][+00]` in UTC: whole seconds (truncated), the CSV's form; a BC
    // instant (`... BC`) or a year past 9999 stays as it is, which the row rules reject
    if (v.size() == 19 || v[19] == '.' || v[19] == '+') {
      out.resize(from + 19);
      out[from + 10] = 'T';
      out.push_back('Z');
    }
  } else if (kind == PgKind::floating && v.find_first_of("eE") != std::string_view::npos) {
    double d = 0;
    if (std::from_chars(v.data(), v.data() + v.size(), d).ec == std::errc()) {
      out.resize(from);
      spell_double(d, out);
    }
  }
}

/// Streams one table with COPY (SELECT * FROM t) TO STDOUT; the copy starts after the header.
class PgSource final : public DbTableSource {
public:
  PgSource(PGconn* conn, const Redactor& redact, const DbName& name, std::vector<std::string> header,
           std::vector<PgKind> kinds)
      : DbTableSource(name.display(), std::move(header)),
        conn_(conn),
        redact_(redact),
        quoted_(name.quoted()),
        kinds_(std::move(kinds)) {}
  PgSource(const PgSource&) = delete;
  PgSource& operator=(const PgSource&) = delete;
  ~PgSource() override {
    stop_reading();
    if (copy_row_) PQfreemem(copy_row_);
  }

private:
  [[noreturn]] void fail(const char* why) const { throw InputError(name() + ": read failed: " + redact_(why)); }

  bool fetch() override {
    if (!started_) start_copy();
    if (done_) return false;
    if (copy_row_) PQfreemem(copy_row_);
    copy_row_ = nullptr;
    const int n = PQgetCopyData(conn_, &copy_row_, 0);
    if (n == -1) {
      Result r(PQgetResult(conn_));
      if (PQresultStatus(r.r) != PGRES_COMMAND_OK) fail(PQresultErrorMessage(r.r));
      done_ = true;
      return false;
    }
    if (n < 0) fail(PQerrorMessage(conn_));
    spell_row(std::string_view(copy_row_, static_cast<std::size_t>(n)));
    return true;
  }

  void start_copy() {
    started_ = true;
    Result r(PQexec(conn_, ("COPY (SELECT * FROM " + quoted_ + ") TO STDOUT").c_str()));
    if (PQresultStatus(r.r) != PGRES_COPY_OUT) fail(PQresultErrorMessage(r.r));
  }

  // Splits a COPY text row at tabs (a tab inside a value is escaped) and spells each value.
  void spell_row(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    for (std::size_t k = 0;; ++k) {
      const auto tab = line.find('\t');
      begin_field();
      const std::size_t from = row_.size();
      if (unescape_copy_field(line.substr(0, tab), row_) && k < kinds_.size()) spell_pg(kinds_[k], row_, from);
      end_field();
      if (tab == std::string_view::npos) break;
      line.remove_prefix(tab + 1);
    }
  }

  PGconn* conn_;
  const Redactor& redact_;
  std::string quoted_;
  std::vector<PgKind> kinds_;
  char* copy_row_ = nullptr;
  bool started_ = false, done_ = false;
};

/// Appends a value to a COPY text row, escaped; an empty non-text value is NULL.
void append_copy_field(std::string& out, std::string_view v, DbType type) {
  if (v.empty() && type != DbType::text) {
    out += "\\N";
    return;
  }
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

/// COPY ... FROM STDIN, rows buffered and sent in chunks.
class PgInserter final : public DbInserter {
public:
  PgInserter(PGconn* conn, const Redactor& redact, const DbName& name, const std::vector<DbColumn>& columns)
      : conn_(conn), redact_(redact), name_(name.display()), columns_(columns) {
    std::string sql = "COPY " + name.quoted() + " (";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ",\"" : "\"") + columns[i].name + "\"";
    Result r(PQexec(conn_, (sql + ") FROM STDIN").c_str()));
    if (PQresultStatus(r.r) != PGRES_COPY_IN) fail(PQresultErrorMessage(r.r));
  }
  void add(const std::vector<std::string_view>& fields) override {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i) buf_.push_back('\t');
      append_copy_field(buf_, fields[i], columns_[i].type);
    }
    buf_.push_back('\n');
    if (buf_.size() >= (std::size_t{1} << 20)) flush();
  }
  void finish() override {
    flush();
    if (PQputCopyEnd(conn_, nullptr) != 1) fail(PQerrorMessage(conn_));
    Result r(PQgetResult(conn_));
    if (PQresultStatus(r.r) != PGRES_COMMAND_OK) fail(PQresultErrorMessage(r.r));
  }

private:
  [[noreturn]] void fail(const char* why) const { throw OutputError(name_ + ": write failed: " + redact_(why)); }
  void flush() {
    if (!buf_.empty() && PQputCopyData(conn_, buf_.data(), static_cast<int>(buf_.size())) != 1)
      fail(PQerrorMessage(conn_));
    buf_.clear();
  }

  PGconn* conn_;
  const Redactor& redact_;
  std::string name_;
  std::vector<DbColumn> columns_;
  std::string buf_;
};

const char* pg_type(DbType t) {
  switch (t) {
    case DbType::integer:
      return "INTEGER";
    case DbType::real:
      return "DOUBLE PRECISION";
    case DbType::boolean:
      return "BOOLEAN";
    case DbType::date:
      return "DATE";
    case DbType::timestamp:
      return "TIMESTAMPTZ";
    case DbType::text:
      break;
  }
  return "TEXT";
}

class PgConnection final : public DbConnection {
public:
  explicit PgConnection(const std::string& conninfo) : redact_{conninfo, {}}, shown_(redact_uri(conninfo)) {
    // the passwords as libpq reads them, redacted wherever they might appear
    char* parse_error = nullptr;
    if (PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error)) {
      for (auto* o = options; o->keyword; ++o)
        if (o->val && *o->val && std::string_view(o->keyword).find("password") != std::string_view::npos)
          redact_.secrets.emplace_back(o->val);
      PQconninfoFree(options);
    }
    if (parse_error) PQfreemem(parse_error);  // PQconnectdb reports the same error below
    conn_ = PQconnectdb(conninfo.c_str());
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = conn_ ? redact_(PQerrorMessage(conn_)) : "out of memory";
      PQfinish(conn_);
      conn_ = nullptr;
      throw InputError(shown_ + ": cannot connect: " + why);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // notices never reach stderr
    run("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1", ErrorKind::input);
    const char* encoding = PQparameterStatus(conn_, "client_encoding");
    utf8_ = encoding && std::string_view(encoding) == "UTF8";
  }
  ~PgConnection() override { PQfinish(conn_); }

  void begin_read() override { run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ErrorKind::input); }
  void begin_write() override { run("BEGIN", ErrorKind::output); }
  void commit() override { run("COMMIT", ErrorKind::output); }
  void rollback() noexcept override { PQclear(PQexec(conn_, "ROLLBACK")); }

  // A transaction-level advisory lock per table, keyed on the table's identity (its schema as the
  // search path resolves it, or where CREATE TABLE would put it, and its name), taken in key order
  // so that two writers of overlapping tables never deadlock. It is released at COMMIT/ROLLBACK.
  void lock_for_write(const std::vector<DbName>& names) override {
    std::vector<std::int32_t> keys;
    for (const auto& name : names) {
      const char* sql =
          "SELECT COALESCE((SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE c.oid = to_regclass($1)), NULLIF($2, ''), current_schema(), '')";
      const std::string quoted = name.quoted();
      const char* params[2] = {quoted.c_str(), name.schema.c_str()};
      Result r(PQexecParams(conn_, sql, 2, nullptr, params, nullptr, nullptr, 0));
      if (PQresultStatus(r.r) != PGRES_TUPLES_OK || PQntuples(r.r) != 1)
        throw OutputError(name.display() + ": " + redact_(PQresultErrorMessage(r.r)));
      const std::string identity = std::string(PQgetvalue(r.r, 0, 0)) + '.' + name.table;
      std::uint32_t h = 2166136261u;  // FNV-1a: a collision only makes two writers wait for each other
      for (unsigned char c : identity) h = (h ^ c) * 16777619u;
      keys.push_back(static_cast<std::int32_t>(h));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto key : keys)  // class 0x72617074 ("rapt"): rapport's own lock space
      run("SELECT pg_advisory_xact_lock(1918988404, " + std::to_string(key) + ")", ErrorKind::output);
  }
  std::string cannot_write(const DbName& name) const override {
    if (name.schema.rfind("pg_temp", 0) == 0)
      return "a table in PostgreSQL's pg_temp schema vanishes when rapport disconnects";
    return {};
  }
  std::string cannot_store(DbType type, std::string_view v) const override {
    if ((type == DbType::date || type == DbType::timestamp) && v.substr(0, 4) == "0000")
      return "PostgreSQL has no year 0000";
    if (v.find('\0') != std::string_view::npos) return "PostgreSQL cannot store a NUL byte";
    if (utf8_ && !valid_utf8(v)) return "not valid UTF-8 (the connection's client_encoding is UTF8)";
    return {};
  }

  std::vector<std::string> columns(const DbName& name) override {
    std::vector<std::string> out;
    for (auto& c : typed_columns(name)) out.push_back(std::move(c.first));
    return out;
  }
  std::unique_ptr<RecordSource> read(const DbName& name) override {
    std::vector<std::string> header;
    std::vector<PgKind> kinds;
    for (auto& c : typed_columns(name)) {
      header.push_back(std::move(c.first));
      kinds.push_back(kind_of(c.second));
    }
    return std::make_unique<PgSource>(conn_, redact_, name, std::move(header), std::move(kinds));
  }
  void create(const DbName& name, const std::vector<DbColumn>& columns) override {
    std::string sql = "CREATE TABLE " + name.quoted() + " (";
    for (std::size_t i = 0; i < columns.size(); ++i)
      sql += (i ? ", \"" : "\"") + columns[i].name + "\" " + pg_type(columns[i].type);
    run(sql + ")", ErrorKind::output);
  }
  void index(const DbName& name, const std::string& column) override {
    // PostgreSQL puts the index in the table's schema; no "already exists" notice on stderr
    run("SET LOCAL client_min_messages = warning", ErrorKind::output);
    run("CREATE INDEX IF NOT EXISTS \"" + name.table + "_" + column + "\" ON " + name.quoted() + " (\"" + column +
            "\")",
        ErrorKind::output);
  }
  void remove(const DbName& name, const std::string& column, const std::string& value) override {
    const std::string sql = "DELETE FROM " + name.quoted() + (column.empty() ? "" : " WHERE \"" + column + "\" = $1");
    const char* params[1] = {value.c_str()};
    Result r(PQexecParams(conn_, sql.c_str(), column.empty() ? 0 : 1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(r.r) != PGRES_COMMAND_OK)
      throw OutputError(name.display() + ": delete failed: " + redact_(PQresultErrorMessage(r.r)));
  }
  bool has_rows(const DbName& name) override {
    Result r(PQexec(conn_, ("SELECT 1 FROM " + name.quoted() + " LIMIT 1").c_str()));
    if (PQresultStatus(r.r) != PGRES_TUPLES_OK)
      throw OutputError(name.display() + ": " + redact_(PQresultErrorMessage(r.r)));
    return PQntuples(r.r) > 0;
  }
  std::unique_ptr<DbInserter> insert(const DbName& name, const std::vector<DbColumn>& columns) override {
    return std::make_unique<PgInserter>(conn_, redact_, name, columns);
  }

private:
  // (name, type) of each column in table order (a domain's base type), the table found as a query
  // finds it: an unqualified name through the session's search_path, as psql does.
  std::vector<std::pair<std::string, std::string>> typed_columns(const DbName& name) {
    const char* sql =
        "SELECT a.attname, format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, NULL) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
        "AND c.relkind IN ('r', 'v', 'm', 'f', 'p') ORDER BY a.attnum";
    const std::string quoted = name.quoted();
    const char* params[1] = {quoted.c_str()};
    Result r(PQexecParams(conn_, sql, 1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(r.r) != PGRES_TUPLES_OK)
      throw InputError(name.display() + ": " + redact_(PQresultErrorMessage(r.r)));
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < PQntuples(r.r); ++i) out.emplace_back(PQgetvalue(r.r, i, 0), PQgetvalue(r.r, i, 1));
    return out;
  }
  void run(const std::string& sql, ErrorKind kind) {
    Result r(PQexec(conn_, sql.c_str()));
    const auto st = PQresultStatus(r.r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    const std::string why = shown_ + ": " + redact_(PQresultErrorMessage(r.r));
    if (kind == ErrorKind::input) throw InputError(why);
    throw OutputError(why);
  }

  Redactor redact_;
  std::string shown_;
  PGconn* conn_ = nullptr;
  bool utf8_ = false;
};

}  // namespace

std::unique_ptr<DbConnection> open_postgres(const std::string& conninfo) {
  return std::make_unique<PgConnection>(conninfo);
}

}  // namespace rapport::detail
