// The CSV loader parses every table in blocks on every thread: the base (customer indexes,
// segments, prospects, every column) and the rejects (file, line, column, reason, raw text, in
// file order) are the same for any thread count and block size, and the same as the sequential
// RFC 4180 reader's; a block whose cut falls inside a quoted field hands over to that reader.
#include <rapport/base/data.hpp>
#include <rapport/io/database.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>

#include "base/csv.hpp"
#include "base/record_source.hpp"

#include "io/load.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

using namespace rapport;
using rapport::test::TempDir;

namespace {

/// The pieces joined (GCC 12 warns wrongly about `"literal" + std::string`).
template <class... T>
std::string cat(const T&... pieces) {
  std::string out;
  (out.append(pieces), ...);
  return out;
}
std::string num(std::size_t n) { return std::to_string(n); }

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

/// Every line of `text` passed through `edit(line_number, line, out)`, which appends what the
/// new file holds for it (line numbers of the original, from 1).
template <class Edit>
std::string rewrite_lines(const std::string& text, Edit&& edit) {
  std::string out;
  std::size_t pos = 0, line = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string row = text.substr(pos, nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    edit(++line, row, out);
  }
  return out;
}

/// The customers file of a generated base with every kind of reject sprinkled through it:
/// duplicate keys (of an earlier and of a later row), impossible dates, wrong field counts,
/// empty keys, an ended_on before acquired_on, ended contracts, new segments, blank lines and CRLF
// endings.
std::string messy_customers(const std::string& text) {
  // the generated file has no ended_on column: an empty one is added
  return rewrite_lines(text, [](std::size_t line, const std::string& row, std::string& out) {
    out += row + (line == 1 ? ",ended_on" : ",");
    out += line % 37 == 0 ? "\r\n" : "\n";
    if (line == 1) return;                                                               // the header
    if (line % 41 == 0) out += cat(row.substr(0, row.find(',')), ",2020-01-01,dup,\n");  // duplicate: rejected
    if (line % 43 == 0) out += cat("X", num(line), ",2024-02-30,retail,\n");
    if (line % 47 == 0) out += cat("X", num(line), ",2024-01-01\n");
    if (line % 53 == 0) out += ",2024-01-01,retail,\n";
    if (line % 59 == 0) out += cat("Y", num(line), ",2024-01-05,retail,2024-01-01\n");
    if (line % 61 == 0) out += "\n";
    if (line % 71 == 0) out += cat("E", num(line), ",2023-01-05,retail,2024-01-01\n");
    if (line % 67 == 0) out += cat("Z", num(line), ",2024-01-05,seg", num(line % 5), ",\n");
  });
}

/// The referrals file with self-referrals, empty ids, bad instants and prospects (people who are
/// not customers, some named twice) sprinkled through it.
std::string messy_referrals(const std::string& text) {
  return rewrite_lines(text, [](std::size_t line, const std::string& row, std::string& out) {
    out += row;
    out += line % 31 == 0 ? "\r\n" : "\n";
    if (line == 1) return;
    if (line % 7 == 0) out += cat("P", num(line % 13), ",", row.substr(0, row.find(',')), ",2024-01-01\n");
    if (line % 11 == 0) out += "C00000001,C00000001,2024-01-01\n";
    if (line % 17 == 0) out += ",C00000001,2024-01-01\n";
    if (line % 19 == 0) out += "C00000002,C00000003,2024-13-01\n";
    if (line % 23 == 0) out += "\n";
  });
}

/// A directory holding a generated base whose customers and referrals files are messy_*'s.
void write_messy_base(const TempDir& dir, std::size_t customers) {
  TempDir gen;
  GenerateOptions o;
  o.customers = customers;
  o.seed = 11;
  generate_csv(gen.path(), o);
  dir.write("customers.csv", messy_customers(rapport::test::read_file(gen.file("customers.csv"))));
  dir.write("contacts.csv", rapport::test::read_file(gen.file("contacts.csv")));
  dir.write("purchases.csv", rapport::test::read_file(gen.file("purchases.csv")));
  dir.write("referrals.csv", messy_referrals(rapport::test::read_file(gen.file("referrals.csv"))));
}

/// Expects two loads to give the same base, column by column, and the same report.
void expect_same_load(const LoadResult& x, const LoadResult& y, const std::string& what) {
  const CustomerBase& a = x.base;
  const CustomerBase& b = y.base;
  EXPECT_EQ(a.customer_id, b.customer_id) << what;
  EXPECT_EQ(a.acquired_on, b.acquired_on) << what;
  EXPECT_EQ(a.segment, b.segment) << what;
  EXPECT_EQ(a.segment_names, b.segment_names) << what;
  EXPECT_EQ(a.ended_on, b.ended_on) << what;
  EXPECT_EQ(a.contact_offsets, b.contact_offsets) << what;
  EXPECT_EQ(a.contact_at, b.contact_at) << what;
  EXPECT_EQ(a.contact_channel, b.contact_channel) << what;
  EXPECT_EQ(a.contact_complaint, b.contact_complaint) << what;
  EXPECT_EQ(a.complaint_resolved_at, b.complaint_resolved_at) << what;
  EXPECT_EQ(a.purchase_offsets, b.purchase_offsets) << what;
  EXPECT_EQ(a.purchase_at, b.purchase_at) << what;
  EXPECT_EQ(a.purchase_amount, b.purchase_amount) << what;
  EXPECT_EQ(a.referral_from, b.referral_from) << what;
  EXPECT_EQ(a.referral_to, b.referral_to) << what;
  EXPECT_EQ(a.referral_at, b.referral_at) << what;
  EXPECT_EQ(a.prospect_id, b.prospect_id) << what;
  for (std::size_t c = 0; c < b.customer_count(); c += 7) EXPECT_EQ(b.find_customer(b.customer_id[c]), c) << what;
  const LoadReport& r = x.report;
  const LoadReport& s = y.report;
  for (auto [p, q] : {std::pair{&r.customers, &s.customers}, std::pair{&r.contacts, &s.contacts},
                      std::pair{&r.purchases, &s.purchases}, std::pair{&r.referrals, &s.referrals}}) {
    EXPECT_EQ(p->read, q->read) << what;
    EXPECT_EQ(p->rejected, q->rejected) << what;
  }
  ASSERT_EQ(r.rejects.size(), s.rejects.size()) << what;
  for (std::size_t k = 0; k < r.rejects.size(); ++k) {
    const RejectedRow& u = r.rejects[k];
    const RejectedRow& v = s.rejects[k];
    EXPECT_EQ(cat(u.table, u.file, ":", num(u.line), ":", num(u.column), u.column_name, u.reason, "|", u.raw),
              cat(v.table, v.file, ":", num(v.line), ":", num(v.column), v.column_name, v.reason, "|", v.raw))
        << what << " reject " << k;
  }
}

struct BatchSizes {  // restores the database batch tuning on scope exit
  std::size_t rows = detail::record_batch_rows, part = detail::record_part_min_rows;
  BatchSizes(std::size_t r, std::size_t p) {
    detail::record_batch_rows = r;
    detail::record_part_min_rows = p;
  }
  ~BatchSizes() {
    detail::record_batch_rows = rows;
    detail::record_part_min_rows = part;
  }
};

LoadResult load_with(const std::string& dir, unsigned threads) {
  LoadOptions o;
  o.threads = threads;
  o.max_rejects_kept = 1u << 20;
  return load_csv(InputFiles::from_directory(dir), o);
}

}  // namespace

