// `rapport validate`: one read of the input, one calibration/holdout check, JSON and HTML out.
#include "validate_command.hpp"

#include <rapport/io/validation_report.hpp>
#include <rapport/scoring/validate.hpp>

#include <cstdio>

namespace rapport::cli {

CLI::App* add_validate_command(CLI::App& app, ValidateArgs& args) {
  auto* cmd =
      app.add_subcommand("validate", "Check the value models on a holdout: fit before D1, compare with [D1, D2]");
  ScoreArgs& a = args.score;
  cmd->add_option("DIR", a.dir, "Directory holding customers.csv and optionally the other tables");
  cmd->add_option("--customers", a.customers, "customers CSV (overrides DIR's)");
  cmd->add_option("--contacts", a.contacts, "contacts CSV (overrides DIR's)");
  cmd->add_option("--purchases", a.purchases, "purchases CSV (overrides DIR's)");
  cmd->add_option("--referrals", a.referrals, "referrals CSV (overrides DIR's)");
  cmd->add_option("--holdout-from", args.holdout_from,
                  "First day of the holdout (YYYY-MM-DD); calibration is before it")
      ->required();
  cmd->add_option("--holdout-to", args.holdout_to,
                  "Last day of the holdout (YYYY-MM-DD); default: the last purchase day");
  cmd->add_option("--value-model", args.value_models,
                  "Models to check: bgnbd, pareto_nbd, mbgnbd, bgbb, sbg (comma-separated) or all (bgbb when "
                  "opportunity_days is set, sbg when customers have ended_on)");
  cmd->add_option("--out", a.out, "Write the validation JSON here ('-' = standard output)")->required();
  cmd->add_option("--report", a.report.out, "Write the validation HTML page here");
  cmd->add_option("--config", a.config, "Scoring config JSON (fit options, threads)");
  cmd->add_option("--threads", a.threads, "Worker threads (0 = the config's)");
  cmd->add_flag("--strict", a.strict, "Fail on the first rejected row or a model that cannot be fitted");
  cmd->add_flag("--quiet", a.quiet, "Print nothing but errors");
  return cmd;
}

int run_validate(ValidateArgs args) {
  ScoreArgs& a = args.score;
  check_db_args(a.db, score_csv_inputs_given(a));
  ValidationOptions options;
  options.holdout_from = parse_date_option("--holdout-from", args.holdout_from);
  if (!args.holdout_to.empty()) options.holdout_to = parse_date_option("--holdout-to", args.holdout_to);
  options.models = parse_validation_models(args.value_models);
  options.only_available = args.value_models == "all";  // bgbb and sbg when the base and config can feed them
  bool sample = false;
  const InputFiles files = score_inputs(a, sample);
  std::vector<NamedPath> outputs{{"--out", a.out}};
  if (!a.report.out.empty()) outputs.push_back({"--report", a.report.out});
  check_outputs(score_input_paths(files, a), outputs);
  const ScoringConfig cfg = score_config(a);

  const LoadResult loaded = score_load(files, a);
  print_rejects(loaded.report, "");
  const Validation v = validate(loaded.base, options, cfg);
  for (const auto& m : v.models)
    if (!m.fitted && a.strict) throw FitError(std::string(to_string(m.name)) + ": " + m.error);
  if (!v.spend.fitted && a.strict) throw FitError("gamma_gamma: " + v.spend.error);
  write_file_atomically(a.out, to_json(v) + "\n");
  if (!a.report.out.empty()) write_file_atomically(a.report.out, validation_html(v));
  if (a.quiet) return 0;
  std::fprintf(stderr, "holdout %s..%s: %zu customers, %.0f repeat purchases\n", format_date(v.holdout_from).c_str(),
               format_date(v.holdout_to).c_str(), v.customers, v.actual_total);
  for (const auto& m : v.models) {
    const std::string name(to_string(m.name));
    if (!m.fitted)
      std::fprintf(stderr, "warning: %s could not be fitted: %s\n", name.c_str(), m.error.c_str());
    else
      std::fprintf(stderr, "%-10s %.0f %s, predicted %.1f (%+.1f%%), MAE %.4f, RMSE %.4f, correlation %.3f\n",
                   name.c_str(), m.actual_total, std::string(validation_unit(m.name)).c_str(), m.predicted_total,
                   m.percent_error, m.mae, m.rmse, m.correlation);
  }
  if (!v.spend.fitted) std::fprintf(stderr, "warning: gamma_gamma could not be fitted: %s\n", v.spend.error.c_str());
  return 0;
}

}  // namespace rapport::cli
