// rapport Python bindings: shared declarations.
#pragma once

#include <rapport/rapport.hpp>
#include <rapport/scoring/scorer.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace rapport::detail {
struct ValueSpan;
struct IntervalPatterns;
}  // namespace rapport::detail

namespace rapport_py {

/// A customer base together with the report of how it was loaded (the Python `CustomerBase`).
struct BaseHolder {
  rapport::CustomerBase base;  ///< the accepted rows
  rapport::LoadReport report;  ///< counts and rejected rows
  bool from_frames = false;    ///< true when built from DataFrames (rejects carry row numbers)
  /// The files it was read from (CSV files, a SQLite database): no output may land on them
  /// (rapport::check_outputs).
  std::vector<rapport::NamedPath> inputs;
};

/// Moves a vector into a capsule-owned heap object and returns a 1-D numpy array viewing it
/// (zero copy).
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto* owner = new std::vector<T>(std::move(v));
  py::capsule cap(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(static_cast<py::ssize_t>(owner->size()), owner->data(), cap);
}

/// A 1-D numpy array of `dtype` viewing a moved vector (zero copy), e.g. uint8 as bool.
template <class T>
py::array to_numpy_as(std::vector<T>&& v, const py::dtype& dtype) {
  auto* owner = new std::vector<T>(std::move(v));
  py::capsule cap(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array(dtype, {static_cast<py::ssize_t>(owner->size())}, {static_cast<py::ssize_t>(sizeof(T))},
                   owner->data(), cap);
}

/// A Python str from UTF-8 bytes; invalid bytes are kept as surrogate escapes (never throws on
/// bad input).
inline py::str make_str(std::string_view s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

/// A dict of every field of settings struct `S` (as rapport::visit_fields lists them), e.g.
/// model parameters or fit options.
template <class S>
py::dict record_dict(const S& record) {
  py::dict d;
  rapport::visit_fields<S>([&](const auto& f) { d[py::str(std::string(f.name))] = record.*f.member; });
  return d;
}

/// A new 1-D numpy object array of length n (elements None).
py::array new_object_array(std::size_t n);

/// Converts DataFrame table specs (as for rapport.load; customers optional) and adds their rows
/// to a live Scorer by the row rules (GIL released there); the returned holder has an empty base
/// and the batch's load report.
std::shared_ptr<BaseHolder> add_frames(rapport::Scorer& scorer, const py::object (&specs)[4], const py::object& na,
                                       const py::object& na_time, const py::object& time_fallback);

/// A `_ScoreRun` (as rapport.score makes) of a result over `base`; `root_id`: each customer's
/// root key when the base does not hold the roots (empty: from the base).
py::object make_score_run(std::shared_ptr<BaseHolder> base, const rapport::ScoringConfig& config,
                          rapport::ScoreResult result, std::vector<std::string> root_id = {});

/// A value span (scoring/score_steps.hpp) from its Python tuple (any ended_on, first purchase day,
/// last purchase day): rapport.dask's stage 4.
rapport::detail::ValueSpan value_span_of(const py::tuple& t);

/// The intervals' step (a) patterns (scoring/score_steps.hpp) as a dict of the purchase model's
/// name and the columns x, t_x, T, n, periods, ended, weights (purchase inputs; empty where the
/// model has none), spend_x, spend_m.
py::dict interval_patterns_dict(rapport::detail::IntervalPatterns&& p);

void init_data(py::module_& m);
void init_scorer(py::module_& m);
void init_score(py::module_& m);
void init_value(py::module_& m);
void init_graph(py::module_& m);

}  // namespace rapport_py
