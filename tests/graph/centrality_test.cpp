// Tests for rapport/graph/centrality.hpp: CSR construction, edge-list reading, PageRank, Katz reach
// and the CSV writer.
#include <rapport/error.hpp>
#include <rapport/graph/centrality.hpp>
#include <rapport/io/edge_list.hpp>
#include <rapport/io/writers.hpp>

#include "graph/centrality_tuning.hpp"
#include "io/edge_list.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rapport::Digraph;

Digraph graph_of(std::size_t n, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& edges) {
  std::vector<std::uint32_t> s, t;
  for (const auto& [a, b] : edges) {
    s.push_back(a);
    t.push_back(b);
  }
  return rapport::make_digraph(n, s, t);
}

/// The default tolerance (L1 change < 1e-12) leaves an error of up to ~1e-12 * d / (1 - d);
/// hand-computed cases compare at 1e-14 and so iterate to a tighter tolerance.
rapport::PageRankOptions tight() {
  rapport::PageRankOptions o;
  o.tolerance = 1e-15;
  return o;
}

double sum_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

/// Temporary file removed at scope exit.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name, const std::string& content = {}) {
    path = std::filesystem::temp_directory_path() /
           ("rapport_centrality_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "_" + name);
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] std::string str() const { return path.string(); }
};

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string error_of(const std::string& path) {
  try {
    (void)rapport::read_edge_list(path);
  } catch (const rapport::InputError& e) {
    return e.what();
  }
  return "<no error>";
}

/// Random directed graph with a heavy-tailed in-degree (preferential-attachment-like targets).
Digraph random_graph(std::uint32_t n, std::size_t edges_per_node, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> s, t;
  s.reserve(n * edges_per_node);
  t.reserve(n * edges_per_node);
  std::uniform_int_distribution<std::uint32_t> any(0, n - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::uint32_t u = 0; u < n; ++u) {
    if (unit(rng) < 0.2) continue;  // ~20 % dangling nodes
    for (std::size_t k = 0; k < edges_per_node; ++k) {
      // Half the edges point at an endpoint of an earlier edge: rich get richer.
      const std::uint32_t v = (!t.empty() && unit(rng) < 0.5)
                                  ? t[std::uniform_int_distribution<std::size_t>(0, t.size() - 1)(rng)]
                                  : any(rng);
      s.push_back(u);
      t.push_back(v);
    }
  }
  return rapport::make_digraph(n, s, t);
}

}  // namespace

// ------------------------------------------------------------------------------------------
// make_digraph
// ------------------------------------------------------------------------------------------

TEST(Centrality, MakeDigraphBuildsCsrKeepingMultiEdgesAndOrder) {
  // 0 -> 2, 1 -> 0, 0 -> 1, 0 -> 2 (duplicate kept), 2 -> 2 (self-loop), node 3 isolated.
  const Digraph g = graph_of(4, {{0, 2}, {1, 0}, {0, 1}, {0, 2}, {2, 2}});
  EXPECT_EQ(g.num_nodes(), 4U);
  EXPECT_EQ(g.num_edges(), 5U);
  EXPECT_EQ(g.offsets, (std::vector<std::uint64_t>{0, 3, 4, 5, 5}));
  EXPECT_EQ(g.targets, (std::vector<std::uint32_t>{2, 1, 2, 0, 2}));
}

TEST(Centrality, MakeDigraphRejectsBadInput) {
  const std::vector<std::uint32_t> s{0, 1}, t{1, 5};
  EXPECT_THROW((void)rapport::make_digraph(3, s, t), rapport::UsageError);
  EXPECT_THROW((void)rapport::make_digraph(3, std::span(s).first(1), t), rapport::UsageError);
  // Hand-built CSR that is inconsistent is rejected by the algorithms.
  Digraph bad;
  bad.offsets = {0, 2, 1};
  bad.targets = {0};
  EXPECT_THROW((void)rapport::pagerank(bad), rapport::UsageError);
  bad.offsets = {0, 1, 1};
  bad.targets = {7};
  EXPECT_THROW((void)rapport::katz_reach(bad), rapport::UsageError);
  const Digraph empty = rapport::make_digraph(0, {}, {});
  EXPECT_EQ(empty.num_nodes(), 0U);
  EXPECT_EQ(Digraph{}.num_nodes(), 0U);
}

// ------------------------------------------------------------------------------------------
// PageRank
// ------------------------------------------------------------------------------------------

TEST(Centrality, PageRankCycleIsUniform) {
  //  0 -> 1 -> 2 -> 0 : every node is equivalent, so PR = 1/3 each.
  const auto r = rapport::pagerank(graph_of(3, {{0, 1}, {1, 2}, {2, 0}}));
  ASSERT_EQ(r.values.size(), 3U);
  for (const double v : r.values) EXPECT_NEAR(v, 1.0 / 3.0, 1e-15);
  EXPECT_LT(r.residual, 1e-12);
}

