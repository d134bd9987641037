// The SQLite backend: one connection, a deferred read transaction as the snapshot (the four tables
// are read one after another on it: Debian's SQLite has no sqlite3_snapshot_open to share one
// snapshot between connections), statements stepped row by row on the source's reader thread (no
// result held in memory), native values handed on typed, prepared inserts with bound values.
#include "base/csv.hpp"
#include "db/db_connection.hpp"

#include <rapport/error.hpp>

#include <sqlite3.h>

#include <charconv>
#include <cstring>

namespace rapport::detail {

namespace {

/// Owns a prepared statement.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt); }
};

/// Prepares `SELECT * FROM name`; throws InputError naming the table.
void prepare_select(sqlite3* db, const DbName& name, Statement& st) {
  const std::string sql = "SELECT * FROM " + name.quoted();
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK)
    throw InputError(name.display() + ": cannot read: " + sqlite3_errmsg(db));
}

std::vector<std::string> column_names(sqlite3_stmt* st) {
  std::vector<std::string> out;
  for (int i = 0; i < sqlite3_column_count(st); ++i) out.emplace_back(sqlite3_column_name(st, i));
  return out;
}

/// Streams one table, a step per row.
class SqliteSource final : public DbTableSource {
public:
  SqliteSource(sqlite3* db, const DbName& name, std::unique_ptr<Statement> st)
      : DbTableSource(name.display(), column_names(st->stmt)), db_(db), st_(std::move(st)) {
    for (int i = 0; i < sqlite3_column_count(st_->stmt); ++i) {
      const char* decl = sqlite3_column_decltype(st_->stmt, i);
      types_.push_back(type_from_declared(decl ? decl : ""));
    }
  }
  ~SqliteSource() override { stop_reading(); }
  SqliteSource(const SqliteSource&) = delete;
  SqliteSource& operator=(const SqliteSource&) = delete;

private:
  bool fetch() override {
    const int rc = sqlite3_step(st_->stmt);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) throw InputError(name() + ": read failed: " + sqlite3_errmsg(db_));
    for (int i = 0; i < static_cast<int>(types_.size()); ++i) put(i, types_[static_cast<std::size_t>(i)]);
    return true;
  }

  // Puts column i's value in its stored type: an integer or a real as a typed field (an integer
  // in a date or timestamp column as the instant it counts, in a boolean column as true or
  // false), text (and a BLOB, taken as bytes) as it is, NULL as empty text. The value is read
  // through sqlite3_value_*: one call for the value instead of a locked API call per property
  // (sqlite3_column_type, _blob, _bytes each enter and leave the connection's mutex). The value
  // is unprotected, which SQLite allows to be read here because the connection is NOMUTEX and
  // used by this thread alone meanwhile.
  void put(int i, DbType t) {
    using Kind = TypedField::Kind;
    sqlite3_value* v = sqlite3_column_value(st_->stmt, i);
    switch (sqlite3_value_type(v)) {
      case SQLITE_NULL:
        end_field();
        break;
      case SQLITE_INTEGER: {
        const auto x = sqlite3_value_int64(v);
        if (t == DbType::boolean)
          typed_field({Kind::boolean, x != 0, 0});
        else if (t == DbType::date || t == DbType::timestamp)
          typed_field(typed_unix_seconds(x, t));
        else
          typed_field({Kind::integer, x, 0});
        break;
      }
      case SQLITE_FLOAT:
        typed_field({Kind::real, 0, sqlite3_value_double(v)});
        break;
      default: {  // TEXT (and BLOB, taken as bytes)
        const auto* p = static_cast<const char*>(sqlite3_value_blob(v));
        row_.append(p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v)));
        end_field();
      }
    }
  }

  sqlite3* db_;
  std::unique_ptr<Statement> st_;
  std::vector<DbType> types_;
};

/// One prepared multi-row INSERT, bound and stepped per batch of rows.
class SqliteInserter final : public DbInserter {
public:
  SqliteInserter(sqlite3* db, const DbName& name, const std::vector<DbColumn>& columns)
      : db_(db), name_(name.display()), columns_(columns) {
    std::string sql = "INSERT INTO " + name.quoted() + " (";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ",\"" : "\"") + columns[i].name + "\"";
    sql += ") VALUES (";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st_.stmt, nullptr) != SQLITE_OK) fail("cannot prepare insert");
  }
  void add(const std::vector<std::string_view>& fields) override {
    for (std::size_t i = 0; i < columns_.size(); ++i) bind(static_cast<int>(i) + 1, columns_[i].type, fields[i]);
    if (sqlite3_step(st_.stmt) != SQLITE_DONE) fail("insert failed");
    sqlite3_reset(st_.stmt);
  }
  void finish() override {}

