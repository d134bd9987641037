#include <rapport/scoring/score.hpp>

#include "base/rows.hpp"
#include "scoring/ranks.hpp"
#include "scoring/recency_weight.hpp"
#include "scoring/score_steps.hpp"
#include "util/parallel.hpp"
#include "value/value_detail.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <future>
#include <initializer_list>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <tuple>

namespace rapport {

std::string_view to_string(NextAction a) noexcept {
  static constexpr std::string_view names[] = {"none",
                                               "reach_out",
                                               "follow_up_after_sale",
                                               "repair_impression",
                                               "resolve_complaint",
                                               "fix_basics",
                                               "add_hospitality",
                                               "create_wow"};
  return names[static_cast<int>(a)];
}

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double day_s = static_cast<double>(seconds_per_day);
using detail::RecencyWeight;

// n / d for 32-bit n and a fixed d >= 2 by one multiplication (Lemire, Kaser & Kurz 2019, "Faster
// remainder by direct computation": M = floor((2^64 − 1) / d) + 1 makes ⌊M·n / 2^64⌋ = ⌊n / d⌋ for
// every 32-bit n), instead of a hardware division per contact.
class Divide32 {
public:
  explicit Divide32(std::uint32_t d) noexcept : m_(~std::uint64_t{0} / std::max<std::uint32_t>(d, 2) + 1) {}
  std::uint32_t operator()(std::uint32_t n) const noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint32_t>((static_cast<u128>(m_) * n) >> 64);
  }

private:
  std::uint64_t m_;
};

// A setting in days as whole seconds (continuity's period, follow-through's window).
seconds_t whole_seconds(double days) { return static_cast<seconds_t>(std::llround(days * day_s)); }

// One scoring thread's constants of the run and its buffers, reused customer after customer.
struct Scratch {
  explicit Scratch(const ScoringConfig& cfg)
      : period(whole_seconds(cfg.period_days)),
        period_div(static_cast<std::uint32_t>(std::min<seconds_t>(period, 0xFFFFFFFFLL))),
        follow_up(whole_seconds(cfg.follow_up_days)) {}
  seconds_t period;     // continuity's period P in seconds
  Divide32 period_div;  // n / P for 32-bit n
  seconds_t follow_up;  // follow-through's window F in seconds
  const RecencyWeight* weight = nullptr;
  const std::vector<double>* period_weight = nullptr;  // 2^(-k·period/H), k = 0, 1, …
  const std::vector<double>* period_total = nullptr;   // prefix sums of period_weight, in k order
  std::vector<std::uint64_t> covered;                  // bitset of covered periods
  std::vector<seconds_t> service_times;                // the first service_count are this customer's
  std::size_t service_count = 0;
  std::vector<std::pair<day_t, double>> days;
};

using LoyaltyValues = ComponentArray<LoyaltyComponent, double>;
using ReferralValues = ComponentArray<ReferralComponent, double>;

// One customer's scoring context: the customer, T, A and the recency weight.
struct Customer {
  const CustomerBase& b;
  const ScoringConfig& cfg;
  std::uint32_t c;
  day_t D;
  seconds_t T;
  seconds_t A;
  const RecencyWeight& weight;
  double w(seconds_t t) const { return weight(T - t); }
};

// What one pass over a customer's contacts before T found.
struct ContactTally {
  seconds_t periods = 1;  // continuity periods
  std::uint32_t continuity_n = 0;
  double imp_pos = 0, imp_neg = 0;
  std::uint32_t imp_n = 0;
  double rec_num = 0, rec_den = 0;
  std::uint32_t rec_n = 0;
  bool overdue = false;
  double t_num = 0, t_den = 0, h_num = 0, h_den = 0;
  std::uint32_t ladder_n = 0;
  bool wow = false;
};

// x when `keep`, else +0 (adding it to a sum changes nothing): a mask, not a branch.
double keep_if(bool keep, double x) noexcept {
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) & -std::uint64_t{keep});
}

// Two doubles, added and multiplied lane by lane (one SSE2 instruction for two sums).
using Pair = double __attribute__((vector_size(16)));

// What one contact of impression imp (−2..2) and aspect adds per unit of its recency weight wt:
// every sum of the pass is sum += wt · coefficient, where the coefficient is the contact's term
// over wt (imp, −imp or 1) or 0. wt · 1 = wt and wt · imp are exact as written in the definition,
// and wt · 0 = +0 adds nothing, so the sums are those of the "if"s, term by term.
struct ContactClass {
  Pair impression{};   // (imp_pos, imp_neg): (imp, 0) for imp > 0, (0, −imp) for imp < 0
  Pair technical{};    // (t_den, t_num): (1, imp >= 0) for a technical contact
  Pair hospitality{};  // (h_den, h_num): (1, imp > 0) for a hospitality contact
  std::uint32_t impression_n = 0, ladder_n = 0;
  bool wow_impression = false;  // imp == 2
};

// The classes of impressions −2..2 (rows) by aspect (technical, hospitality, wow, any other).
const std::array<ContactClass, 20>& contact_classes() {
  static const auto table = [] {
    std::array<ContactClass, 20> t{};
    for (int imp = -2; imp <= 2; ++imp)
      for (int aspect = 0; aspect < 4; ++aspect) {
        ContactClass& k = t[static_cast<std::size_t>((imp + 2) * 4 + aspect)];
        const bool technical = aspect == static_cast<int>(Aspect::technical);
        const bool hospitality = aspect == static_cast<int>(Aspect::hospitality);
        k.impression = Pair{imp > 0 ? static_cast<double>(imp) : 0.0, imp < 0 ? static_cast<double>(-imp) : 0.0};
        k.technical = Pair{technical ? 1.0 : 0.0, technical && imp >= 0 ? 1.0 : 0.0};
        k.hospitality = Pair{hospitality ? 1.0 : 0.0, hospitality && imp > 0 ? 1.0 : 0.0};
        k.impression_n = imp != 0;
        k.ladder_n = technical || hospitality;
        k.wow_impression = imp == 2;
      }
    return t;
  }();
  return table;
}

