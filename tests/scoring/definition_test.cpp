// The loyalty and referral definitions of docs/metrics.md, written plainly — one function per
// component, one "if" per clause of the definition, no tables, no vector lanes — as the oracle of
// the fast kernel (tally_contacts / tally_purchases / score_customer in src/scoring/score.cpp).
// Every component, evidence count, score, next action and ask flag is compared bit for bit, on
// hand-drawn cases and on generated bases under several configs and thread counts.
//
// Bit for bit is possible because the definitions fix the order of every sum ("sums run over a
// customer's rows in input order") and both sides use the one recency weight w(t)
// (detail::RecencyWeight, src/scoring/recency_weight.hpp). A change to a metric changes this file
// and the kernel together (docs/architecture.md, "changing a metric").
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>

#include "scoring/recency_weight.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

using namespace rapport;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double day_s = 86400.0;

using LoyaltyValues = ComponentArray<LoyaltyComponent, double>;
using ReferralValues = ComponentArray<ReferralComponent, double>;

// One customer, as the definitions see it: T, A, w(t) and the rows before T.
struct Plain {
  const CustomerBase& b;
  const ScoringConfig& cfg;
  std::uint32_t c;
  seconds_t T, A;
  detail::RecencyWeight weight;
  double w(seconds_t t) const { return weight(T - t); }
  Plain(const CustomerBase& base, const ScoringConfig& config, std::uint32_t customer, day_t D)
      : b(base),
        cfg(config),
        c(customer),
        T(midnight(D + 1)),
        A(midnight(base.acquired_on[customer])),
        weight(config.half_life_days * day_s) {}
  // contacts and purchases of the customer, as index ranges
  std::uint64_t contacts_begin() const { return b.contact_offsets[c]; }
  std::uint64_t contacts_end() const { return b.contact_offsets[c + 1]; }
  std::uint64_t purchases_begin() const { return b.purchase_offsets[c]; }
  std::uint64_t purchases_end() const { return b.purchase_offsets[c + 1]; }
  bool before_T(seconds_t at) const { return at < T; }
};

struct Component {
  double value = nan;
  std::uint32_t evidence = 0;
};

// continuity: n = ceil((T − A)/P) periods (at least 1) counted back from T; period k is
// [T − P(k+1), T − Pk); covered when a business-initiated contact lies in it; the share of
// covered periods, period k weighing 2^(−k·period/H). Evidence: the business contacts counted.
Component continuity(const Plain& x) {
  const auto P = static_cast<seconds_t>(std::llround(x.cfg.period_days * day_s));
  const seconds_t n = std::max<seconds_t>(1, (x.T - x.A + P - 1) / P);
  Component out;
  double covered_weight = 0, all_weight = 0;
  for (seconds_t k = 0; k < n; ++k) {
    const double weight = std::exp2(-static_cast<double>(k) * x.cfg.period_days / x.cfg.half_life_days);
    bool covered = false;
    for (auto i = x.contacts_begin(); i < x.contacts_end(); ++i) {
      const seconds_t at = x.b.contact_at[i];
      if (x.b.contact_initiator[i] == Initiator::business && at >= x.T - P * (k + 1) && at < x.T - P * k)
        covered = true;
    }
    if (covered) covered_weight += weight;
    all_weight += weight;
  }
  for (auto i = x.contacts_begin(); i < x.contacts_end(); ++i) {
    const seconds_t at = x.b.contact_at[i];
    if (x.b.contact_initiator[i] == Initiator::business && x.before_T(at) && at >= x.T - P * n) ++out.evidence;
  }
  out.value = covered_weight / all_weight;
  return out;
}

// follow_through: per purchase at s with s + F <= T, 1 when a business-initiated service-stage
// contact has s <= at <= s + F, else 0; weight w(s).
Component follow_through(const Plain& x) {
  const auto F = static_cast<seconds_t>(std::llround(x.cfg.follow_up_days * day_s));
  double followed_weight = 0, all_weight = 0;
  Component out;
  for (auto p = x.purchases_begin(); p < x.purchases_end(); ++p) {
    const seconds_t s = x.b.purchase_at[p];
    if (!x.before_T(s) || s + F > x.T) continue;
    bool followed = false;
    for (auto i = x.contacts_begin(); i < x.contacts_end(); ++i) {
      const seconds_t at = x.b.contact_at[i];
      if (x.before_T(at) && x.b.contact_initiator[i] == Initiator::business && x.b.contact_stage[i] == Stage::service &&
          at >= s && at <= s + F)
        followed = true;
    }
    if (followed) followed_weight += x.w(s);
    all_weight += x.w(s);
    ++out.evidence;
  }
  if (out.evidence) out.value = followed_weight / all_weight;
  return out;
}

