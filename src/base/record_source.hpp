// Private: the record-source seam of the loader. Every input (a CSV file, a database table)
// reaches the one set of row rules as records of fields: text in the CSV spellings, or (a
// database's native numbers, instants and dates) a typed value that never becomes text on the
// way. A source only says how its rows are read. The first record a source yields is its header.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace rapport::detail {

struct CsvRecord;  // base/csv.hpp

/// A field a source hands already typed. Each kind has exactly one CSV spelling (spell_typed),
/// and the row rules take a typed value as they would take that spelling: the same value, the
/// same checks, the same reject reason (a value the rules have no typed form for is spelled and
/// parsed). A source gives `instant` and `day` only within years 0000-9999, where the spelling
/// reads back as the same value; outside them it gives the number as an `integer`.
struct TypedField {
  enum class Kind : std::uint8_t {
    text,     ///< not typed: the record's text field holds the value (empty: NULL)
    integer,  ///< `integer`, spelled in decimal
    boolean,  ///< `integer` non-zero or zero, spelled `true` or `false`
    real,     ///< `real`, spelled as the shortest fixed decimal that reads back as it
    instant,  ///< `integer` Unix seconds, spelled `YYYY-MM-DDTHH:MM:SSZ`
    day,      ///< `integer` days since 1970-01-01, spelled `YYYY-MM-DD`
  };
  Kind kind = Kind::text;
  std::int64_t integer = 0;
  double real = 0;
};

/// Appends the CSV spelling of a typed field (nothing for Kind::text).
RAPPORT_API void spell_typed(const TypedField& field, std::string& out);

/// A stream of records: the header first, then the data rows in read order.
class RecordSource {
public:
  virtual ~RecordSource() = default;
  /// Name used in messages and as RejectedRow::file (a file path, or a database table name).
  virtual const std::string& name() const noexcept = 0;
  /// Next record (the header on the first call); false at the end. Field views stay valid until
  /// the next call. `line` is the physical line (CSV) or the 1-based row number in read order.
  virtual bool next(CsvRecord& rec) = 0;
};

/// One source per table; contacts, purchases and referrals may be null (absent). The loader reads
/// them one after another, each to its end, in the order customers, contacts, purchases,
/// referrals (so a database source may stream each table inside one snapshot).
struct RecordSources {
  std::unique_ptr<RecordSource> customers;  ///< required
  std::unique_ptr<RecordSource> contacts;   ///< or null
  std::unique_ptr<RecordSource> purchases;  ///< or null
  std::unique_ptr<RecordSource> referrals;  ///< or null
};

}  // namespace rapport::detail
