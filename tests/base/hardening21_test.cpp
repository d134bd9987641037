// Issue 21 (hardening, round two), the C++ API items: each test is named after its item and
// failed before the fix.
#include <rapport/base/data.hpp>
#include <rapport/io/load.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/scorer.hpp>
#include <rapport/scoring/summary.hpp>

#include "base/parse.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <cstdint>
#include <limits>
#include <string>

namespace {

using namespace rapport;

// "<head><count zeros><tail>" (built by appending: GCC 12's -Wrestrict misfires on `"0." + std::string(n, '0')`)
std::string digits(const char* head, std::size_t zeros, const char* tail) {
  std::string s(head);
  s.append(zeros, '0');
  s.append(tail);
  return s;
}

constexpr day_t day(int y, unsigned m, unsigned d) { return days_from_civil(y, m, d); }
constexpr seconds_t at(int y, unsigned m, unsigned d) { return midnight(day(y, m, d)); }

ContactRow contact(seconds_t t) {
  ContactRow r;
  r.at = t;
  r.stage = Stage::service;
  r.impression = 1;
  return r;
}

// The edges of the text sources' range: 0000-01-01T00:00:00 and 9999-12-31T23:59:59.
constexpr seconds_t first_instant = at(0, 1, 1);
constexpr seconds_t last_instant = at(9999, 12, 31) + 86399;

TEST(Hardening21, Item3_BuilderRejectsInstantsOutsideYears0000To9999) {
  CustomerBaseBuilder b;
  std::string column;
  EXPECT_EQ(b.add_customer("early", day(0, 1, 1) - 1, "", &column), "date out of range (years 0000-9999)");
  EXPECT_EQ(column, "acquired_on");
  EXPECT_EQ(b.add_customer("late", day(9999, 12, 31) + 1, "", &column), "date out of range (years 0000-9999)");
  EXPECT_EQ(b.add_customer("min", std::numeric_limits<day_t>::min(), ""), "date out of range (years 0000-9999)");
  EXPECT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  EXPECT_EQ(b.add_customer("edge", day(9999, 12, 31), ""), "");  // the last day is in range

  for (const seconds_t t : {std::numeric_limits<seconds_t>::min(), std::numeric_limits<seconds_t>::max(),
                            first_instant - 1, last_instant + 1}) {
    column.clear();
    EXPECT_EQ(b.add_contact("a", contact(t), &column), "timestamp out of range (years 0000-9999)") << t;
    EXPECT_EQ(column, "at");
    column.clear();
    EXPECT_EQ(b.add_purchase("a", t, 10.0, &column), "timestamp out of range (years 0000-9999)") << t;
    EXPECT_EQ(column, "at");
    column.clear();
    EXPECT_EQ(b.add_referral("a", "x", t, &column), "timestamp out of range (years 0000-9999)") << t;
    EXPECT_EQ(column, "at");
  }
  // the edges themselves are accepted
  EXPECT_EQ(b.add_contact("a", contact(first_instant)), "");
  EXPECT_EQ(b.add_contact("a", contact(last_instant)), "");
  EXPECT_EQ(b.add_purchase("a", first_instant, 1.0), "");
  EXPECT_EQ(b.add_referral("a", "x", last_instant), "");

  // a complaint's resolution instant too (no_time = not resolved stays allowed)
  ContactRow complaint = contact(at(2020, 2, 1));
  complaint.complaint = true;
  complaint.resolved_at = std::numeric_limits<seconds_t>::max();
  EXPECT_EQ(b.add_contact("a", complaint, &column), "resolved_at: timestamp out of range (years 0000-9999)");
  EXPECT_EQ(column, "resolved_at");
  complaint.resolved_at = no_time;
  EXPECT_EQ(b.add_contact("a", complaint), "");

  // an unknown customer is still the first reason (schema order: customer_id before at)
  EXPECT_EQ(b.add_contact("nobody", contact(std::numeric_limits<seconds_t>::min())), "unknown customer");

  const CustomerBase base = b.finish();
  EXPECT_EQ(base.customer_count(), 2u);
  EXPECT_EQ(base.contact_count(), 3u);
  EXPECT_EQ(base.purchase_count(), 1u);
  EXPECT_EQ(base.referral_count(), 1u);
  // scoring what was accepted does not crash, and only the customers acquired by D are scored
  const ScoreResult r = score(base, day(2021, 1, 1));
  EXPECT_EQ(r.scores.size(), 1u);
  const Summary s = summarize(base, LoadReport{}, r);
  EXPECT_EQ(s.customers_scored, 1u);
}

TEST(Hardening21, Item3_BuilderRejectsEnumerationsOutsideTheirValues) {
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  std::string column;
  ContactRow r = contact(at(2020, 3, 1));
  r.stage = static_cast<Stage>(9);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown stage (value 9, expected 0..4)");
  EXPECT_EQ(column, "stage");
  r = contact(at(2020, 3, 1));
  r.channel = static_cast<Channel>(8);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown channel (value 8, expected 0..7)");
  EXPECT_EQ(column, "channel");
  r = contact(at(2020, 3, 1));
  r.initiator = static_cast<Initiator>(2);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown initiator (value 2, expected 0..1)");
  EXPECT_EQ(column, "initiator");
  r = contact(at(2020, 3, 1));
  r.aspect = static_cast<Aspect>(255);
  EXPECT_EQ(b.add_contact("a", r, &column), "unknown aspect (value 255, expected 0..2)");
  EXPECT_EQ(column, "aspect");
  // schema order: a bad `at` is named before a bad stage
  r = contact(std::numeric_limits<seconds_t>::min());
  r.stage = static_cast<Stage>(9);
  EXPECT_EQ(b.add_contact("a", r, &column), "timestamp out of range (years 0000-9999)");
  // the last value of each enumeration is accepted
  r = contact(at(2020, 3, 1));
  r.channel = Channel::other;
  r.stage = Stage::service;
  r.initiator = Initiator::customer;
  r.aspect = Aspect::wow;
  EXPECT_EQ(b.add_contact("a", r), "");
  const CustomerBase base = b.finish();
  ASSERT_EQ(base.contact_count(), 1u);
  const ScoreResult res = score(base, day(2020, 12, 31));
  // one service-stage contact: the wheel's four sales stages hold none, service_share = 1/1
  const Summary s = summarize(base, LoadReport{}, res);
  EXPECT_EQ(s.service_share, 1.0);
}

TEST(Hardening21, Item3_ScorerAddAppliesTheSameRanges) {
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  Scorer scorer(b.finish(), day(2021, 1, 1));
  RowBatch batch;
  batch.customers.push_back({"late", day(10000, 1, 1), ""});
  batch.customers.push_back({"min", std::numeric_limits<day_t>::min(), ""});
  ContactEntry bad_stage{"a", contact(at(2020, 6, 1))};
  bad_stage.row.stage = static_cast<Stage>(9);
  batch.contacts.push_back(bad_stage);
  batch.contacts.push_back({"a", contact(std::numeric_limits<seconds_t>::min())});
  batch.contacts.push_back({"a", contact(at(2020, 6, 1))});
  batch.purchases.push_back({"a", std::numeric_limits<seconds_t>::min(), 5.0});
  batch.purchases.push_back({"a", std::numeric_limits<seconds_t>::max(), 5.0});
  batch.referrals.push_back({"a", "b", std::numeric_limits<seconds_t>::min()});
  const LoadReport rep = scorer.add(batch);
  EXPECT_EQ(rep.customers.rejected, 2u);
  EXPECT_EQ(rep.contacts.rejected, 2u);
  EXPECT_EQ(rep.purchases.rejected, 2u);
  EXPECT_EQ(rep.referrals.rejected, 1u);
  ASSERT_EQ(rep.rejects.size(), 7u);
  EXPECT_EQ(rep.rejects[0].reason, "date out of range (years 0000-9999)");
  EXPECT_EQ(rep.rejects[0].column_name, "acquired_on");
  EXPECT_EQ(rep.rejects[2].reason, "unknown stage (value 9, expected 0..4)");
  EXPECT_EQ(rep.rejects[2].column_name, "stage");
  EXPECT_EQ(rep.rejects[3].reason, "timestamp out of range (years 0000-9999)");
  EXPECT_EQ(rep.rejects[6].table, "referrals");
  const ScoreResult& r = scorer.scores();
  ASSERT_EQ(r.scores.size(), 1u);
  const Summary s = scorer.summary();
  EXPECT_EQ(s.service_share, 1.0);  // the one accepted contact is a service contact
}

TEST(Hardening21, Item3_AHandBuiltBaseIsCheckedByTheRowRulesNotCrashed) {
  // CustomerBase's fields are public: a base filled by hand reaches score(), summarize() and the
  // Scorer without the builder. Before: stage 9 overflowed summarize()'s stage counts (stack
  // buffer overflow), an INT64_MIN instant crashed score().
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  ASSERT_EQ(b.add_contact("a", contact(at(2020, 3, 1))), "");
  ASSERT_EQ(b.add_purchase("a", at(2020, 3, 1), 5.0), "");
  const CustomerBase good = b.finish();
  const ScoreResult res = score(good, day(2020, 12, 31));
  const auto fails = [&](const CustomerBase& bad, const std::string& why) {
    try {
      (void)score(bad, day(2020, 12, 31));
      ADD_FAILURE() << "score() accepted: " << why;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
    EXPECT_THROW(summarize(bad, LoadReport{}, res), InputError) << why;
    EXPECT_THROW(Scorer(bad, day(2020, 12, 31)), InputError) << why;
  };
  CustomerBase bad = good;
  bad.contact_stage[0] = static_cast<Stage>(9);
  fails(bad, "contact 0: unknown stage (value 9, expected 0..4)");
  bad = good;
  bad.contact_at[0] = std::numeric_limits<seconds_t>::min();
  fails(bad, "contact 0: timestamp out of range (years 0000-9999)");
  bad = good;
  bad.purchase_at[0] = std::numeric_limits<seconds_t>::max();
  fails(bad, "purchase 0: timestamp out of range");
  bad = good;
  bad.purchase_amount[0] = -1.0;
  fails(bad, "purchase 0: negative amount");
  bad = good;
  bad.acquired_on[0] = std::numeric_limits<day_t>::min();
  fails(bad, "customer 0: date out of range");
  bad = good;
  bad.contact_offsets.back() = 7;  // beyond the contact columns
  fails(bad, "contact offsets do not match");
  bad = good;
  bad.contact_stage.pop_back();
  fails(bad, "contact columns of different lengths");
  bad = good;
  bad.segment[0] = 5;
  fails(bad, "no such segment");
  bad = good;
  bad.referral_from.push_back(0);
  bad.referral_to.push_back(99);
  bad.referral_at.push_back(at(2020, 2, 1));
  fails(bad, "referral 0: names no person");
  // a result of another base is refused by summarize()
  CustomerBaseBuilder empty_builder;
  ASSERT_EQ(empty_builder.add_customer("z", day(2020, 1, 1), ""), "");
  ASSERT_EQ(empty_builder.add_customer("y", day(2020, 1, 1), ""), "");
  const CustomerBase two = empty_builder.finish();
  const ScoreResult res2 = score(two, day(2020, 12, 31));
  EXPECT_THROW(summarize(good, LoadReport{}, res2), InputError);
  EXPECT_NO_THROW(summarize(good, LoadReport{}, res));
}

// ---- item 9: amounts

TEST(Hardening21, Item9_AFiniteDecimalThatUnderflowsIsAnAmountNotNonFinite) {
  // 0.(400 zeros)1 = 1e-401: below the smallest subnormal, the nearest double is 0
  const std::string tiny = digits("0.", 400, "1");
  const auto zero = detail::parse_amount(tiny);
  ASSERT_TRUE(zero.value) << zero.reason;
  EXPECT_EQ(*zero.value, 0.0);
  // 0.(320 zeros)5 = 5e-321: a subnormal, the double strtod rounds it to (independent of from_chars)
  const std::string sub = digits("0.", 320, "5");
  const auto subnormal = detail::parse_amount(sub);
  ASSERT_TRUE(subnormal.value) << subnormal.reason;
  EXPECT_EQ(*subnormal.value, std::strtod("5e-321", nullptr));
  EXPECT_GT(*subnormal.value, 0.0);
  EXPECT_LT(*subnormal.value, 1e-320);
  // a finite decimal too large for a double is still non-finite
  EXPECT_STREQ(detail::parse_amount(digits("1", 309, "")).reason, "non-finite amount");
  EXPECT_STREQ(detail::parse_amount(digits("1", 309, ".5")).reason, "non-finite amount");

  // the whole path: a CSV purchase of 1e-401 is accepted as an amount of 0
  test::TempDir dir;
  InputFiles files;
  files.customers = dir.write("customers.csv", "customer_id,acquired_on\na,2024-01-01\n");
  files.purchases = dir.write(
      "purchases.csv", "customer_id,at,amount\na,2024-02-01," + tiny + "\na,2024-02-02," + digits("1", 309, "\n"));
  const LoadResult r = load_csv(files);
  ASSERT_EQ(r.base.purchase_count(), 1u);
  EXPECT_EQ(r.base.purchase_amount[0], 0.0);
  ASSERT_EQ(r.report.rejects.size(), 1u);
  EXPECT_EQ(r.report.rejects[0].line, 3u);
  EXPECT_EQ(r.report.rejects[0].reason, "non-finite amount");
}

TEST(Hardening21, Item9_AnAmountWhoseSumsCouldOverflowIsRejected) {
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("a", day(2020, 1, 1), ""), "");
  std::string column;
  EXPECT_EQ(b.add_purchase("a", at(2020, 2, 1), 1.7e308, &column),
            "amount too large (above 1e288, sums of amounts could overflow)");
  EXPECT_EQ(column, "amount");
  EXPECT_EQ(b.add_purchase("a", at(2020, 2, 1), std::nextafter(1e288, 2e288)),
            "amount too large (above 1e288, sums of amounts could overflow)");
  // 1e288 itself is accepted; 2^20 of them on one day sum to about 1.05e294, finite
  for (int k = 0; k < (1 << 20); ++k) ASSERT_EQ(b.add_purchase("a", at(2020, 2, 1), 1e288), "");
  const CustomerBase base = b.finish();
  const ScoreResult res = score(base, day(2020, 12, 31));
  const Summary s = summarize(base, LoadReport{}, res);
  EXPECT_TRUE(std::isfinite(s.revenue_total));
  EXPECT_NEAR(s.revenue_total / 1e288, static_cast<double>(1 << 20), 1e-3);

  // the same rule in the CSV path: the largest double spelled out is rejected with that reason
  test::TempDir dir;
  char big[400];
  std::snprintf(big, sizeof big, "%.0f", 1.7e308);
  InputFiles files;
  files.customers = dir.write("customers.csv", "customer_id,acquired_on\na,2024-01-01\n");
  files.purchases = dir.write("purchases.csv", "customer_id,at,amount\na,2024-02-01," + std::string(big) + "\n");
  const LoadResult r = load_csv(files);
  ASSERT_EQ(r.report.rejects.size(), 1u);
  EXPECT_EQ(r.report.rejects[0].reason, "amount too large (above 1e288, sums of amounts could overflow)");
  EXPECT_EQ(r.report.rejects[0].column_name, "amount");
}

TEST(Hardening21, Item9_ValueAtStakeThatOverflowsIsUnknownWithTheReason) {
  // 12 customers, each buying 1e288 on two days: with given parameters whose expected spend is
  // far above 1e20 per unit, expected purchases x spend overflows a double
  CustomerBaseBuilder b;
  for (int c = 0; c < 12; ++c) {
    std::string id = "c";
    id += std::to_string(c);
    ASSERT_EQ(b.add_customer(id, day(2020, 1, 1), ""), "");
    ASSERT_EQ(b.add_purchase(id, at(2020, 2, 1), 1e288), "");
    ASSERT_EQ(b.add_purchase(id, at(2020, 3, 1 + c), 1e288), "");
  }
  const CustomerBase base = b.finish();
  ScoringConfig cfg;
  cfg.bgnbd = BgNbdParams{1e6, 1.0, 1.0, 1e6};  // a large purchase rate, almost no dropout
  cfg.gamma_gamma = GammaGammaParams{1e300, 1.5, 1.0};
  const ScoreResult res = score(base, day(2020, 12, 31), cfg);
  EXPECT_FALSE(res.value_known());
  EXPECT_NE(res.gamma_gamma_error.find("value at stake overflows"), std::string::npos) << res.gamma_gamma_error;
  for (std::size_t r = 0; r < res.scores.size(); ++r) {
    EXPECT_TRUE(std::isnan(res.scores.expected_value[r]));
    EXPECT_TRUE(std::isnan(res.scores.upserve_value[r]));
    EXPECT_TRUE(std::isnan(res.scores.upserve_score[r]));
    EXPECT_TRUE(std::isfinite(res.scores.expected_purchases[r]));  // BG/NBD's own columns stay
  }
  const Summary s = summarize(base, LoadReport{}, res);
  EXPECT_FALSE(s.expected_value_total.has_value());
  EXPECT_FALSE(s.upserve_value_total.has_value());
  EXPECT_THROW(check_value_models(res), FitError);  // strict mode fails with the reason

  // the same base with ordinary parameters keeps every value (the check does not fire)
  cfg.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0};
  const ScoreResult ok = score(base, day(2020, 12, 31), cfg);
  EXPECT_TRUE(ok.value_known()) << ok.gamma_gamma_error;
  EXPECT_TRUE(std::isfinite(ok.scores.expected_value[0]));
}

