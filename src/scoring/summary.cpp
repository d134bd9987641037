// The base-wide summary: summarize() computes every figure into a Summary, to_json() renders it.
#include <rapport/scoring/score.hpp>

#include <nlohmann/json.hpp>

#include "base/rows.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <type_traits>

namespace rapport {

using nlohmann::json;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------- figures

Distribution distribution(std::vector<double> v) {
  Distribution d;
  d.customers = v.size();
  if (v.empty()) {
    d.mean = d.min = d.p10 = d.p25 = d.median = d.p75 = d.p90 = d.max = nan;
    return d;
  }
  std::sort(v.begin(), v.end());
  const auto quantile = [&](double p) {  // linear interpolation (numpy's default)
    const double pos = p * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
  };
  d.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  d.min = v.front();
  d.p10 = quantile(0.10);
  d.p25 = quantile(0.25);
  d.median = quantile(0.5);
  d.p75 = quantile(0.75);
  d.p90 = quantile(0.90);
  d.max = v.back();
  return d;
}

// Loyalty given overall, per segment and per value decile, from the scored customers' columns in
// the base's input order.
void summarize_loyalty(const std::vector<double>& loyalty, const std::vector<std::uint32_t>& segment,
                       const std::vector<std::string>& segment_names, const std::vector<double>& expected_value,
                       bool value_known, Summary& out) {
  const std::size_t n = loyalty.size();
  out.loyalty_overall = distribution(loyalty);
  std::vector<std::vector<double>> per(segment_names.size());
  for (std::size_t r = 0; r < n; ++r) per[segment[r]].push_back(loyalty[r]);
  for (std::size_t k = 0; k < per.size(); ++k)
    if (!per[k].empty())
      out.loyalty_per_segment[segment_names[k].empty() ? "(none)" : segment_names[k]] = distribution(per[k]);

  out.value_known = value_known;
  if (!out.value_known) return;  // value deciles are meaningless without value at stake
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return expected_value[a] < expected_value[b]; });
  std::vector<std::vector<double>> dec(10);
  for (std::size_t k = 0; k < n; ++k) dec[std::min<std::size_t>(9, k * 10 / n)].push_back(loyalty[order[k]]);
  for (auto& d : dec) out.loyalty_per_value_decile.push_back(distribution(d));
  double top = 0, rest = 0;
  std::size_t nt = 0, nr = 0;
  for (std::size_t d = 0; d < 10; ++d)
    for (double v : dec[d]) (d == 9 ? (top += v, ++nt) : (rest += v, ++nr));
  if (nt && nr) out.top_decile_gap = top / static_cast<double>(nt) - rest / static_cast<double>(nr);
}

// Contacts per stage of the scored customers, before T.
void count_stages(const CustomerBase& base, const ScoreResult& res, SummaryPartial& p) {
  const Scores& s = res.scores;
  const seconds_t T = midnight(res.as_of + 1);
  for (std::size_t r = 0; r < s.size(); ++r) {
    const auto c = s.customer[r];
    for (auto k = base.contact_offsets[c]; k < base.contact_offsets[c + 1]; ++k)
      if (base.contact_at[k] < T) ++p.stage_contacts[static_cast<std::size_t>(base.contact_stage[k])];
  }
}

// The Critical Wheel: each sales stage's share of the four sales stages and its gap to target.
void summarize_wheel(const std::array<std::size_t, 5>& stage, Summary& out) {
  const std::size_t contacts = stage[0] + stage[1] + stage[2] + stage[3] + stage[4];
  const std::size_t sales = stage[0] + stage[1] + stage[2] + stage[3];
  static constexpr double target[] = {0.40, 0.30, 0.20, 0.10};
  for (std::size_t k = 0; k < 4; ++k) {
    WheelStage& w = out.wheel_stages[k];
    w.stage = static_cast<Stage>(k);
    w.contacts = stage[k];
    w.share = sales ? static_cast<double>(stage[k]) / static_cast<double>(sales) : 0.0;
    w.target = target[k];
    w.gap = w.share - target[k];
  }
  out.sales_stage_contacts = sales;
  out.service_contacts = stage[4];
  out.service_share = contacts ? static_cast<double>(stage[4]) / static_cast<double>(contacts) : 0.0;
  out.service_per_sales_contact = sales ? static_cast<double>(stage[4]) / static_cast<double>(sales) : 0.0;
}

// Purchase amounts before T: all, those on a day after the customer's first purchase day, and
// those of customers with tenure >= tenure_full_days.
void sum_revenue(const CustomerBase& base, const ScoreResult& res, const ScoringConfig& cfg, SummaryPartial& p) {
  const Scores& s = res.scores;
  const seconds_t T = midnight(res.as_of + 1);
  for (std::size_t r = 0; r < s.size(); ++r) {
    const auto c = s.customer[r];
    day_t first = std::numeric_limits<day_t>::max();
    for (auto k = base.purchase_offsets[c]; k < base.purchase_offsets[c + 1]; ++k)
      if (base.purchase_at[k] < T) first = std::min(first, day_of(base.purchase_at[k]));
    const bool two_years = static_cast<double>(T - midnight(base.acquired_on[c])) >= cfg.tenure_full_days * 86400.0;
    for (auto k = base.purchase_offsets[c]; k < base.purchase_offsets[c + 1]; ++k) {
      if (base.purchase_at[k] >= T) continue;
      const double a = base.purchase_amount[k];
      p.revenue.add(a);
      if (day_of(base.purchase_at[k]) != first) p.repeat_revenue.add(a);
      if (two_years) p.tenured_revenue.add(a);
    }
  }
}

