#include <rapport/data.hpp>

#include "csv.hpp"
#include "parse.hpp"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <functional>
#include <unordered_map>

namespace rapport {

std::string_view to_string(Channel v) noexcept {
  static constexpr std::string_view names[] = {"visit", "phone", "email", "mail", "online", "service_call", "event", "other"};
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
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using KeyIndex = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

inline const KeyIndex* key_index(const CustomerBase& b) { return static_cast<const KeyIndex*>(b.index_.get()); }

// Stable scatter of a column by destination positions.
template <class T>
void scatter(std::vector<T>& col, const std::vector<std::uint32_t>& dest) {
  std::vector<T> out(col.size());
  for (std::size_t i = 0; i < col.size(); ++i) out[dest[i]] = col[i];
  col.swap(out);
}

// Turns `owner` (customer per row, input order) into destination positions and fills offsets.
inline void group_by_owner(std::vector<std::uint32_t>& owner, std::vector<std::uint64_t>& offsets, std::size_t n) {
  offsets.assign(n + 1, 0);
  for (auto o : owner) ++offsets[o + 1];
  for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
  std::vector<std::uint64_t> cursor(offsets.begin(), offsets.end() - 1);
  for (auto& o : owner) o = static_cast<std::uint32_t>(cursor[o]++);
}
}  // namespace detail

std::optional<day_t> CustomerBase::default_as_of() const noexcept {
  std::optional<day_t> d;
  auto take = [&](day_t v) { if (!d || v > *d) d = v; };
  for (auto a : acquired_on) take(a);
  for (auto t : contact_at) take(day_of(t));
  for (auto t : purchase_at) take(day_of(t));
  for (auto t : referral_at) take(day_of(t));
  return d;
}

std::optional<std::uint32_t> CustomerBase::find_customer(std::string_view id) const {
  if (const auto* idx = detail::key_index(*this)) {
    auto it = idx->find(id);
    if (it != idx->end()) return it->second;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < customer_id.size(); ++i)
    if (customer_id[i] == id) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

InputFiles InputFiles::from_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  InputFiles f;
  const fs::path d(dir);
  f.customers = (d / "customers.csv").string();
  auto opt = [&](const char* name) {
    const fs::path p = d / name;
    return fs::exists(p) ? p.string() : std::string();
  };
  f.contacts = opt("contacts.csv");
  f.purchases = opt("purchases.csv");
  f.referrals = opt("referrals.csv");
  return f;
}

struct CustomerBaseBuilder::Impl {
  CustomerBase base;
  detail::KeyIndex customers;
  detail::KeyIndex others;   // non-customer people: index in others_ids
  std::vector<std::string> others_ids;
  std::unordered_map<std::string, std::uint32_t, detail::StringHash, std::equal_to<>> segments;
  std::vector<std::uint32_t> contact_owner, purchase_owner;
  // referral endpoints: customer index, or (others index | high bit)
  static constexpr std::uint32_t other_bit = 0x80000000u;
  std::string last_key;
  std::uint32_t last_index = 0;
  bool has_last = false;

