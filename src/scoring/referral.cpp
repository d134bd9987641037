#include <rapport/scoring/referral.hpp>

#include <rapport/graph/centrality.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace rapport {

namespace {

/// What every step needs: the base, the date's cut-off T and the forest being filled.
struct ForestBuild {
  const CustomerBase& base;
  day_t as_of;
  seconds_t T;
  std::size_t n, people;
  ReferralForest& f;

  bool scored(std::uint32_t v) const { return v < n && base.acquired_on[v] <= as_of; }
  /// (at, referrer key) order of referral rows, used to choose acquiring edges.
  bool earlier(std::uint32_t e1, std::uint32_t e2) const {
    if (base.referral_at[e1] != base.referral_at[e2]) return base.referral_at[e1] < base.referral_at[e2];
    return base.person(base.referral_from[e1]) < base.person(base.referral_from[e2]);
  }
};

/// 1. Live edges (before T): distinct direct referrals over the CSR digraph, acquiring edges and
/// parents.
void link_acquisitions(const ForestBuild& fb) {
  const CustomerBase& base = fb.base;
  ReferralForest& f = fb.f;
  const std::size_t people = fb.people;
  for (std::uint32_t e = 0; e < base.referral_count(); ++e) {
    if (base.referral_at[e] >= fb.T) continue;
    const auto to = base.referral_to[e];
    if (fb.scored(to) && base.acquired_on[to] >= day_of(base.referral_at[e])) {
      auto& best = f.acquiring_edge[to];
      if (best == no_index || fb.earlier(e, best)) best = e;
    }
  }
  const Digraph graph = referral_graph(base, fb.as_of);
  std::vector<std::uint32_t> targets;
  for (std::uint32_t v = 0; v < people; ++v) {
    const auto degree = graph.offsets[v + 1] - graph.offsets[v];
    if (degree <= 1) {  // most people: nothing to deduplicate
      f.direct_referrals[v] = static_cast<std::uint32_t>(degree);
      continue;
    }
    targets.assign(graph.targets.begin() + static_cast<std::ptrdiff_t>(graph.offsets[v]),
                   graph.targets.begin() + static_cast<std::ptrdiff_t>(graph.offsets[v + 1]));
    std::sort(targets.begin(), targets.end());
    f.direct_referrals[v] = static_cast<std::uint32_t>(std::unique(targets.begin(), targets.end()) - targets.begin());
  }
  for (std::uint32_t v = 0; v < people; ++v)
    if (f.acquiring_edge[v] != no_index) f.parent[v] = base.referral_from[f.acquiring_edge[v]];
}

/// 2. Breaks cycles: each node has at most one parent, so cycles are disjoint; each loses its
/// acquiring edge with the latest (at, referred key).
void break_cycles(const ForestBuild& fb) {
  const CustomerBase& base = fb.base;
  ReferralForest& f = fb.f;
  const std::size_t people = fb.people;
  std::vector<std::uint8_t> state(people, 0);  // 0 new, 1 on the current path, 2 done
  std::vector<std::uint32_t> path;
  for (std::uint32_t s = 0; s < people; ++s) {
    if (state[s]) continue;
    path.clear();
    std::uint32_t v = s;
    while (v != no_index && state[v] == 0) {
      state[v] = 1;
      path.push_back(v);
      v = f.parent[v];
    }
    if (v != no_index && state[v] == 1) {
      // the cycle is path[pos(v)..]; drop its edge with the latest (at, referred_id)
      const auto start = std::find(path.begin(), path.end(), v);
      std::uint32_t drop = *start;
      for (auto it = start; it != path.end(); ++it) {
        const auto e = f.acquiring_edge[*it], d = f.acquiring_edge[drop];
        const bool later = base.referral_at[e] != base.referral_at[d] ? base.referral_at[e] > base.referral_at[d]
                                                                      : base.person(*it) > base.person(drop);
        if (later) drop = *it;
      }
      f.dropped_edges.push_back(f.acquiring_edge[drop]);
      f.parent[drop] = no_index;
      f.acquiring_edge[drop] = no_index;
    }
    for (auto u : path) state[u] = 2;
  }
  std::sort(f.dropped_edges.begin(), f.dropped_edges.end());
}

/// 3. Roots, generations and a top-down order of the forest: every person after its parent, by
/// generation and then by index (a counting sort; walked backwards, each parent then meets its
/// children in descending index, children before parents).
std::vector<std::uint32_t> top_down_order(const ForestBuild& fb) {
  ReferralForest& f = fb.f;
  const std::size_t people = fb.people;
  // generation and root of each person, by walking up to the first known ancestor
  constexpr std::uint32_t unknown = no_index;
  std::fill(f.generation.begin(), f.generation.end(), unknown);
  std::vector<std::uint32_t> path;
  std::uint32_t deepest = 0;
  for (std::uint32_t s = 0; s < people; ++s) {
    std::uint32_t v = s;
    for (; f.generation[v] == unknown && f.parent[v] != no_index; v = f.parent[v]) path.push_back(v);
    if (f.generation[v] == unknown) {  // a root
      f.generation[v] = 0;
      f.root[v] = v;
    }
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      const auto p = f.parent[*it];
      f.generation[*it] = f.generation[p] + 1;
      f.root[*it] = f.root[p];
      deepest = std::max(deepest, f.generation[*it]);
    }
    path.clear();
  }
  std::vector<std::size_t> start(std::size_t{deepest} + 2, 0);
  for (std::uint32_t v = 0; v < people; ++v) ++start[f.generation[v] + 1];
  for (std::size_t g = 1; g < start.size(); ++g) start[g] += start[g - 1];
  std::vector<std::uint32_t> order(people);
  for (std::uint32_t v = 0; v < people; ++v) order[start[f.generation[v]]++] = v;
  return order;
}

