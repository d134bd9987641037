// Private: PageRank's parallel sweep layout and its tuning knob, for tests.
#pragma once

#include <cstddef>

namespace rapport::detail {

/// Fixed chunks per parallel colour class of PageRank's core (see PageRankPlan in
/// centrality.cpp). A constant, never the thread count, so that the sums over the chunks, added
/// in chunk order, give the same bits on any number of threads.
inline constexpr std::size_t pagerank_class_chunks = 16;

/// The least work (nodes + core in-edges) for which a colour class of PageRank's core is swept
/// in parallel (default 2^13, about 6 microseconds of gathers: below it a barrier costs about what a
/// second thread saves); smaller classes go to the serial tail. Tests lower it to put small graphs through the
/// parallel path.
extern std::size_t pagerank_min_class_work;

}  // namespace rapport::detail