TEST(Centrality, PageRankStarWithDanglingLeavesByHand) {
  //        0
  //      / | \          0 -> 1, 0 -> 2, 0 -> 3; leaves 1, 2, 3 are dangling.
  //     1  2  3
  // With d = 0.85, c = PR(0), l = PR(leaf), dangling mass D = 3 l spread over 4 nodes:
  //   c = (1 - d)/4 + d D/4
  //   l = (1 - d)/4 + d D/4 + d c/3     =>  l = c (1 + d/3)
  //   c + 3 l = 1                       =>  c = 1/(4 + d),  l = (3 + d) / (3 (4 + d)).
  const double d = 0.85;
  const auto r = rapport::pagerank(graph_of(4, {{0, 1}, {0, 2}, {0, 3}}), tight());
  EXPECT_NEAR(r.values[0], 1.0 / (4.0 + d), 1e-14);
  for (int k = 1; k <= 3; ++k) EXPECT_NEAR(r.values[k], (3.0 + d) / (3.0 * (4.0 + d)), 1e-14);
  EXPECT_NEAR(sum_of(r.values), 1.0, 1e-15);
}

TEST(Centrality, PageRankMultiEdgesCountWithMultiplicity) {
  // 0 => 1 (twice), 0 -> 2; 1 and 2 dangling. Node 0 sends 2/3 of its mass to 1, 1/3 to 2,
  // and both share the same teleport + dangling term, so PR(1) - PR(2) = d PR(0) / 3.
  const auto r = rapport::pagerank(graph_of(3, {{0, 1}, {0, 1}, {0, 2}}), tight());
  EXPECT_NEAR(r.values[1] - r.values[2], 0.85 * r.values[0] / 3.0, 1e-14);
}

TEST(Centrality, PageRankMatchesNetworkxAndIgraphOnSmallGraph) {
  //   0 -> 1 -> 2 -> 0,  0 -> 2,  3 -> 2,  2 -> 5 -> 4 (4 dangling; 3 has no in-edges)
  // Reference values: networkx.pagerank(alpha=0.85, tol=1e-15), agreeing with igraph PRPACK
  // to ~5e-16.
  const Digraph g = graph_of(6, {{0, 1}, {0, 2}, {1, 2}, {2, 0}, {3, 2}, {5, 4}, {2, 5}});
  const double expected[] = {0.17156881102714094,  0.12611256332092494, 0.27852468798294305,
                             0.053195818634390379, 0.19902930800745949, 0.17156881102714094};
  const auto r = rapport::pagerank(g, tight());
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(r.values[k], expected[k], 1e-14) << "node " << k;
  // Default tolerance: the L1 error is bounded by about residual * d / (1 - d) < 6e-12.
  const auto loose = rapport::pagerank(g);
  EXPECT_LT(loose.residual, 1e-12);
  double l1 = 0;
  for (int k = 0; k < 6; ++k) l1 += std::abs(loose.values[k] - expected[k]);
  EXPECT_LT(l1, 6e-12);
}

/// Sweeps every colour class of PageRank's core in parallel, however small (restored at scope exit).
struct EveryClassParallel {
  std::size_t saved = rapport::detail::pagerank_min_class_work;
  EveryClassParallel() { rapport::detail::pagerank_min_class_work = 1; }
  ~EveryClassParallel() { rapport::detail::pagerank_min_class_work = saved; }
  EveryClassParallel(const EveryClassParallel&) = delete;
  EveryClassParallel& operator=(const EveryClassParallel&) = delete;
};

TEST(Centrality, PageRankCycleWithChordByHand) {
  //   0 ---> 1          0 -> 1 -> 2 -> 3 -> 0 and the chord 0 -> 2: every node is in the cyclic
  //   | \    |          core. Colouring the core (0, 1, 2 form a triangle; 3 touches 0 and 2)
  //   |   \  v          gives the classes {0}, {1, 3}, {2}.
  //   3 <--- 2          outdeg(0) = 2, the others 1; no dangling node, so y sums to 1 directly.
  // With t = (1 - d)/4:  x0 = t + d x3,  x1 = t + d x0/2,  x2 = t + d (x0/2 + x1),  x3 = t + d x2.
  // Substituting 1 into 2, 2 into 3 and 3 into 0:
  //   x0 = t (1 + d + d^2 + d^3) / (1 - (d^3 + d^4)/2).
  const double d = 0.85, t = (1 - d) / 4;
  const double x0 = t * (1 + d + d * d + d * d * d) / (1 - (d * d * d + d * d * d * d) / 2);
  const double x1 = t + d * x0 / 2, x2 = t + d * (x0 / 2 + x1), x3 = t + d * x2;
  const Digraph g = graph_of(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {0, 2}});
  EXPECT_NEAR(x0 + x1 + x2 + x3, 1.0, 1e-15);
  for (const bool parallel : {false, true}) {
    std::optional<EveryClassParallel> knob;
    if (parallel) knob.emplace();
    for (const unsigned threads : {1U, 2U}) {
      rapport::PageRankOptions o = tight();
      o.threads = threads;
      const auto r = rapport::pagerank(g, o);
      const double expected[] = {x0, x1, x2, x3};
      for (int k = 0; k < 4; ++k) EXPECT_NEAR(r.values[k], expected[k], 1e-15) << "node " << k << " " << parallel;
      EXPECT_GT(r.iterations, 0);
    }
  }
}