// ---- item 6: all or nothing over several outputs (OutputBatch)

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Hardening21, Item6_AFailedRunReplacesNoOutput) {
  test::TempDir dir;
  const std::string a = dir.write("a.csv", "old a\n"), b = dir.path() + "/b.json";
  try {
    OutputBatch batch;
    write_file_atomically(a, "new a\n");  // finished, but held back
    EXPECT_EQ(slurp(a), "old a\n");
    write_file_atomically(b, "new b\n");
    throw std::runtime_error("the database write-back failed");  // before batch.commit()
  } catch (const std::runtime_error&) {}
  EXPECT_EQ(slurp(a), "old a\n");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"a.csv"});  // no b.json, no temporary file

  {
    OutputBatch batch;
    write_file_atomically(a, "new a\n");
    write_file_atomically(b, "new b\n");
    batch.commit();
  }
  EXPECT_EQ(slurp(a), "new a\n");
  EXPECT_EQ(slurp(b), "new b\n");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"a.csv", "b.json"}));
}

TEST(Hardening21, Item6_AFailedRenamePutsBackTheOnesBefore) {
  // a.csv (existing) and c.csv (new) go in place first; d.csv cannot (its folder vanished
  // after it was written): a.csv gets its old bytes back, c.csv is removed
  test::TempDir dir;
  const std::string a = dir.write("a.csv", "old a\n"), c = dir.path() + "/c.csv";
  const std::string sub = dir.path() + "/sub";
  std::filesystem::create_directory(sub);
  OutputBatch batch;
  write_file_atomically(a, "new a\n");
  write_file_atomically(c, "new c\n");
  write_file_atomically(sub + "/d.csv", "new d\n");
  std::filesystem::remove_all(sub);
  try {
    batch.commit();
    ADD_FAILURE() << "commit() succeeded without d.csv's folder";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("d.csv: cannot rename the temporary file into place"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("no output of the run was replaced"), std::string::npos);
  }
  EXPECT_EQ(slurp(a), "old a\n");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"a.csv"});  // no c.csv, no backup, no temporary
}

