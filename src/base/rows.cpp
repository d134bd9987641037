// The one set of row rules (see rows.hpp).
#include "base/rows.hpp"

#include "base/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace rapport::detail {

// enough rows that settling a batch on several threads costs little more than starting them
std::size_t record_batch_rows = 32768;
std::size_t record_part_min_rows = 2048;

const TableSchema& customers_schema() {
  static const TableSchema s{"customers", {"customer_id", "acquired_on", "segment", "ended_on"}, 2, 0};
  return s;
}
const TableSchema& contacts_schema() {
  static const TableSchema s{
      "contacts",
      {"customer_id", "at", "channel", "stage", "initiator", "aspect", "impression", "complaint", "resolved_at"},
      9,
      1u << contact_field::at | 1u << contact_field::impression | 1u << contact_field::complaint |
          1u << contact_field::resolved_at};
  return s;
}
const TableSchema& purchases_schema() {
  static const TableSchema s{
      "purchases", {"customer_id", "at", "amount"}, 3, 1u << purchase_field::at | 1u << purchase_field::amount};
  return s;
}
const TableSchema& referrals_schema() {
  static const TableSchema s{"referrals", {"referrer_id", "referred_id", "at"}, 3, 0};
  return s;
}

const TableSchema& referral_edges_schema() {
  static const TableSchema s{"referrals", {"referrer_id", "referred_id", "at"}, 2, 0};
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

namespace {

using Kind = TypedField::Kind;

/// Schema field k of a row as the text rules read it: its text, or a typed value's spelling
/// (spelled into `buf`, which the view then points into).
class FieldText {
public:
  FieldText(const std::string_view* f, const TypedField* typed) noexcept : f_(f), typed_(typed) {}
  /// The typed value of field k, or null when it came as text.
  const TypedField* typed(std::size_t k) const noexcept {
    return typed_ && typed_[k].kind != Kind::text ? &typed_[k] : nullptr;
  }
  /// Whether field k holds a value (typed, or non-empty text).
  bool present(std::size_t k) const noexcept { return typed(k) || !f_[k].empty(); }
  /// Field k as text (valid until the next call).
  std::string_view operator[](std::size_t k) {
    const TypedField* t = typed(k);
    if (!t) return f_[k];
    buf_.clear();
    spell_typed(*t, buf_);
    return buf_;
  }

private:
  const std::string_view* f_;
  const TypedField* typed_;
  std::string buf_;
};

// The typed values the rules take directly: exactly the values their spellings would parse to.

/// An instant (or a day, read as its midnight, as a `YYYY-MM-DD` timestamp reads).
bool take_instant(const TypedField* t, seconds_t& out) noexcept {
  if (!t || (t->kind != Kind::instant && t->kind != Kind::day)) return false;
  out = t->kind == Kind::instant ? t->integer : midnight(static_cast<day_t>(t->integer));
  return true;
}
/// An integer impression: beyond -2..+2 it is -3 or +3 for the range rule, as read_impression gives.
bool take_impression(const TypedField* t, int& out) noexcept {
  if (!t || t->kind != Kind::integer) return false;
  out = static_cast<int>(std::clamp<std::int64_t>(t->integer, -3, 3));
  return true;
}
/// A boolean, or the integer 0 or 1 (the spellings read_bool takes).
bool take_bool(const TypedField* t, bool& out) noexcept {
  if (!t || !(t->kind == Kind::boolean || (t->kind == Kind::integer && (t->integer == 0 || t->integer == 1))))
    return false;
  out = t->integer != 0;
  return true;
}
/// A finite real that is not negative (-0 included: its spelling `-0` is a negative amount), or a
/// non-negative integer (converted to the nearest double, as its decimal spelling parses).
bool take_amount(const TypedField* t, double& out) noexcept {
  if (t && t->kind == Kind::real && std::isfinite(t->real) && !std::signbit(t->real)) {
    out = t->real;
    return true;
  }
  if (t && t->kind == Kind::integer && t->integer >= 0) {
    out = static_cast<double>(t->integer);
    return true;
  }
  return false;
}

}  // namespace

void spell_typed(const TypedField& t, std::string& out) {
  char buf[400];  // the fixed notation of the largest double: 309 digits
  switch (t.kind) {
    case Kind::text:
      return;
    case Kind::integer:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, t.integer).ptr);
      return;
    case Kind::boolean:
      out += t.integer ? "true" : "false";
      return;
    case Kind::real:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, t.real, std::chars_format::fixed).ptr);
      return;
    case Kind::instant:
      out += format_timestamp(t.integer);
      return;
    case Kind::day:
      out += format_date(static_cast<day_t>(t.integer));
      return;
  }
}

