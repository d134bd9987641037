// rapport command line: the arguments of each command and the steps they share.
#pragma once

#include <rapport/rapport.hpp>

#include "report_command.hpp"

#include <memory>
#include <string>
#include <vector>

namespace rapport::detail {
struct DbFunctions;
}  // namespace rapport::detail

namespace rapport::cli {

/// The database side of a scoring run: where the tables are read from and written back to.
struct DbArgs {
  std::string uri;                          ///< --db `sqlite:PATH` or a PostgreSQL URI ("" = read CSV files)
  std::string tables;                       ///< --tables `customers=crm.clients,...`
  std::string out_table;                    ///< --out-table: the scores ("" = none)
  std::string history_table;                ///< --history-table: headline scores per as-of date ("" = none)
  std::string runs_table = "rapport_runs";  ///< --runs-table when writing ("" = none)
};

/// Arguments of `rapport score` (also the command run without a subcommand).
struct ScoreArgs {
  std::string dir;                 ///< DIR with customers.csv and the others (or empty)
  std::string customers;           ///< --customers
  std::string contacts;            ///< --contacts
  std::string purchases;           ///< --purchases
  std::string referrals;           ///< --referrals
  std::string as_of;               ///< --as-of YYYY-MM-DD
  std::string out;                 ///< --out scores CSV
  std::string summary;             ///< --summary JSON
  std::string explain;             ///< --explain JSON lines
  std::string rejects;             ///< --rejects CSV
  std::string config;              ///< --config JSON
  unsigned threads = 0;            ///< --threads (0 = the config's)
  double intervals = 0;            ///< --intervals LEVEL (0 = the config's)
  std::string interval_method;     ///< --interval-method parametric|bootstrap ("" = the config's)
  unsigned interval_draws = 0;     ///< --interval-draws B (0 = the config's)
  bool strict = false;             ///< --strict
  bool quiet = false;              ///< --quiet
  rapport_cli::ReportArgs report;  ///< --report F (and `rapport report`)
  DbArgs db;                       ///< --db URI, --tables, the write-back tables
};

/// Arguments of `rapport graph`.
struct GraphArgs {
  std::string algorithm;     ///< pagerank or katz
  std::string edges;         ///< EDGES file
  std::string out;           ///< --out id,value CSV (empty: top 20 on stdout)
  PageRankOptions pagerank;  ///< --damping, --tolerance, --threads
  KatzOptions katz;          ///< --beta
};

/// Arguments of `rapport generate`.
struct GenerateArgs {
  std::string dir;          ///< output directory
  std::string end;          ///< --end YYYY-MM-DD
  GenerateOptions options;  ///< --customers, --seed, --years, --contact-rate
};

/// Arguments of `rapport import`.
struct ImportArgs {
  std::string dir;      ///< DIR with customers.csv and the others
  std::string uri;      ///< --db URI
  std::string tables;   ///< --tables
  bool strict = false;  ///< --strict
};

/// Runs `rapport score`; returns the exit code. Throws rapport::Error on failure.
int run_score(ScoreArgs args);
/// Runs `rapport graph`; returns the exit code. Throws rapport::Error on failure.
int run_graph(GraphArgs args);
/// Runs `rapport generate`; returns the exit code. Throws rapport::Error on failure.
int run_generate(GenerateArgs args);
/// Runs `rapport import`: loads DIR's CSV files (the same rejects as `score`) and writes the
/// accepted rows into the database's four tables; returns the exit code. Throws rapport::Error.
int run_import(ImportArgs args);

/// `rapport score`'s steps, shared with `rapport history`: the input files (DIR's or the bundled
/// sample's, overridden per table), the inputs as named paths, the config (--config, --threads),
/// loading (--strict), and the value-model check (error in strict mode, else a warning).
InputFiles score_inputs(ScoreArgs& args, bool& sample);
std::vector<NamedPath> score_input_paths(const InputFiles& files, const ScoreArgs& args);
ScoringConfig score_config(const ScoreArgs& args);
LoadResult score_load(const InputFiles& files, const ScoreArgs& args);
void score_check_value_models(const ScoreResult& result, bool strict);
/// Whether CSV inputs were named (DIR, --customers, --contacts, --purchases, --referrals).
bool score_csv_inputs_given(const ScoreArgs& args);

// check_outputs and NamedPath: rapport/io/writers.hpp (the one check the Python functions share).

// ---- databases (db_command.cpp, db_module.cpp)

/// The database functions (src/db/db_module.hpp), from the database module loaded on the first
/// call: the one way the command line reaches the db area, so that only a command that names a
/// database loads libpq and libsqlite3. @throws InternalError naming the module's path and the
/// loader's message when it cannot be loaded or is of another build.
const detail::DbFunctions& db_functions();

/// Checks the database settings before anything is read: the table names are plain, the
/// write-back tables have a database to go to, and the tables come from one place (--db, or CSV
/// files). @throws ConfigError.
void check_db_args(const DbArgs& db, bool csv_inputs);

/// The SQLite file a --db URI names, as a path of the run for check_outputs (none for
/// PostgreSQL): an input of `score` (no output may land on it), the output of `import`.
std::vector<NamedPath> db_file_paths(const std::string& uri);

/// Loads the base from the database (`options` as for CSV: strict, on_reject).
LoadResult load_db_tables(const DbArgs& db, const LoadOptions& options);

/// Writes the scores, history and run back when a table is asked for; `started`: when the run
/// started (UTC seconds); `summary`: the run's summary when already computed (nullptr: computed
/// when the runs table is written).
void write_back(const DbArgs& db, const LoadResult& loaded, const ScoreResult& result, const ScoringConfig& config,
                seconds_t started, const Summary* summary = nullptr);

/// The streamed write-back (score_to's sink) of a run with --out-table or --history-table; null
/// without either. @throws as rapport::open_db_writer().
std::unique_ptr<DbScoresWriter> open_write_back(const DbArgs& db, const LoadResult& loaded);

/// Prints `wrote N scores to URI table T history H` (stderr) once a write-back has committed.
void print_written_back(const DbArgs& db, std::size_t scores);

/// Whether write_back() records a run in the runs table (and so needs the run's summary).
bool writes_run(const DbArgs& db);
/// Whether --out-table or --history-table writes into the database.
bool writes_back(const DbArgs& db);
/// The tables --out-table, --history-table and --runs-table name.
DbWriteOptions write_options(const DbArgs& db);

/// Now, in UTC seconds.
seconds_t now_utc();

/// Parses a YYYY-MM-DD option value. @throws InputError naming the option.
day_t parse_date_option(const std::string& option, const std::string& value);

/// Why each value model could not be fitted, one line each (empty when both are fitted or
/// given).
std::vector<std::string> value_model_problems(const ScoreResult& result);

/// Prints the first rejected rows as `file:line:column: rejected: reason` on stderr and, past
/// them, how many there are in all (and where every one is written, when `rejects_path` is set).
void print_rejects(const LoadReport& report, const std::string& rejects_path);

/// The console report of a scoring run, its figures gathered batch by batch (a streamed run's
/// sink): the sums and counts of the means, and the ten first rows of its two lists (by up-serve
/// value; the ask-now rows by referral potential; ties and NaN values in row order, after the numbers).
class ConsoleReport : public ScoreSink {
public:
  /// Adds a batch (rows [first, first + batch.scores.size()), in order).
  void rows(const ScoreResult& batch, std::size_t first) override;
  /// Prints the report (stdout); `run`: the run's value models, referral forest and as-of date
  /// (score_to()'s result, or the whole result).
  void print(const CustomerBase& base, const LoadReport& report, const ScoreResult& run);

private:
  static constexpr std::size_t shown = 10;  ///< rows per list
  /// What a list shows of a row.
  struct Row {
    std::size_t row;
    std::uint32_t customer;
    double loyalty_given, p_alive, expected_value, upserve_value;
    NextAction next_action;
    double referral_potential, advocacy, timing;
  };
  /// Sorts a list by `key` (decreasing, ties in row order) and keeps its first `shown` rows.
  static void keep_top(std::vector<Row>& rows, double Row::*key);

  std::size_t rows_ = 0, alive_ = 0, ask_ = 0;
  double loyalty_sum_ = 0, referral_sum_ = 0;
  std::vector<Row> upserve_, referral_;
};

/// Prints the console report of a whole scoring run (stdout): ConsoleReport over its one batch.
void print_report(const CustomerBase& base, const LoadReport& report, const ScoreResult& result);

}  // namespace rapport::cli
