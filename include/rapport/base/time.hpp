/// @file time.hpp
/// Time representation: Boost.Date_Time at the API, compact integers inside.
#pragma once

#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <boost/date_time/posix_time/posix_time_types.hpp>

#include <cstdint>
#include <limits>

namespace rapport {

/// An instant: whole seconds since 1970-01-01T00:00:00Z (UTC).
using seconds_t = std::int64_t;
/// A UTC calendar date: days since 1970-01-01.
using day_t = std::int32_t;

/// Seconds in one day.
inline constexpr seconds_t seconds_per_day = 86400;
/// Sentinel for "no instant" (for example an unresolved complaint).
inline constexpr seconds_t no_time = std::numeric_limits<seconds_t>::min();
/// "No date" marker for optional day columns (a customer's ended_on while active).
inline constexpr day_t no_day = std::numeric_limits<day_t>::min();

/// Days since 1970-01-01 of the proleptic Gregorian date y-m-d (H. Hinnant's algorithm).
constexpr day_t days_from_civil(int y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? static_cast<unsigned>(-3) : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<day_t>(era * 146097 + static_cast<int>(doe) - 719468);
}

/// Calendar date {year, month, day} of a day number (inverse of days_from_civil).
struct civil_date {
  int year;        ///< proleptic Gregorian year
  unsigned month;  ///< 1..12
  unsigned day;    ///< 1..31
};

/// Inverse of days_from_civil.
constexpr civil_date civil_from_days(day_t z) noexcept {
  const int zz = z + 719468;
  const int era = (zz >= 0 ? zz : zz - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(zz - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

/// The UTC date holding instant `t`.
constexpr day_t day_of(seconds_t t) noexcept {
  return static_cast<day_t>(t >= 0 ? t / seconds_per_day : -((-t + seconds_per_day - 1) / seconds_per_day));
}

/// Midnight (start) of day `d`.
constexpr seconds_t midnight(day_t d) noexcept { return static_cast<seconds_t>(d) * seconds_per_day; }

/// Converts a Boost date to a day number.
inline day_t to_day(const boost::gregorian::date& d) {
  const auto ymd = d.year_month_day();
  return days_from_civil(ymd.year, ymd.month, ymd.day);
}

/// Converts a day number to a Boost date (years 1400..9999, Boost's range).
inline boost::gregorian::date to_date(day_t d) {
  const civil_date c = civil_from_days(d);
  return boost::gregorian::date(static_cast<unsigned short>(c.year), static_cast<unsigned short>(c.month),
                                static_cast<unsigned short>(c.day));
}

/// Converts a UTC Boost ptime to whole seconds since the epoch (fractions truncated toward the past).
inline seconds_t to_seconds(const boost::posix_time::ptime& t) {
  const auto day = to_day(t.date());
  const auto tod = t.time_of_day();
  seconds_t s = tod.total_seconds();
  if (tod.is_negative() && tod.total_microseconds() % 1000000 != 0) --s;
  return midnight(day) + s;
}

/// Converts seconds since the epoch to a UTC Boost ptime.
inline boost::posix_time::ptime to_ptime(seconds_t t) {
  const day_t d = day_of(t);
  return boost::posix_time::ptime(to_date(d), boost::posix_time::seconds(static_cast<long>(t - midnight(d))));
}

}  // namespace rapport
