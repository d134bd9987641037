// rapport Python bindings: the live Scorer (rapport.Scorer wraps `_Scorer`). Every method
// releases the GIL around the work; the Scorer's own lock serialises calls from several threads.
#include "common.hpp"

#include <optional>

namespace rapport_py {

namespace {

/// A copy of the Scorer's base and scores, as a `_ScoreRun` for the DataFrame conversion.
py::object snapshot(rapport::Scorer& scorer) {
  auto holder = std::make_shared<BaseHolder>();
  std::optional<rapport::ScoreResult> result;
  rapport::ScoringConfig config;
  {
    py::gil_scoped_release release;
    config = scorer.config();
    scorer.with_scores([&](const rapport::CustomerBase& base, const rapport::ScoreResult& r) {
      holder->base = base;
      result = r;
    });
  }
  return make_score_run(std::move(holder), config, std::move(*result));
}

}  // namespace

void init_scorer(py::module_& m) {
  py::class_<rapport::Scorer>(m, "_Scorer")
      .def(py::init([](const std::shared_ptr<BaseHolder>& base, std::optional<int> as_of_day,
                       const rapport::ScoringConfig& config) {
             py::gil_scoped_release release;
             return std::make_unique<rapport::Scorer>(base->base, as_of_day, config, base->report);
           }),
           py::arg("base"), py::arg("as_of_day"), py::arg("config"))
      .def(
          "add",
          [](rapport::Scorer& s, const py::object& customers, const py::object& contacts, const py::object& purchases,
             const py::object& referrals, const py::object& na, const py::object& na_time,
             const py::object& time_fallback) {
            return add_frames(s, {customers, contacts, purchases, referrals}, na, na_time, time_fallback);
          },
          "Adds DataFrame table specs; returns a CustomerBase holding only the batch's load report.")
      .def("scores", &snapshot, "The current scores as a _ScoreRun (a copy).")
      .def_property_readonly("rescored", [](const rapport::Scorer& s) { return s.rescored(); })
      .def_property_readonly("config", [](const rapport::Scorer& s) { return s.config(); })
      .def_property_readonly("as_of_day", [](const rapport::Scorer& s) { return s.as_of(); })
      .def("set_as_of",
           [](rapport::Scorer& s, int day) {
             py::gil_scoped_release release;
             s.set_as_of(day);
           })
      .def("refit",
           [](rapport::Scorer& s) {
             py::gil_scoped_release release;
             s.refit();
           })
      .def("summary_json",
           [](rapport::Scorer& s) {
             py::gil_scoped_release release;
             return rapport::to_json(s.summary());
           })
      .def("explain_row",
           [](rapport::Scorer& s, std::size_t row) {
             py::gil_scoped_release release;
             return s.explain(row);
           })
      .def("explain_id", [](rapport::Scorer& s, const std::string& id) {
        py::gil_scoped_release release;
        return s.explain(std::string_view(id));
      });
}

}  // namespace rapport_py
