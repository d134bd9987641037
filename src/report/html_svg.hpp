// Private: the HTML report's building blocks: text formatted for people, escaping, and inline
// SVG charts whose element count does not depend on the number of customers.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/scoring/referral.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail::html {

/// Okabe-Ito colours (safe for the common colour-vision deficiencies).
namespace palette {
inline constexpr const char* orange = "#E69F00";
inline constexpr const char* sky = "#56B4E9";
inline constexpr const char* green = "#009E73";
inline constexpr const char* blue = "#0072B2";
inline constexpr const char* vermillion = "#D55E00";
inline constexpr const char* purple = "#CC79A7";
}  // namespace palette

/// `text` safe inside HTML or SVG text and attribute values: & < > " ' escaped, invalid UTF-8 and
/// control characters (other than tab and newline) replaced by U+FFFD.
std::string escape(std::string_view text);
/// `v` with `decimals` decimals and thousands separators ("12,345.6"); "—" for NaN.
std::string fixed(double v, int decimals);
/// As fixed(), with an explicit sign ("+4.2", "−4.2").
std::string signed_fixed(double v, int decimals);
/// A count with thousands separators.
std::string count(std::size_t n);
/// A share in [0, 1] as a percentage ("41.3%"); "—" for NaN.
std::string percent(double share, int decimals);
/// An amount: currency symbol (escaped) then the number; whole units from 10 up, cents below.
std::string money(double v, const std::string& currency);
/// A round amount, short: "€500", "€2k", "€1.5M", "€0.05" (axis labels).
std::string short_money(double v, const std::string& currency);
/// `name` escaped for use as one JSON-pointer reference token (~ and / escaped).
std::string pointer_token(std::string_view name);

/// A figure the summary holds: `<tag data-metric="pointer" data-value="exact">text</tag>`; the
/// value is written so that it reads back exactly ("" for NaN, as the summary's null).
/// Use tag "tspan" inside SVG text.
std::string metric(const std::string& pointer, double value, const std::string& text, const char* tag = "span");
/// A figure aggregated from the scores (not in the summary): data-aggregate instead of data-metric.
std::string aggregate(const std::string& name, double value, const std::string& text, const char* tag = "span");
/// A figure of a holdout check: `data-validation="pointer"` (a JSON pointer into to_json(Validation))
/// and the exact `data-value`, as metric().
std::string validation_figure(const std::string& pointer, double value, const std::string& text,
                              const char* tag = "span");
/// The attributes `data-validation="pointer" data-value="exact"` of validation_figure(), for an SVG element.
std::string validation_attributes(const std::string& pointer, double value);

/// A figure's one-line reading (markup; the caller escapes).
std::string reading(const std::string& markup);
/// `<figure>` holding the reading then the chart.
std::string figure(const std::string& reading_markup, const std::string& chart_markup);

/// Vertical columns of counts (histograms).
struct ColumnChart {
  std::string id;                   ///< data-chart id, also the prefix of the title/desc ids
  std::string title;                ///< accessible title (plain text)
  std::string desc;                 ///< accessible description (plain text)
  std::string x_caption;            ///< x-axis caption (plain text)
  std::string y_caption;            ///< y-axis caption (plain text)
  std::vector<std::string> labels;  ///< one per column (plain text)
  std::vector<std::size_t> counts;  ///< one per column
  const char* colour;               ///< fill
};
/// The SVG of a column chart.
std::string column_chart(const ColumnChart& chart);

/// One line of a line chart: a value per x label (NaN = no point).
struct Series {
  std::string name;            ///< legend text (plain text)
  std::vector<double> values;  ///< one per x label
  const char* colour;          ///< stroke
};

/// Lines over shared x labels (e.g. means over dates) on a y axis from y_min to y_max.
struct LineChart {
  std::string id;                   ///< data-chart id, also the prefix of the title/desc ids
  std::string title;                ///< accessible title (plain text)
  std::string desc;                 ///< accessible description (plain text)
  std::string y_caption;            ///< y-axis caption (plain text)
  std::vector<std::string> labels;  ///< x labels (plain text)
  std::vector<Series> series;       ///< the lines
  double y_min, y_max;              ///< y range
};
/// Extra attributes of point k of series i (markup starting with a space, or "").
using PointAttributes = std::function<std::string(std::size_t series, std::size_t k)>;
/// The SVG of a line chart; each point carries a tooltip "series, label: value" and, when given,
/// `point_attributes(series, k)`.
std::string line_chart(const LineChart& chart, const PointAttributes& point_attributes = {});

/// One horizontal bar.
struct Bar {
  std::string label;  ///< plain text
  double value;       ///< bar length (NaN: no bar)
  std::string text;   ///< SVG text markup shown after the bar (numbers, tspans)
  double target;      ///< a tick at this value, or NaN
};
/// Horizontal bars (categories).
struct BarChart {
  std::string id;         ///< data-chart id
  std::string title;      ///< accessible title
  std::string desc;       ///< accessible description
  std::vector<Bar> bars;  ///< the bars, top to bottom
  double max;             ///< value at full length; NaN = the largest value
  const char* colour;     ///< fill
};
/// The SVG of a bar chart.
std::string bar_chart(const BarChart& chart);

/// One row of a range chart: a distribution's quantiles and mean.
struct RangeRow {
  std::string label;    ///< plain text
  std::string pointer;  ///< JSON pointer of the distribution in the summary
  std::size_t customers;
  double p10, p25, median, p75, p90, mean;
};
/// Box-and-whisker rows (p10, p25, median, p75, p90, mean) over [lo, hi].
struct RangeChart {
  std::string id;              ///< data-chart id
  std::string title;           ///< accessible title
  std::string desc;            ///< accessible description
  std::vector<RangeRow> rows;  ///< the rows, top to bottom
  double lo, hi;               ///< the axis
};
/// The SVG of a range chart.
std::string range_chart(const RangeChart& chart);

/// One referral tree drawn as a tree (root at the top): at most `max_nodes` people breadth first,
/// at most 12 children per person ("+k" under a person counts the children left out); the people
/// left out are counted in the caption. `size_pointer` points at its size in the summary.
std::string tree_chart(const CustomerBase& base, const ReferralForest& forest, std::uint32_t root,
                       const std::string& size_pointer, std::size_t tree_size, std::size_t max_nodes);

/// The page's stylesheet (screen and print).
std::string_view stylesheet();
/// The page's only script (a print button, and a count of the charts for tests).
std::string_view script();

}  // namespace rapport::detail::html
