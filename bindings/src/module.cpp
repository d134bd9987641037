// rapport Python bindings: the `rapport._rapport` extension module.
#include "common.hpp"

#include <type_traits>

namespace rapport_py {
void init_report(py::module_& m);
}  // namespace rapport_py
namespace rapport_py {
void init_db(py::module_& m);
}  // namespace rapport_py
namespace rapport_py {
void init_validate(py::module_& m);
}  // namespace rapport_py
namespace rapport_py {
void init_dask(py::module_& m);
}  // namespace rapport_py

PYBIND11_MODULE(_rapport, m) {
  m.doc() = "Compiled core of the rapport package (use `import rapport`).";
  m.attr("__version__") = RAPPORT_VERSION_STRING;
  // Exceptions: one class per rapport::ErrorKind, each a rapport.Error and the built-in it has
  // always been: InputError, ConfigError and UsageError are ValueErrors, NotFoundError an
  // IndexError, FitError, OutputError and InternalError RuntimeErrors. The base is registered
  // first: pybind11 tries the translators last-registered first, so each kind finds its class.
  auto error = py::register_exception<rapport::Error>(m, "Error", PyExc_Exception);
  const auto kind = [&](auto tag, const char* name, PyObject* builtin) {
    py::register_exception<typename decltype(tag)::type>(m, name, py::make_tuple(error, py::handle(builtin)));
  };
  kind(std::type_identity<rapport::InputError>{}, "InputError", PyExc_ValueError);
  kind(std::type_identity<rapport::ConfigError>{}, "ConfigError", PyExc_ValueError);
  kind(std::type_identity<rapport::FitError>{}, "FitError", PyExc_RuntimeError);
  kind(std::type_identity<rapport::OutputError>{}, "OutputError", PyExc_RuntimeError);
  kind(std::type_identity<rapport::UsageError>{}, "UsageError", PyExc_ValueError);
  kind(std::type_identity<rapport::NotFoundError>{}, "NotFoundError", PyExc_IndexError);
  kind(std::type_identity<rapport::InternalError>{}, "InternalError", PyExc_RuntimeError);
  rapport_py::init_data(m);
  rapport_py::init_score(m);
  rapport_py::init_scorer(m);
  rapport_py::init_value(m);
  rapport_py::init_graph(m);
  rapport_py::init_report(m);
  rapport_py::init_db(m);
  rapport_py::init_validate(m);
  rapport_py::init_dask(m);
}
