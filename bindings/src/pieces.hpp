// rapport Python bindings, private: the compact pieces rapport.dask routes rows in (see dask.cpp's
// header), shared by the readers that make them: CSV ranges (dask.cpp) and database ranges (db.cpp).
#pragma once

#include "common.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rapport_py {

/// One piece being filled: the rows' raw record text one after another (each followed by '\n')
/// and per row (row, line, end of its text).
struct PieceOut {
  std::string data;
  std::vector<std::int64_t> meta;
};

/// FNV-1a 64 of a customer id: the same bucket in every process and on every machine.
std::uint64_t id_hash(std::string_view s) noexcept;

/// A piece as (uint8 array, int64 (n, 3) array), both viewing the moved buffers (no copy).
py::tuple piece_tuple(PieceOut&& p);

}  // namespace rapport_py
