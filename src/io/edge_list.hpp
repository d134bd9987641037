// Private: the SNAP edge-list reader's tuning knob, for tests.
#pragma once

#include <cstddef>

namespace rapport::detail {

/// The smallest block of whole lines a SNAP edge list is cut into for parallel parsing (default
/// 8 MiB): smaller files parse on one thread, where merging the blocks' ids would cost more than
/// the second thread saves (soc-Epinions1, 5 MB: 16 ms on one thread, 20 ms on two).
extern std::size_t snap_block_bytes;

}  // namespace rapport::detail
