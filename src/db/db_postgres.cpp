// The PostgreSQL backend (libpq): one read-only REPEATABLE READ transaction as the snapshot,
// exported to one connection per table, each table streamed at once with COPY (SELECT cols ...)
// TO STDOUT (FORMAT binary) and its native values decoded into typed fields; rows written with
// COPY ... FROM STDIN. Sessions run in UTC with ISO dates, so instants print as UTC.
#include "base/csv.hpp"
#include "db/db_connection.hpp"
#include "io/utf8.hpp"

#include <rapport/error.hpp>
#include <rapport/io/database.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

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

/// How a column is read from the binary COPY: a native value decoded into a typed field, or
/// (`text`) bytes that are the type's text output (text and varchar as they are; any other type
/// selected through concat(), which spells a value with its type's output function).
enum class PgKind : std::uint8_t { text, boolean, int2, int4, int8, float4, float8, timestamp, timestamptz, date };

PgKind kind_of(unsigned oid) {
  switch (oid) {
    case 16:
      return PgKind::boolean;
    case 21:
      return PgKind::int2;
    case 23:
      return PgKind::int4;
    case 20:
      return PgKind::int8;
    case 700:
      return PgKind::float4;
    case 701:
      return PgKind::float8;
    case 1114:
      return PgKind::timestamp;
    case 1184:
      return PgKind::timestamptz;
    case 1082:
      return PgKind::date;
    default:
      return PgKind::text;
  }
}

/// Whether a column of this type is sent as its text output without concat(): text, varchar.
bool sent_as_text(unsigned oid) { return oid == 25 || oid == 1043; }

/// `"name"` with any `"` doubled.
std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? "\"\"" : std::string(1, c);
  return out + "\"";
}

/// A big-endian integer of N bytes at p.
template <class T>
T big_endian(const char* p) noexcept {
  std::make_unsigned_t<T> v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<decltype(v)>(v << 8 | static_cast<unsigned char>(p[i]));
  return static_cast<T>(v);
}

constexpr std::int64_t pg_epoch_days = 10957;  // 2000-01-01, PostgreSQL's epoch, in days since 1970-01-01

/// Floor division.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/// A year as PostgreSQL prints it (at least four digits) and its era: `YYYY` AD, or `YYYY` with
/// " BC" for the years up to 0 (1 BC is year 0).
void append_pg_date(std::string& out, day_t day, bool& bc) {
  const auto c = civil_from_days(day);
  bc = c.year <= 0;
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", bc ? 1 - c.year : c.year, c.month, c.day);
  out.append(buf, static_cast<std::size_t>(n));
}

/// PostgreSQL's ISO text of a timestamp (UTC session) outside years 1-9999 or infinite, as the text
/// COPY gave it: `YYYY-MM-DD HH:MM:SS[.ffffff][+00][ BC]`, `infinity`, `-infinity`.
void append_pg_timestamp(std::string& out, std::int64_t micros, bool with_zone) {
  if (micros == std::numeric_limits<std::int64_t>::max()) return void(out += "infinity");
  if (micros == std::numeric_limits<std::int64_t>::min()) return void(out += "-infinity");
  constexpr std::int64_t per_day = std::int64_t{86400} * 1000000;
  const std::int64_t days = floor_div(micros, per_day), in_day = micros - days * per_day;
  bool bc = false;
  append_pg_date(out, static_cast<day_t>(days + pg_epoch_days), bc);
  const std::int64_t s = in_day / 1000000, us = in_day % 1000000;
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, " %02d:%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                        static_cast<int>(s % 60));
  out.append(buf, static_cast<std::size_t>(n));
  if (us) {
    n = std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(us));
    while (buf[n - 1] == '0') --n;
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (with_zone) out += "+00";
  if (bc) out += " BC";
}

/// Streams one table with COPY (SELECT cols FROM t) TO STDOUT (FORMAT binary), on a connection of
/// its own (sharing the loader's snapshot) or on the loader's; the copy starts on the reader thread.
class PgSource final : public DbTableSource {
public:
  /// Reads `name`'s columns (name, base type OID) on `conn`, the rows `where` picks (a WHERE
  /// clause or empty: all); `owned`: the connection is the source's (closed with it).
  PgSource(PGconn* conn, bool owned, const Redactor& redact, const DbName& name,
           const std::vector<std::pair<std::string, unsigned>>& columns, const std::string& where)
      : DbTableSource(name.display(), names_of(columns)), conn_(conn), owned_(owned), redact_(redact) {
    sql_ = "COPY (SELECT ";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto& [col, oid] = columns[i];
      kinds_.push_back(kind_of(oid));
      if (i) sql_ += ", ";
      if (kinds_.back() != PgKind::text || sent_as_text(oid))
        sql_ += quote_ident(col);
      else
        sql_ += "concat(" + quote_ident(col) + ")";
    }
    sql_ += " FROM " + name.quoted() + where + ") TO STDOUT (FORMAT binary)";
  }
  PgSource(const PgSource&) = delete;
  PgSource& operator=(const PgSource&) = delete;
  ~PgSource() override {
    stop_reading();
    if (copy_row_) PQfreemem(copy_row_);
    if (owned_) PQfinish(conn_);
  }

