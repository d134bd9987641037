/// @file boost.hpp
/// rapport::Digraph as a Boost.Graph graph, read in place (no copy): a VertexListGraph,
/// IncidenceGraph, AdjacencyGraph and EdgeListGraph with a vertex index map, so that any BGL
/// algorithm (breadth_first_search, strong_components, dijkstra_shortest_paths, ...) runs on
/// rapport's CSR graphs, e.g. the referral graph of a scored base (rapport::referral_graph()).
///
/// Vertices are the node ids 0 .. num_nodes() - 1 (for a referral graph: the person indexes of
/// CustomerBase::person()); an edge is (source, position in Digraph::targets), so multi-edges stay
/// distinct and the edge's position doubles as an edge index. The graph must outlive the iterators.
///
/// This header needs the Boost.Graph headers (Debian's libboost-dev ships them with the rest of
/// Boost's headers); the rest of rapport does not.
#pragma once

#include <rapport/graph/centrality.hpp>

#include <boost/graph/graph_traits.hpp>
#include <boost/graph/properties.hpp>
#include <boost/iterator/counting_iterator.hpp>
#include <boost/iterator/iterator_facade.hpp>
#include <boost/property_map/property_map.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace rapport {

/// An edge of a Digraph: its source and its position in Digraph::targets (its edge index).
struct DigraphEdge {
  std::uint32_t source = 0;  ///< the source node
  std::uint64_t index = 0;   ///< position in Digraph::targets (0 .. num_edges() - 1)
  /// Two descriptors are equal when they name the same edge.
  friend bool operator==(const DigraphEdge&, const DigraphEdge&) = default;
};

namespace detail {

/// The out-edges of one node: (u, k) for k in [offsets[u], offsets[u + 1]).
class DigraphOutEdgeIterator
    : public boost::iterator_facade<DigraphOutEdgeIterator, DigraphEdge, boost::random_access_traversal_tag,
                                    DigraphEdge, std::ptrdiff_t> {
public:
  DigraphOutEdgeIterator() = default;
  DigraphOutEdgeIterator(std::uint32_t u, std::uint64_t k) : u_(u), k_(k) {}

private:
  friend class boost::iterator_core_access;
  DigraphEdge dereference() const { return {u_, k_}; }
  bool equal(const DigraphOutEdgeIterator& o) const { return k_ == o.k_; }
  void increment() { ++k_; }
  void decrement() { --k_; }
  void advance(std::ptrdiff_t n) { k_ = static_cast<std::uint64_t>(static_cast<std::ptrdiff_t>(k_) + n); }
  std::ptrdiff_t distance_to(const DigraphOutEdgeIterator& o) const {
    return static_cast<std::ptrdiff_t>(o.k_) - static_cast<std::ptrdiff_t>(k_);
  }
  std::uint32_t u_ = 0;
  std::uint64_t k_ = 0;
};

/// Every edge of the graph, by source and then in Digraph::targets order.
class DigraphEdgeIterator
    : public boost::iterator_facade<DigraphEdgeIterator, DigraphEdge, boost::forward_traversal_tag, DigraphEdge> {
public:
  DigraphEdgeIterator() = default;
  /// The first edge at position `k` or later, from node `u` on.
  DigraphEdgeIterator(const Digraph* g, std::uint32_t u, std::uint64_t k) : g_(g), u_(u), k_(k) { skip_empty(); }

private:
  friend class boost::iterator_core_access;
  DigraphEdge dereference() const { return {u_, k_}; }
  bool equal(const DigraphEdgeIterator& o) const { return k_ == o.k_; }
  void increment() {
    ++k_;
    skip_empty();
  }
  /// Moves u_ to the node whose out-edges hold position k_ (past nodes without out-edges).
  void skip_empty() {
    while (g_ && u_ < g_->num_nodes() && g_->offsets[u_ + 1] <= k_) ++u_;
  }
  const Digraph* g_ = nullptr;
  std::uint32_t u_ = 0;
  std::uint64_t k_ = 0;
};

}  // namespace detail

