// rapport::Digraph as a Boost graph (<rapport/graph/boost.hpp>): the concepts, and BGL algorithms on
// hand-drawn referral graphs with hand-computed results.
#include <rapport/graph/boost.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/scoring/referral.hpp>
#include <rapport/scoring/score.hpp>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/graph_concepts.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/visitors.hpp>
#include <boost/property_map/property_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using rapport::Digraph;

BOOST_CONCEPT_ASSERT((boost::VertexListGraphConcept<Digraph>));
BOOST_CONCEPT_ASSERT((boost::IncidenceGraphConcept<Digraph>));
BOOST_CONCEPT_ASSERT((boost::AdjacencyGraphConcept<Digraph>));
BOOST_CONCEPT_ASSERT((boost::EdgeListGraphConcept<Digraph>));
BOOST_CONCEPT_ASSERT((boost::ReadablePropertyGraphConcept<Digraph, std::uint32_t, boost::vertex_index_t>));

namespace {

rapport::day_t day(int y, unsigned m, unsigned d) { return rapport::days_from_civil(y, m, d); }
rapport::seconds_t noon(int y, unsigned m, unsigned d) { return rapport::midnight(day(y, m, d)) + 12 * 3600; }

/// A base of customers `ids` (acquired 2024-01-01) and referrals (referrer, referred, at).
rapport::CustomerBase base_of(const std::vector<std::string>& ids,
                              const std::vector<std::tuple<std::string, std::string, rapport::seconds_t>>& referrals) {
  rapport::CustomerBaseBuilder b;
  for (const auto& id : ids) EXPECT_EQ(b.add_customer(id, day(2024, 1, 1), ""), "") << id;
  for (const auto& [from, to, at] : referrals) EXPECT_EQ(b.add_referral(from, to, at), "") << from << "->" << to;
  return b.finish();
}

/// A property map over `values`, indexed by vertex (as BGL's visitors and algorithms take them).
auto by_vertex(std::vector<std::uint32_t>& values, const Digraph& g) {
  return boost::make_iterator_property_map(values.begin(), get(boost::vertex_index, g));
}

/// Records the order in which breadth_first_search discovers vertices.
struct DiscoverOrder : boost::default_bfs_visitor {
  std::vector<std::uint32_t>* order;
  void discover_vertex(std::uint32_t v, const Digraph&) const { order->push_back(v); }
};

}  // namespace

TEST(BoostGraph, BreadthFirstSearchOnAReferralGraph) {
  //   A ──> B ──> D          persons: A 0, B 1, C 2, D 3, E 4 (customers, in input order),
  //   │                               X 5 (a prospect: named only in a referral)
  //   └───> C ──> X          C -> E is made after the as-of date: not in the graph.
  //   E
  const auto base = base_of({"A", "B", "C", "D", "E"}, {{"A", "B", noon(2024, 2, 1)},
                                                        {"A", "C", noon(2024, 2, 2)},
                                                        {"B", "D", noon(2024, 2, 3)},
                                                        {"C", "X", noon(2024, 2, 4)},
                                                        {"C", "E", noon(2024, 7, 1)}});
  const Digraph g = rapport::referral_graph(base, day(2024, 6, 30));
  ASSERT_EQ(num_vertices(g), 6u);
  ASSERT_EQ(num_edges(g), 4u);
  ASSERT_EQ(base.person(5), "X");

  // 99: not reached (the search starts at A, its own predecessor)
  std::vector<std::uint32_t> dist{0, 99, 99, 99, 99, 99}, pred{0, 99, 99, 99, 99, 99}, order;
  auto record = std::make_pair(boost::record_distances(by_vertex(dist, g), boost::on_tree_edge()),
                               boost::record_predecessors(by_vertex(pred, g), boost::on_tree_edge()));
  boost::breadth_first_search(g, 0u, boost::visitor(boost::make_bfs_visitor(record)));
  // A at 0; B and C one referral away; D and X two; E unreachable (99 left as it was)
  EXPECT_EQ(dist, (std::vector<std::uint32_t>{0, 1, 1, 2, 99, 2}));
  EXPECT_EQ(pred, (std::vector<std::uint32_t>{0, 0, 0, 1, 99, 2}));

  DiscoverOrder vis;
  vis.order = &order;
  boost::breadth_first_search(g, 0u, boost::visitor(vis));
  EXPECT_EQ(order, (std::vector<std::uint32_t>{0, 1, 2, 3, 5}));  // A's referrals in input order

  // as of 2024-07-01 the late referral C -> E counts too: E at distance 2 from A
  const Digraph later = rapport::referral_graph(base, day(2024, 7, 1));
  std::vector<std::uint32_t> dist2(num_vertices(later), 99);
  dist2[0] = 0;
  const auto record_later = boost::record_distances(by_vertex(dist2, later), boost::on_tree_edge());
  boost::breadth_first_search(later, 0u, boost::visitor(boost::make_bfs_visitor(record_later)));
  EXPECT_EQ(dist2, (std::vector<std::uint32_t>{0, 1, 1, 2, 2, 2}));
}