private:
  static std::vector<std::string> names_of(const std::vector<std::pair<std::string, unsigned>>& columns) {
    std::vector<std::string> out;
    for (const auto& c : columns) out.push_back(c.first);
    return out;
  }
  [[noreturn]] void fail(const char* why) const { throw InputError(name() + ": read failed: " + redact_(why)); }
  [[noreturn]] void malformed() const { fail("malformed binary COPY data"); }

  bool fetch() override {
    if (!started_) start_copy();
    while (!done_ && left_.empty()) next_message();
    if (done_) return false;
    // a tuple: its field count, then each field's length (-1: NULL) and bytes
    if (left_.size() < 2) malformed();
    const auto count = big_endian<std::int16_t>(left_.data());
    left_.remove_prefix(2);
    if (count == -1) {  // the trailer
      left_ = {};
      return fetch();
    }
    if (static_cast<std::size_t>(count) != kinds_.size()) malformed();
    for (const PgKind kind : kinds_) {
      if (left_.size() < 4) malformed();
      const auto len = big_endian<std::int32_t>(left_.data());
      left_.remove_prefix(4);
      if (len < 0) {  // NULL: empty text
        end_field();
        continue;
      }
      if (left_.size() < static_cast<std::size_t>(len)) malformed();
      put(kind, left_.substr(0, static_cast<std::size_t>(len)));
      left_.remove_prefix(static_cast<std::size_t>(len));
    }
    return true;
  }

  void start_copy() {
    started_ = true;
    Result r(PQexec(conn_, sql_.c_str()));
    if (PQresultStatus(r.r) != PGRES_COPY_OUT) fail(PQresultErrorMessage(r.r));
  }

  // Takes the next COPY message into left_ (the first one opens with the file header).
  void next_message() {
    if (copy_row_) PQfreemem(copy_row_);
    copy_row_ = nullptr;
    const int n = PQgetCopyData(conn_, &copy_row_, 0);
    if (n == -1) {
      Result r(PQgetResult(conn_));
      if (PQresultStatus(r.r) != PGRES_COMMAND_OK) fail(PQresultErrorMessage(r.r));
      done_ = true;
      return;
    }
    if (n < 0) fail(PQerrorMessage(conn_));
    left_ = std::string_view(copy_row_, static_cast<std::size_t>(n));
    if (!header_read_) {
      // PGCOPY\n\377\r\n\0, flags, header extension length and the extension
      static constexpr char signature[] = "PGCOPY\n\377\r\n";
      if (left_.size() < 19 || std::memcmp(left_.data(), signature, 11) != 0) malformed();
      const auto extension = big_endian<std::uint32_t>(left_.data() + 15);
      if (left_.size() < 19 + std::size_t{extension}) malformed();
      left_.remove_prefix(19 + extension);
      header_read_ = true;
    }
  }

  // Puts one value: a number, instant or date typed (an instant or date outside years 1-9999,
  // infinite, or a non-finite real as the text PostgreSQL prints for it, which the rules reject
  // as the text path did), anything else as its text.
  void put(PgKind kind, std::string_view v) {
    using Kind = TypedField::Kind;
    const auto text = [&](std::string_view t) {
      row_.append(t);
      end_field();
    };
    const auto need = [&](std::size_t n) {
      if (v.size() != n) malformed();
    };
    switch (kind) {
      case PgKind::text:
        return text(v);
      case PgKind::boolean:
        need(1);
        return typed_field({Kind::boolean, v[0] != 0, 0});
      case PgKind::int2:
        need(2);
        return typed_field({Kind::integer, big_endian<std::int16_t>(v.data()), 0});
      case PgKind::int4:
        need(4);
        return typed_field({Kind::integer, big_endian<std::int32_t>(v.data()), 0});
      case PgKind::int8:
        need(8);
        return typed_field({Kind::integer, big_endian<std::int64_t>(v.data()), 0});
      case PgKind::float4:
      case PgKind::float8: {
        double d = 0;
        char buf[64];
        if (kind == PgKind::float8) {
          need(8);
          d = std::bit_cast<double>(big_endian<std::uint64_t>(v.data()));
        } else {
          need(4);
          // a REAL is the double its shortest decimal reads as (the text COPY printed that decimal)
          const auto f = std::bit_cast<float>(big_endian<std::uint32_t>(v.data()));
          d = static_cast<double>(f);
          if (std::isfinite(f)) std::from_chars(buf, std::to_chars(buf, buf + sizeof buf, f).ptr, d);
        }
        if (std::isnan(d)) return text("NaN");
        if (std::isinf(d)) return text(d > 0 ? "Infinity" : "-Infinity");
        return typed_field({Kind::real, 0, d});
      }
      case PgKind::timestamp:
      case PgKind::timestamptz: {
        need(8);
        const auto micros = big_endian<std::int64_t>(v.data());
        constexpr std::int64_t lo = (days_from_civil(1, 1, 1) - pg_epoch_days) * std::int64_t{86400} * 1000000,
                               hi = (days_from_civil(10000, 1, 1) - pg_epoch_days) * std::int64_t{86400} * 1000000;
        if (micros >= lo && micros < hi)  // whole seconds, as the text path truncated them
          return typed_field({Kind::instant, floor_div(micros, 1000000) + pg_epoch_days * 86400, 0});
        append_pg_timestamp(row_, micros, kind == PgKind::timestamptz);
        return end_field();
      }
      case PgKind::date: {
        need(4);
        const auto days = big_endian<std::int32_t>(v.data());
        if (days == std::numeric_limits<std::int32_t>::max()) return text("infinity");
        if (days == std::numeric_limits<std::int32_t>::min()) return text("-infinity");
        const std::int64_t day = std::int64_t{days} + pg_epoch_days;
        if (day >= days_from_civil(1, 1, 1) && day < days_from_civil(10000, 1, 1))
          return typed_field({Kind::day, day, 0});
        bool bc = false;
        append_pg_date(row_, static_cast<day_t>(day), bc);
        if (bc) row_ += " BC";
        return end_field();
      }
    }
  }

  PGconn* conn_;
  bool owned_;
  const Redactor& redact_;
  std::string sql_;
  std::vector<PgKind> kinds_;
  char* copy_row_ = nullptr;
  std::string_view left_;  ///< what is left of the current COPY message
  bool started_ = false, done_ = false, header_read_ = false;
};

