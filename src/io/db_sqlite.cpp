// The SQLite backend: one connection, a deferred read transaction as the snapshot, statements
// stepped row by row (no result held in memory), prepared inserts with bound values.
#include "io/db_connection.hpp"
#include "io/csv.hpp"

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

class SqliteConnection;

/// Streams one table: each step's values spelled as CSV fields into one buffer.
class SqliteSource final : public RecordSource {
public:
  SqliteSource(sqlite3* db, const DbName& name) : db_(db), name_(name.display()) {
    const std::string sql = "SELECT * FROM " + name.quoted();
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st_.stmt, nullptr) != SQLITE_OK)
      throw InputError(name_ + ": cannot read: " + sqlite3_errmsg(db_));
    const int n = sqlite3_column_count(st_.stmt);
    for (int i = 0; i < n; ++i) {
      header_.emplace_back(sqlite3_column_name(st_.stmt, i));
      const char* decl = sqlite3_column_decltype(st_.stmt, i);
      types_.push_back(type_from_declared(decl ? decl : ""));
    }
  }
  const std::string& name() const noexcept override { return name_; }

  bool next(CsvRecord& rec) override {
    rec.error = nullptr;
    rec.error_column = 0;
    if (row_ == 0) {
      ++row_;
      rec.line = 0;
      rec.fields.assign(header_.begin(), header_.end());
      rec.raw = {};
      return true;
    }
    const int rc = sqlite3_step(st_.stmt);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) throw InputError(name_ + ": read failed: " + sqlite3_errmsg(db_));
    spell_row();
    rec.line = row_++;
    rec.fields.clear();
    for (std::size_t i = 0; i < ends_.size(); ++i) {
      const std::size_t from = i ? ends_[i - 1] + 1 : 0;
      rec.fields.emplace_back(buf_.data() + from, ends_[i] - from);
    }
    rec.raw = buf_;
    return true;
  }

private:
  // Appends every column's CSV spelling to buf_, comma-separated (the raw text of a reject).
  void spell_row() {
    buf_.clear();
    ends_.clear();
    for (int i = 0; i < static_cast<int>(header_.size()); ++i) {
      if (i) buf_.push_back(',');
      const DbType t = types_[static_cast<std::size_t>(i)];
      switch (sqlite3_column_type(st_.stmt, i)) {
        case SQLITE_NULL:
          break;
        case SQLITE_INTEGER: {
          const auto v = sqlite3_column_int64(st_.stmt, i);
          if (t == DbType::boolean) {
            buf_ += v ? "true" : "false";
          } else if (t == DbType::date || t == DbType::timestamp) {
            spell_unix_seconds(v, t, buf_);
          } else {
            char tmp[24];
            buf_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
          }
          break;
        }
        case SQLITE_FLOAT:
          spell_double(sqlite3_column_double(st_.stmt, i), buf_);
          break;
        default: {  // TEXT (and BLOB, taken as bytes)
          const auto* p = static_cast<const char*>(sqlite3_column_blob(st_.stmt, i));
          buf_.append(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st_.stmt, i)));
        }
      }
      ends_.push_back(buf_.size());
    }
  }

  sqlite3* db_;
  std::string name_;
  Statement st_;
  std::vector<std::string> header_;
  std::vector<DbType> types_;
  std::string buf_;
  std::vector<std::size_t> ends_;
  std::size_t row_ = 0;
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
  [[noreturn]] void fail(const char* what) const { throw OutputError(name_ + ": " + what + ": " + sqlite3_errmsg(db_)); }

  // Binds a CSV spelling natively: integers and reals as numbers, booleans as 0/1, dates and
  // timestamps as ISO text (SQLite's convention), empty as NULL.
  void bind(int k, DbType type, std::string_view v) {
    int rc = SQLITE_OK;
    if (v.empty() && type != DbType::text) {
      rc = sqlite3_bind_null(st_.stmt, k);
    } else if (type == DbType::integer || type == DbType::boolean) {
      std::int64_t x = 0;
      if (type == DbType::boolean) x = v == "true" || v == "1";
      else if (std::from_chars(v.data(), v.data() + v.size(), x).ec != std::errc()) fail("integer expected");
      rc = sqlite3_bind_int64(st_.stmt, k, x);
    } else if (type == DbType::real) {
      double x = 0;
      if (std::from_chars(v.data(), v.data() + v.size(), x).ec != std::errc()) fail("number expected");
      rc = sqlite3_bind_double(st_.stmt, k, x);
    } else {
      std::string_view t = v;
      if (type == DbType::timestamp && t.size() == 20 && t.back() == 'Z') t.remove_suffix(1);
      rc = sqlite3_bind_text(st_.stmt, k, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      if (type == DbType::timestamp && t.size() == 19) {
        // SQLite's own spelling: a space between date and time
        scratch_.assign(t);
        scratch_[10] = ' ';
        rc = sqlite3_bind_text(st_.stmt, k, scratch_.data(), static_cast<int>(scratch_.size()), SQLITE_TRANSIENT);
      }
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
    case DbType::integer: return "INTEGER";
    case DbType::real: return "DOUBLE PRECISION";
    case DbType::boolean: return "BOOLEAN";
    case DbType::date: return "DATE";
    case DbType::timestamp: return "TIMESTAMP";
    case DbType::text: break;
  }
  return "TEXT";
}

class SqliteConnection final : public DbConnection {
public:
  SqliteConnection(const std::string& path, bool write) : path_(path) {
    const int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
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
  void begin_write() override { exec("BEGIN IMMEDIATE"); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  std::vector<std::string> columns(const DbName& name) override {
    // PRAGMA table_info takes the schema as a prefix; the identifiers are plain, quoting is safe
    const std::string sql = "PRAGMA " + (name.schema.empty() ? "" : "\"" + name.schema + "\".") + "table_info(\"" +
                            name.table + "\")";
    Statement st;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK)
      throw InputError(name.display() + ": " + sqlite3_errmsg(db_));
    std::vector<std::string> out;
    while (sqlite3_step(st.stmt) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st.stmt, 1)));
    return out;
  }
  std::unique_ptr<RecordSource> read(const DbName& name) override { return std::make_unique<SqliteSource>(db_, name); }
  void create(const DbName& name, const std::vector<DbColumn>& columns) override {
    std::string sql = "CREATE TABLE " + name.quoted() + " (";
    for (std::size_t i = 0; i < columns.size(); ++i)
      sql += (i ? ", \"" : "\"") + columns[i].name + "\" " + sql_type(columns[i].type);
    exec(sql + ")");
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
