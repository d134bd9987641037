// Typed database fields: a value a database hands typed (TypedField) meets the one row rule
// exactly as its CSV spelling would: the same value, the same accept or reject, the same reason
// and field. SQLite's native values take that path end to end.
#include <rapport/io/database.hpp>

#include "base/csv.hpp"
#include "base/rows.hpp"
#include "db/db_connection.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

using namespace rapport;
using rapport::detail::TypedField;
using rapport::test::TempDir;
using Kind = TypedField::Kind;

namespace {

/// What the conversion and the rules made of one row.
struct Outcome {
  bool accepted;
  std::size_t field;
  std::string reason;
  ContactRow row;
  double amount;
  bool operator==(const Outcome& o) const {
    const auto same_row = row.at == o.row.at && row.impression == o.row.impression &&
                          row.complaint == o.row.complaint && row.resolved_at == o.row.resolved_at;
    // a typed -0 and 0 are equal doubles; compare the bits of accepted amounts
    return accepted == o.accepted && field == o.field && reason == o.reason && (!accepted || same_row) &&
           (!accepted || std::signbit(amount) == std::signbit(o.amount)) && (!accepted || amount == o.amount);
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << (o.accepted ? "accepted" : "rejected") << " field " << o.field << " '" << o.reason << "' at " << o.row.at
            << " impression " << o.row.impression << " complaint " << o.row.complaint << " resolved "
            << o.row.resolved_at << " amount " << o.amount;
}

// A contact row: the customer is known, the enumerations text; field k is `value`, typed or
// spelled as its text.
Outcome contact(std::size_t k, const TypedField& value, bool typed) {
  std::vector<std::string_view> f{
      "C1", "2024-05-01T10:00:00Z", "visit", "welcome", "business", "technical", "1", "true", "2024-05-02"};
  std::vector<TypedField> t(f.size());
  std::string spelled;
  if (typed) {
    f[k] = {};
    t[k] = value;
  } else {
    detail::spell_typed(value, spelled);
    f[k] = spelled;
  }
  Outcome o{};
  detail::RowError e;
  const bool converted = detail::contact_from_text(f.data(), o.row, e, typed ? t.data() : nullptr);
  o.accepted = detail::check_contact(true, o.row, converted ? nullptr : &e, e);
  if (!o.accepted) o.field = e.field, o.reason = e.reason;
  return o;
}

Outcome purchase(std::size_t k, const TypedField& value, bool typed) {
  std::vector<std::string_view> f{"C1", "2024-05-01T10:00:00Z", "12.5"};
  std::vector<TypedField> t(f.size());
  std::string spelled;
  if (typed) {
    f[k] = {};
    t[k] = value;
  } else {
    detail::spell_typed(value, spelled);
    f[k] = spelled;
  }
  Outcome o{};
  detail::RowError e;
  const bool converted = detail::purchase_from_text(f.data(), o.row.at, o.amount, e, typed ? t.data() : nullptr);
  o.accepted = detail::check_purchase(true, o.row.at, o.amount, converted ? nullptr : &e, e);
  if (!o.accepted) o.field = e.field, o.reason = e.reason;
  return o;
}

std::vector<TypedField> values() {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<TypedField> v;
  for (const std::int64_t i :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, std::int64_t{-2}, std::int64_t{-3},
        std::int64_t{7}, std::int64_t{-99}, std::int64_t{1714557600}, std::numeric_limits<std::int64_t>::max(),
        std::numeric_limits<std::int64_t>::min(), std::int64_t{9007199254740993}}) {
    v.push_back({Kind::integer, i, 0});
    v.push_back({Kind::boolean, i != 0, 0});
  }
  for (const double d : {0.0, -0.0, 1.0, 12.5, -2.5, 0.1, 1e288, 1e300, 5e-324, inf, -inf, nan})
    v.push_back({Kind::real, 0, d});
  // instants and days within years 0000-9999, edges included
  for (const std::int64_t t : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1714557600}, std::int64_t{1714471200},
                               detail::min_instant, detail::max_instant})
    v.push_back({Kind::instant, t, 0});
  for (const std::int64_t d : {std::int64_t{0}, std::int64_t{19844}, std::int64_t{19843}, std::int64_t{detail::min_day},
                               std::int64_t{detail::max_day}})
    v.push_back({Kind::day, d, 0});
  return v;
}

}  // namespace

TEST(TypedFields, ContactValueMeetsTheRulesAsItsSpelling) {
  using namespace detail::contact_field;
  for (const std::size_t k : {at, channel, impression, complaint, resolved_at})
    for (const auto& v : values()) {
      const auto typed = contact(k, v, true), text = contact(k, v, false);
      std::string s;
      detail::spell_typed(v, s);
      EXPECT_EQ(typed, text) << "field " << k << " value '" << s << "'";
    }
}

TEST(TypedFields, PurchaseValueMeetsTheRulesAsItsSpelling) {
  using namespace detail::purchase_field;
  for (const std::size_t k : {at, amount})
    for (const auto& v : values()) {
      const auto typed = purchase(k, v, true), text = purchase(k, v, false);
      std::string s;
      detail::spell_typed(v, s);
      EXPECT_EQ(typed, text) << "field " << k << " value '" << s << "'";
    }
}