  std::optional<std::uint32_t> lookup(std::string_view id) {
    if (has_last && id == last_key) return last_index;
    auto it = customers.find(id);
    if (it == customers.end()) return std::nullopt;
    last_key.assign(id);
    last_index = it->second;
    has_last = true;
    return it->second;
  }
  std::uint32_t person(std::string_view id) {
    if (auto c = lookup(id)) return *c;
    auto it = others.find(id);
    if (it != others.end()) return it->second | other_bit;
    const auto k = static_cast<std::uint32_t>(others_ids.size());
    others.emplace(std::string(id), k);
    others_ids.emplace_back(id);
    return k | other_bit;
  }
};

CustomerBaseBuilder::CustomerBaseBuilder() : impl_(std::make_unique<Impl>()) {}
CustomerBaseBuilder::~CustomerBaseBuilder() = default;

std::size_t CustomerBaseBuilder::customer_count() const noexcept { return impl_->base.customer_id.size(); }

namespace {
std::string reject(std::string* column, const char* col, std::string reason) {
  if (column) *column = col;
  return reason;
}
}  // namespace

std::string CustomerBaseBuilder::add_customer(std::string_view id, day_t acquired_on, std::string_view segment,
                                              std::string* column) {
  auto& im = *impl_;
  if (id.empty()) return reject(column, "customer_id", "empty customer_id");
  if (!im.base.referral_at.empty() || !im.others_ids.empty())
    throw std::logic_error("CustomerBaseBuilder: add customers before referrals");
  const auto idx = static_cast<std::uint32_t>(im.base.customer_id.size());
  if (idx >= Impl::other_bit) throw std::length_error("too many customers");
  auto [it, inserted] = im.customers.try_emplace(std::string(id), idx);
  if (!inserted) return reject(column, "customer_id", "duplicate customer_id (first row wins)");
  im.base.customer_id.emplace_back(id);
  im.base.acquired_on.push_back(acquired_on);
  auto [sit, sins] = im.segments.try_emplace(std::string(segment), static_cast<std::uint32_t>(im.base.segment_names.size()));
  if (sins) im.base.segment_names.emplace_back(segment);
  im.base.segment.push_back(sit->second);
  return {};
}

std::string CustomerBaseBuilder::add_contact(std::string_view customer_id, const ContactRow& row, std::string* column) {
  auto& im = *impl_;
  auto c = im.lookup(customer_id);
  if (!c) return reject(column, "customer_id", "unknown customer");
  if (row.impression < -2 || row.impression > 2) return reject(column, "impression", "impression out of range -2..2");
  if (row.complaint && row.resolved_at != no_time && row.resolved_at < row.at)
    return reject(column, "resolved_at", "complaint resolved before it was made");
  auto& b = im.base;
  im.contact_owner.push_back(*c);
  b.contact_at.push_back(row.at);
  b.contact_channel.push_back(row.channel);
  b.contact_stage.push_back(row.stage);
  b.contact_initiator.push_back(row.initiator);
  b.contact_aspect.push_back(row.aspect);
  b.contact_impression.push_back(static_cast<std::int8_t>(row.impression));
  b.contact_complaint.push_back(row.complaint ? 1 : 0);
  b.contact_resolved_at.push_back(row.complaint ? row.resolved_at : no_time);
  return {};
}

std::string CustomerBaseBuilder::add_purchase(std::string_view customer_id, seconds_t at, double amount,
                                              std::string* column) {
  auto& im = *impl_;
  auto c = im.lookup(customer_id);
  if (!c) return reject(column, "customer_id", "unknown customer");
  if (!std::isfinite(amount)) return reject(column, "amount", "non-finite amount");
  if (amount < 0) return reject(column, "amount", "negative amount");
  im.purchase_owner.push_back(*c);
  im.base.purchase_at.push_back(at);
  im.base.purchase_amount.push_back(amount);
  return {};
}

std::string CustomerBaseBuilder::add_referral(std::string_view referrer_id, std::string_view referred_id, seconds_t at,
                                              std::string* column) {
  auto& im = *impl_;
  if (referrer_id.empty()) return reject(column, "referrer_id", "empty referrer_id");
  if (referred_id.empty()) return reject(column, "referred_id", "empty referred_id");
  if (referrer_id == referred_id) return reject(column, "referred_id", "self-referral");
  im.base.referral_from.push_back(im.person(referrer_id));
  im.base.referral_to.push_back(im.person(referred_id));
  im.base.referral_at.push_back(at);
  return {};
}

CustomerBase CustomerBaseBuilder::finish() {
  auto& im = *impl_;
  CustomerBase b = std::move(im.base);
  const std::size_t n = b.customer_id.size();
  detail::group_by_owner(im.contact_owner, b.contact_offsets, n);
  detail::scatter(b.contact_at, im.contact_owner);
  detail::scatter(b.contact_channel, im.contact_owner);
  detail::scatter(b.contact_stage, im.contact_owner);
  detail::scatter(b.contact_initiator, im.contact_owner);
  detail::scatter(b.contact_aspect, im.contact_owner);
  detail::scatter(b.contact_impression, im.contact_owner);
  detail::scatter(b.contact_complaint, im.contact_owner);
  detail::scatter(b.contact_resolved_at, im.contact_owner);
  std::vector<std::uint32_t>().swap(im.contact_owner);
  detail::group_by_owner(im.purchase_owner, b.purchase_offsets, n);
  detail::scatter(b.purchase_at, im.purchase_owner);
  detail::scatter(b.purchase_amount, im.purchase_owner);
  std::vector<std::uint32_t>().swap(im.purchase_owner);

  b.person_id = b.customer_id;
  for (auto& s : im.others_ids) b.person_id.push_back(std::move(s));
  const auto remap = [n](std::uint32_t v) {
    return (v & Impl::other_bit) ? static_cast<std::uint32_t>(n) + (v & ~Impl::other_bit) : v;
  };
  for (auto& v : b.referral_from) v = remap(v);
  for (auto& v : b.referral_to) v = remap(v);
  b.index_ = std::make_shared<const detail::KeyIndex>(std::move(im.customers));
  impl_ = std::make_unique<Impl>();
  return b;
}

// ---------------------------------------------------------------------------------------------
// CSV loading

namespace {

struct TableSpec {
  const char* table;
  std::vector<const char*> required;
  std::vector<const char*> optional;
};

class TableReader {
public:
  TableReader(const std::string& path, const TableSpec& spec, TableCounts& counts, LoadReport& report,
              const LoadOptions& options)
      : reader_(path), spec_(spec), counts_(counts), report_(report), options_(options) {
    detail::CsvRecord header;
    if (!reader_.next(header)) throw InputError(path + ": empty file (no header row)");
    header_.assign(header.fields.begin(), header.fields.end());
    const auto find = [&](const char* name) -> int {
      for (std::size_t i = 0; i < header_.size(); ++i)
        if (header_[i] == name) return static_cast<int>(i);
      return -1;
    };
    for (const char* name : spec.required) {
      const int i = find(name);
      if (i < 0) throw InputError(path + ":" + std::to_string(header.line) + ": missing required column '" + name + "'");
      cols_.push_back(i);
    }
    for (const char* name : spec.optional) cols_.push_back(find(name));
  }

