// rapport Python bindings: `rapport.validate` (the value models checked on a holdout).
#include "common.hpp"

#include <rapport/io/validation_report.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/validate.hpp>

#include <optional>
#include <string>

namespace rapport_py {

void init_validate(py::module_& m) {
  m.def(
      "_validate",
      [](const std::shared_ptr<BaseHolder>& base, int holdout_from, std::optional<int> holdout_to,
         const std::string& models, const rapport::ScoringConfig& config, const std::string& report) {
        rapport::ValidationOptions options;
        options.holdout_from = holdout_from;
        if (holdout_to) options.holdout_to = *holdout_to;
        options.models = rapport::parse_validation_models(models);
        options.only_available = models == "all";  // bgbb and sbg when the base and config can feed them
        std::string json;
        {
          py::gil_scoped_release release;
          const rapport::Validation v = rapport::validate(base->base, options, config);
          json = rapport::to_json(v);
          if (!report.empty()) rapport::write_file_atomically(report, rapport::validation_html(v));
        }
        return make_str(json);
      },
      py::arg("base"), py::arg("holdout_from"), py::arg("holdout_to"), py::arg("models"), py::arg("config"),
      py::arg("report"),
      "Fits `models` (comma-separated names or 'all') on the purchases before day `holdout_from` and returns "
      "the comparison with the holdout as JSON text (the CLI's `rapport validate --out`); writes the HTML page "
      "to `report` unless empty (GIL released).");
}

}  // namespace rapport_py
