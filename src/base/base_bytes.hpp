// Private: a customer base and its load report as one byte string and back (the columns as they
// are held, no CSV parse, no row rule): for a base that crosses a process boundary, such as a
// Dask partition spilled to disk or moved to another worker (bindings/rapport/dask.py).
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace rapport::detail {

/// The base's columns and the report (counts and kept rejects) as bytes: a tag, then each column
/// as its element count and raw elements, strings as their lengths and then their bytes. The
/// format is private to one build of the library (native byte order, no versioning across builds).
RAPPORT_API std::string base_to_bytes(const CustomerBase& base, const LoadReport& report);

/// The base and report that base_to_bytes wrote, its key index rebuilt.
/// @throws InputError "customer base bytes: ..." when the bytes are not such a string (wrong tag,
/// truncated, trailing bytes, a duplicate customer key), or the columns fail check_base.
RAPPORT_API LoadResult base_from_bytes(std::string_view bytes);

/// About how many bytes of memory `base` and `report` hold: their columns' elements, each
/// string's object and heap text, and the key index.
RAPPORT_API std::size_t base_memory_bytes(const CustomerBase& base, const LoadReport& report) noexcept;

}  // namespace rapport::detail
