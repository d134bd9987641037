// The HTML page of `rapport validate --report`, from the report's SVG helpers (html_svg.hpp).
#include <rapport/io/validation_report.hpp>

#include <rapport/version.hpp>

#include "report/html_svg.hpp"

#include <algorithm>
#include <cmath>

namespace rapport {

namespace {

using namespace detail::html;

const char* const colours[] = {palette::orange, palette::sky, palette::green, palette::vermillion, palette::purple};

std::string section(const std::string& id, const std::string& heading, const std::string& body) {
  return "<section id=\"" + id + "\" aria-labelledby=\"" + id + "-h\"><h2 id=\"" + id + "-h\">" + escape(heading) +
         "</h2>\n" + body + "</section>\n";
}

/// Actual and each fitted model's expectation per week (cumulative or weekly).
std::string tracking_chart(const Validation& v, bool cumulative) {
  LineChart c;
  c.id = cumulative ? "tracking-cumulative" : "tracking-weekly";
  c.title = cumulative ? "Cumulative repeat purchases" : "Weekly repeat purchases";
  c.desc = "Repeat purchase days of the customers who bought before " + format_date(v.holdout_from) +
           ", actual against each model's expectation, per 7-day week; the holdout starts at week " +
           std::to_string((v.holdout_from - v.tracking_from) / 7 + 1) + ".";
  c.y_caption = cumulative ? "repeat purchases to date" : "repeat purchases in the week";
  for (std::size_t w = 0; w < v.actual_weekly.size(); ++w) c.labels.push_back(std::to_string(w + 1));
  c.series.push_back({"actual", cumulative ? v.actual_cumulative : v.actual_weekly, palette::blue});
  double top = 0;
  for (const double x : c.series.back().values) top = std::max(top, x);
  std::size_t k = 0;
  for (const auto& m : v.models) {
    if (!m.fitted) continue;
    c.series.push_back({std::string(to_string(m.name)), cumulative ? m.expected_cumulative : m.expected_weekly,
                        colours[k++ % std::size(colours)]});
    for (const double x : c.series.back().values) top = std::max(top, x);
  }
  c.y_min = 0;
  c.y_max = top > 0 ? top * 1.05 : 1;
  return figure("Holdout from week " + std::to_string((v.holdout_from - v.tracking_from) / 7 + 1) + " (" +
                    escape(format_date(v.holdout_from)) + ")",
                line_chart(c));
}

std::string holdout_table(const Validation& v) {
  std::string t = "<table><caption>Holdout repeat purchases, " + escape(format_date(v.holdout_from)) + " to " +
                  escape(format_date(v.holdout_to)) + " (" + count(v.customers) +
                  " customers)</caption><thead><tr><th scope=\"col\">model</th><th scope=\"col\">log-likelihood</th>"
                  "<th scope=\"col\">BIC</th><th scope=\"col\">actual</th><th scope=\"col\">predicted</th>"
                  "<th scope=\"col\">error</th><th scope=\"col\">MAE</th><th scope=\"col\">RMSE</th>"
                  "<th scope=\"col\">correlation</th></tr></thead><tbody>";
  for (const auto& m : v.models) {
    t += "<tr><th scope=\"row\">" + escape(to_string(m.name)) + "</th>";
    if (!m.fitted) {
      t += "<td colspan=\"8\">not fitted: " + escape(m.error) + "</td></tr>";
      continue;
    }
    t += "<td>" + fixed(m.model.log_likelihood, 1) + "</td><td>" + fixed(m.model.bic, 1) + "</td><td>" +
         fixed(v.actual_total, 0) + "</td><td>" + fixed(m.predicted_total, 1) + "</td><td>" +
         signed_fixed(m.percent_error, 1) + "%</td><td>" + fixed(m.mae, 3) + "</td><td>" + fixed(m.rmse, 3) +
         "</td><td>" + fixed(m.correlation, 3) + "</td></tr>";
  }
  return t + "</tbody></table>\n";
}

std::string frequency_table(const Validation& v) {
  std::string t =
      "<table data-chart=\"by-frequency\"><caption>Mean holdout purchases by calibration repeat "
      "purchases</caption><thead><tr><th scope=\"col\">x</th><th scope=\"col\">customers</th>"
      "<th scope=\"col\">actual</th>";
  const ModelValidation* first = nullptr;
  for (const auto& m : v.models) {
    if (!m.fitted) continue;
    if (!first) first = &m;
    t += "<th scope=\"col\">" + escape(to_string(m.name)) + "</th>";
  }
  t += "</tr></thead><tbody>";
  if (!first) return t + "</tbody></table>\n";
  for (std::size_t k = 0; k < first->by_frequency.size(); ++k) {
    const auto& r = first->by_frequency[k];
    t += "<tr><th scope=\"row\">" + std::to_string(r.x) + (r.and_more ? "+" : "") + "</th><td>" + count(r.customers) +
         "</td><td>" + fixed(r.actual_mean, 3) + "</td>";
    for (const auto& m : v.models)
      if (m.fitted) t += "<td>" + fixed(m.by_frequency[k].predicted_mean, 3) + "</td>";
    t += "</tr>";
  }
  return t + "</tbody></table>\n";
}

std::string p_alive_table(const Validation& v) {
  std::string out;
  for (const auto& m : v.models) {
    if (!m.fitted) continue;
    out += "<table><caption>p_alive calibration, " + escape(to_string(m.name)) +
           ": mean p_alive against the share that bought in the holdout</caption><thead><tr><th scope=\"col\">"
           "decile</th><th scope=\"col\">customers</th><th scope=\"col\">mean p_alive</th><th scope=\"col\">"
           "bought in the holdout</th></tr></thead><tbody>";
    for (const auto& d : m.p_alive_deciles)
      out += "<tr><th scope=\"row\">" + std::to_string(d.decile) + "</th><td>" + count(d.customers) + "</td><td>" +
             percent(d.mean_p_alive, 1) + "</td><td>" + percent(d.active_share, 1) + "</td></tr>";
    out += "</tbody></table>\n";
  }
  return out;
}

std::string spend_text(const Validation& v) {
  if (!v.spend.fitted) return "<p>Gamma-Gamma could not be fitted: " + escape(v.spend.error) + "</p>\n";
  return "<p>Mean spend per holdout purchase over " + count(v.spend.customers) + " customers: actual " +
         fixed(v.spend.actual_mean, 2) + ", Gamma-Gamma predicted " + fixed(v.spend.predicted_mean, 2) + ".</p>\n";
}

}  // namespace

std::string validation_html(const Validation& v, const std::string& title) {
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
  out += section("holdout", "Holdout", holdout_table(v) + spend_text(v));
  out += section("tracking", "Tracking", tracking_chart(v, true) + tracking_chart(v, false));
  out += section("frequency", "By calibration frequency", frequency_table(v));
  out += section("p-alive", "p_alive calibration", p_alive_table(v));
  out += "</main>\n<script>" + std::string(script()) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace rapport