TEST(TypedFields, HandComputedCases) {
  using namespace detail::contact_field;
  // impression 7 reads as +3 (beyond the range) and is rejected by the range rule
  auto o = contact(impression, {Kind::integer, 7, 0}, true);
  EXPECT_FALSE(o.accepted);
  EXPECT_EQ(o.field, impression);
  EXPECT_EQ(o.reason, "impression out of range -2..2");
  // complaint 2 is no flag spelling: rejected naming the flag's spellings
  o = contact(complaint, {Kind::integer, 2, 0}, true);
  EXPECT_EQ(o.reason, "complaint flag not one of true/false/1/0");
  // a day in a timestamp field is its midnight: 2024-05-02 (day 19845) -> 1714608000
  o = contact(resolved_at, {Kind::day, 19845, 0}, true);
  EXPECT_TRUE(o.accepted);
  EXPECT_EQ(o.row.resolved_at, 1714608000);
  // an instant in the channel field is spelled and rejected as that text
  o = contact(channel, {Kind::instant, 0, 0}, true);
  EXPECT_EQ(o.reason, "unknown channel '1970-01-01T00:00:00Z'");
  // -0 spells "-0": a negative amount, as the CSV's "-0" is
  o = purchase(detail::purchase_field::amount, {Kind::real, 0, -0.0}, true);
  EXPECT_EQ(o.reason, "negative amount");
  // an integer where a timestamp belongs: unparsable, as its decimal text (ten characters: read
  // as a date, so the short reason)
  o = purchase(detail::purchase_field::at, {Kind::integer, 1714557600, 0}, true);
  EXPECT_EQ(o.reason, "unparsable timestamp");
}

namespace {

void exec(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
}

}  // namespace

// SQLite's native values (INTEGER instants in TIMESTAMP columns, REAL amounts, INTEGER flags and
// impressions) reach the rules typed; rejects show them spelled as the CSV would hold them, in
// the table's own column order, and the accepted rows hold exactly their values.
TEST(TypedFields, SqliteNativeValuesEndToEnd) {
  TempDir dir;
  const std::string path = dir.file("native.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  exec(db, "CREATE TABLE customers (segment TEXT, customer_id TEXT, acquired_on DATE)");
  exec(db, "INSERT INTO customers VALUES ('retail', 'A', 19723), (NULL, 'B', '2024-01-01')");
  // contacts with the columns out of schema order, and an extra column
  exec(db,
       "CREATE TABLE contacts (note TEXT, customer_id TEXT, at TIMESTAMP, channel TEXT, stage TEXT, initiator TEXT,"
       " aspect TEXT, impression INTEGER, complaint BOOLEAN, resolved_at TIMESTAMP)");
  // row 1: accepted (instant 1714557600 = 2024-05-01T10:00:00Z, resolved 3600 s later)
  // row 2: impression 5: out of range; row 3: the complaint flag 2 is a boolean: true, resolved
  // before it was made; row 4: an instant past 9999: stays the integer, unparsable
  exec(db,
       "INSERT INTO contacts VALUES"
       " ('x', 'A', 1714557600, 'visit', 'welcome', 'business', 'technical', -1, 1, 1714561200),"
       " (NULL, 'A', 1714557600, 'visit', 'welcome', 'business', 'technical', 5, 0, NULL),"
       " (NULL, 'B', 1714557600, 'visit', 'welcome', 'business', 'technical', 0, 2, 1714557599),"
       " (NULL, 'B', 253402300800, 'visit', 'welcome', 'business', 'technical', 0, 0, NULL)");
  exec(db, "CREATE TABLE purchases (customer_id TEXT, at TIMESTAMP, amount REAL)");
  exec(db,
       "INSERT INTO purchases VALUES ('A', 1714557600, 12.25), ('A', 1714557600, -2.5), ('B', 1714557600, 9e999),"
       " ('B', '2024-05-01 11:00:00', 7)");
  sqlite3_close(db);

  const auto r = load_db("sqlite:" + path);
  ASSERT_EQ(r.base.customer_count(), 2u);
  EXPECT_EQ(r.base.acquired_on[0], 0);  // an INTEGER in a DATE column counts seconds: 19723 s is in day 0
  ASSERT_EQ(r.base.contact_count(), 1u);
  EXPECT_EQ(r.base.contact_at[0], 1714557600);
  EXPECT_EQ(r.base.contact_impression[0], -1);
  EXPECT_EQ(r.base.contact_complaint[0], 1);
  ASSERT_EQ(r.base.purchase_count(), 2u);
  EXPECT_EQ(r.base.purchase_amount[0], 12.25);
  EXPECT_EQ(r.base.purchase_amount[1], 7.0);
  EXPECT_EQ(r.base.purchase_at[1], 1714561200);
  ASSERT_EQ(r.report.rejects.size(), 5u);
  const auto& c = r.report.rejects;
  EXPECT_EQ(c[0].raw, ",A,2024-05-01T10:00:00Z,visit,welcome,business,technical,5,false,");
  EXPECT_EQ(c[0].line, 2u);
  EXPECT_EQ(c[0].column_name, "impression");
  EXPECT_EQ(c[0].reason, "impression out of range -2..2");
  EXPECT_EQ(c[1].raw, ",B,2024-05-01T10:00:00Z,visit,welcome,business,technical,0,true,2024-05-01T09:59:59Z");
  EXPECT_EQ(c[1].reason, "complaint resolved before it was made");
  EXPECT_EQ(c[2].raw, ",B,253402300800,visit,welcome,business,technical,0,false,");
  EXPECT_EQ(c[2].column_name, "at");
  EXPECT_EQ(c[2].reason, "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])");
  EXPECT_EQ(c[3].raw, "A,2024-05-01T10:00:00Z,-2.5");
  EXPECT_EQ(c[3].reason, "negative amount");
  EXPECT_EQ(c[4].raw, "B,2024-05-01T10:00:00Z,inf");
  EXPECT_EQ(c[4].column_name, "amount");
}