// Continuity coverage (into scratch.covered), impressions, complaints, the service ladder and the
// business-initiated service contacts (into scratch.service_times) in one pass over the contacts.
// The pass is branch-free but for complaints (rare) and contacts at or after T: each sum adds
// its term or an exact zero, so every sum takes the same terms in the same order as the
// definition's "if" would, without a mispredicted branch per contact.
ContactTally tally_contacts(const Customer& x, Scratch& scratch) {
  const auto& b = x.b;
  const auto& cfg = x.cfg;
  const seconds_t T = x.T;
  ContactTally t;  // a local (returned by copy) so that its sums stay in registers
  const seconds_t P = scratch.period;
  t.periods = std::max<seconds_t>(1, (T - x.A + P - 1) / P);
  scratch.covered.assign(static_cast<std::size_t>((t.periods + 63) / 64), 0);
  const seconds_t window = t.periods * P;
  const bool small_window = window <= 0xFFFFFFFFLL;
  const auto first = b.contact_offsets[x.c], end = b.contact_offsets[x.c + 1];
  if (scratch.service_times.size() < end - first) scratch.service_times.resize(end - first);
  // plain pointers, read once: the compiler then knows the stores into the scratch arrays leave
  // the columns (and the sums) alone
  std::uint64_t* const covered = scratch.covered.data();
  seconds_t* const service = scratch.service_times.data();
  const seconds_t* const at_of = b.contact_at.data();
  const std::uint8_t* const complaint_of = b.contact_complaint.data();
  const Initiator* const initiator_of = b.contact_initiator.data();
  const Stage* const stage_of = b.contact_stage.data();
  const std::int8_t* const impression_of = b.contact_impression.data();
  const Aspect* const aspect_of = b.contact_aspect.data();
  const seconds_t* resolved = b.complaint_resolved_at.data() + b.complaint_offsets[x.c];
  std::size_t services = 0;
  const double complaint_s = cfg.complaint_days * day_s, wow_s = cfg.wow_window_days * day_s;
  const auto& classes = contact_classes();
  Pair impression{}, technical{}, hospitality{};  // (imp_pos, imp_neg), (t_den, t_num), (h_den, h_num)
  for (auto k = first; k < end; ++k) {
    const seconds_t at = at_of[k];
    const bool complaint = complaint_of[k] != 0;
    const seconds_t res = complaint ? *resolved++ : no_time;
    if (at >= T) continue;
    const bool business = initiator_of[k] == Initiator::business;
    const seconds_t since = T - at - 1;  // >= 0
    const bool counted = business & (since < window);
    const std::size_t back =
        (small_window ? scratch.period_div(static_cast<std::uint32_t>(since)) : static_cast<std::size_t>(since / P)) &
        -std::size_t{counted};
    covered[back >> 6] |= std::uint64_t{counted} << (back & 63);
    t.continuity_n += counted;
    service[services] = at;
    services += business & (stage_of[k] == Stage::service);

    const int imp = impression_of[k];
    const double wt = x.w(at);
    const Pair weight{wt, wt};
    const unsigned aspect = std::min<unsigned>(static_cast<unsigned>(aspect_of[k]), 3);
    if (static_cast<unsigned>(imp + 2) <= 4) [[likely]] {
      const ContactClass& kind = classes[static_cast<unsigned>(imp + 2) * 4 + aspect];
      impression += weight * kind.impression;
      technical += weight * kind.technical;
      hospitality += weight * kind.hospitality;
      t.imp_n += kind.impression_n;
      t.ladder_n += kind.ladder_n;
      t.wow |= kind.wow_impression & (static_cast<double>(T - at) <= wow_s);
    } else {  // an impression outside −2..2 (possible only in a base built by hand)
      const ContactClass& kind = classes[(imp > 0 ? 4u : 0u) * 4 + aspect];
      impression += Pair{wt * imp, -(wt * imp)} * Pair{imp > 0 ? 1.0 : 0.0, imp < 0 ? 1.0 : 0.0};
      technical += weight * kind.technical;
      hospitality += weight * kind.hospitality;
      ++t.imp_n;
      t.ladder_n += kind.ladder_n;
    }
    if (complaint) {
      if (res != no_time && res < T) {
        const double delay = static_cast<double>(res - at) / day_s;
        const double v =
            delay <= cfg.complaint_days ? 1.0 : std::exp2(-(delay - cfg.complaint_days) / cfg.complaint_days);
        t.rec_num += wt * v;
        t.rec_den += wt;
        ++t.rec_n;
      } else if (static_cast<double>(T - at) > complaint_s) {
        t.rec_den += wt;
        ++t.rec_n;
        t.overdue = true;
      }
    }
  }
  scratch.service_count = services;
  t.imp_pos = impression[0];
  t.imp_neg = impression[1];
  t.t_den = technical[0];
  t.t_num = technical[1];
  t.h_den = hospitality[0];
  t.h_num = hospitality[1];
  return ContactTally(t);
}

// Recency-weighted share of covered periods (covered periods summed in ascending k).
double continuity_value(const ContactTally& t, const Scratch& scratch) {
  double num = 0;
  const auto& pw = *scratch.period_weight;
  const auto& covered = scratch.covered;
  for (std::size_t word = 0; word < covered.size(); ++word)
    for (std::uint64_t bits = covered[word]; bits; bits &= bits - 1)
      num += pw[word * 64 + static_cast<std::size_t>(std::countr_zero(bits))];
  return num / (*scratch.period_total)[static_cast<std::size_t>(t.periods)];
}