TEST(Hardening21, Item6_ANestedBatchCommitsWithTheOuterOne) {
  test::TempDir dir;
  const std::string a = dir.write("a.csv", "old\n");
  {
    OutputBatch outer;
    {
      OutputBatch inner;
      write_file_atomically(a, "new\n");
      inner.commit();  // handed to the outer batch
    }
    EXPECT_EQ(slurp(a), "old\n");
    // the outer batch is destroyed uncommitted: nothing is replaced
  }
  EXPECT_EQ(slurp(a), "old\n");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"a.csv"});
  // with no batch alive, a write goes in place at once, as before
  write_file_atomically(a, "now\n");
  EXPECT_EQ(slurp(a), "now\n");
}

// ---- item 13: the special bits of a replaced output (docs/outputs.md)

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(Hardening21, Item13_AReplacedOutputKeepsItsPermissionsAndStickyBitNotSetuidOrSetgid) {
  test::TempDir dir;
  // mode before -> mode after: rwx bits and the sticky bit kept, setuid and setgid cleared
  const std::pair<unsigned, unsigned> cases[] = {{0640, 0640},  {0600, 0600},   {04755, 0755},  {02750, 0750},
                                                 {06711, 0711}, {01644, 01644}, {07777, 01777}, {0000, 0000}};
  for (const auto& [before, after] : cases) {
    const std::string path = dir.write("out.csv", "old\n");
    ASSERT_EQ(::chmod(path.c_str(), before), 0);
    ASSERT_EQ(mode_of(path), before);  // the file system took the bits (as root or as the owner)
    write_file_atomically(path, "new\n");
    EXPECT_EQ(mode_of(path), after) << std::oct << "before 0" << before;
    EXPECT_EQ(slurp(path), "new\n");
    // the same rule through a batch and through a streamed writer
    ASSERT_EQ(::chmod(path.c_str(), before), 0);
    {
      OutputBatch batch;
      RejectsCsvWriter rejects(path);
      rejects.commit();
      batch.commit();
    }
    EXPECT_EQ(mode_of(path), after) << std::oct << "before 0" << before;
    std::filesystem::remove(path);
  }
}

}  // namespace