private:
  [[noreturn]] void fail(const char* what) const {
    throw OutputError(name_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  // Binds a CSV spelling natively: integers and reals as numbers, booleans as 0/1, dates and
  // timestamps as ISO text (SQLite's convention), empty as NULL.
  void bind(int k, DbType type, std::string_view v) {
    int rc = SQLITE_OK;
    if (v.empty() && type != DbType::text) {
      rc = sqlite3_bind_null(st_.stmt, k);
    } else if (type == DbType::integer || type == DbType::boolean) {
      std::int64_t x = 0;
      if (type == DbType::boolean)
        x = v == "true" || v == "1";
      else if (std::from_chars(v.data(), v.data() + v.size(), x).ec != std::errc())
        fail("integer expected");
      rc = sqlite3_bind_int64(st_.stmt, k, x);
    } else if (type == DbType::real) {
      double x = 0;
      if (std::from_chars(v.data(), v.data() + v.size(), x).ec != std::errc()) fail("number expected");
      rc = sqlite3_bind_double(st_.stmt, k, x);
    } else if (type == DbType::timestamp && v.size() == 20 && v[10] == 'T' && v.back() == 'Z') {
      // SQLite's own spelling of a UTC instant: `YYYY-MM-DD HH:MM:SS`
      scratch_.assign(v.substr(0, 19));
      scratch_[10] = ' ';
      rc = sqlite3_bind_text(st_.stmt, k, scratch_.data(), static_cast<int>(scratch_.size()), SQLITE_TRANSIENT);
    } else {
      rc = sqlite3_bind_text(st_.stmt, k, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) fail("bind failed");
  }

  sqlite3* db_;
  std::string name_;
  std::vector<DbColumn> columns_;
  Statement st_;
  std::string scratch_;
};

const char* sql_type(DbType t) {
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
      return "TIMESTAMP";
    case DbType::text:
      break;
  }
  return "TEXT";
}

class SqliteConnection final : public DbConnection {
public:
  SqliteConnection(const std::string& path, bool write) : path_(path) {
    // NOMUTEX: a connection is used by one thread, so SQLite need not lock on every call
    const int flags = (write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw InputError("sqlite:" + path + ": cannot open: " + why);
    }
    sqlite3_busy_timeout(db_, 10000);
  }
  ~SqliteConnection() override { sqlite3_close(db_); }

  void begin_read() override { exec("BEGIN"); }
  std::string snapshot() const override { return {}; }
  void begin_read_in(const std::string&) override {
    throw InputError("sqlite:" + path_ + ": SQLite cannot share a snapshot between connections");
  }
  std::optional<std::uint64_t> pages(const DbName& name) override {
    if (columns(name).empty()) throw InputError(name.display() + ": table not found");
    return std::nullopt;
  }
  // IMMEDIATE: the file's write lock is taken at BEGIN (waiting up to the busy timeout for another
  // writer), so two writers never interleave and nothing else needs locking
  void begin_write() override { exec("BEGIN IMMEDIATE"); }
  void lock_for_write(const std::vector<DbName>&) override {}
  std::string cannot_write(const DbName& name) const override {
    if (path_ == ":memory:" || path_.empty()) return "an in-memory SQLite database vanishes when rapport closes it";
    if (name.schema.size() == 4 && starts_with_ci(name.schema, "temp"))
      return "a table in SQLite's temp schema vanishes when rapport closes the database";
    return {};
  }
  std::string cannot_store(DbType, std::string_view) const override { return {}; }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  std::vector<std::string> columns(const DbName& name) override {
    // PRAGMA table_info takes the schema as a prefix; the identifiers are plain, quoting is safe
    const std::string sql =
        "PRAGMA " + (name.schema.empty() ? "" : "\"" + name.schema + "\".") + "table_info(\"" + name.table + "\")";
    Statement st;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK)
      throw InputError(name.display() + ": " + sqlite3_errmsg(db_));
    std::vector<std::string> out;
    while (sqlite3_step(st.stmt) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st.stmt, 1)));
    return out;
  }
  std::unique_ptr<RecordSource> read(const DbName& name, const std::optional<DbPageRange>& pages) override {
    if (pages) throw InternalError(name.display() + ": a SQLite table is read whole, not in page ranges");
    auto st = std::make_unique<Statement>();
    prepare_select(db_, name, *st);
    return std::make_unique<SqliteSource>(db_, name, std::move(st));
  }
  void create(const DbName& name, const std::vector<DbColumn>& columns) override {
    std::string sql = "CREATE TABLE " + name.quoted() + " (";
    for (std::size_t i = 0; i < columns.size(); ++i)
      sql += (i ? ", \"" : "\"") + columns[i].name + "\" " + sql_type(columns[i].type);
    exec(sql + ")");
  }
  void index(const DbName& name, const std::string& column) override {
    // SQLite qualifies the index (not the table) with the schema
    exec("CREATE INDEX IF NOT EXISTS " + (name.schema.empty() ? "" : "\"" + name.schema + "\".") + "\"" + name.table +
         "_" + column + "\" ON \"" + name.table + "\" (\"" + column + "\")");
  }
  void remove(const DbName& name, const std::string& column, const std::string& value) override {
    Statement st;
    const std::string sql = "DELETE FROM " + name.quoted() + (column.empty() ? "" : " WHERE \"" + column + "\" = ?");
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK ||
        (!column.empty() &&
         sqlite3_bind_text(st.stmt, 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK) ||
        sqlite3_step(st.stmt) != SQLITE_DONE)
      throw OutputError(name.display() + ": delete failed: " + sqlite3_errmsg(db_));
  }
  bool has_rows(const DbName& name) override {
    Statement st;
    const std::string sql = "SELECT 1 FROM " + name.quoted() + " LIMIT 1";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK)
      throw OutputError(name.display() + ": " + sqlite3_errmsg(db_));
    return sqlite3_step(st.stmt) == SQLITE_ROW;
  }
  std::unique_ptr<DbInserter> insert(const DbName& name, const std::vector<DbColumn>& columns) override {
    return std::make_unique<SqliteInserter>(db_, name, columns);
  }

private:
  void exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      const std::string why = msg ? msg : "unknown error";
      sqlite3_free(msg);
      throw OutputError("sqlite:" + path_ + ": " + why);
    }
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<DbConnection> open_sqlite(const std::string& path, bool write) {
  return std::make_unique<SqliteConnection>(path, write);
}

}  // namespace rapport::detail
