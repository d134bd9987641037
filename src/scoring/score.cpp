#include <rapport/scoring/score.hpp>

#include "util/parallel.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <future>
#include <limits>
#include <memory>
#include <numeric>

namespace rapport {

std::string_view to_string(NextAction a) noexcept {
  static constexpr std::string_view names[] = {"none",              "reach_out",  "follow_up_after_sale",
                                               "repair_impression", "resolve_complaint", "fix_basics",
                                               "add_hospitality",   "create_wow"};
  return names[static_cast<int>(a)];
}

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double day_s = static_cast<double>(seconds_per_day);

/// w(age) = 2^(-age/H) for ages in whole seconds, by small tables: the product of 2^(-x/H) for
/// the day, hour, minute and second parts of the age (within a few ulp of std::exp2, and exact
/// where std::exp2 is for whole days; std::exp2 beyond the table's 4096 days).
class RecencyWeight {
public:
  explicit RecencyWeight(double half_life_seconds) : h_(half_life_seconds) {
    for (std::size_t d = 0; d < days_.size(); ++d) days_[d] = std::exp2(-static_cast<double>(d) * 86400.0 / h_);
    for (std::size_t k = 0; k < hours_.size(); ++k) hours_[k] = std::exp2(-static_cast<double>(k) * 3600.0 / h_);
    for (std::size_t k = 0; k < minutes_.size(); ++k) minutes_[k] = std::exp2(-static_cast<double>(k) * 60.0 / h_);
    for (std::size_t k = 0; k < seconds_.size(); ++k) seconds_[k] = std::exp2(-static_cast<double>(k) / h_);
  }
  double operator()(seconds_t age) const {
    if (age < 0 || age >= static_cast<seconds_t>(days_.size()) * 86400) return std::exp2(-static_cast<double>(age) / h_);
    const auto a = static_cast<std::uint32_t>(age);
    const std::uint32_t d = a / 86400, rest = a % 86400, m = rest % 3600;
    return days_[d] * ((hours_[rest / 3600] * minutes_[m / 60]) * seconds_[m % 60]);
  }

private:
  double h_;
  std::array<double, 4096> days_{};
  std::array<double, 24> hours_{};
  std::array<double, 60> minutes_{};
  std::array<double, 60> seconds_{};
};

struct Scratch {
  const RecencyWeight* weight = nullptr;
  const std::vector<double>* period_weight = nullptr;  // 2^(-k·period/H), k = 0, 1, …
  const std::vector<double>* period_total = nullptr;   // prefix sums of period_weight, in k order
  std::vector<std::uint64_t> covered;  // bitset of covered periods
  std::vector<seconds_t> service_times;
  std::vector<std::pair<day_t, double>> days;
};

// Scores one customer (row r, customer c) into `s` — everything but value at stake and percentiles.
void score_customer(const CustomerBase& b, const ReferralForest& forest, const ScoringConfig& cfg, day_t D,
                    std::size_t r, std::uint32_t c, Scores& s, Scratch& scratch) {
  const seconds_t T = midnight(D + 1);
  const seconds_t A = midnight(b.acquired_on[c]);
  const RecencyWeight& weight = *scratch.weight;
  const auto w = [&](seconds_t t) { return weight(T - t); };
  const auto c0 = b.contact_offsets[c], c1 = b.contact_offsets[c + 1];
  const auto p0 = b.purchase_offsets[c], p1 = b.purchase_offsets[c + 1];

  // --- continuity
  const auto P = static_cast<seconds_t>(std::llround(cfg.period_days * day_s));
  const seconds_t periods = std::max<seconds_t>(1, (T - A + P - 1) / P);
  auto& covered = scratch.covered;
  covered.assign(static_cast<std::size_t>((periods + 63) / 64), 0);
  const seconds_t window = periods * P;
  const bool small_window = window <= 0xFFFFFFFFLL;
  std::uint32_t cont_evidence = 0;
  // --- accumulators
  double imp_pos = 0, imp_neg = 0;
  std::uint32_t imp_n = 0;
  double rec_num = 0, rec_den = 0;
  std::uint32_t rec_n = 0;
  bool overdue = false;
  double t_num = 0, t_den = 0, h_num = 0, h_den = 0;
  std::uint32_t ladder_n = 0;
  bool wow = false;
  auto& service = scratch.service_times;
  service.clear();
  const double complaint_s = cfg.complaint_days * day_s;
  std::uint64_t complaint_rank = b.complaint_offsets[c];
  for (auto k = c0; k < c1; ++k) {
    const seconds_t at = b.contact_at[k];
    const bool complaint = b.contact_complaint[k] != 0;
    const seconds_t res = complaint ? b.complaint_resolved_at[complaint_rank++] : no_time;
    if (at >= T) continue;
    const bool business = b.contact_initiator[k] == Initiator::business;
    if (business) {
      const seconds_t since = T - at - 1;  // >= 0
      if (since < window) {
        const std::size_t back = small_window ? static_cast<std::uint32_t>(since) / static_cast<std::uint32_t>(P)
                                              : static_cast<std::size_t>(since / P);
        covered[back >> 6] |= std::uint64_t{1} << (back & 63);
        ++cont_evidence;
      }
      if (b.contact_stage[k] == Stage::service) service.push_back(at);
    }
    const int imp = b.contact_impression[k];
    const double wt = w(at);
    if (imp > 0) {
      imp_pos += wt * imp;
      ++imp_n;
    } else if (imp < 0) {
      imp_neg += wt * -imp;
      ++imp_n;
    }
    if (complaint) {
      if (res != no_time && res < T) {
        const double delay = static_cast<double>(res - at) / day_s;
        const double v = delay <= cfg.complaint_days ? 1.0 : std::exp2(-(delay - cfg.complaint_days) / cfg.complaint_days);
        rec_num += wt * v;
        rec_den += wt;
        ++rec_n;
      } else if (static_cast<double>(T - at) > complaint_s) {
        rec_den += wt;
        ++rec_n;
        overdue = true;
      }
    }
    if (b.contact_aspect[k] == Aspect::technical) {
      t_den += wt;
      if (imp >= 0) t_num += wt;
      ++ladder_n;
    } else if (b.contact_aspect[k] == Aspect::hospitality) {
      h_den += wt;
      if (imp > 0) h_num += wt;
      ++ladder_n;
    }
    if (imp == 2 && static_cast<double>(T - at) <= cfg.wow_window_days * day_s) wow = true;
  }
  double cont_num = 0;
  const auto& pw = *scratch.period_weight;
  for (std::size_t word = 0; word < covered.size(); ++word)  // covered periods in ascending k
    for (std::uint64_t bits = covered[word]; bits; bits &= bits - 1)
      cont_num += pw[word * 64 + static_cast<std::size_t>(std::countr_zero(bits))];
  const double cont_den = (*scratch.period_total)[static_cast<std::size_t>(periods)];

  // --- follow-through and purchases
  std::sort(service.begin(), service.end());
  const auto F = static_cast<seconds_t>(std::llround(cfg.follow_up_days * day_s));
  double ft_num = 0, ft_den = 0;
  std::uint32_t ft_n = 0, purchases = 0;
  seconds_t latest = no_time;
  auto& days = scratch.days;
  days.clear();
  for (auto k = p0; k < p1; ++k) {
    const seconds_t at = b.purchase_at[k];
    if (at >= T) continue;
    ++purchases;
    latest = std::max(latest, at);
    days.emplace_back(day_of(at), b.purchase_amount[k]);
    if (at + F <= T) {
      const auto it = std::lower_bound(service.begin(), service.end(), at);
      const bool followed = it != service.end() && *it <= at + F;
      const double wt = w(at);
      ft_den += wt;
      if (followed) ft_num += wt;
      ++ft_n;
    }
  }

  // --- loyalty given
  std::array<double, 5> lv{};
  lv[0] = cont_num / cont_den;
  lv[1] = ft_n ? ft_num / ft_den : nan;
  const double q = imp_n ? imp_pos / (imp_pos + cfg.impression_lambda * imp_neg) : nan;
  lv[2] = q;
  lv[3] = rec_n ? rec_num / rec_den : nan;
  const double t_val = t_den > 0 ? t_num / t_den : 1.0;
  const double h_val = h_den > 0 ? h_num / h_den : 0.0;
  const bool t_ok = t_val >= cfg.technical_threshold, h_ok = h_val >= cfg.hospitality_threshold;
  lv[4] = ladder_n ? (t_val + (t_ok ? h_val : 0.0) + (t_ok && h_ok && wow ? 1.0 : 0.0)) / 3.0 : nan;
  const std::array<std::uint32_t, 5> le{cont_evidence, ft_n, imp_n, rec_n, ladder_n};
  double num = 0, den = 0;
  for (int k = 0; k < 5; ++k) {
    if (std::isnan(lv[k])) continue;
    num += cfg.loyalty_weights[k] * lv[k];
    den += cfg.loyalty_weights[k];
  }
  const double L = den > 0 ? 100.0 * num / den : nan;
  s.loyalty_given[r] = L;
  for (int k = 0; k < 5; ++k) {
    s.loyalty[k][r] = lv[k];
    s.loyalty_evidence[k][r] = le[k];
  }
  s.ladder_technical[r] = t_val;
  s.ladder_hospitality[r] = h_val;
  s.ladder_wow[r] = wow ? 1 : 0;
  s.overdue_complaint[r] = overdue ? 1 : 0;

  // --- next action
  NextAction action = NextAction::none;
  double best_gap = 0;
  int best = -1;
  for (int k = 0; k < 5; ++k) {
    if (std::isnan(lv[k])) continue;
    const double gap = cfg.loyalty_weights[k] * (1.0 - lv[k]);
    if (gap > best_gap) {
      best_gap = gap;
      best = k;
    }
  }
  if (overdue) {
    action = NextAction::resolve_complaint;
    best_gap = cfg.loyalty_weights[3] * (1.0 - lv[3]);
  } else if (best >= 0) {
    static constexpr NextAction map[] = {NextAction::reach_out, NextAction::follow_up_after_sale,
                                         NextAction::repair_impression, NextAction::resolve_complaint};
    if (best < 4)
      action = map[best];
    else
      action = !t_ok ? NextAction::fix_basics : (!h_ok ? NextAction::add_hospitality : NextAction::create_wow);
  }
  s.next_action[r] = action;
  s.next_action_gap[r] = best_gap;

  // --- RFM summary for the value models
  if (!days.empty()) {
    std::stable_sort(days.begin(), days.end(), [](const auto& a, const auto& bb) { return a.first < bb.first; });
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
  } else {
    s.frequency[r] = s.recency[r] = s.age[r] = s.monetary[r] = nan;
  }

  // --- referral potential
  std::array<double, 5> rv{};
  rv[0] = q;
  rv[1] = 1.0 - std::exp(-forest.track_record_weight[c]);
  rv[2] = 1.0 - std::exp(-forest.katz[c] / cfg.chain_reach_scale);
  rv[3] = purchases ? std::exp2(-(static_cast<double>(T - latest) / day_s) / cfg.timing_half_life_days) : nan;
  rv[4] = std::min(1.0, static_cast<double>(T - A) / (cfg.tenure_full_days * day_s));
  s.purchases_counted[r] = purchases;
  num = den = 0;
  for (int k = 0; k < 5; ++k) {
    s.referral[k][r] = rv[k];
    if (std::isnan(rv[k])) continue;
    num += cfg.referral_weights[k] * rv[k];
    den += cfg.referral_weights[k];
  }
  double R = den > 0 ? 100.0 * num / den : nan;
  if (!std::isnan(q) && q < cfg.advocacy_gate) R *= 2.0 * q;
  s.referral_potential[r] = R;
  s.ask_for_referral[r] = (!std::isnan(rv[3]) && !std::isnan(q) && rv[3] >= cfg.ask_timing && q >= cfg.ask_advocacy) ? 1 : 0;
}

// Sizes every result column (the columns are independent: they are allocated and first touched
// in parallel).
void resize_scores(Scores& s, std::size_t n, unsigned threads) {
  std::vector<std::vector<double>*> d{&s.loyalty_given, &s.ladder_technical, &s.ladder_hospitality, &s.frequency,
                                      &s.recency, &s.age, &s.monetary, &s.p_alive, &s.expected_purchases,
                                      &s.expected_value, &s.upserve_value, &s.upserve_score,
                                      &s.next_action_gap, &s.referral_potential};
  for (auto& v : s.loyalty) d.push_back(&v);
  for (auto& v : s.referral) d.push_back(&v);
  std::vector<std::vector<std::uint32_t>*> u{&s.customer};
  for (auto& v : s.loyalty_evidence) u.push_back(&v);
  u.push_back(&s.purchases_counted);
  detail::parallel_for(
      d.size() + u.size() + 1, threads,
      [&](std::size_t lo, std::size_t hi) {
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
      },
      1);
}

}  // namespace