// Every table on 1, 2, 3 and 7 threads, in blocks small enough that each table spans many
// blocks of several parts, gives the base and the rejects of one thread with the default block
// (each file in one block): keys interned in file order, the first row of a key winning,
// prospects numbered in first-seen order.
TEST(Ingest, EveryTableGivesTheSameBaseOnAnyThreadCount) {
  TempDir dir;
  write_messy_base(dir, 400);
  const LoadResult reference = load_with(dir.path(), 1);
  // the messy rows are there and rejected: after the generated lines 2..401, every 41st line is
  // followed by a duplicate (9 of them), 43rd by a bad date (9), 47th by a short row (8), 53rd by
  // an empty key (7), 59th by an ended_on before acquired_on (6)
  EXPECT_EQ(reference.report.customers.rejected, 39u);
  EXPECT_GT(reference.report.referrals.rejected, 10u);
  EXPECT_FALSE(reference.base.prospect_id.empty());
  EXPECT_GT(reference.base.segment_names.size(), 3u);
  EXPECT_FALSE(reference.base.ended_on.empty());
  for (const auto& [block, part] : {std::pair<std::size_t, std::size_t>{1u << 14, 1u << 10}, {1500, 128}}) {
    BlockSizes sizes(block, part);
    for (unsigned threads : {1u, 2u, 3u, 7u})
      expect_same_load(reference, load_with(dir.path(), threads),
                       cat("block ", num(block), ", ", num(threads), " threads"));
  }
}