// The Boost.Graph interface, found by argument-dependent lookup on rapport::Digraph.

/// All vertices: 0 .. num_nodes() - 1.
inline std::pair<boost::counting_iterator<std::uint32_t>, boost::counting_iterator<std::uint32_t>> vertices(
    const Digraph& g) {
  return {boost::counting_iterator<std::uint32_t>(0),
          boost::counting_iterator<std::uint32_t>(static_cast<std::uint32_t>(g.num_nodes()))};
}
/// Number of vertices.
inline std::size_t num_vertices(const Digraph& g) { return g.num_nodes(); }
/// The out-edges of `u`.
inline std::pair<detail::DigraphOutEdgeIterator, detail::DigraphOutEdgeIterator> out_edges(std::uint32_t u,
                                                                                           const Digraph& g) {
  return {detail::DigraphOutEdgeIterator(u, g.offsets[u]), detail::DigraphOutEdgeIterator(u, g.offsets[u + 1])};
}
/// Number of out-edges of `u` (multi-edges counted).
inline std::size_t out_degree(std::uint32_t u, const Digraph& g) {
  return static_cast<std::size_t>(g.offsets[u + 1] - g.offsets[u]);
}
/// The heads of `u`'s out-edges, read in place from Digraph::targets.
inline std::pair<const std::uint32_t*, const std::uint32_t*> adjacent_vertices(std::uint32_t u, const Digraph& g) {
  const std::uint32_t* t = g.targets.data();
  return {t + g.offsets[u], t + g.offsets[u + 1]};
}
/// The tail of edge `e`.
inline std::uint32_t source(const DigraphEdge& e, const Digraph&) { return e.source; }
/// The head of edge `e`.
inline std::uint32_t target(const DigraphEdge& e, const Digraph& g) { return g.targets[e.index]; }
/// All edges, by source.
inline std::pair<detail::DigraphEdgeIterator, detail::DigraphEdgeIterator> edges(const Digraph& g) {
  return {detail::DigraphEdgeIterator(&g, 0, 0),
          detail::DigraphEdgeIterator(&g, static_cast<std::uint32_t>(g.num_nodes()), g.num_edges())};
}
/// Number of edges (multi-edges counted).
inline std::uint64_t num_edges(const Digraph& g) { return g.num_edges(); }

/// The vertex index map: a vertex is its own index.
inline boost::typed_identity_property_map<std::uint32_t> get(boost::vertex_index_t, const Digraph&) { return {}; }
/// The index of vertex `v` (itself).
inline std::uint32_t get(boost::vertex_index_t, const Digraph&, std::uint32_t v) { return v; }

}  // namespace rapport

namespace boost {

/// rapport::Digraph's Boost.Graph types.
template <>
struct graph_traits<rapport::Digraph> {
  using vertex_descriptor = std::uint32_t;
  using edge_descriptor = rapport::DigraphEdge;
  using directed_category = directed_tag;
  using edge_parallel_category = allow_parallel_edge_tag;
  /// The four interfaces rapport::Digraph offers.
  struct traversal_category : vertex_list_graph_tag, incidence_graph_tag, adjacency_graph_tag, edge_list_graph_tag {};
  using vertex_iterator = counting_iterator<std::uint32_t>;
  using out_edge_iterator = rapport::detail::DigraphOutEdgeIterator;
  using adjacency_iterator = const std::uint32_t*;
  using edge_iterator = rapport::detail::DigraphEdgeIterator;
  using vertices_size_type = std::size_t;
  using edges_size_type = std::uint64_t;
  using degree_size_type = std::size_t;
  /// No vertex (rapport::no_index's value).
  static vertex_descriptor null_vertex() { return 0xFFFFFFFFu; }
};

/// The vertex index map of rapport::Digraph.
template <>
struct property_map<rapport::Digraph, vertex_index_t> {
  using type = typed_identity_property_map<std::uint32_t>;
  using const_type = type;
};

}  // namespace boost