void summarize_revenue(const SummaryPartial& p, Summary& out) {
  out.revenue_total = p.revenue.value();
  if (out.revenue_total > 0) {
    out.repeat_share = p.repeat_revenue.value() / out.revenue_total;
    out.from_customers_two_years_or_more_share = p.tenured_revenue.value() / out.revenue_total;
  }
}

ReferralFigures referral_figures(const CustomerBase& base, const ScoreResult& res) {
  const auto& f = res.forest;
  ReferralFigures out;
  const seconds_t T = midnight(res.as_of + 1);
  for (std::size_t e = 0; e < base.referral_count(); ++e) out.edges_before_as_of += base.referral_at[e] < T;
  for (auto v : f.converted_referrals) out.converted_referrals += v;
  out.people = base.person_count();
  out.chain_depth_histogram = f.depth_histogram;
  std::vector<std::uint32_t> roots;
  for (std::uint32_t v = 0; v < f.parent.size(); ++v)
    if (f.parent[v] == no_index && f.tree_size[v] > 1) roots.push_back(v);
  std::sort(roots.begin(), roots.end(), [&](auto a, auto b) {
    return f.tree_size[a] != f.tree_size[b] ? f.tree_size[a] > f.tree_size[b] : base.person(a) < base.person(b);
  });
  if (roots.size() > 10) roots.resize(10);
  for (auto v : roots)
    out.largest_trees.push_back({std::string(base.person(v)), f.tree_size[v], v < base.customer_count(), v});
  for (auto e : f.dropped_edges)
    out.cycles_broken.push_back(
        {std::string(base.person(base.referral_from[e])), std::string(base.person(base.referral_to[e]))});
  return out;
}

void summarize_referrals(const SummaryPartial& p, Summary& out) {
  if (!p.referrals) return;
  const ReferralFigures& r = *p.referrals;
  out.referral_edges_before_as_of = r.edges_before_as_of;
  out.people = r.people;
  out.converted_referrals = r.converted_referrals;
  const std::size_t n = p.customers_scored;
  out.k_factor = n ? static_cast<double>(r.converted_referrals) / static_cast<double>(n) : 0.0;
  out.chain_depth_histogram = r.chain_depth_histogram;
  out.largest_trees = r.largest_trees;
  out.cycles_broken = r.cycles_broken;
}

// Buyers, p_alive above the threshold, value totals, ask-now customers and next actions.
void count_value(const ScoreResult& res, const ScoringConfig& cfg, SummaryPartial& p) {
  const Scores& s = res.scores;
  for (std::size_t r = 0; r < s.size(); ++r) {
    p.customers_with_purchases += s.purchases_counted[r] > 0;
    p.p_alive_above_threshold += s.p_alive[r] > cfg.p_alive_threshold;
    p.expected_value_total.add(s.expected_value[r]);
    p.upserve_value_total.add(s.upserve_value[r]);
    p.ask_for_referral_customers += s.ask_for_referral[r];
    ++p.next_actions[static_cast<std::size_t>(s.next_action[r])];
  }
  p.p_alive_known = p.p_alive_known && res.bgnbd_error.empty();
  p.value_known = p.value_known && res.value_known();
}

void summarize_value(const SummaryPartial& p, Summary& out) {
  const std::size_t n = p.customers_scored, with = p.customers_with_purchases;
  out.customers_with_purchases = with;
  out.ask_for_referral_customers = p.ask_for_referral_customers;
  out.next_actions = p.next_actions;
  const auto alive = static_cast<double>(p.p_alive_above_threshold);
  if (p.p_alive_known) {
    out.share_p_alive_above_threshold = n ? alive / static_cast<double>(n) : 0.0;
    if (with) out.share_p_alive_above_threshold_among_buyers = alive / static_cast<double>(with);
  }
  if (p.value_known) {
    out.expected_value_total = p.expected_value_total.value();
    out.upserve_value_total = p.upserve_value_total.value();
  }
}

// "table: reason" without the quoted value that some reasons end with.
void count_reasons(const LoadReport& rep, bool referrals_only, std::map<std::string, std::size_t>& out) {
  for (const auto& rj : rep.rejects)
    if (!referrals_only || rj.table == "referrals") ++out[rj.table + ": " + rj.reason.substr(0, rj.reason.find(" '"))];
}