// The block path agrees with the sequential RFC 4180 reader: a quoted header sends each table
// whole to that reader, which gives the same base and rejects.
TEST(Ingest, BlocksAgreeWithTheSequentialReader) {
  TempDir dir;
  write_messy_base(dir, 300);
  const LoadResult blocks = [&] {
    BlockSizes sizes(4096, 512);
    return load_with(dir.path(), 3);
  }();
  for (const char* name : {"customers.csv", "contacts.csv", "purchases.csv", "referrals.csv"}) {
    std::string text = rapport::test::read_file(dir.file(name));
    text = cat("\"", text.substr(0, text.find(',')), "\"", text.substr(text.find(',')));  // quote the first column name
    dir.write(name, text);
  }
  expect_same_load(blocks, load_with(dir.path(), 3), "sequential");
}

namespace {
/// Writes `table` with a record whose quoted field holds a newline (and a comma) on line
/// `quoted_line`, other rows plain; returns the file's text.
std::string with_quoted_newline(const std::string& header, std::size_t rows, std::size_t quoted_line,
                                const std::string& quoted_row, const std::function<std::string(std::size_t)>& row) {
  std::string text = cat(header, "\n");
  for (std::size_t line = 2; line < rows + 2; ++line) text += cat(line == quoted_line ? quoted_row : row(line), "\n");
  return text;
}
}  // namespace

// A quoted field holding a newline: wherever the block and part cuts fall (inside the quotes
// included), the record is read whole and the lines after it keep their numbers.
TEST(Ingest, CutsInsideQuotedFieldsOfEveryTable) {
  const auto key = [](std::size_t line) { return cat("K", num(line)); };
  TempDir dir;
  // customers: line 300 holds segment "north,\nwest" (two physical lines), line 340 a duplicate
  dir.write("customers.csv", with_quoted_newline("customer_id,acquired_on,segment", 400, 300,
                                                 "K300,2024-01-02,\"north,\nwest\"", [&](std::size_t line) {
                                                   return line == 340 ? cat(key(5), ",2024-01-01,x")
                                                                      : cat(key(line), ",2024-01-01,s");
                                                 }));
  // purchases: line 250 has a quoted, multi-line customer key (unknown: rejected with its line)
  dir.write("purchases.csv",
            with_quoted_newline("customer_id,at,amount", 400, 250, "\"K2\nK3\",2024-02-01,5",
                                [&](std::size_t line) { return cat(key(2 + line % 300), ",2024-02-01,", num(line)); }));
  // contacts: line 200 has a quoted at holding a newline (unparsable: rejected)
  dir.write("contacts.csv",
            with_quoted_newline(
                "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at", 400, 200,
                "K7,\"2024-03-01\n10:00:00\",visit,welcome,business,technical,1,false,", [&](std::size_t line) {
                  return cat(key(2 + line % 300), ",2024-03-01,visit,welcome,business,technical,1,false,");
                }));
  // referrals: line 100 refers a prospect whose quoted key holds a newline
  dir.write("referrals.csv", with_quoted_newline("referrer_id,referred_id,at", 200, 100,
                                                 "K9,\"new\nperson\",2024-04-01", [&](std::size_t line) {
                                                   return cat(key(2 + line % 300), ",P", num(line % 9), ",2024-04-01");
                                                 }));
  const LoadResult reference = load_with(dir.path(), 1);
  ASSERT_EQ(reference.report.rejects.size(), 3u);
  // the quoted record spans lines 300-301, so the duplicate written as line 340 is on line 341
  EXPECT_EQ(reference.report.rejects[0].table, "customers");
  EXPECT_EQ(reference.report.rejects[0].line, 341u);
  EXPECT_EQ(reference.report.rejects[1].table, "contacts");
  EXPECT_EQ(reference.report.rejects[1].line, 200u);
  EXPECT_EQ(reference.report.rejects[2].table, "purchases");
  EXPECT_EQ(reference.report.rejects[2].line, 250u);
  const auto k300 = reference.base.find_customer("K300");
  ASSERT_TRUE(k300);
  EXPECT_EQ(reference.base.segment_names[reference.base.segment[*k300]], "north,\nwest");
  EXPECT_EQ(reference.base.customer_count(), 399u);
  EXPECT_NE(std::find(reference.base.prospect_id.begin(), reference.base.prospect_id.end(), "new\nperson"),
            reference.base.prospect_id.end());
  // cuts every few dozen bytes: some fall inside each quoted field
  for (std::size_t block : {97u, 128u, 301u, 1024u})
    for (unsigned threads : {2u, 3u, 7u}) {
      BlockSizes sizes(block, 16);
      expect_same_load(reference, load_with(dir.path(), threads),
                       cat("block ", num(block), ", ", num(threads), " threads"));
    }
}

