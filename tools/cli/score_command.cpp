// `rapport score`: resolve inputs and outputs, check outputs, load, score, write, print.
#include "cli.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <utility>

#include <unistd.h>

namespace fs = std::filesystem;

namespace rapport::cli {

namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

std::string default_sample_dir() {
  for (const char* d : {RAPPORT_EXAMPLES_DIR, RAPPORT_INSTALLED_EXAMPLES_DIR})
    if (fs::exists(fs::path(d) / "customers.csv")) return d;
  return RAPPORT_EXAMPLES_DIR;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool csv_inputs_given(const ScoreArgs& args) {
  return !args.dir.empty() || !args.customers.empty() || !args.contacts.empty() || !args.purchases.empty() ||
         !args.referrals.empty();
}

/// The input files: DIR's (the bundled sample without any input), overridden per table; none
/// when the tables come from --db.
InputFiles resolve_inputs(ScoreArgs& args, bool& sample) {
  InputFiles files;
  sample = args.dir.empty() && args.customers.empty() && args.db.uri.empty();
  if (sample) args.dir = default_sample_dir();
  if (!args.dir.empty()) files = InputFiles::from_directory(args.dir);
  if (!args.customers.empty()) files.customers = args.customers;
  if (!args.contacts.empty()) files.contacts = args.contacts;
  if (!args.purchases.empty()) files.purchases = args.purchases;
  if (!args.referrals.empty()) files.referrals = args.referrals;
  return files;
}

std::vector<NamedPath> input_paths(const InputFiles& files, const ScoreArgs& args) {
  std::vector<NamedPath> in;
  const std::pair<const char*, const std::string*> tables[] = {{"--customers", &files.customers},
                                                               {"--contacts", &files.contacts},
                                                               {"--purchases", &files.purchases},
                                                               {"--referrals", &files.referrals},
                                                               {"--config", &args.config}};
  for (const auto& [option, path] : tables)
    if (!path->empty()) in.push_back({option, *path});
  for (auto& db : db_file_paths(args.db.uri)) in.push_back(std::move(db));
  return in;
}

std::vector<NamedPath> output_paths(const ScoreArgs& args) {
  std::vector<NamedPath> out;
  const std::pair<const char*, const std::string*> outputs[] = {{"--out", &args.out},
                                                                {"--summary", &args.summary},
                                                                {"--explain", &args.explain},
                                                                {"--rejects", &args.rejects},
                                                                {"--report", &args.report.out}};
  for (const auto& [option, path] : outputs)
    if (!path->empty()) out.push_back({option, *path});
  return out;
}

ScoringConfig resolve_config(const ScoreArgs& args) {
  ScoringConfig cfg;
  if (!args.config.empty()) cfg = config_from_json(read_text(args.config));
  if (args.threads) cfg.threads = args.threads;
  if (args.intervals != 0) cfg.intervals = args.intervals;
  if (!args.interval_method.empty()) {
    const auto m = parse_interval_method(args.interval_method);
    if (!m) throw ConfigError("--interval-method must be parametric or bootstrap (got '" + args.interval_method + "')");
    cfg.interval_method = *m;
  }
  if (args.interval_draws) cfg.interval_draws = args.interval_draws;
  validate(cfg);
  return cfg;
}

LoadResult load(const InputFiles& files, const ScoreArgs& args, RejectsCsvWriter* rejects) {
  LoadOptions options;
  options.strict = args.strict;
  if (rejects) options.on_reject = [rejects](const RejectedRow& row) { rejects->add(row); };
  return args.db.uri.empty() ? load_csv(files, options) : load_db_tables(args.db, options);
}

/// Progress on stderr when it is a terminal: at most once per percent, the line ended once.
ProgressFn progress_printer(bool quiet) {
  if (quiet || ::isatty(2) == 0) return {};
  return [last = std::make_shared<std::pair<std::mutex, std::size_t>>()](std::size_t done, std::size_t total) {
    std::lock_guard lock(last->first);  // called from worker threads
    const std::size_t pct = total ? done * 100 / total : 100;
    if (pct <= last->second && !(last->second == 0 && pct == 0)) return;
    last->second = pct;
    std::fprintf(stderr, "\rscoring %zu / %zu customers (%zu%%)", done, total, pct);
    if (done >= total) std::fprintf(stderr, "\n");
  };
}

/// In strict mode a value model that could not be fitted is the fit error; otherwise a warning.
void check_value_models_step(const ScoreResult& result, bool strict) {
  if (strict) check_value_models(result);
  for (const auto& p : value_model_problems(result))
    std::fprintf(stderr, "rapport: warning: value model not fitted, its columns are empty: %s\n", p.c_str());
}

/// Every output of the run, all or nothing (docs/outputs.md): the files wait in their temporary
/// files until the last one and the database write-back succeeded, then go in place together.
void write_outputs(const ScoreArgs& args, const LoadResult& loaded, const ScoreResult& result, const ScoringConfig& cfg,
                   std::unique_ptr<RejectsCsvWriter> rejects, seconds_t started) {
  OutputBatch batch;
  if (!args.out.empty()) write_scores_csv(args.out, loaded.base, result, cfg.threads);
  std::optional<Summary> summary;  // computed once for --summary, --report and the runs table
  if (!args.summary.empty() || !args.report.out.empty() || writes_run(args.db))
    summary = summarize(loaded.base, loaded.report, result, cfg);
  if (!args.summary.empty()) write_file_atomically(args.summary, to_json(*summary) + "\n");
  if (!args.explain.empty()) write_explain_jsonl(args.explain, loaded.base, result, cfg);
  rapport_cli::write_report_if_asked(args.report, loaded.base, loaded.report, result, cfg, args.strict,
                                     summary ? &*summary : nullptr);
  if (rejects) rejects->commit();
  write_back(args.db, loaded, result, cfg, started, summary ? &*summary : nullptr);
  batch.commit();
}

/// Whether the run can stream its scores (score_to): every output it asks for is written batch by
/// batch — the scores CSV, the explanations, the summary, the database write-back and the console
/// report; the visual report (html_report) reads the whole result.
bool streams(const ScoreArgs& args) { return args.report.out.empty(); }

/// A streamed run's sink: the scores CSV, the explanations, the summary's rows and the database
/// write-back, batch by batch; the value models are checked at the first batch (before any row is written).
class RunSink : public ScoreSink {
public:
  RunSink(const ScoreArgs& args, const LoadResult& loaded, const ScoringConfig& cfg, bool console)
      : strict_(args.strict),
        console_(console ? std::make_unique<ConsoleReport>() : nullptr),
        scores_(args.out.empty() ? nullptr : std::make_unique<ScoresCsvWriter>(args.out, loaded.base, cfg.threads)),
        explain_(args.explain.empty() ? nullptr : std::make_unique<ExplainJsonlWriter>(args.explain, loaded.base, cfg)),
        db_(open_write_back(args.db, loaded)),
        summary_(args.summary.empty() && !(db_ && db_->needs_summary())
                     ? nullptr
                     : std::make_unique<SummaryRows>(loaded.base, loaded.report, cfg)) {}
  void rows(const ScoreResult& batch, std::size_t first) override {
    if (rows_ == 0) check_value_models_step(batch, strict_);
    if (scores_) scores_->rows(batch, first);
    if (explain_) explain_->rows(batch, first);
    if (summary_) summary_->add(batch, first);
    if (db_) db_->rows(batch, first);
    if (console_) console_->rows(batch, first);
    rows_ += batch.scores.size();
  }
  /// Puts the files in place (in the caller's OutputBatch) and ends the database run once the run
  /// is done; the database commits in commit().
  void finish(const ScoreResult& run, const ScoreArgs& args, seconds_t started) {
    if (rows_ == 0) check_value_models_step(run, strict_);
    if (scores_) scores_->commit();
    if (explain_) explain_->commit();
    std::optional<Summary> summary;
    if (summary_) summary = summary_->summary(run);
    if (!args.summary.empty()) write_file_atomically(args.summary, to_json(*summary) + "\n");
    if (db_) db_->end_run(run, {started, now_utc()}, summary ? &*summary : nullptr);
  }
  /// Commits the database write-back (before the files go in place: a failed commit drops them).
  void commit_database(const DbArgs& db) {
    if (!db_) return;
    db_->commit();
    print_written_back(db, rows_);
  }
  std::size_t scored() const noexcept { return rows_; }
  /// The console report, when the run shows one (null otherwise).
  ConsoleReport* console() const noexcept { return console_.get(); }

private:
  bool strict_;
  std::unique_ptr<ConsoleReport> console_;
  std::unique_ptr<ScoresCsvWriter> scores_;
  std::unique_ptr<ExplainJsonlWriter> explain_;
  std::unique_ptr<DbScoresWriter> db_;
  std::unique_ptr<SummaryRows> summary_;
  std::size_t rows_ = 0;
};

/// The streamed run: scores, summary and database write-back written batch by batch, all or
/// nothing with the rejects; the rejected rows and (`console`) the console report printed after
/// them; returns the customers scored.
std::size_t score_streamed(const ScoreArgs& args, const LoadResult& loaded, const ScoringConfig& cfg,
                           std::optional<day_t> as_of, std::unique_ptr<RejectsCsvWriter> rejects, seconds_t started,
                           bool console) {
  OutputBatch batch;
  RunSink sink(args, loaded, cfg, console);
  const ScoreResult run = score_to(sink, loaded.base, as_of, cfg, progress_printer(args.quiet));
  sink.finish(run, args, started);
  if (rejects) rejects->commit();
  sink.commit_database(args.db);
  batch.commit();
  print_rejects(loaded.report, args.rejects);
  if (sink.console()) sink.console()->print(loaded.base, loaded.report, run);
  return sink.scored();
}

}  // namespace

void print_rejects(const LoadReport& report, const std::string& rejects_path) {
  constexpr std::size_t shown = 20;
  for (std::size_t k = 0; k < std::min(report.rejects.size(), shown); ++k) {
    const auto& r = report.rejects[k];
    std::fprintf(stderr, "%s:%zu:%zu: rejected: %s%s\n", r.file.c_str(), r.line, r.column, r.reason.c_str(),
                 r.column_name.empty() ? "" : (" (column " + r.column_name + ")").c_str());
  }
  const std::size_t total = report.total_rejected();
  if (total <= shown) return;
  if (!rejects_path.empty())
    std::fprintf(stderr, "... %zu rejected rows in all, every one in %s\n", total, rejects_path.c_str());
  else
    std::fprintf(stderr, "... %zu rejected rows in all%s (use --rejects F.csv for every one)\n", total,
                 report.rejects_not_kept ? ", the summary's reasons cover the first ones kept" : "");
}

namespace {

bool writes_to_stdout(const ScoreArgs& args) {
  const auto outputs = output_paths(args);
  return std::any_of(outputs.begin(), outputs.end(), [](const NamedPath& p) { return p.path == "-"; });
}

}  // namespace

std::vector<std::string> value_model_problems(const ScoreResult& result) {
  std::vector<std::string> out;
  if (!result.bgnbd_error.empty()) out.push_back(result.bgnbd_error);
  if (!result.gamma_gamma_error.empty()) out.push_back(result.gamma_gamma_error);
  return out;
}

// The steps `rapport history` shares with `rapport score` (cli.hpp).
InputFiles score_inputs(ScoreArgs& args, bool& sample) { return resolve_inputs(args, sample); }
std::vector<NamedPath> score_input_paths(const InputFiles& files, const ScoreArgs& args) {
  return input_paths(files, args);
}
ScoringConfig score_config(const ScoreArgs& args) { return resolve_config(args); }
LoadResult score_load(const InputFiles& files, const ScoreArgs& args) { return load(files, args, nullptr); }
void score_check_value_models(const ScoreResult& result, bool strict) { check_value_models_step(result, strict); }
bool score_csv_inputs_given(const ScoreArgs& args) { return csv_inputs_given(args); }

int run_score(ScoreArgs args) {
  const seconds_t started = now_utc();
  check_db_args(args.db, csv_inputs_given(args));
  bool sample = false;
  const InputFiles files = resolve_inputs(args, sample);
  check_outputs(input_paths(files, args), output_paths(args));
  const ScoringConfig cfg = resolve_config(args);
  std::optional<day_t> as_of;
  if (!args.as_of.empty()) as_of = parse_date_option("--as-of", args.as_of);
  auto rejects = args.rejects.empty() ? nullptr : std::make_unique<RejectsCsvWriter>(args.rejects);

  const auto t0 = Clock::now();
  const LoadResult loaded = load(files, args, rejects.get());
  const auto t1 = Clock::now();
  const bool console = !args.quiet && (args.out.empty() || sample) && !writes_to_stdout(args);
  if (streams(args)) {
    const std::size_t scored = score_streamed(args, loaded, cfg, as_of, std::move(rejects), started, console);
    const auto t2 = Clock::now();
    if (!args.quiet)
      std::fprintf(stderr, "loaded in %.3f s, scored %zu customers and wrote the outputs in %.3f s\n",
                   std::chrono::duration<double>(t1 - t0).count(), scored,
                   std::chrono::duration<double>(t2 - t1).count());
    return 0;
  }
  const ScoreResult result = score(loaded.base, as_of, cfg, progress_printer(args.quiet));
  const auto t2 = Clock::now();
  check_value_models_step(result, args.strict);

  write_outputs(args, loaded, result, cfg, std::move(rejects), started);
  const auto t3 = Clock::now();
  print_rejects(loaded.report, args.rejects);
  if (console) print_report(loaded.base, loaded.report, result);
  if (!args.quiet)
    std::fprintf(stderr, "loaded in %.3f s, scored %zu customers in %.3f s, wrote the outputs in %.3f s\n",
                 std::chrono::duration<double>(t1 - t0).count(), result.scores.size(),
                 std::chrono::duration<double>(t2 - t1).count(), std::chrono::duration<double>(t3 - t2).count());
  return 0;
}

}  // namespace rapport::cli