ScoreResult score(const CustomerBase& base, std::optional<day_t> as_of, const ScoringConfig& config,
                  const ProgressFn& progress) {
  ScoreResult out;
  if (!as_of) as_of = base.default_as_of();
  if (!as_of) throw InputError("empty customer base: nothing to score and no as-of date");
  const day_t D = *as_of;
  out.as_of = D;
  const unsigned threads = detail::thread_count(config.threads);
  // the referral forest (sequential) builds while the result columns are allocated
  auto forest = std::async(threads > 1 ? std::launch::async : std::launch::deferred,
                           [&] { return build_referral_forest(base, D, config); });

  Scores& s = out.scores;
  std::vector<std::uint32_t> rows;
  for (std::uint32_t c = 0; c < base.customer_count(); ++c)
    if (base.acquired_on[c] <= D) rows.push_back(c);
  const std::size_t n = rows.size();
  resize_scores(s, n, std::max(1u, threads - 1));
  std::copy(rows.begin(), rows.end(), s.customer.begin());
  out.forest = forest.get();
  std::atomic<std::size_t> done{0};
  // continuity's period weights, shared: 2^(-k·period/H) and their running sums in k order
  const seconds_t period_s = static_cast<seconds_t>(std::llround(config.period_days * day_s));
  seconds_t max_span = 0;
  for (auto c : rows) max_span = std::max(max_span, midnight(D + 1) - midnight(base.acquired_on[c]));
  const auto max_periods = static_cast<std::size_t>(std::max<seconds_t>(1, (max_span + period_s - 1) / period_s));
  std::vector<double> period_weight(max_periods), period_total(max_periods + 1, 0.0);
  for (std::size_t k = 0; k < max_periods; ++k) {
    period_weight[k] = std::exp2(-static_cast<double>(k) * config.period_days / config.half_life_days);
    period_total[k + 1] = period_total[k] + period_weight[k];
  }
  const auto weight = std::make_unique<RecencyWeight>(config.half_life_days * day_s);
  detail::parallel_for_dynamic(n, threads, 2048, [&](std::size_t lo, std::size_t hi) {
    Scratch scratch;
    scratch.weight = weight.get();
    scratch.period_weight = &period_weight;
    scratch.period_total = &period_total;
    for (std::size_t r = lo; r < hi; ++r) {
      score_customer(base, out.forest, config, D, r, rows[r], s, scratch);
    }
    if (progress) progress(done.fetch_add(hi - lo) + (hi - lo), n);
  });

  // --- value at stake: fit (or take) the models over the scored customers
  std::vector<double> fx, ftx, fT, gx, gm;
  for (std::size_t r = 0; r < n; ++r) {
    if (std::isnan(s.frequency[r])) continue;
    fx.push_back(s.frequency[r]);
    ftx.push_back(s.recency[r]);
    fT.push_back(s.age[r]);
    if (s.frequency[r] >= 1 && s.monetary[r] > 0) {
      gx.push_back(s.frequency[r]);
      gm.push_back(s.monetary[r]);
    }
  }
  out.bgnbd_customers = fx.size();
  out.gamma_gamma_customers = gx.size();
  if (config.bgnbd) {
    out.bgnbd = *config.bgnbd;
  } else {
    try {
      out.bgnbd = fit_bgnbd(fx, ftx, fT, config.fit);
    } catch (const FitError& e) {
      throw FitError(std::string("BG/NBD fit over ") + std::to_string(fx.size()) +
                     " scored customers with purchases failed: " + e.what() +
                     " (pass fixed parameters with the config's \"bgnbd\" to score anyway)");
    }
    out.bgnbd_fitted = true;
  }
  if (config.gamma_gamma) {
    out.gamma_gamma = *config.gamma_gamma;
  } else {
    try {
      out.gamma_gamma = fit_gamma_gamma(gx, gm, config.fit);
    } catch (const FitError& e) {
      throw FitError(std::string("Gamma-Gamma fit over ") + std::to_string(gx.size()) +
                     " repeat buyers failed: " + e.what() +
                     " (pass fixed parameters with the config's \"gamma_gamma\" to score anyway)");
    }
    out.gamma_gamma_fitted = true;
  }
  for (auto* v : {&fx, &ftx, &fT, &gx, &gm}) std::vector<double>().swap(*v);  // free before the next peaks
  detail::parallel_for_dynamic(n, threads, 2048, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      const double x = s.frequency[r];
      if (std::isnan(x)) {
        s.p_alive[r] = s.expected_purchases[r] = nan;
        s.expected_value[r] = 0;
      } else {
        s.p_alive[r] = bgnbd_p_alive(out.bgnbd, x, s.recency[r], s.age[r]);
        s.expected_purchases[r] = bgnbd_expected_purchases(out.bgnbd, config.horizon_days, x, s.recency[r], s.age[r]);
        const double spend = gamma_gamma_expected_spend(out.gamma_gamma, x, x >= 1 ? s.monetary[r] : 0.0);
        s.expected_value[r] = s.expected_purchases[r] * spend;
      }
      s.upserve_value[r] = s.expected_value[r] * (1.0 - s.loyalty_given[r] / 100.0);
    }
  });
  // --- mid-rank percentile of upserve_value
  if (n == 1) {
    s.upserve_score[0] = 50;
  } else if (n > 1) {
    // sort a copy of the values (halves on two threads, then merged); each row's mid rank then
    // comes from the run of equal values around it
    std::vector<double> sorted(s.upserve_value);
    const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(n / 2);
    detail::parallel_for(
        2, n > 65536 ? 2u : 1u,
        [&](std::size_t lo, std::size_t hi) {
          for (std::size_t k = lo; k < hi; ++k)
            k == 0 ? std::sort(sorted.begin(), mid) : std::sort(mid, sorted.end());
        },
        1);
    std::inplace_merge(sorted.begin(), mid, sorted.end());
    detail::parallel_for_dynamic(n, threads, 8192, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t r = lo; r < hi; ++r) {
        const auto [a, b] = std::equal_range(sorted.begin(), sorted.end(), s.upserve_value[r]);
        s.upserve_score[r] = 100.0 * (static_cast<double>(a - sorted.begin()) + static_cast<double>(b - a - 1) / 2.0) /
                             static_cast<double>(n - 1);
      }
    });
  }
  if (progress) progress(n, n);
  return out;
}

std::array<std::uint32_t, 5> referral_evidence(const ScoreResult& result, std::size_t row) {
  const auto c = result.scores.customer.at(row);
  return {result.scores.loyalty_evidence[2][row], result.forest.converted_referrals[c],
          result.forest.tree_size[c] - 1, result.scores.purchases_counted[row], 1};
}

ScoreResult score(const CustomerBase& base, const boost::gregorian::date& as_of, const ScoringConfig& config) {
  return score(base, to_day(as_of), config);
}

}  // namespace rapport
