#include <rapport/base/data.hpp>

#include "base/builder.hpp"
#include "base/id_index.hpp"
#include "base/parse.hpp"
#include "base/rows.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>

namespace rapport {

std::string_view to_string(Channel v) noexcept {
  static constexpr std::string_view names[] = {"visit",  "phone",        "email", "mail",
                                               "online", "service_call", "event", "other"};
  return names[static_cast<int>(v)];
}
std::string_view to_string(Stage v) noexcept {
  static constexpr std::string_view names[] = {"welcome", "discovery", "presentation", "closing", "service"};
  return names[static_cast<int>(v)];
}
std::string_view to_string(Initiator v) noexcept { return v == Initiator::business ? "business" : "customer"; }
std::string_view to_string(Aspect v) noexcept {
  static constexpr std::string_view names[] = {"technical", "hospitality", "wow"};
  return names[static_cast<int>(v)];
}

std::optional<day_t> parse_date(std::string_view text) noexcept { return detail::parse_date(text).value; }
std::optional<seconds_t> parse_timestamp(std::string_view text) noexcept { return detail::parse_timestamp(text).value; }

std::string format_date(day_t day) {
  const auto c = civil_from_days(day);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
  return buf;
}

std::string format_timestamp(seconds_t t) {
  const day_t d = day_of(t);
  const auto s = t - midnight(d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02dZ", format_date(d).c_str(), static_cast<int>(s / 3600),
                static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  return buf;
}

namespace detail {
inline const IdIndex* key_index(const CustomerBase& b) { return static_cast<const IdIndex*>(b.index_.get()); }

// Stable scatter of a column by destination positions.
template <class T>
void scatter(std::vector<T>& col, const std::vector<std::uint32_t>& dest) {
  std::vector<T> out(col.size());
  for (std::size_t i = 0; i < col.size(); ++i) out[dest[i]] = col[i];
  col.swap(out);
}

// Fills offsets (CSR, per customer) from `owner` (customer per row, input order). Returns true
// when the rows are grouped in customer order already (the columns stay as they are); otherwise
// turns `owner` into each row's destination position.
inline bool group_by_owner(std::vector<std::uint32_t>& owner, std::vector<std::uint64_t>& offsets, std::size_t n) {
  offsets.assign(n + 1, 0);
  for (auto o : owner) ++offsets[o + 1];
  for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
  if (std::is_sorted(owner.begin(), owner.end())) return true;
  std::vector<std::uint64_t> cursor(offsets.begin(), offsets.end() - 1);
  for (auto& o : owner) o = static_cast<std::uint32_t>(cursor[o]++);
  return false;
}
}  // namespace detail

std::optional<day_t> CustomerBase::default_as_of() const noexcept {
  constexpr seconds_t none = std::numeric_limits<seconds_t>::min();
  // the latest instant of each event table (contacts scanned on two threads), then its date
  seconds_t latest[3] = {none, none, none};
  const auto scan = [](const std::vector<seconds_t>& v, std::size_t lo, std::size_t hi) {
    seconds_t m = none;
    for (std::size_t i = lo; i < hi; ++i) m = std::max(m, v[i]);
    return m;
  };
  seconds_t halves[2] = {none, none};
  const std::size_t mid = contact_at.size() / 2;
  try {
    detail::parallel_for(
        2, contact_at.size() > (std::size_t{1} << 20) ? 2u : 1u,
        [&](std::size_t lo, std::size_t hi) {
          for (std::size_t k = lo; k < hi; ++k)
            halves[k] = k == 0 ? scan(contact_at, 0, mid) : scan(contact_at, mid, contact_at.size());
        },
        1);
  } catch (...) {
    halves[0] = scan(contact_at, 0, contact_at.size());
  }
  latest[0] = std::max(halves[0], halves[1]);
  latest[1] = scan(purchase_at, 0, purchase_at.size());
  latest[2] = scan(referral_at, 0, referral_at.size());
  std::optional<day_t> d;
  for (auto a : acquired_on)
    if (!d || a > *d) d = a;
  for (auto t : latest)
    if (t != none && (!d || day_of(t) > *d)) d = day_of(t);
  return d;
}

seconds_t CustomerBase::resolved_at(std::size_t k) const {
  if (k >= contact_complaint.size() || !contact_complaint[k]) return no_time;
  const auto c = static_cast<std::size_t>(std::upper_bound(contact_offsets.begin(), contact_offsets.end(), k) -
                                          contact_offsets.begin()) -
                 1;
  std::size_t rank = complaint_offsets[c];
  for (auto j = contact_offsets[c]; j < k; ++j) rank += contact_complaint[j];
  return complaint_resolved_at[rank];
}

std::vector<seconds_t> CustomerBase::resolved_at_column() const {
  std::vector<seconds_t> out(contact_complaint.size(), no_time);
  std::size_t rank = 0;
  for (std::size_t k = 0; k < out.size(); ++k)
    if (contact_complaint[k]) out[k] = complaint_resolved_at[rank++];
  return out;
}

std::optional<std::uint32_t> CustomerBase::find_customer(std::string_view id) const {
  if (const auto* idx = detail::key_index(*this)) return idx->find(customer_id, id);
  for (std::size_t i = 0; i < customer_id.size(); ++i)
    if (customer_id[i] == id) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

CustomerBaseBuilder::CustomerBaseBuilder() : impl_(std::make_unique<Impl>()) {}
CustomerBaseBuilder::~CustomerBaseBuilder() = default;

std::size_t CustomerBaseBuilder::customer_count() const noexcept { return impl_->base.customer_id.size(); }

namespace detail {

bool add_customer_row(CustomerBaseBuilder& builder, std::string_view id, day_t acquired_on, std::string_view segment,
                      day_t ended_on, const RowError* failure, RowError& e) {
  if (!check_customer(id, acquired_on, ended_on, failure, e)) return false;
  if (detail_builder_access::impl(builder).add_customer(id, acquired_on, segment, ended_on)) return true;
  e = RowError{customer_field::customer_id, 0, duplicate_customer_reason};
  return false;
}

bool add_contact_row(CustomerBaseBuilder& builder, std::string_view customer_id, const ContactRow& row,
                     const RowError* failure, RowError& e) {
  auto& im = detail_builder_access::impl(builder);
  const auto c = im.lookup(customer_id);
  if (!check_contact(c.has_value(), row, failure, e)) return false;
  auto& b = im.base;
  im.contact_owner.push_back(*c);
  b.contact_at.push_back(row.at);
  b.contact_channel.push_back(row.channel);
  b.contact_stage.push_back(row.stage);
  b.contact_initiator.push_back(row.initiator);
  b.contact_aspect.push_back(row.aspect);
  b.contact_impression.push_back(static_cast<std::int8_t>(row.impression));
  b.contact_complaint.push_back(row.complaint ? 1 : 0);
  if (row.complaint) {
    im.complaint_row.push_back(b.contact_complaint.size() - 1);
    im.complaint_resolved.push_back(row.resolved_at);
  }
  return true;
}

bool add_purchase_row(CustomerBaseBuilder& builder, std::string_view customer_id, seconds_t at, double amount,
                      const RowError* failure, RowError& e) {
  auto& im = detail_builder_access::impl(builder);
  const auto c = im.lookup(customer_id);
  if (!check_purchase(c.has_value(), at, amount, failure, e)) return false;
  im.purchase_owner.push_back(*c);
  im.base.purchase_at.push_back(at);
  im.base.purchase_amount.push_back(amount);
  return true;
}

bool add_referral_row(CustomerBaseBuilder& builder, std::string_view referrer, std::string_view referred, seconds_t at,
                      const RowError* failure, RowError& e) {
  if (!check_referral(referrer, referred, at, failure, e)) return false;
  auto& im = detail_builder_access::impl(builder);
  const std::uint32_t from = im.person(referrer);
  im.add_referral(from, im.person(referred), at);
  return true;
}

/// check_base's row rules for customer `c` and its contacts and purchases.
template <class Bad>
void check_customer_rows(const CustomerBase& b, std::size_t c, RowError& e, const Bad& bad) {
  if (b.segment[c] >= b.segment_names.size()) bad("customer " + std::to_string(c) + ": no such segment");
  if (!check_customer(b.customer_id[c], b.acquired_on[c], b.ended_on.empty() ? no_day : b.ended_on[c], nullptr, e))
    bad("customer " + std::to_string(c) + ": " + e.reason);
  // customer c's complaints are its contacts flagged complaint, in order; their resolutions are
  // complaint_resolved_at[complaint_offsets[c], complaint_offsets[c + 1]): one each, no more, no fewer
  const auto complaints_end = b.complaint_offsets[c + 1];
  auto q = b.complaint_offsets[c];
  for (auto i = b.contact_offsets[c]; i < b.contact_offsets[c + 1]; ++i) {
    ContactRow row{b.contact_at[i],     b.contact_channel[i],    b.contact_stage[i],          b.contact_initiator[i],
                   b.contact_aspect[i], b.contact_impression[i], b.contact_complaint[i] != 0, no_time};
    if (row.complaint) {
      if (q >= complaints_end)
        bad("customer " + std::to_string(c) + ": more complaints than its complaint offsets hold");
      row.resolved_at = b.complaint_resolved_at[q++];
    }
    if (!check_contact(true, row, nullptr, e)) bad("contact " + std::to_string(i) + ": " + e.reason);
  }
  if (q != complaints_end) bad("customer " + std::to_string(c) + ": fewer complaints than its complaint offsets hold");
  for (auto i = b.purchase_offsets[c]; i < b.purchase_offsets[c + 1]; ++i)
    if (!check_purchase(true, b.purchase_at[i], b.purchase_amount[i], nullptr, e))
      bad("purchase " + std::to_string(i) + ": " + e.reason);
}

void check_base(const CustomerBase& b, unsigned threads) {
  const std::size_t n = b.customer_count();
  const auto bad = [](const std::string& what) { throw InputError("customer base: " + what); };
  const auto offsets_fit = [&](const std::vector<std::uint64_t>& off, std::size_t rows, const char* name) {
    if (off.size() != n + 1 || off.front() != 0 || off.back() != rows)
      bad(std::string(name) + " offsets do not match the customers and the rows");
    for (std::size_t c = 0; c < n; ++c)
      if (off[c] > off[c + 1]) bad(std::string(name) + " offsets decrease at customer " + std::to_string(c));
  };
  if (b.acquired_on.size() != n || b.segment.size() != n || (!b.ended_on.empty() && b.ended_on.size() != n))
    bad("customer columns of different lengths");
  const std::size_t k = b.contact_count(), p = b.purchase_count(), r = b.referral_count();
  if (b.contact_channel.size() != k || b.contact_stage.size() != k || b.contact_initiator.size() != k ||
      b.contact_aspect.size() != k || b.contact_impression.size() != k || b.contact_complaint.size() != k)
    bad("contact columns of different lengths");
  if (b.purchase_amount.size() != p) bad("purchase columns of different lengths");
  if (b.referral_from.size() != r || b.referral_to.size() != r) bad("referral columns of different lengths");
  offsets_fit(b.contact_offsets, k, "contact");
  offsets_fit(b.purchase_offsets, p, "purchase");
  std::size_t complaints = 0;
  for (const auto flag : b.contact_complaint) complaints += flag != 0;
  offsets_fit(b.complaint_offsets, complaints, "complaint");
  if (b.complaint_resolved_at.size() != complaints) bad("complaint_resolved_at does not hold one entry per complaint");
  // the rows, customers in parallel: the first bad row of the lowest range is reported
  parallel_for(n, thread_count(threads), [&](std::size_t lo, std::size_t hi) {
    RowError e;
    for (std::size_t c = lo; c < hi; ++c) check_customer_rows(b, c, e, bad);
  });
  RowError e;
  const std::size_t people = b.person_count();
  for (std::size_t i = 0; i < r; ++i) {
    if (b.referral_from[i] >= people || b.referral_to[i] >= people)
      bad("referral " + std::to_string(i) + ": names no person");
    if (!check_referral(b.person(b.referral_from[i]), b.person(b.referral_to[i]), b.referral_at[i], nullptr, e))
      bad("referral " + std::to_string(i) + ": " + e.reason);
  }
}

}  // namespace detail

namespace {
/// The public add_* answer: empty when accepted, else the reason (and the column's name).
std::string answer(bool accepted, const detail::TableSchema& schema, const detail::RowError& e, std::string* column) {
  if (accepted) return {};
  if (column) *column = schema.fields[e.field];
  return e.reason;
}
}  // namespace

std::string CustomerBaseBuilder::add_customer(std::string_view id, day_t acquired_on, std::string_view segment,
                                              std::string* column) {
  return add_customer(id, acquired_on, segment, no_day, column);
}

std::string CustomerBaseBuilder::add_customer(std::string_view id, day_t acquired_on, std::string_view segment,
                                              day_t ended_on, std::string* column) {
  detail::RowError e;
  const bool ok = detail::add_customer_row(*this, id, acquired_on, segment, ended_on, nullptr, e);
  return answer(ok, detail::customers_schema(), e, column);
}

std::string CustomerBaseBuilder::add_contact(std::string_view customer_id, const ContactRow& row, std::string* column) {
  detail::RowError e;
  const bool ok = detail::add_contact_row(*this, customer_id, row, nullptr, e);
  return answer(ok, detail::contacts_schema(), e, column);
}

std::string CustomerBaseBuilder::add_purchase(std::string_view customer_id, seconds_t at, double amount,
                                              std::string* column) {
  detail::RowError e;
  const bool ok = detail::add_purchase_row(*this, customer_id, at, amount, nullptr, e);
  return answer(ok, detail::purchases_schema(), e, column);
}

std::string CustomerBaseBuilder::add_referral(std::string_view referrer_id, std::string_view referred_id, seconds_t at,
                                              std::string* column) {
  detail::RowError e;
  const bool ok = detail::add_referral_row(*this, referrer_id, referred_id, at, nullptr, e);
  return answer(ok, detail::referrals_schema(), e, column);
}

namespace {
/// Groups the contact columns by customer (stable) and lays out the complaints' resolutions.
void group_contacts(CustomerBaseBuilder::Impl& im, CustomerBase& b) {
  const std::size_t n = b.customer_id.size();
  if (detail::group_by_owner(im.contact_owner, b.contact_offsets, n)) {
    b.complaint_resolved_at = std::move(im.complaint_resolved);  // in grouped order already
  } else {
    detail::scatter(b.contact_at, im.contact_owner);
    detail::scatter(b.contact_channel, im.contact_owner);
    detail::scatter(b.contact_stage, im.contact_owner);
    detail::scatter(b.contact_initiator, im.contact_owner);
    detail::scatter(b.contact_aspect, im.contact_owner);
    detail::scatter(b.contact_impression, im.contact_owner);
    detail::scatter(b.contact_complaint, im.contact_owner);
    // complaints in grouped contact order (the grouping is stable, so sort by destination)
    std::vector<std::pair<std::uint64_t, seconds_t>> complaints(im.complaint_row.size());
    for (std::size_t j = 0; j < complaints.size(); ++j)
      complaints[j] = {im.contact_owner[im.complaint_row[j]], im.complaint_resolved[j]};
    std::sort(complaints.begin(), complaints.end());
    b.complaint_resolved_at.resize(complaints.size());
    for (std::size_t j = 0; j < complaints.size(); ++j) b.complaint_resolved_at[j] = complaints[j].second;
  }
  std::vector<std::uint64_t>().swap(im.complaint_row);
  std::vector<seconds_t>().swap(im.complaint_resolved);
  std::vector<std::uint32_t>().swap(im.contact_owner);
  b.complaint_offsets.assign(n + 1, 0);
  for (std::size_t c = 0; c < n; ++c) {
    std::uint64_t count = 0;
    for (auto k = b.contact_offsets[c]; k < b.contact_offsets[c + 1]; ++k) count += b.contact_complaint[k];
    b.complaint_offsets[c + 1] = b.complaint_offsets[c] + count;
  }
}
}  // namespace

CustomerBase CustomerBaseBuilder::finish() {
  auto& im = *impl_;
  CustomerBase b = std::move(im.base);
  const std::size_t n = b.customer_id.size();
  group_contacts(im, b);
  if (!detail::group_by_owner(im.purchase_owner, b.purchase_offsets, n)) {
    detail::scatter(b.purchase_at, im.purchase_owner);
    detail::scatter(b.purchase_amount, im.purchase_owner);
  }
  std::vector<std::uint32_t>().swap(im.purchase_owner);

  b.prospect_id = std::move(im.others_ids);
  const auto remap = [n](std::uint32_t v) {
    return (v & Impl::other_bit) ? static_cast<std::uint32_t>(n) + (v & ~Impl::other_bit) : v;
  };
  for (auto& v : b.referral_from) v = remap(v);
  for (auto& v : b.referral_to) v = remap(v);
  b.index_ = std::make_shared<const detail::IdIndex>(std::move(im.customers));
  impl_ = std::make_unique<Impl>();
  return b;
}

}  // namespace rapport
