#include "base/csv.hpp"

#include <rapport/base/data.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rapport::detail {

namespace {

/// Where the commas, line feeds and double quotes are among up to 64 bytes (bit i: byte i).
struct ByteMasks {
  std::uint64_t comma = 0, newline = 0, quote = 0;
};

/// The masks of `n` (at most 64) bytes at `p`, a byte at a time (the tail of a text, and any
/// target without SSE2).
ByteMasks scan_bytes(const char* p, std::size_t n) noexcept {
  ByteMasks m;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (p[i] == ',') m.comma |= bit;
    if (p[i] == '\n') m.newline |= bit;
    if (p[i] == '"') m.quote |= bit;
  }
  return m;
}

/// The commas among up to 64 bytes at `p` (a record's splitter: no line feed inside).
std::uint64_t scan_commas(const char* p, std::size_t n) noexcept {
#if defined(__SSE2__)
  if (n == 64) {
    const __m128i comma = _mm_set1_epi8(',');
    std::uint64_t m = 0;
    for (unsigned i = 0; i < 4; ++i) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
      m |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)))} << (16 * i);
    }
    return m;
  }
#endif
  return scan_bytes(p, n).comma;
}

/// The separators (',' and '\n') among up to 64 bytes at `p`, and whether a '"' is there: the
/// splitter's scan (one mask for both separators, the quote only as a yes or no).
std::uint64_t scan_separators(const char* p, std::size_t n, bool& quote) noexcept {
#if defined(__SSE2__)
  if (n == 64) {
    const __m128i comma = _mm_set1_epi8(','), newline = _mm_set1_epi8('\n'), dquote = _mm_set1_epi8('"');
    std::uint64_t sep = 0;
    __m128i quotes = _mm_setzero_si128();
    for (unsigned i = 0; i < 4; ++i) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
      const __m128i s = _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, newline));
      sep |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(s))} << (16 * i);
      quotes = _mm_or_si128(quotes, _mm_cmpeq_epi8(v, dquote));
    }
    quote = quote || _mm_movemask_epi8(quotes) != 0;
    return sep;
  }
#endif
  const ByteMasks m = scan_bytes(p, n);
  quote = quote || m.quote != 0;
  return m.comma | m.newline;
}

/// The number of bits set in `v`, in a few word operations (std::popcount is a library call on
/// targets without the POPCNT instruction, the default x86-64 one among them).
std::size_t bit_count(std::uint64_t v) noexcept {
  v -= (v >> 1) & 0x5555555555555555u;
  v = (v & 0x3333333333333333u) + ((v >> 2) & 0x3333333333333333u);
  v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0Fu;
  return static_cast<std::size_t>((v * 0x0101010101010101u) >> 56);
}

/// Fields written by position into a vector kept at least as long as the line's field count
/// (no per-field growth check), trimmed to the count at the end of the line.
class FieldSink {
public:
  explicit FieldSink(std::vector<std::string_view>& fields) noexcept
      : fields_(fields), data_(fields.data()), size_(fields.size()) {}
  void add(const char* from, const char* to) {
    if (n_ == size_) grow();
    data_[n_++] = std::string_view(from, static_cast<std::size_t>(to - from));
  }
  /// Adds the last field, ending at `e` (a line feed or the end) less one '\r'; sets the line.
  void end_line(const char* start, const char* field, const char* e, std::string_view& line) {
    if (e > field && e[-1] == '\r') --e;
    add(field, e);
    fields_.resize(n_);
    line = std::string_view(start, static_cast<std::size_t>(e - start));
  }

private:
  void grow() {
    fields_.resize(std::max<std::size_t>(16, 2 * n_));
    data_ = fields_.data();
    size_ = fields_.size();
  }
  std::vector<std::string_view>& fields_;
  std::string_view* data_;  // the vector's storage and size, held here so that a field's store
  std::size_t size_;        // does not make the compiler read them again
  std::size_t n_ = 0;
};
}  // namespace

void split_plain_record(std::string_view text, std::vector<std::string_view>& fields) {
  fields.clear();
  const char* field = text.data();
  const char* const end = text.data() + text.size();
  for (const char* chunk = text.data(); chunk < end; chunk += 64) {
    std::uint64_t commas = scan_commas(chunk, std::min<std::size_t>(64, static_cast<std::size_t>(end - chunk)));
    for (; commas; commas &= commas - 1) {
      const char* comma = chunk + std::countr_zero(commas);
      fields.emplace_back(field, static_cast<std::size_t>(comma - field));
      field = comma + 1;
    }
  }
  fields.emplace_back(field, static_cast<std::size_t>(end - field));
}

bool PlainLineSplitter::index() noexcept {
  n_ = i_ = 0;
  while (n_ == 0) {
    if (quote_ahead_) {  // the walk has reached the stretch holding a '"'
      quote_ = true;
      return false;
    }
    if (chunk_ >= end_) return false;
    base_ = chunk_;
    for (std::size_t k = 0; k < stretches && chunk_ < end_; ++k, chunk_ += 64) {
      bool quote = false;
      std::uint64_t mask =
          scan_separators(chunk_, std::min<std::size_t>(64, static_cast<std::size_t>(end_ - chunk_)), quote);
      if (quote) {
        quote_ahead_ = true;
        break;
      }
      // the first 16 offsets are written whether or not there are that many (the count moves on
      // by the number there are), so the loop has no exit to mispredict; a stretch holding more
      // than 16 separators writes the rest one by one
      const auto at = static_cast<std::uint16_t>(chunk_ - base_);
      const std::size_t count = bit_count(mask);
      std::uint16_t* out = sep_ + n_;
      constexpr std::uint64_t stop = std::uint64_t{1} << 63;  // past the last separator: an offset never walked
      for (std::size_t j = 0; j < 16; ++j) {
        out[j] = static_cast<std::uint16_t>(at + std::countr_zero(mask | stop));  // no zero case to handle
        mask &= mask - 1;
      }
      for (std::size_t j = 16; mask; ++j) {
        out[j] = static_cast<std::uint16_t>(at + std::countr_zero(mask));
        mask &= mask - 1;
      }
      n_ += count;
    }
  }
  return true;
}

bool PlainLineSplitter::next(std::vector<std::string_view>& fields, std::string_view& line) {
  if (quote_ || next_ >= end_) return false;
  FieldSink out(fields);
  const char* const start = next_;
  const char* field = start;
  for (;;) {
    if (i_ == n_ && !index()) {
      if (quote_) return false;
      out.end_line(start, field, end_, line);  // the text ends without a line feed
      next_ = end_;
      return true;
    }
    const char* const base = base_;
    const std::uint16_t* const last = sep_ + n_;
    for (const std::uint16_t* at = sep_ + i_; at != last; ++at) {
      const char* sep = base + *at;
      if (*sep == ',') {
        out.add(field, sep);
        field = sep + 1;
        continue;
      }
      i_ = static_cast<std::size_t>(at + 1 - sep_);
      out.end_line(start, field, sep, line);
      next_ = sep + 1;
      return true;
    }
    i_ = n_;
  }
}

}  // namespace rapport::detail
