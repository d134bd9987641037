/// @file html_report.hpp
/// The visual report: one self-contained HTML page (inline SVG and CSS, a tiny inline script,
/// nothing fetched from the network) that shows the customer base at a glance.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/scoring/score.hpp>

#include <cstddef>
#include <string>

namespace rapport {

/// Presentation settings of html_report(); none of them changes a figure.
struct HtmlReportOptions {
  std::string title = "rapport: customer relationships";  ///< page title and heading
  std::string currency;          ///< symbol written before amounts, e.g. "€" or "$" (default: none)
  std::size_t top_n = 15;        ///< rows in the top up-serve and ask-now lists
  std::size_t trees = 3;         ///< largest referral trees drawn
  std::size_t tree_nodes = 63;   ///< most people drawn per tree (breadth first; the rest counted)
};

/// One self-contained HTML page reporting a scoring run: loyalty given (overall, per segment,
/// per component, per value decile), the Critical Wheel, value at stake, up-serve
/// opportunities, referrals. Each figure the summary also holds carries
/// `data-metric="<JSON pointer into summary_json()>"` and `data-value="<exact number>"`, and equals
/// the summary's; the remaining charts are aggregates of the scores (histograms, top-N lists), so
/// the page's size does not grow with the number of customers. Customer ids and segment names are
/// HTML-escaped (invalid UTF-8 is replaced by U+FFFD).
RAPPORT_API std::string html_report(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                                    const ScoringConfig& config = {}, const HtmlReportOptions& options = {});

}  // namespace rapport
