#include <rapport/base/data.hpp>

#include "io/csv.hpp"
#include "base/id_index.hpp"
#include "util/parallel.hpp"
#include "base/parse.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <type_traits>
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
inline const IdIndex* key_index(const CustomerBase& b) { return static_cast<const IdIndex*>(b.index_.get()); }

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
                                          contact_offsets.begin()) - 1;
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
  std::uint32_t person(std::string_view id) {
    if (auto c = lookup(id)) return *c;
    if (const auto found = others.find(others_ids, id)) return *found | other_bit;
    const auto k = static_cast<std::uint32_t>(others_ids.size());
    others_ids.emplace_back(id);
    others.insert(others_ids, k);
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
  if (im.customers.find(im.base.customer_id, id)) return reject(column, "customer_id", "duplicate customer_id (first row wins)");
  im.base.customer_id.emplace_back(id);
  im.customers.insert(im.base.customer_id, idx);
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
  if (row.complaint) {
    im.complaint_row.push_back(b.contact_complaint.size() - 1);
    im.complaint_resolved.push_back(row.resolved_at);
  }
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
  {
    // complaints in grouped contact order (the grouping is stable, so sort by destination)
    std::vector<std::pair<std::uint64_t, seconds_t>> complaints(im.complaint_row.size());
    for (std::size_t j = 0; j < complaints.size(); ++j)
      complaints[j] = {im.contact_owner[im.complaint_row[j]], im.complaint_resolved[j]};
    std::vector<std::uint64_t>().swap(im.complaint_row);
    std::vector<seconds_t>().swap(im.complaint_resolved);
    std::sort(complaints.begin(), complaints.end());
    b.complaint_resolved_at.resize(complaints.size());
    for (std::size_t j = 0; j < complaints.size(); ++j) b.complaint_resolved_at[j] = complaints[j].second;
    b.complaint_offsets.assign(n + 1, 0);
    for (std::size_t c = 0; c < n; ++c) {
      std::uint64_t count = 0;
      for (auto k = b.contact_offsets[c]; k < b.contact_offsets[c + 1]; ++k) count += b.contact_complaint[k];
      b.complaint_offsets[c + 1] = b.complaint_offsets[c] + count;
    }
  }
  std::vector<std::uint32_t>().swap(im.contact_owner);
  detail::group_by_owner(im.purchase_owner, b.purchase_offsets, n);
  detail::scatter(b.purchase_at, im.purchase_owner);
  detail::scatter(b.purchase_amount, im.purchase_owner);
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

// ---------------------------------------------------------------------------------------------
// CSV loading

namespace detail {
std::size_t csv_block_bytes = std::size_t{1} << 25;
std::size_t csv_part_min_bytes = std::size_t{1} << 20;
}  // namespace detail

struct detail_builder_access {
  static CustomerBaseBuilder::Impl& impl(CustomerBaseBuilder& b) { return *b.impl_; }
};

namespace {

struct TableSpec {
  const char* table;
  std::vector<const char*> fields;  // required, then optional
  std::size_t required;
};

/// Header names and the header index of each spec field (-1 for an absent optional column).
struct Columns {
  std::vector<std::string> header;
  std::vector<int> index;
  Columns(const std::vector<std::string_view>& fields, const TableSpec& spec, const std::string& path, std::size_t line)
      : header(fields.begin(), fields.end()) {
    for (std::size_t k = 0; k < spec.fields.size(); ++k) {
      int found = -1;
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == spec.fields[k]) {
          found = static_cast<int>(i);
          break;
        }
      if (found < 0 && k < spec.required)
        throw InputError(path + ":" + std::to_string(line) + ": missing required column '" + spec.fields[k] + "'");
      index.push_back(found);
    }
  }
};

/// Where a row failed: a spec field (or `whole_row` with an explicit column) and why.
struct RowError {
  static constexpr std::size_t whole_row = static_cast<std::size_t>(-1);
  std::size_t field = 0;
  std::size_t column = 0;  // used when field == whole_row
  std::string reason;
};

/// Appends rejects to the report (counts, strict mode, the cap on stored rejects).
struct Reporter {
  LoadReport& report;
  const LoadOptions& options;
  void reject(const TableSpec& spec, TableCounts& counts, const std::string& file, const Columns& cols,
              std::size_t line, const RowError& e, std::string_view raw) {
    ++counts.rejected;
    RejectedRow r;
    r.table = spec.table;
    r.file = file;
    r.line = line;
    if (e.field == RowError::whole_row) {
      r.column = e.column;
    } else {
      r.column = static_cast<std::size_t>(cols.index[e.field] + 1);
    }
    if (r.column >= 1 && r.column <= cols.header.size()) r.column_name = cols.header[r.column - 1];
    r.reason = e.reason;
    if (options.strict)
      throw InputError(r.file + ":" + std::to_string(r.line) + ":" + std::to_string(r.column) + ": " + r.reason +
                       (r.column_name.empty() ? "" : " (column " + r.column_name + ")"));
    r.raw.assign(raw);
    if (report.rejects.size() < options.max_rejects_kept) report.rejects.push_back(std::move(r));
  }
};

/// Checks the field count and gathers the spec's fields in spec order.
bool gather(const std::vector<std::string_view>& fields, const Columns& cols, std::string_view* out, RowError& e) {
  if (fields.size() != cols.header.size()) {
    e.field = RowError::whole_row;
    e.column = std::min(fields.size(), cols.header.size()) + 1;
    e.reason = "expected " + std::to_string(cols.header.size()) + " fields, found " + std::to_string(fields.size());
    return false;
  }
  for (std::size_t k = 0; k < cols.index.size(); ++k)
    out[k] = cols.index[k] < 0 ? std::string_view() : fields[static_cast<std::size_t>(cols.index[k])];
  return true;
}

// ---- row parsers: pure functions of the fields (thread-safe), shared by every path

struct ContactOut {
  std::uint32_t owner;
  ContactRow row;
};

/// Customer lookup with a one-entry cache (rows of one customer usually come together).
/// The cached key must outlive its use: callers reset it whenever the buffer moves.
struct CustomerLookup {
  const detail::IdIndex& customers;
  const std::vector<std::string>& keys;
  std::string key;
  std::uint32_t index = 0;
  bool valid = false;
  bool find(std::string_view id, std::uint32_t& out) {
    if (valid && id == key) {
      out = index;
      return true;
    }
    // exports usually list rows customer by customer in customer order: try the next one first
    if (valid && index + 1 < keys.size() && keys[index + 1] == id) {
      key.assign(id);
      out = ++index;
      return true;
    }
    const auto found = customers.find(keys, id);
    if (!found) return false;
    key.assign(id);
    index = out = *found;
    valid = true;
    return true;
  }
};

bool parse_contact(const std::string_view* f, CustomerLookup& customers, ContactOut& out, RowError& e) {
  const auto fail = [&](std::size_t k, std::string why) {
    e.field = k;
    e.reason = std::move(why);
    return false;
  };
  if (!customers.find(f[0], out.owner)) return fail(0, "unknown customer");
  const auto at = detail::parse_timestamp(f[1]);
  if (!at.value) return fail(1, at.reason);
  const auto ch = detail::parse_channel(f[2]);
  if (!ch) return fail(2, "unknown channel '" + std::string(f[2]) + "'");
  const auto st = detail::parse_stage(f[3]);
  if (!st) return fail(3, "unknown stage '" + std::string(f[3]) + "'");
  const auto in = detail::parse_initiator(f[4]);
  if (!in) return fail(4, "unknown initiator '" + std::string(f[4]) + "'");
  const auto as = detail::parse_aspect(f[5]);
  if (!as) return fail(5, "unknown aspect '" + std::string(f[5]) + "'");
  const auto im = detail::parse_impression(f[6]);
  if (!im.value) return fail(6, im.reason);
  const auto cp = detail::parse_bool(f[7]);
  if (!cp.value) return fail(7, cp.reason);
  seconds_t resolved = no_time;
  if (!f[8].empty()) {
    const auto rs = detail::parse_timestamp(f[8]);
    if (!rs.value) return fail(8, std::string("resolved_at: ") + rs.reason);
    resolved = *rs.value;
  }
  if (*cp.value && resolved != no_time && resolved < *at.value)
    return fail(8, "complaint resolved before it was made");
  out.row = ContactRow{*at.value, *ch, *st, *in, *as, *im.value, *cp.value, *cp.value ? resolved : no_time};
  return true;
}

struct PurchaseOut {
  std::uint32_t owner;
  seconds_t at;
  double amount;
};

bool parse_purchase(const std::string_view* f, CustomerLookup& customers, PurchaseOut& out, RowError& e) {
  if (!customers.find(f[0], out.owner)) {
    e.field = 0;
    e.reason = "unknown customer";
    return false;
  }
  const auto at = detail::parse_timestamp(f[1]);
  if (!at.value) {
    e.field = 1;
    e.reason = at.reason;
    return false;
  }
  const auto amount = detail::parse_amount(f[2]);
  if (!amount.value) {
    e.field = 2;
    e.reason = amount.reason;
    return false;
  }
  out.at = *at.value;
  out.amount = *amount.value;
  return true;
}

// The columns of each grouped table, visited together (reserve, resize).
template <class F>
void for_each_column(CustomerBaseBuilder::Impl& im, const ContactOut*, F&& f) {
  auto& b = im.base;
  f(im.contact_owner), f(b.contact_at), f(b.contact_channel), f(b.contact_stage), f(b.contact_initiator);
  f(b.contact_aspect), f(b.contact_impression), f(b.contact_complaint);
}
template <class F>
void for_each_column(CustomerBaseBuilder::Impl& im, const PurchaseOut*, F&& f) {
  f(im.purchase_owner), f(im.base.purchase_at), f(im.base.purchase_amount);
}
template <class Out>
std::size_t row_count(CustomerBaseBuilder::Impl& im) {
  std::size_t n = 0;
  for_each_column(im, static_cast<const Out*>(nullptr), [&](auto& col) { n = col.size(); });
  return n;
}
template <class Out>
void reserve_rows(CustomerBaseBuilder::Impl& im, std::size_t extra) {
  const std::size_t n = row_count<Out>(im) + extra;
  for_each_column(im, static_cast<const Out*>(nullptr), [&](auto& col) { col.reserve(n); });
}
template <class Out>
void grow_rows(CustomerBaseBuilder::Impl& im, std::size_t extra) {
  const std::size_t n = row_count<Out>(im) + extra;
  for_each_column(im, static_cast<const Out*>(nullptr), [&](auto& col) { col.resize(n); });
}

// Writes row `i` (already grown); distinct i may be stored from different threads.
void store(CustomerBaseBuilder::Impl& im, std::size_t i, const ContactOut& c) {
  auto& b = im.base;
  im.contact_owner[i] = c.owner;
  b.contact_at[i] = c.row.at;
  b.contact_channel[i] = c.row.channel;
  b.contact_stage[i] = c.row.stage;
  b.contact_initiator[i] = c.row.initiator;
  b.contact_aspect[i] = c.row.aspect;
  b.contact_impression[i] = static_cast<std::int8_t>(c.row.impression);
  b.contact_complaint[i] = c.row.complaint ? 1 : 0;
}
// Complaints are kept sparse: appended in row order after the rows are stored.
void store_complaint(CustomerBaseBuilder::Impl& im, std::size_t i, const ContactOut& c) {
  if (!c.row.complaint) return;
  im.complaint_row.push_back(i);
  im.complaint_resolved.push_back(c.row.resolved_at);
}
void store_complaint(CustomerBaseBuilder::Impl&, std::size_t, const PurchaseOut&) {}
void store(CustomerBaseBuilder::Impl& im, std::size_t i, const PurchaseOut& p) {
  im.purchase_owner[i] = p.owner;
  im.base.purchase_at[i] = p.at;
  im.base.purchase_amount[i] = p.amount;
}
template <class Out>
void append(CustomerBaseBuilder::Impl& im, const Out& row) {
  const std::size_t i = row_count<Out>(im);
  grow_rows<Out>(im, 1);
  store(im, i, row);
  store_complaint(im, i, row);
}

/// Runs `on_record(fields, line, raw)` over every non-blank data record of a file with the
/// sequential RFC 4180 reader; returns the header's columns first via `on_header`.
template <class OnHeader, class OnRecord>
void read_sequential(detail::RecordSource& reader, OnHeader&& on_header, OnRecord&& on_record) {
  detail::CsvRecord rec;
  if (!reader.next(rec)) throw InputError(reader.name() + ": empty file (no header row)");
  on_header(rec.fields, rec.line);
  while (reader.next(rec)) on_record(rec);
}

/// Loads a per-customer table (contacts or purchases) record by record from `reader`; reads the
/// header first unless `cols` already holds it.
template <class Out, class Parse>
void load_grouped_records(detail::RecordSource& reader, std::optional<Columns>& cols, const TableSpec& spec,
                          TableCounts& counts, Reporter& reporter, CustomerBaseBuilder::Impl& im, Parse&& parse) {
  const std::string& path = reader.name();
  const auto on_header = [&](const std::vector<std::string_view>& fields, std::size_t hline) {
    cols.emplace(fields, spec, path, hline);
  };
  std::vector<std::string_view> f(spec.fields.size());
  Out out;
  RowError e;
  CustomerLookup lookup{im.customers, im.base.customer_id, {}, 0, false};
  const auto on_record = [&](const detail::CsvRecord& rec) {
    ++counts.read;
    if (rec.error) {
      reporter.reject(spec, counts, path, *cols, rec.line, RowError{RowError::whole_row, rec.error_column, rec.error},
                      rec.raw);
      return;
    }
    if (gather(rec.fields, *cols, f.data(), e) && parse(f.data(), lookup, out, e))
      append(im, out);
    else
      reporter.reject(spec, counts, path, *cols, rec.line, e, rec.raw);
  };
  if (!cols) {
    read_sequential(reader, on_header, on_record);
  } else {
    detail::CsvRecord rec;
    while (reader.next(rec)) on_record(rec);
  }
}

/// Loads a per-customer table (contacts or purchases): parallel over blocks of plain
/// (quote-free) lines, sequential RFC 4180 parsing from the first block holding a quote.
template <class Out, class Parse>
void load_grouped_table(const std::string& path, const TableSpec& spec, TableCounts& counts, Reporter& reporter,
                        CustomerBaseBuilder::Impl& im, unsigned threads, Parse&& parse) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw InputError(path + ": cannot open: " + std::strerror(errno));
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{file};

  const detail::IdIndex& customers = im.customers;
  const std::vector<std::string>& keys = im.base.customer_id;
  std::optional<Columns> cols;
  std::error_code size_ec;
  const auto file_bytes = std::filesystem::file_size(path, size_ec);
  std::size_t block = std::max<std::size_t>(detail::csv_block_bytes, 64);
  if (!size_ec) block = std::min<std::size_t>(block, static_cast<std::size_t>(file_bytes) + 64);
  std::vector<char> buf(block);
  std::size_t filled = 0, line = 1, offset = 0;  // offset: file offset of buf[0]
  bool eof = false;
  const auto refill = [&](std::size_t keep_from) {
    std::memmove(buf.data(), buf.data() + keep_from, filled - keep_from);
    filled -= keep_from;
    offset += keep_from;
    if (filled == buf.size()) buf.resize(buf.size() * 2);
    const std::size_t got = std::fread(buf.data() + filled, 1, buf.size() - filled, file);
    if (got == 0) {
      if (std::ferror(file)) throw InputError(path + ": read error");
      eof = true;
    }
    filled += got;
  };

  // The sequential fallback: from file offset `from` (a line start) to the end.
  const auto sequential_from = [&](std::size_t from) {
    detail::CsvReader reader(path, from, line, !cols);
    load_grouped_records<Out>(reader, cols, spec, counts, reporter, im, parse);
  };

  refill(0);
  // header: skip a BOM and blank lines; a quoted header goes the sequential way
  std::size_t pos = 0;
  if (filled >= 3 && std::memcmp(buf.data(), "\xEF\xBB\xBF", 3) == 0) pos = 3;
  for (;;) {
    while (pos < filled && (buf[pos] == '\n' || (buf[pos] == '\r' && pos + 1 < filled && buf[pos + 1] == '\n'))) {
      pos += buf[pos] == '\n' ? 1 : 2;
      ++line;
    }
    const char* nl = static_cast<const char*>(std::memchr(buf.data() + pos, '\n', filled - pos));
    if (!nl && !eof) {
      refill(0);
      continue;
    }
    if (pos == filled) throw InputError(path + ": empty file (no header row)");
    const std::size_t end = nl ? static_cast<std::size_t>(nl - buf.data()) : filled;
    std::string_view header(buf.data() + pos, end - pos);
    if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
    if (header.find('"') != std::string_view::npos) {
      line = 1;
      sequential_from(0);
      return;
    }
    std::vector<std::string_view> fields;
    std::size_t a = 0;
    for (;;) {
      const auto comma = header.find(',', a);
      fields.push_back(header.substr(a, comma == std::string_view::npos ? std::string_view::npos : comma - a));
      if (comma == std::string_view::npos) break;
      a = comma + 1;
    }
    cols.emplace(fields, spec, path, line);
    pos = nl ? end + 1 : filled;
    ++line;
    break;
  }
  const std::size_t nfields = cols->header.size();
  const unsigned workers = detail::thread_count(threads);

  struct Part {
    std::size_t begin, end;
    std::vector<Out> rows;
    struct Bad {
      std::size_t line_offset;
      RowError error;
      std::string_view raw;
    };
    std::vector<Bad> bad;
    std::size_t lines = 0, read = 0;
  };
  std::vector<Part> parts;
  bool first_block = true;
  for (;;) {
    // the block: whole lines in [pos, stop)
    std::size_t stop = filled;
    if (!eof) {
      const char* last = static_cast<const char*>(memrchr(buf.data() + pos, '\n', filled - pos));
      if (!last) {
        refill(pos);
        pos = 0;
        continue;
      }
      stop = static_cast<std::size_t>(last - buf.data()) + 1;
    }
    if (std::memchr(buf.data() + pos, '"', stop - pos)) {
      sequential_from(offset + pos);
      return;
    }
    // split into parts at line starts
    const std::size_t want = std::max<std::size_t>(1, std::min<std::size_t>(workers, (stop - pos) / std::max<std::size_t>(detail::csv_part_min_bytes, 1)));
    // reuse the parts' buffers from block to block (no fresh pages to fault in and clear)
    parts.resize(want);
    for (auto& part : parts) {
      part.rows.clear();
      part.bad.clear();
      part.lines = part.read = 0;
    }
    std::size_t b = pos;
    for (std::size_t k = 0; k < want; ++k) {
      std::size_t e = k + 1 == want ? stop : pos + (stop - pos) * (k + 1) / want;
      if (e < stop) {
        const char* nl = static_cast<const char*>(std::memchr(buf.data() + e, '\n', stop - e));
        e = nl ? static_cast<std::size_t>(nl - buf.data()) + 1 : stop;
      }
      e = std::max(e, b);
      parts[k].begin = b;
      parts[k].end = e;
      b = e;
    }
    detail::parallel_for(
        want, static_cast<unsigned>(want),
        [&](std::size_t lo, std::size_t hi) {
          std::vector<std::string_view> fields;
          fields.reserve(nfields + 1);
          std::vector<std::string_view> f(spec.fields.size());
          CustomerLookup lookup{customers, keys, {}, 0, false};
          for (std::size_t k = lo; k < hi; ++k) {
            Part& part = parts[k];
            part.rows.reserve((part.end - part.begin) / 64);
            const char* p = buf.data() + part.begin;
            const char* const end = buf.data() + part.end;
            Out out;
            RowError err;
            while (p < end) {
              const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
              const char* le = nl ? nl : end;
              std::string_view ln(p, static_cast<std::size_t>(le - p));
              if (!ln.empty() && ln.back() == '\r') ln.remove_suffix(1);
              if (!ln.empty()) {
                ++part.read;
                fields.clear();
                const char* q = ln.data();
                const char* const qe = ln.data() + ln.size();
                for (;;) {
                  const char* comma = static_cast<const char*>(std::memchr(q, ',', static_cast<std::size_t>(qe - q)));
                  if (!comma) {
                    fields.emplace_back(q, static_cast<std::size_t>(qe - q));
                    break;
                  }
                  fields.emplace_back(q, static_cast<std::size_t>(comma - q));
                  q = comma + 1;
                }
                if (fields.size() == nfields && gather(fields, *cols, f.data(), err) &&
                    parse(f.data(), lookup, out, err)) {
                  part.rows.push_back(out);
                } else {
                  if (fields.size() != nfields) gather(fields, *cols, f.data(), err);
                  part.bad.push_back({part.lines, err, ln});
                }
              }
              ++part.lines;
              p = nl ? nl + 1 : end;
            }
          }
        },
        1);
    if (first_block) {
      // size the columns once from the first block's bytes per row (no doubling growth)
      first_block = false;
      std::size_t rows = 0;
      for (const auto& part : parts) rows += part.rows.size();
      std::error_code ec;
      const auto total = std::filesystem::file_size(path, ec);
      if (!ec && rows && stop > pos)
        reserve_rows<Out>(im, static_cast<std::size_t>(static_cast<double>(total) * static_cast<double>(rows) /
                                              static_cast<double>(stop - pos) * 1.02) + 1024);
    }
    // rejects in file order, then the rows: each part copies into its own range, in parallel
    std::vector<std::size_t> at(parts.size() + 1, 0);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      auto& part = parts[k];
      counts.read += part.read;
      for (const auto& bad : part.bad) reporter.reject(spec, counts, path, *cols, line + bad.line_offset, bad.error, bad.raw);
      line += part.lines;
      at[k + 1] = at[k] + part.rows.size();
    }
    const std::size_t start = row_count<Out>(im);
    grow_rows<Out>(im, at.back());
    detail::parallel_for(
        parts.size(), static_cast<unsigned>(parts.size()),
        [&](std::size_t lo, std::size_t hi) {
          for (std::size_t k = lo; k < hi; ++k)
            for (std::size_t i = 0; i < parts[k].rows.size(); ++i) store(im, start + at[k] + i, parts[k].rows[i]);
        },
        1);
    if constexpr (std::is_same_v<Out, ContactOut>) {
      for (std::size_t k = 0; k < parts.size(); ++k)
        for (std::size_t i = 0; i < parts[k].rows.size(); ++i) store_complaint(im, start + at[k] + i, parts[k].rows[i]);
    }
    if (eof) break;
    refill(stop);
    pos = 0;
  }
}

}  // namespace

