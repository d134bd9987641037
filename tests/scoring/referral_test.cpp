// The acquisition forest: earliest converted edge (ties by referrer key), cycles broken at the
// latest (at, referred_id) edge, prospects as roots, katz reach, distinct direct referrals.
#include <rapport/scoring/referral.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace rapport;

namespace {
seconds_t ts(const char* s) { return *parse_timestamp(s); }
day_t day(const char* s) { return *parse_date(s); }
std::uint32_t person(const CustomerBase& b, const std::string& id) {
  for (std::uint32_t i = 0; i < b.person_count(); ++i)
    if (b.person(i) == id) return i;
  ADD_FAILURE() << "no person " << id;
  return 0;
}
}  // namespace

//   as of 2024-12-31 (T = 2025-01-01T00:00)
//
//        P (prospect)              X (not a customer)       G ◀──────────┐  I→G (06-03) is the
//        │ 2023-12-20                │ 2024-01-15 (loses      │ 06-01      │  latest edge of the
//        ▼                           ▼  the tie to A)         ▼            │  cycle G→H→I→G, so it
//        A ──────────────┐           B                        H ──▶ I ─────┘  is dropped: G is a root
//        │ 01-15         │ 03-10 (ties C→D; "A" < "C")          06-02  06-03
//        ▼               ▼
//        B               D
//        │ 02-20
//        ▼
//        C ──▶ D (03-10, loses the tie)
//
//   A→E (06-01) does not convert (E was acquired 05-01, before the referral); A→P2 is a prospect;
//   A→B again on 08-01 is a repeated edge; B→F: F is acquired after D (not scored); B→E on
//   2025-02-01 is after T and ignored.
TEST(Referral, ForestWithTiesCyclesAndProspects) {
  CustomerBaseBuilder bld;
  for (auto [id, acq] : {std::pair{"A", "2024-01-01"},
                         {"B", "2024-02-01"},
                         {"C", "2024-03-01"},
                         {"D", "2024-04-01"},
                         {"E", "2024-05-01"},
                         {"F", "2025-01-01"},
                         {"G", "2024-06-10"},
                         {"H", "2024-06-10"},
                         {"I", "2024-06-10"}})
    ASSERT_EQ(bld.add_customer(id, day(acq), ""), "");
  const std::tuple<const char*, const char*, const char*> edges[] = {
      {"P", "A", "2023-12-20"}, {"X", "B", "2024-01-15"}, {"A", "B", "2024-01-15"},  {"B", "C", "2024-02-20"},
      {"C", "D", "2024-03-10"}, {"A", "D", "2024-03-10"}, {"G", "H", "2024-06-01"},  {"H", "I", "2024-06-02"},
      {"I", "G", "2024-06-03"}, {"A", "E", "2024-06-01"}, {"A", "P2", "2024-07-01"}, {"A", "B", "2024-08-01"},
      {"B", "F", "2024-11-01"}, {"B", "E", "2025-02-01"}};
  for (auto [from, to, at] : edges) ASSERT_EQ(bld.add_referral(from, to, ts(at)), "");
  const auto base = bld.finish();
  const auto f = build_referral_forest(base, day("2024-12-31"));
  const auto p = [&](const char* id) { return person(base, id); };
  const auto parent_id = [&](const char* id) {
    const auto v = f.parent[p(id)];
    return v == no_index ? std::string("-") : base.person(v);
  };
  EXPECT_EQ(parent_id("A"), "P");
  EXPECT_EQ(parent_id("B"), "A");
  EXPECT_EQ(parent_id("C"), "B");
  EXPECT_EQ(parent_id("D"), "A");
  EXPECT_EQ(parent_id("E"), "-");
  EXPECT_EQ(parent_id("F"), "-");
  EXPECT_EQ(parent_id("G"), "-");
  EXPECT_EQ(parent_id("H"), "G");
  EXPECT_EQ(parent_id("I"), "H");
  ASSERT_EQ(f.dropped_edges.size(), 1u);
  EXPECT_EQ(base.person(base.referral_from[f.dropped_edges[0]]), "I");

  EXPECT_EQ(f.generation[p("A")], 1u);
  EXPECT_EQ(f.generation[p("C")], 3u);
  EXPECT_EQ(f.generation[p("I")], 2u);
  for (const char* id : {"A", "B", "C", "D"}) EXPECT_EQ(base.person(f.root[p(id)]), "P") << id;
  EXPECT_EQ(base.person(f.root[p("I")]), "G");
  EXPECT_EQ(base.person(f.root[p("E")]), "E");

  EXPECT_EQ(f.direct_referrals[p("A")], 4u);  // B, D, E, P2
  EXPECT_EQ(f.direct_referrals[p("B")], 2u);  // C, F (E is after T)
  EXPECT_EQ(f.converted_referrals[p("A")], 2u);
  EXPECT_EQ(f.converted_referrals[p("C")], 0u);
  EXPECT_EQ(f.tree_size[p("A")], 4u);
  EXPECT_EQ(f.tree_size[p("P")], 5u);
  EXPECT_EQ(f.tree_size[p("G")], 3u);
  EXPECT_DOUBLE_EQ(f.katz[p("A")], 2.5);  // B, D at β^0; C at β^1
  EXPECT_DOUBLE_EQ(f.katz[p("P")], 1 + 0.5 * 2.5);
  EXPECT_DOUBLE_EQ(f.katz[p("G")], 1.5);
  EXPECT_DOUBLE_EQ(f.katz[p("C")], 0.0);
  const double T = static_cast<double>(ts("2025-01-01"));
  const auto w = [&](const char* at) { return std::exp2(-(T - static_cast<double>(ts(at))) / (180.0 * 86400)); };
  EXPECT_NEAR(f.track_record_weight[p("A")], w("2024-01-15") + w("2024-03-10"), 1e-15);
  // scored customers per generation: E, G | A, H | B, D, I | C
  EXPECT_EQ(f.depth_histogram, (std::vector<std::uint32_t>{2, 2, 3, 1}));
}

