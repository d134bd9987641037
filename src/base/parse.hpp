// Private: field parsers for the CSV contract of DESIGN.md's reference semantics.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/base/time.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::detail {

/// Outcome of parsing a field: a value or a reason.
template <class T>
struct Parsed {
  std::optional<T> value;
  const char* reason = nullptr;
};

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Whether `s` is the literal `word`: a length check and a comparison of known length, which the
/// compiler turns into a few loads (the enum spellings below are matched this way).
template <std::size_t N>
inline bool text_is(std::string_view s, const char (&word)[N]) noexcept {
  return s.size() == N - 1 && std::memcmp(s.data(), word, N - 1) == 0;
}

/// The value of digit character `c`, or a number above 9 for any other character.
inline unsigned digit_value(char c) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(c)) - '0'; }

/// Whether `y` is a leap year, without a branch (the date parser's: a branch on the month's last
/// days would be mispredicted on one date in ten).
inline bool leap(unsigned y) noexcept {
  // y divisible by 25 when y * 25^-1 (mod 2^32) is at most (2^32 - 1) / 25 (Lemire, Kaser and
  // Kurz); with y divisible by 4 that is a century, and a century divisible by 16 is one by 400
  const bool by25 = y * 0xC28F5C29u <= 0x0A3D70A3u;
  return ((y & 3u) == 0) & (!by25 | ((y & 15u) == 0));
}

/// The day of year y, month m, day d (y 0..9999, m and d any two-digit numbers) into `day`: false
/// when there is no such day. The checks are combined without a branch per rule.
inline bool civil_day(unsigned y, unsigned m, unsigned d, day_t& day) noexcept {
  // days in month m (0 for a month outside 1..12, so that every day is then out of range)
  static constexpr unsigned char month_days[16] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0, 0, 0};
  const unsigned last = m > 12 ? 0u : month_days[m] + static_cast<unsigned>((m == 2) & leap(y));
  if (d - 1 >= last) return false;  // d = 0 wraps above every `last`
  day = days_from_civil(static_cast<int>(y), m, d);
  return true;
}

/// Eight bytes at a time (little-endian targets): the fixed-width date and time fields are
/// checked and converted in a few word operations rather than a digit at a time.
namespace swar {
inline constexpr bool enabled = std::endian::native == std::endian::little;
inline constexpr std::uint64_t ones = 0x0101010101010101u;
inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
/// Whether the bytes of `v` that `digits` selects (0xFF each) are all '0'..'9'; `x` is `v` with
/// every other byte read as '0'. (A byte below '0' sets its top bit in x - '0', one above '9' in
/// x + 0x46; a borrow or carry only crosses from a byte already found out.)
inline bool digits_at(std::uint64_t v, std::uint64_t digits, std::uint64_t& x) noexcept {
  x = (v & digits) | (0x30 * ones & ~digits);
  return (((x - 0x30 * ones) | (x + 0x46 * ones)) & 0x80 * ones) == 0;
}
/// Byte i of the result: the two-digit number of bytes i and i + 1 of `x` (all digits).
inline std::uint64_t pairs(std::uint64_t x) noexcept {
  const std::uint64_t t = x - 0x30 * ones;
  return t * 10 + (t >> 8);
}
inline unsigned byte(std::uint64_t v, unsigned i) noexcept { return static_cast<unsigned>(v >> (8 * i)) & 0xFFu; }
/// `YYYY-MM-DD` at p (10 bytes) as year, month and day numbers: false when a byte is not the
/// digit or dash it must be (the ranges are not checked).
inline bool date_fields(const char* p, unsigned& y, unsigned& m, unsigned& d) noexcept {
  const std::uint64_t a = load8(p), b = load8(p + 2);  // "YYYY-MM-", "YY-MM-DD"
  std::uint64_t xa = 0, xb = 0;
  const bool ok = digits_at(a, 0x00FFFF00FFFFFFFFu, xa) & digits_at(b, 0xFFFF000000000000u, xb) &
                  ((a & 0xFF0000FF00000000u) == 0x2D00002D00000000u);
  const std::uint64_t pa = pairs(xa);
  y = byte(pa, 0) * 100 + byte(pa, 2);
  m = byte(pa, 5);
  d = byte(pairs(xb), 6);
  return ok;
}
}  // namespace swar

