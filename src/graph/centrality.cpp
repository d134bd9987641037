// Referral-network centrality: CSR construction, PageRank and Katz reach (edge-list reading: io/edge_list.cpp).
//
// PageRank is a linear solve whose cyclic core is swept by colour classes, the large ones on
// several threads (see PageRankPlan and solve_core); its results do not depend on the thread
// count either. Katz reach runs on several threads. Its parallel scheme: the nodes are cut into a fixed list of chunks
// of roughly equal work (nodes + edges), chosen from the graph alone, never from the thread count. Each iteration every
// chunk is processed sequentially by exactly one thread, writing its partial sums to its own slot; the partial sums are
// then combined serially in chunk order. The floating-point operations and their order are therefore the same for any
// number of threads, which makes the results bitwise reproducible.
#include <rapport/graph/centrality.hpp>

#include <rapport/error.hpp>
#include "graph/centrality_tuning.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <utility>

namespace rapport::detail {

std::size_t pagerank_min_class_work = std::size_t{1} << 13;

namespace {

// ---------------------------------------------------------------------------------------------
// Parallel driver
// ---------------------------------------------------------------------------------------------

/// Number of worker threads to use for `requested` (0 = hardware concurrency), capped at the
/// machine's (results do not depend on the thread count; run_rounds caps it at the work).
/// A setting's value for a message: shortest round-trip text.
std::string number_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// Work units (nodes + edges) per chunk. Independent of the thread count by design.
inline constexpr std::uint64_t kChunkGrain = std::uint64_t{1} << 14;

/// Cuts [0, n) into consecutive chunks of about `grain` units of work, where node u costs
/// 1 + (offsets[u + 1] - offsets[u]). Returns the n_chunks + 1 boundaries.
std::vector<std::size_t> make_chunks(const std::vector<std::uint64_t>& offsets, std::uint64_t grain) {
  const std::size_t n = offsets.empty() ? 0 : offsets.size() - 1;
  std::vector<std::size_t> bounds{0};
  std::uint64_t work = 0;
  for (std::size_t u = 0; u < n; ++u) {
    work += 1 + (offsets[u + 1] - offsets[u]);
    if (work >= grain) {
      bounds.push_back(u + 1);
      work = 0;
    }
  }
  if (bounds.back() != n) bounds.push_back(n);
  return bounds;
}

/// Sum of v[idx[k]] for k in [begin, end) with four interleaved accumulators (breaks the
/// floating-point add latency chain on high-degree nodes). The association order depends only
/// on the graph, so results stay reproducible.
inline double gather_sum(const double* v, const std::uint32_t* idx, std::uint64_t begin, std::uint64_t end) noexcept {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::uint64_t k = begin;
  for (; k + 4 <= end; k += 4) {
    s0 += v[idx[k]];
    s1 += v[idx[k + 1]];
    s2 += v[idx[k + 2]];
    s3 += v[idx[k + 3]];
  }
  for (; k < end; ++k) s0 += v[idx[k]];
  return (s0 + s1) + (s2 + s3);
}

/// Sum of `parts` in index order (the fixed reduction order that makes results reproducible).
double ordered_sum(const std::vector<double>& parts) noexcept {
  double s = 0;
  for (const double p : parts) s += p;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Pull graph: the CSR Katz's iterations gather over, in an internal node order
// ---------------------------------------------------------------------------------------------

/// Katz's gather lists in an internal node order: node p pulls from nbr[off[p]] ..
/// nbr[off[p + 1] - 1] (its out-neighbours, internal ids, ascending). perm[p] is the original id
/// of internal node p.
///
/// The internal order sorts nodes by list length, descending (ties by original id; counting
/// sort): consecutive nodes then have similar trip counts, so the gather loop's exit branch is
/// predictable, and the hubs' entries share cache lines.
struct PullGraph {
  std::vector<std::uint64_t> off;
  std::vector<std::uint32_t> nbr;
  std::vector<std::uint32_t> perm;
};

void validate(const Digraph& g, const char* who) {
  const std::size_t n = g.num_nodes();
  if (g.offsets.size() != n + 1 || g.offsets.front() != 0 || g.offsets.back() != g.targets.size())
    throw UsageError(std::string(who) + ": malformed Digraph (offsets/targets mismatch)");
  for (std::size_t u = 0; u < n; ++u)
    if (g.offsets[u] > g.offsets[u + 1]) throw UsageError(std::string(who) + ": malformed Digraph (offsets decrease)");
  for (const std::uint32_t t : g.targets)
    if (t >= n) throw UsageError(std::string(who) + ": malformed Digraph (target id out of range)");
}

/// The pull graph over out-edges (see PullGraph). `g` must be valid.
PullGraph make_pull_graph(const Digraph& g) {
  const std::size_t n = g.num_nodes();
  PullGraph pg;
  std::vector<std::uint64_t> len(n, 0);
  for (std::size_t u = 0; u < n; ++u) len[u] = g.offsets[u + 1] - g.offsets[u];
  pg.perm.resize(n);
  std::vector<std::uint32_t> rank(n);
  const std::uint64_t max_len = n == 0 ? 0 : *std::max_element(len.begin(), len.end());
  {
    std::vector<std::size_t> start(max_len + 2, 0);  // bucket of length k is max_len - k
    for (const std::uint64_t k : len) ++start[max_len - k + 1];
    for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (std::size_t u = 0; u < n; ++u) {
      const std::size_t p = start[max_len - len[u]]++;
      pg.perm[p] = static_cast<std::uint32_t>(u);
      rank[u] = static_cast<std::uint32_t>(p);
    }
  }
  pg.off.assign(n + 1, 0);
  for (std::size_t p = 0; p < n; ++p) pg.off[p + 1] = pg.off[p] + len[pg.perm[p]];
  pg.nbr.assign(g.targets.size(), 0);
  for (std::size_t p = 0; p < n; ++p) {
    const std::size_t u = pg.perm[p];
    std::uint32_t* out = pg.nbr.data() + pg.off[p];
    for (std::uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e) *out++ = rank[g.targets[e]];
    std::sort(pg.nbr.data() + pg.off[p], out);
  }
  return pg;
}

// ---------------------------------------------------------------------------------------------
// PageRank: a linear system solved by Gauss-Seidel over the graph's cyclic core
// ---------------------------------------------------------------------------------------------

/// PageRank's linear system y = (1 - d)/n + d * sum over in-edges q -> p of y[q] / outdeg(q)
/// (dangling nodes send nothing; the PageRank vector is y / sum(y), see pagerank()), with the
/// nodes in an internal order that splits the system into three parts solved one after another:
///  - upstream [0, core_begin): the nodes no cycle reaches (what is left after repeatedly
///    removing nodes without in-edges), in topological order: one pass gives their values;
///  - core [core_begin, core_end): the other nodes that have out-edges, iterated by Gauss-Seidel
///    to the tolerance;
///  - downstream [core_end, n): the rest, all dangling. Their in-neighbours are upstream or core
///    nodes (every in-neighbour of an upstream node is upstream), so one pass after the core
///    gives their values.
/// `off`/`nbr` hold the in-lists, sorted by internal id, except that a core node's list holds
/// only its upstream in-neighbours (a term fixed before the sweeps). Its core in-neighbours are
/// in `core_off`/`core_nbr`, each list padded to a multiple of 4 with `n` (a slot that holds 0)
/// so the gather needs no remainder loop.
///
/// The core is cut into classes swept one after another: first the parallel classes, colour
/// classes of a greedy colouring (no core edge joins two nodes of one class, so a class's nodes
/// can be updated in any order, on any threads, with the same result), each in
/// `pagerank_class_chunks` fixed chunks of about equal work; then the serial tail, the nodes of
/// the colours too small to be worth a synchronisation (and any a 64-colour mask could not
/// colour), swept in order on one thread. Within a class the nodes keep the order by core
/// in-degree, descending, so consecutive nodes take the same number of gather steps and the
/// most-read values share cache lines. Everything here depends on the graph alone.
struct PageRankPlan {
  std::vector<std::uint64_t> off;       ///< in-list starts, n + 1
  std::vector<std::uint32_t> nbr;       ///< in-neighbours (internal ids), sorted per list
  std::vector<std::uint32_t> perm;      ///< perm[p]: the original id of internal node p
  std::vector<double> inv_out;          ///< 1 / out-degree (0 for a dangling node), internal order
  std::vector<std::uint64_t> core_off;  ///< core node core_begin + i: core_nbr[core_off[i] .. core_off[i + 1])
  std::vector<std::uint32_t> core_nbr;  ///< core in-neighbours, padded with n to multiples of 4
  std::size_t core_begin = 0;
  std::size_t core_end = 0;
  /// Core-relative bounds of the parallel classes' chunks: chunk j is [chunks[j], chunks[j + 1]),
  /// class k owns chunks k * pagerank_class_chunks .. (k + 1) * pagerank_class_chunks - 1; the
  /// serial tail is [chunks.back(), core_end - core_begin). Holds {0} when there is no parallel class.
  std::vector<std::size_t> chunks{0};
  [[nodiscard]] std::size_t num_classes() const noexcept { return (chunks.size() - 1) / pagerank_class_chunks; }
};

/// Appends the nodes with remaining in-degree 0 and, as they are removed, the nodes that lose
/// their last in-edge (Kahn's algorithm; `order` doubles as the FIFO queue). Returns the count;
/// `left` ends as each remaining node's number of in-edges from non-upstream nodes.
std::size_t append_upstream(const Digraph& g, std::vector<std::uint32_t>& left, std::vector<std::uint32_t>& order) {
  const std::size_t n = g.num_nodes();
  for (std::size_t u = 0; u < n; ++u)
    if (left[u] == 0) order.push_back(static_cast<std::uint32_t>(u));
  for (std::size_t h = 0; h < order.size(); ++h) {
    const std::uint32_t u = order[h];
    for (std::uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e)
      if (--left[g.targets[e]] == 0) order.push_back(g.targets[e]);
  }
  return order.size();
}

/// Places the core (counting sort by core in-degree core_in, descending; ties by original id)
/// and the downstream nodes (original order) after the upstream ones in plan.perm, and sets
/// rank (original id -> internal id) for them. rank[u] == unplaced marks the nodes not upstream.
void place_core_and_downstream(const Digraph& g, PageRankPlan& plan, std::vector<std::uint32_t>& rank,
                               const std::vector<std::uint32_t>& core_in, std::uint32_t unplaced) {
  const std::size_t n = g.num_nodes();
  auto is_core = [&](std::size_t u) { return rank[u] == unplaced && g.offsets[u + 1] != g.offsets[u]; };
  std::uint32_t max_in = 0;
  std::size_t num_core = 0;
  for (std::size_t u = 0; u < n; ++u)
    if (is_core(u)) {
      max_in = std::max(max_in, core_in[u]);
      ++num_core;
    }
  plan.core_end = plan.core_begin + num_core;
  std::vector<std::size_t> start(std::size_t{max_in} + 2, 0);  // bucket of core in-degree k: max_in - k
  for (std::size_t u = 0; u < n; ++u)
    if (is_core(u)) ++start[max_in - core_in[u] + 1];
  start[0] = plan.core_begin;
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::size_t down = plan.core_end;
  plan.perm.resize(n);
  for (std::size_t u = 0; u < n; ++u) {
    if (rank[u] != unplaced) continue;
    const std::size_t p = is_core(u) ? start[max_in - core_in[u]]++ : down++;
    plan.perm[p] = static_cast<std::uint32_t>(u);
  }
  for (std::size_t p = plan.core_begin; p < n; ++p) rank[plan.perm[p]] = static_cast<std::uint32_t>(p);
}

/// Colours the core greedily in its current order (plan.perm[core_begin, core_end), by core
/// in-degree): each node takes the lowest of 64 colours that no core neighbour (either edge
/// direction) already has, found from g's out-lists alone: a node reads the colours of its
/// coloured out-neighbours and marks its colour as taken for the uncoloured ones, and every edge
/// is seen from its source, so both directions are covered. Then reorders the core as
/// PageRankPlan describes (parallel classes in colour order, then the serial tail; the order by
/// in-degree kept within each), updates rank for it and sets plan.chunks.
void colour_core(const Digraph& g, PageRankPlan& plan, std::vector<std::uint32_t>& rank,
                 const std::vector<std::uint32_t>& core_in) {
  const std::size_t cb = plan.core_begin, nc = plan.core_end - plan.core_begin;
  constexpr std::uint8_t uncoloured = 64;
  std::vector<std::uint8_t> colour(nc, uncoloured);
  std::vector<std::uint64_t> taken(nc, 0);
  std::uint64_t work[uncoloured + 1] = {};
  for (std::size_t i = 0; i < nc; ++i) {
    const std::uint32_t u = plan.perm[cb + i];
    auto core_index = [&](std::uint32_t v) { return static_cast<std::size_t>(rank[v]) - cb; };  // >= nc: not core
    std::uint64_t mask = taken[i];
    for (std::uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e) {
      const std::size_t q = core_index(g.targets[e]);
      if (q < i && colour[q] != uncoloured) mask |= std::uint64_t{1} << colour[q];
    }
    const auto c = static_cast<std::uint8_t>(std::countr_one(mask));  // 64 when every colour is taken
    colour[i] = c;
    work[c] += 1 + std::uint64_t{core_in[u]};
    if (c == uncoloured) continue;
    for (std::uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e) {
      const std::size_t q = core_index(g.targets[e]);
      if (q > i && q < nc) taken[q] |= std::uint64_t{1} << c;
    }
  }
  // Class of each colour: its rank among the parallel colours, or the tail (num_parallel).
  std::uint8_t klass[uncoloured + 1];
  std::size_t num_parallel = 0;
  for (std::size_t c = 0; c < uncoloured; ++c)
    if (work[c] >= pagerank_min_class_work) klass[c] = static_cast<std::uint8_t>(num_parallel++);
  for (std::size_t c = 0; c <= uncoloured; ++c)
    if (c == uncoloured || work[c] < pagerank_min_class_work) klass[c] = static_cast<std::uint8_t>(num_parallel);
  std::vector<std::size_t> start(num_parallel + 2, 0);  // counting sort by class, stable
  for (std::size_t i = 0; i < nc; ++i) ++start[klass[colour[i]] + std::size_t{1}];
  for (std::size_t k = 1; k < start.size(); ++k) start[k] += start[k - 1];
  const std::vector<std::size_t> class_begin = start;
  std::vector<std::uint32_t> order(nc);
  for (std::size_t i = 0; i < nc; ++i) order[start[klass[colour[i]]]++] = plan.perm[cb + i];
  std::copy(order.begin(), order.end(), plan.perm.begin() + static_cast<std::ptrdiff_t>(cb));
  for (std::size_t i = 0; i < nc; ++i) rank[order[i]] = static_cast<std::uint32_t>(cb + i);
  // Chunks: each parallel class cut where its running work passes k / pagerank_class_chunks of
  // its total.
  plan.chunks.assign(1, 0);
  for (std::size_t k = 0; k < num_parallel; ++k) {
    const std::size_t begin = class_begin[k], end = class_begin[k + 1];
    std::uint64_t total = 0;
    for (std::size_t i = begin; i < end; ++i) total += 1 + std::uint64_t{core_in[order[i]]};
    std::uint64_t running = 0;
    std::size_t next = 1;
    for (std::size_t i = begin; i < end; ++i) {
      running += 1 + std::uint64_t{core_in[order[i]]};
      for (; next < pagerank_class_chunks && running * pagerank_class_chunks >= total * next; ++next)
        plan.chunks.push_back(i + 1);
    }
    for (; next < pagerank_class_chunks; ++next) plan.chunks.push_back(end);
    plan.chunks.push_back(end);
  }
}

/// Fills the in-lists (see PageRankPlan) in internal ids; streaming the sources in internal order
/// leaves every list sorted. indeg: in-degree, core_in: in-edges from non-upstream nodes.
void fill_lists(const Digraph& g, PageRankPlan& plan, const std::vector<std::uint32_t>& rank,
                const std::vector<std::uint32_t>& indeg, const std::vector<std::uint32_t>& core_in) {
  const std::size_t n = g.num_nodes(), cb = plan.core_begin, ce = plan.core_end;
  plan.off.assign(n + 1, 0);
  plan.core_off.assign(ce - cb + 1, 0);
  plan.inv_out.resize(n);
  for (std::size_t p = 0; p < n; ++p) {
    const std::uint32_t u = plan.perm[p];
    const bool core = p >= cb && p < ce;
    plan.off[p + 1] = plan.off[p] + (core ? indeg[u] - core_in[u] : indeg[u]);
    if (core) plan.core_off[p - cb + 1] = plan.core_off[p - cb] + (std::uint64_t{core_in[u]} + 3) / 4 * 4;
    const std::uint64_t deg = g.offsets[u + 1] - g.offsets[u];
    plan.inv_out[p] = deg == 0 ? 0.0 : 1.0 / static_cast<double>(deg);
  }
  plan.nbr.assign(plan.off.back(), 0);
  plan.core_nbr.assign(plan.core_off.back(), static_cast<std::uint32_t>(n));
  std::vector<std::uint64_t> cursor(plan.off.begin(), plan.off.end() - 1);
  std::vector<std::uint64_t> core_cursor(plan.core_off.begin(), plan.core_off.end() - 1);
  for (std::size_t p = 0; p < n; ++p) {
    const std::uint32_t u = plan.perm[p];
    for (std::uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e) {
      const std::uint32_t q = rank[g.targets[e]];
      if (p >= cb && q < ce && q >= cb)
        plan.core_nbr[core_cursor[q - cb]++] = static_cast<std::uint32_t>(p);
      else
        plan.nbr[cursor[q]++] = static_cast<std::uint32_t>(p);
    }
  }
}

PageRankPlan make_pagerank_plan(const Digraph& g) {
  const std::size_t n = g.num_nodes();
  PageRankPlan plan;
  std::vector<std::uint32_t> indeg(n, 0);
  for (const std::uint32_t t : g.targets) ++indeg[t];
  std::vector<std::uint32_t> core_in = indeg;
  plan.perm.reserve(n);
  plan.core_begin = append_upstream(g, core_in, plan.perm);
  constexpr std::uint32_t unplaced = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> rank(n, unplaced);
  for (std::size_t p = 0; p < plan.core_begin; ++p) rank[plan.perm[p]] = static_cast<std::uint32_t>(p);
  place_core_and_downstream(g, plan, rank, core_in, unplaced);
  colour_core(g, plan, rank, core_in);
  fill_lists(g, plan, rank, indeg, core_in);
  return plan;
}

/// Sum of v[idx[k]] for k in [begin, end), end - begin a multiple of 4, with four accumulators.
inline double gather_sum4(const double* v, const std::uint32_t* idx, std::uint64_t begin, std::uint64_t end) noexcept {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::uint64_t k = begin; k < end; k += 4) {
    s0 += v[idx[k]];
    s1 += v[idx[k + 1]];
    s2 += v[idx[k + 2]];
    s3 += v[idx[k + 3]];
  }
  return (s0 + s1) + (s2 + s3);
}

/// Over-relaxation factor of the core sweeps for damping d: SOR converges for every
/// omega < 2 / (1 + rho(J)) when the system matrix is an M-matrix, and the Jacobi matrix J = d P^T
/// (restricted to the core) has rho(J) <= d (its column sums are at most d).
inline double sor_omega(double d) noexcept { return std::min(1.08, 2.0 / (1.0 + d) - 0.001); }

/// One chunk's share of a sweep: the L1 change of its values and their new sum.
struct SweepPart {
  double change = 0;
  double sum = 0;
};

struct CoreSolve {
  int sweeps = 0;
  double residual = 0;  ///< L1 change of the last sweep relative to the sum of the values so far
};

/// Successive over-relaxation (Gauss-Seidel sweeps, each update pushed omega past the
/// Gauss-Seidel value) over the core, in place in y and c, from the start value 1/n.
///
/// A sweep visits the classes of the plan in order: each parallel class chunk by chunk, the
/// chunks handed to up to `threads` threads (a class's nodes read no value of the same class, so
/// the order within it does not matter), then the serial tail on one thread. Each chunk keeps
/// its change and sum in a slot of its own; the slots are added in chunk order, then the tail's.
/// The arithmetic therefore depends on the plan alone: the same bits on any number of threads.
///
/// Stopping rule: after a sweep that changed y by D (L1), the residual of the system is at most
/// (|1/omega - 1| + d) D (the residual of node i is (1/omega - 1) D_i plus d times the changes of
/// the in-neighbours it read before their update, and every column of P^T sums to at most 1), and
/// the error at most that over 1 - d. The sweeps stop once (|1/omega - 1| + d) D <= d tolerance S
/// (S: the sum of the values, bounded below by the upstream and core sums), so the L1 error is at
/// most tolerance d / (1 - d) relative to S, and below 2 tolerance d / (1 - d) after normalising.
CoreSolve solve_core(const PageRankPlan& plan, double teleport, double d, double upstream_sum,
                     const PageRankOptions& options, std::vector<double>& y, std::vector<double>& c) {
  const std::size_t cb = plan.core_begin, nc = plan.core_end - plan.core_begin;
  const double start = 1.0 / static_cast<double>(plan.perm.size());
  // The teleport term and the upstream in-edges are fixed.
  std::vector<double> fixed(nc);
  for (std::size_t i = 0; i < nc; ++i) {
    const std::size_t p = cb + i;
    fixed[i] = teleport + d * gather_sum(c.data(), plan.nbr.data(), plan.off[p], plan.off[p + 1]);
    y[p] = start;
    c[p] = start * plan.inv_out[p];
  }
  double omega = sor_omega(d), last_change = std::numeric_limits<double>::infinity();
  const std::uint64_t* core_off = plan.core_off.data();
  const std::uint32_t* core_nbr = plan.core_nbr.data();
  // Updates core nodes [begin, end) in order; returns their change and new sum.
  auto sweep = [&, fx = fixed.data(), yc = y.data() + cb, cc = c.data(), ic = plan.inv_out.data() + cb](
                   std::size_t begin, std::size_t end) noexcept {
    SweepPart part;
    for (std::size_t i = begin; i < end; ++i) {
      const double gs = fx[i] + d * gather_sum4(cc, core_nbr, core_off[i], core_off[i + 1]);
      const double v = yc[i] + omega * (gs - yc[i]);
      part.change += std::abs(v - yc[i]);
      part.sum += v;
      yc[i] = v;
      cc[cb + i] = v * ic[i];
    }
    return part;
  };
  const std::size_t num_chunks = plan.chunks.size() - 1, num_classes = plan.num_classes();
  std::vector<SweepPart> parts(num_chunks);
  CoreSolve out;
  if (nc == 0 || options.max_iterations == 0) return out;
  // After each sweep: the slots and the tail added in order, and the stopping rule.
  auto end_of_sweep = [&](const SweepPart& tail) noexcept {
    SweepPart total;
    for (const SweepPart& p : parts) {
      total.change += p.change;
      total.sum += p.sum;
    }
    total.change += tail.change;
    total.sum += tail.sum;
    ++out.sweeps;
    const double sum = upstream_sum + total.sum;
    out.residual = total.change / sum;
    const double residual_per_change = std::abs(1.0 / omega - 1.0) + d;  // for this sweep's omega
    if (total.change > last_change) omega = 1.0;  // over-relaxation not helping: plain Gauss-Seidel
    last_change = total.change;
    return residual_per_change * total.change > options.tolerance * d * sum && out.sweeps < options.max_iterations;
  };
  if (num_classes == 0) {
    while (end_of_sweep(sweep(0, nc))) {}
    return out;
  }
  std::size_t klass = 0;  // the class being swept
  auto body = [&](std::size_t k) noexcept {
    const std::size_t j = klass * pagerank_class_chunks + k;
    parts[j] = sweep(plan.chunks[j], plan.chunks[j + 1]);
  };
  auto step = [&]() noexcept {
    if (++klass < num_classes) return true;
    klass = 0;
    return end_of_sweep(sweep(plan.chunks.back(), nc));
  };
  parallel_rounds(thread_count(options.threads), pagerank_class_chunks, body, step);
  return out;
}

/// One pass over nodes [begin, end) whose in-neighbours all have final values in `y`:
/// y[p] = teleport + d * sum of c over its in-list, c[p] = y[p] / outdeg. Returns the sum of the y.
double exact_pass(const PageRankPlan& plan, std::size_t begin, std::size_t end, double teleport, double d,
                  std::vector<double>& y, std::vector<double>& c) noexcept {
  double sum = 0;
  for (std::size_t p = begin; p < end; ++p) {
    y[p] = teleport + d * gather_sum(c.data(), plan.nbr.data(), plan.off[p], plan.off[p + 1]);
    c[p] = y[p] * plan.inv_out[p];
    sum += y[p];
  }
  return sum;
}

}  // namespace
}  // namespace rapport::detail

