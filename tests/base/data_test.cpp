// Loading the four tables: every rejection reason with file, line, column; counts; strict mode;
// CSR grouping by customer in input order.
#include <rapport/base/data.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>

#include "base/csv.hpp"
#include "base/id_index.hpp"

#include "io/load.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>

#include <sys/stat.h>

using namespace rapport;
using rapport::test::TempDir;

namespace {
const RejectedRow* find_reject(const LoadReport& rep, const std::string& table, std::size_t line) {
  for (const auto& r : rep.rejects)
    if (r.table == table && r.line == line) return &r;
  return nullptr;
}
}  // namespace

TEST(Data, EveryBadRowKindIsCountedWithLineAndColumn) {
  TempDir dir;
  // columns deliberately out of order, with an extra column
  dir.write("customers.csv",
            "segment,acquired_on,customer_id,extra\n"
            "retail,2024-01-10,A,x\n"             // line 2 ok
            "retail,2024-02-30,B,x\n"             // line 3 impossible date
            "retail,2024-01-10,A,x\n"             // line 4 duplicate key
            ",2024-01-11,C,x\n"                   // line 5 ok (no segment)
            "retail,2024-01-12,,x\n"              // line 6 empty key
            "retail,2024-01-12,D\n"               // line 7 wrong field count
            "retail,2024-01-12T00:00:00,E,x\n");  // line 8 acquired_on must be a date alone
  dir.write("contacts.csv",
            "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
            "A,2024-03-01T10:00:00Z,visit,welcome,business,technical,1,false,\n"         // 2 ok
            "Z,2024-03-01T10:00:00Z,visit,welcome,business,technical,1,false,\n"         // 3 unknown customer
            "A,2024-03-01T10:00,visit,welcome,business,technical,1,false,\n"             // 4 unparsable ts
            "A,2024-03-01,fax,welcome,business,technical,1,false,\n"                     // 5 unknown channel
            "A,2024-03-01,visit,Welcome,business,technical,1,false,\n"                   // 6 enum is case-sensitive
            "A,2024-03-01,visit,welcome,robot,technical,1,false,\n"                      // 7 initiator
            "A,2024-03-01,visit,welcome,business,taste,1,false,\n"                       // 8 aspect
            "A,2024-03-01,visit,welcome,business,technical,3,false,\n"                   // 9 impression range
            "A,2024-03-01,visit,welcome,business,technical,+1,false,\n"                  // 10 impression form
            "A,2024-03-01,visit,welcome,business,technical,1,yes,\n"                     // 11 complaint flag
            "A,2024-03-05,visit,welcome,business,technical,-1,true,2024-03-04\n"         // 12 resolved before at
            "A,2024-03-05,visit,welcome,business,technical,-1,1,2024-13-04\n"            // 13 bad resolved_at
            "A,2024-03-05,visit,welcome,business,technical,-1,0,2024-03-04\n"            // 14 ok: not a complaint
            "C,\"2024-03-06 08:00:00\",phone,service,customer,hospitality,-0,true,\n");  // 15 ok
  dir.write("purchases.csv",
            "customer_id,at,amount\n"
            "A,2024-03-01,10.50\n"  // 2 ok
            "A,2024-03-01,-1\n"     // 3 negative
            "A,2024-03-01,1e5\n"    // 4 unparsable
            "A,2024-03-01,.5\n"     // 5 unparsable
            "Q,2024-03-01,1\n"      // 6 unknown customer
            "C,2024-03-02,0\n"      // 7 ok (zero counts)
            "C,2024-03-02,5.\n");   // 8 unparsable
  dir.write("referrals.csv",
            "referrer_id,referred_id,at\n"
            "A,C,2024-01-05\n"     // 2 ok
            "A,A,2024-01-05\n"     // 3 self-referral
            ",C,2024-01-05\n"      // 4 empty referrer
            "A,P1,someday\n"       // 5 bad at
            "A,P1,2024-06-01\n");  // 6 ok: a prospect
  const auto res = load_csv(InputFiles::from_directory(dir.path()));
  const auto& rep = res.report;
  EXPECT_EQ(rep.customers.read, 7u);
  EXPECT_EQ(rep.customers.rejected, 5u);
  EXPECT_EQ(rep.contacts.read, 14u);
  EXPECT_EQ(rep.contacts.rejected, 11u);
  EXPECT_EQ(rep.purchases.read, 7u);
  EXPECT_EQ(rep.purchases.rejected, 5u);
  EXPECT_EQ(rep.referrals.read, 5u);
  EXPECT_EQ(rep.referrals.rejected, 3u);
  EXPECT_EQ(rep.rejects.size(), rep.total_rejected());

  struct Expect {
    const char* table;
    std::size_t line, column;
    const char* column_name;
    const char* reason_part;
  };
  const Expect expected[] = {
      {"customers", 3, 2, "acquired_on", "impossible date"},
      {"customers", 4, 3, "customer_id", "duplicate"},
      {"customers", 6, 3, "customer_id", "empty"},
      {"customers", 7, 4, "extra", "expected 4 fields, found 3"},
      {"customers", 8, 2, "acquired_on", "unparsable date"},
      {"contacts", 3, 1, "customer_id", "unknown customer"},
      {"contacts", 4, 2, "at", "unparsable timestamp"},
      {"contacts", 5, 3, "channel", "unknown channel"},
      {"contacts", 6, 4, "stage", "unknown stage"},
      {"contacts", 7, 5, "initiator", "unknown initiator"},
      {"contacts", 8, 6, "aspect", "unknown aspect"},
      {"contacts", 9, 7, "impression", "out of range"},
      {"contacts", 10, 7, "impression", "unparsable impression"},
      {"contacts", 11, 8, "complaint", "complaint flag"},
      {"contacts", 12, 9, "resolved_at", "resolved before"},
      {"contacts", 13, 9, "resolved_at", "impossible"},
      {"purchases", 3, 3, "amount", "negative amount"},
      {"purchases", 4, 3, "amount", "unparsable amount"},
      {"purchases", 5, 3, "amount", "unparsable amount"},
      {"purchases", 6, 1, "customer_id", "unknown customer"},
      {"purchases", 8, 3, "amount", "unparsable amount"},
      {"referrals", 3, 2, "referred_id", "self-referral"},
      {"referrals", 4, 1, "referrer_id", "empty referrer_id"},
      {"referrals", 5, 3, "at", "unparsable timestamp"},
  };
  for (const auto& e : expected) {
    const auto* r = find_reject(rep, e.table, e.line);
    ASSERT_NE(r, nullptr) << e.table << " line " << e.line;
    EXPECT_EQ(r->column, e.column) << e.table << " line " << e.line;
    EXPECT_EQ(r->column_name, e.column_name) << e.table << " line " << e.line;
    EXPECT_NE(r->reason.find(e.reason_part), std::string::npos) << r->reason;
    EXPECT_FALSE(r->raw.empty());
    EXPECT_NE(r->file.find(e.table), std::string::npos);
  }
  const auto& b = res.base;
  ASSERT_EQ(b.customer_count(), 2u);
  EXPECT_EQ(b.customer_id[0], "A");
  EXPECT_EQ(b.customer_id[1], "C");
  EXPECT_EQ(b.segment_names[b.segment[1]], "");
  EXPECT_EQ(b.contact_count(), 3u);
  EXPECT_EQ(b.contact_offsets, (std::vector<std::uint64_t>{0, 2, 3}));
  EXPECT_EQ(b.contact_impression[2], 0);  // "-0"
  EXPECT_EQ(b.resolved_at(1), no_time);   // ignored on a non-complaint
  EXPECT_EQ(b.resolved_at(2), no_time);   // an open complaint
  EXPECT_EQ(b.complaint_offsets, (std::vector<std::uint64_t>{0, 0, 1}));
  EXPECT_EQ(b.purchase_amount, (std::vector<double>{10.5, 0.0}));
  ASSERT_EQ(b.referral_count(), 2u);
  EXPECT_EQ(b.prospect_id, (std::vector<std::string>{"P1"}));
  EXPECT_EQ(b.person(2), "P1");
  EXPECT_EQ(b.person_count(), 3u);
  EXPECT_EQ(b.referral_to[1], 2u);
  EXPECT_EQ(b.default_as_of(), days_from_civil(2024, 6, 1));
}

