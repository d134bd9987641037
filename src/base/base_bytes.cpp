#include "base/base_bytes.hpp"

#include "base/id_index.hpp"
#include "base/rows.hpp"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace rapport::detail {
namespace {

constexpr char tag[8] = {'r', 'a', 'p', 'b', 'a', 's', 'e', '1'};

/// The fewest bytes one kept reject is written as: five texts' lengths, its line and column.
constexpr std::size_t reject_min_bytes = 5 * 8 + 2 * 8;

class Writer {
public:
  template <class T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    raw(&v, sizeof v);
  }
  template <class T>
  void column(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    value(static_cast<std::uint64_t>(v.size()));
    raw(v.data(), v.size() * sizeof(T));
  }
  void text(const std::string& s) {
    value(static_cast<std::uint64_t>(s.size()));
    raw(s.data(), s.size());
  }
  /// Strings as their count, every length, then every string's bytes.
  void texts(const std::vector<std::string>& v) {
    std::vector<std::uint64_t> sizes(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) sizes[i] = v[i].size();
    column(sizes);
    for (const auto& s : v) raw(s.data(), s.size());
  }
  void counts(const TableCounts& t) {
    value(static_cast<std::uint64_t>(t.read));
    value(static_cast<std::uint64_t>(t.rejected));
    value(static_cast<std::uint64_t>(t.pending));
  }
  std::string out;

private:
  void raw(const void* p, std::size_t n) {
    if (n) out.append(static_cast<const char*>(p), n);
  }
};

class Reader {
public:
  /// Reads `in` from byte `at` (errors name the byte of `in`).
  Reader(std::string_view in, std::size_t at) : in_(in), at_(at) {}
  template <class T>
  T value(const char* what) {
    T v;
    std::memcpy(&v, take(sizeof v, what), sizeof v);
    return v;
  }
  template <class T>
  void column(std::vector<T>& v, const char* what) {
    const std::size_t n = count(sizeof(T), what);
    v.resize(n);
    if (n) std::memcpy(v.data(), take(n * sizeof(T), what), n * sizeof(T));
  }
  std::string text(const char* what) {
    const std::size_t n = count(1, what);
    return std::string(take(n, what), n);
  }
  void texts(std::vector<std::string>& v, const char* what) {
    std::vector<std::uint64_t> sizes;
    column(sizes, what);
    std::uint64_t total = 0;  // every string's bytes must follow before the strings are made
    for (const auto n : sizes) {
      if (n > in_.size() - at_ - total) fail("truncated (the strings' lengths pass the bytes left)", what);
      total += n;
    }
    v.clear();
    v.reserve(sizes.size());
    for (const auto n : sizes) v.emplace_back(take(static_cast<std::size_t>(n), what), static_cast<std::size_t>(n));
  }
  void counts(TableCounts& t, const char* what) {
    t.read = value<std::uint64_t>(what);
    t.rejected = value<std::uint64_t>(what);
    t.pending = value<std::uint64_t>(what);
  }
  void finish() const {
    if (at_ != in_.size())
      throw InputError("customer base bytes: " + std::to_string(in_.size() - at_) + " bytes after the end");
  }
  [[noreturn]] void fail(const std::string& why, const char* what) const {
    throw InputError("customer base bytes: " + why + " at byte " + std::to_string(at_) + " (" + what + ")");
  }

  /// An element count whose elements, each at least `size` bytes encoded, can still follow: what
  /// bounds every allocation by the bytes left, before it is made.
  std::size_t count(std::size_t size, const char* what) {
    const auto n = value<std::uint64_t>(what);
    if (n > (in_.size() - at_) / size)
      fail("truncated (a count of " + std::to_string(n) + ", " + std::to_string(in_.size() - at_) + " bytes left)",
           what);
    return static_cast<std::size_t>(n);
  }

private:
  const char* take(std::size_t n, const char* what) {
    if (n > in_.size() - at_) fail("truncated", what);
    const char* p = in_.data() + at_;
    at_ += n;
    return p;
  }
  std::string_view in_;
  std::size_t at_;
};

template <class T>
std::size_t held(const std::vector<T>& v) noexcept {
  return v.capacity() * sizeof(T);
}

std::size_t held(const std::string& s) noexcept {
  // the object, plus its heap text beyond the small-string buffer
  return sizeof s + (s.capacity() > 15 ? s.capacity() + 1 : 0);
}

std::size_t held(const std::vector<std::string>& v) noexcept {
  std::size_t n = (v.capacity() - v.size()) * sizeof(std::string);
  for (const auto& s : v) n += held(s);
  return n;
}

}  // namespace

