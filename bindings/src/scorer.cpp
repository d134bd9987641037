// rapport Python bindings: the live Scorer (rapport.Scorer wraps `_Scorer`). Every method
// releases the GIL around the work; the Scorer's own lock serialises calls from several threads.
#include "common.hpp"

#include <rapport/io/database.hpp>

#include "scoring/scorer_rows.hpp"

#include <optional>

namespace rapport_py {

/// The intervals' draws as a dict (score.cpp, where _interval_draws makes and reads them).
py::dict interval_draws_dict(const rapport::detail::IntervalDraws& draws);

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

/// The rows rescored since the last call, as a `_ScoreRun` of those rows only (O(rows)).
py::object changed_rows(rapport::Scorer& scorer) {
  auto holder = std::make_shared<BaseHolder>();
  rapport::detail::RowsExtract part;
  rapport::ScoringConfig config;
  {
    py::gil_scoped_release release;
    config = scorer.config();
    scorer.with_changes(
        [&](const rapport::CustomerBase& base, const rapport::ScoreResult& r, const std::vector<std::uint32_t>& rows) {
          part = rapport::detail::extract_rows(base, r, rows);
        });
  }
  holder->base = std::move(part.base);
  return make_score_run(std::move(holder), config, std::move(part.result), std::move(part.root_id));
}

}  // namespace

void init_scorer(py::module_& m) {
  py::class_<rapport::Scorer>(m, "_Scorer")
      .def(py::init([](const std::shared_ptr<BaseHolder>& base, std::optional<int> as_of_day,
                       const rapport::ScoringConfig& config, const std::string& options_json) {
             const auto options = rapport::scorer_options_from_json(options_json);
             py::gil_scoped_release release;
             return std::make_unique<rapport::Scorer>(base->base, as_of_day, config, base->report, options);
           }),
           py::arg("base"), py::arg("as_of_day"), py::arg("config"), py::arg("options_json") = "{}")
      .def("changes", &changed_rows, "The rows rescored since the last call, as a _ScoreRun of those rows.")
      .def_property_readonly("pending",
                             [](const rapport::Scorer& s) {
                               const auto r = s.report();
                               py::dict d;
                               d["contacts"] = r.contacts.pending;
                               d["purchases"] = r.purchases.pending;
                               return d;
                             })
      .def("write_changes",
           [](rapport::Scorer& s, const std::string& uri, const std::string& table) {
             py::gil_scoped_release release;
             std::size_t written = 0;
             s.with_changes([&](const rapport::CustomerBase& base, const rapport::ScoreResult& r,
                                const std::vector<std::uint32_t>& rows) {
               rapport::upsert_scores_db(uri, table, base, r, rows);
               written = rows.size();
             });
             return written;
           })
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
      .def_property_readonly(
          "interval_draws",
          [](rapport::Scorer& s) {
            rapport::detail::IntervalDraws draws;
            {
              py::gil_scoped_release release;
              draws = rapport::detail::interval_draws(s);
            }
            return interval_draws_dict(draws);
          },
          "The intervals' parameter draws in force (a dict as _interval_draws returns; empty lists without "
          "intervals).")
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
