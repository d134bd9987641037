// Private: the database backends behind rapport/io/database.hpp. A backend opens a connection,
// streams a table as loader records (values in their CSV spellings) and inserts rows given in
// CSV spellings with native types; everything else (names, shapes, what is written) is shared.
#pragma once

#include "base/record_source.hpp"

#include <rapport/io/database.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

/// Column types rapport writes (and recognises when reading native values).
enum class DbType : std::uint8_t { text, integer, real, boolean, date, timestamp };

/// A column of a table rapport creates.
struct DbColumn {
  std::string name;
  DbType type;
};

/// A validated table name: `table` or `schema.table`.
struct DbName {
  std::string schema;  ///< empty when unqualified
  std::string table;
  /// As written (`schema.table`), for messages and RejectedRow::file.
  std::string display() const { return schema.empty() ? table : schema + "." + table; }
  /// Quoted for SQL: `"schema"."table"` (identifiers are plain, so no quote can occur inside).
  std::string quoted() const { return (schema.empty() ? "" : "\"" + schema + "\".") + "\"" + table + "\""; }
};

/// Heap pages [first, end) of a PostgreSQL table (its rows whose ctid lies in them); `end` 0: to
/// the table's end.
struct DbPageRange {
  std::uint64_t first = 0, end = 0;
};

/// Whether `s` starts with `lower_prefix` (lower-case ASCII), ignoring ASCII case.
bool starts_with_ci(std::string_view s, std::string_view lower_prefix) noexcept;

/// Parses and validates a table name. @throws ConfigError naming `what` when it is not plain.
DbName parse_db_name(std::string_view name, std::string_view what);

/// A database table as loader records: the header (the column names), then each row's values,
/// numbered from 1: a native number, instant or date as a TypedField (never spelled as text on
/// the way), any other value as its text, the texts back to back in one buffer. The rows can be
/// taken one at a time (next) or a batch at a time (next_batch: the loader settles a batch's
/// rows on several threads).
///
/// The rows are fetched on a reader thread of their own, in batches handed to the loader's thread
/// through a short queue, so that the database's stepping and decoding run beside the row rules.
/// The reader starts when the header is taken (or earlier, start_reading(), for a source on a
/// connection of its own) and reads the table in order on the source's one statement (a
/// connection is used by one thread at a time: SQLite's tables are read one after another, and
/// every statement is prepared before the first reader starts); a read error reaches the loader
/// after the rows before it. A backend's destructor calls stop_reading() first (the reader calls
/// its fetch()).
class DbTableSource : public RecordSource {
public:
  /// A source named `name` (the table as written) with these column names.
  DbTableSource(std::string name, std::vector<std::string> header);
  ~DbTableSource() override;
  DbTableSource(const DbTableSource&) = delete;
  DbTableSource& operator=(const DbTableSource&) = delete;
  const std::string& name() const noexcept final { return name_; }
  bool next(CsvRecord& rec) final;
  bool batched() const noexcept final { return true; }
  const RecordBatch* next_batch() final;
  /// Starts the reader thread now, before the header is taken (idempotent).
  void start_reading();

protected:
  /// Puts the next row's values: each a text appended to row_ and ended by end_field(), or a
  /// typed_field(); false at the end. Runs on the reader thread.
  virtual bool fetch() = 0;
  /// Ends the text value just appended to row_ (the values lie back to back: no separator).
  void end_field() {
    ends_.push_back(row_.size());
    kinds_.push_back(TypedField::Kind::text);
  }
  /// Puts a typed value (its text empty). Only the typed values are stored apart: a text field
  /// costs the reader thread (the slower side of a SQLite read) no TypedField.
  void typed_field(const TypedField& value) {
    ends_.push_back(row_.size());
    kinds_.push_back(value.kind);
    if (value.kind != TypedField::Kind::text) typed_.push_back(value);
  }
  const std::vector<std::string>& header() const noexcept { return header_; }
  /// Stops the reader thread and waits for it (idempotent; never throws).
  void stop_reading() noexcept;
  std::string row_;  ///< the rows being spelled (a batch's text: rows back to back)

private:
  struct Batch;
  struct Queue;
  void produce();
  void take_batch();
  /// Drops the batch read last; true (and current_ set) while one with rows may follow; rethrows
  /// a read error after the rows before it.
  bool advance();

