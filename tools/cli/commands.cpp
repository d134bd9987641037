// `rapport graph` and `rapport generate`.
#include "cli.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <system_error>

namespace rapport::cli {

day_t parse_date_option(const std::string& option, const std::string& value) {
  const auto d = parse_date(value);
  if (!d) throw InputError(option + ": not a valid YYYY-MM-DD date: '" + value + "'");
  return *d;
}

namespace {

/// The 20 highest values, as id,value lines on stdout.
void print_top(const std::vector<std::string>& names, const std::vector<double>& values, const std::string& column) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  const auto k = std::min<std::size_t>(20, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](auto a, auto b) { return values[a] > values[b]; });
  std::printf("id,%s\n", column.c_str());
  for (std::size_t i = 0; i < k; ++i)
    std::printf("%s,%s\n", names[order[i]].c_str(), format_number(values[order[i]]).c_str());
}

}  // namespace

int run_graph(GraphArgs args) {
  if (!args.out.empty()) check_outputs({{"EDGES", args.edges}}, {{"--out", args.out}});
  const auto t0 = std::chrono::steady_clock::now();
  LoadOptions load;
  load.threads = args.pagerank.threads;  // --threads also sets the edge-list parsing threads
  const auto el = read_edge_list(args.edges, load);
  print_rejects(el.report, {});
  const auto g = make_digraph(el.names.size(), el.sources, el.targets);
  const auto t1 = std::chrono::steady_clock::now();
  CentralityResult res;
  if (args.algorithm == "pagerank") {
    res = pagerank(g, args.pagerank);
  } else {
    args.katz.threads = args.pagerank.threads;
    res = katz_reach(g, args.katz);
  }
  const auto t2 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "%s: %zu nodes, %zu edges; load %.3f s, %s %.3f s, %d iterations, residual %.3g\n",
               args.edges.c_str(), g.num_nodes(), g.num_edges(), std::chrono::duration<double>(t1 - t0).count(),
               args.algorithm.c_str(), std::chrono::duration<double>(t2 - t1).count(), res.iterations, res.residual);
  if (!args.out.empty())
    write_centrality_csv(args.out, el.names, res.values, args.algorithm);
  else
    print_top(el.names, res.values, args.algorithm);
  return 0;
}

int run_generate(GenerateArgs args) {
  if (!args.end.empty()) args.options.end_day = parse_date_option("--end", args.end);
  const auto c = generate_csv(args.dir, args.options);  // validates the options, then writes the base as a whole
  std::printf("wrote %s: %zu customers, %zu contacts, %zu purchases, %zu referrals\n", args.dir.c_str(), c.customers,
              c.contacts, c.purchases, c.referrals);
  return 0;
}

}  // namespace rapport::cli
