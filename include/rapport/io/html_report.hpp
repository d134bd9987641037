/// @file html_report.hpp
/// The visual report: one self-contained HTML page (inline SVG and CSS, a tiny inline script,
/// nothing fetched from the network) that shows the customer base at a glance.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/summary.hpp>
#include <rapport/scoring/validate.hpp>

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace rapport {

/// The headline means of one scoring run, a point of the report's trends over several as-of dates.
struct HistoryPoint {
  day_t as_of = 0;                                                            ///< the run's as-of date
  std::size_t customers_scored = 0;                                           ///< customers the run scored
  double mean_loyalty_given = std::numeric_limits<double>::quiet_NaN();       ///< mean L (0 to 100)
  double mean_referral_potential = std::numeric_limits<double>::quiet_NaN();  ///< mean R (0 to 100)
  double share_ask_for_referral = std::numeric_limits<double>::quiet_NaN();   ///< share flagged ask-now (0 to 1)
  double total_upserve_value =
      std::numeric_limits<double>::quiet_NaN();  ///< sum of up-serve values (NaN without a value model)
};

/// The history point of one run: its as-of date, customer count and the means above (NaN
/// values are left out of the means and the total; a run with no customer has NaN means).
RAPPORT_API HistoryPoint history_point(const ScoreResult& result);

/// The history points of `score_at(date)` for each date in order (one run held at a time) —
/// with the same `score_at` as write_history_csv, so the trends equal `rapport history`'s runs.
RAPPORT_API std::vector<HistoryPoint> history_points(const std::vector<day_t>& dates,
                                                     const std::function<ScoreResult(day_t)>& score_at);

/// Presentation settings of html_report(); none of them changes a figure.
struct HtmlReportOptions {
  std::string title = "rapport: customer relationships";  ///< page title and heading
  std::string currency;               ///< symbol written before amounts, e.g. "€" or "$" (default: none)
  std::size_t top_n = 15;             ///< rows in the top up-serve and ask-now lists
  std::size_t trees = 3;              ///< largest referral trees drawn
  std::size_t tree_nodes = 63;        ///< most people drawn per tree (breadth first; the rest counted)
  std::vector<HistoryPoint> history;  ///< runs at other dates: a "Trends" section when not empty
  /// A holdout check of the run's purchase model (report_validation()): a "Validation" section when set.
  std::optional<Validation> validation;
};

/// The holdout check the report shows: validate(base, {holdout_from, holdout_to, {the run's
/// purchase model}}, config), the run's model being `result.purchase_model` (for auto, the winner).
/// @throws as validate().
RAPPORT_API Validation report_validation(const CustomerBase& base, const ScoreResult& result,
                                         const ScoringConfig& config, day_t holdout_from,
                                         std::optional<day_t> holdout_to = std::nullopt);

/// One self-contained HTML page reporting a scoring run: loyalty given (overall, per segment,
/// per component, per value decile), the Critical Wheel, value at stake, up-serve
/// opportunities, referrals, the trends of the means when options.history is given, and the holdout
/// check of the value model when options.validation is given (its figures carry `data-validation`, a
/// JSON pointer into to_json(Validation)). Each figure the summary also
/// holds carries `data-metric="<JSON pointer into summary_json()>"` and `data-value="<exact number>"`, and equals the
/// summary's; the remaining charts are aggregates of the scores (histograms, top-N lists), so the page's size does not
/// grow with the number of customers. Customer ids and segment names are HTML-escaped (invalid UTF-8 is replaced by
/// U+FFFD).
RAPPORT_API std::string html_report(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                                    const ScoringConfig& config = {}, const HtmlReportOptions& options = {});

/// As above, with the run's summary already computed: `summary` must be
/// `summarize(base, report, result, config)` (the page's figures are read from it).
RAPPORT_API std::string html_report(const CustomerBase& base, const LoadReport& report, const ScoreResult& result,
                                    const ScoringConfig& config, const Summary& summary,
                                    const HtmlReportOptions& options = {});

}  // namespace rapport