TEST(Centrality, PageRankOnDagIsExactWithoutSweeps) {
  //  0 -> 1 -> 2   (2 dangling). No cycle, so one pass in topological order solves the system:
  //  y = (1 - d)/3 * (1, 1 + d, 1 + d + d^2), PageRank = y / sum(y).
  const double d = 0.85;
  const auto r = rapport::pagerank(graph_of(3, {{0, 1}, {1, 2}}));
  const double y[] = {1.0, 1.0 + d, 1.0 + d + d * d};
  const double total = y[0] + y[1] + y[2];
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(r.values[k], y[k] / total, 1e-15) << "node " << k;
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(r.residual, 0.0);
}

TEST(Centrality, PageRankStoppingRuleBoundsTheError) {
  // The documented guarantee: at the default tolerance the L1 error is below
  // 2 * tolerance * d / (1 - d) (~1.1e-11); compare with a run iterated to 1e-15.
  const Digraph g = random_graph(20000, 5, 7);
  const auto loose = rapport::pagerank(g);
  const auto exact = rapport::pagerank(g, tight());
  EXPECT_LT(loose.residual, 1e-12);
  EXPECT_GT(exact.iterations, loose.iterations);
  double l1 = 0;
  for (std::size_t k = 0; k < g.num_nodes(); ++k) l1 += std::abs(loose.values[k] - exact.values[k]);
  EXPECT_LT(l1, 2 * 1e-12 * 0.85 / 0.15);
}

TEST(Centrality, PageRankEdgeCases) {
  // No edges at all: every node dangling => uniform.
  const auto iso = rapport::pagerank(graph_of(5, {}));
  for (const double v : iso.values) EXPECT_DOUBLE_EQ(v, 0.2);
  // Single node with a self-loop.
  EXPECT_DOUBLE_EQ(rapport::pagerank(graph_of(1, {{0, 0}})).values[0], 1.0);
  // Empty graph.
  EXPECT_TRUE(rapport::pagerank(Digraph{}).values.empty());
  // damping 0: pure teleport.
  rapport::PageRankOptions o;
  o.damping = 0.0;
  for (const double v : rapport::pagerank(graph_of(4, {{0, 1}, {0, 2}}), o).values) EXPECT_DOUBLE_EQ(v, 0.25);
  o.damping = 1.5;
  EXPECT_THROW((void)rapport::pagerank(graph_of(2, {{0, 1}}), o), rapport::ConfigError);
  o = {};
  o.tolerance = 0;
  EXPECT_THROW((void)rapport::pagerank(graph_of(2, {{0, 1}}), o), rapport::ConfigError);
  // max_iterations caps the sweeps over the cyclic core (here 0 <-> 1; 2 is downstream)
  // without an error.
  o = {};
  o.max_iterations = 3;
  const auto capped = rapport::pagerank(graph_of(3, {{0, 1}, {1, 0}, {1, 2}}), o);
  EXPECT_EQ(capped.iterations, 3);
  EXPECT_GT(capped.residual, o.tolerance);
  EXPECT_NEAR(sum_of(capped.values), 1.0, 1e-15);
}

TEST(Centrality, PageRankInvariantsAndThreadIndependence) {
  const Digraph g = random_graph(60000, 6, 42);
  rapport::PageRankOptions o;
  o.threads = 1;
  const auto one = rapport::pagerank(g, o);
  EXPECT_NEAR(sum_of(one.values), 1.0, 1e-12);
  EXPECT_TRUE(std::all_of(one.values.begin(), one.values.end(), [](double v) { return v > 0; }));
  EXPECT_LT(one.residual, 1e-12);
  EXPECT_GT(one.iterations, 10);
  // Lower bound: every node gets at least the teleport share (1 - d)/n.
  const double floor = 0.15 / 60000.0;
  EXPECT_TRUE(std::all_of(one.values.begin(), one.values.end(), [&](double v) { return v >= floor * (1 - 1e-12); }));
  for (const unsigned threads : {2U, 3U, 7U}) {
    o.threads = threads;
    const auto many = rapport::pagerank(g, o);
    EXPECT_EQ(many.iterations, one.iterations) << threads;
    EXPECT_EQ(many.residual, one.residual) << threads;
    EXPECT_TRUE(many.values == one.values) << "not bitwise identical with " << threads << " threads";
  }
}