void spell_record(const CsvRecord& rec, std::string& out) {
  const std::size_t start = out.size();
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    if (i) out.push_back(',');
    if (rec.typed && rec.typed[i].kind != Kind::text)
      spell_typed(rec.typed[i], out);
    else
      append_csv_field(out, rec.fields[i]);
  }
  if (out.size() == start && !rec.fields.empty()) out += "\"\"";
}

void RecordBatch::record(std::size_t r, CsvRecord& rec, std::vector<TypedField>& typed_out) const {
  const std::size_t first = r ? rows[r - 1] : 0, last = rows[r];
  std::size_t value = r ? typed_rows[r - 1] : 0;
  rec.line = first_line + r;
  rec.error = nullptr;
  rec.error_column = 0;
  rec.raw = {};
  rec.fields.clear();
  typed_out.resize(last - first);
  // each field starts where the one before (in the row or the row before) ends
  for (std::size_t i = first, from = first ? ends[first - 1] : 0; i < last; from = ends[i++]) {
    rec.fields.emplace_back(text.data() + from, ends[i] - from);
    typed_out[i - first] = kinds[i] == Kind::text ? TypedField{} : typed[value++];
  }
  rec.typed = typed_out.data();
}

namespace {

/// A row's fields when every one came as text (CSV): no typed value to look for, no spelling.
class PlainText {
public:
  explicit PlainText(const std::string_view* f) noexcept : f_(f) {}
  static constexpr const TypedField* typed(std::size_t) noexcept { return nullptr; }
  bool present(std::size_t k) const noexcept { return !f_[k].empty(); }
  std::string_view operator[](std::size_t k) const noexcept { return f_[k]; }

private:
  const std::string_view* f_;
};

/// The contact rules of contact_from_text over either view of the fields (the text one compiles
/// to the CSV path without a typed check per field).
template <class Fields>
bool contact_from(Fields& f, ContactRow& row, RowError& failure) {
  using namespace contact_field;
  // each value is stored as soon as it is parsed: the rules read the fields before a failure
  const auto unknown = [&](std::size_t k, const char* what) {
    return fail(failure, k, std::string("unknown ") + what + " '" + std::string(f[k]) + "'");
  };
  if (!take_instant(f.typed(at), row.at))
    if (const char* why = read_timestamp(f[at], row.at)) return fail(failure, at, why);
  const auto ch = parse_channel(f[channel]);
  const auto st = parse_stage(f[stage]);
  const auto in = parse_initiator(f[initiator]);
  const auto as = parse_aspect(f[aspect]);
  if (!ch) return unknown(channel, "channel");
  row.channel = *ch;
  if (!st) return unknown(stage, "stage");
  row.stage = *st;
  if (!in) return unknown(initiator, "initiator");
  row.initiator = *in;
  if (!as) return unknown(aspect, "aspect");
  row.aspect = *as;
  if (!take_impression(f.typed(impression), row.impression))
    if (const char* why = read_impression(f[impression], row.impression)) return fail(failure, impression, why);
  if (!take_bool(f.typed(complaint), row.complaint))
    if (const char* why = read_bool(f[complaint], row.complaint)) return fail(failure, complaint, why);
  row.resolved_at = no_time;
  if (f.present(resolved_at)) {
    seconds_t resolved = 0;
    if (!take_instant(f.typed(resolved_at), resolved))
      if (const char* why = read_timestamp(f[resolved_at], resolved))
        return fail(failure, resolved_at, std::string("resolved_at: ") + why);
    if (row.complaint) row.resolved_at = resolved;  // ignored on a contact that is not a complaint
  }
  return true;
}

}  // namespace

