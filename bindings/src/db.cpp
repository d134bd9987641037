// rapport Python bindings: customer bases read from a database (SQLite, PostgreSQL), and the
// database reads of rapport.dask.read_db (a snapshot held open, tables read in ranges in it).
#include "common.hpp"
#include "pieces.hpp"

#include "base/csv.hpp"
#include "base/record_source.hpp"
#include "db/db_connection.hpp"
#include "io/csv_write.hpp"

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

namespace detail = rapport::detail;

/// The hash of field `key` as its CSV field reads (a typed value by its spelling); 0 when the
/// record has no such field.
std::uint64_t key_hash(const detail::CsvRecord& rec, std::size_t key, std::string& scratch) {
  if (key >= rec.fields.size()) return 0;
  if (!rec.typed || rec.typed[key].kind == detail::TypedField::Kind::text) return id_hash(rec.fields[key]);
  scratch.clear();
  detail::spell_typed(rec.typed[key], scratch);
  return id_hash(scratch);
}

/// The header of a table's columns as one CSV record.
py::bytes header_bytes(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out.push_back(',');
    detail::append_csv_field(out, columns[i]);
  }
  return py::bytes(out);
}

/// `_db_cut`: the tables (or page ranges) `reads`, each (name, first page or None, end page or
/// None, key field, parts, hashes), read on one connection in `snapshot` (empty: a transaction of
/// its own) and each cut as rapport.dask cuts a CSV range: per read ((rows, True, 0, 0, 0, 0),
/// piece 0, ..., piece P-1), its rows split by the hash of field `key` (a row without it goes to
/// piece 0), numbered from 0 with line = row + 1 (load_db's line of the row, once shifted by the
/// rows before); with `hashes`, one more element: the uint64 key hash of each row (0 without it).
py::list db_cut(const std::string& uri, const std::string& snapshot, const py::list& reads) {
  struct Spec {
    detail::DbRead read;
    std::size_t key, parts;
    bool hashes;
  };
  std::vector<Spec> specs;
  for (const auto& item : reads) {
    const auto t = item.cast<py::tuple>();
    Spec s{{detail::parse_db_name(t[0].cast<std::string>(), "table"), std::nullopt},
           t[3].cast<std::size_t>(),
           t[4].cast<std::size_t>(),
           t.size() > 5 && t[5].cast<bool>()};
    if (s.parts == 0) throw rapport::UsageError("rapport.dask: parts must be at least 1");
    if (!t[1].is_none())
      s.read.pages = detail::DbPageRange{t[1].cast<std::uint64_t>(), t[2].is_none() ? 0 : t[2].cast<std::uint64_t>()};
    specs.push_back(std::move(s));
  }
  std::vector<detail::DbRead> what;
  for (const auto& s : specs) what.push_back(s.read);
  std::vector<std::vector<PieceOut>> out(specs.size());
  std::vector<std::size_t> rows(specs.size(), 0);
  std::vector<std::vector<std::uint64_t>> hashes(specs.size());
  {
    py::gil_scoped_release release;
    detail::read_in_snapshot(uri, snapshot, what, [&](std::size_t i, detail::RecordSource& source) {
      auto& pieces = out[i];
      pieces.assign(specs[i].parts, {});
      detail::CsvRecord rec;
      if (!source.next(rec)) return;  // the header (the snapshot's columns: the table is locked)
      std::string scratch;
      const std::size_t key = specs[i].key;
      while (source.next(rec)) {
        const std::uint64_t h = key_hash(rec, key, scratch);
        if (specs[i].hashes) hashes[i].push_back(h);
        auto& piece = pieces[h % specs[i].parts];  // no key field: piece 0
        detail::spell_record(rec, piece.data);
        piece.data.push_back('\n');
        piece.add(static_cast<std::int64_t>(rows[i]), static_cast<std::int64_t>(rows[i] + 1));
        ++rows[i];
      }
    });
  }
  py::list result;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    py::tuple t(specs[i].parts + 1 + specs[i].hashes);
    t[0] = py::make_tuple(rows[i], true, 0, 0, 0, 0);
    for (std::size_t k = 0; k < specs[i].parts; ++k) t[k + 1] = piece_tuple(std::move(out[i][k]));
    if (specs[i].hashes)
      t[specs[i].parts + 1] = py::array_t<std::uint64_t>(static_cast<py::ssize_t>(hashes[i].size()), hashes[i].data());
    result.append(t);
  }
  return result;
}
}  // namespace

void init_db(py::module_& m) {
  m.def("_load_db", &load_db, py::arg("uri"), py::arg("tables") = "",
        "Load the four tables from a database URI (sqlite:PATH or PostgreSQL); tables maps names.");
  py::class_<detail::DbSnapshot>(m, "_DbSnapshot")
      .def(py::init([](const std::string& uri, const std::string& tables) {
             const auto parsed = rapport::DbTables::parse(tables);
             py::gil_scoped_release release;
             return std::make_unique<detail::DbSnapshot>(uri, parsed);
           }),
           py::arg("uri"), py::arg("tables") = "",
           "Open a read snapshot of a database (held until close()) and learn its tables.")
      .def_property_readonly("id", &detail::DbSnapshot::id, "The exported snapshot id (empty for SQLite).")
      .def_property_readonly("closed", &detail::DbSnapshot::closed)
      .def(
          "tables",
          [](const detail::DbSnapshot& s) {
            if (s.closed()) throw rapport::UsageError("rapport.dask: the database snapshot is closed");
            py::list out;
            for (const auto& t : s.tables())
              out.append(py::make_tuple(t.key, t.name.display(), header_bytes(t.columns), t.columns,
                                        t.pages ? py::object(py::int_(*t.pages)) : py::object(py::none())));
            return out;
          },
          "Per table (key, name, header bytes, columns, pages or None: not cut into ranges).")
      .def("close", &detail::DbSnapshot::close, "End the snapshot's transaction and close its connection.");
  m.def("_db_cut", &db_cut, py::arg("uri"), py::arg("snapshot"), py::arg("reads"),
        "Tables or page ranges read in one snapshot, each cut by customer-id hash into pieces as _csv_cut cuts.");
}

}  // namespace rapport_py