// A database table is read in batches whose rows are settled on every thread and merged in row
// order: on 1, 2, 3 and 7 threads, in batches small enough that each table spans many batches of
// several parts, a SQLite base gives the one-thread load with the default batches column by
// column and reject by reject (typed and text values, accepted and rejected, mixed through it).
TEST(Ingest, DatabaseBatchesGiveTheSameBaseOnAnyThreadCount) {
  TempDir dir;
  write_messy_base(dir, 200);
  const std::string db_path = dir.file("base.db");
  import_csv_to_db(InputFiles::from_directory(dir.path()), "sqlite:" + db_path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  // rejects and typed values sprinkled through contacts and purchases (row numbers = rowids)
  for (const char* sql : {
           "UPDATE contacts SET impression = 5 WHERE rowid % 97 = 0",                           // typed, out of range
           "UPDATE contacts SET customer_id = 'nobody' WHERE rowid % 89 = 0",                   // unknown customer
           "UPDATE contacts SET at = 'soon' WHERE rowid % 83 = 0",                              // unparsable text
           "UPDATE contacts SET at = CAST(strftime('%s', at) AS INTEGER) WHERE rowid % 5 = 0",  // typed instant
           "UPDATE purchases SET amount = -1 WHERE rowid % 31 = 0",                             // typed, negative
           "UPDATE purchases SET amount = 'x' WHERE rowid % 37 = 0",                            // unparsable text
       }) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }
  sqlite3_close(db);
  const auto load = [&](unsigned threads) {
    DbOptions o;
    o.load.threads = threads;
    o.load.max_rejects_kept = 1u << 20;
    return load_db("sqlite:" + db_path, o);
  };
  const LoadResult reference = load(1);
  const auto& rejects = reference.report.rejects;
  ASSERT_GT(reference.base.contact_count(), 3000u);  // 200 customers' contacts: many batches below
  ASSERT_GT(reference.report.contacts.rejected, 30u);
  ASSERT_GT(reference.report.purchases.rejected, 5u);
  // the first contact reject is row 83 (the text `at`), the second row 89 (unknown customer),
  // the third row 97 (impression 5, spelled as the CSV would hold it)
  const auto first = std::find_if(rejects.begin(), rejects.end(), [](const auto& r) { return r.table == "contacts"; });
  ASSERT_GE(rejects.end() - first, 3);
  EXPECT_EQ(cat(num(first[0].line), " ", first[0].column_name), "83 at");
  EXPECT_EQ(cat(num(first[1].line), " ", first[1].reason), "89 unknown customer");
  EXPECT_EQ(cat(num(first[2].line), " ", first[2].column_name, " ", first[2].reason),
            "97 impression impression out of range -2..2");
  EXPECT_NE(first[2].raw.find(",5,"), std::string::npos) << first[2].raw;
  for (const auto& [rows, part] : {std::pair<std::size_t, std::size_t>{1000, 64}, {257, 16}}) {
    BatchSizes sizes(rows, part);
    for (unsigned threads : {1u, 2u, 3u, 7u})
      expect_same_load(reference, load(threads), cat("batch ", num(rows), ", ", num(threads), " threads"));
  }
}
