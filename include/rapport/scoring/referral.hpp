/// @file referral.hpp
/// The referral graph and its acquisition forest.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/graph/centrality.hpp>
#include <rapport/scoring/config.hpp>

#include <cstdint>
#include <vector>

namespace rapport {

/// Marker for "no node / no edge".
inline constexpr std::uint32_t no_index = 0xFFFFFFFFu;

/// Per-person results over the referral graph as of a date (indexes are person indexes of
/// CustomerBase::person(); customers come first).
struct ReferralForest {
  std::vector<std::uint32_t> parent;               ///< forest parent, or no_index for a root
  std::vector<std::uint32_t> acquiring_edge;       ///< referral row that acquired the person, or no_index
  std::vector<std::uint32_t> root;                 ///< topmost node of the person's tree
  std::vector<std::uint32_t> generation;           ///< depth below the root (0 at a root)
  std::vector<std::uint32_t> tree_size;            ///< size of the subtree, the person included
  std::vector<std::uint32_t> direct_referrals;     ///< distinct people referred before T
  std::vector<std::uint32_t> converted_referrals;  ///< children in the forest
  std::vector<double> katz;                        ///< Σ over descendants of β^(depth difference − 1)
  std::vector<double> track_record_weight;         ///< Σ of w(at) of the children's acquiring edges
  std::vector<std::uint32_t> dropped_edges;        ///< acquiring edges dropped to break cycles (referral rows)
  std::vector<std::uint32_t> depth_histogram;      ///< number of scored customers at each generation
};

/// The referral graph as of date `as_of`, the one the acquisition forest is built from: a node per
/// person (the indexes of CustomerBase::person(): customers first), an edge referrer -> referred
/// per referral row made before the midnight ending `as_of` (repeats kept as multi-edges, input
/// order within a referrer). For a scored base pass ScoreResult::as_of. With
/// <rapport/graph/boost.hpp> every Boost.Graph algorithm runs on it as it is.
RAPPORT_API Digraph referral_graph(const CustomerBase& base, day_t as_of);

/// Builds the acquisition forest as of date `as_of` exactly per the design card.
/// Linear in people + referrals (plus sorting each person's out-edges for distinct counts).
RAPPORT_API ReferralForest build_referral_forest(const CustomerBase& base, day_t as_of,
                                                 const ScoringConfig& config = {});

}  // namespace rapport