// impression: q = P / (P + λN), P = Σ w·impression over positive impressions, N = Σ w·|impression|
// over negative ones (every contact, either initiator).
Component impression(const Plain& x) {
  double positive = 0, negative = 0;
  Component out;
  for (auto i = x.contacts_begin(); i < x.contacts_end(); ++i) {
    const seconds_t at = x.b.contact_at[i];
    const int imp = x.b.contact_impression[i];
    if (!x.before_T(at) || imp == 0) continue;
    if (imp > 0) positive += x.w(at) * imp;
    if (imp < 0) negative += x.w(at) * -imp;
    ++out.evidence;
  }
  if (out.evidence) out.value = positive / (positive + x.cfg.impression_lambda * negative);
  return out;
}

// recovery: per complaint, resolved (resolved_at < T) with delay <= 7 d → 1, later →
// 2^(−(delay − 7)/7); open with age > 7 d → 0; open with age <= 7 d → left out; weight w(at).
struct Recovery {
  Component component;
  bool overdue = false;  // a complaint open past its window
};
Recovery recovery(const Plain& x) {
  double num = 0, den = 0;
  Recovery out;
  for (auto i = x.contacts_begin(); i < x.contacts_end(); ++i) {
    const seconds_t at = x.b.contact_at[i];
    if (!x.before_T(at) || !x.b.contact_complaint[i]) continue;
    const seconds_t resolved = x.b.resolved_at(i);
    const double window = x.cfg.complaint_days;
    if (resolved != no_time && resolved < x.T) {
      const double delay = static_cast<double>(resolved - at) / day_s;
      num += x.w(at) * (delay <= window ? 1.0 : std::exp2(-(delay - window) / window));
      den += x.w(at);
      ++out.component.evidence;
    } else if (static_cast<double>(x.T - at) > window * day_s) {
      den += x.w(at);
      ++out.component.evidence;
      out.overdue = true;
    }
  }
  if (out.component.evidence) out.component.value = num / den;
  return out;
}

// service_ladder: t = weighted share of technical contacts not negative (1 when none), h =
// weighted share of hospitality contacts positive (0 when none), o = a +2 impression within the
// wow window; ladder = (t + [t >= 0.9]·h + [t >= 0.9 ∧ h >= 0.5]·o) / 3.
struct Ladder {
  Component component;
  double t = 1, h = 0;
  bool o = false;
};
Ladder service_ladder(const Plain& x) {
  double t_num = 0, t_den = 0, h_num = 0, h_den = 0;
  Ladder out;
  for (auto i = x.contacts_begin(); i < x.contacts_end(); ++i) {
    const seconds_t at = x.b.contact_at[i];
    if (!x.before_T(at)) continue;
    const int imp = x.b.contact_impression[i];
    const Aspect aspect = x.b.contact_aspect[i];
    if (aspect == Aspect::technical) {
      if (imp >= 0) t_num += x.w(at);
      t_den += x.w(at);
    }
    if (aspect == Aspect::hospitality) {
      if (imp > 0) h_num += x.w(at);
      h_den += x.w(at);
    }
    if (aspect == Aspect::technical || aspect == Aspect::hospitality) ++out.component.evidence;
    if (imp == 2 && static_cast<double>(x.T - at) <= x.cfg.wow_window_days * day_s) out.o = true;
  }
  out.t = t_den > 0 ? t_num / t_den : 1.0;
  out.h = h_den > 0 ? h_num / h_den : 0.0;
  const bool t_ok = out.t >= x.cfg.technical_threshold, h_ok = out.h >= x.cfg.hospitality_threshold;
  if (out.component.evidence)
    out.component.value = (out.t + (t_ok ? out.h : 0.0) + (t_ok && h_ok && out.o ? 1.0 : 0.0)) / 3.0;
  return out;
}

// 100 × the weighted mean of the components with evidence (table order).
template <class E>
double weighted_mean(const ComponentArray<E, double>& values, const ComponentArray<E, double>& weights) {
  double num = 0, den = 0;
  for (std::size_t k = 0; k < component_count; ++k) {
    if (std::isnan(values.values[k])) continue;
    num += weights.values[k] * values.values[k];
    den += weights.values[k];
  }
  return den > 0 ? 100.0 * num / den : nan;
}

