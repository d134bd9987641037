// `rapport history`: one read of the input, one scoring per as-of date, one long table.
#include "history_command.hpp"

#include "db/db_module.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

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

namespace {

/// Checks what the run reads and writes before anything is read: the --db settings, something to
/// write (--out and/or --history-table), no --out-table (a history has no single scores table).
/// @throws ConfigError.
void check_history_args(const HistoryArgs& args) {
  const ScoreArgs& a = args.score;
  check_db_args(a.db, score_csv_inputs_given(a));
  if (!a.db.out_table.empty())
    throw ConfigError("history stores its dates with --history-table; --out-table is for `rapport score`");
  if (a.out.empty() && a.db.history_table.empty())
    throw ConfigError("history needs --out F and/or --db URI --history-table T");
}

/// One date's streamed run into the history CSV and/or the database write-back, its value models
/// checked (as `score` does) at its first batch, before any of its rows is written.
class DateSink : public ScoreSink {
public:
  DateSink(ScoresCsvWriter* csv, DbScoresWriter* db, const LoadResult& loaded, const ScoringConfig& cfg, bool strict)
      : csv_(csv),
        db_(db),
        summary_(db && db->needs_summary() ? std::make_unique<SummaryRows>(loaded.base, loaded.report, cfg) : nullptr),
        strict_(strict) {}
  void rows(const ScoreResult& batch, std::size_t first) override {
    if (!checked_) score_check_value_models(batch, strict_);
    checked_ = true;
    if (csv_) csv_->rows(batch, first);
    if (summary_) summary_->add(batch, first);
    if (db_) db_->rows(batch, first);
  }
  /// The check for a date without scored customers (no batch came); the date's run ended in the
  /// database (its runs-table row, `started` when its scoring began).
  void finish(const ScoreResult& run, seconds_t started) {
    if (!checked_) score_check_value_models(run, strict_);
    if (!db_) return;
    std::optional<Summary> summary;
    if (summary_) summary = summary_->summary(run);
    db_->end_run(run, {started, now_utc()}, summary ? &*summary : nullptr);
  }

private:
  ScoresCsvWriter* csv_;
  DbScoresWriter* db_;
  std::unique_ptr<SummaryRows> summary_;
  bool strict_;
  bool checked_ = false;
};

/// Scores every date, each streamed (score_to: one batch of rows held at a time): into the history
/// CSV with --out, and with --history-table into the database writer `db` (null without one), whose
/// one transaction holds every date, so that a failure at any date leaves the table as it was.
void score_dates(const HistoryArgs& args, const LoadResult& loaded, const ScoringConfig& cfg,
                 const std::vector<day_t>& dates, DbScoresWriter* db) {
  std::unique_ptr<ScoresCsvWriter> csv;
  if (!args.score.out.empty()) csv = std::make_unique<ScoresCsvWriter>(args.score.out, loaded.base, cfg.threads, true);
  for (const day_t d : dates) {
    const seconds_t started = now_utc();
    DateSink sink(csv.get(), db, loaded, cfg, args.score.strict);
    sink.finish(score_to(sink, loaded.base, d, cfg), started);
  }
  if (csv) csv->commit();
}

}  // namespace

CLI::App* add_history_command(CLI::App& app, HistoryArgs& args) {
  auto* cmd =
      app.add_subcommand("history", "Scores at several as-of dates, one long table (as_of, then the score columns)");
  ScoreArgs& a = args.score;
  cmd->add_option("DIR", a.dir, "Directory holding customers.csv and optionally the other tables");
  cmd->add_option("--customers", a.customers, "customers CSV (overrides DIR's)");
  cmd->add_option("--contacts", a.contacts, "contacts CSV (overrides DIR's)");
  cmd->add_option("--purchases", a.purchases, "purchases CSV (overrides DIR's)");
  cmd->add_option("--referrals", a.referrals, "referrals CSV (overrides DIR's)");
  cmd->add_option("--as-of", args.dates, "As-of dates YYYY-MM-DD, comma-separated")->required();
  cmd->add_option("--out", a.out, "Write the history CSV here ('-' = standard output)");
  cmd->add_option("--config", a.config, "Scoring config JSON");
  cmd->add_option("--threads", a.threads, "Worker threads (0 = the config's)");
  cmd->add_option("--intervals", a.intervals, "Add the value intervals' _lo/_hi columns at this level (e.g. 0.9)");
  cmd->add_option("--interval-method", a.interval_method, "parametric (default) or bootstrap");
  cmd->add_option("--interval-draws", a.interval_draws, "Parameter draws (bootstrap: resamples), default 1000");
  cmd->add_flag("--strict", a.strict, "Fail on the first rejected row or an unfittable value model");
  cmd->add_flag("--quiet", a.quiet, "Print no timing");
  return cmd;
}

int run_history(HistoryArgs args) {
  using Clock = std::chrono::steady_clock;
  ScoreArgs& a = args.score;
  check_history_args(args);
  bool sample = false;
  const InputFiles files = score_inputs(a, sample);
  std::vector<NamedPath> outputs;
  if (!a.out.empty()) outputs.push_back({"--out", a.out});
  check_outputs(score_input_paths(files, a), outputs);
  const ScoringConfig cfg = score_config(a);
  const std::vector<day_t> dates = parse_date_list("--as-of", args.dates);

  const auto t0 = Clock::now();
  const LoadResult loaded = score_load(files, a);
  const auto t1 = Clock::now();
  OutputBatch batch;  // the CSV is put in place only once the database has committed
  const auto db = open_write_back(a.db, loaded);
  score_dates(args, loaded, cfg, dates, db.get());
  if (db) {
    db->commit();
    std::fprintf(stderr, "wrote %zu dates to %s history %s\n", dates.size(),
                 db_functions().redact_uri(a.db.uri).c_str(), a.db.history_table.c_str());
  }
  batch.commit();
  const auto t2 = Clock::now();
  print_rejects(loaded.report, "");
  if (!a.quiet)
    std::fprintf(stderr, "loaded in %.3f s, scored %zu dates and wrote them in %.3f s\n",
                 std::chrono::duration<double>(t1 - t0).count(), dates.size(),
                 std::chrono::duration<double>(t2 - t1).count());
  return 0;
}

}  // namespace rapport::cli
