// Private: the record-source seam of the loader. Every input (a CSV file, a database table)
// reaches the one set of row rules as records of fields: text in the CSV spellings, or (a
// database's native numbers, instants and dates) a typed value that never becomes text on the
// way. A source only says how its rows are read. The first record a source yields is its header.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
/// Appends a record's fields as one CSV record (RFC 4180), the one spelling of a record a source
/// handed (a database row): a typed value by spell_typed, a text value as is or in double quotes
/// where it holds a comma, a quote or a line break; a record of one empty field as `""` (never a
/// blank line). A reject's raw text of a typed record and rapport.dask's pieces of a database
/// read both spell records by this.
RAPPORT_API void spell_record(const CsvRecord& rec, std::string& out);

/// Rows a database source fetches per batch (fewer when the rows are wide; tests make it small).
extern RAPPORT_API std::size_t record_batch_rows;
/// The loader splits a batch across threads in parts of at least this many rows.
extern RAPPORT_API std::size_t record_part_min_rows;

/// Data records a source fetched ahead in one batch (a database table's reader thread): the text
/// fields of every row back to back (their ends apart), the typed values apart. Read only
/// once filled, so any number of threads may take records from it at once.
struct RAPPORT_API RecordBatch {
  std::string text;                     ///< the rows' text fields (a typed field's text is empty)
  std::vector<std::size_t> ends;        ///< per field: one past its text in `text`
  std::vector<TypedField::Kind> kinds;  ///< per field: Kind::text, or the kind of its typed value
  std::vector<TypedField> typed;        ///< the typed values only, in field order
  std::vector<std::size_t> rows;        ///< per row: one past its last field in `ends`
  std::vector<std::size_t> typed_rows;  ///< per row: one past its last value in `typed`
  std::size_t first_line = 1;           ///< the row number (CsvRecord::line) of the first row
  /// The number of rows.
  std::size_t size() const noexcept { return rows.size(); }
  /// Row `r` as a record (CsvRecord::typed pointing into `typed_out`, one value per field; the raw
  /// text left empty, as read_table spells it). Views valid while the batch and `typed_out` live.
  void record(std::size_t r, CsvRecord& rec, std::vector<TypedField>& typed_out) const;
};

/// A stream of records: the header first, then the data rows in read order.
class RecordSource {
public:
  virtual ~RecordSource() = default;
  /// Name used in messages and as RejectedRow::file (a file path, or a database table name).
  virtual const std::string& name() const noexcept = 0;
  /// Next record (the header on the first call); false at the end. Field views stay valid until
  /// the next call. `line` is the physical line (CSV) or the 1-based row number in read order.
  virtual bool next(CsvRecord& rec) = 0;
  /// Whether the data rows can be taken a batch at a time (next_batch) once the header is taken.
  virtual bool batched() const noexcept { return false; }
  /// The next batch of data rows (after the header, instead of next()); valid until the next call,
  /// null at the end. A read error is thrown after the batch holding the rows before it.
  virtual const RecordBatch* next_batch() { return nullptr; }
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