// std::lower_bound(s.begin(), s.end(), at) on sorted times, as a branch-free binary search (the
// comparison selects the half by a conditional move, not a jump the CPU would mispredict).
std::span<seconds_t>::iterator first_not_before(std::span<seconds_t> s, seconds_t at) noexcept {
  std::size_t lo = 0;
  for (std::size_t n = s.size(); n > 1;) {
    const std::size_t half = n / 2;
    lo += half & -std::size_t{s[lo + half - 1] < at};
    n -= half;
  }
  return s.begin() + static_cast<std::ptrdiff_t>(lo + (lo < s.size() && s[lo] < at));
}

// What one pass over a customer's purchases before T found.
struct PurchaseTally {
  double ft_num = 0, ft_den = 0;
  std::uint32_t ft_n = 0;
  std::uint32_t purchases = 0;
  seconds_t latest = no_time;
};

// The purchases of customer c before T (each_purchase_before): each one's (day, amount) appended
// to `days` (cleared first; what record_rfm reads), then each(its time). For scoring
// (tally_purchases) and for the inputs alone (value_input_columns); purchase_days walks the same
// purchases for the distinct days (value_models.cpp).
template <class Each>
void purchases_before(const CustomerBase& b, std::uint32_t c, seconds_t T, std::vector<std::pair<day_t, double>>& days,
                      Each&& each) {
  days.clear();
  detail::each_purchase_before(b, c, T, [&](seconds_t at, double amount) {
    days.emplace_back(day_of(at), amount);
    each(at);
  });
}

// Follow-through per eligible purchase, the latest purchase, and the purchase days (into
// scratch.days) for the value models.
PurchaseTally tally_purchases(const Customer& x, Scratch& scratch) {
  const auto service = std::span(scratch.service_times).first(scratch.service_count);
  if (!std::is_sorted(service.begin(), service.end())) std::sort(service.begin(), service.end());
  const seconds_t F = scratch.follow_up;
  PurchaseTally p;
  purchases_before(x.b, x.c, x.T, scratch.days, [&](seconds_t at) {
    ++p.purchases;
    p.latest = std::max(p.latest, at);
    if (at + F <= x.T) {
      const auto it = first_not_before(service, at);
      const bool followed = it != service.end() && *it <= at + F;
      const double wt = x.w(at);
      p.ft_den += wt;
      p.ft_num += keep_if(followed, wt);
      ++p.ft_n;
    }
  });
  return p;
}

// The service ladder's rungs.
struct Ladder {
  double t = 1, h = 0;
  bool t_ok = false, h_ok = false;
};

Ladder ladder_of(const ContactTally& t, const ScoringConfig& cfg) {
  Ladder l;
  l.t = t.t_den > 0 ? t.t_num / t.t_den : 1.0;
  l.h = t.h_den > 0 ? t.h_num / t.h_den : 0.0;
  l.t_ok = l.t >= cfg.technical_threshold;
  l.h_ok = l.h >= cfg.hospitality_threshold;
  return l;
}

// 100 × the weighted mean of the evidenced components (table order); NaN when none has weight.
template <class E>
double weighted_score(const ComponentArray<E, double>& values, const ComponentArray<E, double>& weights) {
  double num = 0, den = 0;
  for (std::size_t k = 0; k < component_count; ++k) {
    if (std::isnan(values.values[k])) continue;
    num += weights.values[k] * values.values[k];
    den += weights.values[k];
  }
  return den > 0 ? 100.0 * num / den : nan;
}

// resolve_complaint for an overdue complaint, else the evidenced component with the largest
// weighted gap (ties: table order), with the gap that chose it.
std::pair<NextAction, double> next_action_of(const LoyaltyValues& lv, const Ladder& ladder, bool overdue,
                                             const LoyaltyWeights& weights) {
  double best_gap = 0;
  std::optional<LoyaltyComponent> best;
  for (const auto k : all_loyalty_components) {
    if (std::isnan(lv[k])) continue;
    const double gap = weights[k] * (1.0 - lv[k]);
    if (gap > best_gap) {
      best_gap = gap;
      best = k;
    }
  }
  if (overdue)
    return {NextAction::resolve_complaint,
            weights[LoyaltyComponent::recovery] * (1.0 - lv[LoyaltyComponent::recovery])};
  if (!best) return {NextAction::none, best_gap};
  switch (*best) {
    case LoyaltyComponent::continuity:
      return {NextAction::reach_out, best_gap};
    case LoyaltyComponent::follow_through:
      return {NextAction::follow_up_after_sale, best_gap};
    case LoyaltyComponent::impression:
      return {NextAction::repair_impression, best_gap};
    case LoyaltyComponent::recovery:
      return {NextAction::resolve_complaint, best_gap};
    case LoyaltyComponent::service_ladder:
      break;
  }
  return {!ladder.t_ok ? NextAction::fix_basics : (!ladder.h_ok ? NextAction::add_hospitality : NextAction::create_wow),
          best_gap};
}