TEST(Centrality, PageRankParallelSweepsAreThreadIndependentAndHonourTheTolerance) {
  // Every colour class swept in parallel (16 chunks each, however small): the values, sweeps and
  // residual are the same bits for any thread count, and the documented error bound
  // 2 * tolerance * d / (1 - d) holds against a solve iterated to 1e-15.
  const Digraph g = random_graph(20000, 5, 11);
  const EveryClassParallel knob;
  rapport::PageRankOptions o;
  o.threads = 1;
  const auto one = rapport::pagerank(g, o);
  EXPECT_GT(one.iterations, 10);
  EXPECT_NEAR(sum_of(one.values), 1.0, 1e-12);
  for (const unsigned threads : {2U, 3U, 7U}) {
    o.threads = threads;
    const auto many = rapport::pagerank(g, o);
    EXPECT_EQ(many.iterations, one.iterations) << threads;
    EXPECT_EQ(many.residual, one.residual) << threads;
    EXPECT_TRUE(many.values == one.values) << "not bitwise identical with " << threads << " threads";
  }
  rapport::PageRankOptions exact_options = tight();
  exact_options.threads = 2;
  const auto exact = rapport::pagerank(g, exact_options);
  double l1 = 0;
  for (std::size_t k = 0; k < g.num_nodes(); ++k) l1 += std::abs(one.values[k] - exact.values[k]);
  EXPECT_LT(l1, 2 * 1e-12 * 0.85 / 0.15);
  // max_iterations still caps the sweeps on the parallel path.
  o.max_iterations = 2;
  EXPECT_EQ(rapport::pagerank(g, o).iterations, 2);
}

// ------------------------------------------------------------------------------------------
// Katz reach
// ------------------------------------------------------------------------------------------

TEST(Centrality, KatzOnTreeByHand) {
  //          0
  //         / \            edges point from referrer to referred (parent -> child)
  //        1   2
  //       / \   \          beta = 0.5: katz(i) = sum over descendants j of 0.5^(depth j - depth i - 1)
  //      3   4   5         katz(0) = 2 (children 1, 2) + 0.5 * 3 (3, 4, 5) + 0.25 (6) = 3.75
  //              |         katz(1) = 2,  katz(2) = 1 + 0.5 = 1.5,  katz(5) = 1
  //              6         katz(3) = katz(4) = katz(6) = 0
  const Digraph g = graph_of(7, {{0, 1}, {0, 2}, {1, 3}, {1, 4}, {2, 5}, {5, 6}});
  const auto r = rapport::katz_reach(g);
  const std::vector<double> expected{3.75, 2.0, 1.5, 0.0, 0.0, 1.0, 0.0};
  EXPECT_EQ(r.values, expected);  // exact in binary floating point
  EXPECT_EQ(r.iterations, 4);     // longest walk has length 3; the 4th iteration changes nothing
  EXPECT_EQ(r.residual, 0.0);

  // max_depth truncates the series: depth 1 = out-degree, depth 2 adds beta * grandchildren.
  rapport::KatzOptions o;
  o.max_depth = 1;
  EXPECT_EQ(rapport::katz_reach(g, o).values, (std::vector<double>{2, 2, 1, 0, 0, 1, 0}));
  o.max_depth = 2;
  const auto two = rapport::katz_reach(g, o);
  EXPECT_EQ(two.values, (std::vector<double>{3.5, 2, 1.5, 0, 0, 1, 0}));
  EXPECT_EQ(two.iterations, 2);
}

TEST(Centrality, KatzOnCycleConvergesAndDivergesWithLargeBeta) {
  // 0 -> 1 -> 2 -> 0: one walk of every length from each node, katz = sum beta^(k-1) = 1/(1-beta).
  const Digraph g = graph_of(3, {{0, 1}, {1, 2}, {2, 0}});
  for (const double v : rapport::katz_reach(g).values) EXPECT_NEAR(v, 2.0, 1e-11);
  rapport::KatzOptions o;
  o.beta = 1.0;  // beta * spectral radius = 1: diverges
  EXPECT_THROW((void)rapport::katz_reach(g, o), rapport::ConfigError);
  o.beta = 3.0;  // overflows long before max_iterations
  try {
    (void)rapport::katz_reach(g, o);
    FAIL() << "expected rapport::ConfigError";
  } catch (const rapport::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("diverges"), std::string::npos);
  }
  // With a depth limit the truncated series is fine even for large beta: 1 + 3 + 9.
  o.max_depth = 3;
  for (const double v : rapport::katz_reach(g, o).values) EXPECT_DOUBLE_EQ(v, 13.0);
  o = {};
  o.beta = -1;
  EXPECT_THROW((void)rapport::katz_reach(g, o), rapport::ConfigError);
}

