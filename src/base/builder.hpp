// Private: the builder's state (CustomerBaseBuilder::Impl), shared by the builder (base/data.cpp)
// and the CSV and record loader (io/load.cpp), which appends accepted rows to it directly.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/error.hpp>

#include "base/id_index.hpp"
#include "base/rows.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rapport {

namespace detail {
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
}  // namespace detail

struct CustomerBaseBuilder::Impl {
  CustomerBase base;
  detail::IdIndex customers;  // over base.customer_id
  detail::IdIndex others;     // non-customer people, over others_ids
  std::vector<std::string> others_ids;
  std::unordered_map<std::string, std::uint32_t, detail::StringHash, std::equal_to<>> segments;
  std::vector<std::uint32_t> contact_owner, purchase_owner;
  // complaints, sparse: input row index and resolution instant (grouped at finish())
  std::vector<std::uint64_t> complaint_row;
  std::vector<seconds_t> complaint_resolved;
  // referral endpoints: customer index, or (others index | high bit)
  static constexpr std::uint32_t other_bit = 0x80000000u;
  std::string last_key;
  std::uint32_t last_index = 0;
  bool has_last = false;

  std::optional<std::uint32_t> lookup(std::string_view id) {
    if (has_last && id == last_key) return last_index;
    const auto found = customers.find(base.customer_id, id);
    if (!found) return std::nullopt;
    last_key.assign(id);
    last_index = *found;
    has_last = true;
    return found;
  }
  std::uint32_t last_segment = 0;  // the segment of the previous call (rows of a segment come together)
  /// The index of a segment name, a new one taking the next index.
  std::uint32_t segment_index(std::string_view name) {
    if (last_segment < base.segment_names.size() && base.segment_names[last_segment] == name) return last_segment;
    if (const auto it = segments.find(name); it != segments.end()) return last_segment = it->second;
    const auto k = static_cast<std::uint32_t>(base.segment_names.size());
    segments.emplace(std::string(name), k);
    base.segment_names.emplace_back(name);
    return last_segment = k;
  }
  /// Appends a customer whose row the row rules accepted, unless an earlier row took its key
  /// (the first row wins): then false and nothing is added.
  bool add_customer(std::string_view id, day_t acquired_on, std::string_view segment, day_t ended_on) {
    if (!base.referral_at.empty() || !others_ids.empty())
      throw UsageError("CustomerBaseBuilder: add customers before referrals");
    const auto idx = static_cast<std::uint32_t>(base.customer_id.size());
    if (idx >= other_bit) throw InputError("too many customers");
    if (customers.find_or_insert(base.customer_id, id, idx) != detail::IdIndex::empty) return false;
    base.customer_id.emplace_back(id);
    base.acquired_on.push_back(acquired_on);
    base.segment.push_back(segment_index(segment));
    detail::push_ended(base, ended_on);
    return true;
  }
  /// Appends a referral whose row the row rules accepted, between two people (person()).
  void add_referral(std::uint32_t referrer, std::uint32_t referred, seconds_t at) {
    base.referral_from.push_back(referrer);
    base.referral_to.push_back(referred);
    base.referral_at.push_back(at);
  }
  /// A referral endpoint: the customer's index, else the prospect's (see prospect()).
  std::uint32_t person(std::string_view id) {
    if (auto c = lookup(id)) return *c;
    return prospect(id);
  }
  /// A person who is not a customer: (others index | other_bit), a new one taking the next index.
  std::uint32_t prospect(std::string_view id) {
    if (const auto found = others.find(others_ids, id)) return *found | other_bit;
    const auto k = static_cast<std::uint32_t>(others_ids.size());
    others_ids.emplace_back(id);
    others.insert(others_ids, k);
    return k | other_bit;
  }
};

struct detail_builder_access {
  static CustomerBaseBuilder::Impl& impl(CustomerBaseBuilder& b) { return *b.impl_; }
};

}  // namespace rapport