TEST(BoostGraph, StrongComponentsOfReferralCycles) {
  //   F ──> A ──> B ──> C ──> D <──> E      persons A 0, B 1, C 2, D 3, E 4, F 5
  //         ^───────────┘                   A -> B -> C -> A is a referral cycle, D <-> E another
  //   Tarjan's algorithm (BGL's strong_components) numbers components in reverse topological
  //   order of the DFS from A: {D, E} finishes first (0), then {A, B, C} (1), then {F} (2).
  const auto base = base_of({"A", "B", "C", "D", "E", "F"}, {{"A", "B", noon(2024, 2, 1)},
                                                             {"B", "C", noon(2024, 2, 2)},
                                                             {"C", "A", noon(2024, 2, 3)},
                                                             {"C", "D", noon(2024, 2, 4)},
                                                             {"D", "E", noon(2024, 2, 5)},
                                                             {"E", "D", noon(2024, 2, 6)},
                                                             {"F", "A", noon(2024, 2, 7)}});
  const Digraph g = rapport::referral_graph(base, day(2024, 6, 30));
  std::vector<std::uint32_t> component(num_vertices(g));
  const auto count = boost::strong_components(g, by_vertex(component, g));
  EXPECT_EQ(count, 3);
  EXPECT_EQ(component, (std::vector<std::uint32_t>{1, 1, 1, 0, 0, 2}));
}

TEST(BoostGraph, EdgesAdjacencyAndDegreesReadTheCsrInPlace) {
  //   0 (no out-edges)   1 -> 3, 1 -> 3 (a repeated referral), 1 -> 0   2 (none)   3 -> 2
  const std::vector<std::uint32_t> s{1, 1, 3, 1}, t{3, 3, 2, 0};
  const Digraph g = rapport::make_digraph(4, s, t);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> all;
  std::uint64_t position = 0;
  for (auto [it, end] = edges(g); it != end; ++it, ++position) {
    EXPECT_EQ((*it).index, position);
    all.emplace_back(source(*it, g), target(*it, g));
  }
  EXPECT_EQ(all, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 3}, {1, 3}, {1, 0}, {3, 2}}));
  EXPECT_EQ(out_degree(0, g), 0u);
  EXPECT_EQ(out_degree(1, g), 3u);
  const auto [a, b] = adjacent_vertices(1, g);
  EXPECT_EQ(a, g.targets.data());  // no copy: the adjacency range is the CSR's own
  EXPECT_EQ(std::vector<std::uint32_t>(a, b), (std::vector<std::uint32_t>{3, 3, 0}));
  const auto [o, oe] = out_edges(3, g);
  ASSERT_EQ(oe - o, 1);
  EXPECT_EQ(target(*o, g), 2u);
  EXPECT_EQ(get(boost::vertex_index, g, 3u), 3u);
  const auto [e0, e1] = edges(rapport::make_digraph(3, {}, {}));
  EXPECT_TRUE(e0 == e1);
}

TEST(BoostGraph, TheScoredBasesForestLiesInItsReferralGraph) {
  // Invariant on a generated base: every forest edge parent -> person is an edge of the graph
  // the forest was built from, and every converted referral is reachable by BFS from its root.
  rapport::GenerateOptions o;
  o.customers = 400;
  o.seed = 11;
  const auto base = rapport::generate_base(o);
  const auto result = rapport::score(base);  // as of the latest date in the data
  const Digraph g = rapport::referral_graph(base, result.as_of);
  ASSERT_EQ(num_vertices(g), base.person_count());
  std::size_t forest_edges = 0;
  for (std::uint32_t v = 0; v < num_vertices(g); ++v) {
    const auto parent = result.forest.parent[v];
    if (parent == rapport::no_index) continue;
    ++forest_edges;
    const auto [a, b] = adjacent_vertices(parent, g);
    EXPECT_NE(std::find(a, b, v), b) << v;
    std::vector<std::uint32_t> dist(num_vertices(g), rapport::no_index);
    dist[result.forest.root[v]] = 0;
    const auto record = boost::record_distances(by_vertex(dist, g), boost::on_tree_edge());
    boost::breadth_first_search(g, result.forest.root[v], boost::visitor(boost::make_bfs_visitor(record)));
    EXPECT_LE(dist[v], result.forest.generation[v]) << v;  // BFS finds no longer path than the forest's
  }
  EXPECT_GT(forest_edges, 20u);
}
