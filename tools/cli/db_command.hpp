// rapport CLI: databases (`score --db URI ...`, write-back tables, `rapport import DIR --db URI`).
#pragma once

#include <rapport/rapport.hpp>
#include <rapport/io/database.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace rapport_cli {

/// The database settings of a scoring run.
struct DbArgs {
  std::string db;             ///< `sqlite:PATH` or a PostgreSQL URI ("" = read CSV files)
  std::string tables;         ///< `customers=crm.clients,...`
  std::string out_table;      ///< scores table ("" = none)
  std::string history_table;  ///< history table ("" = none)
  std::string runs_table = "rapport_runs";  ///< runs table when writing ("" = none)
  rapport::seconds_t started = 0;  ///< when loading started (UTC), for the runs table
};

/// Adds `--db URI` and `--tables MAP` to a command, and with `write` also `--out-table`,
/// `--history-table` and `--runs-table`.
void add_db_options(CLI::App& command, DbArgs& args, bool write);

/// The tables a run writes back.
rapport::DbWriteOptions write_options(const DbArgs& args);

/// Loads the base from args.db (records the start time). @throws as rapport::load_db.
rapport::LoadResult load_from_db(DbArgs& args, const rapport::LoadOptions& options);

/// Writes the scores, history and run back when a table is asked for (needs --db).
void write_back_if_asked(const DbArgs& args, const rapport::CustomerBase& base, const rapport::LoadReport& report,
                         const rapport::ScoreResult& result, const rapport::ScoringConfig& config);

/// The settings of `rapport import`.
struct ImportArgs {
  std::string dir;     ///< directory with the CSV files
  DbArgs db;           ///< --db and --tables
  bool strict = false; ///< any rejected row is an error
};

/// Adds `rapport import DIR --db URI [--tables MAP] [--strict]`.
CLI::App* add_import_command(CLI::App& app, ImportArgs& args);

/// Runs the import: loads the CSV files (same rejects as `score`), writes the accepted rows into
/// the four tables, prints what was written and the rejected counts per table. Returns the exit status.
int run_import(const ImportArgs& args);

}  // namespace rapport_cli