/// Reads `YYYY-MM-DD` into `day`: null, or the reason it is not a date. (The read_* forms are
/// the hot path's: a value and a reason, no wrapper to build and take apart.)
inline const char* read_date(std::string_view s, day_t& day) noexcept {
  constexpr const char* unparsable = "unparsable date (expected YYYY-MM-DD)";
  if (s.size() != 10) return unparsable;
  const char* p = s.data();
  unsigned y = 0, m = 0, d = 0;
  if constexpr (swar::enabled) {
    if (!swar::date_fields(p, y, m, d)) return unparsable;
  } else {
    if (s[4] != '-' || s[7] != '-') return unparsable;
    const unsigned y0 = digit_value(p[0]), y1 = digit_value(p[1]), y2 = digit_value(p[2]), y3 = digit_value(p[3]);
    const unsigned m0 = digit_value(p[5]), m1 = digit_value(p[6]), d0 = digit_value(p[8]), d1 = digit_value(p[9]);
    if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) | (d0 > 9) | (d1 > 9)) return unparsable;
    y = ((y0 * 10 + y1) * 10 + y2) * 10 + y3;
    m = m0 * 10 + m1;
    d = d0 * 10 + d1;
  }
  return civil_day(y, m, d, day) ? nullptr : "impossible date";
}

/// Parses `YYYY-MM-DD` into a day number.
inline Parsed<day_t> parse_date(std::string_view s) noexcept {
  day_t d = 0;
  if (const char* why = read_date(s, d)) return {std::nullopt, why};
  return {d, nullptr};
}

