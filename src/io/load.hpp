// Private: the loader of a customer base from record sources (io/load.cpp), beside load_csv
// (rapport/io/load.hpp), and the parallel CSV loader's block tuning.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include "base/record_source.hpp"

#include <cstddef>

namespace rapport::detail {

/// Ingest tuning (tests shrink these to exercise block and part boundaries).
extern std::size_t csv_block_bytes;     ///< bytes read per block (default 32 MiB)
extern std::size_t csv_part_min_bytes;  ///< a block is split across threads in parts of at least this

/// Loads a base from record sources through the same row rules as load_csv (rejects, counts,
/// strict mode). Defined beside load_csv (io/load.cpp).
RAPPORT_API LoadResult load_records(RecordSources& sources, const LoadOptions& options);

}  // namespace rapport::detail
