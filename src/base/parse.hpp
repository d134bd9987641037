// Private: field parsers for the CSV contract of DESIGN.md's reference semantics.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/base/time.hpp>

#include <charconv>
#include <cmath>
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

inline bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline unsigned days_in_month(int y, unsigned m) noexcept {
  static constexpr unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : dm[m - 1];
}

/// Whether `s` is the literal `word`: a length check and a comparison of known length, which the
/// compiler turns into a few loads (the enum spellings below are matched this way).
template <std::size_t N>
inline bool text_is(std::string_view s, const char (&word)[N]) noexcept {
  return s.size() == N - 1 && std::memcmp(s.data(), word, N - 1) == 0;
}

/// The value of digit character `c`, or a number above 9 for any other character.
inline unsigned digit_value(char c) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(c)) - '0'; }

/// Reads `YYYY-MM-DD` into `day`: null, or the reason it is not a date. (The read_* forms are
/// the hot path's: a value and a reason, no wrapper to build and take apart.)
inline const char* read_date(std::string_view s, day_t& day) noexcept {
  constexpr const char* unparsable = "unparsable date (expected YYYY-MM-DD)";
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return unparsable;
  const char* p = s.data();
  const unsigned y0 = digit_value(p[0]), y1 = digit_value(p[1]), y2 = digit_value(p[2]), y3 = digit_value(p[3]);
  const unsigned m0 = digit_value(p[5]), m1 = digit_value(p[6]), d0 = digit_value(p[8]), d1 = digit_value(p[9]);
  if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) | (d0 > 9) | (d1 > 9)) return unparsable;
  const int y = static_cast<int>(((y0 * 10 + y1) * 10 + y2) * 10 + y3);
  const unsigned m = m0 * 10 + m1, d = d0 * 10 + d1;
  if (m < 1 || m > 12 || d < 1 || (d > 28 && d > days_in_month(y, m))) return "impossible date";
  day = days_from_civil(y, m, d);
  return nullptr;
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
/// back as -3 or +3 for the range rule (rows.hpp).
inline const char* read_impression(std::string_view s, int& v) noexcept {
  constexpr const char* bad = "unparsable impression (expected an integer -2..2)";
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

inline std::optional<Channel> parse_channel(std::string_view s) noexcept {
  switch (s.size()) {  // by length first: one comparison for most spellings
    case 4:
      if (text_is(s, "mail")) return Channel::mail;
      break;
    case 5:
      if (text_is(s, "visit")) return Channel::visit;
      if (text_is(s, "phone")) return Channel::phone;
      if (text_is(s, "email")) return Channel::email;
      if (text_is(s, "event")) return Channel::event;
      if (text_is(s, "other")) return Channel::other;
      break;
    case 6:
      if (text_is(s, "online")) return Channel::online;
      break;
    case 12:
      if (text_is(s, "service_call")) return Channel::service_call;
      break;
    default:
      break;
  }
  return std::nullopt;
}
inline std::optional<Stage> parse_stage(std::string_view s) noexcept {
  switch (s.size()) {
    case 7:
      if (text_is(s, "welcome")) return Stage::welcome;
      if (text_is(s, "closing")) return Stage::closing;
      if (text_is(s, "service")) return Stage::service;
      break;
    case 9:
      if (text_is(s, "discovery")) return Stage::discovery;
      break;
    case 12:
      if (text_is(s, "presentation")) return Stage::presentation;
      break;
    default:
      break;
  }
  return std::nullopt;
}
inline std::optional<Initiator> parse_initiator(std::string_view s) noexcept {
  if (text_is(s, "business")) return Initiator::business;
  if (text_is(s, "customer")) return Initiator::customer;
  return std::nullopt;
}
inline std::optional<Aspect> parse_aspect(std::string_view s) noexcept {
  switch (s.size()) {
    case 3:
      if (text_is(s, "wow")) return Aspect::wow;
      break;
    case 9:
      if (text_is(s, "technical")) return Aspect::technical;
      break;
    case 11:
      if (text_is(s, "hospitality")) return Aspect::hospitality;
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace rapport::detail