// Puts the part's per-customer columns in the whole base's input order.
template <class T>
std::vector<T> in_order(const std::vector<T>& column, const std::vector<std::size_t>& by) {
  std::vector<T> out(by.size());
  for (std::size_t k = 0; k < by.size(); ++k) out[k] = column[by[k]];
  return out;
}

template <class P>
ModelSummary model_summary(const P& params, bool fitted, const std::string& error, std::size_t customers) {
  ModelSummary m;
  m.available = error.empty();
  m.fitted = fitted;
  m.reason = error;
  m.customers = customers;
  if (m.available) visit_fields<P>([&](const auto& f) { m.parameters[std::string(f.name)] = params.*f.member; });
  if (fitted) m.log_likelihood = params.log_likelihood;
  return m;
}

// ---------------------------------------------------------------- rendering

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json distribution_json(const Distribution& d) {
  json j;
  j["customers"] = d.customers;
  if (d.customers == 0) return j;
  j["mean"] = d.mean;
  j["min"] = d.min;
  j["p10"] = d.p10;
  j["p25"] = d.p25;
  j["median"] = d.median;
  j["p75"] = d.p75;
  j["p90"] = d.p90;
  j["max"] = d.max;
  return j;
}

json rows_json(const Summary& s) {
  const auto table = [&](const TableCounts& t) {
    json j{{"read", t.read}, {"rejected", t.rejected}, {"accepted", t.read - t.rejected}};
    if (s.live) j["pending"] = t.pending;
    return j;
  };
  return {{"customers", table(s.customers_rows)},
          {"contacts", table(s.contacts_rows)},
          {"purchases", table(s.purchases_rows)},
          {"referrals", table(s.referrals_rows)}};
}

json loyalty_json(const Summary& s) {
  json j;
  j["overall"] = distribution_json(s.loyalty_overall);
  json seg = json::object();
  for (const auto& [name, d] : s.loyalty_per_segment) seg[name] = distribution_json(d);
  j["per_segment"] = seg;
  if (s.value_known) {
    json arr = json::array();
    for (std::size_t d = 0; d < s.loyalty_per_value_decile.size(); ++d) {
      json dj = distribution_json(s.loyalty_per_value_decile[d]);
      dj["decile"] = d + 1;
      arr.push_back(dj);
    }
    j["per_value_decile"] = arr;
    j["top_decile_gap"] = optional_number(s.top_decile_gap);
    j["top_decile_gap_note"] =
        "mean loyalty given to the top value decile minus the rest; every customer deserves the same service";
  }
  return j;
}

json wheel_json(const Summary& s) {
  json wheel = json::object();
  for (const auto& w : s.wheel_stages)
    wheel[std::string(to_string(w.stage))] = {
        {"contacts", w.contacts}, {"share", w.share}, {"target", w.target}, {"gap", w.gap}};
  return {{"sales_stage_contacts", s.sales_stage_contacts},
          {"stages", wheel},
          {"service_contacts", s.service_contacts},
          {"service_share", s.service_share},
          {"service_per_sales_contact", s.service_per_sales_contact}};
}

json referrals_json(const Summary& s) {
  json largest = json::array();
  for (const auto& t : s.largest_trees)
    largest.push_back({{"root_id", t.root_id}, {"tree_size", t.tree_size}, {"root_is_customer", t.root_is_customer}});
  json dropped = json::array();
  for (const auto& e : s.cycles_broken)
    dropped.push_back({{"referrer_id", e.referrer_id}, {"referred_id", e.referred_id}});
  return {{"edges_before_as_of", s.referral_edges_before_as_of},
          {"people", s.people},
          {"converted_referrals", s.converted_referrals},
          {"k_factor", s.k_factor},
          {"chain_depth_histogram", s.chain_depth_histogram},
          {"largest_trees", largest},
          {"cycles_broken", dropped}};
}

template <class P>
json model_json(const ModelSummary& m) {
  json j;
  visit_fields<P>([&](const auto& f) {
    const auto it = m.parameters.find(std::string(f.name));
    j[std::string(f.name)] = it == m.parameters.end() ? json(nullptr) : json(it->second);
  });
  j["log_likelihood"] = optional_number(m.log_likelihood);
  j["fitted"] = m.fitted;
  j["customers"] = m.customers;
  if (!m.available) j["reason"] = m.reason;
  return j;
}

