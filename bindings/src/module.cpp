// rapport Python bindings: the `rapport._rapport` extension module.
#include "common.hpp"

namespace rapport_py { void init_report(py::module_& m); }  // report.cpp
namespace rapport_py { void init_db(py::module_& m); }  // db.cpp

PYBIND11_MODULE(_rapport, m) {
  m.doc() = "Compiled core of the rapport package (use `import rapport`).";
  m.attr("__version__") = RAPPORT_VERSION_STRING;
  // Exceptions: InputError and ConfigError are ValueErrors, FitError a RuntimeError, OutputError an OSError.
  py::register_exception<rapport::InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<rapport::ConfigError>(m, "ConfigError", PyExc_ValueError);
  py::register_exception<rapport::FitError>(m, "FitError", PyExc_RuntimeError);
  // an output refused (one of the inputs, twice the same file) or that could not be written
  py::register_exception<rapport::OutputError>(m, "OutputError", PyExc_OSError);
  rapport_py::init_data(m);
  rapport_py::init_score(m);
  rapport_py::init_scorer(m);
  rapport_py::init_value(m);
  rapport_py::init_graph(m);
  rapport_py::init_report(m);
  rapport_py::init_db(m);
}