TEST(Referral, AsOfDateHidesLaterEdgesAndCustomers) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-01-01"), "");
  bld.add_customer("B", day("2024-03-01"), "");
  bld.add_referral("A", "B", ts("2024-02-15T12:00:00"));
  const auto base = bld.finish();
  // as of 2024-02-15 the edge exists (at < T) but B is not yet scored: no conversion
  auto f = build_referral_forest(base, day("2024-02-15"));
  EXPECT_EQ(f.parent[1], no_index);
  EXPECT_EQ(f.direct_referrals[0], 1u);
  // as of 2024-02-14 the edge is after T
  f = build_referral_forest(base, day("2024-02-14"));
  EXPECT_EQ(f.direct_referrals[0], 0u);
  f = build_referral_forest(base, day("2024-03-01"));
  EXPECT_EQ(f.parent[1], 0u);
}

TEST(Referral, ConversionNeedsAcquisitionOnOrAfterTheReferralDate) {
  CustomerBaseBuilder bld;
  bld.add_customer("A", day("2024-01-01"), "");
  bld.add_customer("B", day("2024-03-01"), "");
  bld.add_referral("A", "B", ts("2024-03-01T23:59:59"));  // same UTC date: converts
  bld.add_referral("Z", "B", ts("2024-03-02T00:00:00"));  // the day after: does not
  const auto base = bld.finish();
  const auto f = build_referral_forest(base, day("2024-12-31"));
  EXPECT_EQ(f.parent[1], 0u);
  EXPECT_EQ(f.converted_referrals[2], 0u);
}

TEST(Referral, TwoCycleDropsLaterEdgeByReferredIdOnEqualTimes) {
  // K ⇄ L, both edges at the same instant: the edge into the larger referred_id ("L") is dropped.
  CustomerBaseBuilder bld;
  bld.add_customer("K", day("2024-05-01"), "");
  bld.add_customer("L", day("2024-05-01"), "");
  bld.add_referral("K", "L", ts("2024-04-01"));
  bld.add_referral("L", "K", ts("2024-04-01"));
  const auto base = bld.finish();
  const auto f = build_referral_forest(base, day("2024-12-31"));
  EXPECT_EQ(f.parent[0], 1u);  // K's parent is L
  EXPECT_EQ(f.parent[1], no_index);
  EXPECT_EQ(f.generation[0], 1u);
  EXPECT_EQ(f.root[0], 1u);
}

TEST(Referral, LongChainIsLinearAndExact) {
  // C0 → C1 → … → C(n-1): katz of C0 = Σ_{k<n-1} β^k, tree size n
  const int n = 200000;
  CustomerBaseBuilder bld;
  for (int i = 0; i < n; ++i)
    bld.add_customer(std::string("C").append(std::to_string(i)), day("2024-01-01") + i % 100, "");
  for (int i = 1; i < n; ++i)
    bld.add_referral(std::string("C").append(std::to_string(i - 1)), std::string("C").append(std::to_string(i)),
                     ts("2023-12-01"));
  const auto base = bld.finish();
  const auto f = build_referral_forest(base, day("2024-12-31"));
  EXPECT_EQ(f.tree_size[0], static_cast<std::uint32_t>(n));
  EXPECT_EQ(f.generation[n - 1], static_cast<std::uint32_t>(n - 1));
  EXPECT_NEAR(f.katz[0], 2.0, 1e-12);
}
