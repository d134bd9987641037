// The visual report: one self-contained HTML page built from the summary and from aggregates of
// the scores (histograms, top-N lists, the largest referral trees). Never one element per customer.
#include <rapport/io/html_report.hpp>
#include <rapport/version.hpp>

#include "report/html_svg.hpp"
#include "report/validation_figures.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace rapport {
namespace {

using nlohmann::json;
using namespace detail::html;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// The summary's figures as the page shows them: where to_json() writes null (nullopt, NaN,
// ±infinity) the page shows "—" and an empty data-value, and names carry the JSON's spelling.

double shown(double v) { return std::isfinite(v) ? v : nan_v; }
double shown(const std::optional<double>& v) { return v ? shown(*v) : nan_v; }

Distribution shown(Distribution d) {
  for (double* x : {&d.mean, &d.min, &d.p10, &d.p25, &d.median, &d.p75, &d.p90, &d.max}) *x = shown(*x);
  return d;
}

/// `text` as to_json() writes it: invalid UTF-8 replaced by U+FFFD as nlohmann replaces it, so a
/// data-metric pointer built from a name resolves in the summary's JSON.
std::string as_in_json(const std::string& text) {
  if (std::all_of(text.begin(), text.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; })) return text;
  return json::parse(json(text).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

// ---------------------------------------------------------------------------------------------
// Aggregates of the scores that the summary does not hold.

struct Histogram {
  std::vector<std::string> labels;
  std::vector<std::size_t> counts;
  std::size_t missing = 0;  ///< NaN values, not in any bin
};

/// `bins` equal bins over [lo, hi]; the last bin is closed.
Histogram uniform_histogram(const std::vector<double>& values, double lo, double hi, std::size_t bins, int decimals) {
  Histogram h;
  h.counts.assign(bins, 0);
  const double width = (hi - lo) / static_cast<double>(bins);
  for (std::size_t b = 0; b < bins; ++b)
    h.labels.push_back(fixed(lo + width * static_cast<double>(b), decimals) + "–" +
                       fixed(lo + width * static_cast<double>(b + 1), decimals));
  for (double x : values) {
    if (std::isnan(x)) {
      ++h.missing;
      continue;
    }
    const double pos = std::floor((std::clamp(x, lo, hi) - lo) / width);
    ++h.counts[std::min(bins - 1, static_cast<std::size_t>(pos))];
  }
  return h;
}

/// Amount bins with 1-2-5 edges: "0", then [e_k, e_k+1) up to the largest value; at most 10 bins
/// above zero (about three decades), anything smaller goes to the first. Labelled by lower edge.
Histogram amount_histogram(const std::vector<double>& values, const std::string& currency) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (double x : values)
    if (x > 0 && std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  std::vector<double> edges;  // lower edges of the positive bins, descending while built
  if (hi > 0) {
    static constexpr double steps[] = {1, 2, 5};
    double scale = std::pow(10.0, std::floor(std::log10(hi)));
    int k = 2;
    while (steps[k] * scale > hi) k == 0 ? (k = 2, scale /= 10) : --k;
    while (edges.size() < 10) {
      edges.push_back(steps[k] * scale);
      if (edges.back() <= lo) break;
      k == 0 ? (k = 2, scale /= 10) : --k;
    }
    std::reverse(edges.begin(), edges.end());
  }
  Histogram h;
  h.labels.push_back(short_money(0, currency));
  for (std::size_t b = 0; b < edges.size(); ++b)
    h.labels.push_back(
        b == 0 ? (edges.size() == 1 ? "> " + short_money(0, currency) : "< " + short_money(edges[1], currency))
               : short_money(edges[b], currency));
  h.counts.assign(edges.size() + 1, 0);
  for (double x : values) {
    if (std::isnan(x)) {
      ++h.missing;
    } else if (!(x > 0)) {
      ++h.counts[0];
    } else {
      const auto it = std::upper_bound(edges.begin() + 1, edges.end(), x);
      ++h.counts[static_cast<std::size_t>(it - edges.begin())];
    }
  }
  return h;
}

struct ComponentMean {
  double mean = nan_v;  ///< over customers with evidence
  std::size_t with_evidence = 0;
};

std::array<ComponentMean, 5> loyalty_component_means(const Scores& s) {
  std::array<ComponentMean, 5> out;
  for (std::size_t c = 0; c < 5; ++c) {
    double sum = 0;
    for (double x : s.loyalty.values[c])
      if (!std::isnan(x)) sum += x, ++out[c].with_evidence;
    if (out[c].with_evidence) out[c].mean = sum / static_cast<double>(out[c].with_evidence);
  }
  return out;
}

/// Rows with `keep(row)`, the `n` largest by `key` (ties: input order).
template <class Key, class Keep>
std::vector<std::size_t> top_rows(std::size_t rows, std::size_t n, Key key, Keep keep) {
  std::vector<std::size_t> idx;
  for (std::size_t r = 0; r < rows; ++r)
    if (keep(r)) idx.push_back(r);
  const auto k = std::min(n, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                    [&](std::size_t a, std::size_t b) { return key(a) != key(b) ? key(a) > key(b) : a < b; });
  idx.resize(k);
  return idx;
}

// ---------------------------------------------------------------------------------------------
// Sections

struct Context {
  const CustomerBase& base;
  const ScoreResult& result;
  const ScoringConfig& config;
  const HtmlReportOptions& options;
  const Summary& f;
};

std::string section(const char* id, const char* heading, const std::string& body) {
  return std::string("<section id=\"") + id + "\" aria-labelledby=\"" + id + "-h\"><h2 id=\"" + id + "-h\">" + heading +
         "</h2>\n" + body + "</section>\n";
}

std::string kpis(const Context& c) {
  const auto& f = c.f;
  const Distribution loyalty = shown(f.loyalty_overall);
  const double gap = shown(f.top_decile_gap), ev = shown(f.expected_value_total), up = shown(f.upserve_value_total);
  const double k_factor = shown(f.k_factor);
  const auto kpi = [](const std::string& label, const std::string& value) {
    return "<div class=\"kpi\"><div class=\"kpi-value\">" + value + "</div><div class=\"kpi-label\">" + label +
           "</div></div>";
  };
  std::string out = "<div class=\"kpis\">";
  out += kpi("customers scored",
             metric("/customers_scored", static_cast<double>(f.customers_scored), count(f.customers_scored)));
  out +=
      kpi("mean loyalty given (of 100)", metric("/loyalty_given/overall/mean", loyalty.mean, fixed(loyalty.mean, 1)));
  out += kpi("top value decile gap (points)", metric("/loyalty_given/top_decile_gap", gap, signed_fixed(gap, 1)));
  out += kpi("expected value, next " + fixed(shown(f.config.horizon_days), 0) + " days",
             metric("/value/expected_value_total", ev, money(ev, c.options.currency)));
  out += kpi("up-serve value at stake", metric("/value/upserve_value_total", up, money(up, c.options.currency)));
  out += kpi("referral K-factor", metric("/referrals/k_factor", k_factor, fixed(k_factor, 3)));
  out += kpi("customers to ask for a referral now",
             metric("/ask_for_referral_customers", static_cast<double>(f.ask_for_referral_customers),
                    count(f.ask_for_referral_customers)));
  return out + "</div>\n";
}

std::string loyalty_section(const Context& c) {
  const auto& f = c.f;
  const auto& s = c.result.scores;
  const Distribution loyalty = shown(f.loyalty_overall);
  std::string body;
  const auto hist = uniform_histogram(s.loyalty_given, 0, 100, 20, 0);
  body += figure(
      reading("Mean loyalty given is " + metric("/loyalty_given/overall/mean", loyalty.mean, fixed(loyalty.mean, 1)) +
              " of 100; the middle half of customers get between " +
              metric("/loyalty_given/overall/p25", loyalty.p25, fixed(loyalty.p25, 1)) + " and " +
              metric("/loyalty_given/overall/p75", loyalty.p75, fixed(loyalty.p75, 1)) + "."),
      column_chart({"loyalty-histogram", "Distribution of loyalty given",
                    "Customers per 5-point band of loyalty given (0 to 100).", "loyalty given", "customers",
                    hist.labels, hist.counts, palette::blue}));

  std::vector<RangeRow> rows;
  for (const auto& [segment, dist] : f.loyalty_per_segment) {
    const std::string name = as_in_json(segment);
    const Distribution d = shown(dist);
    rows.push_back({name, "/loyalty_given/per_segment/" + pointer_token(name), d.customers, d.p10, d.p25, d.median,
                    d.p75, d.p90, d.mean});
  }
  std::string seg_reading = "No segment has scored customers.";
  if (!rows.empty()) {
    const auto [lo, hi] = std::minmax_element(rows.begin(), rows.end(),
                                              [](const RangeRow& a, const RangeRow& b) { return a.mean < b.mean; });
    seg_reading = "Mean loyalty given by segment runs from " +
                  metric(lo->pointer + "/mean", lo->mean, fixed(lo->mean, 1)) + " (" + escape(lo->label) + ") to " +
                  metric(hi->pointer + "/mean", hi->mean, fixed(hi->mean, 1)) + " (" + escape(hi->label) + ").";
  }
  body += figure(
      reading(seg_reading),
      range_chart({"loyalty-per-segment", "Loyalty given per segment",
                   "Per segment: whiskers p10 to p90, box p25 to p75, line the median, dot the mean.", rows, 0, 100}));

  const auto comps = loyalty_component_means(s);
  std::vector<Bar> bars;
  std::size_t weakest = 5;
  for (std::size_t k = 0; k < 5; ++k) {
    bars.push_back({std::string(loyalty_components[k]), comps[k].mean,
                    aggregate("loyalty_component_mean/" + std::string(loyalty_components[k]), comps[k].mean,
                              fixed(comps[k].mean, 2), "tspan"),
                    nan_v});
    if (!std::isnan(comps[k].mean) && (weakest == 5 || comps[k].mean < comps[weakest].mean)) weakest = k;
  }
  body += figure(reading(weakest == 5 ? std::string("No component has evidence yet.")
                                      : "Weakest component: " + std::string(loyalty_components[weakest]) + " at " +
                                            fixed(comps[weakest].mean, 2) + " (mean over the " +
                                            count(comps[weakest].with_evidence) + " customers with evidence)."),
                 bar_chart({"loyalty-components", "The five loyalty-given components",
                            "Mean of each component (0 to 1) over the customers with evidence for it.", bars, 1.0,
                            palette::green}));
  return section("loyalty", "Loyalty given", body);
}

std::string same_service_section(const Context& c) {
  const auto& f = c.f;
  std::vector<RangeRow> rows;
  for (std::size_t d = 0; d < f.loyalty_per_value_decile.size(); ++d) {
    const Distribution x = shown(f.loyalty_per_value_decile[d]);
    rows.push_back({"decile " + std::to_string(d + 1), "/loyalty_given/per_value_decile/" + std::to_string(d),
                    x.customers, x.p10, x.p25, x.median, x.p75, x.p90, x.mean});
  }
  const double gap = shown(f.top_decile_gap);
  const std::string text = std::isnan(gap)
                               ? std::string("Too few customers to compare the top value decile with the rest.")
                               : "The top value decile gets " +
                                     metric("/loyalty_given/top_decile_gap", gap, fixed(std::abs(gap), 1)) +
                                     (gap >= 0 ? " points more" : " points less") +
                                     " loyalty than the other nine; every customer deserves the same service.";
  return section("same-service", "Every customer gets the same service",
                 figure(reading(text), range_chart({"loyalty-by-value-decile", "Loyalty given by expected-value decile",
                                                    "Decile 1 holds the lowest expected values, decile 10 the highest.",
                                                    rows, 0, 100})));
}

std::string wheel_section(const Context& c) {
  const auto& f = c.f;
  std::vector<Bar> bars;
  const WheelStage* worst = nullptr;
  for (const auto& st : f.wheel_stages) {
    const std::string name(to_string(st.stage));
    const double share = shown(st.share);
    bars.push_back(
        {name, share,
         metric("/critical_wheel/stages/" + pointer_token(name) + "/share", share, percent(share, 1), "tspan") +
             " (target " + percent(shown(st.target), 0) + ")",
         shown(st.target)});
    if (!worst || std::abs(shown(st.gap)) > std::abs(shown(worst->gap))) worst = &st;
  }
  std::string text = "No contact in a sales stage yet.";
  if (worst && f.sales_stage_contacts)
    text = "Largest gap: " + std::string(to_string(worst->stage)) + " gets " + percent(shown(worst->share), 1) +
           " of sales-stage effort against " + percent(shown(worst->target), 0) + "; service after the sale is " +
           metric("/critical_wheel/service_share", shown(f.service_share), percent(shown(f.service_share), 1)) +
           " of all contacts.";
  return section("critical-wheel", "Critical Wheel",
                 figure(reading(text),
                        bar_chart({"critical-wheel", "Contact effort per sales stage against the 40/30/20/10 target",
                                   "Share of sales-stage contacts per stage; the black tick marks the target share.",
                                   bars, 0.6, palette::orange})));
}

std::string params_table(const Context& c) {
  std::string out =
      "<table class=\"params\"><caption>Fitted value models</caption><thead><tr><th scope=\"col\">model</th>"
      "<th scope=\"col\">parameters</th><th scope=\"col\">customers</th><th "
      "scope=\"col\">log-likelihood</th></tr></thead><tbody>";
  const auto row = [&](const char* key, const char* label, const ModelSummary& p,
                       std::initializer_list<const char*> names) {
    out += std::string("<tr><th scope=\"row\">") + label + "</th><td>";
    for (const char* name : names) {
      const auto it = p.parameters.find(name);
      const double v = it == p.parameters.end() ? nan_v : shown(it->second);
      out += escape(name) + " = " +
             metric(std::string("/") + key + "/" + name, v, fixed(v, std::abs(v) >= 100 ? 1 : 3)) + " ";
    }
    const double log_likelihood = shown(p.log_likelihood);
    out +=
        "</td><td>" +
        (p.fitted ? metric(std::string("/") + key + "/customers", static_cast<double>(p.customers), count(p.customers))
                  : std::string("given")) +
        "</td><td>" +
        (p.fitted ? metric(std::string("/") + key + "/log_likelihood", log_likelihood, fixed(log_likelihood, 1))
                  : std::string("—")) +
        "</td></tr>";
  };
  row("bgnbd", "BG/NBD (alpha in days)", c.f.bgnbd, {"r", "alpha", "a", "b"});
  row("gamma_gamma", "Gamma-Gamma", c.f.gamma_gamma, {"p", "q", "gamma"});
  return out + "</tbody></table>\n";
}

// The purchase model in use (value_model other than bgnbd) and, for auto, every candidate's
// holdout figures with the winner and why.
std::string purchase_model_figure(const Context& c) {
  const auto& f = c.f;
  const ValueModel& m = f.purchase_model;
  std::string out =
      "<table class=\"params\"><caption>Purchase model</caption><thead><tr><th scope=\"col\">model</th>"
      "<th scope=\"col\">parameters (standard error)</th><th scope=\"col\">customers</th>"
      "<th scope=\"col\">log-likelihood</th><th scope=\"col\">AIC</th><th scope=\"col\">BIC</th></tr></thead><tbody>";
  out += "<tr><th scope=\"row\">" + escape(std::string(to_string(m.name))) + "</th><td>";
  const auto names = param_names(m.name);
  for (std::size_t k = 0; k < names.size() && k < m.params.size(); ++k) {
    out += escape(std::string(names[k])) + " = " + fixed(m.params[k], std::abs(m.params[k]) >= 100 ? 1 : 3);
    if (k < m.std_errors.size() && std::isfinite(m.std_errors[k])) out += " (" + fixed(m.std_errors[k], 3) + ")";
    out += " ";
  }
  if (m.params.empty()) out += escape(f.purchase_model_status.reason);
  const auto num = [](double x, int digits) { return std::isfinite(x) ? fixed(x, digits) : std::string("—"); };
  out += "</td><td>" +
         (f.purchase_model_status.fitted ? count(f.purchase_model_status.customers) : std::string("given")) +
         "</td><td>" + num(m.log_likelihood, 1) + "</td><td>" + num(m.aic, 1) + "</td><td>" + num(m.bic, 1) +
         "</td></tr></tbody></table>\n";
  const ModelSelection& sel = f.selection;
  if (!sel.automatic) return "<figure>" + out + "</figure>\n";
  std::string choice =
      "<table><caption>Model choice (value_model auto)</caption><thead><tr><th scope=\"col\">candidate</th>"
      "<th scope=\"col\">holdout MAE per customer</th><th scope=\"col\">predicted</th>"
      "<th scope=\"col\">actual</th><th scope=\"col\">calibration log-likelihood</th></tr></thead><tbody>";
  for (const auto& cand : sel.candidates)
    choice += "<tr><th scope=\"row\">" + escape(std::string(to_string(cand.name))) +
              (cand.name == sel.winner ? " (chosen)" : "") + "</th><td>" +
              (cand.fitted ? num(cand.holdout_mae, 4) : escape(cand.error)) + "</td><td>" +
              num(cand.holdout_predicted, 1) + "</td><td>" + num(cand.holdout_actual, 1) + "</td><td>" +
              num(cand.log_likelihood, 1) + "</td></tr>";
  choice += "</tbody></table>\n";
  return "<figure>" + reading(escape("Chosen: " + std::string(to_string(sel.winner)) + ". " + sel.reason + ".")) + out +
         choice + "</figure>\n";
}

std::string value_section(const Context& c) {
  const auto& f = c.f;
  const auto& s = c.result.scores;
  std::string body;
  const auto pa = uniform_histogram(s.p_alive, 0, 1, 10, 1);
  const double share_alive = shown(f.share_p_alive_above_threshold), ev_total = shown(f.expected_value_total);
  body += figure(
      reading(metric("/value/share_p_alive_above_half", share_alive, percent(share_alive, 1)) +
              " of customers are probably still active (p_alive above " + fixed(c.config.p_alive_threshold, 2) + "); " +
              count(pa.missing) + " have no purchase yet and no p_alive."),
      column_chart({"p-alive-histogram", "Probability alive", "Customers with purchases per 0.1 band of p_alive.",
                    "p_alive", "customers", pa.labels, pa.counts, palette::sky}));
  const auto ev = amount_histogram(s.expected_value, c.options.currency);
  body += figure(
      reading("Expected value over the next " + fixed(shown(f.config.horizon_days), 0) + " days totals " +
              metric("/value/expected_value_total", ev_total, money(ev_total, c.options.currency)) +
              (ev.missing ? "; " + count(ev.missing) + " customers have no value estimate." : std::string("."))),
      column_chart(
          {"expected-value-histogram", "Expected value per customer",
           "Customers per expected-value band; each band starts at its label (1, 2, 5, 10, ...), the first holds zero.",
           "expected value", "customers", ev.labels, ev.counts, palette::blue}));
  const bool both = f.bgnbd.fitted && f.gamma_gamma.fitted;
  body += "<figure>" +
          reading(both ? "Both value models were fitted on this base."
                       : "Some value-model parameters were given in the config, not fitted.") +
          params_table(c) + "</figure>\n";
  if (f.config.value_model != ValueModelSetting::bgnbd) body += purchase_model_figure(c);
  return section("value", "Value at stake", body);
}

std::string upserve_section(const Context& c) {
  const auto& f = c.f;
  const auto& s = c.result.scores;
  const auto top = top_rows(
      s.size(), c.options.top_n, [&](std::size_t r) { return s.upserve_value[r]; },
      [&](std::size_t r) { return s.upserve_value[r] > 0; });
  double held = 0;
  std::vector<Bar> bars;
  const ValueIntervals& iv = s.intervals;
  const bool ranged = iv.p_alive_lo.size() == s.size() && s.size() > 0;  // config.intervals > 0
  const auto with_range = [&](const std::string& value, const std::vector<double>& lo, const std::vector<double>& hi,
                              std::size_t r, const auto& format) {
    if (!ranged || std::isnan(lo[r]) || std::isnan(hi[r])) return value;
    return value + " <span class=\"range\">(" + format(lo[r]) + "–" + format(hi[r]) + ")</span>";
  };
  const auto two = [](double v) { return fixed(v, 2); };
  const auto amount = [&](double v) { return money(v, c.options.currency); };
  std::string table =
      "<table><caption>Top up-serve opportunities" +
      std::string(ranged ? " (in brackets: the " + fixed(100 * c.config.intervals, 0) + "% interval)" : "") +
      "</caption><thead><tr><th scope=\"col\">customer</th>"
      "<th scope=\"col\">segment</th><th scope=\"col\">loyalty given</th><th scope=\"col\">p_alive</th>" +
      std::string(ranged ? "<th scope=\"col\">expected purchases</th>" : "") +
      "<th scope=\"col\">expected value</th><th scope=\"col\">up-serve value</th><th scope=\"col\">next "
      "action</th></tr></thead><tbody>";
  for (auto r : top) {
    const auto cust = s.customer[r];
    const std::string& id = c.base.customer_id[cust];
    held += s.upserve_value[r];
    bars.push_back({id, s.upserve_value[r], money(s.upserve_value[r], c.options.currency), nan_v});
    table += "<tr><th scope=\"row\">" + escape(id) + "</th><td>" + escape(c.base.segment_names[c.base.segment[cust]]) +
             "</td><td>" + fixed(s.loyalty_given[r], 1) + "</td><td>" +
             with_range(fixed(s.p_alive[r], 2), iv.p_alive_lo, iv.p_alive_hi, r, two) + "</td><td>" +
             (ranged ? with_range(fixed(s.expected_purchases[r], 2), iv.expected_purchases_lo, iv.expected_purchases_hi,
                                  r, two) +
                           "</td><td>"
                     : std::string()) +
             with_range(money(s.expected_value[r], c.options.currency), iv.expected_value_lo, iv.expected_value_hi, r,
                        amount) +
             "</td><td>" + money(s.upserve_value[r], c.options.currency) + "</td><td>" +
             escape(to_string(s.next_action[r])) + "</td></tr>";
  }
  table += "</tbody></table>\n";
  std::string body;
  body +=
      figure(reading(top.empty() ? std::string("No customer has up-serve value at stake.")
                                 : "The " + count(top.size()) + " largest opportunities hold " +
                                       money(held, c.options.currency) + " of the " +
                                       metric("/value/upserve_value_total", shown(f.upserve_value_total),
                                              money(shown(f.upserve_value_total), c.options.currency)) +
                                       " up-serve value at stake (expected value × service gap)."),
             bar_chart({"upserve-top", "Top up-serve opportunities",
                        "Up-serve value of the customers with the most at stake.", bars, nan_v, palette::vermillion}) +
                 table);
  std::vector<Bar> actions;
  std::size_t total = 0;
  std::vector<std::pair<std::string, std::size_t>> next_actions;  // in the enumeration's order
  for (std::size_t k = 0; k < f.next_actions.size(); ++k)
    next_actions.emplace_back(to_string(static_cast<NextAction>(k)), f.next_actions[k]);
  const std::pair<std::string, std::size_t>* most = nullptr;
  for (const auto& a : next_actions) {
    total += a.second;
    if (a.first != "none" && (!most || a.second > most->second)) most = &a;
  }
  for (const auto& [name, n] : next_actions)
    actions.push_back({name, static_cast<double>(n),
                       metric("/next_actions/" + pointer_token(name), static_cast<double>(n), count(n), "tspan"),
                       nan_v});
  body += figure(
      reading(most && most->second
                  ? "Most common next action: " + escape(most->first) + " (" +
                        percent(static_cast<double>(most->second) / static_cast<double>(total), 1) + " of customers)."
                  : std::string("No customer needs an action.")),
      bar_chart(
          {"next-actions", "Next actions", "Customers per recommended next action.", actions, nan_v, palette::purple}));
  return section("upserve", "Up-serve", body);
}

std::string referral_section(const Context& c) {
  const auto& f = c.f;
  const auto& s = c.result.scores;
  std::string body;
  const std::vector<std::size_t> depths(f.chain_depth_histogram.begin(), f.chain_depth_histogram.end());
  const double k_factor = shown(f.k_factor);
  std::vector<std::string> labels;
  for (std::size_t g = 0; g < depths.size(); ++g) labels.push_back(std::to_string(g));
  body += figure(reading("K-factor " + metric("/referrals/k_factor", k_factor, fixed(k_factor, 3)) + ": " +
                         metric("/referrals/converted_referrals", static_cast<double>(f.converted_referrals),
                                count(f.converted_referrals)) +
                         " converted referrals for " + count(f.customers_scored) +
                         " customers; the deepest chain reaches generation " +
                         count(depths.empty() ? 0 : depths.size() - 1) + "."),
                 column_chart({"chain-depth", "Referral chain depth",
                               "Scored customers per generation below their tree's root (0 = a root).", "generation",
                               "customers", labels, depths, palette::green}));

  const std::size_t drawn = std::min(f.largest_trees.size(), c.options.trees);
  std::string trees;
  for (std::size_t k = 0; k < drawn; ++k)
    trees += tree_chart(c.base, c.result.forest, f.largest_trees[k].root,
                        "/referrals/largest_trees/" + std::to_string(k) + "/tree_size", f.largest_trees[k].tree_size,
                        std::min<std::size_t>(c.options.tree_nodes, 500));
  body += figure(reading(drawn == 0 ? std::string("No referral tree has more than one person yet.")
                                    : "The largest referral tree has " +
                                          metric("/referrals/largest_trees/0/tree_size",
                                                 static_cast<double>(f.largest_trees[0].tree_size),
                                                 count(f.largest_trees[0].tree_size)) +
                                          " people, rooted at " + escape(as_in_json(f.largest_trees[0].root_id)) + "."),
                 "<div class=\"trees\" data-chart=\"referral-trees\">" + trees + "</div>");

  const auto ask = top_rows(
      s.size(), c.options.top_n, [&](std::size_t r) { return s.referral_potential[r]; },
      [&](std::size_t r) { return s.ask_for_referral[r] != 0; });
  std::string table =
      "<table data-chart=\"ask-now\"><caption>Ask for a referral now</caption><thead><tr><th "
      "scope=\"col\">customer</th>"
      "<th scope=\"col\">referral potential</th><th scope=\"col\">advocacy</th><th scope=\"col\">timing</th>"
      "<th scope=\"col\">converted referrals</th></tr></thead><tbody>";
  for (auto r : ask)
    table += "<tr><th scope=\"row\">" + escape(c.base.customer_id[s.customer[r]]) + "</th><td>" +
             fixed(s.referral_potential[r], 1) + "</td><td>" + fixed(s.referral[ReferralComponent::advocacy][r], 2) +
             "</td><td>" + fixed(s.referral[ReferralComponent::timing][r], 2) + "</td><td>" +
             count(c.result.forest.converted_referrals[s.customer[r]]) + "</td></tr>";
  table += "</tbody></table>\n";
  body += figure(reading(metric("/ask_for_referral_customers", static_cast<double>(f.ask_for_referral_customers),
                                count(f.ask_for_referral_customers)) +
                         " customers are ready to be asked for a referral now (timing ≥ " +
                         fixed(c.config.ask_timing, 2) + ", advocacy ≥ " + fixed(c.config.ask_advocacy, 2) + ")" +
                         (ask.empty() ? std::string(".") : "; the strongest " + count(ask.size()) + " are listed.")),
                 table);
  return section("referrals", "Referrals", body);
}

/// Mean of the non-NaN values (NaN when none).
double mean_of(const std::vector<double>& values) {
  double sum = 0;
  std::size_t n = 0;
  for (double v : values)
    if (!std::isnan(v)) sum += v, ++n;
  return n ? sum / static_cast<double>(n) : nan_v;
}

std::string trends_table(const std::vector<HistoryPoint>& history, const std::string& currency) {
  std::string out =
      "<table><caption>The means at each as-of date</caption><thead><tr><th scope=\"col\">as of</th>"
      "<th scope=\"col\">customers</th><th scope=\"col\">mean loyalty given</th><th scope=\"col\">mean referral "
      "potential</th>"
      "<th scope=\"col\">ask for a referral</th><th scope=\"col\">up-serve value at stake</th></tr></thead><tbody>";
  for (const auto& p : history) {
    const std::string key = "trend/" + format_date(p.as_of) + "/";
    out += "<tr><th scope=\"row\">" + format_date(p.as_of) + "</th><td>" +
           aggregate(key + "customers_scored", static_cast<double>(p.customers_scored), count(p.customers_scored)) +
           "</td><td>" + aggregate(key + "mean_loyalty_given", p.mean_loyalty_given, fixed(p.mean_loyalty_given, 1)) +
           "</td><td>" +
           aggregate(key + "mean_referral_potential", p.mean_referral_potential, fixed(p.mean_referral_potential, 1)) +
           "</td><td>" +
           aggregate(key + "share_ask_for_referral", p.share_ask_for_referral, percent(p.share_ask_for_referral, 1)) +
           "</td><td>" +
           aggregate(key + "total_upserve_value", p.total_upserve_value, money(p.total_upserve_value, currency)) +
           "</td></tr>";
  }
  return out + "</tbody></table>";
}

std::string trends_reading(const std::vector<HistoryPoint>& history) {
  const HistoryPoint& first = history.front();
  const HistoryPoint& last = history.back();
  if (history.size() == 1)
    return "One earlier run: mean loyalty given " + fixed(first.mean_loyalty_given, 1) + " as of " +
           format_date(first.as_of) + ".";
  const double change = last.mean_loyalty_given - first.mean_loyalty_given;
  return "From " + format_date(first.as_of) + " to " + format_date(last.as_of) + " mean loyalty given moved by " +
         signed_fixed(change, 1) + " points (" + fixed(first.mean_loyalty_given, 1) + " to " +
         fixed(last.mean_loyalty_given, 1) + "), mean referral potential by " +
         signed_fixed(last.mean_referral_potential - first.mean_referral_potential, 1) + " points.";
}

/// Trends of the means over options.history's dates; nothing without a history.
std::string trends_section(const Context& c) {
  const auto& history = c.options.history;
  if (history.empty()) return {};
  LineChart chart{"trends",
                  "Trends of the means",
                  "Means over the as-of dates of the history, on a 0 to 100 scale.",
                  "mean (0 to 100)",
                  {},
                  {},
                  0,
                  100};
  Series loyalty{"loyalty given", {}, palette::blue}, referral{"referral potential", {}, palette::orange},
      ask{"% ask for a referral", {}, palette::green};
  for (const auto& p : history) {
    chart.labels.push_back(format_date(p.as_of));
    loyalty.values.push_back(p.mean_loyalty_given);
    referral.values.push_back(p.mean_referral_potential);
    ask.values.push_back(p.share_ask_for_referral * 100);
  }
  chart.series = {loyalty, referral, ask};
  return section(
      "trends", "Trends",
      figure(reading(escape(trends_reading(history))), line_chart(chart) + trends_table(history, c.options.currency)));
}

/// The holdout check of the run's value model (options.validation); nothing without one. The
/// figures are the validation page's (validation_figures.hpp).
std::string validation_section(const Context& c) {
  if (!c.options.validation) return {};
  const Validation& v = *c.options.validation;
  const std::string intro = reading(
      "Is the value right? The model was fitted on the purchases before " + escape(format_date(v.holdout_from)) +
      " and compared with what the " + count(v.customers) + " customers who had bought by then did from " +
      escape(format_date(v.holdout_from)) + " to " + escape(format_date(v.holdout_to)) + ".");
  return section("validation", "Validation on a holdout",
                 intro + validation_holdout_table(v) + validation_spend_text(v) + validation_tracking_figure(v, true) +
                     validation_tracking_figure(v, false) + validation_frequency_figure(v) +
                     validation_p_alive_figure(v));
}

std::string page(const Context& c, const std::string& sections) {
  const auto& f = c.f;
  std::string out;
  out.reserve(sections.size() + 8192);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">\n"
      "<title>" +
      escape(c.options.title) + "</title>\n<style>" + std::string(stylesheet()) +
      "</style>\n</head>\n<body>\n<header>\n<h1>" + escape(c.options.title) +
      "</h1>\n<p class=\"meta\">As of <time data-metric=\"/as_of\">" + escape(format_date(f.as_of)) + "</time> · " +
      count(f.customers_scored) + " customers scored · " + count(f.customers_not_yet_acquired) +
      " not yet acquired · generated by rapport " + RAPPORT_VERSION_STRING +
      " <button type=\"button\" id=\"print\" class=\"noprint\">Print</button></p>\n</header>\n<main>\n";
  out += kpis(c);
  out += sections;
  out += "</main>\n<script>" + std::string(script()) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace

HistoryPoint history_point(const ScoreResult& result) {
  const auto& s = result.scores;
  HistoryPoint p;
  p.as_of = result.as_of;
  p.customers_scored = s.size();
  p.mean_loyalty_given = mean_of(s.loyalty_given);
  p.mean_referral_potential = mean_of(s.referral_potential);
  std::size_t ask = 0;
  for (auto flag : s.ask_for_referral) ask += flag ? 1 : 0;
  if (!s.ask_for_referral.empty())
    p.share_ask_for_referral = static_cast<double>(ask) / static_cast<double>(s.ask_for_referral.size());
  double total = 0;
  bool known = false;
  for (double v : s.upserve_value)
    if (!std::isnan(v)) total += v, known = true;
  if (known) p.total_upserve_value = total;
  return p;
}

std::vector<HistoryPoint> history_points(const std::vector<day_t>& dates,
                                         const std::function<ScoreResult(day_t)>& score_at) {
  std::vector<HistoryPoint> out;
  out.reserve(dates.size());
  for (const day_t d : dates) out.push_back(history_point(score_at(d)));
  return out;
}

Validation report_validation(const CustomerBase& base, const ScoreResult& result, const ScoringConfig& config,
                             day_t holdout_from, std::optional<day_t> holdout_to) {
  ValidationOptions options;
  options.holdout_from = holdout_from;
  options.holdout_to = holdout_to;
  options.models = {result.purchase_model.name};
  return validate(base, options, config);
}

std::string html_report(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                        const ScoringConfig& config, const HtmlReportOptions& options) {
  return html_report(base, report, result, config, summarize(base, report, result, config), options);
}

std::string html_report(const CustomerBase& base,
                        const LoadReport& /*report: the summary holds what the page shows of it*/,
                        const ScoreResult& result, const ScoringConfig& config, const Summary& summary,
                        const HtmlReportOptions& options) {
  const Context c{base, result, config, options, summary};
  return page(c, loyalty_section(c) + same_service_section(c) + wheel_section(c) + value_section(c) +
                     validation_section(c) + upserve_section(c) + referral_section(c) + trends_section(c));
}

}  // namespace rapport
