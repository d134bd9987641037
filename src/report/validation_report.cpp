// The figures of a holdout check (validation_figures.hpp) and the page of `rapport validate --report`,
// from the report's SVG helpers (html_svg.hpp).
#include <rapport/io/validation_report.hpp>

#include <rapport/version.hpp>

#include "report/html_svg.hpp"
#include "report/validation_figures.hpp"

#include <algorithm>
#include <cmath>

namespace rapport {

namespace detail::html {

namespace {

const char* const colours[] = {palette::orange, palette::sky, palette::green, palette::vermillion, palette::purple};

std::string model_pointer(std::size_t i) { return "/models/" + std::to_string(i); }

void model_header(std::string& out, const ModelValidation& m) {
  out += "<th scope=\"col\">" + escape(to_string(m.name)) + "</th>";
}

std::size_t holdout_week(const Validation& v) {
  return static_cast<std::size_t>((v.holdout_from - v.tracking_from) / 7) + 1;
}

/// A table cell holding one checked figure.
std::string cell(const std::string& pointer, double value, const std::string& text) {
  return "<td>" + validation_figure(pointer, value, text) + "</td>";
}

}  // namespace

std::string validation_holdout_table(const Validation& v) {
  std::string t = "<table data-chart=\"holdout\"><caption>Holdout repeat purchases, " +
                  escape(format_date(v.holdout_from)) + " to " + escape(format_date(v.holdout_to)) + " (" +
                  validation_figure("/customers", static_cast<double>(v.customers), count(v.customers)) +
                  " customers)</caption><thead><tr><th scope=\"col\">model</th><th scope=\"col\">log-likelihood</th>"
                  "<th scope=\"col\">BIC</th><th scope=\"col\">counted in</th><th scope=\"col\">actual</th>"
                  "<th scope=\"col\">predicted</th>"
                  "<th scope=\"col\">error</th><th scope=\"col\">MAE</th><th scope=\"col\">RMSE</th>"
                  "<th scope=\"col\">correlation</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < v.models.size(); ++i) {
    const auto& m = v.models[i];
    t += "<tr><th scope=\"row\">" + escape(to_string(m.name)) + "</th>";
    if (!m.fitted) {
      t += "<td colspan=\"9\">not fitted: " + escape(m.error) + "</td></tr>";
      continue;
    }
    const std::string p = model_pointer(i);
    t += cell(p + "/fit/log_likelihood", m.model.log_likelihood, fixed(m.model.log_likelihood, 1)) +
         cell(p + "/fit/bic", m.model.bic, fixed(m.model.bic, 1)) + "<td>" + escape(validation_unit(m.name)) +
         (m.name == ValueModelName::sbg ? " (" + count(m.customers) + " contracts)" : std::string()) + "</td>" +
         cell(p + "/holdout/actual", m.actual_total, fixed(m.actual_total, 0)) +
         cell(p + "/holdout/predicted", m.predicted_total, fixed(m.predicted_total, 1)) +
         cell(p + "/holdout/percent_error", m.percent_error, signed_fixed(m.percent_error, 1) + "%") +
         cell(p + "/holdout/mae", m.mae, fixed(m.mae, 3)) + cell(p + "/holdout/rmse", m.rmse, fixed(m.rmse, 3)) +
         cell(p + "/holdout/correlation", m.correlation, fixed(m.correlation, 3)) + "</tr>";
  }
  return t + "</tbody></table>\n";
}

std::string validation_spend_text(const Validation& v) {
  if (!v.spend.fitted) return "<p>Gamma-Gamma could not be fitted: " + escape(v.spend.error) + "</p>\n";
  return "<p>Mean spend per holdout purchase over " +
         validation_figure("/spend/customers", static_cast<double>(v.spend.customers), count(v.spend.customers)) +
         " customers: actual " +
         validation_figure("/spend/actual_mean_spend", v.spend.actual_mean, fixed(v.spend.actual_mean, 2)) +
         ", Gamma-Gamma predicted " +
         validation_figure("/spend/predicted_mean_spend", v.spend.predicted_mean, fixed(v.spend.predicted_mean, 2)) +
         ".</p>\n";
}

namespace {

/// bgbb's or sbg's tracking curve (models[i].tracking_periods), cumulative or per period.
std::string period_tracking_figure(const Validation& v, std::size_t i, bool cumulative) {
  const ModelValidation& m = v.models[i];
  const bool contracts = m.name == ValueModelName::sbg;
  const std::string name(to_string(m.name));
  LineChart c;
  c.id = (cumulative ? "tracking-cumulative-" : "tracking-periods-") + name;
  c.title = contracts
                ? (cumulative ? "Cumulative contract periods survived (sbg)" : "Contracts active per period (sbg)")
                : (cumulative ? "Cumulative opportunities with a purchase (bgbb)" : "Purchases per opportunity (bgbb)");
  c.desc = contracts ? "Per contract period k since acquired_on, the contracts still active after k periods among "
                       "those observed that long up to " +
                           format_date(v.holdout_to) + ", actual against the sum of S(k)."
                     : "Per opportunity k after the first purchase, the customers with a purchase at k among "
                       "those observed that long up to " +
                           format_date(v.holdout_to) + ", actual against the sum of E[X(k)] - E[X(k-1)].";
  c.y_caption = contracts ? (cumulative ? "periods survived to date" : "contracts active")
                          : (cumulative ? "opportunities with a purchase to date" : "customers with a purchase");
  Series actual{"actual", {}, palette::blue}, expected{name, {}, colours[0]};
  for (const auto& t : m.tracking_periods) {
    c.labels.push_back(std::to_string(t.period));
    actual.values.push_back(cumulative ? t.actual_cumulative : t.actual);
    expected.values.push_back(cumulative ? t.expected_cumulative : t.expected);
  }
  double top = 0;
  for (const auto* s : {&actual, &expected})
    for (const double x : s->values) top = std::max(top, x);
  c.series = {std::move(actual), std::move(expected)};
  c.y_min = 0;
  c.y_max = top > 0 ? top * 1.05 : 1;
  const std::string keys[] = {cumulative ? "/actual_cumulative" : "/actual",
                              cumulative ? "/expected_cumulative" : "/expected"};
  const auto points = [&](std::size_t series, std::size_t k) {
    return " " + validation_attributes(model_pointer(i) + "/tracking_periods/" + std::to_string(k) + keys[series],
                                       c.series[series].values[k]);
  };
  return figure(reading(std::string(contracts ? "sbg per contract period" : "bgbb per opportunity") +
                        ", across calibration and holdout (each customer's holdout starts at its own period; the "
                        "last periods count only the customers observed that long): " +
                        (cumulative ? "does the expected curve follow the actual one?"
                                    : "actual against expected, period by period.")),
                line_chart(c, points));
}

}  // namespace

std::string validation_tracking_figure(const Validation& v, bool cumulative) {
  LineChart c;
  c.id = cumulative ? "tracking-cumulative" : "tracking-weekly";
  c.title = cumulative ? "Cumulative repeat purchases" : "Weekly repeat purchases";
  c.desc = "Repeat purchase days of the customers who bought before " + format_date(v.holdout_from) +
           ", actual against each model's expectation, per 7-day week; the holdout starts at week " +
           std::to_string(holdout_week(v)) + ".";
  c.y_caption = cumulative ? "repeat purchases to date" : "repeat purchases in the week";
  for (std::size_t w = 0; w < v.actual_weekly.size(); ++w) c.labels.push_back(std::to_string(w + 1));
  c.series.push_back({"actual", cumulative ? v.actual_cumulative : v.actual_weekly, palette::blue});
  std::vector<std::string> keys{cumulative ? "/actual_cumulative" : "/actual"};  // per series, under /tracking/k
  double top = 0;
  for (const double x : c.series.back().values) top = std::max(top, x);
  std::size_t k = 0;
  for (const auto& m : v.models) {
    if (!m.fitted || m.expected_cumulative.empty()) continue;  // bgbb, sbg count periods: charts of their own
    const std::string name(to_string(m.name));
    c.series.push_back(
        {name, cumulative ? m.expected_cumulative : m.expected_weekly, colours[k++ % std::size(colours)]});
    keys.push_back((cumulative ? "/expected_cumulative/" : "/expected/") + pointer_token(name));
    for (const double x : c.series.back().values) top = std::max(top, x);
  }
  c.y_min = 0;
  c.y_max = top > 0 ? top * 1.05 : 1;
  const auto points = [&](std::size_t series, std::size_t week) {
    return " " +
           validation_attributes("/tracking/" + std::to_string(week) + keys[series], c.series[series].values[week]);
  };
  std::string out = figure(reading("Holdout from week " + std::to_string(holdout_week(v)) + " (" +
                                   escape(format_date(v.holdout_from)) + "): " +
                                   (cumulative ? "does the expected curve follow the actual one after it?"
                                               : "repeat purchases per week, actual against expected.")),
                           line_chart(c, points));
  for (std::size_t i = 0; i < v.models.size(); ++i)  // bgbb and sbg count periods: a chart each in their unit
    if (v.models[i].fitted && !v.models[i].tracking_periods.empty()) out += period_tracking_figure(v, i, cumulative);
  return out;
}

std::string validation_frequency_figure(const Validation& v) {
  // one table per unit: the models on purchase days share theirs; bgbb and sbg have their own
  std::vector<std::vector<std::size_t>> tables;
  for (std::size_t i = 0; i < v.models.size(); ++i) {
    if (!v.models[i].fitted) continue;
    const auto same = [&](const std::vector<std::size_t>& t) {
      return validation_unit(v.models[t.front()].name) == validation_unit(v.models[i].name);
    };
    const auto t = std::find_if(tables.begin(), tables.end(), same);
    if (t == tables.end())
      tables.push_back({i});
    else
      t->push_back(i);
  }
  std::string out;
  for (const auto& models : tables) {
    const ModelValidation& first = v.models[models.front()];
    const bool contracts = first.name == ValueModelName::sbg;
    out += "<table data-chart=\"by-frequency\"><caption>Mean holdout " + escape(validation_unit(first.name)) + " by " +
           (contracts                            ? "contract periods survived"
            : first.name == ValueModelName::bgbb ? "opportunities with a purchase"
                                                 : "repeat purchases") +
           " before " + escape(format_date(v.holdout_from)) + "</caption><thead><tr><th scope=\"col\">" +
           (contracts ? "periods" : "x") + "</th><th scope=\"col\">customers</th><th scope=\"col\">actual</th>";
    for (const std::size_t i : models) model_header(out, v.models[i]);
    out += "</tr></thead><tbody>";
    for (std::size_t k = 0; k < first.by_frequency.size(); ++k) {
      const auto& r = first.by_frequency[k];
      const std::string row = "/by_frequency/" + std::to_string(k);
      out += "<tr><th scope=\"row\">" + std::to_string(r.x) + (r.and_more ? "+" : "") + "</th>" +
             cell(model_pointer(models.front()) + row + "/customers", static_cast<double>(r.customers),
                  count(r.customers)) +
             cell(model_pointer(models.front()) + row + "/actual_mean", r.actual_mean, fixed(r.actual_mean, 3));
      for (const std::size_t i : models) {
        const double p = v.models[i].by_frequency[k].predicted_mean;
        out += cell(model_pointer(i) + row + "/predicted_mean", p, fixed(p, 3));
      }
      out += "</tr>";
    }
    out += "</tbody></table>\n";
  }
  return figure(reading("Mean holdout count per customer by the calibration's count (repeat purchases; for bgbb "
                        "opportunities with a purchase, for sbg periods survived): are heavy buyers over- or "
                        "under-predicted?"),
                out);
}

std::string validation_p_alive_figure(const Validation& v) {
  std::string out;
  for (std::size_t i = 0; i < v.models.size(); ++i) {
    const auto& m = v.models[i];
    if (!m.fitted) continue;
    out += "<table data-chart=\"p-alive-calibration\"><caption>p_alive calibration, " + escape(to_string(m.name)) +
           (m.name == ValueModelName::sbg
                ? ": probability of running to the holdout's end against the share still active then"
                : ": mean p_alive against the share that bought in the holdout") +
           "</caption><thead><tr><th scope=\"col\">decile</th><th scope=\"col\">customers</th><th scope=\"col\">" +
           (m.name == ValueModelName::sbg ? "mean probability" : "mean p_alive") + "</th><th scope=\"col\">" +
           (m.name == ValueModelName::sbg ? "active at the end" : "bought in the holdout") +
           "</th></tr></thead><tbody>";
    for (std::size_t k = 0; k < m.p_alive_deciles.size(); ++k) {
      const auto& d = m.p_alive_deciles[k];
      const std::string p = model_pointer(i) + "/p_alive_calibration/" + std::to_string(k);
      out += "<tr><th scope=\"row\">" + std::to_string(d.decile) + "</th>" +
             cell(p + "/customers", static_cast<double>(d.customers), count(d.customers)) +
             cell(p + "/mean_p_alive", d.mean_p_alive, percent(d.mean_p_alive, 1)) +
             cell(p + "/active_share", d.active_share, percent(d.active_share, 1)) + "</tr>";
    }
    out += "</tbody></table>\n";
  }
  return figure(reading("Customers in deciles of p_alive at the calibration's end: in a well calibrated model each "
                        "decile's mean p_alive is close to the share that bought again (lower for a short holdout); "
                        "for sbg, the probability that the contract runs to the holdout's end against the share "
                        "still active then."),
                out);
}

}  // namespace detail::html

