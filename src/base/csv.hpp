// Private: the splitting of quote-free CSV text held in memory, the quoting of one field (the
// same rule written back), and the record the row rules read (the file reader itself,
// CsvReader, is io/csv_reader.hpp).
#pragma once

#include "base/record_source.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

/// Appends `s` as one CSV field (RFC 4180): as is, or in double quotes with inner quotes doubled
/// when it holds a comma, a quote or a line break.
inline void append_csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (const char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

/// Splits a quote-free record (no line ending) at commas into `fields` (cleared first). The one
/// field splitter of plain text: the reader's fast path, the parallel ingest and headers use it.
void split_plain_record(std::string_view text, std::vector<std::string_view>& fields);

/// Walks quote-free text line by line, splitting each line at commas in the same pass. The
/// separators (',' and '\n') of 64 bytes at a time are found as one bit mask (SIMD where the
/// target has it), and the offsets of those of up to 1 KiB are written to an index first, so
/// that the walk over the fields takes one separator after another with no branch on where a
/// 64-byte stretch ends (the pattern the branch predictor learns is the line's own: so many
/// commas, then a line feed). A line's last field and its text lose one trailing '\r' (CRLF).
/// Stops, with saw_quote() true, at the first 64-byte stretch holding a '"' (the caller hands
/// such text to CsvReader): the lines that end before that stretch are returned.
class PlainLineSplitter {
public:
  PlainLineSplitter(const char* begin, const char* end) noexcept : next_(begin), chunk_(begin), end_(end) {}
  /// The next line's fields and text (without its line ending); false at the end of the text or
  /// at a quote. A line ends at '\n' or at the end of the text.
  bool next(std::vector<std::string_view>& fields, std::string_view& line);
  /// Whether the walk stopped at a '"'.
  bool saw_quote() const noexcept { return quote_; }
  /// Where the next line starts.
  const char* position() const noexcept { return next_; }

private:
  static constexpr std::size_t stretches = 16;  // 64-byte stretches indexed at a time
  // Indexes the separators from chunk_ on (at least one, unless the text ends or a '"' is
  // reached first: then false, and quote_ set for the '"').
  bool index() noexcept;
  const char* next_;   // start of the next line
  const char* chunk_;  // start of the next stretch to index
  const char* end_;
  const char* base_ = nullptr;              // sep_ holds offsets from here
  std::uint16_t sep_[stretches * 64 + 16];  // separators' offsets (16 spare: unconditional writes)
  std::size_t n_ = 0, i_ = 0;               // sep_[i_, n_) not yet walked
  bool quote_ahead_ = false;                // indexing stopped at a stretch holding a '"'
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

}  // namespace rapport::detail
