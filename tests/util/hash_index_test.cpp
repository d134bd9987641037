// The one hash index (util/hash_index.hpp): dense indexes in first-seen order, lookups, growth,
// text and integer keys.
#include "util/hash_index.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace rapport::detail {
namespace {

TEST(HashIndex, KeyTableGivesFirstSeenIndexes) {
  // insert 5 7 5 9 7 -> 0 1 0 2 1; the keys in first-seen order 5 7 9
  KeyTable<std::uint64_t> table;
  EXPECT_EQ(table.insert(5), 0U);
  EXPECT_EQ(table.insert(7), 1U);
  EXPECT_EQ(table.insert(5), 0U);
  EXPECT_EQ(table.insert(9), 2U);
  EXPECT_EQ(table.insert(7), 1U);
  EXPECT_EQ(table.keys(), (std::vector<std::uint64_t>{5, 7, 9}));
}

TEST(HashIndex, FindsTextKeysInTheCallersVector) {
  std::vector<std::string> keys;
  HashIndex<std::string> index;
  EXPECT_FALSE(index.find(keys, "a").has_value());  // empty index
  // "alice" new -> recorded as 0; "bob" new -> 1; "alice" again -> 0
  EXPECT_EQ(index.find_or_insert(keys, "alice", 0), HashIndex<std::string>::empty);
  keys.emplace_back("alice");
  EXPECT_EQ(index.find_or_insert(keys, "bob", 1), HashIndex<std::string>::empty);
  keys.emplace_back("bob");
  EXPECT_EQ(index.find_or_insert(keys, "alice", 2), 0U);
  keys.emplace_back("carol");
  index.insert(keys, 2);
  EXPECT_EQ(index.size(), 3U);
  EXPECT_EQ(index.find(keys, "bob"), 1U);
  EXPECT_EQ(index.find(keys, "carol"), 2U);
  EXPECT_FALSE(index.find(keys, "alic").has_value());
  EXPECT_FALSE(index.find(keys, "alice ").has_value());
  // the index holds positions, not the text: a copy of the vector serves as well
  const std::vector<std::string> copy = keys;
  EXPECT_EQ(index.find(copy, "carol"), 2U);
}

TEST(HashIndex, AgreesWithAMapThroughManyGrowths) {
  std::mt19937_64 rng(7);
  std::vector<std::string> keys;
  HashIndex<std::string> index;
  std::unordered_map<std::string, std::uint32_t> reference;
  for (int i = 0; i < 50000; ++i) {
    std::string key("c");
    key += std::to_string(rng() % 20000);  // about half of them repeats
    const auto next = static_cast<std::uint32_t>(keys.size());
    const std::uint32_t got = index.find_or_insert(keys, key, next);
    const auto [it, fresh] = reference.try_emplace(key, next);
    if (fresh) {
      ASSERT_EQ(got, HashIndex<std::string>::empty) << key;
      keys.push_back(key);
    } else {
      ASSERT_EQ(got, it->second) << key;
    }
  }
  EXPECT_EQ(index.size(), reference.size());
  for (const auto& [key, at] : reference) ASSERT_EQ(index.find(keys, key), at) << key;
  EXPECT_FALSE(index.find(keys, "c20000").has_value());
}

}  // namespace
}  // namespace rapport::detail