/// The message of the ConfigError a setting raises ("<no error>" when it is accepted).
template <class Options, class Run>
std::string config_error(const Options& o, Run run) {
  try {
    run(o);
  } catch (const rapport::ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Centrality, SettingsAreValidatedAtEntryNamingTheField) {
  const Digraph g = graph_of(2, {{0, 1}});
  const auto pr = [&](const rapport::PageRankOptions& o) { (void)rapport::pagerank(g, o); };
  const auto kz = [&](const rapport::KatzOptions& o) { (void)rapport::katz_reach(g, o); };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  rapport::PageRankOptions p;
  for (const double d : {-0.1, 1.0, 1.5, nan}) {
    p.damping = d;
    EXPECT_NE(config_error(p, pr).find("pagerank: damping must be in [0, 1)"), std::string::npos) << d;
  }
  p = {};
  for (const double t : {0.0, -1.0, inf, nan}) {
    p.tolerance = t;
    EXPECT_NE(config_error(p, pr).find("pagerank: tolerance"), std::string::npos) << t;
  }
  p = {};
  for (const int n : {-1, rapport::max_centrality_iterations + 1}) {
    p.max_iterations = n;
    EXPECT_NE(config_error(p, pr).find("pagerank: max_iterations"), std::string::npos) << n;
  }
  p = {};
  p.damping = 0.999;
  p.max_iterations = rapport::max_centrality_iterations;
  EXPECT_EQ(config_error(p, pr), "<no error>");  // the domain's edges are accepted
  p.threads = 100000;                            // capped at the machine's cores
  EXPECT_EQ(config_error(p, pr), "<no error>");

  rapport::KatzOptions k;
  for (const double b : {-0.5, inf, nan}) {
    k.beta = b;
    EXPECT_NE(config_error(k, kz).find("katz_reach: beta"), std::string::npos) << b;
  }
  k = {};
  k.tolerance = nan;
  EXPECT_NE(config_error(k, kz).find("katz_reach: tolerance"), std::string::npos);
  k = {};
  k.max_depth = -1;
  EXPECT_NE(config_error(k, kz).find("katz_reach: max_depth"), std::string::npos);
  k = {};
  k.max_iterations = rapport::max_centrality_iterations + 1;
  EXPECT_NE(config_error(k, kz).find("katz_reach: max_iterations"), std::string::npos);
}

TEST(Centrality, KatzOnRandomForestMatchesDepthFormulaAndIsThreadIndependent) {
  // Random forest: node u > 0 has parent p < u with probability 0.9 (else it starts a new tree).
  const std::uint32_t n = 50000;
  std::mt19937_64 rng(7);
  std::vector<std::int64_t> parent(n, -1);
  std::vector<std::uint32_t> s, t;
  for (std::uint32_t u = 1; u < n; ++u) {
    if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.9) {
      // Bias towards recent nodes to get some depth.
      const std::uint32_t lo = u > 50 ? u - 50 : 0;
      parent[u] = std::uniform_int_distribution<std::uint32_t>(lo, u - 1)(rng);
      s.push_back(static_cast<std::uint32_t>(parent[u]));
      t.push_back(u);
    }
  }
  const Digraph g = rapport::make_digraph(n, s, t);
  // Reference: walk up from every node j, adding beta^(dist - 1) to each ancestor at distance dist.
  const double beta = 0.5;
  std::vector<double> expected(n, 0.0);
  for (std::uint32_t j = 0; j < n; ++j) {
    double w = 1.0;
    for (std::int64_t a = parent[j]; a >= 0; a = parent[static_cast<std::size_t>(a)]) {
      expected[static_cast<std::size_t>(a)] += w;
      w *= beta;
    }
  }
  rapport::KatzOptions o;
  o.threads = 1;
  const auto one = rapport::katz_reach(g, o);
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_NEAR(one.values[i], expected[i], 1e-9 * (1 + expected[i])) << i;
  o.threads = 3;
  EXPECT_TRUE(rapport::katz_reach(g, o).values == one.values);
}

// ------------------------------------------------------------------------------------------
// read_edge_list
// ------------------------------------------------------------------------------------------

TEST(Centrality, ReadSnapEdgeList) {
  const TempFile f("snap.txt",
                   "# Directed graph: demo\n"
                   "# FromNodeId\tToNodeId\n"
                   "7\t007\n"
                   "\n"
                   "  007   alice  \r\n"
                   "# a comment in the middle\n"
                   "alice\t7\n"
                   "7 7");  // no final newline; self-loop
  const rapport::EdgeList el = rapport::read_edge_list(f.str());
  EXPECT_EQ(el.names, (std::vector<std::string>{"7", "007", "alice"}));  // "007" != "7"
  EXPECT_EQ(el.sources, (std::vector<std::uint32_t>{0, 1, 2, 0}));
  EXPECT_EQ(el.targets, (std::vector<std::uint32_t>{1, 2, 0, 0}));
}

// An empty file is an empty graph (found by fuzz_ingest_short: the block split gave no block).
TEST(Centrality, ReadSnapEmptyFileIsAnEmptyGraph) {
  const TempFile f("empty.txt");
  const rapport::EdgeList el = rapport::read_edge_list(f.str());
  EXPECT_TRUE(el.names.empty());
  EXPECT_TRUE(el.sources.empty());
  EXPECT_TRUE(el.targets.empty());
}

TEST(Centrality, ReadSnapLargeAndNonCanonicalIntegers) {
  // Ids far beyond the dense table, negative-looking and long digit strings go through the hash.
  std::string content;
  for (int k = 0; k < 3000; ++k)
    content += std::to_string(4000000000ULL + static_cast<unsigned>(k)) + " " + std::to_string(k % 17) + "\n";
  content += "-1 0\n0000000000001 1\n";
  const TempFile f("big.txt", content);
  const rapport::EdgeList el = rapport::read_edge_list(f.str());
  ASSERT_EQ(el.sources.size(), 3002U);
  EXPECT_EQ(el.names.size(), 3000U + 17U + 2U);
  for (std::size_t e = 0; e < el.sources.size(); ++e) {
    EXPECT_EQ(el.names[el.sources[e]],
              e < 3000 ? std::to_string(4000000000ULL + e) : (e == 3000 ? "-1" : "0000000000001"));
  }
  EXPECT_EQ(el.names[el.targets[3000]], "0");
  EXPECT_EQ(el.names[el.targets[3001]], "1");
}

