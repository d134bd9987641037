// rapport CLI: the visual report (`rapport report ...` and `rapport score ... --report F`).
#pragma once

#include <rapport/rapport.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace rapport_cli {

/// The report's own command-line settings.
struct ReportArgs {
  std::string out;           ///< where to write the HTML page ("" = no report)
  std::string currency;      ///< symbol written before amounts
  std::string title;         ///< page title ("" = the default)
  std::string history;       ///< --history D1,D2,...: dates whose means the page's trends show ("" = none)
  std::string holdout_from;  ///< --holdout-from D1: a validation section on the holdout [D1, D2] ("" = none)
  std::string holdout_to;    ///< --holdout-to D2 ("" = the last purchase day)
};

/// Adds `--report F`, `--currency S`, `--report-title T`, `--history D1,...` and `--holdout-from D1
/// [--holdout-to D2]` to the score command.
void add_report_options(CLI::App& score, ReportArgs& args);

/// Adds `rapport report [DIR] [--as-of D] [--config F] [--threads N] --out F`; DIR, --as-of,
/// --config and --threads bind the score command's variables, so scoring runs exactly as there.
CLI::App* add_report_command(CLI::App& app, std::string& dir, std::string& as_of, std::string& config_path,
                             unsigned& threads, ReportArgs& args);

/// Writes the HTML report when args.out is set, and prints its path, size and generation time.
/// With args.history, the base is also scored at those dates as `rapport history` scores it
/// (`strict` as there) and the page shows the trends of the means.
/// With args.holdout_from, the run's purchase model is also checked on that holdout
/// (rapport::report_validation, as `rapport validate --value-model <the run's model>`) and the page
/// shows the validation section.
/// `summary`: the run's summary when already computed (nullptr: computed here).
/// @throws rapport::InputError naming --history / --holdout-from / --holdout-to for a malformed date;
/// rapport::ConfigError when --holdout-to is given without --holdout-from; as rapport::validate().
void write_report_if_asked(const ReportArgs& args, const rapport::CustomerBase& base, const rapport::LoadReport& report,
                           const rapport::ScoreResult& result, const rapport::ScoringConfig& config, bool strict,
                           const rapport::Summary* summary = nullptr);

}  // namespace rapport_cli
