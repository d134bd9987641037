// The one set of row rules (see rows.hpp).
#include "base/rows.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace rapport::detail {

const TableSchema& customers_schema() {
  static const TableSchema s{"customers", {"customer_id", "acquired_on", "segment", "ended_on"}, 2};
  return s;
}
const TableSchema& contacts_schema() {
  static const TableSchema s{
      "contacts",
      {"customer_id", "at", "channel", "stage", "initiator", "aspect", "impression", "complaint", "resolved_at"},
      9};
  return s;
}
const TableSchema& purchases_schema() {
  static const TableSchema s{"purchases", {"customer_id", "at", "amount"}, 3};
  return s;
}
const TableSchema& referrals_schema() {
  static const TableSchema s{"referrals", {"referrer_id", "referred_id", "at"}, 3};
  return s;
}

const TableSchema& referral_edges_schema() {
  static const TableSchema s{"referrals", {"referrer_id", "referred_id", "at"}, 2};
  return s;
}

namespace {

bool fail(RowError& e, std::size_t field, std::string reason) {
  e.field = field;
  e.column = 0;
  e.reason = std::move(reason);
  return false;
}
bool fail(RowError& e, const RowError& failure) {
  e = failure;
  return false;
}
constexpr const char* date_range_reason = "date out of range (years 0000-9999)";
constexpr const char* instant_range_reason = "timestamp out of range (years 0000-9999)";

/// Whether the source failed to convert a field at or before schema field `k`.
bool failed_by(const RowError* failure, std::size_t k) noexcept { return failure && failure->field <= k; }

}  // namespace

bool check_customer(std::string_view id, day_t acquired, day_t ended, const RowError* failure, RowError& e) {
  using namespace customer_field;
  if (failed_by(failure, customer_id)) return fail(e, *failure);
  if (id.empty()) return fail(e, customer_id, "empty customer_id");
  if (failure) return fail(e, *failure);
  if (!day_in_range(acquired)) return fail(e, customer_field::acquired_on, date_range_reason);
  if (ended != no_day && !day_in_range(ended)) return fail(e, ended_on, date_range_reason);
  if (ended != no_day && ended < acquired) return fail(e, ended_on, "ended_on before acquired_on");
  return true;
}

bool check_contact(bool known, const ContactRow& row, const RowError* failure, RowError& e) {
  using namespace contact_field;
  if (failed_by(failure, customer_id)) return fail(e, *failure);
  if (!known) return fail(e, customer_id, "unknown customer");
  if (failed_by(failure, at)) return fail(e, *failure);
  if (!instant_in_range(row.at)) return fail(e, at, instant_range_reason);
  // typed sources can hold any byte in an enumeration; the text sources only its names
  const auto outside = [&](std::size_t k, const char* what, auto v, unsigned count) {
    return fail(e, k,
                std::string("unknown ") + what + " (value " + std::to_string(static_cast<unsigned>(v)) +
                    ", expected 0.." + std::to_string(count - 1) + ")");
  };
  if (failed_by(failure, channel)) return fail(e, *failure);
  if (static_cast<unsigned>(row.channel) > static_cast<unsigned>(Channel::other))
    return outside(channel, "channel", row.channel, 8);
  if (failed_by(failure, stage)) return fail(e, *failure);
  if (static_cast<unsigned>(row.stage) > static_cast<unsigned>(Stage::service))
    return outside(stage, "stage", row.stage, 5);
  if (failed_by(failure, initiator)) return fail(e, *failure);
  if (static_cast<unsigned>(row.initiator) > static_cast<unsigned>(Initiator::customer))
    return outside(initiator, "initiator", row.initiator, 2);
  if (failed_by(failure, aspect)) return fail(e, *failure);
  if (static_cast<unsigned>(row.aspect) > static_cast<unsigned>(Aspect::wow))
    return outside(aspect, "aspect", row.aspect, 3);
  if (failed_by(failure, impression)) return fail(e, *failure);
  if (row.impression < -2 || row.impression > 2) return fail(e, impression, "impression out of range -2..2");
  if (failure) return fail(e, *failure);
  if (row.complaint && row.resolved_at != no_time) {
    if (!instant_in_range(row.resolved_at))
      return fail(e, resolved_at, std::string("resolved_at: ") + instant_range_reason);
    if (row.resolved_at < row.at) return fail(e, resolved_at, "complaint resolved before it was made");
  }
  return true;
}

bool check_purchase(bool known, seconds_t at, double value, const RowError* failure, RowError& e) {
  using namespace purchase_field;
  if (failed_by(failure, customer_id)) return fail(e, *failure);
  if (!known) return fail(e, customer_id, "unknown customer");
  if (failed_by(failure, purchase_field::at)) return fail(e, *failure);
  if (!instant_in_range(at)) return fail(e, purchase_field::at, instant_range_reason);
  if (failure) return fail(e, *failure);
  if (!std::isfinite(value)) return fail(e, amount, "non-finite amount");
  if (value < 0) return fail(e, amount, "negative amount");
  if (value > max_amount) return fail(e, amount, "amount too large (above 1e288, sums of amounts could overflow)");
  return true;
}

bool check_referral(std::string_view referrer, std::string_view referred, seconds_t at, const RowError* failure,
                    RowError& e) {
  using namespace referral_field;
  if (failed_by(failure, referrer_id)) return fail(e, *failure);
  if (referrer.empty()) return fail(e, referrer_id, "empty referrer_id");
  if (failed_by(failure, referred_id)) return fail(e, *failure);
  if (referred.empty()) return fail(e, referred_id, "empty referred_id");
  if (referrer == referred) return fail(e, referred_id, "self-referral");
  if (failure) return fail(e, *failure);
  if (!instant_in_range(at)) return fail(e, referral_field::at, instant_range_reason);
  return true;
}