/// A SNAP file of a few MiB (so that it is read in several blocks) mixing every kind of line
/// and token: short and long canonical integers, "0", leading zeros, 9- and 10-digit ids, words,
/// comments, blank lines, CRLF, runs of spaces and tabs, trailing blanks, and ids that first
/// appear late in the file.
std::string mixed_snap_text(std::size_t lines) {
  std::mt19937_64 rng(11);
  const char* const words[] = {"alice", "007", "0", "12345678", "123456789", "9999999999", "x1", "-3", "00"};
  auto token = [&](std::size_t line) -> std::string {
    const auto r = rng() % 100;
    if (r < 80) return std::to_string(rng() % (1000 + line / 10));  // later lines reach new ids
    return words[rng() % std::size(words)];
  };
  const char* const gaps[] = {"\t", " ", "  ", " \t "};
  std::string text = "# mixed\n";
  for (std::size_t k = 0; k < lines; ++k) {
    const auto kind = rng() % 50;
    if (kind == 0)
      text += "# comment " + std::to_string(k) + "\n";
    else if (kind == 1)
      text += "\n";
    else if (kind == 2)
      text += "  " + token(k) + gaps[rng() % 4] + token(k) + "  \r\n";
    else
      text += token(k) + gaps[rng() % 4] + token(k) + (kind == 3 ? "\r\n" : "\n");
  }
  return text;
}

/// What read_edge_list must return for a SNAP text, by the simplest means.
rapport::EdgeList reference_snap(const std::string& text) {
  rapport::EdgeList el;
  std::map<std::string, std::uint32_t> index;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> tok;
    for (std::string w; words >> w;) tok.push_back(w);
    if (tok.empty() || tok[0][0] == '#') continue;
    std::uint32_t id[2];
    for (int j = 0; j < 2; ++j) {
      const auto [it, added] = index.emplace(tok[j], static_cast<std::uint32_t>(el.names.size()));
      if (added) el.names.push_back(tok[j]);
      id[j] = it->second;
    }
    el.sources.push_back(id[0]);
    el.targets.push_back(id[1]);
  }
  return el;
}

TEST(Centrality, ReadSnapInParallelBlocksKeepsFirstSeenOrder) {
  // 1 MiB blocks (the default is larger, so that small files parse on one thread)
  struct BlockSize {
    std::size_t saved = rapport::detail::snap_block_bytes;
    BlockSize() { rapport::detail::snap_block_bytes = std::size_t{1} << 20; }
    ~BlockSize() { rapport::detail::snap_block_bytes = saved; }
  } blocks;
  const std::string text = mixed_snap_text(300000);
  ASSERT_GT(text.size(), std::size_t{3} << 20);  // several blocks
  const TempFile f("mixed.txt", text);
  const rapport::EdgeList expected = reference_snap(text);
  for (const unsigned threads : {1U, 2U, 8U}) {
    rapport::LoadOptions o;
    o.threads = threads;
    const rapport::EdgeList el = rapport::read_edge_list(f.str(), o);
    EXPECT_TRUE(el.names == expected.names) << threads << " threads";
    EXPECT_TRUE(el.sources == expected.sources) << threads << " threads";
    EXPECT_TRUE(el.targets == expected.targets) << threads << " threads";
  }
  // A malformed line late in the file (in the last block) is reported with its own line number.
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  const TempFile bad("mixed_bad.txt", text + "1 2 3\n");
  EXPECT_NE(error_of(bad.str()).find(bad.str() + ":" + std::to_string(lines + 1) + ": expected 2 ids, found more"),
            std::string::npos)
      << error_of(bad.str());
}

TEST(Centrality, ReadCsvEdgeList) {
  const TempFile f("referrals.csv",
                   "referral_date,referred_id,\"referrer_id\",channel\r\n"
                   "2024-01-01,c2,c1,email\r\n"
                   "2024-01-02,\"c,3\",c1,\"say \"\"hi\"\"\"\r\n"
                   "\r\n"
                   "2024-01-03, c1 ,\"c \"\"q\"\"\",sms\n"
                   "2024-01-04,\"multi\nline\",c2,x");
  const rapport::EdgeList el = rapport::read_edge_list(f.str());
  // ids verbatim: " c1 " is not "c1"
  EXPECT_EQ(el.names, (std::vector<std::string>{"c1", "c2", "c,3", "c \"q\"", " c1 ", "multi\nline"}));
  EXPECT_EQ(el.sources, (std::vector<std::uint32_t>{0, 0, 3, 1}));
  EXPECT_EQ(el.targets, (std::vector<std::uint32_t>{1, 2, 4, 5}));
  EXPECT_EQ(el.report.referrals.read, 4U);
  EXPECT_EQ(el.report.referrals.rejected, 0U);
}