/// 4. Bottom-up: tree sizes, katz reach, converted referrals, track records and the depth
/// histogram.
void accumulate(const ForestBuild& fb, const std::vector<std::uint32_t>& order, const ScoringConfig& config) {
  const CustomerBase& base = fb.base;
  ReferralForest& f = fb.f;
  const std::size_t people = fb.people;
  const seconds_t T = fb.T;
  const double h = config.half_life_days * static_cast<double>(seconds_per_day);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const auto c = *it;
    const auto p = f.parent[c];
    if (p == no_index) continue;
    f.tree_size[p] += f.tree_size[c];
    f.katz[p] += 1.0 + config.katz_beta * f.katz[c];
    ++f.converted_referrals[p];
  }
  // track record sums in input (edge) order per parent for reproducibility
  for (std::uint32_t e = 0; e < base.referral_count(); ++e) {
    const auto to = base.referral_to[e];
    if (to < people && f.acquiring_edge[to] == e)
      f.track_record_weight[f.parent[to]] += std::exp2(-static_cast<double>(T - base.referral_at[e]) / h);
  }
  for (std::uint32_t v = 0; v < fb.n; ++v) {
    if (!fb.scored(v)) continue;
    if (f.generation[v] >= f.depth_histogram.size()) f.depth_histogram.resize(f.generation[v] + 1, 0);
    ++f.depth_histogram[f.generation[v]];
  }
}

}  // namespace

Digraph referral_graph(const CustomerBase& base, day_t as_of) {
  const seconds_t T = midnight(as_of + 1);
  std::vector<std::uint32_t> live_from, live_to;
  live_from.reserve(base.referral_count());
  live_to.reserve(base.referral_count());
  for (std::uint32_t e = 0; e < base.referral_count(); ++e) {
    if (base.referral_at[e] >= T) continue;
    live_from.push_back(base.referral_from[e]);
    live_to.push_back(base.referral_to[e]);
  }
  return make_digraph(base.person_count(), live_from, live_to);
}

ReferralForest build_referral_forest(const CustomerBase& base, day_t as_of, const ScoringConfig& config) {
  const std::size_t people = base.person_count();
  ReferralForest f;
  f.parent.assign(people, no_index);
  f.acquiring_edge.assign(people, no_index);
  f.root.resize(people);
  f.generation.assign(people, 0);
  f.tree_size.assign(people, 1);
  f.direct_referrals.assign(people, 0);
  f.converted_referrals.assign(people, 0);
  f.katz.assign(people, 0.0);
  f.track_record_weight.assign(people, 0.0);
  const ForestBuild fb{base, as_of, midnight(as_of + 1), base.customer_count(), people, f};
  link_acquisitions(fb);
  break_cycles(fb);
  const std::vector<std::uint32_t> order = top_down_order(fb);
  accumulate(fb, order, config);
  return f;
}

}  // namespace rapport