TEST(Data, StrictModeThrowsOnFirstRejection) {
  TempDir dir;
  dir.write("customers.csv", "customer_id,acquired_on\nA,2024-01-01\nB,2024-01-32\n");
  LoadOptions opt;
  opt.strict = true;
  try {
    load_csv(InputFiles::from_directory(dir.path()), opt);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("customers.csv:3:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("impossible date"), std::string::npos) << msg;
  }
}

TEST(Data, MissingFileOrColumnIsFatal) {
  TempDir dir;
  EXPECT_THROW(load_csv(InputFiles::from_directory(dir.path())), InputError);
  dir.write("customers.csv", "customer_id,acquired\nA,2024-01-01\n");
  try {
    load_csv(InputFiles::from_directory(dir.path()));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing required column 'acquired_on'"), std::string::npos);
  }
  dir.write("customers.csv", "customer_id,acquired_on\nA,2024-01-01\n");
  dir.write("purchases.csv", "customer_id,at\nA,2024-01-01\n");
  EXPECT_THROW(load_csv(InputFiles::from_directory(dir.path())), InputError);
}

TEST(Data, ContactsGroupedByCustomerKeepInputOrder) {
  TempDir dir;
  dir.write("customers.csv", "customer_id,acquired_on\nA,2024-01-01\nB,2024-01-01\n");
  dir.write("contacts.csv",
            "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
            "B,2024-02-03,visit,welcome,business,technical,1,true,2024-02-09\n"
            "A,2024-02-02,visit,welcome,business,technical,2,false,2024-02-02\n"
            "B,2024-02-01,visit,welcome,business,technical,-1,true,\n"
            "A,2024-02-04,visit,welcome,business,technical,-2,1,2024-02-05\n");
  const auto res = load_csv(InputFiles::from_directory(dir.path()));
  const auto& b = res.base;
  EXPECT_EQ(b.contact_offsets, (std::vector<std::uint64_t>{0, 2, 4}));
  EXPECT_EQ(b.contact_impression, (std::vector<std::int8_t>{2, -2, 1, -1}));
  // complaints are stored sparsely, in grouped order: A's one, then B's two
  EXPECT_EQ(b.complaint_offsets, (std::vector<std::uint64_t>{0, 1, 3}));
  EXPECT_EQ(b.complaint_resolved_at,
            (std::vector<seconds_t>{*parse_timestamp("2024-02-05"), *parse_timestamp("2024-02-09"), no_time}));
  EXPECT_EQ(b.resolved_at_column(),
            (std::vector<seconds_t>{no_time, *parse_timestamp("2024-02-05"), *parse_timestamp("2024-02-09"), no_time}));
  EXPECT_EQ(b.resolved_at(2), *parse_timestamp("2024-02-09"));
  EXPECT_EQ(b.resolved_at(0), no_time);  // not a complaint: its resolved_at is ignored
}

TEST(Data, BuilderRejectsLikeTheLoader) {
  CustomerBaseBuilder bld;
  std::string col;
  EXPECT_EQ(bld.add_customer("A", 0, ""), "");
  EXPECT_NE(bld.add_customer("A", 0, "", &col), "");
  EXPECT_EQ(col, "customer_id");
  ContactRow row;
  row.impression = 5;
  EXPECT_NE(bld.add_contact("A", row, &col), "");
  EXPECT_EQ(col, "impression");
  EXPECT_NE(bld.add_purchase("A", 0, -0.01, &col), "");
  EXPECT_NE(bld.add_purchase("A", 0, std::numeric_limits<double>::infinity(), &col), "");
  EXPECT_NE(bld.add_referral("A", "A", 0, &col), "");
  EXPECT_EQ(bld.add_referral("X", "A", 0), "");
  const auto b = bld.finish();
  EXPECT_EQ(b.prospect_id, (std::vector<std::string>{"X"}));
  EXPECT_EQ(b.person(0), "A");
  EXPECT_EQ(b.find_customer("A"), 0u);
  EXPECT_FALSE(b.find_customer("X"));
}

namespace {
/// Writes a generated base of `customers` customers into `dir`.
void generate_into(const TempDir& dir, std::size_t customers, std::uint64_t seed) {
  GenerateOptions o;
  o.customers = customers;
  o.seed = seed;
  generate_csv(dir.path(), o);
}

struct BlockSizes {  // restores the ingest tuning on scope exit
  std::size_t block = detail::csv_block_bytes, part = detail::csv_part_min_bytes;
  BlockSizes(std::size_t b, std::size_t p) {
    detail::csv_block_bytes = b;
    detail::csv_part_min_bytes = p;
  }
  ~BlockSizes() {
    detail::csv_block_bytes = block;
    detail::csv_part_min_bytes = part;
  }
};
}  // namespace

// The parallel block path and the sequential RFC 4180 path must give the same base and the same
// rejects (line, column, reason), whatever the block size and thread count; a quoted record
// mid-file hands over to the sequential reader at a block start.
TEST(Data, ParallelAndSequentialIngestAgree) {
  rapport::test::TempDir gen;
  generate_into(gen, 400, 5);
  std::string contacts = rapport::test::read_file(gen.file("contacts.csv"));
  // sprinkle bad rows, blank lines and CRLF through the file, and one quoted record near the end
  std::string mixed;
  std::size_t line = 0, pos = 0;
  while (pos < contacts.size()) {
    const auto nl = contacts.find('\n', pos);
    const std::string row = contacts.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    mixed += row;
    mixed += (line % 97 == 0) ? "\r\n" : "\n";
    if (line % 113 == 0) mixed += "C00000001,2024-02-30,visit,welcome,business,technical,1,false,\n";
    if (line % 211 == 0) mixed += "\n";
    if (line % 307 == 0) mixed += "NOPE,2024-02-01,visit,welcome,business,technical,1,false,\n";
    if (line % 401 == 0) mixed += "C00000002,2024-02-01,visit\n";
    if (line == 6000) mixed += "\"C00000003\",2024-02-01T10:00:00Z,visit,welcome,business,technical,1,false,\n";
  }
  rapport::test::TempDir dir;
  dir.write("customers.csv", rapport::test::read_file(gen.file("customers.csv")));
  dir.write("contacts.csv", mixed);
  dir.write("purchases.csv", rapport::test::read_file(gen.file("purchases.csv")));
  const auto files = InputFiles::from_directory(dir.path());

  LoadOptions one;
  one.threads = 1;
  const auto reference = load_csv(files, one);  // default 32 MiB block: one block, sequential (quotes)
  EXPECT_GT(reference.report.contacts.rejected, 30u);
  for (auto [block, part, threads] : {std::tuple{std::size_t{1} << 16, std::size_t{1} << 12, 3u},
                                      std::tuple{std::size_t{1} << 14, std::size_t{1} << 10, 2u},
                                      std::tuple{std::size_t{200}, std::size_t{64}, 4u}}) {
    BlockSizes sizes(block, part);
    LoadOptions opt;
    opt.threads = threads;
    const auto got = load_csv(files, opt);
    const auto& a = reference.base;
    const auto& b = got.base;
    EXPECT_EQ(a.contact_offsets, b.contact_offsets) << block;
    EXPECT_EQ(a.contact_at, b.contact_at) << block;
    EXPECT_EQ(a.contact_impression, b.contact_impression) << block;
    EXPECT_EQ(a.purchase_at, b.purchase_at) << block;
    EXPECT_EQ(reference.report.contacts.read, got.report.contacts.read) << block;
    EXPECT_EQ(reference.report.contacts.rejected, got.report.contacts.rejected) << block;
    ASSERT_EQ(reference.report.rejects.size(), got.report.rejects.size()) << block;
    for (std::size_t k = 0; k < got.report.rejects.size(); ++k) {
      const auto& x = reference.report.rejects[k];
      const auto& y = got.report.rejects[k];
      EXPECT_EQ(x.line, y.line) << block << " reject " << k;
      EXPECT_EQ(x.column, y.column) << block << " reject " << k;
      EXPECT_EQ(x.reason, y.reason) << block << " reject " << k;
      EXPECT_EQ(x.raw, y.raw) << block << " reject " << k;
    }
  }
}

// The card: header names are exact and case-sensitive. Regression (issue 15): a mutant that
// matched them case-insensitively survived the suite.
TEST(Data, HeaderNamesAreCaseSensitive) {
  TempDir dir;
  const auto missing = [&] {
    try {
      load_csv(InputFiles::from_directory(dir.path()));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("<loaded>");
  };
  dir.write("customers.csv", "Customer_ID,acquired_on\nA,2024-01-01\n");
  EXPECT_NE(missing().find("customers.csv:1: missing required column 'customer_id'"), std::string::npos) << missing();
  dir.write("customers.csv", "customer_id,acquired_on\nA,2024-01-01\n");
  // the parallel path's header (plain) and the sequential one's (quoted)
  dir.write("purchases.csv", "customer_id,AT,amount\nA,2024-01-01,1\n");
  EXPECT_NE(missing().find("purchases.csv:1: missing required column 'at'"), std::string::npos) << missing();
  dir.write("purchases.csv", "\"customer_id\",at,Amount\nA,2024-01-01,1\n");
  EXPECT_NE(missing().find("purchases.csv:1: missing required column 'amount'"), std::string::npos) << missing();
}

namespace {
/// "table:line:column:column_name:reason" of a reject.
std::string reject_text(const RejectedRow& r) {
  return r.table + ":" + std::to_string(r.line) + ":" + std::to_string(r.column) + ":" + r.column_name + ":" + r.reason;
}
}  // namespace

// Regression (issue 15): LoadOptions::max_rejects_kept silently stopped storing rejects. Now every
// reject goes to on_reject, in input order per table and one call at a time (also with parallel
// parsing), and the ones past the cap are counted in rejects_not_kept.
TEST(Data, RejectsBeyondTheCapAreStreamedAndCounted) {
  TempDir dir;
  std::string customers = "customer_id,acquired_on\nA,2024-01-01\n";
  for (int k = 0; k < 5; ++k) customers += "B" + std::to_string(k) + ",2024-02-30\n";  // lines 3..7: impossible
  dir.write("customers.csv", customers);
  std::string contacts = "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n";
  std::vector<std::string> expected;
  for (int k = 0; k < 5; ++k)
    expected.push_back("customers:" + std::to_string(k + 3) + ":2:acquired_on:impossible date");
  for (int line = 2; line < 4002; ++line) {
    const bool bad = line % 7 == 0;  // unknown customer every 7th line
    contacts += std::string(bad ? "Z" : "A") + ",2024-03-01,visit,welcome,business,technical,1,false,\n";
    if (bad) expected.push_back("contacts:" + std::to_string(line) + ":1:customer_id:unknown customer");
  }
  dir.write("contacts.csv", contacts);
  const BlockSizes small(4096, 512);  // many blocks, several parts per block

  std::vector<std::string> streamed;
  std::atomic<int> inside{0};
  bool overlapped = false;
  LoadOptions opt;
  opt.threads = 4;
  opt.max_rejects_kept = 3;
  opt.on_reject = [&](const RejectedRow& r) {
    if (inside.fetch_add(1) != 0) overlapped = true;
    streamed.push_back(reject_text(r));
    inside.fetch_sub(1);
  };
  const auto res = load_csv(InputFiles::from_directory(dir.path()), opt);
  EXPECT_FALSE(overlapped);
  EXPECT_EQ(streamed, expected);
  EXPECT_EQ(res.report.total_rejected(), expected.size());
  ASSERT_EQ(res.report.rejects.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(reject_text(res.report.rejects[k]), expected[k]);
  EXPECT_EQ(res.report.rejects_not_kept, expected.size() - 3);
  EXPECT_EQ(res.base.contact_count(), 4000u - (expected.size() - 5));

  // an exception from on_reject ends the load and propagates; the next load is unaffected
  struct Stop {};
  opt.on_reject = [](const RejectedRow& r) {
    if (r.table == "contacts") throw Stop{};
  };
  EXPECT_THROW(load_csv(InputFiles::from_directory(dir.path()), opt), Stop);
  opt.on_reject = nullptr;
  EXPECT_EQ(load_csv(InputFiles::from_directory(dir.path()), opt).report.rejects_not_kept, expected.size() - 3);
}

// The same bad rows give the same rejects (column and reason) through the CSV loader and through
// the builder: one set of row rules, in the card's order (unknown customer before the other
// fields; impression range before the complaint flag; self-referral at referred_id).
TEST(Data, CsvAndBuilderApplyTheSameRowRules) {
  TempDir dir;
  dir.write("customers.csv", "customer_id,acquired_on\nA,2024-01-01\n,2024-01-01\nA,2024-01-02\n");
  dir.write("contacts.csv",
            "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
            "Z,2024-03-01,visit,welcome,business,technical,1,false,\n"
            "A,2024-03-01,visit,welcome,business,technical,-3,true,\n"
            "A,2024-03-05,visit,welcome,business,technical,1,true,2024-03-04\n");
  dir.write("purchases.csv", "customer_id,at,amount\nZ,2024-03-01,1\nA,2024-03-01,-1\n");
  dir.write("referrals.csv", "referrer_id,referred_id,at\nA,A,2024-03-01\n,A,2024-03-01\nA,,2024-03-01\n");
  const auto csv = load_csv(InputFiles::from_directory(dir.path()));
  std::vector<std::string> from_csv;
  for (const auto& r : csv.report.rejects) from_csv.push_back(r.table + ":" + r.column_name + ":" + r.reason);

  CustomerBaseBuilder b;
  std::vector<std::string> from_builder;
  std::string col;
  const auto note = [&](const char* table, const std::string& why) {
    if (!why.empty()) from_builder.push_back(std::string(table) + ":" + col + ":" + why);
  };
  const day_t d = *parse_date("2024-01-01");
  note("customers", b.add_customer("A", d, "", &col));
  note("customers", b.add_customer("", d, "", &col));
  note("customers", b.add_customer("A", d + 1, "", &col));
  ContactRow row;
  row.at = *parse_timestamp("2024-03-01");
  row.impression = 1;
  note("contacts", b.add_contact("Z", row, &col));
  row.impression = -3;
  row.complaint = true;
  note("contacts", b.add_contact("A", row, &col));
  row.impression = 1;
  row.at = *parse_timestamp("2024-03-05");
  row.resolved_at = *parse_timestamp("2024-03-04");
  note("contacts", b.add_contact("A", row, &col));
  note("purchases", b.add_purchase("Z", row.at, 1, &col));
  note("purchases", b.add_purchase("A", row.at, -1, &col));
  note("referrals", b.add_referral("A", "A", row.at, &col));
  note("referrals", b.add_referral("", "A", row.at, &col));
  note("referrals", b.add_referral("A", "", row.at, &col));
  const std::vector<std::string> expected{
      "customers:customer_id:empty customer_id",
      "customers:customer_id:duplicate customer_id (first row wins)",
      "contacts:customer_id:unknown customer",
      "contacts:impression:impression out of range -2..2",
      "contacts:resolved_at:complaint resolved before it was made",
      "purchases:customer_id:unknown customer",
      "purchases:amount:negative amount",
      "referrals:referred_id:self-referral",
      "referrals:referrer_id:empty referrer_id",
      "referrals:referred_id:empty referred_id",
  };
  EXPECT_EQ(from_csv, expected);
  EXPECT_EQ(from_builder, expected);
}

namespace {
/// Each customer's contacts as (at, impression) pairs, in stored order.
std::vector<std::vector<std::pair<seconds_t, int>>> contacts_by_customer(const CustomerBase& b) {
  std::vector<std::vector<std::pair<seconds_t, int>>> out(b.customer_count());
  for (std::size_t c = 0; c < b.customer_count(); ++c)
    for (auto k = b.contact_offsets[c]; k < b.contact_offsets[c + 1]; ++k)
      out[c].emplace_back(b.contact_at[k], b.contact_impression[k]);
  return out;
}
}  // namespace

// Rows grouped customer by customer in customer order are stored as they come (no scatter);
// any other order is grouped by customer, each customer's rows keeping their input order, and
// the complaints' resolutions follow their contacts either way.
TEST(Data, GroupedAndShuffledContactsGiveTheSameBase) {
  // customers A, B, C; contacts listed grouped (A A B C C) and shuffled (C B A C A): the same rows
  // per customer in the same relative order, A's second contact a complaint resolved at day 3
  TempDir grouped, shuffled;
  const std::string customers = "customer_id,acquired_on\nA,2024-01-01\nB,2024-01-01\nC,2024-01-01\n";
  const std::string header = "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n";
  const std::string a1 = "A,2024-01-02,visit,welcome,business,technical,1,false,\n";
  const std::string a2 = "A,2024-01-02,phone,welcome,business,technical,-1,true,2024-01-03\n";
  const std::string b1 = "B,2024-01-05,visit,welcome,business,technical,2,false,\n";
  const std::string c1 = "C,2024-01-07,visit,welcome,business,technical,0,true,2024-01-09\n";
  const std::string c2 = "C,2024-01-06,visit,welcome,business,technical,-2,false,\n";
  for (auto* d : {&grouped, &shuffled}) d->write("customers.csv", customers);
  grouped.write("contacts.csv", header + a1 + a2 + b1 + c1 + c2);
  shuffled.write("contacts.csv", header + c1 + b1 + a1 + c2 + a2);
  const auto g = load_csv(InputFiles::from_directory(grouped.path())).base;
  const auto s = load_csv(InputFiles::from_directory(shuffled.path())).base;
  const std::vector<std::vector<std::pair<seconds_t, int>>> expected{
      {{midnight(days_from_civil(2024, 1, 2)), 1}, {midnight(days_from_civil(2024, 1, 2)), -1}},
      {{midnight(days_from_civil(2024, 1, 5)), 2}},
      {{midnight(days_from_civil(2024, 1, 7)), 0}, {midnight(days_from_civil(2024, 1, 6)), -2}}};
  EXPECT_EQ(contacts_by_customer(g), expected);
  EXPECT_EQ(contacts_by_customer(s), expected);
  for (const auto* b : {&g, &s}) {
    EXPECT_EQ(b->complaint_offsets, (std::vector<std::uint64_t>{0, 1, 1, 2}));
    EXPECT_EQ(b->complaint_resolved_at,
              (std::vector<seconds_t>{midnight(days_from_civil(2024, 1, 3)), midnight(days_from_civil(2024, 1, 9))}));
    EXPECT_EQ(b->resolved_at(1), midnight(days_from_civil(2024, 1, 3)));
    EXPECT_EQ(b->resolved_at(3), midnight(days_from_civil(2024, 1, 9)));
  }
}

// A contacts file that cannot be mapped (a FIFO) is read through a buffer instead, with the
// same result as the mapped regular file.
TEST(Data, ContactsFromAFifoMatchTheRegularFile) {
  rapport::test::TempDir gen;
  generate_into(gen, 300, 9);
  const std::string contacts = rapport::test::read_file(gen.file("contacts.csv"));
  InputFiles files;
  files.customers = gen.file("customers.csv");
  files.contacts = gen.file("contacts.csv");
  const auto regular = load_csv(files);

  BlockSizes sizes(std::size_t{1} << 12, std::size_t{1} << 10);  // many refills of the buffer
  const std::string fifo = gen.file("contacts.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    out << contacts;
  });
  files.contacts = fifo;
  LoadResult piped;
  try {
    piped = load_csv(files);
  } catch (...) {
    writer.join();
    throw;
  }
  writer.join();
  EXPECT_EQ(piped.report.contacts.read, regular.report.contacts.read);
  EXPECT_EQ(piped.base.contact_offsets, regular.base.contact_offsets);
  EXPECT_EQ(piped.base.contact_at, regular.base.contact_at);
  EXPECT_EQ(piped.base.contact_channel, regular.base.contact_channel);
}

// The key index through its growth: every key found at its index, absent keys not found, a key
// already there answered with its index (and not added again).
TEST(Data, KeyIndexFindsEveryKeyThroughGrowth) {
  detail::IdIndex index;
  std::vector<std::string> keys;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    std::string key(1, 'K');
    key += std::to_string(i * 7919 % 100003);
    ASSERT_EQ(index.find_or_insert(keys, key, i), detail::IdIndex::empty) << key;
    keys.push_back(key);
  }
  EXPECT_EQ(index.size(), 5000u);
  for (std::uint32_t i = 0; i < keys.size(); ++i) ASSERT_EQ(index.find(keys, keys[i]), i);
  EXPECT_EQ(index.find_or_insert(keys, keys[1234], 5000), 1234u);
  EXPECT_EQ(index.size(), 5000u);
  EXPECT_FALSE(index.find(keys, "K-1"));
  EXPECT_FALSE(index.find(keys, ""));
  keys.push_back("late");
  index.insert(keys, 5000);
  EXPECT_EQ(index.find(keys, "late"), 5000u);
}

// Customer rows are settled (duplicate check, stored) a few rows after they are read; the
// rejects still come in file order, duplicates interleaved with the other reasons, and the
// first row of a key wins.
TEST(Data, CustomerRejectsStayInFileOrder) {
  // line 2..41: keys K0..K39, except: line 5 repeats K0 (duplicate), line 6 has a bad date,
  // line 7 has one field, line 30 repeats K1 (duplicate, 28 rows after K1), line 41 repeats K5
  TempDir dir;
  std::string text = "customer_id,acquired_on,segment\n";
  std::vector<std::size_t> expected_lines;
  for (std::size_t line = 2; line <= 41; ++line) {
    std::string row(1, 'K');
    row += std::to_string(line - 2);
    row += ",2024-01-01,s";
    if (line == 5) row = "K0,2024-02-01,s";
    if (line == 6) row = "K4,2024-13-01,s";
    if (line == 7) row = "K5";
    if (line == 30) row = "K1,2024-01-01,t";
    if (line == 41) row = "K8,2024-01-01,u";
    if (line == 5 || line == 6 || line == 7 || line == 30 || line == 41) expected_lines.push_back(line);
    text += row + "\n";
  }
  dir.write("customers.csv", text);
  LoadOptions options;
  std::vector<std::size_t> streamed;
  options.on_reject = [&](const RejectedRow& r) { streamed.push_back(r.line); };
  const auto loaded = load_csv(InputFiles::from_directory(dir.path()), options);
  EXPECT_EQ(streamed, expected_lines);
  ASSERT_EQ(loaded.report.rejects.size(), 5u);
  EXPECT_EQ(loaded.report.rejects[0].reason, "duplicate customer_id (first row wins)");
  EXPECT_EQ(loaded.report.rejects[1].column_name, "acquired_on");
  EXPECT_EQ(loaded.report.rejects[2].reason, "expected 3 fields, found 1");
  EXPECT_EQ(loaded.report.rejects[3].raw, "K1,2024-01-01,t");
  EXPECT_EQ(loaded.report.customers.read, 40u);
  EXPECT_EQ(loaded.base.customer_count(), 35u);
  EXPECT_EQ(loaded.base.acquired_on[0], days_from_civil(2024, 1, 1));  // K0's first row won
  EXPECT_EQ(loaded.base.find_customer("K38"), 34u);                    // the last accepted row (line 40)
  EXPECT_FALSE(loaded.base.find_customer("K3"));                       // its line held the duplicate of K0
  // strict mode stops at the first reject in file order: the duplicate on line 5
  options.strict = true;
  try {
    load_csv(InputFiles::from_directory(dir.path()), options);
    FAIL() << "strict load accepted a duplicate";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("customers.csv:5:1: duplicate customer_id"), std::string::npos) << e.what();
  }
}

// Key comparison by words: every length up to 20, a difference at every position is seen.
TEST(Data, SameTextSeesEveryDifference) {
  for (std::size_t n = 0; n <= 20; ++n) {
    const std::string a(n, 'k');
    EXPECT_TRUE(detail::same_text(a, std::string(n, 'k'))) << n;
    EXPECT_FALSE(detail::same_text(a, std::string(n + 1, 'k'))) << n;
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = 'x';
      EXPECT_FALSE(detail::same_text(a, b)) << n << " at " << i;
    }
  }
}
