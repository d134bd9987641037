// The CDNOW 1/10 sample (tests/data/cdnow) summarised over the 39-week calibration period
// ending 1997-09-30, as Fader, Hardie & Lee (2005) use it; shared by the value-model tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace rapport::test {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
inline long days_from_civil(long y, long m, long d) {
  y -= m <= 2 ? 1 : 0;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

inline long yyyymmdd_to_days(long v) { return days_from_civil(v / 10000, (v / 100) % 100, v % 100); }

/// CDNOW 1/10th sample summarised over the 39-week calibration period, in days.
struct Cdnow {
  std::vector<double> x, t_x, T, m;
};

inline const Cdnow& cdnow() {
  static const Cdnow data = [] {
    const std::string path = std::string(RAPPORT_TEST_DATA) + "/cdnow/CDNOW_sample.txt";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    const long end = yyyymmdd_to_days(19970930);
    std::map<long, std::map<long, double>> purchases;  // customer -> day -> dollars
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      long id = 0, sample = 0, date = 0, cds = 0;
      double dollars = 0;
      if (!(ls >> id >> sample >> date >> cds >> dollars)) continue;
      const long day = yyyymmdd_to_days(date);
      auto& days = purchases[id];
      if (day <= end) {
        days[day] += dollars;
      }
    }
    Cdnow out;
    for (const auto& [id, days] : purchases) {
      if (days.empty()) continue;
      const long first = days.begin()->first;
      const long last = days.rbegin()->first;
      out.x.push_back(static_cast<double>(days.size() - 1));
      out.t_x.push_back(static_cast<double>(last - first));
      out.T.push_back(static_cast<double>(end - first));
      double spend = 0;
      for (auto it = std::next(days.begin()); it != days.end(); ++it) spend += it->second;
      out.m.push_back(days.size() > 1 ? spend / static_cast<double>(days.size() - 1) : 0.0);
    }
    return out;
  }();
  return data;
}

/// |fit - published| within 0.1% of the published value plus half a unit of its last digit.
inline void expect_published(double fit, double published, double half_unit, const char* what) {
  EXPECT_LE(std::abs(fit - published), 1e-3 * std::abs(published) + half_unit)
      << what << ": fitted " << fit << ", published " << published;
}

/// Days t (any unit) converted to weeks.
inline std::vector<double> in_weeks(const std::vector<double>& days) {
  std::vector<double> out(days);
  for (double& v : out) v /= 7.0;
  return out;
}

}  // namespace rapport::test