  /// Next row with the right field count; rejects wrong-count rows itself.
  bool next() {
    while (reader_.next(rec_)) {
      ++counts_.read;
      if (rec_.error) {
        reject(rec_.error_column, rec_.error);
        continue;
      }
      if (rec_.fields.size() != header_.size()) {
        const std::size_t col = std::min(rec_.fields.size(), header_.size()) + 1;
        reject(rec_.fields.size() > header_.size() ? col : rec_.fields.size() + 1,
               "expected " + std::to_string(header_.size()) + " fields, found " + std::to_string(rec_.fields.size()));
        continue;
      }
      return true;
    }
    return false;
  }
  /// Field k of the spec (required first, then optional); empty view when an optional column is absent.
  std::string_view field(std::size_t k) const {
    const int c = cols_[k];
    return c < 0 ? std::string_view() : rec_.fields[static_cast<std::size_t>(c)];
  }
  /// Column number (1-based) of spec field k.
  std::size_t column(std::size_t k) const { return static_cast<std::size_t>(cols_[k] + 1); }
  std::size_t column_of(std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i)
      if (header_[i] == name) return i + 1;
    return 0;
  }
  void reject_field(std::size_t k, std::string reason) { reject(column(k), std::move(reason)); }
  void reject_named(const std::string& name, std::string reason) { reject(column_of(name), std::move(reason)); }

  void reject(std::size_t column, std::string reason) {
    ++counts_.rejected;
    RejectedRow r;
    r.table = spec_.table;
    r.file = reader_.name();
    r.line = rec_.line;
    r.column = column;
    if (column >= 1 && column <= header_.size()) r.column_name = header_[column - 1];
    r.reason = std::move(reason);
    if (options_.strict)
      throw InputError(r.file + ":" + std::to_string(r.line) + ":" + std::to_string(r.column) + ": " + r.reason +
                       (r.column_name.empty() ? "" : " (column " + r.column_name + ")"));
    r.raw.assign(rec_.raw);
    if (report_.rejects.size() < options_.max_rejects_kept) report_.rejects.push_back(std::move(r));
  }

private:
  detail::CsvReader reader_;
  const TableSpec& spec_;
  TableCounts& counts_;
  LoadReport& report_;
  const LoadOptions& options_;
  std::vector<std::string> header_;
  std::vector<int> cols_;
  detail::CsvRecord rec_;
};

}  // namespace

