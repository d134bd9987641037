// The base-wide summary as JSON.
#include <rapport/scoring/score.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>

namespace rapport {

using nlohmann::json;

namespace {

std::string date_string(day_t d) { return format_date(d); }

json distribution(std::vector<double> v) {
  json j;
  j["customers"] = v.size();
  if (v.empty()) return j;
  std::sort(v.begin(), v.end());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  const auto quantile = [&](double p) {  // linear interpolation (numpy's default)
    const double pos = p * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
  };
  j["mean"] = mean;
  j["min"] = v.front();
  j["p10"] = quantile(0.10);
  j["p25"] = quantile(0.25);
  j["median"] = quantile(0.5);
  j["p75"] = quantile(0.75);
  j["p90"] = quantile(0.90);
  j["max"] = v.back();
  return j;
}

}  // namespace

std::string summary_json(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res,
                         const ScoringConfig& cfg) {
  const Scores& s = res.scores;
  const auto& f = res.forest;
  const std::size_t n = s.size();
  const seconds_t T = midnight(res.as_of + 1);
  json j;
  j["as_of"] = date_string(res.as_of);
  const auto table = [](const TableCounts& t) {
    return json{{"read", t.read}, {"rejected", t.rejected}, {"accepted", t.read - t.rejected}};
  };
  j["rows"] = {{"customers", table(rep.customers)},
               {"contacts", table(rep.contacts)},
               {"purchases", table(rep.purchases)},
               {"referrals", table(rep.referrals)}};
  std::map<std::string, std::size_t> reasons;
  for (const auto& rj : rep.rejects) ++reasons[rj.table + ": " + rj.reason.substr(0, rj.reason.find(" '"))];
  j["rejected_by_reason"] = reasons;
  j["customers_scored"] = n;
  j["customers_not_yet_acquired"] = base.customer_count() - n;

  // loyalty given: overall, per segment, per value decile
  j["loyalty_given"]["overall"] = distribution(s.loyalty_given);
  {
    std::vector<std::vector<double>> per(base.segment_names.size());
    for (std::size_t r = 0; r < n; ++r) per[base.segment[s.customer[r]]].push_back(s.loyalty_given[r]);
    json seg = json::object();
    for (std::size_t k = 0; k < per.size(); ++k)
      if (!per[k].empty()) seg[base.segment_names[k].empty() ? "(none)" : base.segment_names[k]] = distribution(per[k]);
    j["loyalty_given"]["per_segment"] = seg;
  }
  {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return s.expected_value[a] < s.expected_value[b]; });
    std::vector<std::vector<double>> dec(10);
    for (std::size_t k = 0; k < n; ++k) dec[std::min<std::size_t>(9, k * 10 / n)].push_back(s.loyalty_given[order[k]]);
    json arr = json::array();
    for (int d = 0; d < 10; ++d) {
      json dj = distribution(dec[d]);
      dj["decile"] = d + 1;
      arr.push_back(dj);
    }
    j["loyalty_given"]["per_value_decile"] = arr;
    double top = 0, rest = 0;
    std::size_t nt = 0, nr = 0;
    for (int d = 0; d < 10; ++d)
      for (double v : dec[d]) (d == 9 ? (top += v, ++nt) : (rest += v, ++nr));
    j["loyalty_given"]["top_decile_gap"] =
        (nt && nr) ? json(top / static_cast<double>(nt) - rest / static_cast<double>(nr)) : json(nullptr);
    j["loyalty_given"]["top_decile_gap_note"] =
        "mean loyalty given to the top value decile minus the rest; every customer deserves the same service";
  }
  // Critical Wheel effort and service share
  {
    std::array<std::size_t, 5> stage{};
    std::size_t contacts = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const auto c = s.customer[r];
      for (auto k = base.contact_offsets[c]; k < base.contact_offsets[c + 1]; ++k) {
        if (base.contact_at[k] >= T) continue;
        ++stage[static_cast<int>(base.contact_stage[k])];
        ++contacts;
      }
    }
    const std::size_t sales = stage[0] + stage[1] + stage[2] + stage[3];
    static constexpr double target[] = {0.40, 0.30, 0.20, 0.10};
    json wheel = json::object();
    for (int k = 0; k < 4; ++k) {
      const double share = sales ? static_cast<double>(stage[k]) / static_cast<double>(sales) : 0.0;
      wheel[std::string(to_string(static_cast<Stage>(k)))] = {
          {"contacts", stage[k]}, {"share", share}, {"target", target[k]}, {"gap", share - target[k]}};
    }
    j["critical_wheel"] = {{"sales_stage_contacts", sales},
                           {"stages", wheel},
                           {"service_contacts", stage[4]},
                           {"service_share", contacts ? static_cast<double>(stage[4]) / static_cast<double>(contacts) : 0.0},
                           {"service_per_sales_contact",
                            sales ? static_cast<double>(stage[4]) / static_cast<double>(sales) : 0.0}};
  }
  // revenue shares
  {
    double total = 0, repeat = 0, tenured = 0;
    for (std::size_t r = 0; r < n; ++r) {
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
    j["revenue"] = {{"total", total},
                    {"repeat_share", total > 0 ? json(repeat / total) : json(nullptr)},
                    {"from_customers_two_years_or_more_share", total > 0 ? json(tenured / total) : json(nullptr)}};
  }
  // referrals
  {
    std::size_t converted = 0, live = 0;
    for (std::size_t e = 0; e < base.referral_count(); ++e) live += base.referral_at[e] < T;
    for (auto v : f.converted_referrals) converted += v;
    std::vector<std::uint32_t> roots;
    for (std::uint32_t v = 0; v < f.parent.size(); ++v)
      if (f.parent[v] == no_index && f.tree_size[v] > 1) roots.push_back(v);
    std::sort(roots.begin(), roots.end(), [&](auto a, auto b) {
      return f.tree_size[a] != f.tree_size[b] ? f.tree_size[a] > f.tree_size[b] : base.person(a) < base.person(b);
    });
    if (roots.size() > 10) roots.resize(10);
    json largest = json::array();
    for (auto v : roots)
      largest.push_back({{"root_id", base.person(v)}, {"tree_size", f.tree_size[v]},
                         {"root_is_customer", v < base.customer_count()}});
    json dropped = json::array();
    for (auto e : f.dropped_edges)
      dropped.push_back({{"referrer_id", base.person(base.referral_from[e])},
                         {"referred_id", base.person(base.referral_to[e])}});
    j["referrals"] = {{"edges_before_as_of", live},
                      {"people", base.person_count()},
                      {"converted_referrals", converted},
                      {"k_factor", n ? static_cast<double>(converted) / static_cast<double>(n) : 0.0},
                      {"chain_depth_histogram", f.depth_histogram},
                      {"largest_trees", largest},
                      {"cycles_broken", dropped}};
  }
  // value at stake
  {
    std::size_t with = 0, alive = 0, ask = 0;
    double ev = 0, uv = 0;
    for (std::size_t r = 0; r < n; ++r) {
      if (!std::isnan(s.p_alive[r])) {
        ++with;
        alive += s.p_alive[r] > cfg.p_alive_threshold;
      }
      ev += s.expected_value[r];
      uv += s.upserve_value[r];
      ask += s.ask_for_referral[r];
    }
    j["value"] = {{"customers_with_purchases", with},
                  {"share_p_alive_above_half", n ? static_cast<double>(alive) / static_cast<double>(n) : 0.0},
                  {"share_p_alive_above_half_among_buyers", with ? json(static_cast<double>(alive) / static_cast<double>(with)) : json(nullptr)},
                  {"expected_value_total", ev},
                  {"upserve_value_total", uv},
                  {"horizon_days", cfg.horizon_days}};
    j["ask_for_referral_customers"] = ask;
    std::array<std::size_t, 8> actions{};
    for (auto a : s.next_action) ++actions[static_cast<int>(a)];
    json aj = json::object();
    for (int k = 0; k < 8; ++k) aj[std::string(to_string(static_cast<NextAction>(k)))] = actions[k];
    j["next_actions"] = aj;
  }
  j["bgnbd"] = {{"r", res.bgnbd.r}, {"alpha", res.bgnbd.alpha}, {"a", res.bgnbd.a}, {"b", res.bgnbd.b},
                {"log_likelihood", res.bgnbd_fitted ? json(res.bgnbd.log_likelihood) : json(nullptr)},
                {"fitted", res.bgnbd_fitted}, {"customers", res.bgnbd_customers}, {"alpha_unit", "days"}};
  j["gamma_gamma"] = {{"p", res.gamma_gamma.p}, {"q", res.gamma_gamma.q}, {"gamma", res.gamma_gamma.gamma},
                      {"log_likelihood", res.gamma_gamma_fitted ? json(res.gamma_gamma.log_likelihood) : json(nullptr)},
                      {"fitted", res.gamma_gamma_fitted}, {"customers", res.gamma_gamma_customers}};
  j["config"] = json::parse(config_to_json(cfg));
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}
}  // namespace rapport
