// `rapport history`: one read of the input, one scoring per as-of date, one long table.
#include "history_command.hpp"

#include <chrono>
#include <cstdio>

namespace rapport::cli {

std::vector<day_t> parse_date_list(const std::string& option, const std::string& list) {
  std::vector<day_t> dates;
  std::size_t from = 0;
  while (from <= list.size()) {
    const std::size_t comma = std::min(list.find(',', from), list.size());
    dates.push_back(parse_date_option(option, list.substr(from, comma - from)));
    from = comma + 1;
  }
  return dates;
}

std::function<ScoreResult(day_t)> history_scorer(const CustomerBase& base, const ScoringConfig& config, bool strict) {
  return [&base, config, strict](day_t d) {
    ScoreResult r = score(base, d, config);
    score_check_value_models(r, strict);
    return r;
  };
}

CLI::App* add_history_command(CLI::App& app, HistoryArgs& args) {
  auto* cmd = app.add_subcommand("history", "Scores at several as-of dates, one long table (as_of, then the score columns)");
  ScoreArgs& a = args.score;
  cmd->add_option("DIR", a.dir, "Directory holding customers.csv and optionally the other tables");
  cmd->add_option("--customers", a.customers, "customers CSV (overrides DIR's)");
  cmd->add_option("--contacts", a.contacts, "contacts CSV (overrides DIR's)");
  cmd->add_option("--purchases", a.purchases, "purchases CSV (overrides DIR's)");
  cmd->add_option("--referrals", a.referrals, "referrals CSV (overrides DIR's)");
  cmd->add_option("--as-of", args.dates, "As-of dates YYYY-MM-DD, comma-separated")->required();
  cmd->add_option("--out", a.out, "Write the history CSV here ('-' = standard output)")->required();
  cmd->add_option("--config", a.config, "Scoring config JSON");
  cmd->add_option("--threads", a.threads, "Worker threads (0 = the config's)");
  cmd->add_flag("--strict", a.strict, "Fail on the first rejected row or an unfittable value model");
  cmd->add_flag("--quiet", a.quiet, "Print no timing");
  return cmd;
}

int run_history(HistoryArgs args) {
  using Clock = std::chrono::steady_clock;
  ScoreArgs& a = args.score;
  bool sample = false;
  const InputFiles files = score_inputs(a, sample);
  check_outputs(score_input_paths(files, a), {{"--out", a.out}});
  const ScoringConfig cfg = score_config(a);
  const std::vector<day_t> dates = parse_date_list("--as-of", args.dates);

  const auto t0 = Clock::now();
  const LoadResult loaded = score_load(files, a);
  const auto t1 = Clock::now();
  write_history_csv(a.out, loaded.base, dates, history_scorer(loaded.base, cfg, a.strict), cfg.threads);
  const auto t2 = Clock::now();
  print_rejects(loaded.report, "");
  if (!a.quiet)
    std::fprintf(stderr, "loaded in %.3f s, scored %zu dates and wrote them in %.3f s\n",
                 std::chrono::duration<double>(t1 - t0).count(), dates.size(),
                 std::chrono::duration<double>(t2 - t1).count());
  return 0;
}

}  // namespace rapport::cli