LoadResult load_csv(const InputFiles& files, const LoadOptions& options) {
  if (files.customers.empty()) throw InputError("no customers file given (customers.csv is required)");
  if (!std::filesystem::exists(files.customers)) throw InputError(files.customers + ": customers file not found");
  LoadResult out;
  LoadReport& rep = out.report;
  CustomerBaseBuilder builder;
  std::string col;
  {
    static const TableSpec spec{"customers", {"customer_id", "acquired_on"}, {"segment"}};
    TableReader t(files.customers, spec, rep.customers, rep, options);
    while (t.next()) {
      const auto day = detail::parse_date(t.field(1));
      if (!day.value) { t.reject_field(1, day.reason); continue; }
      auto why = builder.add_customer(t.field(0), *day.value, t.field(2), &col);
      if (!why.empty()) t.reject_named(col, std::move(why));
    }
  }
  if (!files.contacts.empty()) {
    static const TableSpec spec{"contacts",
                                {"customer_id", "at", "channel", "stage", "initiator", "aspect", "impression", "complaint", "resolved_at"},
                                {}};
    TableReader t(files.contacts, spec, rep.contacts, rep, options);
    ContactRow row;
    while (t.next()) {
      const auto at = detail::parse_timestamp(t.field(1));
      const auto ch = detail::parse_channel(t.field(2));
      const auto st = detail::parse_stage(t.field(3));
      const auto in = detail::parse_initiator(t.field(4));
      const auto as = detail::parse_aspect(t.field(5));
      const auto im = detail::parse_impression(t.field(6));
      const auto cp = detail::parse_bool(t.field(7));
      const auto rf = t.field(8);
      detail::Parsed<seconds_t> rs{no_time, nullptr};
      if (!rf.empty()) rs = detail::parse_timestamp(rf);
      if (!at.value) { t.reject_field(1, at.reason); continue; }
      if (!ch) { t.reject_field(2, "unknown channel '" + std::string(t.field(2)) + "'"); continue; }
      if (!st) { t.reject_field(3, "unknown stage '" + std::string(t.field(3)) + "'"); continue; }
      if (!in) { t.reject_field(4, "unknown initiator '" + std::string(t.field(4)) + "'"); continue; }
      if (!as) { t.reject_field(5, "unknown aspect '" + std::string(t.field(5)) + "'"); continue; }
      if (!im.value) { t.reject_field(6, im.reason); continue; }
      if (!cp.value) { t.reject_field(7, cp.reason); continue; }
      if (!rs.value) { t.reject_field(8, std::string("resolved_at: ") + rs.reason); continue; }
      row.at = *at.value;
      row.channel = *ch;
      row.stage = *st;
      row.initiator = *in;
      row.aspect = *as;
      row.impression = *im.value;
      row.complaint = *cp.value;
      row.resolved_at = *rs.value;
      auto why = builder.add_contact(t.field(0), row, &col);
      if (!why.empty()) t.reject_named(col, std::move(why));
    }
  }
  if (!files.purchases.empty()) {
    static const TableSpec spec{"purchases", {"customer_id", "at", "amount"}, {}};
    TableReader t(files.purchases, spec, rep.purchases, rep, options);
    while (t.next()) {
      const auto at = detail::parse_timestamp(t.field(1));
      if (!at.value) { t.reject_field(1, at.reason); continue; }
      const auto amount = detail::parse_amount(t.field(2));
      if (!amount.value) { t.reject_field(2, amount.reason); continue; }
      auto why = builder.add_purchase(t.field(0), *at.value, *amount.value, &col);
      if (!why.empty()) t.reject_named(col, std::move(why));
    }
  }
  if (!files.referrals.empty()) {
    static const TableSpec spec{"referrals", {"referrer_id", "referred_id", "at"}, {}};
    TableReader t(files.referrals, spec, rep.referrals, rep, options);
    while (t.next()) {
      if (t.field(0).empty()) { t.reject_field(0, "empty referrer_id"); continue; }
      if (t.field(1).empty()) { t.reject_field(1, "empty referred_id"); continue; }
      if (t.field(0) == t.field(1)) { t.reject_field(1, "self-referral"); continue; }
      const auto at = detail::parse_timestamp(t.field(2));
      if (!at.value) { t.reject_field(2, at.reason); continue; }
      auto why = builder.add_referral(t.field(0), t.field(1), *at.value, &col);
      if (!why.empty()) t.reject_named(col, std::move(why));
    }
  }
  out.base = builder.finish();
  return out;
}

}  // namespace rapport