  std::string name_;
  std::vector<std::string> header_;
  std::vector<std::size_t> ends_;        ///< field ends in row_ (the batch being filled)
  std::vector<TypedField::Kind> kinds_;  ///< per field: its kind (Kind::text: a text value)
  std::vector<TypedField> typed_;        ///< the typed values only, in field order
  std::size_t fetched_ = 0;              ///< rows fetched into earlier batches (reader thread)
  bool header_taken_ = false;
  bool started_ = false;
  std::unique_ptr<Queue> queue_;          ///< the reader and the batches between it and the loader
  std::unique_ptr<Batch> current_;        ///< the batch the loader reads
  std::size_t next_row_ = 0;              ///< its next row (next())
  std::vector<TypedField> record_typed_;  ///< next()'s record's typed values, one per field
};

/// Receives rows of CSV spellings (empty = NULL), one field per column, and writes them natively.
class DbInserter {
public:
  virtual ~DbInserter() = default;
  /// Adds one row (fields in the column order given to DbConnection::insert).
  virtual void add(const std::vector<std::string_view>& fields) = 0;
  /// Flushes what is buffered.
  virtual void finish() = 0;
};

/// One connection to a database.
class DbConnection {
public:
  virtual ~DbConnection() = default;
  /// Starts the read snapshot the four tables are read in.
  virtual void begin_read() = 0;
  /// Starts a write transaction.
  virtual void begin_write() = 0;
  /// Inside a write transaction, before anything is looked up or written: waits until no other
  /// rapport writer holds any of these tables, and holds them until commit or rollback (the same
  /// lock whether the table exists yet or not). SQLite: nothing to do, BEGIN IMMEDIATE already
  /// holds the file's write lock.
  virtual void lock_for_write(const std::vector<DbName>& names) = 0;
  /// Why rapport must not write `name` (a table that vanishes when the connection closes:
  /// SQLite's `temp` schema or an in-memory database, PostgreSQL's `pg_temp`); empty when it may.
  virtual std::string cannot_write(const DbName& name) const = 0;
  /// Why a value (its CSV spelling, non-empty) cannot be stored in a column of this type here;
  /// empty when it can (PostgreSQL has no year 0000, no NUL byte or invalid UTF-8 in TEXT).
  virtual std::string cannot_store(DbType type, std::string_view value) const = 0;
  /// Commits the open transaction.
  virtual void commit() = 0;
  /// Rolls the open transaction back (never throws).
  virtual void rollback() noexcept = 0;
  /// Column names of a table in table order; empty when the table does not exist.
  virtual std::vector<std::string> columns(const DbName& name) = 0;
  /// Streams `SELECT * FROM name` as loader records (header = column names); with `pages`, only
  /// the rows in those heap pages, in the same order (PostgreSQL: the same COPY with one more
  /// WHERE clause on ctid; a backend that cannot cut a table throws InternalError).
  virtual std::unique_ptr<RecordSource> read(const DbName& name,
                                             const std::optional<DbPageRange>& pages = std::nullopt) = 0;
  /// The snapshot begin_read exported for other connections (hexadecimal digits and dashes);
  /// empty when there is none (SQLite, a PostgreSQL standby).
  virtual std::string snapshot() const = 0;
  /// Starts a read transaction in `snapshot`, another connection's export (refused unless it is
  /// hexadecimal digits and dashes); tables are then read on this connection. @throws InputError
  /// (also for SQLite, which cannot share a snapshot between connections).
  virtual void begin_read_in(const std::string& snapshot) = 0;
  /// Inside a read transaction: the table's size in heap pages when it can be read in page ranges
  /// (a PostgreSQL 14 or later table or materialized view without inheritance children), else
  /// nullopt (a view, a foreign or partitioned table, an inheritance parent, an older server,
  /// SQLite). PostgreSQL: the relation, whatever its kind, is locked ACCESS SHARE (before it is
  /// measured) until the transaction ends, so it cannot be rewritten (VACUUM FULL, CLUSTER),
  /// truncated, altered or dropped meanwhile.
  /// @throws InputError when the table does not exist.
  virtual std::optional<std::uint64_t> pages(const DbName& name) = 0;
  /// Creates a table with these columns.
  virtual void create(const DbName& name, const std::vector<DbColumn>& columns) = 0;
  /// Deletes the rows (all, or those whose `column` equals the text `value`, bound).
  virtual void remove(const DbName& name, const std::string& column = {}, const std::string& value = {}) = 0;
  /// Creates the index `<table>_<column>` on one column when it does not exist (the live
  /// Scorer's upserts find a customer's row by key without scanning the table).
  virtual void index(const DbName& name, const std::string& column) = 0;
  /// Whether the table holds at least one row.
  virtual bool has_rows(const DbName& name) = 0;
  /// A prepared, batched inserter into `name`'s `columns`.
  virtual std::unique_ptr<DbInserter> insert(const DbName& name, const std::vector<DbColumn>& columns) = 0;
};

