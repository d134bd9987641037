/// @file database.hpp
/// Reading the four input tables from a database (SQLite, PostgreSQL) and writing scores back.
///
/// The database holds the tables `customers`, `contacts`, `purchases` and `referrals` (the last
/// three optional) with the CSV files' column names. Each value is turned into its CSV spelling and
/// goes through the same row rules as a CSV field (one row path): NULL is empty, DATE is
/// `YYYY-MM-DD`, TIMESTAMP/TIMESTAMPTZ is the UTC instant `YYYY-MM-DDTHH:MM:SSZ` (a fractional
/// second is truncated toward the past: the CSV format has whole seconds), BOOLEAN is
/// `true`/`false`, integers are decimal, NUMERIC/REAL/DOUBLE are the shortest decimal that reads
/// back exactly (fixed notation, so `^\d+(\.\d+)?$` holds; a negative value stays negative and is
/// rejected as in CSV), TEXT is taken as is. A rejected row is reported with the table's name as
/// RejectedRow::file and its 1-based row number in read order as RejectedRow::line.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/io/load.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/scoring/score.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport {

struct Summary;

/// The database tables read for the four inputs; plain or schema-qualified identifiers
/// (`[A-Za-z_][A-Za-z0-9_$]*`, optionally `schema.`-prefixed). Defaults: the CSV names.
struct RAPPORT_API DbTables {
  std::string customers = "customers";  ///< required
  std::string contacts = "contacts";    ///< optional: read when the table exists
  std::string purchases = "purchases";  ///< optional: read when the table exists
  std::string referrals = "referrals";  ///< optional: read when the table exists
  /// Applies a mapping `customers=crm.clients,contacts=crm.touches,...` to the defaults.
  /// @throws ConfigError naming an unknown table key or an identifier that is not plain.
  static DbTables parse(std::string_view mapping);
};

/// Options for load_db().
struct DbOptions {
  DbTables tables;   ///< table names
  LoadOptions load;  ///< the loader's options (strict, rejects kept); threads unused
};

/// Loads the base from `uri` (`sqlite:PATH`, or a PostgreSQL URI / libpq connection string) in one
/// read snapshot, streaming each table. An unqualified table name is found as a query finds it
/// (PostgreSQL: through the connection's search_path).
/// @throws ConfigError for an invalid table name (before connecting); InputError when the
/// database cannot be opened (the message shows the URI without password and the server's
/// message), the customers table or a required column is missing, or (strict) a row is rejected.
RAPPORT_API LoadResult load_db(const std::string& uri, const DbOptions& options = {});

/// Tables a scoring run writes back; an empty name writes nothing there.
struct RAPPORT_API DbWriteOptions {
  std::string out_table;      ///< the scores (the scores CSV's columns, typed), replaced per run
  std::string history_table;  ///< (as_of, customer_id, the headline scores), replaced per as_of
  std::string runs_table;     ///< one row per run (as_of, start, end, counts, parameters, summary)
  /// Checks the names (plain, optionally schema-qualified identifiers).
  /// @throws ConfigError naming the option and the name.
  void validate() const;
  /// Whether anything is written at all.
  bool any() const noexcept { return !out_table.empty() || !history_table.empty() || !runs_table.empty(); }
};

/// The run a write-back records in the runs table.
struct DbRun {
  seconds_t started = 0;  ///< when the run started (UTC)
  seconds_t ended = 0;    ///< when scoring ended (UTC)
};

/// Writes a run's scores to `uri` in one transaction: the out table's previous rows are replaced,
/// the history table's rows of the same as_of are replaced, one row is added to the runs table.
/// Tables are created when missing; an existing table whose columns differ is an error (never
/// altered). Values are always bound, inserts are prepared and batched. Concurrent writers of the
/// same tables queue (PostgreSQL: transaction-level advisory locks on the tables' identities;
/// SQLite: the file's write lock), so each run's set is whole and none fails on a CREATE race.
/// @throws ConfigError for an invalid table name; OutputError for a table of the wrong shape, a
/// table that would vanish with the connection (SQLite `temp` or `:memory:`, PostgreSQL
/// `pg_temp`) or a failed write (nothing is written then); InputError when the database cannot
/// be opened.
/// `summary`: the run's summarize() when the caller already has it (the runs table's summary and
/// parameters columns are rendered from it); nullptr: computed here when the runs table is written.
RAPPORT_API void write_db(const std::string& uri, const DbWriteOptions& tables, const CustomerBase& base,
                          const LoadReport& report, const ScoreResult& result, const ScoringConfig& config,
                          const DbRun& run, const Summary* summary = nullptr);

/// Stores one result's rows (as write_db writes them) inside write_db_all()'s transaction.
using DbStore = std::function<void(const ScoreResult& result, const DbRun& run)>;

/// Several results in ONE transaction (`rapport history`: every as-of date or none): calls
/// `produce(store)`, each `store(result, run)` writing that result's rows as write_db() does
/// (out table, history table, a runs row); committed when `produce` returns, rolled back when it
/// throws — so a failure at any date leaves every table as it was. write_db() is write_db_all()
/// with one result.
/// @throws as write_db(), and whatever `produce` throws.
RAPPORT_API void write_db_all(const std::string& uri, const DbWriteOptions& tables, const CustomerBase& base,
                              const LoadReport& report, const ScoringConfig& config,
                              const std::function<void(const DbStore& store)>& produce);

/// Upserts the given rows of `result` (rows of result.scores, e.g. Scorer::changes()) into the
/// scores table `out_table` (write_db's out table, created when missing) in one transaction: each
/// customer's previous row is deleted and the new one inserted; every other row is kept. The live
/// Scorer's write-back: a batch writes only what it rescored.
/// @throws as write_db(); NotFoundError for a row that result does not have.
RAPPORT_API void upsert_scores_db(const std::string& uri, const std::string& out_table, const CustomerBase& base,
                                  const ScoreResult& result, const std::vector<std::uint32_t>& rows);

/// Loads CSV files with load_csv() (same rejects) and writes the accepted rows into the four
/// tables of `uri` with native types (DATE, TIMESTAMP, INTEGER, BOOLEAN, DOUBLE PRECISION, TEXT)
/// in one transaction. Tables are created when missing; an existing table must have the expected
/// columns and be empty. Returns the load result: its report lists the rejected CSV rows and the
/// rows the database cannot store (PostgreSQL: year 0000, a NUL byte, text that is not UTF-8 on a
/// UTF8 connection; line 0), which are not imported, nor the contacts and purchases of a customer
/// not stored (strict: the first such row is an InputError and nothing is imported).
/// @throws as load_csv() and write_db().
RAPPORT_API LoadResult import_csv_to_db(const InputFiles& files, const std::string& uri, const DbTables& tables = {},
                                        const LoadOptions& options = {});

/// `uri` with every password removed, in any spelling libpq reads (`postgresql://u:secret@h/db` ->
/// `postgresql://u@h/db`, also with a raw `@` or `/` in the password; `password = ...`,
/// `sslpassword=...`, quoted or backslash-escaped, dropped from a key/value string; `?password=`,
/// its key percent-encoded or not, dropped from a URI's query); used in every message.
RAPPORT_API std::string redact_uri(std::string_view uri);

/// The SQLite database file a URI names (`sqlite:PATH` -> PATH, possibly empty); nullopt for a
/// PostgreSQL URI or connection string.
RAPPORT_API std::optional<std::string> sqlite_path(std::string_view uri);

/// Whether `name` is a plain identifier, optionally schema-qualified (`crm.clients`).
RAPPORT_API bool is_plain_identifier(std::string_view name) noexcept;

}  // namespace rapport
