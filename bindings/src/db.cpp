// rapport Python bindings: customer bases read from a database (SQLite, PostgreSQL).
#include "common.hpp"

#include <rapport/io/database.hpp>

namespace rapport_py {

namespace {
/// Loads a base from `uri` with the table mapping `tables` (`customers=crm.clients,...`).
std::shared_ptr<BaseHolder> load_db(const std::string& uri, const std::string& tables) {
  rapport::DbOptions options;
  options.tables = rapport::DbTables::parse(tables);
  auto holder = std::make_shared<BaseHolder>();
  if (const auto path = rapport::sqlite_path(uri); path && !path->empty()) holder->inputs.push_back({"uri", *path});
  py::gil_scoped_release release;
  auto loaded = rapport::load_db(uri, options);
  holder->base = std::move(loaded.base);
  holder->report = std::move(loaded.report);
  return holder;
}
}  // namespace

void init_db(py::module_& m) {
  m.def("_load_db", &load_db, py::arg("uri"), py::arg("tables") = "",
        "Load the four tables from a database URI (sqlite:PATH or PostgreSQL); tables maps names.");
}

}  // namespace rapport_py
