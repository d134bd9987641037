// Time representation: day numbers, instants, Boost.Date_Time round trips, parsing.
#include <rapport/base/data.hpp>
#include <rapport/base/time.hpp>

#include <gtest/gtest.h>

using namespace rapport;

TEST(Time, CivilRoundTripOverFourCenturies) {
  for (day_t d = days_from_civil(1600, 1, 1); d <= days_from_civil(2400, 12, 31); d += 1) {
    const auto c = civil_from_days(d);
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), d);
  }
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
}

TEST(Time, BoostRoundTrip) {
  const boost::gregorian::date d(2024, 2, 29);
  EXPECT_EQ(to_date(to_day(d)), d);
  const boost::posix_time::ptime t(
      d, boost::posix_time::hours(23) + boost::posix_time::minutes(59) + boost::posix_time::seconds(58));
  EXPECT_EQ(to_ptime(to_seconds(t)), t);
  EXPECT_EQ(to_seconds(t), midnight(to_day(d)) + 86398);
  const boost::posix_time::ptime before(boost::gregorian::date(1960, 5, 1), boost::posix_time::hours(1));
  EXPECT_EQ(to_ptime(to_seconds(before)), before);
  EXPECT_EQ(day_of(to_seconds(before)), to_day(before.date()));
}

TEST(Time, ParseTimestampForms) {
  const auto base = midnight(days_from_civil(2024, 5, 6));
  EXPECT_EQ(parse_timestamp("2024-05-06"), base);
  EXPECT_EQ(parse_timestamp("2024-05-06T10:11:12"), base + 36672);
  EXPECT_EQ(parse_timestamp("2024-05-06 10:11:12"), base + 36672);
  EXPECT_EQ(parse_timestamp("2024-05-06T10:11:12Z"), base + 36672);
  EXPECT_EQ(parse_timestamp("2024-05-06T23:59:59Z"), base + 86399);
  for (const char* bad :
       {"2024-5-6", "2024-05-06T10:11", "2024-05-06T10:11:12+01:00", "2024-05-06 10:11:12z", "2024-05-06T24:00:00",
        "2024-05-06T10:60:00", "2024-05-06T10:00:60", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
        " 2024-05-06", "2024-05-06 ", "", "2024-05-06T10:11:12.5Z", "２０２４-05-06"})
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  EXPECT_TRUE(parse_timestamp("2024-02-29"));
  EXPECT_TRUE(parse_timestamp("2000-02-29"));
  EXPECT_FALSE(parse_timestamp("1900-02-29"));
}

TEST(Time, ParseDateIsDateOnly) {
  EXPECT_EQ(parse_date("2024-05-06"), days_from_civil(2024, 5, 6));
  EXPECT_FALSE(parse_date("2024-05-06T00:00:00"));
  EXPECT_FALSE(parse_date("2024/05/06"));
}

TEST(Time, FormatRoundTrip) {
  for (seconds_t t : {seconds_t{0}, seconds_t{1700000000}, seconds_t{-86401}, seconds_t{951782400 + 3599}}) {
    EXPECT_EQ(parse_timestamp(format_timestamp(t)), t) << format_timestamp(t);
  }
  EXPECT_EQ(format_date(days_from_civil(2024, 2, 29)), "2024-02-29");
}
