// Private: a compact open-addressing index from string keys to dense indexes. It stores only
// 32-bit indexes; the keys stay in the caller's vector and are passed to every call, so the
// index survives moves and copies of that vector.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

class IdIndex {
public:
  static constexpr std::uint32_t empty = 0xFFFFFFFFu;

  /// Index of `key` among `keys`, or nullopt. Safe for concurrent readers.
  std::optional<std::uint32_t> find(const std::vector<std::string>& keys, std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    for (std::size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
      const std::uint32_t v = slots_[i];
      if (v == empty) return std::nullopt;
      if (keys[v] == key) return v;
    }
  }
  /// Adds keys[index] (the caller has appended it already; it must not be present).
  void insert(const std::vector<std::string>& keys, std::uint32_t index) {
    if ((size_ + 1) * 2 > slots_.size()) grow(keys);
    place(keys[index], index);
    ++size_;
  }
  std::size_t size() const noexcept { return size_; }

private:
  static std::size_t hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }
  void place(std::string_view key, std::uint32_t index) {
    std::size_t i = hash(key) & mask_;
    while (slots_[i] != empty) i = (i + 1) & mask_;
    slots_[i] = index;
  }
  void grow(const std::vector<std::string>& keys) {
    std::vector<std::uint32_t> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, empty);
    mask_ = slots_.size() - 1;
    for (auto v : old)
      if (v != empty) place(keys[v], v);
  }
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace rapport::detail