namespace {
/// One table's input: a CSV file (path) or a record source.
struct TableInput {
  std::string path;
  detail::RecordSource* source = nullptr;
  bool present() const noexcept { return source || !path.empty(); }
  std::unique_ptr<detail::RecordSource> open_csv() const {
    return source ? nullptr : std::make_unique<detail::CsvReader>(path);
  }
  detail::RecordSource& reader(std::unique_ptr<detail::RecordSource>& opened) const {
    opened = open_csv();
    return source ? *source : *opened;
  }
};

/// Loads the four tables through the row rules; grouped CSV tables take the parallel path.
LoadResult load_tables(const TableInput (&in)[4], const LoadOptions& options) {
  LoadResult out;
  LoadReport& rep = out.report;
  Reporter reporter{rep, options};
  CustomerBaseBuilder builder;
  auto& im = detail_builder_access::impl(builder);
  std::string col;
  std::vector<std::string_view> f(3);
  RowError e;
  {
    static const TableSpec spec{"customers", {"customer_id", "acquired_on", "segment"}, 2};
    std::unique_ptr<detail::RecordSource> opened;
    detail::RecordSource& reader = in[0].reader(opened);
    const std::string& file = reader.name();
    std::optional<Columns> cols;
    read_sequential(
        reader, [&](const auto& fields, std::size_t line) { cols.emplace(fields, spec, file, line); },
        [&](const detail::CsvRecord& rec) {
          ++rep.customers.read;
          if (rec.error) {
            reporter.reject(spec, rep.customers, file, *cols, rec.line,
                            RowError{RowError::whole_row, rec.error_column, rec.error}, rec.raw);
            return;
          }
          if (!gather(rec.fields, *cols, f.data(), e)) {
            reporter.reject(spec, rep.customers, file, *cols, rec.line, e, rec.raw);
            return;
          }
          const auto day = detail::parse_date(f[1]);
          if (!day.value) {
            reporter.reject(spec, rep.customers, file, *cols, rec.line, RowError{1, 0, day.reason}, rec.raw);
            return;
          }
          auto why = builder.add_customer(f[0], *day.value, f[2], &col);
          if (!why.empty())
            reporter.reject(spec, rep.customers, file, *cols, rec.line, RowError{0, 0, std::move(why)},
                            rec.raw);
        });
  }
  const auto grouped = [&]<class Out>(const TableInput& t, const TableSpec& spec, TableCounts& counts, auto parse,
                                     const Out*) {
    if (!t.source) return load_grouped_table<Out>(t.path, spec, counts, reporter, im, options.threads, parse);
    std::optional<Columns> cols;
    load_grouped_records<Out>(*t.source, cols, spec, counts, reporter, im, parse);
  };
  if (in[1].present()) {
    static const TableSpec spec{
        "contacts",
        {"customer_id", "at", "channel", "stage", "initiator", "aspect", "impression", "complaint", "resolved_at"},
        9};
    grouped(in[1], spec, rep.contacts, parse_contact, static_cast<const ContactOut*>(nullptr));
  }
  if (in[2].present()) {
    static const TableSpec spec{"purchases", {"customer_id", "at", "amount"}, 3};
    grouped(in[2], spec, rep.purchases, parse_purchase, static_cast<const PurchaseOut*>(nullptr));
  }
  if (in[3].present()) {
    static const TableSpec spec{"referrals", {"referrer_id", "referred_id", "at"}, 3};
    std::unique_ptr<detail::RecordSource> opened;
    detail::RecordSource& reader = in[3].reader(opened);
    const std::string& file = reader.name();
    std::optional<Columns> cols;
    read_sequential(
        reader, [&](const auto& fields, std::size_t line) { cols.emplace(fields, spec, file, line); },
        [&](const detail::CsvRecord& rec) {
          ++rep.referrals.read;
          const auto bad = [&](RowError err) {
            reporter.reject(spec, rep.referrals, file, *cols, rec.line, err, rec.raw);
          };
          if (rec.error) return bad(RowError{RowError::whole_row, rec.error_column, rec.error});
          if (!gather(rec.fields, *cols, f.data(), e)) return bad(e);
          if (f[0].empty()) return bad(RowError{0, 0, "empty referrer_id"});
          if (f[1].empty()) return bad(RowError{1, 0, "empty referred_id"});
          if (f[0] == f[1]) return bad(RowError{1, 0, "self-referral"});
          const auto at = detail::parse_timestamp(f[2]);
          if (!at.value) return bad(RowError{2, 0, at.reason});
          builder.add_referral(f[0], f[1], *at.value);
        });
  }
  out.base = builder.finish();
  return out;
}
}  // namespace

LoadResult load_csv(const InputFiles& files, const LoadOptions& options) {
  if (files.customers.empty()) throw InputError("no customers file given (customers.csv is required)");
  if (!std::filesystem::exists(files.customers)) throw InputError(files.customers + ": customers file not found");
  const TableInput in[4] = {{files.customers}, {files.contacts}, {files.purchases}, {files.referrals}};
  return load_tables(in, options);
}

LoadResult detail::load_records(detail::RecordSources& sources, const LoadOptions& options) {
  if (!sources.customers) throw InputError("no customers table given (customers is required)");
  const TableInput in[4] = {{{}, sources.customers.get()},
                            {{}, sources.contacts.get()},
                            {{}, sources.purchases.get()},
                            {{}, sources.referrals.get()}};
  return load_tables(in, options);
}

}  // namespace rapport