// next_action: resolve_complaint when a complaint is open past its window; otherwise the
// evidenced component with the largest weight × (1 − value) (ties: table order), none when every
// gap is 0; the service ladder maps to fix_basics (t < 0.9), add_hospitality (h < 0.5) or create_wow.
std::pair<NextAction, double> next_action(const LoyaltyValues& v, const Ladder& ladder, bool overdue,
                                          const ScoringConfig& cfg) {
  const auto& w = cfg.loyalty_weights;
  if (overdue)
    return {NextAction::resolve_complaint, w[LoyaltyComponent::recovery] * (1.0 - v[LoyaltyComponent::recovery])};
  std::optional<LoyaltyComponent> largest;
  double gap = 0;
  for (const auto k : all_loyalty_components)
    if (!std::isnan(v[k]) && w[k] * (1.0 - v[k]) > gap) {
      gap = w[k] * (1.0 - v[k]);
      largest = k;
    }
  if (!largest) return {NextAction::none, gap};
  switch (*largest) {
    case LoyaltyComponent::continuity:
      return {NextAction::reach_out, gap};
    case LoyaltyComponent::follow_through:
      return {NextAction::follow_up_after_sale, gap};
    case LoyaltyComponent::impression:
      return {NextAction::repair_impression, gap};
    case LoyaltyComponent::recovery:
      return {NextAction::resolve_complaint, gap};
    case LoyaltyComponent::service_ladder:
      break;
  }
  if (ladder.t < cfg.technical_threshold) return {NextAction::fix_basics, gap};
  if (ladder.h < cfg.hospitality_threshold) return {NextAction::add_hospitality, gap};
  return {NextAction::create_wow, gap};
}

// The referral components: advocacy = q; track_record = 1 − e^(−c); chain_reach =
// 1 − e^(−katz/scale); timing = 2^(−d/30), d = days since the latest purchase; tenure =
// min(1, (T − A)/730 d).
ReferralValues referral_components(const Plain& x, const ReferralForest& forest, double q) {
  ReferralValues v{};
  v[ReferralComponent::advocacy] = q;
  v[ReferralComponent::track_record] = 1.0 - std::exp(-forest.track_record_weight[x.c]);
  v[ReferralComponent::chain_reach] = 1.0 - std::exp(-forest.katz[x.c] / x.cfg.chain_reach_scale);
  std::optional<seconds_t> latest;
  for (auto p = x.purchases_begin(); p < x.purchases_end(); ++p)
    if (x.before_T(x.b.purchase_at[p])) latest = std::max(latest.value_or(x.b.purchase_at[p]), x.b.purchase_at[p]);
  v[ReferralComponent::timing] =
      latest ? std::exp2(-(static_cast<double>(x.T - *latest) / day_s) / x.cfg.timing_half_life_days) : nan;
  v[ReferralComponent::tenure] = std::min(1.0, static_cast<double>(x.T - x.A) / (x.cfg.tenure_full_days * day_s));
  return v;
}

// Everything the definitions give one customer.
struct Definition {
  LoyaltyValues loyalty{};
  ComponentArray<LoyaltyComponent, std::uint32_t> evidence{};
  double loyalty_given = nan;
  Ladder ladder;
  bool overdue = false;
  NextAction action = NextAction::none;
  double gap = nan;
  ReferralValues referral{};
  double referral_potential = nan;
  bool ask = false;
};

Definition define(const CustomerBase& b, const ReferralForest& forest, const ScoringConfig& cfg, day_t D,
                  std::uint32_t c) {
  const Plain x(b, cfg, c, D);
  Definition d;
  const Component parts[] = {continuity(x), follow_through(x), impression(x), recovery(x).component,
                             (d.ladder = service_ladder(x)).component};
  for (const auto k : all_loyalty_components) {
    d.loyalty[k] = parts[static_cast<std::size_t>(k)].value;
    d.evidence[k] = parts[static_cast<std::size_t>(k)].evidence;
  }
  d.overdue = recovery(x).overdue;
  d.loyalty_given = weighted_mean(d.loyalty, cfg.loyalty_weights);
  std::tie(d.action, d.gap) = next_action(d.loyalty, d.ladder, d.overdue, cfg);
  const double q = d.loyalty[LoyaltyComponent::impression];
  d.referral = referral_components(x, forest, q);
  d.referral_potential = weighted_mean(d.referral, cfg.referral_weights);
  // the gate: an unhappy customer spreads bad news, not referrals
  if (!std::isnan(q) && q < cfg.advocacy_gate) d.referral_potential *= 2.0 * q;
  const double timing = d.referral[ReferralComponent::timing];
  d.ask = !std::isnan(timing) && !std::isnan(q) && timing >= cfg.ask_timing && q >= cfg.ask_advocacy;
  return d;
}

