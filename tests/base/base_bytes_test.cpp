// A customer base and its load report as bytes and back (src/base/base_bytes.hpp): every column,
// count and kept reject the same, the key index rebuilt; malformed bytes refused with a reason.
#include <rapport/base/data.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>

#include "base/base_bytes.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace rapport;
using rapport::test::TempDir;

namespace {

void expect_same_base(const CustomerBase& a, const CustomerBase& b) {
  EXPECT_EQ(a.customer_id, b.customer_id);
  EXPECT_EQ(a.acquired_on, b.acquired_on);
  EXPECT_EQ(a.segment, b.segment);
  EXPECT_EQ(a.segment_names, b.segment_names);
  EXPECT_EQ(a.ended_on, b.ended_on);
  EXPECT_EQ(a.contact_offsets, b.contact_offsets);
  EXPECT_EQ(a.contact_at, b.contact_at);
  EXPECT_EQ(a.contact_channel, b.contact_channel);
  EXPECT_EQ(a.contact_stage, b.contact_stage);
  EXPECT_EQ(a.contact_initiator, b.contact_initiator);
  EXPECT_EQ(a.contact_aspect, b.contact_aspect);
  EXPECT_EQ(a.contact_impression, b.contact_impression);
  EXPECT_EQ(a.contact_complaint, b.contact_complaint);
  EXPECT_EQ(a.complaint_offsets, b.complaint_offsets);
  EXPECT_EQ(a.complaint_resolved_at, b.complaint_resolved_at);
  EXPECT_EQ(a.purchase_offsets, b.purchase_offsets);
  EXPECT_EQ(a.purchase_at, b.purchase_at);
  EXPECT_EQ(a.purchase_amount, b.purchase_amount);
  EXPECT_EQ(a.prospect_id, b.prospect_id);
  EXPECT_EQ(a.referral_from, b.referral_from);
  EXPECT_EQ(a.referral_to, b.referral_to);
  EXPECT_EQ(a.referral_at, b.referral_at);
  for (std::uint32_t c = 0; c < a.customer_count(); ++c) EXPECT_EQ(b.find_customer(a.customer_id[c]), c);
}

void expect_same_report(const LoadReport& a, const LoadReport& b) {
  for (auto [x, y] : {std::pair{&a.customers, &b.customers}, std::pair{&a.contacts, &b.contacts},
                      std::pair{&a.purchases, &b.purchases}, std::pair{&a.referrals, &b.referrals}}) {
    EXPECT_EQ(x->read, y->read);
    EXPECT_EQ(x->rejected, y->rejected);
    EXPECT_EQ(x->pending, y->pending);
  }
  EXPECT_EQ(a.rejects_not_kept, b.rejects_not_kept);
  ASSERT_EQ(a.rejects.size(), b.rejects.size());
  for (std::size_t i = 0; i < a.rejects.size(); ++i) {
    const auto &x = a.rejects[i], &y = b.rejects[i];
    EXPECT_EQ(std::tie(x.table, x.file, x.line, x.column, x.column_name, x.reason, x.raw),
              std::tie(y.table, y.file, y.line, y.column, y.column_name, y.reason, y.raw));
  }
}

// Every kind of column: segments (one empty), an ended contract, a resolved and an open complaint,
// purchases, a referral to a customer and one to a prospect; two rejected rows (the report).
LoadResult small_base(const TempDir& dir) {
  dir.write("customers.csv",
            "customer_id,acquired_on,segment,ended_on\n"
            "A,2024-01-10,retail,\n"                                    // customer 0
            "B,2024-01-11,,2024-06-01\n"                                // customer 1: ended, no segment
            "C,2024-02-30,retail,\n"                                    // rejected: impossible date
            "a-much-longer-key-than-fifteen,2024-01-12,wholesale,\n");  // customer 2 (a heap string)
  dir.write("contacts.csv",
            "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
            "A,2024-03-01T10:00:00Z,visit,welcome,business,technical,1,false,\n"
            "B,2024-03-02,phone,service,customer,hospitality,-2,true,2024-03-04\n"
            "A,2024-03-05,email,closing,business,wow,0,true,\n"
            "Z,2024-03-05,email,closing,business,wow,0,false,\n");  // rejected: unknown customer
  dir.write("purchases.csv", "customer_id,at,amount\nA,2024-03-01,10.50\nB,2024-03-02,0\nA,2024-04-01,3.25\n");
  dir.write("referrals.csv", "referrer_id,referred_id,at\nA,B,2024-01-05\nB,prospect-1,2024-02-05\n");
  return load_csv(InputFiles::from_directory(dir.path()));
}

}  // namespace

