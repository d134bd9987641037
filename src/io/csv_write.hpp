// Private: the one set of rules for writing CSV cells (every CSV rapport writes uses them).
#pragma once

#include "base/csv.hpp"  // append_csv_field: the field rule both ways lives with the splitter

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/score.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rapport::detail {

/// Room write_number and write_uint need at most.
inline constexpr std::size_t number_room = 32;

/// Writes the shortest text that reads back as exactly `v` at `p` (number_room bytes there);
/// nothing for NaN (an empty cell). Returns the end of what was written.
inline char* write_number(char* p, double v) noexcept {
  if (std::isnan(v)) return p;
  if (v > -1e5 && v < 1e5) {
    // a whole number of at most five digits reads back from its integer spelling, which is never
    // longer than its e-notation (10000 vs 1e+04: a tie goes to the plain form), so it is the
    // shortest form; -0 keeps its sign through to_chars below
    const auto whole = static_cast<std::int32_t>(v);
    if (static_cast<double>(whole) == v && (whole != 0 || !std::signbit(v)))
      return std::to_chars(p, p + number_room, whole).ptr;
  }
  return std::to_chars(p, p + number_room, v).ptr;
}

/// Writes `v` in decimal at `p` (number_room bytes there); returns the end.
inline char* write_uint(char* p, std::uint64_t v) noexcept { return std::to_chars(p, p + number_room, v).ptr; }

/// Appends the shortest text that reads back as exactly `v`; nothing for NaN (an empty cell).
inline void append_number(std::string& out, double v) {
  char buf[number_room];
  out.append(buf, write_number(buf, v));
}

/// Appends `v` in decimal.
inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[number_room];
  out.append(buf, write_uint(buf, v));
}

/// Appends row `r` of a scoring run as one line of the scores CSV (score_columns() order, line
/// ending included): the single spelling of a score row, for the CSV writer and the database
/// write-back alike; `root_ids` as for write_scores_csv. Defined in writers.cpp.
RAPPORT_API void format_score_row(std::string& out, const CustomerBase& base, const ScoreResult& res, std::size_t r,
                                  std::span<const std::string> root_ids = {});

}  // namespace rapport::detail