// Frequency x, recency t_x, age T and mean repeat spend from the purchase days (NaN without any).
void record_rfm(std::vector<std::pair<day_t, double>>& days, day_t D, Scores& s, std::size_t r) {
  if (days.empty()) {
    s.frequency[r] = s.recency[r] = s.age[r] = s.monetary[r] = nan;
    return;
  }
  const auto by_day = [](const auto& a, const auto& bb) { return a.first < bb.first; };
  if (!std::is_sorted(days.begin(), days.end(), by_day)) std::stable_sort(days.begin(), days.end(), by_day);
  std::size_t distinct = 0;
  double repeat_sum = 0;
  day_t prev = days.front().first;
  for (const auto& [d, amount] : days) {
    if (distinct == 0 || d != prev) {
      ++distinct;
      prev = d;
    }
    if (d != days.front().first) repeat_sum += amount;
  }
  const double x = static_cast<double>(distinct - 1);
  s.frequency[r] = x;
  s.recency[r] = static_cast<double>(days.back().first - days.front().first);
  s.age[r] = static_cast<double>(D - days.front().first);
  s.monetary[r] = distinct > 1 ? repeat_sum / x : nan;
}

ReferralValues referral_values_of(const Customer& x, const ReferralForest& forest, double q, const PurchaseTally& p) {
  ReferralValues rv{};
  rv[ReferralComponent::advocacy] = q;
  rv[ReferralComponent::track_record] = 1.0 - std::exp(-forest.track_record_weight[x.c]);
  rv[ReferralComponent::chain_reach] = 1.0 - std::exp(-forest.katz[x.c] / x.cfg.chain_reach_scale);
  rv[ReferralComponent::timing] =
      p.purchases ? std::exp2(-(static_cast<double>(x.T - p.latest) / day_s) / x.cfg.timing_half_life_days) : nan;
  rv[ReferralComponent::tenure] = std::min(1.0, static_cast<double>(x.T - x.A) / (x.cfg.tenure_full_days * day_s));
  return rv;
}

// Scores one customer (row r, customer c) into `s` — everything but value at stake and percentiles.
// Without a forest (the first pass of score_to, which needs loyalty given and the value models'
// inputs only) the referral columns are left as they are.
void score_customer(const CustomerBase& b, const ReferralForest* forest, const ScoringConfig& cfg, day_t D,
                    std::size_t r, std::uint32_t c, Scores& s, Scratch& scratch) {
  const Customer x{b, cfg, c, D, midnight(D + 1), midnight(b.acquired_on[c]), *scratch.weight};
  const ContactTally ct = tally_contacts(x, scratch);
  const PurchaseTally pt = tally_purchases(x, scratch);
  const Ladder ladder = ladder_of(ct, cfg);

  LoyaltyValues lv{};
  lv[LoyaltyComponent::continuity] = continuity_value(ct, scratch);
  lv[LoyaltyComponent::follow_through] = pt.ft_n ? pt.ft_num / pt.ft_den : nan;
  const double q = ct.imp_n ? ct.imp_pos / (ct.imp_pos + cfg.impression_lambda * ct.imp_neg) : nan;
  lv[LoyaltyComponent::impression] = q;
  lv[LoyaltyComponent::recovery] = ct.rec_n ? ct.rec_num / ct.rec_den : nan;
  lv[LoyaltyComponent::service_ladder] =
      ct.ladder_n
          ? (ladder.t + (ladder.t_ok ? ladder.h : 0.0) + (ladder.t_ok && ladder.h_ok && ct.wow ? 1.0 : 0.0)) / 3.0
          : nan;
  const ComponentArray<LoyaltyComponent, std::uint32_t> evidence{ct.continuity_n, pt.ft_n, ct.imp_n, ct.rec_n,
                                                                 ct.ladder_n};
  s.loyalty_given[r] = weighted_score(lv, cfg.loyalty_weights);
  for (const auto k : all_loyalty_components) {
    s.loyalty[k][r] = lv[k];
    s.loyalty_evidence[k][r] = evidence[k];
  }
  s.ladder_technical[r] = ladder.t;
  s.ladder_hospitality[r] = ladder.h;
  s.ladder_wow[r] = ct.wow ? 1 : 0;
  s.overdue_complaint[r] = ct.overdue ? 1 : 0;

  std::tie(s.next_action[r], s.next_action_gap[r]) = next_action_of(lv, ladder, ct.overdue, cfg.loyalty_weights);
  record_rfm(scratch.days, D, s, r);
  if (!forest) return;

  const ReferralValues rv = referral_values_of(x, *forest, q, pt);
  s.purchases_counted[r] = pt.purchases;
  for (const auto k : all_referral_components) s.referral[k][r] = rv[k];
  double R = weighted_score(rv, cfg.referral_weights);
  if (!std::isnan(q) && q < cfg.advocacy_gate) R *= 2.0 * q;
  s.referral_potential[r] = R;
  const double timing = rv[ReferralComponent::timing];
  s.ask_for_referral[r] =
      (!std::isnan(timing) && !std::isnan(q) && timing >= cfg.ask_timing && q >= cfg.ask_advocacy) ? 1 : 0;
}

// Sizes every result column: the columns are independent, so they are allocated and first
// touched in parallel, on every thread (transparent huge pages, tried through madvise, made this
// about 4× slower on the project's machine: the kernel compacts memory to find them).
void resize_scores(Scores& s, std::size_t n, unsigned threads) {
  std::vector<std::vector<double>*> d{&s.loyalty_given,   &s.ladder_technical,  &s.ladder_hospitality,
                                      &s.frequency,       &s.recency,           &s.age,
                                      &s.monetary,        &s.p_alive,           &s.expected_purchases,
                                      &s.expected_value,  &s.upserve_value,     &s.upserve_score,
                                      &s.next_action_gap, &s.referral_potential};
  for (auto& v : s.loyalty) d.push_back(&v);
  for (auto& v : s.referral) d.push_back(&v);
  std::vector<std::vector<std::uint32_t>*> u{&s.customer};
  for (auto& v : s.loyalty_evidence) u.push_back(&v);
  u.push_back(&s.purchases_counted);
  detail::parallel_for_dynamic(d.size() + u.size() + 1, threads, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t k = lo; k < hi; ++k) {
      if (k < d.size()) {
        d[k]->resize(n);
      } else if (k < d.size() + u.size()) {
        u[k - d.size()]->resize(n);
      } else {
        s.ladder_wow.resize(n);
        s.overdue_complaint.resize(n);
        s.next_action.resize(n);
        s.ask_for_referral.resize(n);
      }
    }
  });
}