// The purchase model in use when value_model is not bgnbd: name, parameters, standard errors,
// fit statistics, its time unit, and why it is unavailable.
json purchase_model_json(const Summary& s) {
  const ValueModel& m = s.purchase_model;
  json j;
  j["name"] = std::string(to_string(m.name));
  json params = json::object(), errors = json::object();
  const auto names = param_names(m.name);
  for (std::size_t k = 0; k < names.size(); ++k) {
    params[std::string(names[k])] = k < m.params.size() ? json(m.params[k]) : json(nullptr);
    errors[std::string(names[k])] =
        k < m.std_errors.size() && std::isfinite(m.std_errors[k]) ? json(m.std_errors[k]) : json(nullptr);
  }
  j["parameters"] = params;
  j["std_errors"] = errors;
  const auto number = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  j["log_likelihood"] = number(m.log_likelihood);
  j["aic"] = number(m.aic);
  j["bic"] = number(m.bic);
  j["penalizer"] = m.penalizer;
  j["fitted"] = s.purchase_model_status.fitted;
  j["customers"] = s.purchase_model_status.customers;
  const auto& c = s.config;
  j["time_unit"] = m.name == ValueModelName::bgbb  ? "periods of " + json(c.opportunity_days).dump() + " days"
                   : m.name == ValueModelName::sbg ? "periods of " + json(c.contract_period_days).dump() + " days"
                                                   : std::string("days");
  j["discount_rate"] = c.discount_rate;
  if (!s.purchase_model_status.available) j["reason"] = s.purchase_model_status.reason;
  return j;
}

// How auto chose: the holdout, every candidate's figures, the winner and why.
json selection_json(const Summary& s) {
  const ModelSelection& sel = s.selection;
  const auto number = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  json j;
  j["holdout_days"] = sel.holdout_days;
  if (sel.holdout_days > 0) {
    j["holdout_first"] = format_date(sel.holdout_first);
    j["holdout_last"] = format_date(sel.holdout_last);
  }
  json candidates = json::array();
  for (const auto& c : sel.candidates) {
    json cj;
    cj["name"] = std::string(to_string(c.name));
    cj["fitted"] = c.fitted;
    cj["customers"] = c.customers;
    cj["holdout_mae"] = number(c.holdout_mae);
    cj["holdout_predicted"] = number(c.holdout_predicted);
    cj["holdout_actual"] = number(c.holdout_actual);
    cj["log_likelihood"] = number(c.log_likelihood);
    cj["aic"] = number(c.aic);
    cj["bic"] = number(c.bic);
    if (!c.error.empty()) cj["error"] = c.error;
    candidates.push_back(cj);
  }
  j["candidates"] = candidates;
  j["criterion"] = "mean absolute error of holdout repeat purchases per customer (ties: table order)";
  j["winner"] = std::string(to_string(sel.winner));
  j["reason"] = sel.reason;
  return j;
}

json bgnbd_json(const Summary& s) {
  json j = model_json<BgNbdParams>(s.bgnbd);
  j["alpha_unit"] = "days";
  return j;
}

}  // namespace

namespace {

// The scores and referral results must be of `base`, and `base` must meet the row rules (its
// fields are public: a base built by hand has not necessarily come through them).
void check_result_of(const CustomerBase& base, const ScoreResult& res, unsigned threads) {
  detail::check_base(base, threads);
  for (const auto c : res.scores.customer)
    if (c >= base.customer_count()) throw InputError("summarize: the scores are not of this customer base");
  if (res.forest.tree_size.size() < res.forest.parent.size() || res.forest.parent.size() > base.person_count())
    throw InputError("summarize: the referral results are not of this customer base");
}

// A customers' part without rows yet: the rows read and rejected, every customer not yet scored.
SummaryPartial empty_customers_part(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res) {
  SummaryPartial p;
  p.as_of = res.as_of;
  p.customers_rows = rep.customers;
  p.contacts_rows = rep.contacts;
  p.purchases_rows = rep.purchases;
  p.referrals_rows = rep.referrals;
  count_reasons(rep, false, p.rejected_by_reason);
  p.customers_not_yet_acquired = base.customer_count();
  p.segment_names = base.segment_names;
  p.p_alive_known = res.bgnbd_error.empty();
  p.value_known = res.value_known();
  return p;
}

// Adds the scored rows of `res` (rows first.. of the run, or at `order`'s positions) to `p`.
void add_customer_rows(const CustomerBase& base, const ScoreResult& res, const ScoringConfig& cfg, std::size_t first,
                       std::span<const std::uint64_t> order, SummaryPartial& p) {
  const Scores& s = res.scores;
  const std::size_t n = s.size();
  p.customers_scored += n;
  p.customers_not_yet_acquired -= n;
  for (std::size_t r = 0; r < n; ++r) p.order.push_back(order.empty() ? first + r : order[r]);
  for (std::size_t r = 0; r < n; ++r) p.segment.push_back(base.segment[s.customer[r]]);
  p.loyalty_given.insert(p.loyalty_given.end(), s.loyalty_given.begin(), s.loyalty_given.end());
  p.expected_value.insert(p.expected_value.end(), s.expected_value.begin(), s.expected_value.end());
  count_stages(base, res, p);
  sum_revenue(base, res, cfg, p);
  count_value(res, cfg, p);
}

SummaryPartial customers_part(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res,
                              const ScoringConfig& cfg, std::span<const std::uint64_t> order) {
  const std::size_t n = res.scores.size();
  if (!order.empty() && order.size() != n)
    throw InputError("summary_partial: " + std::to_string(order.size()) + " positions for " + std::to_string(n) +
                     " scored customers");
  SummaryPartial p = empty_customers_part(base, rep, res);
  p.order.reserve(n);
  p.segment.reserve(n);
  p.loyalty_given.reserve(n);
  p.expected_value.reserve(n);
  add_customer_rows(base, res, cfg, 0, order, p);
  return p;
}

SummaryPartial referrals_part(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res,
                              bool count_rows) {
  SummaryPartial p;
  p.as_of = res.as_of;
  if (count_rows) {
    p.referrals_rows = rep.referrals;
    count_reasons(rep, true, p.rejected_by_reason);
  }
  p.referrals = referral_figures(base, res);
  return p;
}

}  // namespace

