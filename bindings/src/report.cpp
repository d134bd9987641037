// rapport Python bindings: the visual report (one self-contained HTML page).
#include "common.hpp"

#include <rapport/io/html_report.hpp>

#include <optional>
#include <vector>

namespace rapport_py {

void init_report(py::module_& m) {
  m.def(
      "_html_report",
      [](const std::shared_ptr<BaseHolder>& base, std::optional<int> as_of_day, const rapport::ScoringConfig& config,
         const std::string& title, const std::string& currency, std::size_t top_n, std::size_t trees,
         const std::string& out, const std::vector<int>& history_days, std::optional<int> holdout_from_day,
         std::optional<int> holdout_to_day) {
        if (!out.empty()) rapport::check_outputs(base->inputs, {{"out", out}});  // before any work
        rapport::HtmlReportOptions options;
        if (!title.empty()) options.title = title;
        options.currency = currency;
        options.top_n = top_n;
        options.trees = trees;
        std::string html;
        {
          py::gil_scoped_release release;
          options.history =
              rapport::history_points(std::vector<rapport::day_t>(history_days.begin(), history_days.end()),
                                      [&](rapport::day_t d) { return rapport::score(base->base, d, config); });
          const auto result =
              rapport::score(base->base, as_of_day ? std::optional<rapport::day_t>(*as_of_day) : std::nullopt, config);
          if (holdout_from_day)
            options.validation = rapport::report_validation(
                base->base, result, config, *holdout_from_day,
                holdout_to_day ? std::optional<rapport::day_t>(*holdout_to_day) : std::nullopt);
          html = rapport::html_report(base->base, base->report, result, config, options);
          if (!out.empty()) rapport::write_file_atomically(out, html);
        }
        return make_str(html);
      },
      py::arg("base"), py::arg("as_of_day"), py::arg("config"), py::arg("title"), py::arg("currency"), py::arg("top_n"),
      py::arg("trees"), py::arg("out"), py::arg("history_days") = std::vector<int>{},
      py::arg("holdout_from_day") = std::nullopt, py::arg("holdout_to_day") = std::nullopt,
      "Scores a CustomerBase and returns the HTML report, also written to `out` unless empty; "
      "`history_days` adds the trends of the means at those days, `holdout_from_day` the holdout check "
      "of the run's value model (GIL released).");
}

}  // namespace rapport_py
