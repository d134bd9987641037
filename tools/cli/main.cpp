// rapport: command-line tool. `rapport score`, `rapport report`, `rapport generate`, `rapport graph`,
// `rapport import`, `rapport history`, `rapport validate`.
//
// main() parses the arguments, installs the signal cleanup and runs one command; it is the one
// place where failures become exit codes: a rapport::Error exits with rapport::exit_code(kind)
// (2 input, config or output; 3 model fit), anything else with 1, a usage error with CLI11's code.
#include "cli.hpp"
#include "history_command.hpp"
#include "report_command.hpp"
#include "validate_command.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <exception>

namespace {

using namespace rapport::cli;

// ---------------------------------------------------------------------------------------------
// Signals: remove the temporary files of unfinished outputs, then die of the same signal.
// ---------------------------------------------------------------------------------------------

extern "C" void remove_outputs_and_reraise(int sig) {
  rapport::remove_pending_outputs();  // async-signal-safe
  ::raise(sig);                       // SA_RESETHAND restored the default action
}

/// For every signal whose action is to terminate: only where that action is still the default,
/// so that an ignored SIGHUP (nohup) stays ignored and a sanitizer's crash handler stays.
void install_signal_cleanup() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ, SIGXCPU, SIGALRM, SIGUSR1, SIGUSR2, SIGABRT,
                        SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction sa {};
    sa.sa_handler = remove_outputs_and_reraise;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    ::sigaction(sig, &sa, nullptr);
  }
}

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

void add_score_options(CLI::App& app, ScoreArgs& a) {
  app.add_option("DIR", a.dir, "Directory with customers.csv [contacts.csv purchases.csv referrals.csv]");
  app.add_option("--customers", a.customers, "customers.csv");
  app.add_option("--contacts", a.contacts, "contacts.csv");
  app.add_option("--purchases", a.purchases, "purchases.csv");
  app.add_option("--referrals", a.referrals, "referrals.csv");
  app.add_option("--as-of", a.as_of, "Score as of this date (YYYY-MM-DD); default: the latest date in the data");
  app.add_option("--out", a.out, "Write the scores CSV here ('-' = standard output)");
  app.add_option("--summary", a.summary, "Write the base-wide summary JSON here");
  app.add_option("--explain", a.explain, "Write one JSON explanation per customer (JSON lines) here");
  app.add_option("--rejects", a.rejects, "Write every rejected row (file, line, column, reason, raw row) here");
  app.add_option("--config", a.config, "ScoringConfig as JSON");
  app.add_option("--threads", a.threads, "Worker threads (default: all cores)");
  app.add_option("--intervals", a.intervals,
                 "Add _lo/_hi columns of p_alive, expected_purchases and expected_value at this level (e.g. 0.9)");
  app.add_option("--interval-method", a.interval_method, "parametric (default) or bootstrap");
  app.add_option("--interval-draws", a.interval_draws, "Parameter draws (bootstrap: resamples), default 1000");
  app.add_flag("--strict", a.strict, "Any rejected row, or a value model that cannot be fitted, is an error");
  app.add_flag("--quiet", a.quiet, "Print no report");
}

/// `--db URI` and `--tables MAP`; with `write` also the write-back tables.
void add_db_options(CLI::App& app, DbArgs& a, bool write) {
  app.add_option("--db", a.uri,
                 "Read the tables customers, contacts, purchases, referrals from this database: sqlite:PATH or a "
                 "PostgreSQL URI (postgresql://user@host:port/db)");
  app.add_option("--tables", a.tables, "Table names in the database, e.g. customers=crm.clients,contacts=crm.touches");
  if (!write) return;
  app.add_option("--out-table", a.out_table, "Write the scores into this table (replacing the previous run's)");
  app.add_option("--history-table", a.history_table,
                 "Keep the headline scores per as-of date in this table (replacing the same as-of's)");
  app.add_option("--runs-table", a.runs_table,
                 "Record each run in this table when writing (default rapport_runs; \"\" for none)");
}

void add_import_options(CLI::App& app, ImportArgs& a) {
  app.add_option("DIR", a.dir, "Directory with customers.csv [contacts.csv purchases.csv referrals.csv]")->required();
  app.add_option("--db", a.uri, "The database to load: sqlite:PATH or a PostgreSQL URI")->required();
  app.add_option("--tables", a.tables, "Table names in the database, e.g. customers=crm.clients");
  app.add_flag("--strict", a.strict, "Any rejected row is an error (nothing is written)");
}

