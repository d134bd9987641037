// Private: a streaming RFC 4180 reader (quoted fields with commas, "" and newlines; CRLF or
// LF; a leading UTF-8 BOM skipped; blank lines skipped). Fields are taken verbatim.
#pragma once

#include "base/csv.hpp"
#include "base/record_source.hpp"
#include "io/file_reader.hpp"

#include <rapport/export.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

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
