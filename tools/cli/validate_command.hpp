// rapport CLI: `rapport validate` — the value models checked on a calibration/holdout split.
#pragma once

#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace rapport::cli {

/// Arguments of `rapport validate`: the score command's inputs (DIR, --customers …, --config,
/// --threads, --strict, --quiet), --out (the JSON) and --report (the HTML page), and the split.
struct ValidateArgs {
  ScoreArgs score;                     ///< inputs, config, --out JSON, --report HTML (score.report.out)
  std::string holdout_from;            ///< --holdout-from D1
  std::string holdout_to;              ///< --holdout-to D2 ("" = the last purchase day)
  std::string value_models = "bgnbd";  ///< --value-model M[,M...] or all
};

/// Adds `rapport validate [DIR] --holdout-from D1 [--holdout-to D2] [--value-model M,...|all]
/// --out F.json [--report F.html] [--config F] [--threads N] [--strict] [--quiet]`; main adds --db
/// and --tables.
CLI::App* add_validate_command(CLI::App& app, ValidateArgs& args);

/// Runs `rapport validate`: reads the input once (CSV files or --db, the same rejects as
/// `score`), fits each model on the purchases before D1 and writes the comparison with the holdout
/// [D1, D2] as JSON (--out) and an HTML page (--report); prints a one-line verdict per model
/// unless --quiet. Under --strict a rejected row or a model that cannot be fitted is an error.
/// Returns the exit code. @throws rapport::Error on failure.
int run_validate(ValidateArgs args);

}  // namespace rapport::cli
