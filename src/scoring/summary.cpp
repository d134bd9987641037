// The base-wide summary: summarize() computes every figure into a Summary, to_json() renders it.
#include <rapport/scoring/score.hpp>

#include <nlohmann/json.hpp>

#include "base/rows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

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

void summarize_loyalty(const CustomerBase& base, const ScoreResult& res, Summary& out) {
  const Scores& s = res.scores;
  const std::size_t n = s.size();
  out.loyalty_overall = distribution(s.loyalty_given);
  std::vector<std::vector<double>> per(base.segment_names.size());
  for (std::size_t r = 0; r < n; ++r) per[base.segment[s.customer[r]]].push_back(s.loyalty_given[r]);
  for (std::size_t k = 0; k < per.size(); ++k)
    if (!per[k].empty())
      out.loyalty_per_segment[base.segment_names[k].empty() ? "(none)" : base.segment_names[k]] = distribution(per[k]);

  out.value_known = res.value_known();
  if (!out.value_known) return;  // value deciles are meaningless without value at stake
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return s.expected_value[a] < s.expected_value[b]; });
  std::vector<std::vector<double>> dec(10);
  for (std::size_t k = 0; k < n; ++k) dec[std::min<std::size_t>(9, k * 10 / n)].push_back(s.loyalty_given[order[k]]);
  for (auto& d : dec) out.loyalty_per_value_decile.push_back(distribution(d));
  double top = 0, rest = 0;
  std::size_t nt = 0, nr = 0;
  for (std::size_t d = 0; d < 10; ++d)
    for (double v : dec[d]) (d == 9 ? (top += v, ++nt) : (rest += v, ++nr));
  if (nt && nr) out.top_decile_gap = top / static_cast<double>(nt) - rest / static_cast<double>(nr);
}

void summarize_wheel(const CustomerBase& base, const ScoreResult& res, Summary& out) {
  const Scores& s = res.scores;
  const seconds_t T = midnight(res.as_of + 1);
  std::array<std::size_t, 5> stage{};
  std::size_t contacts = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const auto c = s.customer[r];
    for (auto k = base.contact_offsets[c]; k < base.contact_offsets[c + 1]; ++k) {
      if (base.contact_at[k] >= T) continue;
      ++stage[static_cast<std::size_t>(base.contact_stage[k])];
      ++contacts;
    }
  }
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

void summarize_revenue(const CustomerBase& base, const ScoreResult& res, const ScoringConfig& cfg, Summary& out) {
  const Scores& s = res.scores;
  const seconds_t T = midnight(res.as_of + 1);
  double total = 0, repeat = 0, tenured = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const auto c = s.customer[r];
    day_t first = std::numeric_limits<day_t>::max();
    for (auto k = base.purchase_offsets[c]; k < base.purchase_offsets[c + 1]; ++k)
      if (base.purchase_at[k] < T) first = std::min(first, day_of(base.purchase_at[k]));
    const bool two_years = static_cast<double>(T - midnight(base.acquired_on[c])) >= cfg.tenure_full_days * 86400.0;
    for (auto k = base.purchase_offsets[c]; k < base.purchase_offsets[c + 1]; ++k) {
      if (base.purchase_at[k] >= T) continue;
      const double a = base.purchase_amount[k];
      total += a;
      if (day_of(base.purchase_at[k]) != first) repeat += a;
      if (two_years) tenured += a;
    }
  }
  out.revenue_total = total;
  if (total > 0) {
    out.repeat_share = repeat / total;
    out.from_customers_two_years_or_more_share = tenured / total;
  }
}

void summarize_referrals(const CustomerBase& base, const ScoreResult& res, Summary& out) {
  const auto& f = res.forest;
  const seconds_t T = midnight(res.as_of + 1);
  for (std::size_t e = 0; e < base.referral_count(); ++e) out.referral_edges_before_as_of += base.referral_at[e] < T;
  for (auto v : f.converted_referrals) out.converted_referrals += v;
  out.people = base.person_count();
  const std::size_t n = res.scores.size();
  out.k_factor = n ? static_cast<double>(out.converted_referrals) / static_cast<double>(n) : 0.0;
  out.chain_depth_histogram = f.depth_histogram;
  std::vector<std::uint32_t> roots;
  for (std::uint32_t v = 0; v < f.parent.size(); ++v)
    if (f.parent[v] == no_index && f.tree_size[v] > 1) roots.push_back(v);
  std::sort(roots.begin(), roots.end(), [&](auto a, auto b) {
    return f.tree_size[a] != f.tree_size[b] ? f.tree_size[a] > f.tree_size[b] : base.person(a) < base.person(b);
  });
  if (roots.size() > 10) roots.resize(10);
  for (auto v : roots) out.largest_trees.push_back({std::string(base.person(v)), f.tree_size[v], v < base.customer_count(), v});
  for (auto e : f.dropped_edges)
    out.cycles_broken.push_back(
        {std::string(base.person(base.referral_from[e])), std::string(base.person(base.referral_to[e]))});
}

