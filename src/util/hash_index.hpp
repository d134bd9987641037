// Private: the one hash index, a compact open-addressing index from keys to dense indexes. Each
// slot holds a 32-bit index and 32 bits of its key's hash; the keys stay in the caller's vector
// and are passed to every call, so the index survives moves and copies of that vector. The
// stored hash bits spare a probe the trip to a key that cannot match (and a rehash any trip to
// the keys at all). KeyTable pairs the index with a vector of its keys in first-seen order.
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

/// A 64-bit finalizer (splitmix64's): every input bit moves every output bit, so a key's low
/// bits (the slot position) depend on all of it.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

/// How HashIndex hashes a key (`hash`, taking a `Lookup`) and tells a stored key from a looked-up
/// one (`same`). Specialized for text and for 64-bit integers; other key types pass their own.
template <class Key>
struct HashKey;

template <>
struct HashKey<std::string> {
  using Lookup = std::string_view;
  static std::uint64_t hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }
  static bool same(const std::string& stored, std::string_view key) noexcept { return same_text(stored, key); }
};

template <>
struct HashKey<std::uint64_t> {
  using Lookup = std::uint64_t;
  static std::uint64_t hash(std::uint64_t k) noexcept { return mix64(k); }
  static bool same(std::uint64_t stored, std::uint64_t key) noexcept { return stored == key; }
};

/// Open-addressing index (linear probing, at most half full) from keys to their positions in a
/// vector the caller owns and passes to every call.
template <class Key, class Traits = HashKey<Key>>
class HashIndex {
public:
  using Lookup = typename Traits::Lookup;
  static constexpr std::uint32_t empty = 0xFFFFFFFFu;

  /// Index of `key` among `keys`, or nullopt. Safe for concurrent readers.
  std::optional<std::uint32_t> find(const std::vector<Key>& keys, const Lookup& key) const {
    if (slots_.empty()) return std::nullopt;
    const std::uint64_t h = Traits::hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == empty_slot) return std::nullopt;
      if ((s >> 32) == (h & tag_mask) && Traits::same(keys[index_of(s)], key)) return index_of(s);
    }
  }
  /// Adds keys[index] (the caller has appended it already; it must not be present).
  void insert(const std::vector<Key>& keys, std::uint32_t index) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(Traits::hash(keys[index]), index);
    ++size_;
  }
  /// Index of `key` when present; otherwise records `index` for it (the caller then appends
  /// the key as keys[index]) and returns `empty`. One hash and one probe sequence for both.
  std::uint32_t find_or_insert(const std::vector<Key>& keys, const Lookup& key, std::uint32_t index) {
    if (slots_.empty()) grow();
    const std::uint64_t h = Traits::hash(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == empty_slot) {  // a new key: grows (only) here, so a found key costs no size check
        if ((size_ + 1) * 2 > slots_.size()) {
          grow();
          place(h, index);
        } else {
          slots_[i] = slot(h, index);
        }
        ++size_;
        return empty;
      }
      if ((s >> 32) == (h & tag_mask) && Traits::same(keys[index_of(s)], key)) return index_of(s);
    }
  }
  /// Starts loading the slot where `key`'s probe begins (a hint for a find or insert soon after).
  void prefetch(const Lookup& key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Traits::hash(key) & mask_]);
  }
  std::size_t size() const noexcept { return size_; }

private:
  static constexpr std::uint64_t empty_slot = ~std::uint64_t{0};
  static constexpr std::uint64_t tag_mask = 0xFFFFFFFFu;
  // The slot position comes from the low bits of the hash and the stored tag is its low 32
  // bits, so a table of up to 2^32 slots rehashes from the tags alone.
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

/// Distinct keys in first-seen order, with their HashIndex: insert(key) is the key's dense index.
template <class Key, class Traits = HashKey<Key>>
class KeyTable {
public:
  /// Index of `key`, appending it when new (indexes count up from 0 in first-seen order).
  std::uint32_t insert(const Key& key) {
    const auto next = static_cast<std::uint32_t>(keys_.size());
    const std::uint32_t found = index_.find_or_insert(keys_, key, next);
    if (found != HashIndex<Key, Traits>::empty) return found;
    keys_.push_back(key);
    return next;
  }
  /// The distinct keys, keys()[i] the key of index i.
  const std::vector<Key>& keys() const noexcept { return keys_; }

private:
  std::vector<Key> keys_;
  HashIndex<Key, Traits> index_;
};

}  // namespace rapport::detail
