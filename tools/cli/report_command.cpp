// rapport CLI: the visual report (`rapport report ...` and `rapport score ... --report F`).
#include "report_command.hpp"

#include "history_command.hpp"

#include <rapport/io/html_report.hpp>

#include <chrono>
#include <cstdio>
#include <optional>

namespace rapport_cli {

namespace {

void add_appearance_options(CLI::App& cmd, ReportArgs& args) {
  cmd.add_option("--currency", args.currency, "Symbol written before amounts in the report, e.g. '€' or '$'");
  cmd.add_option("--report-title", args.title, "Title of the report page");
  cmd.add_option("--history", args.history,
                 "Also score at these as-of dates (YYYY-MM-DD, comma-separated) and show the trends of the means");
  cmd.add_option("--holdout-from", args.holdout_from,
                 "Also check the value model on the holdout from this day (YYYY-MM-DD), as `rapport validate`, "
                 "and show it in the report");
  cmd.add_option("--holdout-to", args.holdout_to,
                 "Last day of that holdout (YYYY-MM-DD); default: the last purchase day");
}

}  // namespace

void add_report_options(CLI::App& score, ReportArgs& args) {
  score.add_option("--report", args.out, "Write the visual report (one self-contained HTML page) here");
  add_appearance_options(score, args);
}

CLI::App* add_report_command(CLI::App& app, std::string& dir, std::string& as_of, std::string& config_path,
                             unsigned& threads, ReportArgs& args) {
  auto* cmd =
      app.add_subcommand("report", "Score a customer base and write the visual report (one self-contained HTML page)");
  cmd->add_option("DIR", dir,
                  "Directory with customers.csv [contacts.csv purchases.csv referrals.csv] (default: the sample)");
  cmd->add_option("--as-of", as_of, "Score as of this date (YYYY-MM-DD); default: the latest date in the data");
  cmd->add_option("--config", config_path, "ScoringConfig as JSON");
  cmd->add_option("--threads", threads, "Worker threads (default: all cores)");
  cmd->add_option("--out", args.out, "Write the HTML report here")->required();
  add_appearance_options(*cmd, args);
  return cmd;
}

void write_report_if_asked(const ReportArgs& args, const rapport::CustomerBase& base, const rapport::LoadReport& report,
                           const rapport::ScoreResult& result, const rapport::ScoringConfig& config, bool strict,
                           const rapport::Summary* summary) {
  if (args.out.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  rapport::HtmlReportOptions options;
  options.currency = args.currency;
  if (!args.title.empty()) options.title = args.title;
  if (!args.history.empty())
    options.history = rapport::history_points(rapport::cli::parse_date_list("--history", args.history),
                                              rapport::cli::history_scorer(base, config, strict));
  if (!args.holdout_to.empty() && args.holdout_from.empty())
    throw rapport::ConfigError("--holdout-to needs --holdout-from (the holdout's first day)");
  if (!args.holdout_from.empty()) {
    const auto to =
        args.holdout_to.empty()
            ? std::nullopt
            : std::optional<rapport::day_t>(rapport::cli::parse_date_option("--holdout-to", args.holdout_to));
    options.validation = rapport::report_validation(
        base, result, config, rapport::cli::parse_date_option("--holdout-from", args.holdout_from), to);
  }
  const std::string html = summary ? rapport::html_report(base, report, result, config, *summary, options)
                                   : rapport::html_report(base, report, result, config, options);
  rapport::write_file_atomically(args.out, html);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "report: %s (%zu bytes, %.3f s)\n", args.out.c_str(), html.size(), seconds);
}

}  // namespace rapport_cli
