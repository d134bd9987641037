// rapport Python bindings, private: the compact pieces rapport.dask routes rows in (see dask.cpp's
// header), shared by the readers that make them: CSV ranges (dask.cpp) and database ranges (db.cpp).
#pragma once

#include "common.hpp"

#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rapport_py {

/// One piece being filled: the rows' raw record text one after another (each followed by '\n')
/// and per row (row, line, end of its text). A cut's values are local to its range (rows from 0,
/// lines from the range's first, ends within the piece), so they are kept as int32 (half the
/// bytes a piece takes across the network) until one does not fit: from then on, and for a piece
/// made `wide` from the start (a merge's, whose rows and lines are global), as int64.
struct PieceOut {
  std::string data;
  std::vector<std::int32_t> meta32;  ///< (row, line, end) per row while `wide` is false
  std::vector<std::int64_t> meta;    ///< (row, line, end) per row once `wide` is true
  bool wide = false;

  /// Records a row whose text (and its '\n') has just been appended to `data`.
  void add(std::int64_t row, std::int64_t line) {
    const auto end = static_cast<std::int64_t>(data.size());
    if (!wide) {
      using U = std::uint64_t;  // a negative value is huge as unsigned: it does not fit either
      if ((static_cast<U>(row) | static_cast<U>(line) | static_cast<U>(end)) <= U{INT32_MAX}) {
        meta32.insert(meta32.end(), {static_cast<std::int32_t>(row), static_cast<std::int32_t>(line),
                                     static_cast<std::int32_t>(end)});
        return;
      }
      widen();
    }
    meta.insert(meta.end(), {row, line, end});
  }
  /// From int32 to int64 values (those held so far copied).
  void widen() {
    meta.assign(meta32.begin(), meta32.end());
    meta32 = {};
    wide = true;
  }
};

/// FNV-1a 64 of a customer id: the same bucket in every process and on every machine.
std::uint64_t id_hash(std::string_view s) noexcept;

/// A piece as (uint8 array, int32 or int64 (n, 3) array as `p.wide`), both viewing the moved
/// buffers (no copy).
py::tuple piece_tuple(PieceOut&& p);

}  // namespace rapport_py
