// rapport: command-line tool. `rapport score`, `rapport generate`, `rapport graph`.
#include <rapport/rapport.hpp>

#include "db_command.hpp"
#include "report_command.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <numeric>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw rapport::InputError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string default_sample_dir() {
  for (const char* d : {RAPPORT_EXAMPLES_DIR, RAPPORT_INSTALLED_EXAMPLES_DIR})
    if (fs::exists(fs::path(d) / "customers.csv")) return d;
  return RAPPORT_EXAMPLES_DIR;
}

std::string fmt(double v, int prec = 1) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

void write_rejects(const std::string& path, const rapport::LoadReport& rep) {
  std::string out = "table,file,line,column,column_name,reason,raw\n";
  auto field = [&](std::string_view s) {
    out.push_back('"');
    for (char c : s) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  };
  for (const auto& r : rep.rejects) {
    out += r.table + ",";
    field(r.file);
    out += "," + std::to_string(r.line) + "," + std::to_string(r.column) + ",";
    field(r.column_name);
    out.push_back(',');
    field(r.reason);
    out.push_back(',');
    field(r.raw);
    out.push_back('\n');
  }
  rapport::write_file_atomically(path, out);
}

void print_report(const rapport::CustomerBase& base, const rapport::LoadReport& rep, const rapport::ScoreResult& res) {
  const auto& s = res.scores;
  const auto c = rapport::civil_from_days(res.as_of);
  std::printf("rapport — customer relationships as of %04d-%02u-%02u\n\n", c.year, c.month, c.day);
  std::printf("Loaded   customers %zu (rejected %zu)  contacts %zu (rejected %zu)  purchases %zu (rejected %zu)  referrals %zu (rejected %zu)\n",
              rep.customers.read, rep.customers.rejected, rep.contacts.read, rep.contacts.rejected, rep.purchases.read,
              rep.purchases.rejected, rep.referrals.read, rep.referrals.rejected);
  const std::size_t n = s.size();
  double L = 0, R = 0;
  std::size_t alive = 0, ask = 0;
  for (std::size_t r = 0; r < n; ++r) {
    L += s.loyalty_given[r];
    R += s.referral_potential[r];
    alive += s.p_alive[r] > 0.5;
    ask += s.ask_for_referral[r];
  }
  std::printf("Scored   %zu customers; mean loyalty given %s/100; mean referral potential %s/100\n", n,
              fmt(n ? L / static_cast<double>(n) : std::nan("")).c_str(), fmt(n ? R / static_cast<double>(n) : std::nan("")).c_str());
  std::printf("Value    BG/NBD r=%.3f alpha=%.1f d a=%.3f b=%.3f; Gamma-Gamma p=%.2f q=%.2f gamma=%.2f; %zu customers with p_alive > 0.5\n",
              res.bgnbd.r, res.bgnbd.alpha, res.bgnbd.a, res.bgnbd.b, res.gamma_gamma.p, res.gamma_gamma.q,
              res.gamma_gamma.gamma, alive);
  std::size_t converted = 0;
  for (auto v : res.forest.converted_referrals) converted += v;
  std::printf("Referral K-factor %.3f (%zu converted referrals); %zu customers to ask now\n\n",
              n ? static_cast<double>(converted) / static_cast<double>(n) : 0.0, converted, ask);

  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return s.upserve_value[a] > s.upserve_value[b]; });
  std::printf("Top up-serve opportunities (value at stake x service gap)\n");
  std::printf("  %-12s %9s %9s %10s %9s  %s\n", "customer", "loyalty", "p_alive", "value", "upserve", "next action");
  for (std::size_t k = 0; k < std::min<std::size_t>(10, n); ++k) {
    const auto r = order[k];
    std::printf("  %-12s %9s %9s %10s %9s  %s\n", base.customer_id[s.customer[r]].c_str(), fmt(s.loyalty_given[r]).c_str(),
                fmt(s.p_alive[r], 2).c_str(), fmt(s.expected_value[r], 0).c_str(), fmt(s.upserve_value[r], 0).c_str(),
                std::string(rapport::to_string(s.next_action[r])).c_str());
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return s.referral_potential[a] > s.referral_potential[b]; });
  std::printf("\nAsk for a referral now (timing >= 0.5, advocacy >= 0.7)\n");
  std::printf("  %-12s %9s %9s %9s %9s\n", "customer", "referral", "advocacy", "timing", "referred");
  std::size_t shown = 0;
  for (auto r : order) {
    if (!s.ask_for_referral[r]) continue;
    std::printf("  %-12s %9s %9s %9s %9u\n", base.customer_id[s.customer[r]].c_str(), fmt(s.referral_potential[r]).c_str(),
                fmt(s.referral[0][r], 2).c_str(), fmt(s.referral[3][r], 2).c_str(),
                res.forest.converted_referrals[s.customer[r]]);
    if (++shown == 10) break;
  }
  if (!shown) std::printf("  (none)\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rapport: loyalty given, up-serve opportunity and referral potential of a customer base"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", RAPPORT_VERSION_STRING);

  // --- score
  auto* score = app.add_subcommand("score", "Score a customer base (the bundled sample when given no input)");
  std::string dir, customers, contacts, purchases, referrals, as_of, out_csv, summary, explain, rejects, config_path;
  bool strict = false, quiet = false;
  unsigned threads = 0;
  score->add_option("DIR", dir, "Directory with customers.csv [contacts.csv purchases.csv referrals.csv]");
  score->add_option("--customers", customers, "customers.csv");
  score->add_option("--contacts", contacts, "contacts.csv");
  score->add_option("--purchases", purchases, "purchases.csv");
  score->add_option("--referrals", referrals, "referrals.csv");
  score->add_option("--as-of", as_of, "Score as of this date (YYYY-MM-DD); default: the latest date in the data");
  score->add_option("--out", out_csv, "Write the scores CSV here");
  score->add_option("--summary", summary, "Write the base-wide summary JSON here");
  score->add_option("--explain", explain, "Write one JSON explanation per customer (JSON lines) here");
  score->add_option("--rejects", rejects, "Write every rejected row (file, line, column, reason, raw row) here");
  score->add_option("--config", config_path, "ScoringConfig as JSON");
  score->add_option("--threads", threads, "Worker threads (default: all cores)");
  score->add_flag("--strict", strict, "Any rejected row is an error");
  score->add_flag("--quiet", quiet, "Print no report");
  rapport_cli::ReportArgs report_args;
  rapport_cli::add_report_options(*score, report_args);
  auto* report = rapport_cli::add_report_command(app, dir, as_of, config_path, threads, report_args);
  rapport_cli::DbArgs db_args;
  rapport_cli::add_db_options(*score, db_args, true);
  rapport_cli::add_db_options(*report, db_args, false);
  rapport_cli::ImportArgs import_args;
  auto* import = rapport_cli::add_import_command(app, import_args);

  // --- generate
  auto* gen = app.add_subcommand("generate", "Write a realistic synthetic customer base");
  std::string gen_dir;
  rapport::GenerateOptions gopt;
  std::string gen_end;
  gen->add_option("DIR", gen_dir, "Output directory")->required();
  gen->add_option("--customers", gopt.customers, "Number of customers");
  gen->add_option("--seed", gopt.seed, "Random seed");
  gen->add_option("--end", gen_end, "Last day of history (YYYY-MM-DD), default 2026-06-30");
  gen->add_option("--years", gopt.years, "Years of acquisition history");
  gen->add_option("--contact-rate", gopt.contact_rate_per_year,
                  "Business-initiated contacts per customer-year for a well-served customer");

  // --- graph
  auto* graph = app.add_subcommand("graph", "Centrality on a whole referral graph (referrals CSV or SNAP edge list)");
  std::string algo, edges, graph_out;
  rapport::PageRankOptions pr;
  rapport::KatzOptions kz;
  graph->add_option("ALGORITHM", algo, "pagerank or katz")->required()->check(CLI::IsMember({"pagerank", "katz"}));
  graph->add_option("EDGES", edges, "referrals.csv (referrer_id, referred_id) or SNAP edge list")->required();
  graph->add_option("--out", graph_out, "Write id,value CSV here (default: top 20 to stdout)");
  graph->add_option("--damping", pr.damping, "PageRank damping factor");
  graph->add_option("--tolerance", pr.tolerance, "L1 convergence tolerance");
  graph->add_option("--beta", kz.beta, "Katz attenuation");
  graph->add_option("--threads", pr.threads, "Worker threads");

  CLI11_PARSE(app, argc, argv);
  if (*report) quiet = true;  // `rapport report`: the score path, writing only the HTML page

  try {
    if (*import) return rapport_cli::run_import(import_args);
    if (*gen) {
      if (!gen_end.empty()) {
        const auto d = rapport::parse_date(gen_end);
        if (!d) throw rapport::InputError("--end: not a valid YYYY-MM-DD date: '" + gen_end + "'");
        gopt.end_day = *d;
      }
      const auto c = rapport::generate_csv(gen_dir, gopt);
      std::printf("wrote %s: %zu customers, %zu contacts, %zu purchases, %zu referrals\n", gen_dir.c_str(), c.customers,
                  c.contacts, c.purchases, c.referrals);
      return 0;
    }
    if (*graph) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto el = rapport::read_edge_list(edges);
      const auto g = rapport::make_digraph(el.names.size(), el.sources, el.targets);
      const auto t1 = std::chrono::steady_clock::now();
      rapport::CentralityResult res;
      if (algo == "pagerank") {
        res = rapport::pagerank(g, pr);
      } else {
        kz.threads = pr.threads;
        res = rapport::katz_reach(g, kz);
      }
      const auto t2 = std::chrono::steady_clock::now();
      std::fprintf(stderr, "%s: %zu nodes, %zu edges; load %.3f s, %s %.3f s, %d iterations, residual %.3g\n",
                   edges.c_str(), g.num_nodes(), g.num_edges(), std::chrono::duration<double>(t1 - t0).count(),
                   algo.c_str(), std::chrono::duration<double>(t2 - t1).count(), res.iterations, res.residual);
      if (!graph_out.empty()) {
        rapport::write_centrality_csv(graph_out, el.names, res.values, algo);
      } else {
        std::vector<std::size_t> order(res.values.size());
        std::iota(order.begin(), order.end(), 0);
        const auto k = std::min<std::size_t>(20, order.size());
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                          [&](auto a, auto b) { return res.values[a] > res.values[b]; });
        std::printf("id,%s\n", algo.c_str());
        for (std::size_t i = 0; i < k; ++i)
          std::printf("%s,%s\n", el.names[order[i]].c_str(), rapport::format_number(res.values[order[i]]).c_str());
      }
      return 0;
    }
    // score (also the default with no subcommand)
    rapport::InputFiles files;
    const bool sample = dir.empty() && customers.empty() && db_args.db.empty();
    if (sample) dir = default_sample_dir();
    if (!dir.empty()) files = rapport::InputFiles::from_directory(dir);
    if (!customers.empty()) files.customers = customers;
    if (!contacts.empty()) files.contacts = contacts;
    if (!purchases.empty()) files.purchases = purchases;
    if (!referrals.empty()) files.referrals = referrals;
    rapport::ScoringConfig cfg;
    if (!config_path.empty()) cfg = rapport::config_from_json(read_text(config_path));
    if (threads) cfg.threads = threads;
    std::optional<rapport::day_t> D;
    if (!as_of.empty()) {
      D = rapport::parse_date(as_of);
      if (!D) throw rapport::InputError("--as-of: not a valid YYYY-MM-DD date: '" + as_of + "'");
    }
    rapport::LoadOptions lopt;
    lopt.strict = strict;
    const auto t0 = std::chrono::steady_clock::now();
    auto loaded = db_args.db.empty() ? rapport::load_csv(files, lopt) : rapport_cli::load_from_db(db_args, lopt);
    const auto t1 = std::chrono::steady_clock::now();
    const bool tty = ::isatty(2) != 0;
    rapport::ProgressFn progress;
    if (tty && !quiet)
      progress = [last = std::make_shared<std::pair<std::mutex, std::size_t>>()](std::size_t done, std::size_t total) {
        // called from worker threads: print at most once per percent, and end the line once
        std::lock_guard lock(last->first);
        const std::size_t pct = total ? done * 100 / total : 100;
        if (pct <= last->second && !(last->second == 0 && pct == 0)) return;
        last->second = pct;
        std::fprintf(stderr, "\rscoring %zu / %zu customers (%zu%%)", done, total, pct);
        if (done >= total) std::fprintf(stderr, "\n");
      };
    const auto result = rapport::score(loaded.base, D, cfg, progress);
    const auto t2 = std::chrono::steady_clock::now();
    if (!out_csv.empty()) rapport::write_scores_csv(out_csv, loaded.base, result, cfg.threads);
    if (!summary.empty())
      rapport::write_file_atomically(summary, rapport::summary_json(loaded.base, loaded.report, result, cfg) + "\n");
    if (!explain.empty()) rapport::write_explain_jsonl(explain, loaded.base, result, cfg);
    if (!rejects.empty()) write_rejects(rejects, loaded.report);
    rapport_cli::write_report_if_asked(report_args, loaded.base, loaded.report, result, cfg);
    rapport_cli::write_back_if_asked(db_args, loaded.base, loaded.report, result, cfg);
    for (std::size_t k = 0; k < std::min<std::size_t>(loaded.report.rejects.size(), 20); ++k) {
      const auto& r = loaded.report.rejects[k];
      std::fprintf(stderr, "%s:%zu:%zu: rejected: %s%s\n", r.file.c_str(), r.line, r.column, r.reason.c_str(),
                   r.column_name.empty() ? "" : (" (column " + r.column_name + ")").c_str());
    }
    if (loaded.report.total_rejected() > 20)
      std::fprintf(stderr, "... %zu rejected rows in all (use --rejects F.csv for every one)\n", loaded.report.total_rejected());
    if (!quiet && (out_csv.empty() || sample)) print_report(loaded.base, loaded.report, result);
    if (!quiet)
      std::fprintf(stderr, "loaded in %.3f s, scored %zu customers in %.3f s\n",
                   std::chrono::duration<double>(t1 - t0).count(), result.scores.size(),
                   std::chrono::duration<double>(t2 - t1).count());
    return 0;
  } catch (const rapport::InputError& e) {
    std::fprintf(stderr, "rapport: input error: %s\n", e.what());
    return 2;
  } catch (const rapport::FitError& e) {
    std::fprintf(stderr, "rapport: model fit error: %s\n", e.what());
    return 3;
  } catch (const rapport::Error& e) {
    std::fprintf(stderr, "rapport: error: %s\n", e.what());
    return rapport::exit_code(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rapport: error: %s\n", e.what());
    return 1;
  }
}
