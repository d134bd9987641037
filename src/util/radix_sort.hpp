// Private: the one radix sort, a stable LSD sort of 64-bit keys with an optional 32-bit row
// carried along, each pass split over fixed ranges of the input (parallel_slots).
#pragma once

#include "util/parallel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace rapport::detail {

/// Sorts `keys` ascending by their low `bits` bits (the higher bits must be zero or are ignored),
/// stably, moving `rows[i]` with `keys[i]` when `rows` is not empty (then it has keys' size).
/// LSD passes of `DigitBits` bits; each pass counts and scatters over `ranges` fixed contiguous
/// parts of the input, on up to that many threads; a pass in which every key has the same digit
/// is skipped after its count. Stability makes the result the same for any `ranges`.
template <unsigned DigitBits = 8>
void radix_sort(std::vector<std::uint64_t>& keys, std::vector<std::uint32_t>& rows, unsigned bits,
                std::size_t ranges = 1) {
  static_assert(DigitBits >= 1 && DigitBits <= 16);
  constexpr std::size_t buckets = std::size_t{1} << DigitBits;
  using Histogram = std::array<std::size_t, buckets>;
  const std::size_t n = keys.size();
  if (n < 2 || bits == 0) return;
  const bool carry = !rows.empty();
  ranges = std::clamp<std::size_t>(ranges, 1, n);
  std::vector<std::uint64_t> key_out(n);
  std::vector<std::uint32_t> row_out(carry ? n : 0);
  std::vector<Histogram> start(ranges);
  for (unsigned shift = 0; shift < bits && shift < 64; shift += DigitBits) {
    const auto digit = [shift](std::uint64_t k) noexcept {
      return static_cast<std::size_t>((k >> shift) & (buckets - 1));
    };
    // count each range's digits
    parallel_slots(n, ranges, [&](std::size_t lo, std::size_t hi, std::size_t t) {
      Histogram& count = start[t];
      count.fill(0);
      for (std::size_t i = lo; i < hi; ++i) ++count[digit(keys[i])];
    });
    const std::size_t first = digit(keys.front());
    std::size_t same = 0;
    for (const Histogram& count : start) same += count[first];
    if (same == n) continue;
    // where each range's keys of each digit go: after every smaller digit, and after the same
    // digit's keys of the ranges before it
    std::size_t sum = 0;
    for (std::size_t d = 0; d < buckets; ++d)
      for (std::size_t t = 0; t < ranges; ++t) sum += std::exchange(start[t][d], sum);
    const auto scatter = [&](auto with_rows) {
      parallel_slots(n, ranges, [&](std::size_t lo, std::size_t hi, std::size_t t) {
        Histogram& next = start[t];
        for (std::size_t i = lo; i < hi; ++i) {
          const std::size_t to = next[digit(keys[i])]++;
          key_out[to] = keys[i];
          if constexpr (decltype(with_rows)::value) row_out[to] = rows[i];
        }
      });
    };
    if (carry) {
      scatter(std::true_type{});
      rows.swap(row_out);
    } else {
      scatter(std::false_type{});
    }
    keys.swap(key_out);
  }
}

/// radix_sort of `keys` alone.
template <unsigned DigitBits = 8>
void radix_sort(std::vector<std::uint64_t>& keys, unsigned bits, std::size_t ranges = 1) {
  std::vector<std::uint32_t> no_rows;
  radix_sort<DigitBits>(keys, no_rows, bits, ranges);
}

}  // namespace rapport::detail