namespace {

std::string section(const std::string& id, const std::string& heading, const std::string& body) {
  using detail::html::escape;
  return "<section id=\"" + id + "\" aria-labelledby=\"" + id + "-h\"><h2 id=\"" + id + "-h\">" + escape(heading) +
         "</h2>\n" + body + "</section>\n";
}

}  // namespace

std::string validation_html(const Validation& v, const std::string& title) {
  using namespace detail::html;
  std::string out;
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">\n<title>" +
      escape(title) + "</title>\n<style>" + std::string(stylesheet()) + "</style>\n</head>\n<body>\n<header>\n<h1>" +
      escape(title) + "</h1>\n<p class=\"meta\">Calibration as of " + escape(format_date(v.calibration_as_of)) +
      " · holdout " + escape(format_date(v.holdout_from)) + " to " + escape(format_date(v.holdout_to)) + " · " +
      count(v.customers) + " customers · generated by rapport " + RAPPORT_VERSION_STRING +
      " <button type=\"button\" id=\"print\" class=\"noprint\">Print</button></p>\n</header>\n<main>\n";
  out += section("holdout", "Holdout", validation_holdout_table(v) + validation_spend_text(v));
  out += section("tracking", "Tracking", validation_tracking_figure(v, true) + validation_tracking_figure(v, false));
  out += section("frequency", "By calibration frequency", validation_frequency_figure(v));
  out += section("p-alive", "p_alive calibration", validation_p_alive_figure(v));
  out += "</main>\n<script>" + std::string(script()) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace rapport