/// Whether `id` can be a PostgreSQL snapshot id: non-empty hexadecimal digits and dashes (what
/// is spliced into SET TRANSACTION SNAPSHOT is checked by this, never taken as given).
bool snapshot_id_ok(std::string_view id) noexcept;

/// One table to read in a snapshot: whole, or the rows in some of its heap pages.
struct DbRead {
  DbName name;
  std::optional<DbPageRange> pages;
};

/// Reads `reads` one after another on one new connection to `uri` in one read transaction: the
/// exported `snapshot` when given (every range of a run reads the one database state), else a
/// transaction of its own (SQLite). Each table's source (header first, then its rows as load_db's
/// reader gives them) is handed to `each(index, source)` and read there. @throws InputError (a bad
/// URI, a snapshot no longer open, a missing table, a read error).
void read_in_snapshot(const std::string& uri, const std::string& snapshot, const std::vector<DbRead>& reads,
                      const std::function<void(std::size_t, RecordSource&)>& each);

/// A read transaction held open so that other connections read in its snapshot (a run reading
/// tables in ranges, rapport.dask.read_db): opened on construction, with the tables' columns
/// and sizes learned in it; it lives until close() or destruction, and with it the snapshot
/// (PostgreSQL: its xmin holds back VACUUM database-wide meanwhile). SQLite, which shares no
/// snapshot: the transaction ends once the tables are learned (the connection stays open until
/// close()), and the tables are read later in the reading task's own transaction.
class DbSnapshot {
public:
  /// A table of the snapshot: the key (customers, contacts, purchases, referrals), its name,
  /// its column names, its size in heap pages (nullopt: read whole).
  struct Table {
    std::string key;
    DbName name;
    std::vector<std::string> columns;
    std::optional<std::uint64_t> pages;
  };
  /// Opens `uri` and starts the snapshot; names validated first (ConfigError). @throws
  /// InputError (cannot connect, the customers table missing, a PostgreSQL standby, which
  /// cannot export a snapshot). The tables that do not exist (but customers) are left out.
  DbSnapshot(const std::string& uri, const DbTables& tables);
  ~DbSnapshot();
  DbSnapshot(const DbSnapshot&) = delete;
  DbSnapshot& operator=(const DbSnapshot&) = delete;
  /// The exported snapshot id (empty for SQLite).
  const std::string& id() const noexcept { return id_; }
  const std::vector<Table>& tables() const noexcept { return tables_; }
  /// Ends the transaction and closes the connection (idempotent).
  void close() noexcept;
  bool closed() const noexcept { return !db_; }

private:
  std::unique_ptr<DbConnection> db_;
  std::string id_;
  std::vector<Table> tables_;
};

/// Opens a SQLite file (created when `write` and missing). @throws InputError.
std::unique_ptr<DbConnection> open_sqlite(const std::string& path, bool write);

/// Connects to PostgreSQL (a URI or key/value string). @throws InputError with the server's
/// message and the URI without its password (every libpq message passes through redact()).
std::unique_ptr<DbConnection> open_postgres(const std::string& conninfo);

/// A password in a connection string: [begin, end) is removed to show it (`:secret` of a URI's
/// userinfo, `password=secret` of an option), the password itself starts at `value`.
struct PasswordSpan {
  std::size_t begin, end, value;
};
/// Where `conninfo` (a URI or a key/value string, however malformed) holds a password.
std::vector<PasswordSpan> password_spans(std::string_view conninfo);

/// The one redaction of PostgreSQL passwords, for every text that leaves the library and may
/// hold one (libpq's and the server's messages, the connection string itself): `text` with the
/// conninfo's password spans removed, every double-quoted token that holds a piece of a password
/// (split at URI and key/value delimiters) replaced by `"***"`, and every other occurrence of a
/// password (raw, percent-decoded or unescaped, or one of `extra`, e.g. libpq's parse) by `***`.
std::string redact(std::string_view text, std::string_view conninfo, const std::vector<std::string>& extra = {});

/// Opens the database a URI names: `sqlite:PATH`, else PostgreSQL.
std::unique_ptr<DbConnection> open_db(const std::string& uri, bool write);

/// Shortest decimal that reads back as `v`, in fixed notation (no exponent); "NaN"/"inf" spelled so.
void spell_double(double v, std::string& out);
/// A Unix instant read from a date or timestamp column as the loader takes it: an instant (a day,
/// the instant's UTC date, for a date column) within years 0000-9999; outside them the integer it
/// is, which the row rules reject as an unreadable date or timestamp (never wrapped into range).
TypedField typed_unix_seconds(std::int64_t t, DbType type) noexcept;
/// The rapport type a declared column type names (DATE, TIMESTAMP[TZ], BOOL…, INT…), else text.
DbType type_from_declared(std::string_view declared) noexcept;

}  // namespace rapport::detail