TEST(BaseBytes, RoundTripKeepsEveryColumnAndTheReport) {
  TempDir dir;
  const auto in = small_base(dir);
  ASSERT_EQ(in.base.customer_count(), 3u);  // A, B, the long key; C rejected
  ASSERT_EQ(in.base.contact_count(), 3u);
  ASSERT_EQ(in.base.prospect_id, std::vector<std::string>{"prospect-1"});
  ASSERT_EQ(in.report.rejects.size(), 2u);
  const auto out = detail::base_from_bytes(detail::base_to_bytes(in.base, in.report));
  expect_same_base(in.base, out.base);
  expect_same_report(in.report, out.report);
  EXPECT_EQ(out.base.find_customer("C"), std::nullopt);
  EXPECT_EQ(out.base.default_as_of(), in.base.default_as_of());
}

TEST(BaseBytes, RoundTripOfAGeneratedBase) {
  GenerateOptions o;
  o.customers = 2000;
  const CustomerBase in = generate_base(o);
  LoadReport rep;
  rep.customers.read = 2001;
  rep.customers.rejected = 1;
  rep.rejects_not_kept = 1;
  const auto out = detail::base_from_bytes(detail::base_to_bytes(in, rep));
  expect_same_base(in, out.base);
  expect_same_report(rep, out.report);
  // the bytes are the columns' elements: no more than the memory the base holds
  EXPECT_LE(detail::base_to_bytes(in, rep).size(), detail::base_memory_bytes(in, rep));
  EXPECT_GT(detail::base_memory_bytes(in, rep), 15 * in.contact_count() + 16 * in.purchase_count());
}

TEST(BaseBytes, EmptyBase) {
  const auto out = detail::base_from_bytes(detail::base_to_bytes(CustomerBase{}, LoadReport{}));
  EXPECT_EQ(out.base.customer_count(), 0u);
  EXPECT_EQ(out.base.contact_offsets, std::vector<std::uint64_t>{0});
}