// Same bits (NaN equals NaN: "no evidence" on both sides).
::testing::AssertionResult same_bits(double kernel, double definition) {
  if ((std::isnan(kernel) && std::isnan(definition)) ||
      std::bit_cast<std::uint64_t>(kernel) == std::bit_cast<std::uint64_t>(definition))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "kernel " << kernel << " vs definition " << definition << " (differ by "
                                       << kernel - definition << ")";
}

// Every row of `result` against the definitions.
void expect_kernel_equals_definition(const CustomerBase& b, const ScoreResult& result, const ScoringConfig& cfg) {
  const Scores& s = result.scores;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const auto c = s.customer[r];
    const Definition d = define(b, result.forest, cfg, result.as_of, c);
    SCOPED_TRACE("customer " + b.customer_id[c]);
    for (const auto k : all_loyalty_components) {
      SCOPED_TRACE(std::string(to_string(k)));
      ASSERT_TRUE(same_bits(s.loyalty[k][r], d.loyalty[k]));
      ASSERT_EQ(s.loyalty_evidence[k][r], d.evidence[k]);
    }
    ASSERT_TRUE(same_bits(s.loyalty_given[r], d.loyalty_given));
    ASSERT_TRUE(same_bits(s.ladder_technical[r], d.ladder.t));
    ASSERT_TRUE(same_bits(s.ladder_hospitality[r], d.ladder.h));
    ASSERT_EQ(s.ladder_wow[r] != 0, d.ladder.o);
    ASSERT_EQ(s.overdue_complaint[r] != 0, d.overdue);
    ASSERT_EQ(s.next_action[r], d.action);
    ASSERT_TRUE(same_bits(s.next_action_gap[r], d.gap));
    for (const auto k : all_referral_components) {
      SCOPED_TRACE(std::string(to_string(k)));
      ASSERT_TRUE(same_bits(s.referral[k][r], d.referral[k]));
    }
    ASSERT_TRUE(same_bits(s.referral_potential[r], d.referral_potential));
    ASSERT_EQ(s.ask_for_referral[r] != 0, d.ask);
  }
}

seconds_t ts(const char* s) { return *parse_timestamp(s); }
day_t day(const char* s) { return *parse_date(s); }

ContactRow contact(const char* at, Initiator who, Stage stage, Aspect aspect, int impression, bool complaint = false,
                   const char* resolved = nullptr) {
  ContactRow r;
  r.at = ts(at);
  r.initiator = who;
  r.stage = stage;
  r.aspect = aspect;
  r.impression = impression;
  r.complaint = complaint;
  r.resolved_at = resolved ? ts(resolved) : no_time;
  return r;
}

constexpr auto B = Initiator::business;
constexpr auto C = Initiator::customer;

}  // namespace