/// One reject as "line:column:column_name:reason".
std::string reject_text(const rapport::RejectedRow& r) {
  return std::to_string(r.line) + ":" + std::to_string(r.column) + ":" + r.column_name + ":" + r.reason;
}

// Regression (issue 15): `rapport graph` read referrals.csv with a second parser that trimmed
// ids, kept self-referrals and aborted the whole run on one empty id. Now the rows go through
// the one CSV reader and the referral rules of `rapport score`, and bad rows are reported.
TEST(Centrality, ReadCsvEdgeListUsesTheReferralRowRules) {
  //   line 1  header (at present: it is checked like in referrals.csv)
  //   line 2  a -> b          accepted
  //   line 3  a -> a          self-referral: rejected (referred_id, column 2)
  //   line 4  "" -> b         empty referrer_id: rejected, the run goes on
  //   line 5  " b" -> c       accepted, id kept verbatim as " b"
  //   line 6  c -> d, bad at  rejected (at, column 3)
  //   line 7  d -> a, 2 fields only: rejected (field count, at the first missing column 3)
  //   line 8  b -> c          accepted
  const TempFile f("refs.csv",
                   "referrer_id,referred_id,at\n"
                   "a,b,2024-01-01\n"
                   "a,a,2024-01-02\n"
                   ",b,2024-01-03\n"
                   " b,c,2024-01-04\n"
                   "c,d,2024-13-01\n"
                   "d,a\n"
                   "b,c,2024-01-05\n");
  std::vector<std::string> streamed;
  rapport::LoadOptions options;
  options.on_reject = [&](const rapport::RejectedRow& r) { streamed.push_back(reject_text(r)); };
  const rapport::EdgeList el = rapport::read_edge_list(f.str(), options);
  EXPECT_EQ(el.names, (std::vector<std::string>{"a", "b", " b", "c"}));
  EXPECT_EQ(el.sources, (std::vector<std::uint32_t>{0, 2, 1}));
  EXPECT_EQ(el.targets, (std::vector<std::uint32_t>{1, 3, 3}));
  EXPECT_EQ(el.report.referrals.read, 7U);
  EXPECT_EQ(el.report.referrals.rejected, 4U);
  std::vector<std::string> got;
  for (const auto& r : el.report.rejects) {
    EXPECT_EQ(r.file, f.str());
    EXPECT_EQ(r.table, "referrals");
    got.push_back(reject_text(r));
  }
  const std::vector<std::string> expected{"3:2:referred_id:self-referral", "4:1:referrer_id:empty referrer_id",
                                          "6:3:at:impossible timestamp", "7:3:at:expected 3 fields, found 2"};
  EXPECT_EQ(got, expected);
  EXPECT_EQ(streamed, expected);

  // strict mode turns the first reject into an InputError naming file:line:column
  options = {};
  options.strict = true;
  try {
    (void)rapport::read_edge_list(f.str(), options);
    FAIL() << "expected an InputError";
  } catch (const rapport::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(f.str() + ":3:2: self-referral"), std::string::npos) << e.what();
  }
}

TEST(Centrality, ReadEdgeListErrorsNameFileAndLine) {
  // a file that cannot be opened: the one file reader's message, as for every input file
  EXPECT_EQ(error_of("/nonexistent/dir/graph.txt"),
            "/nonexistent/dir/graph.txt: cannot open: No such file or directory");

  const TempFile three("three.txt", "# c\n1 2\n1 2 3\n");
  EXPECT_NE(error_of(three.str()).find(three.str() + ":3: expected 2 ids"), std::string::npos);

  const TempFile one("one.txt", "1 2\n\n  5\n");
  EXPECT_NE(error_of(one.str()).find(one.str() + ":3:"), std::string::npos);

  // header names are exact and case-sensitive, as in every CSV input
  const TempFile no_cols("nocols.csv", "a,b\n1,2\n");
  EXPECT_NE(error_of(no_cols.str()).find(no_cols.str() + ":1: missing required column 'referrer_id'"),
            std::string::npos);
  const TempFile upper("upper.csv", "# comment first\nReferrer_ID,referred_id\n1,2\n");
  EXPECT_NE(error_of(upper.str()).find(upper.str() + ":2: missing required column 'referrer_id'"), std::string::npos);

  // malformed quoting rejects the row (reported), as in `rapport score`
  const TempFile unterminated("unterminated.csv", "referrer_id,referred_id\n1,2\n\"3,4\n");
  const auto el = rapport::read_edge_list(unterminated.str());
  ASSERT_EQ(el.report.rejects.size(), 1U);
  EXPECT_EQ(el.report.rejects[0].line, 3U);
  EXPECT_EQ(el.report.rejects[0].reason, "unterminated quoted field");
  EXPECT_EQ(el.sources.size(), 1U);

  const TempFile blank("blank.txt", "# only comments\n\n");
  const rapport::EdgeList none = rapport::read_edge_list(blank.str());
  EXPECT_TRUE(none.names.empty());
  EXPECT_TRUE(none.sources.empty());
}

