// Private: the one set of row rules. Every source of rows (CSV files, DataFrames, C++ callers,
// the referral CSV of `rapport graph`) converts its fields to typed values and hands them here;
// these functions decide accept or reject, and why, and report rejects the same way.
//
// Rule order (the card's): the fields are checked in schema order; a field the source could not
// convert is reported at its position, before the typed checks of that field and of the later
// ones. Cross-field rules sit at the later field (a complaint resolved before `at` at
// resolved_at, a self-referral at referred_id); a duplicate customer key is checked last, once
// the row is otherwise valid (the first accepted row wins).
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include "base/csv.hpp"
#include "base/parse.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rapport::detail {

/// The columns of one input table: names as in the header (exact, case-sensitive), required
/// ones first.
struct TableSchema {
  const char* table;                ///< customers, contacts, purchases or referrals
  std::vector<const char*> fields;  ///< column names, required first
  std::size_t required;             ///< how many of `fields` are required
  std::uint32_t typed;              ///< bit k: field k's conversion takes a TypedField (else spelled)
};

/// Field indexes of each table's schema.
namespace customer_field {
enum : std::size_t { customer_id, acquired_on, segment, ended_on };
}
namespace contact_field {
enum : std::size_t { customer_id, at, channel, stage, initiator, aspect, impression, complaint, resolved_at };
}
namespace purchase_field {
enum : std::size_t { customer_id, at, amount };
}
namespace referral_field {
enum : std::size_t { referrer_id, referred_id, at };
}

/// The four tables' schemas.
RAPPORT_API const TableSchema& customers_schema();
RAPPORT_API const TableSchema& contacts_schema();
RAPPORT_API const TableSchema& purchases_schema();
RAPPORT_API const TableSchema& referrals_schema();
/// The referrals table as `rapport graph` reads it: `at` optional (checked when present).
RAPPORT_API const TableSchema& referral_edges_schema();

/// Why a row is rejected: a schema field (or `whole_row`, with an explicit 1-based column) and
/// the reason.
struct RowError {
  static constexpr std::size_t whole_row = static_cast<std::size_t>(-1);
  std::size_t field = 0;
  std::size_t column = 0;  ///< used when field == whole_row
  std::string reason;
};

// ---- typed rules (pure; safe to call from several threads)

/// Why a customer row whose key was accepted before is rejected (the builder's and the live
/// Scorer's duplicate check).
inline constexpr const char* duplicate_customer_reason = "duplicate customer_id (first row wins)";

/// The range of a date or instant any source may give: years 0000-9999, the range of the text
/// spellings (`YYYY-MM-DD`); a typed source (C++, DataFrames, databases) is held to it too.
inline constexpr day_t min_day = days_from_civil(0, 1, 1);
inline constexpr day_t max_day = days_from_civil(9999, 12, 31);
inline constexpr seconds_t min_instant = static_cast<seconds_t>(min_day) * seconds_per_day;
inline constexpr seconds_t max_instant = (static_cast<seconds_t>(max_day) + 1) * seconds_per_day - 1;
/// Whether a day or an instant lies within years 0000-9999.
constexpr bool day_in_range(day_t d) noexcept { return d >= min_day && d <= max_day; }
constexpr bool instant_in_range(seconds_t t) noexcept { return t >= min_instant && t <= max_instant; }

/// The largest amount accepted: below DBL_MAX / 2^64, so that no sum of fewer than 2^64 accepted
/// amounts (a revenue total, a customer's day, a share's numerator) can overflow.
inline constexpr double max_amount = 1e288;

/// Customers: empty key, then a field the source could not convert (`failure`, may be null), then
/// `acquired_on` within years 0000-9999, then an `ended_on` (no_day: none) within them and not
/// before `acquired_on`. The duplicate check follows in the builder, which owns the key index.
RAPPORT_API bool check_customer(std::string_view id, day_t acquired_on, day_t ended_on, const RowError* failure,
                                RowError& e);
/// Contacts: unknown customer (`known` false), conversion failures, `at` (and a complaint's
/// `resolved_at`) within years 0000-9999, each enumeration within its values, impression in
/// -2..+2, and a complaint not resolved before it was made.
RAPPORT_API bool check_contact(bool known, const ContactRow& row, const RowError* failure, RowError& e);
/// Purchases: unknown customer, conversion failures, `at` within years 0000-9999, a finite and
/// non-negative amount of at most max_amount.
RAPPORT_API bool check_purchase(bool known, seconds_t at, double amount, const RowError* failure, RowError& e);
/// Referrals: non-empty referrer and referred ids, no self-referral, then conversion failures
/// (the `at` field) and `at` within years 0000-9999.
RAPPORT_API bool check_referral(std::string_view referrer, std::string_view referred, seconds_t at,
                                const RowError* failure, RowError& e);

