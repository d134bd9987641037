// score_partition: the same per-customer scoring as score(), with referral results given.
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

using namespace rapport;

namespace {

// The base without its referral rows (and so without prospects): what one partition holds.
CustomerBase without_referrals(const CustomerBase& base) {
  CustomerBase part = base;
  part.prospect_id.clear();
  part.referral_from.clear();
  part.referral_to.clear();
  part.referral_at.clear();
  return part;
}

// The whole base's forest, cut to its customers (person index = customer index), roots unknown.
ReferralForest customers_only(ReferralForest f, std::size_t n) {
  for (auto* v : {&f.root, &f.generation, &f.tree_size, &f.direct_referrals, &f.converted_referrals}) v->resize(n);
  f.katz.resize(n);
  f.track_record_weight.resize(n);
  std::fill(f.root.begin(), f.root.end(), no_index);
  return f;
}

bool same(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

}  // namespace

// One partition holding the whole base, scored with the whole base's forest and fitted
// parameters, gives every column of score() bit for bit (the referral rows are not in it: only
// the given results can have supplied track_record and chain_reach).
TEST(ScorePartition, WholeBaseAsOnePartitionEqualsScore) {
  const auto base = generate_base({.customers = 1500, .seed = 21});
  const ScoringConfig config;
  const ScoreResult one = score(base, std::nullopt, config);
  ASSERT_TRUE(one.value_known());
  ScoringConfig given = config;
  given.bgnbd = one.bgnbd;
  given.gamma_gamma = one.gamma_gamma;
  const auto part = without_referrals(base);
  const ScoreResult p = score_partition(part, one.as_of, given, customers_only(one.forest, base.customer_count()));

  ASSERT_EQ(p.scores.size(), one.scores.size());
  const Scores &a = one.scores, &b = p.scores;
  std::size_t with_track_record = 0;
  for (std::size_t r = 0; r < a.size(); ++r) {
    ASSERT_EQ(a.customer[r], b.customer[r]);
    EXPECT_TRUE(same(a.loyalty_given[r], b.loyalty_given[r])) << r;
    EXPECT_TRUE(same(a.referral_potential[r], b.referral_potential[r])) << r;
    EXPECT_TRUE(same(a.expected_value[r], b.expected_value[r])) << r;
    EXPECT_TRUE(same(a.upserve_score[r], b.upserve_score[r])) << r;
    for (const auto k : all_referral_components) EXPECT_TRUE(same(a.referral[k][r], b.referral[k][r])) << r;
    EXPECT_EQ(a.next_action[r], b.next_action[r]);
    if (a.referral[ReferralComponent::track_record][r] > 0) ++with_track_record;
  }
  EXPECT_GT(with_track_record, 10u);  // the given forest really was used
}

// Referral results sized for other customers, or a partition carrying referral rows, are refused.
TEST(ScorePartition, RefusesMisSizedResultsAndReferralRows) {
  const auto base = generate_base({.customers = 200, .seed = 3});
  const ReferralForest forest = build_referral_forest(base, *base.default_as_of());
  const auto day = *base.default_as_of();
  EXPECT_THROW(score_partition(without_referrals(base), day, {}, customers_only(forest, 199)), InputError);
  ASSERT_GT(base.referral_count(), 0u);
  EXPECT_THROW(score_partition(base, day, {}, customers_only(forest, base.customer_count())), InputError);
}
