// Benchmarks for rapport/graph/centrality.hpp.
//
// BM_PageRankEpinions is also what benchmarks/peers/pagerank_peers.py times (real_time of one
// full pagerank() call on soc-Epinions1, graph loaded outside the timed loop).
#include <rapport/graph/centrality.hpp>
#include <rapport/io/edge_list.hpp>
#include <rapport/io/writers.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/// $RAPPORT_EPINIONS (the whole SNAP soc-Epinions1.txt, downloaded by the user), else the
/// repository's 1,000-node cut of it in tests/data/graphs.
std::string epinions_path() {
  if (const char* env = std::getenv("RAPPORT_EPINIONS")) return env;
  return std::string(RAPPORT_TEST_DATA) + "/graphs/soc-Epinions1-first1000.txt";
}

const rapport::Digraph* epinions_graph() {
  static const rapport::Digraph graph = [] {
    try {
      const rapport::EdgeList el = rapport::read_edge_list(epinions_path());
      return rapport::make_digraph(el.names.size(), el.sources, el.targets);
    } catch (const std::exception&) {
      return rapport::Digraph{};
    }
  }();
  return graph.num_nodes() == 0 ? nullptr : &graph;
}

/// Random directed graph with ~`degree` out-edges per non-dangling node, heavy-tailed in-degree
/// (half the targets copy an earlier edge's target: preferential attachment), ~15 % dangling.
rapport::Digraph synthetic_graph(std::uint32_t n, std::uint32_t degree, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> s, t;
  s.reserve(std::size_t{n} * degree);
  t.reserve(std::size_t{n} * degree);
  std::uniform_int_distribution<std::uint32_t> any(0, n - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::uint32_t u = 0; u < n; ++u) {
    if (unit(rng) < 0.15) continue;
    // Out-degree between 1 and 2*degree - 1 (mean ~degree).
    const std::uint32_t k = std::uniform_int_distribution<std::uint32_t>(1, 2 * degree - 1)(rng);
    for (std::uint32_t j = 0; j < k; ++j) {
      const std::uint32_t v = (!t.empty() && unit(rng) < 0.5)
                                  ? t[std::uniform_int_distribution<std::size_t>(0, t.size() - 1)(rng)]
                                  : any(rng);
      s.push_back(u);
      t.push_back(v);
    }
  }
  return rapport::make_digraph(n, s, t);
}

/// Random referral forest: node u > 0 is referred by an earlier node with probability 0.8.
rapport::Digraph synthetic_forest(std::uint32_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> s, t;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::uint32_t u = 1; u < n; ++u) {
    if (unit(rng) >= 0.8) continue;
    s.push_back(std::uniform_int_distribution<std::uint32_t>(0, u - 1)(rng));
    t.push_back(u);
  }
  return rapport::make_digraph(n, s, t);
}

void report(benchmark::State& state, const rapport::Digraph& g, int iterations) {
  state.counters["nodes"] = static_cast<double>(g.num_nodes());
  state.counters["edges"] = static_cast<double>(g.num_edges());
  state.counters["solver_iterations"] = iterations;  // ("iterations" clashes in JSON)
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(g.num_edges()) *
                          iterations);
}

void BM_PageRankEpinions(benchmark::State& state) {
  const rapport::Digraph* g = epinions_graph();
  if (g == nullptr) {
    state.SkipWithError(("cannot read " + epinions_path()).c_str());
    return;
  }
  rapport::PageRankOptions o;
  o.threads = static_cast<unsigned>(state.range(0));
  int iterations = 0;
  for (auto _ : state) {
    const rapport::CentralityResult r = rapport::pagerank(*g, o);
    iterations = r.iterations;
    benchmark::DoNotOptimize(r.values.data());
  }
  report(state, *g, iterations);
}
// Arg = threads (0 = hardware concurrency, what the peers script compares against).
BENCHMARK(BM_PageRankEpinions)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PageRankSynthetic(benchmark::State& state) {
  static std::map<std::int64_t, rapport::Digraph> cache;
  auto it = cache.find(state.range(0));
  if (it == cache.end())
    it = cache.emplace(state.range(0), synthetic_graph(static_cast<std::uint32_t>(state.range(0)), 10, 12345)).first;
  const rapport::Digraph& g = it->second;
  int iterations = 0;
  for (auto _ : state) {
    const rapport::CentralityResult r = rapport::pagerank(g);
    iterations = r.iterations;
    benchmark::DoNotOptimize(r.values.data());
  }
  report(state, g, iterations);
}
BENCHMARK(BM_PageRankSynthetic)
    ->RangeMultiplier(10)
    ->Range(10'000, 1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_KatzForest(benchmark::State& state) {
  const rapport::Digraph g = synthetic_forest(static_cast<std::uint32_t>(state.range(0)), 777);
  int iterations = 0;
  for (auto _ : state) {
    const rapport::CentralityResult r = rapport::katz_reach(g);
    iterations = r.iterations;
    benchmark::DoNotOptimize(r.values.data());
  }
  report(state, g, iterations);
}
BENCHMARK(BM_KatzForest)->RangeMultiplier(10)->Range(10'000, 1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReadEdgeList(benchmark::State& state) {
  const std::string path = epinions_path();
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  if (ec) {
    state.SkipWithError(("cannot stat " + path).c_str());
    return;
  }
  rapport::LoadOptions o;
  o.threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    rapport::EdgeList el = rapport::read_edge_list(path, o);
    benchmark::DoNotOptimize(el.sources.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}
// Arg = parsing threads (0 = hardware concurrency; a SNAP file under 2 MiB is one block).
BENCHMARK(BM_ReadEdgeList)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The Epinions edge list, or an empty one after marking `state` skipped when it cannot be read.
rapport::EdgeList epinions_edges(benchmark::State& state) {
  try {
    return rapport::read_edge_list(epinions_path());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return {};
  }
}

void BM_WriteCentralityEpinions(benchmark::State& state) {
  const rapport::EdgeList el = epinions_edges(state);
  if (el.names.empty()) return;
  const rapport::Digraph g = rapport::make_digraph(el.names.size(), el.sources, el.targets);
  const std::vector<double> values = rapport::pagerank(g).values;
  const std::string out = (std::filesystem::temp_directory_path() / "rapport_bm_centrality.csv").string();
  for (auto _ : state) rapport::write_centrality_csv(out, el.names, values, "pagerank");
  std::error_code ec;
  std::filesystem::remove(out, ec);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(values.size()));
}
BENCHMARK(BM_WriteCentralityEpinions)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MakeDigraphEpinions(benchmark::State& state) {
  const rapport::EdgeList el = epinions_edges(state);
  if (el.names.empty()) return;
  for (auto _ : state) {
    rapport::Digraph g = rapport::make_digraph(el.names.size(), el.sources, el.targets);
    benchmark::DoNotOptimize(g.targets.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(el.sources.size()));
}
BENCHMARK(BM_MakeDigraphEpinions)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
