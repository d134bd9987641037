/// @file edge_list.hpp
/// Reading a referral network from a file (rapport::io): a fast edge-list reader (SNAP text or
/// referral CSV) whose result feeds make_digraph() and the centralities of
/// rapport/graph/centrality.hpp.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rapport {

/// Edge list with string node ids interned to dense integers in first-seen order.
struct EdgeList {
  std::vector<std::string> names;      ///< names[k] is the original id token of node k
  std::vector<std::uint32_t> sources;  ///< edge sources (indices into names)
  std::vector<std::uint32_t> targets;  ///< edge targets (indices into names), same length as sources
  /// For a referrals CSV: rows read and rejected (in `referrals`) and the rejected rows, as
  /// load_csv() reports them. Empty for a SNAP edge list.
  LoadReport report;
};

/// Reads a directed edge list. Two formats are recognised from the first non-blank,
/// non-comment line:
///  - CSV: that line is a header with the columns `referrer_id` and `referred_id` (exact,
///    case-sensitive, any order; `at` optional) and each following row gives one edge
///    referrer -> referred. The file is read like referrals.csv by load_csv(): RFC 4180 (the one
///    CSV reader), ids taken verbatim (no trimming), and a row with an empty id, a
///    self-referral, a field count that differs from the header's or (when the column is
///    there) an invalid `at` is rejected and reported in EdgeList::report (file, line, column,
///    reason), not loaded; `options` control strict mode, the cap and on_reject as for load_csv().
///  - SNAP text otherwise: lines starting with '#' are comments, blank lines are ignored, and
///    every other line holds exactly two whitespace-separated ids (source, target);
///    self-loops are kept. The file is parsed in blocks of whole lines on `options.threads`
///    threads (0 = all cores; files under 2 MiB in one block); the result does not depend on it.
/// Ids are opaque tokens ("007" and "7" are different nodes). CRLF line endings are accepted.
/// @throws InputError "file:line: reason" when the file cannot be read, a CSV header lacks a
///         required column, a SNAP line is malformed, or (strict) a CSV row is rejected.
RAPPORT_API EdgeList read_edge_list(const std::string& path, const LoadOptions& options = {});

}  // namespace rapport