TEST(BaseBytes, MalformedBytesAreRefusedWithAReason) {
  TempDir dir;
  const auto in = small_base(dir);
  const std::string bytes = detail::base_to_bytes(in.base, in.report);
  // every truncation, the wrong tag and a trailing byte: an InputError, never a crash
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(detail::base_from_bytes(std::string_view(bytes).substr(0, n)), InputError) << n;
  try {
    detail::base_from_bytes(std::string_view(bytes).substr(0, bytes.size() - 1));
    FAIL();
  } catch (const InputError& e) {
    // the last text's length says one byte more than is left: refused at the count
    EXPECT_NE(std::string(e.what()).find("customer base bytes: truncated (a count of "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(reject raw)"), std::string::npos) << e.what();
  }
  std::string wrong = bytes;
  wrong[0] = 'X';
  EXPECT_THROW(detail::base_from_bytes(wrong), InputError);
  EXPECT_THROW(detail::base_from_bytes(bytes + "x"), InputError);
  // a duplicate key, and columns that break the base's rules (an offset past its rows)
  CustomerBase dup = in.base;
  dup.customer_id[2] = dup.customer_id[0];  // customer 2 is in no referral
  try {
    detail::base_from_bytes(detail::base_to_bytes(dup, in.report));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "customer base bytes: customer 'A' twice");
  }
  CustomerBase bad = in.base;
  bad.contact_offsets.back() += 1;
  EXPECT_THROW(detail::base_from_bytes(detail::base_to_bytes(bad, in.report)), InputError);
  CustomerBase seg = in.base;
  seg.segment[0] = 7;
  EXPECT_THROW(detail::base_from_bytes(detail::base_to_bytes(seg, in.report)), InputError);
}

namespace {

/// The message of the InputError that base_from_bytes raises on `bytes` (a test failure if none).
std::string refusal(std::string_view bytes) {
  try {
    detail::base_from_bytes(bytes);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

/// `bytes` with the 8-byte word at `at` set to `v`.
std::string with_word(std::string bytes, std::size_t at, std::uint64_t v) {
  std::memcpy(bytes.data() + at, &v, sizeof v);
  return bytes;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// small_base's contacts by customer, and where each complaint's resolution is held:
//   customer 0 (A): contact 0 visit, contact 1 email complaint   -> resolution 0
//   customer 1 (B): contact 2 phone complaint                    -> resolution 1
//   customer 2:     none
// complaint_offsets [0, 1, 2, 2]. Offsets that give a customer a resolution of another one's are
// refused both ways, even though they rise from 0 to the two complaints.
TEST(BaseBytes, ComplaintOffsetsMustMatchEachCustomersComplaints) {
  TempDir dir;
  const auto in = small_base(dir);
  ASSERT_EQ(in.base.contact_complaint, (std::vector<std::uint8_t>{0, 1, 1}));
  ASSERT_EQ(in.base.complaint_offsets, (std::vector<std::uint64_t>{0, 1, 2, 2}));
  // [0, 0, 2, 2]: customer 0 holds no resolution but has a complaint (was accepted: customer 0
  // read customer 1's resolution, and customer 1 read it again)
  CustomerBase more = in.base;
  more.complaint_offsets = {0, 0, 2, 2};
  EXPECT_EQ(refusal(detail::base_to_bytes(more, in.report)),
            "customer base: customer 0: more complaints than its complaint offsets hold");
  // [0, 2, 2, 2]: customer 0 holds two resolutions for its one complaint (was read past the end:
  // customer 1 started at resolution 2 of 2)
  CustomerBase fewer = in.base;
  fewer.complaint_offsets = {0, 2, 2, 2};
  EXPECT_EQ(refusal(detail::base_to_bytes(fewer, in.report)),
            "customer base: customer 0: fewer complaints than its complaint offsets hold");
  // the flags moved instead, the offsets kept: [0, 1, 0] (customer 0 two complaints, 1 none)
  CustomerBase flags = in.base;
  flags.contact_complaint = {1, 1, 0};
  EXPECT_EQ(refusal(detail::base_to_bytes(flags, in.report)),
            "customer base: customer 0: more complaints than its complaint offsets hold");
  // only A's email a complaint, one resolution: offsets [0, 1, 1, 1] are right and read back;
  // [0, 0, 0, 1] give it to customer 2, who has no contacts
  flags.contact_complaint = {0, 1, 0};
  flags.complaint_resolved_at.resize(1);
  flags.complaint_offsets = {0, 1, 1, 1};
  EXPECT_EQ(detail::base_from_bytes(detail::base_to_bytes(flags, in.report)).base.complaint_offsets,
            flags.complaint_offsets);
  flags.complaint_offsets = {0, 0, 0, 1};
  EXPECT_EQ(refusal(detail::base_to_bytes(flags, in.report)),
            "customer base: customer 0: more complaints than its complaint offsets hold");
  // offsets that do not end at the complaints' count fail before any customer is walked
  flags.complaint_offsets = {0, 1, 1, 2};
  EXPECT_TRUE(has(refusal(detail::base_to_bytes(flags, in.report)), "complaint offsets do not match"));
}

// An empty base's bytes are the tag and then 8-byte words: each column's count (three offset
// columns with their one 0), 12 table counts, rejects_not_kept, and last the rejects' count.
TEST(BaseBytes, CorruptCountsAreRefusedBeforeAnyAllocation) {
  const std::string bytes = detail::base_to_bytes(CustomerBase{}, LoadReport{});
  constexpr std::size_t columns = 22, offset_values = 3, report_words = 12 + 1;
  ASSERT_EQ(bytes.size(), 8 + 8 * (columns + offset_values + report_words + 1));
  const std::size_t rejects_at = bytes.size() - 8;
  // every column word set to a huge count or value: refused (the report's counts may be anything)
  for (std::size_t at = 8; at < 8 + 8 * (columns + offset_values); at += 8)
    for (const std::uint64_t v :
         {std::uint64_t{1} << 32, std::uint64_t{1} << 63, std::numeric_limits<std::uint64_t>::max()})
      EXPECT_THROW(detail::base_from_bytes(with_word(bytes, at, v)), InputError) << at << " " << v;
  // the first count (customer_id's): one key's length would need 8 bytes more than are left
  EXPECT_EQ(refusal(with_word(bytes, 8, std::uint64_t{1} << 60)),
            "customer base bytes: truncated (a count of 1152921504606846976, " + std::to_string(bytes.size() - 16) +
                " bytes left) at byte 16 (customer_id)");
  // a reject is at least 56 bytes (five lengths, line, column): a count of the input's size, which
  // the bound by the input's size let through (to allocate 176 bytes per reject before failing),
  // is refused at the count with nothing left to read
  const std::string huge = with_word(bytes, rejects_at, bytes.size());
  EXPECT_EQ(refusal(huge), "customer base bytes: truncated (a count of " + std::to_string(bytes.size()) +
                               ", 0 bytes left) at byte " + std::to_string(bytes.size()) + " (rejects)");
  EXPECT_TRUE(has(refusal(with_word(bytes, rejects_at, std::numeric_limits<std::uint64_t>::max())), "(rejects)"));
  // one reject's 56 bytes short by one: refused at the count too; exactly 56 bytes of it: read
  LoadReport one;
  one.rejects.resize(1);
  const std::string kept = detail::base_to_bytes(CustomerBase{}, one);
  ASSERT_EQ(kept.size(), bytes.size() + 56);
  EXPECT_EQ(detail::base_from_bytes(kept).report.rejects.size(), 1u);
  EXPECT_TRUE(has(refusal(std::string_view(kept).substr(0, kept.size() - 1)), "a count of 1, 55 bytes left"));
  // a text's strings longer together than the bytes left: refused before a string is made
  CustomerBase named;
  named.segment_names = {"abc", "de"};
  const std::string seg = detail::base_to_bytes(named, LoadReport{});
  // tag, customer_id 0, acquired_on 0, segment 0, then segment_names: count 2 at 32, lengths at 40, 48
  EXPECT_TRUE(has(refusal(with_word(seg, 48, seg.size())), "truncated (the strings' lengths pass the bytes left)"));
}