void add_generate_options(CLI::App& app, GenerateArgs& a) {
  app.add_option("DIR", a.dir, "Output directory")->required();
  app.add_option("--customers", a.options.customers, "Number of customers (1 to 1e9)")
      ->check(CLI::NonNegativeNumber);  // "-5" must not wrap around to a huge count
  app.add_option("--seed", a.options.seed, "Random seed");
  app.add_option("--end", a.end, "Last day of history (YYYY-MM-DD), default 2026-06-30");
  app.add_option("--years", a.options.years, "Years of acquisition history");
  app.add_option("--contact-rate", a.options.contact_rate_per_year,
                 "Business-initiated contacts per customer-year for a well-served customer");
}

void add_graph_options(CLI::App& app, GraphArgs& a) {
  app.add_option("ALGORITHM", a.algorithm, "pagerank or katz")->required()->check(CLI::IsMember({"pagerank", "katz"}));
  app.add_option("EDGES", a.edges, "referrals.csv (referrer_id, referred_id) or SNAP edge list")->required();
  app.add_option("--out", a.out, "Write id,value CSV here ('-' = standard output; default: top 20 to stdout)");
  app.add_option("--damping", a.pagerank.damping, "PageRank damping factor");
  app.add_option("--tolerance", a.pagerank.tolerance, "L1 convergence tolerance");
  app.add_option("--beta", a.katz.beta, "Katz attenuation");
  app.add_option("--threads", a.pagerank.threads, "Worker threads");
}

const char* kind_label(rapport::ErrorKind kind) {
  switch (kind) {
    case rapport::ErrorKind::input:
      return "input error";
    case rapport::ErrorKind::config:
      return "config error";
    case rapport::ErrorKind::fit:
      return "model fit error";
    case rapport::ErrorKind::output:
      return "output error";
    case rapport::ErrorKind::usage:
      return "usage error";
    case rapport::ErrorKind::not_found:
      return "not found";
    case rapport::ErrorKind::internal:
      return "internal error";
  }
  return "error";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rapport: loyalty given, up-serve opportunity and referral potential of a customer base"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", RAPPORT_VERSION_STRING);
  ScoreArgs score_args;
  GenerateArgs generate_args;
  GraphArgs graph_args;
  ImportArgs import_args;
  auto* score = app.add_subcommand("score", "Score a customer base (the bundled sample when given no input)");
  add_score_options(*score, score_args);
  rapport_cli::add_report_options(*score, score_args.report);
  add_db_options(*score, score_args.db, true);
  auto* report = rapport_cli::add_report_command(app, score_args.dir, score_args.as_of, score_args.config,
                                                 score_args.threads, score_args.report);
  add_db_options(*report, score_args.db, false);
  auto* generate = app.add_subcommand("generate", "Write a realistic synthetic customer base");
  add_generate_options(*generate, generate_args);
  auto* graph = app.add_subcommand("graph", "Centrality on a whole referral graph (referrals CSV or SNAP edge list)");
  add_graph_options(*graph, graph_args);
  HistoryArgs history_args;
  auto* history = add_history_command(app, history_args);
  add_db_options(*history, history_args.score.db, true);
  ValidateArgs validate_args;
  auto* validate = add_validate_command(app, validate_args);
  add_db_options(*validate, validate_args.score.db, false);
  auto* import = app.add_subcommand("import", "Load CSV files into a database's four tables (native types)");
  add_import_options(*import, import_args);

  try {
    app.parse(argc, argv);
    install_signal_cleanup();
    if (*generate) return run_generate(std::move(generate_args));
    if (*graph) return run_graph(std::move(graph_args));
    if (*history) return run_history(std::move(history_args));
    if (*import) return run_import(std::move(import_args));
    if (*validate) return run_validate(std::move(validate_args));
    if (*report) score_args.quiet = true;     // `rapport report`: the score path, writing only the page
    return run_score(std::move(score_args));  // also the default with no subcommand
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a bad option (unknown, missing, not a number) is a usage
    // error: exit 2, as a bad value of a setting is
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const rapport::Error& e) {
    std::fprintf(stderr, "rapport: %s: %s\n", kind_label(e.kind()), e.what());
    return rapport::exit_code(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rapport: error: %s\n", e.what());
    return 1;
  }
}
