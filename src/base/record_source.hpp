// Private: the record-source seam of the loader. Every input (a CSV file, a database table)
// reaches the one set of row rules as records of text fields in the CSV spellings; a source
// only says how its rows are read. The first record a source yields is its header.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <memory>
#include <string>

namespace rapport::detail {

struct CsvRecord;  // base/csv.hpp

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

/// Loads a base from record sources through the same row rules as load_csv (rejects, counts,
/// strict mode). Defined beside load_csv.
RAPPORT_API LoadResult load_records(RecordSources& sources, const LoadOptions& options);

}  // namespace rapport::detail