// Continuity's period weights, shared by all customers: 2^(-k·period/H) and their running sums
// in k order, for as many periods as the longest-tenured scored customer spans.
void period_weights(const CustomerBase& base, const std::vector<std::uint32_t>& rows, day_t D,
                    const ScoringConfig& config, std::vector<double>& weight, std::vector<double>& total) {
  const seconds_t period_s = whole_seconds(config.period_days);
  seconds_t max_span = 0;
  for (auto c : rows) max_span = std::max(max_span, midnight(D + 1) - midnight(base.acquired_on[c]));
  const auto max_periods = static_cast<std::size_t>(std::max<seconds_t>(1, (max_span + period_s - 1) / period_s));
  weight.assign(max_periods, 0.0);
  total.assign(max_periods + 1, 0.0);
  for (std::size_t k = 0; k < max_periods; ++k) {
    weight[k] = std::exp2(-static_cast<double>(k) * config.period_days / config.half_life_days);
    total[k + 1] = total[k] + weight[k];
  }
}

// What every row of a run shares: continuity's period weights (over every scored customer) and
// the recency weight.
struct RowTables {
  RowTables(const CustomerBase& base, const std::vector<std::uint32_t>& rows, day_t D, const ScoringConfig& config)
      : weight(std::make_unique<RecencyWeight>(config.half_life_days * day_s)) {
    period_weights(base, rows, D, config, period_weight, period_total);
  }
  std::vector<double> period_weight, period_total;
  std::unique_ptr<RecencyWeight> weight;
};

// Everything but value at stake for rows[first, first + n) into rows 0..n-1 of `into` (sized),
// on `threads` threads; progress counts the rows of the whole run.
void score_range(const CustomerBase& base, const std::vector<std::uint32_t>& rows, std::size_t first, std::size_t n,
                 const RowTables& tables, const ReferralForest* forest, const ScoringConfig& config, day_t D,
                 unsigned threads, const ProgressFn& progress, Scores& into) {
  const std::size_t total = rows.size();
  std::atomic<std::size_t> done{first};
  detail::parallel_for_dynamic(n, threads, 2048, [&](std::size_t lo, std::size_t hi) {
    Scratch scratch(config);
    scratch.weight = tables.weight.get();
    scratch.period_weight = &tables.period_weight;
    scratch.period_total = &tables.period_total;
    for (std::size_t r = lo; r < hi; ++r) score_customer(base, forest, config, D, r, rows[first + r], into, scratch);
    if (progress) progress(done.fetch_add(hi - lo) + (hi - lo), total);
  });
}

// Everything but value at stake, for every row, on `threads` threads.
void score_rows(const CustomerBase& base, const std::vector<std::uint32_t>& rows, const ScoringConfig& config,
                unsigned threads, const ProgressFn& progress, ScoreResult& out) {
  const RowTables tables(base, rows, out.as_of, config);
  score_range(base, rows, 0, rows.size(), tables, &out.forest, config, out.as_of, threads, progress, out.scores);
}

// One value model: the given parameters, or fit() — whose FitError leaves the model unavailable
// (params zeroed, `error` saying why) instead of failing the run.
template <class P, class Fit>
void take_or_fit(const std::optional<P>& given, Fit&& fit, const std::string& what, const char* key, P& params,
                 bool& fitted, std::string& error) {
  if (given) {
    params = *given;
    return;
  }
  try {
    params = fit();
    fitted = true;
  } catch (const FitError& e) {
    params = {};
    error = what + " failed: " + e.what() + " (pass fixed parameters with the config's \"" + key +
            "\" to score value at stake anyway)";
  }
}

// Columns `from` at the `count` rows where `enters(s, r)`, gathered in one pass at their exact size
// and handed to fit(spans...). When every row enters, the columns themselves are handed over
// (the same values in the same order, without a copy of them).
template <class Enters, class Fit, class... Columns>
auto fit_on_rows(const Scores& s, std::size_t count, Enters enters, Fit&& fit, const Columns&... from) {
  if (count == s.size()) return fit(std::span<const double>(from)...);
  std::array<std::vector<double>, sizeof...(Columns)> out;
  for (auto& column : out) column.reserve(count);
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (!enters(s, r)) continue;
    std::size_t k = 0;
    ((out[k++].push_back(from[r])), ...);
  }
  return std::apply([&](const auto&... in) { return fit(std::span<const double>(in)...); }, out);
}