/// The WHERE clause that picks the rows in heap pages [first, end) (no upper bound when end is 0):
/// a TID range scan (PostgreSQL 14 on; pages() cuts no table before it), which reads the pages in
/// order as a sequential scan does.
std::string ctid_where(const DbPageRange& pages) {
  if (pages.first > 0xFFFFFFFFu || pages.end > 0xFFFFFFFFu || (pages.end && pages.end <= pages.first))
    throw InternalError("page range [" + std::to_string(pages.first) + ", " + std::to_string(pages.end) +
                        ") is not a range of PostgreSQL block numbers");
  std::string out = " WHERE ctid >= '(" + std::to_string(pages.first) + ",0)'::tid";
  if (pages.end) out += " AND ctid < '(" + std::to_string(pages.end) + ",0)'::tid";
  return out;
}

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
    conn_ = connect();
    const char* encoding = PQparameterStatus(conn_, "client_encoding");
    utf8_ = encoding && std::string_view(encoding) == "UTF8";
  }
  ~PgConnection() override { PQfinish(conn_); }

  // REPEATABLE READ: one snapshot for every statement of the transaction. Its snapshot is exported
  // (unless the server is a standby, which cannot export one) so that each table is read on a
  // connection of its own that imports it: the tables are then read at once, all in this snapshot.
  void begin_read() override {
    run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ErrorKind::input);
    Result r(PQexec(conn_, "SELECT CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_export_snapshot() END"));
    if (PQresultStatus(r.r) != PGRES_TUPLES_OK || PQntuples(r.r) != 1)
      throw InputError(shown_ + ": " + redact_(PQresultErrorMessage(r.r)));
    snapshot_ = PQgetvalue(r.r, 0, 0);
    // a snapshot id is hexadecimal digits and dashes; anything else is not spliced into SQL
    if (!snapshot_id_ok(snapshot_)) snapshot_.clear();
  }
  std::string snapshot() const override { return snapshot_; }
  void begin_read_in(const std::string& snapshot) override {
    if (!snapshot_id_ok(snapshot))
      throw InputError(shown_ + ": '" + snapshot + "' is not a snapshot id (hexadecimal digits and dashes)");
    run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '" + snapshot + "'",
        ErrorKind::input);
    snapshot_.clear();  // the tables are read on this connection
  }
  // The lock first, then the size: `SELECT FROM … LIMIT 0` takes ACCESS SHARE on any relation
  // kind (LOCK TABLE refuses a materialized view or a foreign table), held until the transaction
  // ends, so the table cannot be rewritten (VACUUM FULL, CLUSTER), truncated or dropped once
  // measured. Only a plain table or materialized view without inheritance children is cut: a
  // ctid range on a parent scans each child with the same range, so its ranges would interleave
  // parent and child rows (one read gives all the parent's rows, then each child's); anything
  // else is one range. Before PostgreSQL 14 (no TID range scan) each range would scan the whole
  // table, so every table is one range there.
  std::optional<std::uint64_t> pages(const DbName& name) override {
    const std::string quoted = name.quoted();
    run("SELECT FROM " + quoted + " LIMIT 0", ErrorKind::input);
    const char* sql =
        "SELECT c.relkind IN ('r', 'm') AND NOT c.relhassubclass "
        "AND current_setting('server_version_num')::int >= 140000, "
        "(pg_relation_size(c.oid) / current_setting('block_size')::int8)::text "
        "FROM pg_class c WHERE c.oid = to_regclass($1)";
    const char* params[1] = {quoted.c_str()};
    Result r(PQexecParams(conn_, sql, 1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(r.r) != PGRES_TUPLES_OK)
      throw InputError(name.display() + ": " + redact_(PQresultErrorMessage(r.r)));
    if (PQntuples(r.r) != 1) throw InputError(name.display() + ": table not found");
    if (std::string_view(PQgetvalue(r.r, 0, 0)) != "t") return std::nullopt;
    return std::strtoull(PQgetvalue(r.r, 0, 1), nullptr, 10);
  }
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
  std::unique_ptr<RecordSource> read(const DbName& name, const std::optional<DbPageRange>& pages) override {
    const auto columns = typed_columns(name);
    const std::string where = pages ? ctid_where(*pages) : std::string();
    if (snapshot_.empty()) return std::make_unique<PgSource>(conn_, false, redact_, name, columns, where);
    // a connection of its own in the exported snapshot, reading from now on
    PGconn* conn = connect();
    try {
      run_on(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '" + snapshot_ + "'",
             ErrorKind::input);
    } catch (...) {
      PQfinish(conn);
      throw;
    }
    auto source = std::make_unique<PgSource>(conn, true, redact_, name, columns, where);
    source->start_reading();
    return source;
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
  // A session: connected, notices silenced, in UTC with ISO dates. @throws InputError.
  PGconn* connect() {
    PGconn* conn = PQconnectdb(redact_.conninfo.c_str());
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
      const std::string why = conn ? redact_(PQerrorMessage(conn)) : "out of memory";
      PQfinish(conn);
      throw InputError(shown_ + ": cannot connect: " + why);
    }
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);  // notices never reach stderr
    try {
      // a table is read in physical (ctid) order: no scan joins another one midway through the
      // table (synchronized scans) and no parallel workers interleave their pages, so one read's
      // rows are its page ranges' rows one range after another
      run_on(conn,
             "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; "
             "SET synchronize_seqscans = off; SET max_parallel_workers_per_gather = 0",
             ErrorKind::input);
    } catch (...) {
      PQfinish(conn);
      throw;
    }
    return conn;
  }
  // (name, base type OID) of each column in table order (a domain's base type), the table found
  // as a query finds it: an unqualified name through the session's search_path, as psql does.
  std::vector<std::pair<std::string, unsigned>> typed_columns(const DbName& name) {
    const char* sql =
        "SELECT a.attname, (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)::int8 "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
        "AND c.relkind IN ('r', 'v', 'm', 'f', 'p') ORDER BY a.attnum";
    const std::string quoted = name.quoted();
    const char* params[1] = {quoted.c_str()};
    Result r(PQexecParams(conn_, sql, 1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(r.r) != PGRES_TUPLES_OK)
      throw InputError(name.display() + ": " + redact_(PQresultErrorMessage(r.r)));
    std::vector<std::pair<std::string, unsigned>> out;
    for (int i = 0; i < PQntuples(r.r); ++i)
      out.emplace_back(PQgetvalue(r.r, i, 0), static_cast<unsigned>(std::strtoul(PQgetvalue(r.r, i, 1), nullptr, 10)));
    return out;
  }
  void run(const std::string& sql, ErrorKind kind) { run_on(conn_, sql, kind); }
  void run_on(PGconn* conn, const std::string& sql, ErrorKind kind) {
    Result r(PQexec(conn, sql.c_str()));
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
  std::string snapshot_;  ///< the read transaction's exported snapshot; empty: read on conn_
};

}  // namespace

std::unique_ptr<DbConnection> open_postgres(const std::string& conninfo) {
  return std::make_unique<PgConnection>(conninfo);
}

}  // namespace rapport::detail
