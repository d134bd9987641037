// Private: a compact open-addressing index from string keys to dense indexes. Each slot holds a
// 32-bit index and 32 bits of its key's hash; the keys stay in the caller's vector and are passed
// to every call, so the index survives moves and copies of that vector. The stored hash bits
// spare a probe the trip to a key that cannot match (and a rehash any trip to the keys at all).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

/// Whether two keys are the same text. Keys are mostly short: up to 16 bytes they are compared
/// as two (overlapping) words each, without a library call.
inline bool same_text(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const auto word = [](const char* p, auto w) {
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  if (n >= 8 && n <= 16)
    return word(a.data(), std::uint64_t{}) == word(b.data(), std::uint64_t{}) &&
           word(a.data() + n - 8, std::uint64_t{}) == word(b.data() + n - 8, std::uint64_t{});
  if (n >= 4 && n < 8)
    return word(a.data(), std::uint32_t{}) == word(b.data(), std::uint32_t{}) &&
           word(a.data() + n - 4, std::uint32_t{}) == word(b.data() + n - 4, std::uint32_t{});
  return a == b;
}

class IdIndex {
public:
  static constexpr std::uint32_t empty = 0xFFFFFFFFu;

  /// Index of `key` among `keys`, or nullopt. Safe for concurrent readers.
  std::optional<std::uint32_t> find(const std::vector<std::string>& keys, std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    const std::uint64_t h = hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == empty_slot) return std::nullopt;
      if ((s >> 32) == (h & tag_mask) && same_text(keys[index_of(s)], key)) return index_of(s);
    }
  }
  /// Adds keys[index] (the caller has appended it already; it must not be present).
  void insert(const std::vector<std::string>& keys, std::uint32_t index) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(hash(keys[index]), index);
    ++size_;
  }
  /// Index of `key` when present; otherwise records `index` for it (the caller then appends
  /// the key as keys[index]) and returns `empty`. One hash and one probe sequence for both.
  std::uint32_t find_or_insert(const std::vector<std::string>& keys, std::string_view key, std::uint32_t index) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == empty_slot) {
        slots_[i] = slot(h, index);
        ++size_;
        return empty;
      }
      if ((s >> 32) == (h & tag_mask) && same_text(keys[index_of(s)], key)) return index_of(s);
    }
  }
  /// Starts loading the slot where `key`'s probe begins (a hint for a find or insert soon after).
  void prefetch(std::string_view key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash(key) & mask_]);
  }
  std::size_t size() const noexcept { return size_; }

private:
  static constexpr std::uint64_t empty_slot = ~std::uint64_t{0};
  static constexpr std::uint64_t tag_mask = 0xFFFFFFFFu;
  // The slot position comes from the low bits of the hash and the stored tag is its low 32
  // bits, so a table of up to 2^32 slots rehashes from the tags alone.
  static std::uint64_t hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }
  static std::uint64_t slot(std::uint64_t h, std::uint32_t index) noexcept { return ((h & tag_mask) << 32) | index; }
  static std::uint32_t index_of(std::uint64_t s) noexcept { return static_cast<std::uint32_t>(s); }
  void place(std::uint64_t h, std::uint32_t index) {
    std::size_t i = h & mask_;
    while (slots_[i] != empty_slot) i = (i + 1) & mask_;
    slots_[i] = slot(h, index);
  }
  void grow() {
    std::vector<std::uint64_t> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, empty_slot);
    mask_ = slots_.size() - 1;
    for (auto s : old)
      if (s != empty_slot) place(s >> 32, index_of(s));
  }
  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace rapport::detail
