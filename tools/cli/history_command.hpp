// rapport CLI: `rapport history` — scores at several as-of dates in one long table.
#pragma once

#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace rapport::cli {

/// Arguments of `rapport history`: the score command's inputs, config and --out, and the dates.
struct HistoryArgs {
  ScoreArgs score;    ///< DIR, --customers … or --db, --config, --threads, --strict, --quiet, --out
  std::string dates;  ///< --as-of D1,D2,... (YYYY-MM-DD, comma-separated)
};

/// The dates of `option D1,D2,...` (YYYY-MM-DD, comma-separated), in the order given.
/// @throws InputError naming the option for a malformed date.
std::vector<day_t> parse_date_list(const std::string& option, const std::string& list);

/// How `rapport history` scores `base` at one date: score(), then the value-model check
/// (an error under `strict`, else a warning). Also the report's `--history` runs.
std::function<ScoreResult(day_t)> history_scorer(const CustomerBase& base, const ScoringConfig& config, bool strict);

/// Adds `rapport history [DIR] --as-of D1,D2,... --out F [--config F] [--threads N] [--strict]`;
/// main adds the database options (--db, --tables, --history-table, --runs-table).
CLI::App* add_history_command(CLI::App& app, HistoryArgs& args);

/// Runs `rapport history`: reads the input once (CSV files, or --db as `rapport score --db`
/// does), then scores it at each date in the order given. With --out it writes one CSV with an
/// `as_of` column followed by the score columns; each date's rows are byte for byte the rows
/// `rapport score --as-of D` writes. With --history-table each date's rows are stored as
/// `rapport score --history-table` stores them (replacing that as_of's rows), every date in one
/// transaction, one runs-table row per date. Every date is streamed (score_to) into both. Returns
/// the exit code.
/// @throws rapport::Error on failure (no date, a malformed date, unreadable input, nothing to
/// write, an output onto the SQLite input, …).
int run_history(HistoryArgs args);

}  // namespace rapport::cli