// Takes the given model parameters or fits them over the scored customers; a model that cannot
// be fitted is recorded as unavailable (its error message in out.*_error), not thrown.
void fit_value_models(const ScoringConfig& config, ScoreResult& out) {
  const Scores& s = out.scores;
  std::size_t bgnbd_customers = 0, gamma_gamma_customers = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    bgnbd_customers += detail::bgnbd_input(s, r);
    gamma_gamma_customers += detail::gamma_gamma_input(s, r);
  }
  out.bgnbd_customers = bgnbd_customers;
  out.gamma_gamma_customers = gamma_gamma_customers;
  // a model's inputs are gathered only to fit it, and let go before the next fit; another purchase
  // model than BG/NBD is fitted by score_value_models (value_models.cpp)
  if (config.value_model == ValueModelSetting::bgnbd)
    take_or_fit(
        config.bgnbd,
        [&] {
          return fit_on_rows(
              s, bgnbd_customers, detail::bgnbd_input,
              [&](auto x, auto t_x, auto T) { return fit_bgnbd(x, t_x, T, config.fit); }, s.frequency, s.recency,
              s.age);
        },
        "BG/NBD fit over " + std::to_string(bgnbd_customers) + " scored customers with purchases", "bgnbd", out.bgnbd,
        out.bgnbd_fitted, out.bgnbd_error);
  take_or_fit(
      config.gamma_gamma,
      [&] {
        return fit_on_rows(
            s, gamma_gamma_customers, detail::gamma_gamma_input,
            [&](auto x, auto m) { return fit_gamma_gamma(x, m, config.fit); }, s.frequency, s.monetary);
      },
      "Gamma-Gamma fit over " + std::to_string(gamma_gamma_customers) + " repeat buyers", "gamma_gamma",
      out.gamma_gamma, out.gamma_gamma_fitted, out.gamma_gamma_error);
}

// Value at stake a double cannot hold (model parameters, given or fitted, extreme enough that
// expected purchases × expected spend, or a total of it over the base, overflows) is unknown, with
// the reason, as when a model cannot be fitted (docs/metrics.md): never an inf or a NaN in a
// column or a total while the run says value at stake is known.
// The running totals are carried in `sums` from batch to batch (`first`: the batch's first row).
struct ValueTotals {
  double ev = 0, uv = 0;
};
void check_value_overflow(ScoreResult& out, std::size_t first, ValueTotals& sums) {
  if (!out.value_known()) return;
  Scores& s = out.scores;
  double& ev = sums.ev;
  double& uv = sums.uv;
  for (std::size_t r = 0; r < s.size(); ++r) {
    ev += s.expected_value[r];
    uv += s.upserve_value[r];
    if (std::isfinite(s.expected_value[r]) && std::isfinite(s.upserve_value[r]) && std::isfinite(ev) &&
        std::isfinite(uv))
      continue;
    const bool total = std::isfinite(s.expected_value[r]) && std::isfinite(s.upserve_value[r]);
    const auto g = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", std::isnan(v) ? std::numeric_limits<double>::quiet_NaN() : v);
      return std::string(buf);
    };
    out.gamma_gamma_error =
        "value at stake overflows: " +
        (total ? std::string("the total of expected_value over the base exceeds the largest double")
               : "scored row " + std::to_string(first + r) + " has expected_purchases " + g(s.expected_purchases[r]) +
                     " and expected_value " + g(s.expected_value[r])) +
        " (the value models' parameters give values a double cannot hold); expected_value, upserve_value and "
        "upserve_score are left empty";
    std::fill(s.expected_value.begin(), s.expected_value.end(), nan);
    std::fill(s.upserve_value.begin(), s.upserve_value.end(), nan);
    return;
  }
}

// p_alive, expected purchases, expected value and up-serve value per row: NaN where the model
// they need is unavailable (a customer without purchases has expected value 0 when it is known).
// The BG/NBD predictions come in one batch (detail::predict_bgnbd: the per-customer functions'
// bits, with their shared terms computed once). Each row's values depend on that row alone.
void compute_value_columns(const ScoringConfig& config, unsigned threads, ScoreResult& out) {
  Scores& s = out.scores;
  const bool with_bgnbd = out.bgnbd_error.empty(), with_value = out.value_known();
  if (with_bgnbd)
    detail::predict_bgnbd(out.bgnbd, config.horizon_days, s.frequency.data(), s.recency.data(), s.age.data(),
                          s.p_alive.data(), s.expected_purchases.data(), s.size(), threads);
  detail::parallel_for_dynamic(s.size(), threads, 2048, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      const double x = s.frequency[r];
      if (std::isnan(x) || !with_bgnbd) s.p_alive[r] = s.expected_purchases[r] = nan;
      if (!with_value) {
        s.expected_value[r] = s.upserve_value[r] = nan;
        continue;
      }
      if (std::isnan(x)) {
        s.expected_value[r] = 0;
      } else {
        const double spend = gamma_gamma_expected_spend(out.gamma_gamma, x, x >= 1 ? s.monetary[r] : 0.0);
        s.expected_value[r] = s.expected_purchases[r] * spend;
      }
      s.upserve_value[r] = s.expected_value[r] * (1.0 - s.loyalty_given[r] / 100.0);
    }
  });
}

// The value columns of every row of out.scores, checked for overflow over the whole of them.
void fill_value_columns(const ScoringConfig& config, unsigned threads, ScoreResult& out) {
  compute_value_columns(config, threads, out);
  ValueTotals sums;
  check_value_overflow(out, 0, sums);
}

// Mid-rank percentile of upserve_value: 100 × (#less + (#equal − 1)/2) / (n − 1), 50 when n = 1;
// NaN for every row when value at stake is unknown.
void rank_upserve(unsigned threads, bool value_known, Scores& s) {
  if (!value_known) {
    std::fill(s.upserve_score.begin(), s.upserve_score.end(), nan);
    return;
  }
  detail::mid_ranks(s.upserve_value, s.upserve_score, threads);
}

}  // namespace