// ------------------------------------------------------------------------------------------
// write_centrality_csv
// ------------------------------------------------------------------------------------------

TEST(Centrality, WriteCentralityCsvManyRowsInOrder) {
  // More rows than one formatting batch (they are formatted in parallel batches): every row in
  // input order, each value reading back exactly.
  const std::size_t n = 200000;
  std::vector<std::string> names(n);
  std::vector<double> values(n);
  std::mt19937_64 rng(3);
  std::string expected = "id,score\n";
  for (std::size_t k = 0; k < n; ++k) {
    names[k] = std::to_string(k);
    names[k].insert(0, k % 1000 == 0 ? "n," : "n");
    values[k] = std::uniform_real_distribution<double>(0.0, 1.0)(rng) * std::pow(10.0, -static_cast<double>(k % 12));
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, values[k]);
    const bool quoted = k % 1000 == 0;
    if (quoted) expected.push_back('"');
    expected.append(names[k]);
    if (quoted) expected.push_back('"');
    expected.push_back(',');
    expected.append(buf, r.ptr);
    expected.push_back('\n');
  }
  const TempFile out("many.csv");
  rapport::write_centrality_csv(out.str(), names, values, "score");
  EXPECT_TRUE(read_all(out.str()) == expected);
}

TEST(Centrality, WriteCentralityCsvRoundTripsAndIsAtomic) {
  const TempFile out("scores.csv");
  const std::vector<std::string> names{"a", "b,c", "q\"t"};
  const std::vector<double> values{0.1, 1.0 / 3.0, 2.5e-300};
  rapport::write_centrality_csv(out.str(), names, values, "pagerank");
  EXPECT_FALSE(std::filesystem::exists(out.str() + ".tmp"));
  const std::string text = read_all(out.str());
  EXPECT_EQ(text, "id,pagerank\na,0.1\n\"b,c\",0.3333333333333333\n\"q\"\"t\",2.5e-300\n");
  // Shortest round-trip: parsing the text gives back the exact doubles.
  double back = 0;
  const std::string third = "0.3333333333333333";
  std::from_chars(third.data(), third.data() + third.size(), back);
  EXPECT_EQ(back, values[1]);

  EXPECT_THROW(rapport::write_centrality_csv(out.str(), names, {1.0}, "x"), rapport::UsageError);
  EXPECT_THROW(rapport::write_centrality_csv("/nonexistent/dir/x.csv", names, values, "x"), std::runtime_error);
}

// ------------------------------------------------------------------------------------------
// Real data: a cut of soc-Epinions1 (tests/data/graphs: the 1,000 nodes with ids below 1000 and
// the 40,240 edges among them; the whole graph has 75,879 nodes and 508,837 edges)
// ------------------------------------------------------------------------------------------

TEST(Centrality, EpinionsPageRank) {
  const std::string path = std::string(RAPPORT_TEST_DATA) + "/graphs/soc-Epinions1-first1000.txt";
  const rapport::EdgeList el = rapport::read_edge_list(path);
  ASSERT_EQ(el.names.size(), 1000U);
  ASSERT_EQ(el.sources.size(), 40240U);
  EXPECT_EQ(el.names[0], "0");
  const Digraph g = rapport::make_digraph(el.names.size(), el.sources, el.targets);
  const auto r = rapport::pagerank(g);
  EXPECT_NEAR(sum_of(r.values), 1.0, 1e-12);
  EXPECT_TRUE(std::all_of(r.values.begin(), r.values.end(), [](double v) { return v > 0; }));
  EXPECT_LT(r.residual, 1e-12);
  EXPECT_LT(r.iterations, 1000);
  // Top nodes and values from an exact dense solve of (I - 0.85 M) x = 0.15/n (numpy, dangling
  // columns spread uniformly; igraph 0.10 PRPACK agrees to 2e-14); see tests/data/README.md.
  const std::pair<const char*, double> top[] = {
      {"1", 0.009714942416993718}, {"0", 0.008614475586100605}, {"18", 0.008173383459460844}};
  std::vector<std::size_t> order;  // indices of the three largest values, descending
  for (std::size_t k = 0; k < 3; ++k) {
    std::size_t best = r.values.size();
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      if (std::find(order.begin(), order.end(), i) != order.end()) continue;
      if (best == r.values.size() || r.values[i] > r.values[best]) best = i;
    }
    order.push_back(best);
  }
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(el.names[order[k]], top[k].first);
    EXPECT_NEAR(r.values[order[k]], top[k].second, 1e-9);
  }
  // The cut keeps a large strongly connected core (spectral radius ~82): beta = 0.5 is far beyond
  // 1 / spectral radius, beta = 0.001 below it.
  EXPECT_THROW((void)rapport::katz_reach(g), rapport::ConfigError);
  rapport::KatzOptions ko;
  ko.beta = 0.001;
  const auto k = rapport::katz_reach(g, ko);
  EXPECT_TRUE(std::all_of(k.values.begin(), k.values.end(), [](double v) { return v >= 0; }));
}
