// Private: field parsers for the CSV contract of DESIGN.md's reference semantics.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/base/time.hpp>

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace rapport::detail {

/// Outcome of parsing a field: a value or a reason.
template <class T>
struct Parsed {
  std::optional<T> value;
  const char* reason = nullptr;
};

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

inline unsigned digits(const char* p, int n) noexcept {
  unsigned v = 0;
  for (int i = 0; i < n; ++i) v = v * 10 + static_cast<unsigned>(p[i] - '0');
  return v;
}

inline bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline unsigned days_in_month(int y, unsigned m) noexcept {
  static constexpr unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : dm[m - 1];
}

/// Parses `YYYY-MM-DD` into a day number.
inline Parsed<day_t> parse_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return {std::nullopt, "unparsable date (expected YYYY-MM-DD)"};
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!is_digit(s[static_cast<std::size_t>(i)])) return {std::nullopt, "unparsable date (expected YYYY-MM-DD)"};
  const int y = static_cast<int>(digits(s.data(), 4));
  const unsigned m = digits(s.data() + 5, 2), d = digits(s.data() + 8, 2);
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return {std::nullopt, "impossible date"};
  return {days_from_civil(y, m, d), nullptr};
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`, `YYYY-MM-DD HH:MM:SS` (optionally with `Z`).
inline Parsed<seconds_t> parse_timestamp(std::string_view s) noexcept {
  if (s.size() == 10) {
    auto d = parse_date(s);
    if (!d.value) return {std::nullopt, d.reason[0] == 'i' ? "impossible timestamp" : "unparsable timestamp"};
    return {midnight(*d.value), nullptr};
  }
  constexpr const char* bad = "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])";
  if (s.size() != 19 && !(s.size() == 20 && s[19] == 'Z')) return {std::nullopt, bad};
  if (s[10] != 'T' && s[10] != ' ') return {std::nullopt, bad};
  if (s[13] != ':' || s[16] != ':') return {std::nullopt, bad};
  for (int i : {11, 12, 14, 15, 17, 18})
    if (!is_digit(s[static_cast<std::size_t>(i)])) return {std::nullopt, bad};
  auto d = parse_date(s.substr(0, 10));
  if (!d.value) return {std::nullopt, d.reason[0] == 'i' ? "impossible timestamp" : bad};
  const unsigned hh = digits(s.data() + 11, 2), mm = digits(s.data() + 14, 2), ss = digits(s.data() + 17, 2);
  if (hh > 23 || mm > 59 || ss > 59) return {std::nullopt, "impossible timestamp"};
  return {midnight(*d.value) + hh * 3600 + mm * 60 + ss, nullptr};
}

/// Parses `^-?\d+$`; values beyond -2..+2 come back as -3 or +3 for the range rule (rows.hpp).
inline Parsed<int> parse_impression(std::string_view s) noexcept {
  std::size_t i = 0;
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) i = 1;
  if (i == s.size()) return {std::nullopt, "unparsable impression (expected an integer -2..2)"};
  long v = 0;
  for (; i < s.size(); ++i) {
    if (!is_digit(s[i])) return {std::nullopt, "unparsable impression (expected an integer -2..2)"};
    if (v < 10) v = v * 10 + (s[i] - '0');
  }
  if (v > 2) v = 3;
  return {static_cast<int>(neg ? -v : v), nullptr};
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
    if (s[i] != '.' || i + 1 == s.size()) return {std::nullopt, "unparsable amount (expected digits with an optional .fraction)"};
    for (std::size_t k = i + 1; k < s.size(); ++k)
      if (!is_digit(s[k])) return {std::nullopt, "unparsable amount (expected digits with an optional .fraction)"};
  }
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range || !std::isfinite(v)) return {std::nullopt, "non-finite amount"};
  if (r.ec != std::errc()) return {std::nullopt, "unparsable amount"};
  return {v, nullptr};
}

/// Parses the complaint flag: true false 1 0.
inline Parsed<bool> parse_bool(std::string_view s) noexcept {
  if (s == "true" || s == "1") return {true, nullptr};
  if (s == "false" || s == "0") return {false, nullptr};
  return {std::nullopt, "complaint flag not one of true/false/1/0"};
}

inline std::optional<Channel> parse_channel(std::string_view s) noexcept {
  if (s == "visit") return Channel::visit;
  if (s == "phone") return Channel::phone;
  if (s == "email") return Channel::email;
  if (s == "mail") return Channel::mail;
  if (s == "online") return Channel::online;
  if (s == "service_call") return Channel::service_call;
  if (s == "event") return Channel::event;
  if (s == "other") return Channel::other;
  return std::nullopt;
}
inline std::optional<Stage> parse_stage(std::string_view s) noexcept {
  if (s == "welcome") return Stage::welcome;
  if (s == "discovery") return Stage::discovery;
  if (s == "presentation") return Stage::presentation;
  if (s == "closing") return Stage::closing;
  if (s == "service") return Stage::service;
  return std::nullopt;
}
inline std::optional<Initiator> parse_initiator(std::string_view s) noexcept {
  if (s == "business") return Initiator::business;
  if (s == "customer") return Initiator::customer;
  return std::nullopt;
}
inline std::optional<Aspect> parse_aspect(std::string_view s) noexcept {
  if (s == "technical") return Aspect::technical;
  if (s == "hospitality") return Aspect::hospitality;
  if (s == "wow") return Aspect::wow;
  return std::nullopt;
}

}  // namespace rapport::detail