namespace {

// The start of every run: the config and the base checked, the as-of date (into out.as_of) and the
// scored customers (acquired on or before it), in input order.
std::vector<std::uint32_t> start_run(const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config,
                                     ScoreResult& out) {
  validate(config);
  detail::check_base(base, config.threads);  // a base built by hand meets the row rules too
  if (!as_of) as_of = base.default_as_of();
  if (!as_of) throw InputError("empty customer base: nothing to score and no as-of date");
  out.as_of = *as_of;
  std::vector<std::uint32_t> rows;
  for (std::uint32_t c = 0; c < base.customer_count(); ++c)
    if (base.acquired_on[c] <= out.as_of) rows.push_back(c);
  return rows;
}

// score() and score_partition(): `given` replaces the referral forest built from `base`.
ScoreResult score_with(const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config,
                       const ProgressFn& progress, ReferralForest* given) {
  ScoreResult out;
  const std::vector<std::uint32_t> rows = start_run(base, as_of, config, out);
  const day_t D = out.as_of;
  const unsigned threads = detail::thread_count(config.threads);
  // the referral forest (sequential) builds while the result columns are allocated
  auto forest = detail::start_task(threads > 1 && !given,
                                   [&] { return given ? std::move(*given) : build_referral_forest(base, D, config); });
  const std::size_t n = rows.size();
  resize_scores(out.scores, n, threads);
  std::copy(rows.begin(), rows.end(), out.scores.customer.begin());
  out.forest = forest.get();

  score_rows(base, rows, config, threads, progress, out);
  if (detail::model_path(base, config)) {
    detail::score_value_models(base, config, threads, out);
  } else {
    fit_value_models(config, out);
    fill_value_columns(config, threads, out);
    detail::record_bgnbd_model(out);
  }
  if (config.intervals > 0)
    detail::fill_interval_columns(base, config, detail::draw_run_intervals(base, out, config, threads), threads, out);
  rank_upserve(threads, out.value_known(), out.scores);
  if (progress) progress(n, n);
  return out;
}

// The value models' inputs alone (score_steps.hpp): start_run's rows, and per row the purchase
// walk and record_rfm of score_customer, nothing else.
ScoreResult value_input_columns(const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config) {
  ScoreResult out;
  const std::vector<std::uint32_t> rows = start_run(base, as_of, config, out);
  const day_t D = out.as_of;
  const seconds_t T = midnight(D + 1);
  Scores& s = out.scores;
  s.customer = rows;
  for (auto* column : {&s.frequency, &s.recency, &s.age, &s.monetary}) column->resize(rows.size());
  detail::parallel_for(rows.size(), detail::thread_count(config.threads), [&](std::size_t lo, std::size_t hi) {
    std::vector<std::pair<day_t, double>> days;
    for (std::size_t r = lo; r < hi; ++r) {
      purchases_before(base, rows[r], T, days, [](seconds_t) {});
      record_rfm(days, D, s, r);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// score_to: the same steps, the result columns produced batch by batch
// ---------------------------------------------------------------------------------------------

// Rows per batch of score_to: a batch of every result column is about 3.7 MB.
constexpr std::size_t stream_batch = 16384;

// `to` (sized) = from[first, first + to.size()).
template <class T>
void copy_slice(const std::vector<T>& from, std::size_t first, std::vector<T>& to) {
  std::copy_n(from.begin() + static_cast<std::ptrdiff_t>(first), to.size(), to.begin());
}

// The columns the base-wide steps read: loyalty given (up-serve value) and frequency, recency, age
// and monetary (the value models' inputs and predictions).
std::array<std::vector<double> Scores::*, 5> kept_columns() {
  return {&Scores::loyalty_given, &Scores::frequency, &Scores::recency, &Scores::age, &Scores::monetary};
}
// The value columns the value step fills.
std::array<std::vector<double> Scores::*, 4> value_columns() {
  return {&Scores::p_alive, &Scores::expected_purchases, &Scores::expected_value, &Scores::upserve_value};
}

// Pass 1: every row scored batch by batch, without the referral forest (which none of these
// columns reads), keeping only customer and kept_columns().
Scores score_kept_columns(const CustomerBase& base, const std::vector<std::uint32_t>& rows, const RowTables& tables,
                          const ScoringConfig& config, day_t D, unsigned threads, const ProgressFn& progress) {
  const std::size_t n = rows.size();
  Scores kept;
  kept.customer = rows;
  for (const auto column : kept_columns()) (kept.*column).resize(n);
  Scores batch;
  for (std::size_t lo = 0; lo < n; lo += stream_batch) {
    const std::size_t m = std::min(stream_batch, n - lo);
    resize_scores(batch, m, threads);
    score_range(base, rows, lo, m, tables, nullptr, config, D, threads, progress, batch);
    for (const auto column : kept_columns())
      std::copy_n((batch.*column).begin(), m, (kept.*column).begin() + static_cast<std::ptrdiff_t>(lo));
  }
  return kept;
}

// The default value path over the kept columns (out.scores): the fits, then the value columns
// batch by batch, checked for overflow over the whole run in row order; returns up-serve value.
std::vector<double> default_value_step(const ScoringConfig& config, unsigned threads, ScoreResult& out) {
  fit_value_models(config, out);
  detail::record_bgnbd_model(out);
  Scores kept = std::move(out.scores);
  const std::size_t n = kept.size();
  std::vector<double> upserve(n);
  ValueTotals sums;
  for (std::size_t lo = 0; lo < n; lo += stream_batch) {
    Scores& b = out.scores;
    b.customer.resize(std::min(stream_batch, n - lo));
    copy_slice(kept.customer, lo, b.customer);
    for (const auto column : kept_columns()) {
      (b.*column).resize(b.size());
      copy_slice(kept.*column, lo, b.*column);
    }
    for (const auto column : value_columns()) (b.*column).resize(b.size());
    compute_value_columns(config, threads, out);
    check_value_overflow(out, lo, sums);
    std::copy(b.upserve_value.begin(), b.upserve_value.end(), upserve.begin() + static_cast<std::ptrdiff_t>(lo));
  }
  out.scores = std::move(kept);
  return upserve;
}

// The per-customer columns score_customer() and the score columns read, sized to the customers.
void check_partition_referrals(const CustomerBase& base, const ReferralForest& f) {
  const std::size_t n = base.customer_count();
  const std::size_t sizes[] = {f.root.size(),
                               f.generation.size(),
                               f.tree_size.size(),
                               f.direct_referrals.size(),
                               f.converted_referrals.size(),
                               f.katz.size(),
                               f.track_record_weight.size()};
  for (const auto size : sizes)
    if (size != n)
      throw InputError("score_partition: referral results hold " + std::to_string(size) + " entries for " +
                       std::to_string(n) + " customers");
  if (base.referral_count() != 0 || base.person_count() != n)
    throw InputError("score_partition: the partition's base must not carry referral rows (they are given)");
}

}  // namespace

ScoreResult score(const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config,
                  const ProgressFn& progress) {
  return score_with(base, as_of, config, progress, nullptr);
}

ScoreResult score_partition(const CustomerBase& base, day_t as_of, const ScoringConfig& config,
                            ReferralForest referrals) {
  check_partition_referrals(base, referrals);
  return score_with(base, as_of, config, {}, &referrals);
}

ScoreResult score_to(ScoreSink& sink, const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config,
                     const ProgressFn& progress) {
  ScoreResult out;
  const std::vector<std::uint32_t> rows = start_run(base, as_of, config, out);
  const day_t D = out.as_of;
  const std::size_t n = rows.size();
  const unsigned threads = detail::thread_count(config.threads);
  const RowTables tables(base, rows, D, config);

  // pass 1 and the base-wide steps: fits, value columns, interval draws, then the percentiles
  out.scores = score_kept_columns(base, rows, tables, config, D, threads, progress);
  const bool model_path = detail::model_path(base, config);
  Scores values;  // the model path's value columns, whole (its steps run over every row at once)
  std::vector<double> upserve;
  if (model_path) {
    for (const auto column : value_columns()) (out.scores.*column).resize(n);
    detail::score_value_models(base, config, threads, out);
    for (const auto column : value_columns()) values.*column = std::move(out.scores.*column);
  } else {
    upserve = default_value_step(config, threads, out);
  }
  detail::IntervalDraws draws;
  if (config.intervals > 0) draws = detail::draw_run_intervals(base, out, config, threads);
  out.scores = {};
  auto forest = detail::start_task(threads > 1, [&] { return build_referral_forest(base, D, config); });
  std::vector<double> upserve_score;
  if (out.value_known()) {
    upserve_score.resize(n);
    detail::mid_ranks(model_path ? values.upserve_value : upserve, upserve_score, threads);
  }
  upserve = {};
  out.forest = forest.get();

  // pass 2: each batch scored again, completed from the base-wide steps, handed to the sink
  Scores batch;
  for (std::size_t lo = 0; lo < n; lo += stream_batch) {
    const std::size_t m = std::min(stream_batch, n - lo);
    resize_scores(batch, m, threads);
    copy_slice(rows, lo, batch.customer);
    score_range(base, rows, lo, m, tables, &out.forest, config, D, threads, {}, batch);
    std::swap(out.scores, batch);
    if (model_path) {
      for (const auto column : value_columns()) copy_slice(values.*column, lo, out.scores.*column);
    } else {
      compute_value_columns(config, threads, out);
    }
    if (out.value_known())
      copy_slice(upserve_score, lo, out.scores.upserve_score);
    else
      std::fill(out.scores.upserve_score.begin(), out.scores.upserve_score.end(), nan);
    if (config.intervals > 0) detail::fill_interval_columns(base, config, draws, threads, out);
    sink.rows(out, lo);
    std::swap(out.scores, batch);
  }
  out.scores = {};
  if (progress) progress(n, n);
  return out;
}

void check_value_models(const ScoreResult& result) {
  if (!result.bgnbd_error.empty()) throw FitError(result.bgnbd_error);
  if (!result.gamma_gamma_error.empty()) throw FitError(result.gamma_gamma_error);
}

ComponentArray<ReferralComponent, std::uint32_t> referral_evidence(const ScoreResult& result, std::size_t row) {
  const auto c = result.scores.customer.at(row);
  return {result.scores.loyalty_evidence[LoyaltyComponent::impression][row], result.forest.converted_referrals[c],
          result.forest.tree_size[c] - 1, result.scores.purchases_counted[row], 1};
}

namespace detail {
// The steps of score() for the live Scorer (score_steps.hpp): the same functions, by name.
void resize_scores(Scores& s, std::size_t n, unsigned threads) { rapport::resize_scores(s, n, threads); }
void score_rows(const CustomerBase& base, const std::vector<std::uint32_t>& rows, const ScoringConfig& config,
                unsigned threads, const ProgressFn& progress, ScoreResult& out) {
  rapport::score_rows(base, rows, config, threads, progress, out);
}
void fit_value_models(const ScoringConfig& config, ScoreResult& out) { rapport::fit_value_models(config, out); }
void fill_value_columns(const ScoringConfig& config, unsigned threads, ScoreResult& out) {
  rapport::fill_value_columns(config, threads, out);
}
void rank_upserve(unsigned threads, bool value_known, Scores& s) { rapport::rank_upserve(threads, value_known, s); }
ScoreResult value_input_columns(const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config) {
  return rapport::value_input_columns(base, as_of, config);
}
}  // namespace detail

ScoreResult score(const CustomerBase& base, const boost::gregorian::date& as_of, const ScoringConfig& config) {
  return score(base, to_day(as_of), config);
}

}  // namespace rapport
