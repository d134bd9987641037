// rapport Python bindings: the `rapport._rapport` extension module.
#include "common.hpp"

namespace rapport_py { void init_report(py::module_& m); }  // report.cpp
namespace rapport_py { void init_db(py::module_& m); }  // db.cpp
namespace rapport_py { void init_validate(py::module_& m); }  // validate.cpp

PYBIND11_MODULE(_rapport, m) {
  m.doc() = "Compiled core of the rapport package (use `import rapport`).";
  m.attr("__version__") = RAPPORT_VERSION_STRING;
  // Exceptions: InputError and ConfigError are ValueErrors, FitError a RuntimeError.
  py::register_exception<rapport::InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<rapport::ConfigError>(m, "ConfigError", PyExc_ValueError);
  py::register_exception<rapport::FitError>(m, "FitError", PyExc_RuntimeError);
  rapport_py::init_data(m);
  rapport_py::init_score(m);
  rapport_py::init_scorer(m);
  rapport_py::init_value(m);
  rapport_py::init_graph(m);
  rapport_py::init_report(m);
  rapport_py::init_db(m);
  rapport_py::init_validate(m);
}