/// The failure of a field conversion as the rules take it: null when `parsed` holds a value,
/// else `buf` set to {field, reason}.
template <class T>
const RowError* conversion_failure(const Parsed<T>& parsed, std::size_t field, RowError& buf) {
  if (parsed.value) return nullptr;
  buf = RowError{field, 0, parsed.reason};
  return &buf;
}

// ---- text fields to typed values (the card's field rules, parse.hpp); stop at the first failure
//
// `typed` (schema order, or null): the values a database source handed typed, for the fields the
// schema's `typed` mask names (read_table spells every other one). A typed value is taken as its
// spelling (spell_typed) would be parsed: an instant, a day, a number in range directly, anything
// else spelled and parsed, so the value and the reject reason are the text path's.

/// Contact fields at..resolved_at (`f` indexed by contact_field) into `row`.
RAPPORT_API bool contact_from_text(const std::string_view* f, ContactRow& row, RowError& failure,
                                   const TypedField* typed = nullptr);
/// The optional `ended_on` field: empty text is no_day (still active), else a `YYYY-MM-DD` date.
RAPPORT_API bool ended_on_from_text(std::string_view text, day_t& ended_on, RowError& failure);
/// Purchase fields at and amount.
RAPPORT_API bool purchase_from_text(const std::string_view* f, seconds_t& at, double& amount, RowError& failure,
                                    const TypedField* typed = nullptr);

// ---- the builder through the rules (implemented beside CustomerBaseBuilder, data.cpp)

/// Adds a row when the rules accept it (the builder's checks included: duplicate key, known
/// customer); otherwise returns false with `e`. `failure`: the first field the source could not
/// convert, or null.
RAPPORT_API bool add_customer_row(CustomerBaseBuilder& b, std::string_view id, day_t acquired_on,
                                  std::string_view segment, day_t ended_on, const RowError* failure, RowError& e);
RAPPORT_API bool add_contact_row(CustomerBaseBuilder& b, std::string_view customer_id, const ContactRow& row,
                                 const RowError* failure, RowError& e);
RAPPORT_API bool add_purchase_row(CustomerBaseBuilder& b, std::string_view customer_id, seconds_t at, double amount,
                                  const RowError* failure, RowError& e);
RAPPORT_API bool add_referral_row(CustomerBaseBuilder& b, std::string_view referrer, std::string_view referred,
                                  seconds_t at, const RowError* failure, RowError& e);

/// Appends the newest customer's `ended_on` (no_day: active) to `b.ended_on`, which stays empty
/// until some customer has one (call after the customer's key was appended).
inline void push_ended(CustomerBase& b, day_t day) {
  const std::size_t before = b.customer_id.size() - 1;
  if (day != no_day && b.ended_on.size() < before) b.ended_on.resize(before, no_day);
  if (day != no_day || !b.ended_on.empty()) b.ended_on.push_back(day);
}

// ---- a base built by hand (CustomerBase is a public struct)

/// Checks a CustomerBase that may not have come through the row rules (its fields are public):
/// the columns' sizes and CSR offsets agree, referral endpoints name people, and every row passes
/// the row rules above (ranges of instants, dates and enumerations, impressions, amounts). One
/// linear pass, customers on `threads` threads (0 = all cores). score(), summarize() and the
/// Scorer call it, so no content crashes them.
/// @throws InputError naming the table, the row and the reason (the first bad row in table order).
RAPPORT_API void check_base(const CustomerBase& base, unsigned threads = 0);

// ---- reporting

/// 1-based column positions and header names of one table as a source has it.
struct ColumnMap {
  std::vector<std::size_t> position;  ///< per schema field: 1-based column, 0 when absent
  std::vector<std::string> header;    ///< name of each column (1-based column k at header[k - 1])
  bool in_order = false;              ///< the header is exactly the schema's columns, in its order
  /// From a CSV header: finds the schema's columns by exact name.
  /// @throws InputError "file:line: missing required column 'name'" for a missing required one.
  static ColumnMap from_header(const std::vector<std::string_view>& fields, const TableSchema& schema,
                               const std::string& file, std::size_t line);
  /// The 1-based column of a row error (0 for the whole row).
  std::size_t column_of(const RowError& e) const noexcept;
};

/// Takes the rejects of a load: counts them per table, turns them into an error in strict mode,
/// streams each to LoadOptions::on_reject (in the order given, from one thread), and stores up to
/// LoadOptions::max_rejects_kept of them, counting the rest in LoadReport::rejects_not_kept.
class RAPPORT_API RejectSink {
public:
  RejectSink(LoadReport& report, const LoadOptions& options) : report_(report), options_(options) {}
  /// Rejects one row of `schema`'s table from `file` at `line` (for DataFrames: row index + 2).
  /// @throws InputError in strict mode; whatever on_reject throws.
  void reject(const TableSchema& schema, TableCounts& counts, const std::string& file, const ColumnMap& columns,
              std::size_t line, const RowError& e, std::string_view raw);
  /// The report being filled.
  LoadReport& report() noexcept { return report_; }

private:
  LoadReport& report_;
  const LoadOptions& options_;
};