//  as of 2024-03-31 (T = 2024-04-01 00:00), H = 180 d, periods of 30 d counted back from T:
//
//  customer "K" acquired 2023-12-01: T − A = 122 d → n = 5 periods (the oldest begins before A)
//   k=4 [11-03, 12-03)  k=3 [12-03, 01-02)  k=2 [01-02, 02-01)  k=1 [02-01, 03-02)  k=0 [03-02, 04-01)
//        ·                  12-20 B visit        ·                  02-10 C call       03-31 23:59:59 B
//                                                                   (customer: no)     (the last second)
//  covered: k = 0 and k = 3 → continuity = (1 + 2^(−90/180)) / Σ_{k<5} 2^(−30k/180)
//
//  purchase 2024-03-01 12:00 with a business service contact 2024-03-15 12:00 (exactly 14 d later:
//  followed, "at <= s + 14 d"); purchase 2024-03-20 (12 d before T: not eligible).
//  impressions: +2 hospitality 2024-03-15 12:00 (the service contact), −1 technical 2023-12-20
//  complaint 2024-03-20 resolved 2024-03-29 12:00 → delay 9.5 d → 2^(−2.5/7)
TEST(Definition, HandDrawnCustomer) {
  CustomerBaseBuilder bld;
  bld.add_customer("K", day("2023-12-01"), "");
  bld.add_contact("K", contact("2023-12-20", B, Stage::welcome, Aspect::technical, -1));
  bld.add_contact("K", contact("2024-02-10", C, Stage::discovery, Aspect::wow, 0));
  bld.add_contact("K", contact("2024-03-15 12:00:00", B, Stage::service, Aspect::hospitality, 2));
  bld.add_contact("K", contact("2024-03-20", C, Stage::service, Aspect::technical, 0, true, "2024-03-29 12:00:00"));
  bld.add_contact("K", contact("2024-03-31 23:59:59", B, Stage::closing, Aspect::wow, 0));
  bld.add_purchase("K", ts("2024-03-01 12:00:00"), 40.0);
  bld.add_purchase("K", ts("2024-03-20"), 10.0);
  const CustomerBase b = bld.finish();
  ScoringConfig cfg;
  cfg.bgnbd = BgNbdParams{0.5, 30, 0.8, 2.5, 0};
  cfg.gamma_gamma = GammaGammaParams{6, 4, 15, 0};
  const ScoreResult result = score(b, day("2024-03-31"), cfg);
  const Definition d = define(b, result.forest, cfg, result.as_of, 0);

  // the definitions against the hand computation
  const auto w = [](double age_days) { return std::exp2(-age_days / 180.0); };
  double all = 0;
  for (int k = 0; k < 5; ++k) all += w(30.0 * k);
  EXPECT_NEAR(d.loyalty[LoyaltyComponent::continuity], (1 + w(90)) / all, 1e-15);
  EXPECT_EQ(d.evidence[LoyaltyComponent::continuity], 3u);
  EXPECT_DOUBLE_EQ(d.loyalty[LoyaltyComponent::follow_through], 1.0);
  EXPECT_EQ(d.evidence[LoyaltyComponent::follow_through], 1u);
  const double P = 2 * w(16.5), N = 1 * w(103);
  EXPECT_NEAR(d.loyalty[LoyaltyComponent::impression], P / (P + 2 * N), 1e-14);
  EXPECT_NEAR(d.loyalty[LoyaltyComponent::recovery], std::exp2(-2.5 / 7), 1e-14);
  // t: one technical contact, negative, and the complaint (technical, 0): (w(12)) / (w(103) + w(12))
  EXPECT_NEAR(d.ladder.t, w(12) / (w(103) + w(12)), 1e-14);
  EXPECT_DOUBLE_EQ(d.ladder.h, 1.0);
  EXPECT_TRUE(d.ladder.o);
  EXPECT_NEAR(d.loyalty[LoyaltyComponent::service_ladder], d.ladder.t / 3, 1e-15);  // t < 0.9: h and o do not count
  // gaps: continuity 0.30·(1 − 0.424) = 0.173 > impression 0.20·(1 − 0.582) = 0.084 > ladder
  // 0.10·(1 − 0.196) = 0.080 > recovery 0.15·(1 − 0.781) = 0.033
  EXPECT_EQ(d.action, NextAction::reach_out);
  EXPECT_NEAR(d.gap, 0.30 * (1 - (1 + w(90)) / all), 1e-15);
  EXPECT_NEAR(d.referral[ReferralComponent::timing], std::exp2(-12.0 / 30), 1e-15);
  EXPECT_NEAR(d.referral[ReferralComponent::tenure], 122.0 / 730, 1e-15);

  // and the kernel against the definitions, bit for bit
  expect_kernel_equals_definition(b, result, cfg);
}