/// Reads `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`, `YYYY-MM-DD HH:MM:SS` (optionally with `Z`) into
/// `t`: null, or the reason it is not a timestamp.
inline const char* read_timestamp(std::string_view s, seconds_t& t) noexcept {
  day_t day = 0;
  if (s.size() == 10) {
    if (const char* why = read_date(s, day)) return why[0] == 'i' ? "impossible timestamp" : "unparsable timestamp";
    t = midnight(day);
    return nullptr;
  }
  constexpr const char* bad = "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])";
  if constexpr (swar::enabled) {
    // the date, 'T' or ' ', and "HH:MM:SS" (bytes 11..18) checked at once; any miss is then read
    // again below, for its reason
    if (s.size() - 19 < 2) {
      const char* p = s.data();
      unsigned y = 0, m = 0, d = 0;
      std::uint64_t x = 0;
      const std::uint64_t c = swar::load8(p + 11);
      const bool ok = swar::date_fields(p, y, m, d) & ((p[10] == 'T') | (p[10] == ' ')) &
                      ((s.size() == 19) | (p[s.size() - 1] == 'Z')) & swar::digits_at(c, 0xFFFF00FFFF00FFFFu, x) &
                      ((c & 0x0000FF0000FF0000u) == 0x00003A00003A0000u);
      const std::uint64_t pc = swar::pairs(x);
      const unsigned hh = swar::byte(pc, 0), mm = swar::byte(pc, 3), ss = swar::byte(pc, 6);
      if (ok) {
        if ((hh > 23) | (mm > 59) | (ss > 59) || !civil_day(y, m, d, day)) return "impossible timestamp";
        t = midnight(day) + hh * 3600 + mm * 60 + ss;
        return nullptr;
      }
    }
  }
  if (s.size() != 19 && !(s.size() == 20 && s[19] == 'Z')) return bad;
  if (s[10] != 'T' && s[10] != ' ') return bad;
  if (s[13] != ':' || s[16] != ':') return bad;
  const char* p = s.data();
  const unsigned h0 = digit_value(p[11]), h1 = digit_value(p[12]), n0 = digit_value(p[14]), n1 = digit_value(p[15]);
  const unsigned s0 = digit_value(p[17]), s1 = digit_value(p[18]);
  if ((h0 > 9) | (h1 > 9) | (n0 > 9) | (n1 > 9) | (s0 > 9) | (s1 > 9)) return bad;
  if (const char* why = read_date(s.substr(0, 10), day)) return why[0] == 'i' ? "impossible timestamp" : bad;
  const unsigned hh = h0 * 10 + h1, mm = n0 * 10 + n1, ss = s0 * 10 + s1;
  if (hh > 23 || mm > 59 || ss > 59) return "impossible timestamp";
  t = midnight(day) + hh * 3600 + mm * 60 + ss;
  return nullptr;
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`, `YYYY-MM-DD HH:MM:SS` (optionally with `Z`).
inline Parsed<seconds_t> parse_timestamp(std::string_view s) noexcept {
  seconds_t t = 0;
  if (const char* why = read_timestamp(s, t)) return {std::nullopt, why};
  return {t, nullptr};
}

/// Reads `^-?\d+$` into `v`: null, or the reason it is not an integer. Values beyond -2..+2 come
/// back as -3 or +3 for the range rule (rows.hpp). One digit with an optional minus (every value
/// in range) is read without a branch on the sign; anything else digit by digit.
inline const char* read_impression(std::string_view s, int& v) noexcept {
  constexpr const char* bad = "unparsable impression (expected an integer -2..2)";
  if (s.size() - 1 < 2) {  // 1 or 2 bytes
    const bool neg = s[0] == '-';
    const unsigned d = digit_value(s[s.size() - 1]);
    if ((s.size() == 1u + neg) & (d <= 9)) {
      const int x = d > 2 ? 3 : static_cast<int>(d);
      v = neg ? -x : x;
      return nullptr;
    }
  }
  std::size_t i = 0;
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) i = 1;
  if (i == s.size()) return bad;
  int x = 0;
  for (; i < s.size(); ++i) {
    if (!is_digit(s[i])) return bad;
    if (x < 10) x = x * 10 + (s[i] - '0');
  }
  if (x > 2) x = 3;
  v = neg ? -x : x;
  return nullptr;
}

/// Parses `^-?\d+$`; values beyond -2..+2 come back as -3 or +3 for the range rule (rows.hpp).
inline Parsed<int> parse_impression(std::string_view s) noexcept {
  int v = 0;
  if (const char* why = read_impression(s, v)) return {std::nullopt, why};
  return {v, nullptr};
}

/// Parses `^\d+(\.\d+)?$` as a finite double.
inline Parsed<double> parse_amount(std::string_view s) noexcept {
  std::size_t i = 0;
  if (!s.empty() && s[0] == '-') {
    bool rest_ok = s.size() > 1;
    for (std::size_t k = 1; k < s.size(); ++k) rest_ok = rest_ok && (is_digit(s[k]) || s[k] == '.');
    if (rest_ok) return {std::nullopt, "negative amount"};
  }
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == 0) return {std::nullopt, "unparsable amount (expected digits with an optional .fraction)"};
  if (i < s.size()) {
    if (s[i] != '.' || i + 1 == s.size())
      return {std::nullopt, "unparsable amount (expected digits with an optional .fraction)"};
    for (std::size_t k = i + 1; k < s.size(); ++k)
      if (!is_digit(s[k])) return {std::nullopt, "unparsable amount (expected digits with an optional .fraction)"};
  }
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    // a fraction too small for a normal double (all its integer digits 0) is a finite amount:
    // the nearest double, subnormal or 0 (strtod rounds it; from_chars only reports the range)
    if (s.find_first_not_of('0') >= i) return {std::strtod(std::string(s).c_str(), nullptr), nullptr};
    return {std::nullopt, "non-finite amount"};
  }
  if (r.ec != std::errc()) return {std::nullopt, "unparsable amount"};
  if (!std::isfinite(v)) return {std::nullopt, "non-finite amount"};
  return {v, nullptr};
}

/// Reads the complaint flag (true false 1 0) into `v`: null, or the reason it is not one.
inline const char* read_bool(std::string_view s, bool& v) noexcept {
  if (text_is(s, "false") || text_is(s, "0")) {
    v = false;
    return nullptr;
  }
  if (text_is(s, "true") || text_is(s, "1")) {
    v = true;
    return nullptr;
  }
  return "complaint flag not one of true/false/1/0";
}

/// Parses the complaint flag: true false 1 0.
inline Parsed<bool> parse_bool(std::string_view s) noexcept {
  bool v = false;
  if (const char* why = read_bool(s, v)) return {std::nullopt, why};
  return {v, nullptr};
}

/// An enumeration's spellings, looked up without a branch on which one a field holds (the values
/// of a column come in no order, so a chain of comparisons is mispredicted about once a field):
/// one byte of the field picks the only spelling it can be, and the field is compared with that
/// spelling whole, as four overlapping 4-byte words (see key_of). Spellings of 4 to 16 bytes.
template <std::size_t N>
class WordTable {
public:
  /// `words[i]`: the spelling of value i; `pick`: the byte (0..3) that tells the spellings apart.
  consteval WordTable(const char* const (&words)[N], std::size_t pick) : pick_(pick) {
    for (auto& slot : slot_) slot = static_cast<std::uint8_t>(N);  // N: a key that matches nothing
    for (std::size_t i = 0; i < N; ++i) {
      std::size_t n = 0;
      while (words[i][n]) ++n;
      if (n < 4 || n > 16 || slot_[static_cast<unsigned char>(words[i][pick])] != N) throw "not a word table";
      slot_[static_cast<unsigned char>(words[i][pick])] = static_cast<std::uint8_t>(i);
      keys_[i] = key_of(words[i], n);
    }
  }
  /// The index of the spelling `s` is, or N.
  std::size_t find(std::string_view s) const noexcept {
    if (s.size() < 4 || s.size() > 16) return N;
    const std::size_t i = slot_[static_cast<unsigned char>(s[pick_])];
    return key_of(s.data(), s.size()) == keys_[i] ? i : N;
  }

private:
  struct Key {
    std::uint32_t size = 0, w[4] = {0, 0, 0, 0};
    // every part compared, joined with & (no early exit to mispredict)
    bool operator==(const Key& o) const noexcept {
      return (size == o.size) & (w[0] == o.w[0]) & (w[1] == o.w[1]) & (w[2] == o.w[2]) & (w[3] == o.w[3]);
    }
  };
  /// The 4-byte words at 0, min(4, n - 4), min(8, n - 4) and n - 4 (n of 4..16): together every
  /// byte of the text and none past it.
  static constexpr Key key_of(const char* p, std::size_t n) noexcept {
    const auto word = [p](std::size_t at) {
      std::uint32_t w = 0;
      if (std::is_constant_evaluated()) {
        for (std::size_t k = 0; k < 4; ++k)
          w |= std::uint32_t{static_cast<unsigned char>(p[at + k])}
               << (std::endian::native == std::endian::little ? 8 * k : 24 - 8 * k);
      } else {
        std::memcpy(&w, p + at, 4);
      }
      return w;
    };
    const std::size_t last = n - 4;
    // min(k, last) by a mask, not a branch on the length (which varies from row to row)
    const auto at_most = [last](std::size_t k) { return last ^ ((last ^ k) & (std::size_t{0} - (last >= k))); };
    return {static_cast<std::uint32_t>(n), {word(0), word(at_most(4)), word(at_most(8)), word(last)}};
  }
  std::uint8_t slot_[256] = {};
  Key keys_[N + 1] = {};
  std::size_t pick_;
};

/// A channel's spelling, as parse_channel takes it (the enumeration's order; told apart by byte 1).
inline constexpr const char* channel_words[] = {"visit",  "phone",        "email", "mail",
                                                "online", "service_call", "event", "other"};
inline constexpr const char* stage_words[] = {"welcome", "discovery", "presentation", "closing", "service"};
inline constexpr const char* initiator_words[] = {"business", "customer"};
inline constexpr const char* aspect_words[] = {"technical", "hospitality"};  // and "wow", 3 bytes

/// The value an enumeration's spelling names, or nullopt.
template <class E, std::size_t N>
std::optional<E> enum_of(const WordTable<N>& table, std::string_view s) noexcept {
  const std::size_t i = table.find(s);
  if (i == N) return std::nullopt;
  return static_cast<E>(i);
}

inline std::optional<Channel> parse_channel(std::string_view s) noexcept {
  static constexpr WordTable<8> table(channel_words, 1);
  return enum_of<Channel>(table, s);
}
inline std::optional<Stage> parse_stage(std::string_view s) noexcept {
  static constexpr WordTable<5> table(stage_words, 0);
  return enum_of<Stage>(table, s);
}
inline std::optional<Initiator> parse_initiator(std::string_view s) noexcept {
  static constexpr WordTable<2> table(initiator_words, 0);
  return enum_of<Initiator>(table, s);
}
inline std::optional<Aspect> parse_aspect(std::string_view s) noexcept {
  static constexpr WordTable<2> table(aspect_words, 0);
  if (s.size() == 3) return text_is(s, "wow") ? std::optional<Aspect>(Aspect::wow) : std::nullopt;
  return enum_of<Aspect>(table, s);
}

}  // namespace rapport::detail