/// Checks a record's field count against the header and gives the schema's fields in schema
/// order (an absent optional column as empty text): `fields` itself when the header is in
/// schema order, else gathered into `scratch` (one slot per schema field); null with `e` on a
/// wrong count.
RAPPORT_API const std::string_view* schema_fields(const std::vector<std::string_view>& fields, const ColumnMap& columns,
                                                  std::string_view* scratch, RowError& e);

/// A record's fields as the rules take them (read_table's step for every record, and the
/// loader's for a batch of records on each of its threads): the field count checked, the fields in
/// schema order, and a typed record's (CsvRecord::typed) values arranged: kept for the fields the
/// caller takes typed, spelled into text for every other one; and the record's raw text (a typed
/// record's fields joined by commas, typed ones spelled), as a reject shows it.
class RAPPORT_API TypedRecord {
public:
  /// The schema-order text of `rec` to convert, `scratch` holding one view per schema field
  /// (schema_fields); typed() then holds its typed values (null for an all-text record; all
  /// Kind::text unless `take_typed`). Null with `e` on a wrong field count.
  const std::string_view* fields(const CsvRecord& rec, const ColumnMap& columns, const TableSchema& schema,
                                 std::string_view* scratch, bool take_typed, RowError& e);
  /// From `fields` (schema order, as schema_fields gave them): the schema-order text to convert;
  /// typed() then holds the typed values (all Kind::text unless `take_typed`).
  const std::string_view* arrange(const CsvRecord& rec, const ColumnMap& columns, const TableSchema& schema,
                                  const std::string_view* fields, bool take_typed);
  /// The typed values of the last fields() or arrange(), schema order (null: all text).
  const TypedField* typed() const noexcept { return typed_now_; }
  /// The raw text of `rec`: rec.raw, or a typed record's spelled (valid until the next call).
  std::string_view raw(const CsvRecord& rec);

private:
  std::vector<std::string_view> text_;
  std::vector<TypedField> typed_;
  const TypedField* typed_now_ = nullptr;
  std::vector<std::size_t> spelled_end_;
  std::string spelled_, raw_;
};

/// Takes a source's header record: the columns it names. @throws InputError on an empty source or
/// a missing required column.
RAPPORT_API ColumnMap read_header(RecordSource& reader, const TableSchema& schema);

/// Reads a table from a record source (the RFC 4180 reader of a CSV file, a database table): the
/// header gives the columns (unless `columns` is set already, when `reader` starts past it); a
/// malformed record or a wrong field count is rejected; the fields of every other record go, in
/// schema order, to `on_row(fields, typed, e)` (typed values as contact_from_text takes them, or
/// null), `on_row(fields, e, record)` or `on_row(fields, e)` (typed values spelled as text; the
/// record's raw text spelled too), which returns false with `e` to reject the row.
/// `before_reject()` runs before each reject read_table reports (a caller that settles rows late
/// settles the pending ones first, keeping rejects in order).
template <class OnRow, class BeforeReject>
void read_table(RecordSource& reader, const TableSchema& schema, std::optional<ColumnMap>& columns, TableCounts& counts,
                RejectSink& sink, OnRow&& on_row, BeforeReject&& before_reject) {
  constexpr bool takes_typed = std::is_invocable_v<OnRow&, const std::string_view*, const TypedField*, RowError&>;
  constexpr bool takes_record = std::is_invocable_v<OnRow&, const std::string_view*, RowError&, const CsvRecord&>;
  if (!columns) columns = read_header(reader, schema);
  CsvRecord rec;
  std::vector<std::string_view> f(schema.fields.size());
  TypedRecord typed_record;
  RowError e;
  const auto row = [&] {
    const std::string_view* fields = typed_record.fields(rec, *columns, schema, f.data(), takes_typed, e);
    if (!fields) return false;
    if constexpr (takes_typed) {
      return on_row(fields, typed_record.typed(), e);
    } else if constexpr (takes_record) {
      if (rec.typed) rec.raw = typed_record.raw(rec);
      return on_row(fields, e, rec);
    } else {
      return on_row(fields, e);
    }
  };
  while (reader.next(rec)) {
    ++counts.read;
    if (rec.error) {
      e = RowError{RowError::whole_row, rec.error_column, rec.error};
    } else if (row()) {
      continue;
    }
    before_reject();
    sink.reject(schema, counts, reader.name(), *columns, rec.line, e, typed_record.raw(rec));
  }
}

/// read_table with nothing to settle before a reject.
template <class OnRow>
void read_table(RecordSource& reader, const TableSchema& schema, std::optional<ColumnMap>& columns, TableCounts& counts,
                RejectSink& sink, OnRow&& on_row) {
  read_table(reader, schema, columns, counts, sink, std::forward<OnRow>(on_row), [] {});
}

}  // namespace rapport::detail