bool contact_from_text(const std::string_view* fields, ContactRow& row, RowError& failure, const TypedField* typed) {
  if (!typed) {
    PlainText f(fields);
    return contact_from(f, row, failure);
  }
  FieldText f(fields, typed);
  return contact_from(f, row, failure);
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

bool purchase_from_text(const std::string_view* fields, seconds_t& at, double& amount, RowError& failure,
                        const TypedField* typed) {
  FieldText f(fields, typed);
  // `at` is stored as soon as it is parsed: the rules read it before an amount failure
  if (!take_instant(f.typed(purchase_field::at), at))
    if (const char* why = read_timestamp(f[purchase_field::at], at)) return fail(failure, purchase_field::at, why);
  if (take_amount(f.typed(purchase_field::amount), amount)) return true;
  const auto a = parse_amount(f[purchase_field::amount]);
  if (!a.value) return fail(failure, purchase_field::amount, a.reason);
  amount = *a.value;
  return true;
}

const std::string_view* TypedRecord::arrange(const CsvRecord& rec, const ColumnMap& columns, const TableSchema& schema,
                                             const std::string_view* fields, bool take_typed) {
  const std::size_t n = columns.position.size();
  if (columns.in_order && take_typed) {
    // the record is in schema order: as it is, unless a typed field must be spelled
    bool as_is = true;
    for (std::size_t k = 0; k < n && as_is; ++k) as_is = rec.typed[k].kind == Kind::text || (schema.typed >> k & 1u);
    if (as_is) {
      typed_now_ = rec.typed;
      return fields;
    }
  }
  typed_now_ = nullptr;
  text_.assign(fields, fields + n);
  typed_.assign(n, TypedField{});
  spelled_.clear();
  spelled_end_.assign(n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    if (!columns.position[k]) continue;
    const TypedField& t = rec.typed[columns.position[k] - 1];
    if (t.kind == Kind::text) continue;
    if (take_typed && (schema.typed >> k & 1u)) {
      typed_[k] = t;
    } else {
      spell_typed(t, spelled_);
      spelled_end_[k] = spelled_.size();
    }
  }
  // the views are taken once every spelling is in place (spelled_ no longer moves)
  for (std::size_t k = 0, from = 0; k < n; ++k) {
    if (!spelled_end_[k]) continue;
    text_[k] = std::string_view(spelled_.data() + from, spelled_end_[k] - from);
    from = spelled_end_[k];
  }
  typed_now_ = typed_.data();
  return text_.data();
}

const std::string_view* TypedRecord::fields(const CsvRecord& rec, const ColumnMap& columns, const TableSchema& schema,
                                            std::string_view* scratch, bool take_typed, RowError& e) {
  typed_now_ = nullptr;
  const std::string_view* f = schema_fields(rec.fields, columns, scratch, e);
  if (f && rec.typed) f = arrange(rec, columns, schema, f, take_typed);
  return f;
}

ColumnMap read_header(RecordSource& reader, const TableSchema& schema) {
  CsvRecord rec;
  if (!reader.next(rec)) throw InputError(reader.name() + ": empty file (no header row)");
  return ColumnMap::from_header(rec.fields, schema, reader.name(), rec.line);
}

std::string_view TypedRecord::raw(const CsvRecord& rec) {
  if (!rec.typed) return rec.raw;
  raw_.clear();
  spell_record(rec, raw_);
  return raw_;
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