SummaryPartial summary_partial(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res,
                               const ScoringConfig& cfg, std::span<const std::uint64_t> order) {
  check_result_of(base, res, cfg.threads);
  return customers_part(base, rep, res, cfg, order);
}

SummaryRows::SummaryRows(const CustomerBase& base, const LoadReport& report, const ScoringConfig& config)
    : base_(base), report_(report), config_(config) {
  detail::check_base(base_, config_.threads);
}

void SummaryRows::add(const ScoreResult& batch, std::size_t first) {
  if (!started_) {  // room for every customer at once: no regrowth (and its copy) while rows come
    part_ = empty_customers_part(base_, report_, batch);
    const std::size_t n = base_.customer_count();
    part_.order.reserve(n);
    part_.segment.reserve(n);
    part_.loyalty_given.reserve(n);
    part_.expected_value.reserve(n);
  }
  started_ = true;
  if (first != part_.customers_scored)
    throw InputError("SummaryRows: a batch from row " + std::to_string(first) + " after " +
                     std::to_string(part_.customers_scored) + " rows");
  for (const auto c : batch.scores.customer)
    if (c >= base_.customer_count()) throw InputError("SummaryRows: the scores are not of this customer base");
  add_customer_rows(base_, batch, config_, first, {}, part_);
}

Summary SummaryRows::summary(const ScoreResult& run) {
  if (run.forest.tree_size.size() < run.forest.parent.size() || run.forest.parent.size() > base_.person_count())
    throw InputError("summarize: the referral results are not of this customer base");
  std::vector<SummaryPartial> parts;
  parts.push_back(started_ ? std::move(part_) : empty_customers_part(base_, report_, run));
  started_ = false;
  parts.push_back(referrals_part(base_, report_, run, false));
  return finish_summary(merge_summary_partials(std::move(parts)), summary_models(run), config_);
}

SummaryPartial referral_summary_partial(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res,
                                        bool count_rows) {
  check_result_of(base, res, 0);
  return referrals_part(base, rep, res, count_rows);
}

SummaryPartial merge_summary_partials(std::vector<SummaryPartial> parts) {
  if (parts.empty()) throw InputError("merge_summary_partials: no parts to merge");
  SummaryPartial out = std::move(parts.front());
  const auto add_rows = [](TableCounts& a, const TableCounts& b) {
    a.read += b.read;
    a.rejected += b.rejected;
    a.pending += b.pending;
  };
  for (std::size_t k = 1; k < parts.size(); ++k) {
    SummaryPartial& p = parts[k];
    if (p.as_of != out.as_of)
      throw InputError("merge_summary_partials: parts of different as-of dates (" + format_date(out.as_of) + ", " +
                       format_date(p.as_of) + ")");
    if (p.referrals && out.referrals) throw InputError("merge_summary_partials: two parts carry the referral figures");
    if (p.referrals) out.referrals = std::move(p.referrals);
    add_rows(out.customers_rows, p.customers_rows);
    add_rows(out.contacts_rows, p.contacts_rows);
    add_rows(out.purchases_rows, p.purchases_rows);
    add_rows(out.referrals_rows, p.referrals_rows);
    for (const auto& [reason, count] : p.rejected_by_reason) out.rejected_by_reason[reason] += count;
    out.customers_scored += p.customers_scored;
    out.customers_not_yet_acquired += p.customers_not_yet_acquired;
    // segments by name: the part's indexes mapped onto the merged list
    std::vector<std::uint32_t> to(p.segment_names.size());
    for (std::size_t j = 0; j < p.segment_names.size(); ++j) {
      const auto it = std::find(out.segment_names.begin(), out.segment_names.end(), p.segment_names[j]);
      to[j] = static_cast<std::uint32_t>(it - out.segment_names.begin());
      if (it == out.segment_names.end()) out.segment_names.push_back(p.segment_names[j]);
    }
    for (const auto seg : p.segment) out.segment.push_back(to.at(seg));
    out.order.insert(out.order.end(), p.order.begin(), p.order.end());
    out.loyalty_given.insert(out.loyalty_given.end(), p.loyalty_given.begin(), p.loyalty_given.end());
    out.expected_value.insert(out.expected_value.end(), p.expected_value.begin(), p.expected_value.end());
    for (std::size_t j = 0; j < out.stage_contacts.size(); ++j) out.stage_contacts[j] += p.stage_contacts[j];
    out.revenue.merge(p.revenue);
    out.repeat_revenue.merge(p.repeat_revenue);
    out.tenured_revenue.merge(p.tenured_revenue);
    out.customers_with_purchases += p.customers_with_purchases;
    out.p_alive_above_threshold += p.p_alive_above_threshold;
    out.expected_value_total.merge(p.expected_value_total);
    out.upserve_value_total.merge(p.upserve_value_total);
    out.ask_for_referral_customers += p.ask_for_referral_customers;
    for (std::size_t j = 0; j < out.next_actions.size(); ++j) out.next_actions[j] += p.next_actions[j];
    out.p_alive_known = out.p_alive_known && p.p_alive_known;
    out.value_known = out.value_known && p.value_known;
  }
  return out;
}

