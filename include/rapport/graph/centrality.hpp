/// @file centrality.hpp
/// Referral-network centrality: a compact CSR directed graph, PageRank (a linear solve: Gauss-Seidel over the graph's
/// cyclic core, colour classes swept in parallel) and Katz "reach" (attenuated count of downstream referral walks,
/// multithreaded), both with results that do not depend on the thread count. The edge-list reader,
/// read_edge_list, is in rapport/io/edge_list.hpp and the scores' CSV writer, write_centrality_csv,
/// in rapport/io/writers.hpp.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rapport {

/// Directed graph in compressed-sparse-row form. The out-neighbours of node `u` are
/// `targets[offsets[u]] .. targets[offsets[u + 1] - 1]`. Multi-edges are kept (each copy counts,
/// as in igraph) and self-loops are allowed.
struct Digraph {
  std::vector<std::uint64_t> offsets{0};  ///< row starts, size num_nodes() + 1, offsets[0] == 0
  std::vector<std::uint32_t> targets;     ///< out-neighbours of every node, grouped by source

  /// Number of nodes (`offsets.size() - 1`, or 0 for a default-constructed graph).
  [[nodiscard]] std::size_t num_nodes() const noexcept { return offsets.empty() ? 0 : offsets.size() - 1; }
  /// Number of edges, multi-edges counted with multiplicity.
  [[nodiscard]] std::size_t num_edges() const noexcept { return targets.size(); }
};

/// Builds a CSR graph with `num_nodes` nodes from parallel arrays of edge endpoints by a
/// counting sort (linear time). Within each source the edges keep their input order.
/// @throws UsageError if the spans differ in length, an id is >= num_nodes, or
///         num_nodes exceeds 2^32 (ids are 32-bit).
RAPPORT_API Digraph make_digraph(std::size_t num_nodes, std::span<const std::uint32_t> sources,
                                 std::span<const std::uint32_t> targets);

/// Upper bound of PageRankOptions::max_iterations, KatzOptions::max_iterations and
/// KatzOptions::max_depth (a run stays bounded in time).
inline constexpr int max_centrality_iterations = 100000;

/// Options for pagerank(). Domains (checked by validate(), which pagerank() calls first):
/// damping in [0, 1), tolerance positive and finite, max_iterations in
/// [0, max_centrality_iterations]; threads any (see pagerank()).
struct PageRankOptions {
  double damping = 0.85;      ///< probability of following an out-edge (teleport with 1 - damping)
  double tolerance = 1e-12;   ///< accuracy: the result's L1 error stays below 2 * tolerance * d / (1 - d)
  int max_iterations = 1000;  ///< hard cap on sweeps over the cyclic core (no error when reached)
  unsigned threads = 0;       ///< threads for the core sweeps; 0 = all cores (the result does not depend on it)
};

/// Checks every PageRankOptions field against its domain.
/// @throws ConfigError naming the field, its domain and the value.
RAPPORT_API void validate(const PageRankOptions& options);

/// Result of a centrality computation.
struct CentralityResult {
  std::vector<double> values;  ///< one score per node
  int iterations = 0;          ///< iterations performed (pagerank: sweeps over the cyclic core)
  double residual = 0;         ///< relative L1 change of the last iteration (0 when none was needed)
};

/// PageRank with uniform teleportation; the mass of dangling nodes (no out-edges) is spread
/// uniformly over all nodes. Matches igraph (PRPACK) and networkx.
///
/// Solved as the linear system y = (1 - d)/n + d P^T y, in which dangling nodes send nothing;
/// the PageRank vector is y / sum(y) (with uniform teleport and uniform dangling spread the two
/// are proportional). Nodes that no cycle reaches from upstream (repeatedly: no in-edges) are
/// solved exactly in one pass in topological order, and so are the remaining dangling nodes
/// after the rest; that rest, the cyclic core, is solved by successive over-relaxation:
/// Gauss-Seidel sweeps (each node updated in place from its in-neighbours' latest values) with
/// over-relaxation factor omega = min(1.08, 2 / (1 + d) - 0.001), inside the range where the
/// method provably converges; a sweep that changes the values more than the one before switches
/// to plain Gauss-Seidel (omega = 1, which contracts the L1 error by d or better every sweep) for
/// the rest, so graphs close to periodic (a cycle with a chord), where over-relaxation crawls,
/// still converge at least at the power method's rate. On soc-Epinions1 the solve takes 64 sweeps
/// where the power method took 139 iterations. A sweep that changes the values by D (L1, relative
/// to their sum) bounds the residual by (|1/omega - 1| + d) D; the sweeps stop once that bound is
/// at most d * tolerance, so the L1 error of the result is below 2 * tolerance * d / (1 - d)
/// (about 1.1e-11 at the defaults). `iterations` counts the sweeps (0 for a graph without cycles)
/// and `residual` is the last sweep's relative change D.
/// The sweeps run on `threads` threads: the core is coloured greedily so that no edge joins two
/// nodes of one colour; each large colour class is updated in parallel (fixed chunks: its nodes
/// read no value of their own class), the small ones after them on one thread. The order of the
/// updates and of every sum depends on the graph alone, so the result is bitwise the same for any
/// thread count. The values are nonnegative and sum to 1.
/// @throws ConfigError when a setting is outside its domain (see PageRankOptions).
/// @throws UsageError when the graph is malformed.
RAPPORT_API CentralityResult pagerank(const Digraph& graph, const PageRankOptions& options = {});

/// Options for katz_reach(). Domains (checked by validate(), which katz_reach() calls first):
/// beta finite and >= 0 (whether the series converges depends on the graph: see katz_reach()),
/// tolerance positive and finite, max_depth and max_iterations in
/// [0, max_centrality_iterations]; threads any (capped at the machine's cores).
struct KatzOptions {
  double beta = 0.5;          ///< attenuation per extra hop
  int max_depth = 0;          ///< longest walk length counted; 0 = sum the series to convergence
  double tolerance = 1e-12;   ///< stop when ||x_new - x||_1 <= tolerance * ||x_new||_1
  int max_iterations = 1000;  ///< cap when max_depth == 0; reaching it means divergence
  unsigned threads = 0;       ///< worker threads; 0 = std::thread::hardware_concurrency()
};

/// Checks every KatzOptions field against its domain.
/// @throws ConfigError naming the field, its domain and the value.
RAPPORT_API void validate(const KatzOptions& options);

/// Katz reach: for each node i, sum over k >= 1 of beta^(k-1) times the number of walks of length
/// k that start at i and follow out-edges (for a referral forest: sum over descendants j of
/// beta^(depth(j) - depth(i) - 1)). Computed by the iteration x <- A (1 + beta x), starting from
/// x = 0, so iteration k holds the series truncated at walks of length k. With max_depth > 0
/// exactly max_depth terms are summed (fewer only when the series ends, e.g. on a DAG).
/// Results are bitwise identical for any thread count.
/// @throws ConfigError when the series diverges (beta * spectral radius >= 1): the values
///         overflow or max_iterations is reached without convergence.
/// @throws ConfigError when a setting is outside its domain (see KatzOptions).
/// @throws UsageError when the graph is malformed.
RAPPORT_API CentralityResult katz_reach(const Digraph& graph, const KatzOptions& options = {});

}  // namespace rapport