std::string base_to_bytes(const CustomerBase& b, const LoadReport& rep) {
  Writer w;
  w.out.reserve(base_memory_bytes(b, rep));
  w.out.append(tag, sizeof tag);
  w.texts(b.customer_id);
  w.column(b.acquired_on);
  w.column(b.segment);
  w.texts(b.segment_names);
  w.column(b.ended_on);
  w.column(b.contact_offsets);
  w.column(b.contact_at);
  w.column(b.contact_channel);
  w.column(b.contact_stage);
  w.column(b.contact_initiator);
  w.column(b.contact_aspect);
  w.column(b.contact_impression);
  w.column(b.contact_complaint);
  w.column(b.complaint_offsets);
  w.column(b.complaint_resolved_at);
  w.column(b.purchase_offsets);
  w.column(b.purchase_at);
  w.column(b.purchase_amount);
  w.texts(b.prospect_id);
  w.column(b.referral_from);
  w.column(b.referral_to);
  w.column(b.referral_at);
  for (const auto* t : {&rep.customers, &rep.contacts, &rep.purchases, &rep.referrals}) w.counts(*t);
  w.value(static_cast<std::uint64_t>(rep.rejects_not_kept));
  w.value(static_cast<std::uint64_t>(rep.rejects.size()));
  for (const auto& r : rep.rejects) {
    w.text(r.table);
    w.text(r.file);
    w.value(static_cast<std::uint64_t>(r.line));
    w.value(static_cast<std::uint64_t>(r.column));
    w.text(r.column_name);
    w.text(r.reason);
    w.text(r.raw);
  }
  return std::move(w.out);
}

LoadResult base_from_bytes(std::string_view bytes) {
  if (bytes.size() < sizeof tag || std::memcmp(bytes.data(), tag, sizeof tag) != 0)
    throw InputError("customer base bytes: not a customer base (wrong tag)");
  Reader in(bytes, sizeof tag);
  LoadResult out;
  CustomerBase& b = out.base;
  in.texts(b.customer_id, "customer_id");
  in.column(b.acquired_on, "acquired_on");
  in.column(b.segment, "segment");
  in.texts(b.segment_names, "segment_names");
  in.column(b.ended_on, "ended_on");
  in.column(b.contact_offsets, "contact_offsets");
  in.column(b.contact_at, "contact_at");
  in.column(b.contact_channel, "contact_channel");
  in.column(b.contact_stage, "contact_stage");
  in.column(b.contact_initiator, "contact_initiator");
  in.column(b.contact_aspect, "contact_aspect");
  in.column(b.contact_impression, "contact_impression");
  in.column(b.contact_complaint, "contact_complaint");
  in.column(b.complaint_offsets, "complaint_offsets");
  in.column(b.complaint_resolved_at, "complaint_resolved_at");
  in.column(b.purchase_offsets, "purchase_offsets");
  in.column(b.purchase_at, "purchase_at");
  in.column(b.purchase_amount, "purchase_amount");
  in.texts(b.prospect_id, "prospect_id");
  in.column(b.referral_from, "referral_from");
  in.column(b.referral_to, "referral_to");
  in.column(b.referral_at, "referral_at");
  LoadReport& rep = out.report;
  in.counts(rep.customers, "customers counts");
  in.counts(rep.contacts, "contacts counts");
  in.counts(rep.purchases, "purchases counts");
  in.counts(rep.referrals, "referrals counts");
  rep.rejects_not_kept = in.value<std::uint64_t>("rejects_not_kept");
  rep.rejects.resize(in.count(reject_min_bytes, "rejects"));
  for (auto& r : rep.rejects) {
    r.table = in.text("reject table");
    r.file = in.text("reject file");
    r.line = in.value<std::uint64_t>("reject line");
    r.column = in.value<std::uint64_t>("reject column");
    r.column_name = in.text("reject column name");
    r.reason = in.text("reject reason");
    r.raw = in.text("reject raw");
  }
  in.finish();
  // the columns must fit together and pass the row rules (segments and referral endpoints naming
  // entries, one resolution per complaint): check_base, before anything walks them
  check_base(b, 1);
  auto index = std::make_shared<IdIndex>();
  for (std::uint32_t c = 0; c < b.customer_count(); ++c)
    if (index->find_or_insert(b.customer_id, b.customer_id[c], c) != IdIndex::empty)
      throw InputError("customer base bytes: customer '" + b.customer_id[c] + "' twice");
  b.index_ = std::move(index);
  return out;
}

std::size_t base_memory_bytes(const CustomerBase& b, const LoadReport& rep) noexcept {
  std::size_t n =
      held(b.customer_id) + held(b.acquired_on) + held(b.segment) + held(b.segment_names) + held(b.ended_on) +
      held(b.contact_offsets) + held(b.contact_at) + held(b.contact_channel) + held(b.contact_stage) +
      held(b.contact_initiator) + held(b.contact_aspect) + held(b.contact_impression) + held(b.contact_complaint) +
      held(b.complaint_offsets) + held(b.complaint_resolved_at) + held(b.purchase_offsets) + held(b.purchase_at) +
      held(b.purchase_amount) + held(b.prospect_id) + held(b.referral_from) + held(b.referral_to) + held(b.referral_at);
  n += 4 * 8 * b.customer_count();  // the key index: 8-byte slots, at most half full
  for (const auto& r : rep.rejects)
    n += sizeof r + held(r.table) + held(r.file) + held(r.column_name) + held(r.reason) + held(r.raw);
  return n;
}

}  // namespace rapport::detail
