// Private: identical customers of the whole-period models (BG/BB's (x, t_x, n), sBG's
// (periods, ended)) merged into patterns with summed weights, so that a likelihood over a million
// customers is a sum over the few hundred histories they share.
#pragma once

#include <rapport/value/models.hpp>

#include "util/hash_index.hpp"
#include "value/model_kernels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace rapport::detail {

/// A history of whole numbers shared by `weight` customers.
struct WholePattern {
  std::array<double, 3> v;  ///< the history (unused entries 0)
  double weight;            ///< customers with it (sum of their weights)
};

/// The distinct histories `history(i)` of rows 0..rows-1 with their summed weights (rows of
/// weight 0 left out), in an order fixed by the data. Values are validated whole numbers >= 0.
/// When the box of possible histories is small (at most 2^20 cells: the usual few dozen periods)
/// the weights are added into a dense table in one pass; otherwise through a hash index of the three
/// values packed into 64 bits (each below 2^21), or an ordered map beyond that.
template <class History>
std::vector<WholePattern> whole_patterns(const ModelData& data, std::size_t rows, History history) {
  std::vector<WholePattern> out;
  std::array<double, 3> hi{};
  for (std::size_t i = 0; i < rows; ++i) {
    const std::array<double, 3> h = history(i);
    for (std::size_t j = 0; j < 3; ++j) hi[j] = std::max(hi[j], h[j]);
  }
  constexpr double kDense = 1 << 20;
  const double cells = (hi[0] + 1) * (hi[1] + 1) * (hi[2] + 1);
  if (cells <= kDense) {
    const auto d0 = static_cast<std::size_t>(hi[0]) + 1, d1 = static_cast<std::size_t>(hi[1]) + 1;
    std::vector<double> table(static_cast<std::size_t>(cells), 0.0);
    for (std::size_t i = 0; i < rows; ++i) {
      const std::array<double, 3> h = history(i);
      table[static_cast<std::size_t>(h[0]) +
            d0 * (static_cast<std::size_t>(h[1]) + d1 * static_cast<std::size_t>(h[2]))] += row_weight(data, i);
    }
    for (std::size_t c = 0; c < table.size(); ++c) {
      if (table[c] == 0) continue;
      out.push_back({{static_cast<double>(c % d0), static_cast<double>(c / d0 % d1), static_cast<double>(c / d0 / d1)},
                     table[c]});
    }
    return out;
  }
  KeyTable<std::uint64_t> packed;
  std::vector<std::size_t> packed_at;  // out's position of each packed key
  std::map<std::array<double, 3>, std::size_t> wide;
  constexpr double kLimit = 1 << 21;
  for (std::size_t i = 0; i < rows; ++i) {
    const double w = row_weight(data, i);
    if (w == 0) continue;
    const std::array<double, 3> h = history(i);
    std::size_t* slot = nullptr;
    const std::size_t fresh = out.size();
    if (h[0] < kLimit && h[1] < kLimit && h[2] < kLimit) {
      const std::uint64_t key = static_cast<std::uint64_t>(h[0]) | static_cast<std::uint64_t>(h[1]) << 21U |
                                static_cast<std::uint64_t>(h[2]) << 42U;
      const std::uint32_t k = packed.insert(key);
      if (k == packed_at.size()) packed_at.push_back(fresh);
      slot = &packed_at[k];
    } else {
      slot = &wide.try_emplace(h, fresh).first->second;
    }
    if (*slot == fresh) out.push_back({h, 0.0});
    out[*slot].weight += w;
  }
  return out;
}

}  // namespace rapport::detail