SummaryModels summary_models(const ScoreResult& res) {
  SummaryModels m;
  const bool other = res.purchase_model.name != ValueModelName::bgnbd;  // bgnbd_* then describe that model
  m.purchase_model_status = model_summary(res.bgnbd, res.bgnbd_fitted, res.bgnbd_error, res.bgnbd_customers);
  m.purchase_model_status.parameters.clear();
  m.purchase_model_status.log_likelihood.reset();
  if (other) {
    m.bgnbd.reason = "not used: the purchase model is " + std::string(to_string(res.purchase_model.name));
  } else {
    m.bgnbd = model_summary(res.bgnbd, res.bgnbd_fitted, res.bgnbd_error, res.bgnbd_customers);
  }
  m.purchase_model = res.purchase_model;
  m.selection = res.selection;
  m.gamma_gamma =
      model_summary(res.gamma_gamma, res.gamma_gamma_fitted, res.gamma_gamma_error, res.gamma_gamma_customers);
  return m;
}

Summary finish_summary(const SummaryPartial& p, const SummaryModels& models, const ScoringConfig& cfg) {
  Summary out;
  out.as_of = p.as_of;
  out.customers_rows = p.customers_rows;
  out.contacts_rows = p.contacts_rows;
  out.purchases_rows = p.purchases_rows;
  out.referrals_rows = p.referrals_rows;
  out.rejected_by_reason = p.rejected_by_reason;
  out.customers_scored = p.customers_scored;
  out.customers_not_yet_acquired = p.customers_not_yet_acquired;
  // the per-customer columns in the whole base's input order (as they are when already in it)
  if (std::is_sorted(p.order.begin(), p.order.end())) {
    summarize_loyalty(p.loyalty_given, p.segment, p.segment_names, p.expected_value, p.value_known, out);
  } else {
    std::vector<std::size_t> by(p.order.size());
    std::iota(by.begin(), by.end(), 0);
    std::stable_sort(by.begin(), by.end(), [&](std::size_t a, std::size_t b) { return p.order[a] < p.order[b]; });
    summarize_loyalty(in_order(p.loyalty_given, by), in_order(p.segment, by), p.segment_names,
                      in_order(p.expected_value, by), p.value_known, out);
  }
  summarize_wheel(p.stage_contacts, out);
  summarize_revenue(p, out);
  summarize_referrals(p, out);
  summarize_value(p, out);
  out.bgnbd = models.bgnbd;
  out.gamma_gamma = models.gamma_gamma;
  out.purchase_model = models.purchase_model;
  out.purchase_model_status = models.purchase_model_status;
  out.selection = models.selection;
  out.config = cfg;
  return out;
}

Summary summarize(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res, const ScoringConfig& cfg) {
  check_result_of(base, res, cfg.threads);
  std::vector<SummaryPartial> parts;
  parts.push_back(customers_part(base, rep, res, cfg, {}));
  parts.push_back(referrals_part(base, rep, res, false));
  return finish_summary(merge_summary_partials(std::move(parts)), summary_models(res), cfg);
}

