// Output: the scores CSV, explanations, the base-wide summary, config JSON, atomic writes.
#include <rapport/scoring/score.hpp>

#include "io/atomic_file.hpp"
#include "util/parallel.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace rapport {

using nlohmann::json;

std::string format_number(double v) {
  if (std::isnan(v)) return {};
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void write_file_atomically(const std::string& path, std::string_view text) {
  detail::AtomicFile f(path);
  f.write(text);
  f.commit();
}

const std::vector<std::string>& score_columns() {
  static const std::vector<std::string> cols{
      "customer_id",   "loyalty_given", "continuity",      "follow_through",     "impression",
      "recovery",      "service_ladder", "p_alive",        "expected_purchases", "expected_value",
      "upserve_value", "upserve_score", "next_action",     "referral_potential", "advocacy",
      "track_record",  "chain_reach",   "timing",          "tenure",             "ask_for_referral",
      "direct_referrals", "converted_referrals", "generation", "root_id",         "tree_size",
      "katz"};
  return cols;
}

namespace {

void append_csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) return;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

json num(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

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

namespace {
void append_score_row(std::string& out, const CustomerBase& base, const ScoreResult& res, std::size_t r) {
  const Scores& s = res.scores;
  const auto& f = res.forest;
  const auto c = s.customer[r];
  append_csv_field(out, base.customer_id[c]);
  const auto d = [&](double v) {
    out.push_back(',');
    append_number(out, v);
  };
  const auto u = [&](std::uint64_t v) {
    out.push_back(',');
    append_uint(out, v);
  };
  d(s.loyalty_given[r]);
  for (int k = 0; k < 5; ++k) d(s.loyalty[k][r]);
  d(s.p_alive[r]);
  d(s.expected_purchases[r]);
  d(s.expected_value[r]);
  d(s.upserve_value[r]);
  d(s.upserve_score[r]);
  out.push_back(',');
  out += to_string(s.next_action[r]);
  d(s.referral_potential[r]);
  for (int k = 0; k < 5; ++k) d(s.referral[k][r]);
  out += s.ask_for_referral[r] ? ",true" : ",false";
  u(f.direct_referrals[c]);
  u(f.converted_referrals[c]);
  u(f.generation[c]);
  out.push_back(',');
  append_csv_field(out, base.person(f.root[c]));
  u(f.tree_size[c]);
  d(f.katz[c]);
  out.push_back('\n');
}

// Formats rows in parallel batches and writes them in order.
template <class Row>
void write_rows_parallel(detail::AtomicFile& file, std::size_t n, unsigned threads, Row&& row) {
  const unsigned t = detail::thread_count(threads);
  const std::size_t batch = 16384;
  std::vector<std::string> chunks(t);
  for (std::size_t lo = 0; lo < n; lo += batch * t) {
    detail::parallel_for(
        t, t,
        [&](std::size_t a, std::size_t b) {
          for (std::size_t k = a; k < b; ++k) {
            chunks[k].clear();
            const std::size_t from = lo + k * batch, to = std::min(n, from + batch);
            for (std::size_t r = from; r < to; ++r) row(chunks[k], r);
          }
        },
        1);
    for (auto& c : chunks) file.write(c);
  }
}
}  // namespace

void write_scores_csv(const std::string& path, const CustomerBase& base, const ScoreResult& res, unsigned threads) {
  detail::AtomicFile file(path);
  const auto& cols = score_columns();
  std::string header;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i) header.push_back(',');
    header += cols[i];
  }
  header.push_back('\n');
  file.write(header);
  write_rows_parallel(file, res.scores.size(), threads,
                      [&](std::string& out, std::size_t r) { append_score_row(out, base, res, r); });
  file.commit();
}