namespace rapport {

Digraph make_digraph(std::size_t num_nodes, std::span<const std::uint32_t> sources,
                     std::span<const std::uint32_t> targets) {
  if (sources.size() != targets.size()) throw UsageError("make_digraph: sources and targets differ in length");
  if (num_nodes > (std::size_t{1} << 32)) throw UsageError("make_digraph: more than 2^32 nodes");
  Digraph g;
  g.offsets.assign(num_nodes + 1, 0);
  const std::size_t m = sources.size();
  for (std::size_t e = 0; e < m; ++e) {
    const std::uint32_t s = sources[e];
    const std::uint32_t t = targets[e];
    if (s >= num_nodes || t >= num_nodes)
      throw UsageError("make_digraph: edge " + std::to_string(e) + " (" + std::to_string(s) + " -> " +
                       std::to_string(t) + ") has a node id >= num_nodes (" + std::to_string(num_nodes) + ")");
    ++g.offsets[s + std::size_t{1}];
  }
  for (std::size_t u = 0; u < num_nodes; ++u) g.offsets[u + 1] += g.offsets[u];
  g.targets.resize(m);
  std::vector<std::uint64_t> cursor(g.offsets.begin(), g.offsets.end() - 1);
  for (std::size_t e = 0; e < m; ++e) g.targets[cursor[sources[e]]++] = targets[e];
  return g;
}

namespace {
/// Throws the ConfigError of a setting outside its domain.
[[noreturn]] void bad_setting(const char* who, const char* field, const std::string& domain, double value) {
  throw ConfigError(std::string(who) + ": " + field + " must be " + domain + ", got " + detail::number_text(value));
}
bool positive_finite(double v) noexcept { return v > 0.0 && std::isfinite(v); }
bool bounded_count(int v) noexcept { return v >= 0 && v <= max_centrality_iterations; }
const std::string& count_domain() {
  static const std::string d = "in [0, " + std::to_string(max_centrality_iterations) + "]";
  return d;
}
}  // namespace

void validate(const PageRankOptions& options) {
  const char* who = "pagerank";
  if (!(options.damping >= 0.0 && options.damping < 1.0)) bad_setting(who, "damping", "in [0, 1)", options.damping);
  if (!positive_finite(options.tolerance)) bad_setting(who, "tolerance", "positive and finite", options.tolerance);
  if (!bounded_count(options.max_iterations))
    bad_setting(who, "max_iterations", count_domain(), options.max_iterations);
}

void validate(const KatzOptions& options) {
  const char* who = "katz_reach";
  if (!(options.beta >= 0.0 && std::isfinite(options.beta))) bad_setting(who, "beta", "finite and >= 0", options.beta);
  if (!positive_finite(options.tolerance)) bad_setting(who, "tolerance", "positive and finite", options.tolerance);
  if (!bounded_count(options.max_depth)) bad_setting(who, "max_depth", count_domain(), options.max_depth);
  if (!bounded_count(options.max_iterations))
    bad_setting(who, "max_iterations", count_domain(), options.max_iterations);
}

CentralityResult pagerank(const Digraph& graph, const PageRankOptions& options) {
  validate(options);
  const double d = options.damping;
  const std::size_t n = graph.num_nodes();
  CentralityResult result;
  if (n == 0) return result;
  detail::validate(graph, "pagerank");
  const detail::PageRankPlan plan = detail::make_pagerank_plan(graph);
  const double nd = static_cast<double>(n);
  const double teleport = (1.0 - d) / nd;
  // c[p] = y[p] / outdeg: what node p sends along each out-edge; c[n] = 0 is the core lists' pad.
  std::vector<double> y(n), c(n + 1, 0.0);

  const double upstream_sum = detail::exact_pass(plan, 0, plan.core_begin, teleport, d, y, c);
  const detail::CoreSolve core = detail::solve_core(plan, teleport, d, upstream_sum, options, y, c);
  (void)detail::exact_pass(plan, plan.core_end, n, teleport, d, y, c);

  double total = 0;
  for (const double v : y) total += v;
  result.values.resize(n);
  for (std::size_t p = 0; p < n; ++p) result.values[plan.perm[p]] = y[p] / total;
  result.iterations = core.sweeps;
  result.residual = core.residual;
  return result;
}

CentralityResult katz_reach(const Digraph& graph, const KatzOptions& options) {
  validate(options);
  const double beta = options.beta;
  const std::size_t n = graph.num_nodes();
  CentralityResult result;
  if (n == 0) return result;
  detail::validate(graph, "katz_reach");
  const detail::PullGraph pg = detail::make_pull_graph(graph);
  const std::vector<std::size_t> bounds = detail::make_chunks(pg.off, detail::kChunkGrain);
  const std::size_t num_chunks = bounds.size() - 1;
  std::vector<double> x[2] = {std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  std::vector<double> part_diff(num_chunks), part_norm(num_chunks);
  int cur = 0;
  int iterations = 0;
  double residual = 0, norm = 0;
  bool overflow = false;
  const int cap = options.max_depth > 0 ? options.max_depth : options.max_iterations;
  const std::uint64_t* off = pg.off.data();
  const std::uint32_t* tgt = pg.nbr.data();

  auto body = [&](std::size_t c) {
    const double* src = x[cur].data();
    double* dst = x[cur ^ 1].data();
    double diff = 0, nrm = 0;
    for (std::size_t i = bounds[c], end = bounds[c + 1]; i < end; ++i) {
      const double s = detail::gather_sum(src, tgt, off[i], off[i + 1]);
      const double y = static_cast<double>(off[i + 1] - off[i]) + beta * s;
      diff += std::abs(y - src[i]);
      nrm += y;
      dst[i] = y;
    }
    part_diff[c] = diff;
    part_norm[c] = nrm;
  };
  auto step = [&]() noexcept {
    residual = detail::ordered_sum(part_diff);
    norm = detail::ordered_sum(part_norm);
    cur ^= 1;
    ++iterations;
    if (!std::isfinite(residual) || !std::isfinite(norm)) {
      overflow = true;
      return false;
    }
    if (residual == 0.0) return false;
    if (options.max_depth <= 0 && residual <= options.tolerance * norm) return false;
    return iterations < cap;
  };
  if (cap > 0) detail::parallel_rounds(detail::thread_count(options.threads), num_chunks, body, step);

  const bool unconverged = options.max_depth <= 0 && residual > options.tolerance * norm;
  if (overflow || unconverged) {
    char msg[256];
    std::snprintf(msg, sizeof msg,
                  "katz_reach: the series diverges for beta = %g (beta times the spectral radius of "
                  "the graph must be < 1): %s after %d iterations; lower beta or set max_depth",
                  beta, overflow ? "values overflowed" : "no convergence", iterations);
    throw ConfigError(msg);
  }
  result.values.resize(n);
  for (std::size_t p = 0; p < n; ++p) result.values[pg.perm[p]] = x[cur][p];
  result.iterations = iterations;
  result.residual = norm > 0 ? residual / norm : residual;
  return result;
}

}  // namespace rapport