std::string to_json(const Summary& s) {
  json j;
  j["as_of"] = format_date(s.as_of);
  j["rows"] = rows_json(s);
  j["rejected_by_reason"] = s.rejected_by_reason;
  j["customers_scored"] = s.customers_scored;
  j["customers_not_yet_acquired"] = s.customers_not_yet_acquired;
  j["loyalty_given"] = loyalty_json(s);
  j["critical_wheel"] = wheel_json(s);
  j["revenue"] = {
      {"total", s.revenue_total},
      {"repeat_share", optional_number(s.repeat_share)},
      {"from_customers_two_years_or_more_share", optional_number(s.from_customers_two_years_or_more_share)}};
  j["referrals"] = referrals_json(s);
  j["value"] = {
      {"customers_with_purchases", s.customers_with_purchases},
      {"share_p_alive_above_half", optional_number(s.share_p_alive_above_threshold)},
      {"share_p_alive_above_half_among_buyers", optional_number(s.share_p_alive_above_threshold_among_buyers)},
      {"expected_value_total", optional_number(s.expected_value_total)},
      {"upserve_value_total", optional_number(s.upserve_value_total)},
      {"horizon_days", s.config.horizon_days}};
  j["ask_for_referral_customers"] = s.ask_for_referral_customers;
  json actions = json::object();
  for (std::size_t k = 0; k < s.next_actions.size(); ++k)
    actions[std::string(to_string(static_cast<NextAction>(k)))] = s.next_actions[k];
  j["next_actions"] = actions;
  j["bgnbd"] = bgnbd_json(s);
  j["gamma_gamma"] = model_json<GammaGammaParams>(s.gamma_gamma);
  if (s.config.value_model != ValueModelSetting::bgnbd) {  // new keys only off the default
    j["purchase_model"] = purchase_model_json(s);
    if (s.selection.automatic) j["model_selection"] = selection_json(s);
  }
  j["config"] = json::parse(config_to_json(s.config));
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string value_models_json(const Summary& s) {
  const json j{{"bgnbd", bgnbd_json(s)}, {"gamma_gamma", model_json<GammaGammaParams>(s.gamma_gamma)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---------------------------------------------------------------- exact sums

void ExactSum::add(double x) {
  if (!std::isfinite(x)) {
    special_ += x;
    return;
  }
  // Shewchuk's grow-expansion: after each step the partials are exact, non-overlapping and in
  // increasing magnitude, and their exact sum is the exact sum of everything added.
  std::size_t kept = 0;
  for (double y : partials_) {
    if (std::abs(x) < std::abs(y)) std::swap(x, y);
    const double hi = x + y;
    if (!std::isfinite(hi)) {  // the exact sum left the doubles: it is ±inf, as a plain sum would be
      special_ += hi;
      partials_.clear();
      return;
    }
    const double lo = y - (hi - x);
    if (lo != 0.0) partials_[kept++] = lo;
    x = hi;
  }
  partials_.resize(kept);
  partials_.push_back(x);
}

void ExactSum::merge(const ExactSum& other) {
  for (double x : other.partials_) add(x);
  special_ += other.special_;
}

double ExactSum::value() const {
  if (special_ != 0.0 || std::isnan(special_)) return special_;
  // Round the expansion once, from its largest partial down (as Python's math.fsum).
  std::size_t n = partials_.size();
  if (n == 0) return 0.0;
  double hi = partials_[--n], lo = 0.0;
  while (n > 0) {
    const double x = hi, y = partials_[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0.0) break;
  }
  // round half to even: a remainder of exactly half an ulp with the next partial of the same
  // sign rounds away
  if (n > 0 && ((lo < 0 && partials_[n - 1] < 0) || (lo > 0 && partials_[n - 1] > 0))) {
    const double y = lo * 2, x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

ExactSum ExactSum::from_parts(std::vector<double> parts) {
  ExactSum s;
  for (double x : parts) s.add(x);
  return s;
}

// ---------------------------------------------------------------- bytes

namespace {

constexpr std::string_view kPartialMagic = "rapport-summary-partial-1";

struct ByteWriter {
  std::string out;
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put(const std::string& v) {
    put<std::uint64_t>(v.size());
    out += v;
  }
  template <class T>
  void put(const std::vector<T>& v) {
    put<std::uint64_t>(v.size());
    for (const auto& x : v) put(x);
  }
  void put(const TableCounts& t) {
    put<std::uint64_t>(t.read);
    put<std::uint64_t>(t.rejected);
    put<std::uint64_t>(t.pending);
  }
  void put(const ExactSum& s) {
    put(s.parts());
    put<double>(s.value() == s.value() && !std::isinf(s.value()) ? 0.0 : s.value());
  }
};

struct ByteReader {
  std::string_view in;
  [[noreturn]] static void bad() { throw InputError("summary partial: the bytes were not written by to_bytes()"); }
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in.size() < sizeof(T)) bad();
    T v;
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return v;
  }
  std::size_t count(std::size_t item_size) {
    const auto n = get<std::uint64_t>();
    if (n > in.size() / std::max<std::size_t>(item_size, 1)) bad();
    return static_cast<std::size_t>(n);
  }
  std::string text() {
    const std::size_t n = count(1);
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
  template <class T>
  std::vector<T> column() {
    std::vector<T> v(count(sizeof(T)));
    for (auto& x : v) x = get<T>();
    return v;
  }
  TableCounts rows() {
    TableCounts t;
    t.read = get<std::uint64_t>();
    t.rejected = get<std::uint64_t>();
    t.pending = get<std::uint64_t>();
    return t;
  }
  ExactSum sum() {
    ExactSum s = ExactSum::from_parts(column<double>());
    const double special = get<double>();
    if (special != 0.0) s.add(special);
    return s;
  }
};

}  // namespace

std::string to_bytes(const SummaryPartial& p) {
  ByteWriter w;
  w.out.append(kPartialMagic);
  w.put<std::int32_t>(p.as_of);
  for (const auto* t : {&p.customers_rows, &p.contacts_rows, &p.purchases_rows, &p.referrals_rows}) w.put(*t);
  w.put<std::uint64_t>(p.rejected_by_reason.size());
  for (const auto& [reason, count] : p.rejected_by_reason) {
    w.put(reason);
    w.put<std::uint64_t>(count);
  }
  w.put<std::uint64_t>(p.customers_scored);
  w.put<std::uint64_t>(p.customers_not_yet_acquired);
  w.put(p.order);
  w.put(p.segment);
  w.put(p.segment_names);
  w.put(p.loyalty_given);
  w.put(p.expected_value);
  for (const auto c : p.stage_contacts) w.put<std::uint64_t>(c);
  for (const auto* s :
       {&p.revenue, &p.repeat_revenue, &p.tenured_revenue, &p.expected_value_total, &p.upserve_value_total})
    w.put(*s);
  w.put<std::uint64_t>(p.customers_with_purchases);
  w.put<std::uint64_t>(p.p_alive_above_threshold);
  w.put<std::uint64_t>(p.ask_for_referral_customers);
  for (const auto c : p.next_actions) w.put<std::uint64_t>(c);
  w.put<std::uint8_t>(p.p_alive_known);
  w.put<std::uint8_t>(p.value_known);
  w.put<std::uint8_t>(p.referrals.has_value());
  if (p.referrals) {
    const ReferralFigures& r = *p.referrals;
    w.put<std::uint64_t>(r.edges_before_as_of);
    w.put<std::uint64_t>(r.people);
    w.put<std::uint64_t>(r.converted_referrals);
    w.put(r.chain_depth_histogram);
    w.put<std::uint64_t>(r.largest_trees.size());
    for (const auto& t : r.largest_trees) {
      w.put(t.root_id);
      w.put<std::uint32_t>(t.tree_size);
      w.put<std::uint8_t>(t.root_is_customer);
      w.put<std::uint32_t>(t.root);
    }
    w.put<std::uint64_t>(r.cycles_broken.size());
    for (const auto& e : r.cycles_broken) {
      w.put(e.referrer_id);
      w.put(e.referred_id);
    }
  }
  return std::move(w.out);
}

SummaryPartial summary_partial_from_bytes(std::string_view bytes) {
  if (bytes.substr(0, kPartialMagic.size()) != kPartialMagic) ByteReader::bad();
  ByteReader r{bytes.substr(kPartialMagic.size())};
  SummaryPartial p;
  p.as_of = r.get<std::int32_t>();
  for (auto* t : {&p.customers_rows, &p.contacts_rows, &p.purchases_rows, &p.referrals_rows}) *t = r.rows();
  for (std::size_t k = r.count(16); k > 0; --k) {
    std::string reason = r.text();
    p.rejected_by_reason[reason] = r.get<std::uint64_t>();
  }
  p.customers_scored = r.get<std::uint64_t>();
  p.customers_not_yet_acquired = r.get<std::uint64_t>();
  p.order = r.column<std::uint64_t>();
  p.segment = r.column<std::uint32_t>();
  for (std::size_t k = r.count(8); k > 0; --k) p.segment_names.push_back(r.text());
  p.loyalty_given = r.column<double>();
  p.expected_value = r.column<double>();
  for (auto& c : p.stage_contacts) c = r.get<std::uint64_t>();
  for (auto* s : {&p.revenue, &p.repeat_revenue, &p.tenured_revenue, &p.expected_value_total, &p.upserve_value_total})
    *s = r.sum();
  p.customers_with_purchases = r.get<std::uint64_t>();
  p.p_alive_above_threshold = r.get<std::uint64_t>();
  p.ask_for_referral_customers = r.get<std::uint64_t>();
  for (auto& c : p.next_actions) c = r.get<std::uint64_t>();
  p.p_alive_known = r.get<std::uint8_t>() != 0;
  p.value_known = r.get<std::uint8_t>() != 0;
  if (r.get<std::uint8_t>() != 0) {
    ReferralFigures f;
    f.edges_before_as_of = r.get<std::uint64_t>();
    f.people = r.get<std::uint64_t>();
    f.converted_referrals = r.get<std::uint64_t>();
    f.chain_depth_histogram = r.column<std::uint32_t>();
    for (std::size_t k = r.count(17); k > 0; --k) {
      ReferralTree t;
      t.root_id = r.text();
      t.tree_size = r.get<std::uint32_t>();
      t.root_is_customer = r.get<std::uint8_t>() != 0;
      t.root = r.get<std::uint32_t>();
      f.largest_trees.push_back(std::move(t));
    }
    for (std::size_t k = r.count(16); k > 0; --k) {
      DroppedEdge e;
      e.referrer_id = r.text();
      e.referred_id = r.text();
      f.cycles_broken.push_back(std::move(e));
    }
    p.referrals = std::move(f);
  }
  const std::size_t n = p.customers_scored;
  if (!r.in.empty() || p.order.size() != n || p.segment.size() != n || p.loyalty_given.size() != n ||
      p.expected_value.size() != n)
    ByteReader::bad();
  for (const auto seg : p.segment)
    if (seg >= p.segment_names.size()) ByteReader::bad();
  return p;
}

std::string summary_json(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                         const ScoringConfig& config) {
  return to_json(summarize(base, report, result, config));
}

}  // namespace rapport