void summarize_value(const ScoreResult& res, const ScoringConfig& cfg, Summary& out) {
  const Scores& s = res.scores;
  const std::size_t n = s.size();
  std::size_t alive = 0;
  double ev = 0, uv = 0;
  for (std::size_t r = 0; r < n; ++r) {
    out.customers_with_purchases += s.purchases_counted[r] > 0;
    alive += s.p_alive[r] > cfg.p_alive_threshold;
    ev += s.expected_value[r];
    uv += s.upserve_value[r];
    out.ask_for_referral_customers += s.ask_for_referral[r];
    ++out.next_actions[static_cast<std::size_t>(s.next_action[r])];
  }
  const std::size_t with = out.customers_with_purchases;
  if (res.bgnbd_error.empty()) {
    out.share_p_alive_above_threshold = n ? static_cast<double>(alive) / static_cast<double>(n) : 0.0;
    if (with) out.share_p_alive_above_threshold_among_buyers = static_cast<double>(alive) / static_cast<double>(with);
  }
  if (res.value_known()) {
    out.expected_value_total = ev;
    out.upserve_value_total = uv;
  }
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
  const auto table = [](const TableCounts& t) {
    return json{{"read", t.read}, {"rejected", t.rejected}, {"accepted", t.read - t.rejected}};
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
  for (const auto& e : s.cycles_broken) dropped.push_back({{"referrer_id", e.referrer_id}, {"referred_id", e.referred_id}});
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

json bgnbd_json(const Summary& s) {
  json j = model_json<BgNbdParams>(s.bgnbd);
  j["alpha_unit"] = "days";
  return j;
}

}  // namespace

Summary summarize(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res, const ScoringConfig& cfg) {
  detail::check_base(base, cfg.threads);
  for (const auto c : res.scores.customer)
    if (c >= base.customer_count()) throw InputError("summarize: the scores are not of this customer base");
  if (res.forest.tree_size.size() < res.forest.parent.size() || res.forest.parent.size() > base.person_count())
    throw InputError("summarize: the referral results are not of this customer base");
  Summary out;
  out.as_of = res.as_of;
  out.customers_rows = rep.customers;
  out.contacts_rows = rep.contacts;
  out.purchases_rows = rep.purchases;
  out.referrals_rows = rep.referrals;
  for (const auto& rj : rep.rejects) ++out.rejected_by_reason[rj.table + ": " + rj.reason.substr(0, rj.reason.find(" '"))];
  out.customers_scored = res.scores.size();
  out.customers_not_yet_acquired = base.customer_count() - res.scores.size();
  summarize_loyalty(base, res, out);
  summarize_wheel(base, res, out);
  summarize_revenue(base, res, cfg, out);
  summarize_referrals(base, res, out);
  summarize_value(res, cfg, out);
  out.bgnbd = model_summary(res.bgnbd, res.bgnbd_fitted, res.bgnbd_error, res.bgnbd_customers);
  out.gamma_gamma = model_summary(res.gamma_gamma, res.gamma_gamma_fitted, res.gamma_gamma_error, res.gamma_gamma_customers);
  out.config = cfg;
  return out;
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
  j["revenue"] = {{"total", s.revenue_total},
                  {"repeat_share", optional_number(s.repeat_share)},
                  {"from_customers_two_years_or_more_share", optional_number(s.from_customers_two_years_or_more_share)}};
  j["referrals"] = referrals_json(s);
  j["value"] = {{"customers_with_purchases", s.customers_with_purchases},
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
  j["config"] = json::parse(config_to_json(s.config));
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string value_models_json(const Summary& s) {
  const json j{{"bgnbd", bgnbd_json(s)}, {"gamma_gamma", model_json<GammaGammaParams>(s.gamma_gamma)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string summary_json(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                         const ScoringConfig& config) {
  return to_json(summarize(base, report, result, config));
}

}  // namespace rapport