bool contact_from_text(const std::string_view* f, ContactRow& row, RowError& failure) {
  using namespace contact_field;
  // each value is stored as soon as it is parsed: the rules read the fields before a failure
  const auto unknown = [&](std::size_t k, const char* what) {
    return fail(failure, k, std::string("unknown ") + what + " '" + std::string(f[k]) + "'");
  };
  if (const char* why = read_timestamp(f[at], row.at)) return fail(failure, at, why);
  const auto ch = parse_channel(f[channel]);
  if (!ch) return unknown(channel, "channel");
  row.channel = *ch;
  const auto st = parse_stage(f[stage]);
  if (!st) return unknown(stage, "stage");
  row.stage = *st;
  const auto in = parse_initiator(f[initiator]);
  if (!in) return unknown(initiator, "initiator");
  row.initiator = *in;
  const auto as = parse_aspect(f[aspect]);
  if (!as) return unknown(aspect, "aspect");
  row.aspect = *as;
  if (const char* why = read_impression(f[impression], row.impression)) return fail(failure, impression, why);
  if (const char* why = read_bool(f[complaint], row.complaint)) return fail(failure, complaint, why);
  row.resolved_at = no_time;
  if (!f[resolved_at].empty()) {
    seconds_t resolved = 0;
    if (const char* why = read_timestamp(f[resolved_at], resolved))
      return fail(failure, resolved_at, std::string("resolved_at: ") + why);
    if (row.complaint) row.resolved_at = resolved;  // ignored on a contact that is not a complaint
  }
  return true;
}

bool ended_on_from_text(std::string_view text, day_t& ended, RowError& failure) {
  ended = no_day;
  if (text.empty()) return true;  // still active
  if (const char* why = read_date(text, ended)) {
    ended = no_day;
    return fail(failure, customer_field::ended_on, std::string("ended_on: ") + why);
  }
  return true;
}

bool purchase_from_text(const std::string_view* f, seconds_t& at, double& amount, RowError& failure) {
  // `at` is stored as soon as it is parsed: the rules read it before an amount failure
  if (const char* why = read_timestamp(f[purchase_field::at], at)) return fail(failure, purchase_field::at, why);
  const auto a = parse_amount(f[purchase_field::amount]);
  if (!a.value) return fail(failure, purchase_field::amount, a.reason);
  amount = *a.value;
  return true;
}

ColumnMap ColumnMap::from_header(const std::vector<std::string_view>& fields, const TableSchema& schema,
                                 const std::string& file, std::size_t line) {
  ColumnMap m{{}, std::vector<std::string>(fields.begin(), fields.end())};
  for (std::size_t k = 0; k < schema.fields.size(); ++k) {
    std::size_t found = 0;
    for (std::size_t i = 0; i < m.header.size() && !found; ++i)
      if (m.header[i] == schema.fields[k]) found = i + 1;  // exact, case-sensitive
    if (!found && k < schema.required)
      throw InputError(file + ":" + std::to_string(line) + ": missing required column '" + schema.fields[k] + "'");
    m.position.push_back(found);
  }
  m.in_order = m.header.size() == schema.fields.size();
  for (std::size_t k = 0; k < m.position.size(); ++k) m.in_order = m.in_order && m.position[k] == k + 1;
  return m;
}

std::size_t ColumnMap::column_of(const RowError& e) const noexcept {
  if (e.field == RowError::whole_row) return e.column;
  return e.field < position.size() ? position[e.field] : 0;
}

const std::string_view* schema_fields(const std::vector<std::string_view>& fields, const ColumnMap& columns,
                                      std::string_view* scratch, RowError& e) {
  if (fields.size() != columns.header.size()) {
    e.field = RowError::whole_row;
    e.column = std::min(fields.size(), columns.header.size()) + 1;
    e.reason = "expected " + std::to_string(columns.header.size()) + " fields, found " + std::to_string(fields.size());
    return nullptr;
  }
  if (columns.in_order) return fields.data();
  for (std::size_t k = 0; k < columns.position.size(); ++k)
    scratch[k] = columns.position[k] ? fields[columns.position[k] - 1] : std::string_view();
  return scratch;
}

void RejectSink::reject(const TableSchema& schema, TableCounts& counts, const std::string& file,
                        const ColumnMap& columns, std::size_t line, const RowError& e, std::string_view raw) {
  ++counts.rejected;
  RejectedRow r;
  r.table = schema.table;
  r.file = file;
  r.line = line;
  r.column = columns.column_of(e);
  if (r.column >= 1 && r.column <= columns.header.size()) r.column_name = columns.header[r.column - 1];
  r.reason = e.reason;
  r.raw.assign(raw);
  if (options_.on_reject) options_.on_reject(r);
  if (options_.strict)
    throw InputError(r.file + ":" + std::to_string(r.line) + ":" + std::to_string(r.column) + ": " + r.reason +
                     (r.column_name.empty() ? "" : " (column " + r.column_name + ")"));
  if (report_.rejects.size() < options_.max_rejects_kept) {
    report_.rejects.push_back(std::move(r));
  } else {
    ++report_.rejects_not_kept;
  }
}

}  // namespace rapport::detail
