// The synthetic base: CSV and in-memory generation agree (a load round trip), rows are valid,
// the same seed gives the same base.
#include <rapport/io/generate.hpp>
#include <rapport/io/load.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace rapport;

TEST(Generate, CsvRoundTripEqualsInMemoryBase) {
  rapport::test::TempDir dir;
  GenerateOptions o;
  o.customers = 700;
  o.seed = 99;
  const auto counts = generate_csv(dir.path(), o);
  const auto loaded = load_csv(InputFiles::from_directory(dir.path()));
  EXPECT_EQ(loaded.report.total_rejected(), 0u);
  EXPECT_EQ(loaded.report.contacts.read, counts.contacts);
  const auto mem = generate_base(o);
  const auto& a = loaded.base;
  EXPECT_EQ(a.customer_id, mem.customer_id);
  EXPECT_EQ(a.acquired_on, mem.acquired_on);
  EXPECT_EQ(a.contact_offsets, mem.contact_offsets);
  EXPECT_EQ(a.contact_at, mem.contact_at);
  EXPECT_EQ(a.contact_stage, mem.contact_stage);
  EXPECT_EQ(a.contact_impression, mem.contact_impression);
  EXPECT_EQ(a.complaint_offsets, mem.complaint_offsets);
  EXPECT_EQ(a.complaint_resolved_at, mem.complaint_resolved_at);
  EXPECT_EQ(a.resolved_at_column(), mem.resolved_at_column());
  EXPECT_EQ(a.purchase_at, mem.purchase_at);
  EXPECT_EQ(a.purchase_amount, mem.purchase_amount);  // amounts are whole cents, printed with 2 decimals
  EXPECT_EQ(a.prospect_id, mem.prospect_id);
  EXPECT_EQ(a.referral_from, mem.referral_from);
  EXPECT_EQ(a.referral_at, mem.referral_at);
  EXPECT_GT(a.contact_count(), 5 * a.customer_count());
  EXPECT_GT(a.referral_count(), a.customer_count() / 10);
}

TEST(Generate, SameSeedSameBaseOtherSeedOtherBase) {
  GenerateOptions o;
  o.customers = 200;
  const auto a = generate_base(o);
  const auto b = generate_base(o);
  EXPECT_EQ(a.contact_at, b.contact_at);
  o.seed = 43;
  const auto c = generate_base(o);
  EXPECT_NE(a.contact_at, c.contact_at);
}