std::string explain_json(const CustomerBase& base, const ScoreResult& res, std::size_t r, const ScoringConfig& cfg) {
  const Scores& s = res.scores;
  const auto& f = res.forest;
  const auto c = s.customer.at(r);
  json j;
  j["customer_id"] = base.customer_id[c];
  const auto components = [&](const auto& names, const auto& values, const auto& evidence, const auto& weights) {
    double wsum = 0;
    for (std::size_t k = 0; k < 5; ++k)
      if (!std::isnan(values[k][r])) wsum += weights[k];
    json arr = json::array();
    for (std::size_t k = 0; k < 5; ++k) {
      const double v = values[k][r];
      json cj;
      cj["name"] = names[k];
      cj["value"] = num(v);
      cj["weight"] = weights[k];
      cj["evidence"] = evidence[k];
      if (std::isnan(v)) {
        cj["effective_weight"] = 0.0;
        cj["contribution"] = nullptr;
        cj["note"] = "no evidence";
      } else {
        cj["effective_weight"] = weights[k] / wsum;
        cj["contribution"] = 100.0 * weights[k] * v / wsum;
      }
      arr.push_back(cj);
    }
    return arr;
  };
  json L;
  L["value"] = num(s.loyalty_given[r]);
  std::array<std::uint32_t, 5> loyalty_evidence{};
  for (std::size_t k = 0; k < 5; ++k) loyalty_evidence[k] = s.loyalty_evidence[k][r];
  L["components"] = components(loyalty_components, s.loyalty, loyalty_evidence, cfg.loyalty_weights);
  L["service_ladder_detail"] = {{"technical", s.ladder_technical[r]},
                                {"hospitality", s.ladder_hospitality[r]},
                                {"wow", s.ladder_wow[r] != 0}};
  j["loyalty_given"] = L;
  json na;
  na["action"] = to_string(s.next_action[r]);
  na["gap"] = num(s.next_action_gap[r]);
  na["overdue_complaint"] = s.overdue_complaint[r] != 0;
  json gaps = json::object();
  for (std::size_t k = 0; k < 5; ++k)
    gaps[std::string(loyalty_components[k])] =
        std::isnan(s.loyalty[k][r]) ? json(nullptr) : json(cfg.loyalty_weights[k] * (1.0 - s.loyalty[k][r]));
  na["gaps"] = gaps;
  na["reason"] = s.overdue_complaint[r] ? "a complaint is open past its window"
                 : s.next_action[r] == NextAction::none ? "every evidenced gap is zero"
                                                        : "largest weighted gap weight*(1-value)";
  j["next_action"] = na;
  json V;
  V["frequency"] = num(s.frequency[r]);
  V["recency_days"] = num(s.recency[r]);
  V["age_days"] = num(s.age[r]);
  V["mean_repeat_spend"] = num(s.monetary[r]);
  V["p_alive"] = num(s.p_alive[r]);
  V["expected_purchases"] = num(s.expected_purchases[r]);
  V["expected_spend"] = std::isnan(s.frequency[r])
                            ? json(nullptr)
                            : json(gamma_gamma_expected_spend(res.gamma_gamma, s.frequency[r],
                                                              s.frequency[r] >= 1 ? s.monetary[r] : 0.0));
  V["expected_value"] = s.expected_value[r];
  V["upserve_value"] = s.upserve_value[r];
  V["upserve_score"] = s.upserve_score[r];
  j["value_at_stake"] = V;
  json R;
  R["value"] = num(s.referral_potential[r]);
  R["components"] = components(referral_components, s.referral, referral_evidence(res, r), cfg.referral_weights);
  const double adv = s.referral[0][r];
  const bool gated = !std::isnan(adv) && adv < cfg.advocacy_gate;
  R["gate"] = {{"applied", gated}, {"factor", gated ? 2.0 * adv : 1.0}};
  R["ask_for_referral"] = s.ask_for_referral[r] != 0;
  j["referral_potential"] = R;
  j["referrals"] = {{"direct_referrals", f.direct_referrals[c]},
                    {"converted_referrals", f.converted_referrals[c]},
                    {"generation", f.generation[c]},
                    {"root_id", base.person(f.root[c])},
                    {"tree_size", f.tree_size[c]},
                    {"katz", f.katz[c]},
                    {"parent_id", f.parent[c] == no_index ? json(nullptr) : json(base.person(f.parent[c]))}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void write_explain_jsonl(const std::string& path, const CustomerBase& base, const ScoreResult& res,
                         const ScoringConfig& cfg) {
  detail::AtomicFile file(path);
  write_rows_parallel(file, res.scores.size(), cfg.threads, [&](std::string& out, std::size_t r) {
    out += explain_json(base, res, r, cfg);
    out.push_back('\n');
  });
  file.commit();
}

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

// ---------------------------------------------------------------------------------------------
// config

namespace {
template <class F>
void weights_from(const json& v, std::array<double, 5>& w, const std::array<std::string_view, 5>& names, F&& fail) {
  if (v.is_array()) {
    if (v.size() != 5) fail("expects 5 weights");
    for (std::size_t k = 0; k < 5; ++k) w[k] = v[k].template get<double>();
  } else if (v.is_object()) {
    for (auto& [key, val] : v.items()) {
      auto it = std::find(names.begin(), names.end(), key);
      if (it == names.end()) fail("unknown component '" + key + "'");
      w[static_cast<std::size_t>(it - names.begin())] = val.template get<double>();
    }
  } else {
    fail("expects an array of 5 numbers or an object keyed by component");
  }
  for (double x : w)
    if (!(x >= 0) || !std::isfinite(x)) fail("weights must be finite and >= 0");
}
}  // namespace

ScoringConfig config_from_json(const std::string& text) {
  ScoringConfig c;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(std::string("config: invalid JSON: ") + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument("config: expected a JSON object");
  std::map<std::string, double*> scalars{
      {"half_life_days", &c.half_life_days},
      {"period_days", &c.period_days},
      {"follow_up_days", &c.follow_up_days},
      {"complaint_days", &c.complaint_days},
      {"impression_lambda", &c.impression_lambda},
      {"technical_threshold", &c.technical_threshold},
      {"hospitality_threshold", &c.hospitality_threshold},
      {"wow_window_days", &c.wow_window_days},
      {"katz_beta", &c.katz_beta},
      {"chain_reach_scale", &c.chain_reach_scale},
      {"timing_half_life_days", &c.timing_half_life_days},
      {"tenure_full_days", &c.tenure_full_days},
      {"advocacy_gate", &c.advocacy_gate},
      {"ask_timing", &c.ask_timing},
      {"ask_advocacy", &c.ask_advocacy},
      {"horizon_days", &c.horizon_days},
      {"p_alive_threshold", &c.p_alive_threshold}};
  for (auto item = j.begin(); item != j.end(); ++item) {
    const std::string key = item.key();
    const json& val = item.value();
    const auto fail = [&](const std::string& why) { throw std::invalid_argument("config: '" + key + "' " + why); };
    try {
      if (auto it = scalars.find(key); it != scalars.end()) {
        if (!val.is_number()) fail("expects a number");
        *it->second = val.get<double>();
        if (!std::isfinite(*it->second)) fail("must be finite");
      } else if (key == "loyalty_weights") {
        weights_from(val, c.loyalty_weights, loyalty_components, fail);
      } else if (key == "referral_weights") {
        weights_from(val, c.referral_weights, referral_components, fail);
      } else if (key == "threads") {
        c.threads = val.get<unsigned>();
      } else if (key == "bgnbd") {
        if (val.is_null()) continue;
        c.bgnbd = BgNbdParams{val.at("r").get<double>(), val.at("alpha").get<double>(), val.at("a").get<double>(),
                              val.at("b").get<double>(), std::numeric_limits<double>::quiet_NaN()};
      } else if (key == "gamma_gamma") {
        if (val.is_null()) continue;
        c.gamma_gamma = GammaGammaParams{val.at("p").get<double>(), val.at("q").get<double>(),
                                         val.at("gamma").get<double>(), std::numeric_limits<double>::quiet_NaN()};
      } else if (key == "fit") {
        if (val.contains("max_iterations")) c.fit.max_iterations = val["max_iterations"].get<int>();
        if (val.contains("gradient_tolerance")) c.fit.gradient_tolerance = val["gradient_tolerance"].get<double>();
        if (val.contains("min_customers")) c.fit.min_customers = val["min_customers"].get<std::size_t>();
      } else {
        fail("is not a config key");
      }
    } catch (const json::exception& e) {
      fail(std::string("has the wrong type: ") + e.what());
    }
  }
  if (c.half_life_days <= 0 || c.period_days <= 0 || c.complaint_days <= 0 || c.timing_half_life_days <= 0 ||
      c.tenure_full_days <= 0 || c.chain_reach_scale <= 0 || c.horizon_days < 0)
    throw std::invalid_argument("config: durations and scales must be positive");
  return c;
}

std::string config_to_json(const ScoringConfig& c) {
  json j{{"half_life_days", c.half_life_days},
         {"period_days", c.period_days},
         {"follow_up_days", c.follow_up_days},
         {"complaint_days", c.complaint_days},
         {"impression_lambda", c.impression_lambda},
         {"technical_threshold", c.technical_threshold},
         {"hospitality_threshold", c.hospitality_threshold},
         {"wow_window_days", c.wow_window_days},
         {"katz_beta", c.katz_beta},
         {"chain_reach_scale", c.chain_reach_scale},
         {"timing_half_life_days", c.timing_half_life_days},
         {"tenure_full_days", c.tenure_full_days},
         {"advocacy_gate", c.advocacy_gate},
         {"ask_timing", c.ask_timing},
         {"ask_advocacy", c.ask_advocacy},
         {"horizon_days", c.horizon_days},
         {"p_alive_threshold", c.p_alive_threshold},
         {"threads", c.threads}};
  json lw = json::object(), rw = json::object();
  for (std::size_t k = 0; k < 5; ++k) {
    lw[std::string(loyalty_components[k])] = c.loyalty_weights[k];
    rw[std::string(referral_components[k])] = c.referral_weights[k];
  }
  j["loyalty_weights"] = lw;
  j["referral_weights"] = rw;
  j["bgnbd"] = c.bgnbd ? json{{"r", c.bgnbd->r}, {"alpha", c.bgnbd->alpha}, {"a", c.bgnbd->a}, {"b", c.bgnbd->b}} : json(nullptr);
  j["gamma_gamma"] = c.gamma_gamma ? json{{"p", c.gamma_gamma->p}, {"q", c.gamma_gamma->q}, {"gamma", c.gamma_gamma->gamma}}
                                   : json(nullptr);
  j["fit"] = {{"max_iterations", c.fit.max_iterations},
              {"gradient_tolerance", c.fit.gradient_tolerance},
              {"min_customers", c.fit.min_customers}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rapport