//  Edge cases of the definitions, one customer each (as of 2024-03-31):
//  "open"   : a complaint 2024-03-20, still open, 12 d old → recovery 0, resolve_complaint first
//  "fresh"  : a complaint 2024-03-28, open 4 d → left out (no evidence), no purchase → timing empty
//  "future" : everything after T (2024-04-01 00:00:00 exactly) → only continuity and tenure
//  "gate"   : impressions −2 and +1 → q = w·1 / (w·1 + 2·w'·2) < 0.5, R gated by 2q
TEST(Definition, HandDrawnEdgeCases) {
  CustomerBaseBuilder bld;
  for (const char* id : {"open", "fresh", "future", "gate"}) bld.add_customer(id, day("2023-01-01"), "s");
  bld.add_contact("open", contact("2024-03-20", C, Stage::service, Aspect::technical, -1, true));
  bld.add_contact("fresh", contact("2024-03-28", C, Stage::service, Aspect::hospitality, 1, true));
  bld.add_contact("future", contact("2024-04-01", B, Stage::welcome, Aspect::technical, 2));
  bld.add_purchase("future", ts("2024-04-01"), 5.0);
  bld.add_contact("gate", contact("2024-03-01", B, Stage::presentation, Aspect::hospitality, -2));
  bld.add_contact("gate", contact("2024-03-10", B, Stage::closing, Aspect::hospitality, 1));
  bld.add_purchase("gate", ts("2024-03-10"), 5.0);
  const CustomerBase b = bld.finish();
  ScoringConfig cfg;
  cfg.bgnbd = BgNbdParams{0.5, 30, 0.8, 2.5, 0};
  cfg.gamma_gamma = GammaGammaParams{6, 4, 15, 0};
  const ScoreResult result = score(b, day("2024-03-31"), cfg);
  const auto def = [&](std::uint32_t c) { return define(b, result.forest, cfg, result.as_of, c); };

  const Definition open = def(0);
  EXPECT_EQ(open.loyalty[LoyaltyComponent::recovery], 0.0);
  EXPECT_TRUE(open.overdue);
  EXPECT_EQ(open.action, NextAction::resolve_complaint);
  const Definition fresh = def(1);
  EXPECT_TRUE(std::isnan(fresh.loyalty[LoyaltyComponent::recovery]));
  EXPECT_TRUE(std::isnan(fresh.referral[ReferralComponent::timing]));
  const Definition future = def(2);
  EXPECT_EQ(future.loyalty[LoyaltyComponent::continuity], 0.0);
  EXPECT_TRUE(std::isnan(future.loyalty[LoyaltyComponent::impression]));
  EXPECT_TRUE(std::isnan(future.loyalty[LoyaltyComponent::follow_through]));
  EXPECT_TRUE(std::isnan(future.loyalty[LoyaltyComponent::service_ladder]));
  const Definition gate = def(3);
  const double q = gate.loyalty[LoyaltyComponent::impression];
  const double w1 = std::exp2(-21.0 / 180), w2 = std::exp2(-30.0 / 180);
  EXPECT_NEAR(q, w1 / (w1 + 2 * 2 * w2), 1e-15);
  ASSERT_LT(q, 0.5);
  EXPECT_NEAR(gate.referral_potential, weighted_mean(gate.referral, cfg.referral_weights) * 2 * q, 1e-12);

  expect_kernel_equals_definition(b, result, cfg);
}

// Generated bases (purchases, contacts across every stage, complaints, referral trees), under the
// default config and under configs that move every threshold and window, on one and two threads.
TEST(Definition, KernelEqualsDefinitionOnGeneratedBases) {
  for (const std::uint64_t seed : {7u, 2024u}) {
    GenerateOptions g;
    g.customers = 1500;
    g.seed = seed;
    const CustomerBase b = generate_base(g);
    ScoringConfig moved;
    moved.half_life_days = 90;
    moved.period_days = 7;
    moved.follow_up_days = 3.5;
    moved.complaint_days = 2;
    moved.impression_lambda = 3;
    moved.technical_threshold = 0.6;
    moved.hospitality_threshold = 0.2;
    moved.wow_window_days = 30;
    moved.timing_half_life_days = 10;
    moved.tenure_full_days = 100;
    moved.advocacy_gate = 0.8;
    for (ScoringConfig cfg : {ScoringConfig{}, moved}) {
      cfg.bgnbd = BgNbdParams{0.5, 30, 0.8, 2.5, 0};
      cfg.gamma_gamma = GammaGammaParams{6, 4, 15, 0};
      for (const unsigned threads : {1u, 2u}) {
        cfg.threads = threads;
        SCOPED_TRACE("seed " + std::to_string(seed) + ", threads " + std::to_string(threads) + ", half-life " +
                     std::to_string(cfg.half_life_days));
        const ScoreResult result = score(b, std::nullopt, cfg);
        ASSERT_GT(result.scores.size(), 1000u);
        expect_kernel_equals_definition(b, result, cfg);
        // and at an earlier as-of, where many rows lie after T
        const ScoreResult earlier = score(b, *b.default_as_of() - 400, cfg);
        expect_kernel_equals_definition(b, earlier, cfg);
      }
    }
  }
}
