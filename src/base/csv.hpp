// Private: a streaming RFC 4180 reader (quoted fields with commas, "" and newlines; CRLF or
// LF; a leading UTF-8 BOM skipped; blank lines skipped). Fields are taken verbatim.
#pragma once

#include "base/record_source.hpp"
#include "util/file_reader.hpp"

#include <rapport/export.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

/// Splits a quote-free record (no line ending) at commas into `fields` (cleared first). The one
/// field splitter of plain text: the reader's fast path, the parallel ingest and headers use it.
void split_plain_record(std::string_view text, std::vector<std::string_view>& fields);

/// Walks quote-free text line by line, splitting each line at commas in the same pass: the
/// separators (',' and '\n') of 64 bytes at a time are found as one bit mask (SIMD where the
/// target has it), so a field costs a few instructions rather than a library call. A line's
/// last field and its text lose one trailing '\r' (CRLF). Stops, with saw_quote() true, at the
/// first 64-byte stretch holding a '"' (the caller hands such text to CsvReader).
class PlainLineSplitter {
public:
  PlainLineSplitter(const char* begin, const char* end) noexcept : next_(begin), chunk_(begin), end_(end) { load(); }
  /// The next line's fields and text (without its line ending); false at the end of the text or
  /// at a quote. A line ends at '\n' or at the end of the text.
  bool next(std::vector<std::string_view>& fields, std::string_view& line);
  /// Whether the walk stopped at a '"'.
  bool saw_quote() const noexcept { return quote_; }
  /// Where the next line starts.
  const char* position() const noexcept { return next_; }

private:
  void load() noexcept;  // computes mask_ for the 64 bytes at chunk_ (fewer at the end)
  const char* next_;     // start of the next line
  const char* chunk_;    // start of the stretch mask_ describes
  const char* end_;
  std::uint64_t mask_ = 0;  // separators at or after next_ in [chunk_, chunk_ + 64)
  bool quote_ = false;
};

/// One parsed record. Field views stay valid until the next call to CsvReader::next.
struct CsvRecord {
  std::vector<std::string_view> fields;
  std::size_t line = 0;         ///< physical line where the record starts (1-based)
  std::string_view raw;         ///< the record's raw text, without its line ending
  const char* error = nullptr;  ///< a malformed-quoting reason, or nullptr
  std::size_t error_column = 0;
  /// A database source's typed values, one per field (header order), or null (all text). A
  /// typed field's text is empty and `raw` is left empty: read_table spells them when needed.
  const TypedField* typed = nullptr;
};

/// The CSV file reader; the loader's record source for CSV input.
class RAPPORT_API CsvReader final : public RecordSource {
public:
  /// Opens `path`; throws InputError when it cannot be opened.
  explicit CsvReader(const std::string& path);
  /// Opens `path` and starts at byte `offset` (a record start), numbering lines from `line`.
  /// `at_file_start` enables the BOM check.
  CsvReader(const std::string& path, std::size_t offset, std::size_t line, bool at_file_start);
  /// Reads a buffer already in memory (for tests and fuzzing); `name` is used in messages.
  CsvReader(std::string_view data, std::string name);
  ~CsvReader() override;
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  /// Next non-blank record; false at end of input.
  bool next(CsvRecord& rec) override;
  /// Bytes consumed so far.
  std::size_t bytes() const noexcept { return consumed_; }
  const std::string& name() const noexcept override { return name_; }

private:
  bool fill();  // reads more; false at EOF
  // Tries to parse one record starting at pos_; returns false when more input is needed.
  bool parse(CsvRecord& rec, bool at_eof);

  std::unique_ptr<FileReader> file_;  // none for a buffer in memory
  std::string name_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool first_ = true;
  std::size_t line_ = 1;
  std::size_t consumed_ = 0;
  std::string scratch_;
};

}  // namespace rapport::detail
