// rapport Python bindings: customer bases from DataFrame columns, CSV files or the generator.
//
// Input columns arrive from rapport/__init__.py as 1-D numpy arrays: datetime64[ns] for datetime
// columns, object arrays (private copies) for strings and mixed values, and numeric arrays for
// numbers and flags. They are converted to plain C++ vectors while the GIL is held (strings as
// views into the private object arrays, which nobody else can reach), then the GIL is released
// while the row rules (src/base/rows.hpp, the same as for CSV files) decide each row and the
// builder groups the accepted ones by customer.
#include <rapport/io/load.hpp>
#include "common.hpp"

// The CSV loader's field parsers (private header of the library): the same rules and the same
// reject reasons for strings in DataFrames as for CSV fields.
#include "base/base_bytes.hpp"
#include "base/parse.hpp"
#include "base/rows.hpp"
#include "scoring/scorer_rows.hpp"

#include <datetime.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

namespace rapport_py {

py::array new_object_array(std::size_t n) {
  py::array out(py::dtype("O"), py::array::ShapeContainer{static_cast<py::ssize_t>(n)});
  auto** p = static_cast<PyObject**>(out.mutable_data());
  for (std::size_t i = 0; i < n; ++i) {
    Py_XDECREF(p[i]);
    Py_INCREF(Py_None);
    p[i] = Py_None;
  }
  return out;
}

namespace {

using rapport::day_t;
using rapport::seconds_t;
namespace detail = rapport::detail;

constexpr std::int64_t ns_per_second = 1000000000;
constexpr std::int64_t ns_per_day = ns_per_second * rapport::seconds_per_day;
constexpr std::int64_t nat = std::numeric_limits<std::int64_t>::min();  // numpy's NaT as int64

/// Row errors of one column: (row, reason) pairs in row order, read with a forward cursor.
struct Errors {
  std::vector<std::pair<std::size_t, std::string>> list;
  std::size_t cursor = 0;
  void add(std::size_t row, std::string why) { list.emplace_back(row, std::move(why)); }
  const std::string* at(std::size_t row) {
    while (cursor < list.size() && list[cursor].first < row) ++cursor;
    return cursor < list.size() && list[cursor].first == row ? &list[cursor].second : nullptr;
  }
};

/// What the conversion needs from Python: missing-value sentinels, a converter for odd time
/// values, and a list that keeps created str objects alive.
struct Ctx {
  PyObject* na = nullptr;    // pandas.NA
  PyObject* nat = nullptr;   // pandas.NaT
  py::object time_fallback;  // value -> datetime.datetime (naive UTC) or None; may raise
  py::list keep;             // str objects made by str(value) for non-str keys
};

bool is_missing(PyObject* o, const Ctx& ctx) {
  if (o == Py_None || o == ctx.na || o == ctx.nat) return true;
  return PyFloat_Check(o) && std::isnan(PyFloat_AS_DOUBLE(o));
}

std::string type_name(PyObject* o) { return Py_TYPE(o)->tp_name; }

/// A Python or numpy boolean (which Python would take as the integer 0 or 1).
bool is_boolean(PyObject* o) { return PyBool_Check(o) || std::strcmp(Py_TYPE(o)->tp_name, "numpy.bool_") == 0; }

/// One input column as passed from Python: the array and the column's 1-based position.
struct InColumn {
  py::array array;
  std::size_t position = 0;
};

/// A table as passed from Python: (rows, {name: (position, array)}).
struct InTable {
  std::size_t rows = 0;
  std::map<std::string, InColumn> columns;
  bool present = false;

  const InColumn* find(const std::string& name) const {
    auto it = columns.find(name);
    return it == columns.end() ? nullptr : &it->second;
  }
  const InColumn& get(const std::string& table, const std::string& name) const {
    const auto* c = find(name);
    if (!c) throw rapport::InputError(table + ": missing required column '" + name + "'");
    return *c;
  }
  std::size_t position(const std::string& name) const {
    const auto* c = find(name);
    return c ? c->position : 0;
  }
};

InTable read_table(const py::object& spec, const char* table) {
  InTable t;
  if (spec.is_none()) return t;
  auto tup = spec.cast<py::tuple>();
  if (tup.size() != 2) throw py::type_error(std::string(table) + ": expected (rows, columns)");
  t.present = true;
  t.rows = tup[0].cast<std::size_t>();
  for (auto item : tup[1].cast<py::dict>()) {
    auto pair = item.second.cast<py::tuple>();
    InColumn c;
    c.position = pair[0].cast<std::size_t>();
    c.array = pair[1].cast<py::array>();
    if (c.array.ndim() != 1)
      throw rapport::InputError(std::string(table) + ": column '" + item.first.cast<std::string>() + "' is not 1-D");
    if (static_cast<std::size_t>(c.array.shape(0)) != t.rows)
      throw rapport::InputError(std::string(table) + ": column '" + item.first.cast<std::string>() +
                                "' has the wrong length");
    t.columns.emplace(item.first.cast<std::string>(), std::move(c));
  }
  return t;
}

char kind_of(const py::array& a) { return a.dtype().kind(); }

/// The int64 nanoseconds of a datetime64 column (converted to datetime64[ns] when needed).
py::array_t<std::int64_t, py::array::c_style> ns_view(const py::array& a, const std::string& what) {
  py::object ns = a;
  if (py::str(a.dtype()).cast<std::string>() != "datetime64[ns]") ns = a.attr("astype")("datetime64[ns]");
  auto v = py::array_t<std::int64_t, py::array::c_style>::ensure(ns.attr("view")("i8"));
  if (!v) throw py::type_error(what + ": cannot read the datetime64 column");
  return v;
}

/// The elements of a C-contiguous 1-D object array.
PyObject* const* objects(const py::array& a, const std::string& what) {
  if (kind_of(a) != 'O') throw py::type_error(what + ": expected an object array");
  if (!(a.flags() & py::array::c_style)) throw rapport::UsageError(what + ": expected a contiguous array");
  return static_cast<PyObject* const*>(a.data());
}

/// UTF-8 view of a str (cached inside the object, valid while it lives), or nullopt.
std::optional<std::string_view> utf8(PyObject* o) {
  Py_ssize_t len = 0;
  const char* s = PyUnicode_AsUTF8AndSize(o, &len);
  if (!s) {
    PyErr_Clear();
    return std::nullopt;
  }
  return std::string_view(s, static_cast<std::size_t>(len));
}

/// A str element through the CSV field rule `parse` (parse.hpp): its value into `out`, or the
/// rule's reason (after `prefix`) into `errors`.
template <class T, class Parse>
void parse_text(PyObject* o, Parse parse, std::size_t i, T& out, Errors& errors, const char* prefix = "") {
  const auto text = utf8(o);
  const auto r = parse(text ? *text : std::string_view("?"));
  if (r.value) {
    out = static_cast<T>(*r.value);
  } else {
    errors.add(i, std::string(prefix) + r.reason);
  }
}

/// Text of a key column: str as is, missing as "", anything else through str().
std::vector<std::string_view> string_column(const py::array& a, Ctx& ctx, const std::string& what, Errors* errors) {
  const auto n = static_cast<std::size_t>(a.shape(0));
  PyObject* const* data = objects(a, what);
  std::vector<std::string_view> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* o = data[i];
    if (is_missing(o, ctx)) continue;
    if (!PyUnicode_Check(o)) {
      PyObject* s = PyObject_Str(o);
      if (!s) throw py::error_already_set();
      ctx.keep.append(py::reinterpret_steal<py::object>(s));
      o = s;
    }
    if (auto v = utf8(o)) {
      out[i] = *v;
    } else if (errors) {
      errors->add(i, "text that is not valid Unicode");
    }
  }
  return out;
}

/// An enumeration column parsed like the CSV field (`unknown <what> '<text>'`).
template <class E, class Parse>
std::vector<E> enum_column(const py::array& a, Ctx& ctx, const char* what, Parse parse, Errors& errors) {
  const auto n = static_cast<std::size_t>(a.shape(0));
  PyObject* const* data = objects(a, what);
  std::vector<E> out(n);
  PyObject* last = nullptr;
  E last_value{};
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* o = data[i];
    if (o == last) {
      out[i] = last_value;
      continue;
    }
    std::string_view text;
    std::string owned;
    if (!is_missing(o, ctx)) {
      if (PyUnicode_Check(o)) {
        if (auto v = utf8(o)) text = *v;
      } else {
        owned = py::str(o).cast<std::string>();
        text = owned;
      }
    }
    if (auto v = parse(text)) {
      out[i] = *v;
      if (PyUnicode_Check(o)) {
        last = o;
        last_value = *v;
      }
    } else {
      errors.add(i, std::string("unknown ") + what + " '" + std::string(text) + "'");
    }
  }
  return out;
}

// CPython's datetime.h accessors are macros with C casts.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#endif

/// Seconds since the epoch of a datetime.datetime (naive = UTC; aware converted to UTC;
/// fractions of a second truncated toward the past).
seconds_t datetime_seconds(PyObject* o) {
  const int y = PyDateTime_GET_YEAR(o);
  const auto mo = static_cast<unsigned>(PyDateTime_GET_MONTH(o));
  const auto d = static_cast<unsigned>(PyDateTime_GET_DAY(o));
  seconds_t t = rapport::midnight(rapport::days_from_civil(y, mo, d)) + PyDateTime_DATE_GET_HOUR(o) * 3600 +
                PyDateTime_DATE_GET_MINUTE(o) * 60 + PyDateTime_DATE_GET_SECOND(o);
  if (PyDateTime_DATE_GET_TZINFO(o) != Py_None) {
    py::object off = py::reinterpret_borrow<py::object>(o).attr("utcoffset")();
    if (!off.is_none()) {
      PyObject* p = off.ptr();
      if (!PyDelta_Check(p)) throw py::type_error("utcoffset() did not return a timedelta");
      const std::int64_t us = (static_cast<std::int64_t>(PyDateTime_DELTA_GET_DAYS(p)) * rapport::seconds_per_day +
                               PyDateTime_DELTA_GET_SECONDS(p)) *
                                  1000000 +
                              PyDateTime_DELTA_GET_MICROSECONDS(p);
      // t - offset, then floor to whole seconds
      const std::int64_t total_us = t * 1000000 + PyDateTime_DATE_GET_MICROSECOND(o) - us;
      t = total_us >= 0 ? total_us / 1000000 : -((-total_us + 999999) / 1000000);
    }
  }
  return t;
}

enum class TimeKind { timestamp, date };

/// Converts one non-string, non-missing object to seconds; nullopt (with a reason) when it
/// cannot be.
std::optional<seconds_t> object_seconds(PyObject* o, Ctx& ctx, std::string& why, bool& missing) {
  missing = false;
  if (PyDateTime_Check(o)) return datetime_seconds(o);
  if (PyDate_Check(o))
    return rapport::midnight(rapport::days_from_civil(PyDateTime_GET_YEAR(o),
                                                      static_cast<unsigned>(PyDateTime_GET_MONTH(o)),
                                                      static_cast<unsigned>(PyDateTime_GET_DAY(o))));
  if (PyIndex_Check(o) || PyFloat_Check(o) || std::strcmp(Py_TYPE(o)->tp_name, "numpy.float64") == 0 ||
      std::strcmp(Py_TYPE(o)->tp_name, "numpy.float32") == 0) {
    why = "a number is not a time (type '" + type_name(o) + "')";  // pandas would read it as nanoseconds
    return std::nullopt;
  }
  try {
    py::object v = ctx.time_fallback(py::reinterpret_borrow<py::object>(o));
    if (v.is_none()) {
      missing = true;
      return std::nullopt;
    }
    if (PyDateTime_Check(v.ptr())) return datetime_seconds(v.ptr());
  } catch (py::error_already_set&) {}
  why = "unsupported value of type '" + type_name(o) + "'";
  return std::nullopt;
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/// The rows of an object column of times or dates (out.size() of them): a missing value goes to
/// `missing_row(i)`; a string is parsed with the CSV's `parse` (an empty one, as an empty CSV
/// field, is left missing when `allow_missing`); any other object is converted to seconds and
/// handed to `from_seconds(i, s)`, or rejected as an unparsable `kind` with the reason.
template <class T, class Parse, class Missing, class FromSeconds>
void object_time_column(PyObject* const* data, Ctx& ctx, bool allow_missing, Parse parse, const char* kind,
                        const char* prefix, std::vector<T>& out, Errors& errors, Missing missing_row,
                        FromSeconds from_seconds) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    PyObject* o = data[i];
    if (is_missing(o, ctx)) {
      missing_row(i);
      continue;
    }
    if (PyUnicode_Check(o)) {
      const auto text = utf8(o);
      if (allow_missing && text && text->empty()) continue;  // an empty field, as in the CSV
      parse_text(o, parse, i, out[i], errors, prefix);
      continue;
    }
    std::string why;
    bool missing = false;
    if (auto s = object_seconds(o, ctx, why, missing)) {
      from_seconds(i, *s);
    } else if (missing) {
      missing_row(i);
    } else {
      errors.add(i, std::string(prefix) + "unparsable " + kind + " (" + why + ")");
    }
  }
}

/// A time column: datetime64[ns], or objects (ISO strings with the CSV rules, datetime,
/// date, anything pandas.Timestamp accepts). Missing values are `rapport::no_time` when
/// `allow_missing`, else rejected like an empty CSV field.
std::vector<seconds_t> time_column(const py::array& a, Ctx& ctx, const std::string& what, bool allow_missing,
                                   const char* prefix, Errors& errors) {
  const auto n = static_cast<std::size_t>(a.shape(0));
  std::vector<seconds_t> out(n, rapport::no_time);
  const auto missing_row = [&](std::size_t i) {
    if (!allow_missing) errors.add(i, std::string(prefix) + detail::parse_timestamp("").reason);
  };
  if (kind_of(a) == 'M') {
    const auto ns = ns_view(a, what);
    const std::int64_t* p = ns.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (p[i] == nat) {
        missing_row(i);
        continue;
      }
      const std::int64_t v = p[i];
      out[i] = v >= 0 ? v / ns_per_second : -((-(v + 1)) / ns_per_second) - 1;
    }
    return out;
  }
  object_time_column(objects(a, what), ctx, allow_missing, detail::parse_timestamp, "timestamp", prefix, out, errors,
                     missing_row, [&](std::size_t i, seconds_t s) { out[i] = s; });
  return out;
}

/// A date column (acquired_on, ended_on): datetime64[ns] at midnight, 'YYYY-MM-DD' strings,
/// datetime.date, or datetime.datetime at midnight. Missing values (and, as in the CSV, empty
/// strings) are `rapport::no_day` when `allow_missing`, else rejected like an empty CSV field;
/// `prefix` starts every reason.
std::vector<day_t> date_column(const py::array& a, Ctx& ctx, const std::string& what, Errors& errors,
                               bool allow_missing = false, const char* prefix = "") {
  const auto n = static_cast<std::size_t>(a.shape(0));
  std::vector<day_t> out(n, allow_missing ? rapport::no_day : 0);
  const std::string not_a_date = std::string(prefix) + "not a date (a time of day other than midnight)";
  const std::string empty = std::string(prefix) + detail::parse_date("").reason;
  const auto missing_row = [&](std::size_t i) {
    if (!allow_missing) errors.add(i, empty);
  };
  const auto from_seconds = [&](std::size_t i, seconds_t s) {
    if (s % rapport::seconds_per_day != 0) {
      errors.add(i, not_a_date);
    } else {
      out[i] = rapport::day_of(s);
    }
  };
  if (kind_of(a) == 'M') {
    const auto ns = ns_view(a, what);
    const std::int64_t* p = ns.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (p[i] == nat) {
        missing_row(i);
      } else if (p[i] % ns_per_day != 0) {
        errors.add(i, not_a_date);
      } else {
        out[i] = static_cast<day_t>(p[i] / ns_per_day);
      }
    }
    return out;
  }
  object_time_column(objects(a, what), ctx, allow_missing, detail::parse_date, "date", prefix, out, errors, missing_row,
                     from_seconds);
  return out;
}

/// The impression column: integers (out-of-range values become ±3 for the range rule), integral
/// floats, or strings with the CSV rule.
std::vector<int> impression_column(const py::array& a, const Ctx& ctx, const std::string& what, Errors& errors) {
  const auto n = static_cast<std::size_t>(a.shape(0));
  std::vector<int> out(n, 0);
  const char* bad = detail::parse_impression("").reason;
  const auto clamp = [](long long v) { return v < -2 ? -3 : v > 2 ? 3 : static_cast<int>(v); };
  const auto from_double = [&](std::size_t i, double v) {
    if (std::isnan(v) || v != std::floor(v)) {
      errors.add(i, bad);
    } else {
      out[i] = v < -2 ? -3 : v > 2 ? 3 : static_cast<int>(v);
    }
  };
  const char k = kind_of(a);
  if (k == 'b') {  // true/false is not an integer to the CSV rule either
    for (std::size_t i = 0; i < n; ++i) errors.add(i, bad);
    return out;
  }
  if (k == 'u') {  // through uint64: a value above INT64_MAX must not wrap to a negative one
    auto v = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!v) throw py::error_already_set();
    for (std::size_t i = 0; i < n; ++i) out[i] = v.data()[i] > 2 ? 3 : static_cast<int>(v.data()[i]);
    return out;
  }
  if (k == 'i') {
    auto v = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!v) throw py::error_already_set();
    for (std::size_t i = 0; i < n; ++i) out[i] = clamp(v.data()[i]);
    return out;
  }
  if (k == 'f') {
    auto v = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!v) throw py::error_already_set();
    for (std::size_t i = 0; i < n; ++i) from_double(i, v.data()[i]);
    return out;
  }
  if (k != 'O') throw py::type_error(what + ": expected integers, not dtype " + py::str(a.dtype()).cast<std::string>());
  PyObject* const* data = objects(a, what);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* o = data[i];
    if (is_missing(o, ctx) || is_boolean(o)) {
      errors.add(i, bad);
    } else if (PyUnicode_Check(o)) {
      parse_text(o, detail::parse_impression, i, out[i], errors);
    } else if (PyFloat_Check(o)) {
      from_double(i, PyFloat_AS_DOUBLE(o));
    } else if (PyObject* idx = PyNumber_Index(o)) {
      int overflow = 0;
      const long long v = PyLong_AsLongLongAndOverflow(idx, &overflow);
      Py_DECREF(idx);
      out[i] = overflow ? 3 : clamp(v);
    } else {
      PyErr_Clear();
      errors.add(i, bad);
    }
  }
  return out;
}

/// The amount column: numbers (negative and non-finite values are left to the row rules) or
/// strings with the CSV rule.
std::vector<double> amount_column(const py::array& a, const Ctx& ctx, const std::string& what, Errors& errors) {
  const auto n = static_cast<std::size_t>(a.shape(0));
  const char* bad = detail::parse_amount("").reason;
  const char k = kind_of(a);
  if (k == 'b') {  // true/false is not an amount to the CSV rule either
    for (std::size_t i = 0; i < n; ++i) errors.add(i, bad);
    return std::vector<double>(n, 0.0);
  }
  if (k == 'i' || k == 'u' || k == 'f') {
    auto v = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!v) throw py::error_already_set();
    std::vector<double> out(v.data(), v.data() + n);
    for (std::size_t i = 0; i < n; ++i)
      if (std::isnan(out[i])) errors.add(i, bad);
    return out;
  }
  if (k != 'O') throw py::type_error(what + ": expected numbers, not dtype " + py::str(a.dtype()).cast<std::string>());
  std::vector<double> out(n, 0.0);
  PyObject* const* data = objects(a, what);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* o = data[i];
    if (is_missing(o, ctx) || is_boolean(o) || PyBytes_Check(o) || PyByteArray_Check(o)) {
      // (float() would read b" 1e5 ", which no CSV amount spells)
      errors.add(i, bad);
    } else if (PyUnicode_Check(o)) {
      parse_text(o, detail::parse_amount, i, out[i], errors);
    } else if (PyObject* f = PyNumber_Float(o)) {
      out[i] = PyFloat_AS_DOUBLE(f);
      Py_DECREF(f);
      if (std::isnan(out[i])) errors.add(i, bad);
    } else {
      // an integer too large for a double overflows, as its CSV spelling does: the row rules
      // reject it as non-finite
      const bool overflow = PyErr_ExceptionMatches(PyExc_OverflowError);
      PyErr_Clear();
      if (overflow) {
        out[i] = std::numeric_limits<double>::infinity();
      } else {
        errors.add(i, bad);
      }
    }
  }
  return out;
}

/// The complaint flag: bool, 0/1 numbers, or the strings true/false/1/0.
std::vector<std::uint8_t> complaint_column(const py::array& a, const Ctx& ctx, const std::string& what,
                                           Errors& errors) {
  const auto n = static_cast<std::size_t>(a.shape(0));
  std::vector<std::uint8_t> out(n, 0);
  const char* bad = detail::parse_bool("").reason;
  const char k = kind_of(a);
  if (k == 'b' || k == 'i' || k == 'u') {
    auto v = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!v) throw py::error_already_set();
    for (std::size_t i = 0; i < n; ++i) {
      const auto x = v.data()[i];
      if (x == 0 || x == 1) {
        out[i] = static_cast<std::uint8_t>(x);
      } else {
        errors.add(i, bad);
      }
    }
    return out;
  }
  if (k == 'f') {
    auto v = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!v) throw py::error_already_set();
    for (std::size_t i = 0; i < n; ++i) {
      const double x = v.data()[i];
      if (x == 0.0 || x == 1.0) {
        out[i] = x == 1.0;
      } else {
        errors.add(i, bad);
      }
    }
    return out;
  }
  if (k != 'O') throw py::type_error(what + ": expected booleans, not dtype " + py::str(a.dtype()).cast<std::string>());
  PyObject* const* data = objects(a, what);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* o = data[i];
    if (is_missing(o, ctx)) {
      errors.add(i, bad);
    } else if (PyBool_Check(o)) {
      out[i] = o == Py_True;
    } else if (PyUnicode_Check(o)) {
      parse_text(o, detail::parse_bool, i, out[i], errors);
    } else if (std::strcmp(Py_TYPE(o)->tp_name, "numpy.bool_") == 0) {
      const int t = PyObject_IsTrue(o);
      if (t < 0) throw py::error_already_set();
      out[i] = t != 0;
    } else if (PyFloat_Check(o)) {
      const double x = PyFloat_AS_DOUBLE(o);
      if (x == 0.0 || x == 1.0) {
        out[i] = x == 1.0;
      } else {
        errors.add(i, bad);
      }
    } else if (PyObject* idx = PyNumber_Index(o)) {
      int overflow = 0;
      const long long x = PyLong_AsLongLongAndOverflow(idx, &overflow);
      Py_DECREF(idx);
      if (!overflow && (x == 0 || x == 1)) {
        out[i] = static_cast<std::uint8_t>(x);
      } else {
        errors.add(i, bad);
      }
    } else {
      PyErr_Clear();
      errors.add(i, bad);
    }
  }
  return out;
}

/// A DataFrame table's columns for reports: each schema field's 1-based position in the frame.
detail::ColumnMap column_map(const InTable& in, const detail::TableSchema& schema) {
  detail::ColumnMap m;
  for (const char* name : schema.fields) {
    const std::size_t pos = in.position(name);
    m.position.push_back(pos);
    if (pos > m.header.size()) m.header.resize(pos);
    if (pos) m.header[pos - 1] = name;
  }
  return m;
}

/// One table's converted columns and the conversion errors of each schema field.
struct Converted {
  std::vector<Errors> errors;  ///< per schema field
  explicit Converted(const detail::TableSchema& schema) : errors(schema.fields.size()) {}
  /// The first field (schema order) of row `i` that could not be converted, or null.
  const detail::RowError* failure(std::size_t i, detail::RowError& buf) {
    for (std::size_t k = 0; k < errors.size(); ++k)
      if (const std::string* why = errors[k].at(i)) {
        buf = detail::RowError{k, 0, *why};
        return &buf;
      }
    return nullptr;
  }
};

/// Hands every row of one table to the row rules (`add(i, failure, e)`), rejecting into `sink`.
template <class Add>
void add_rows(const InTable& in, const detail::TableSchema& schema, rapport::TableCounts& counts,
              detail::RejectSink& sink, Converted& conv, Add&& add) {
  if (!in.present) return;
  const detail::ColumnMap columns = column_map(in, schema);
  const std::string file = std::string("<") + schema.table + ">";
  counts.read = in.rows;
  detail::RowError buf, e;
  for (std::size_t i = 0; i < in.rows; ++i)
    if (!add(i, conv.failure(i, buf), e)) sink.reject(schema, counts, file, columns, i + 2, e, {});
}

/// The customers table as typed columns.
struct CustomerColumns {
  Converted conv{detail::customers_schema()};
  std::vector<std::string_view> id, segment;
  std::vector<day_t> acquired_on, ended_on;  // ended_on empty when the table has no such column
  CustomerColumns(const InTable& t, Ctx& ctx) {
    if (!t.present) return;  // a live Scorer's batch may have no customers
    using namespace detail::customer_field;
    id =
        string_column(t.get("customers", "customer_id").array, ctx, "customers.customer_id", &conv.errors[customer_id]);
    acquired_on = date_column(t.get("customers", "acquired_on").array, ctx, "customers.acquired_on",
                              conv.errors[detail::customer_field::acquired_on]);
    if (const auto* c = t.find("segment"))
      segment = string_column(c->array, ctx, "customers.segment", &conv.errors[detail::customer_field::segment]);
    if (const auto* c = t.find("ended_on"))
      ended_on = date_column(c->array, ctx, "customers.ended_on", conv.errors[detail::customer_field::ended_on], true,
                             "ended_on: ");
  }
};

/// The contacts table as typed columns.
struct ContactColumns {
  Converted conv{detail::contacts_schema()};
  std::vector<std::string_view> id;
  std::vector<seconds_t> at, resolved_at;
  std::vector<rapport::Channel> channel;
  std::vector<rapport::Stage> stage;
  std::vector<rapport::Initiator> initiator;
  std::vector<rapport::Aspect> aspect;
  std::vector<int> impression;
  std::vector<std::uint8_t> complaint;
  ContactColumns(const InTable& co, Ctx& ctx) {
    if (!co.present) return;
    namespace f = detail::contact_field;
    const char* t = "contacts";
    auto& err = conv.errors;
    id = string_column(co.get(t, "customer_id").array, ctx, "contacts.customer_id", &err[f::customer_id]);
    at = time_column(co.get(t, "at").array, ctx, "contacts.at", false, "", err[f::at]);
    channel = enum_column<rapport::Channel>(co.get(t, "channel").array, ctx, "channel", detail::parse_channel,
                                            err[f::channel]);
    stage = enum_column<rapport::Stage>(co.get(t, "stage").array, ctx, "stage", detail::parse_stage, err[f::stage]);
    initiator = enum_column<rapport::Initiator>(co.get(t, "initiator").array, ctx, "initiator", detail::parse_initiator,
                                                err[f::initiator]);
    aspect =
        enum_column<rapport::Aspect>(co.get(t, "aspect").array, ctx, "aspect", detail::parse_aspect, err[f::aspect]);
    impression = impression_column(co.get(t, "impression").array, ctx, "contacts.impression", err[f::impression]);
    complaint = complaint_column(co.get(t, "complaint").array, ctx, "contacts.complaint", err[f::complaint]);
    resolved_at = time_column(co.get(t, "resolved_at").array, ctx, "contacts.resolved_at", true,
                              "resolved_at: ", err[f::resolved_at]);
  }
  rapport::ContactRow row(std::size_t i) const {
    const bool c = complaint[i] != 0;
    return rapport::ContactRow{at[i],     channel[i],    stage[i], initiator[i],
                               aspect[i], impression[i], c,        c ? resolved_at[i] : rapport::no_time};
  }
};

/// The purchases table as typed columns.
struct PurchaseColumns {
  Converted conv{detail::purchases_schema()};
  std::vector<std::string_view> id;
  std::vector<seconds_t> at;
  std::vector<double> amount;
  PurchaseColumns(const InTable& pu, Ctx& ctx) {
    if (!pu.present) return;
    namespace f = detail::purchase_field;
    const char* t = "purchases";
    id = string_column(pu.get(t, "customer_id").array, ctx, "purchases.customer_id", &conv.errors[f::customer_id]);
    at = time_column(pu.get(t, "at").array, ctx, "purchases.at", false, "", conv.errors[f::at]);
    amount = amount_column(pu.get(t, "amount").array, ctx, "purchases.amount", conv.errors[f::amount]);
  }
};

/// The referrals table as typed columns.
struct ReferralColumns {
  Converted conv{detail::referrals_schema()};
  std::vector<std::string_view> from, to;
  std::vector<seconds_t> at;
  ReferralColumns(const InTable& re, Ctx& ctx) {
    if (!re.present) return;
    namespace f = detail::referral_field;
    const char* t = "referrals";
    from = string_column(re.get(t, "referrer_id").array, ctx, "referrals.referrer_id", &conv.errors[f::referrer_id]);
    to = string_column(re.get(t, "referred_id").array, ctx, "referrals.referred_id", &conv.errors[f::referred_id]);
    at = time_column(re.get(t, "at").array, ctx, "referrals.at", false, "", conv.errors[f::at]);
  }
};

/// Hands the converted tables to the row rules of `b` (a CustomerBaseBuilder, or a live Scorer's
/// detail::ScorerRows), rejecting into `sink` (GIL released by the caller: the string views point
/// into private object arrays).
template <class Target>
void add_tables_to(Target& b, detail::RejectSink& sink, const InTable (&in)[4], CustomerColumns& cu, ContactColumns& co,
                   PurchaseColumns& pu, ReferralColumns& re) {
  rapport::LoadReport& rep = sink.report();
  add_rows(in[0], detail::customers_schema(), rep.customers, sink, cu.conv, [&](std::size_t i, auto* failure, auto& e) {
    return detail::add_customer_row(b, cu.id[i], cu.acquired_on[i],
                                    cu.segment.empty() ? std::string_view() : cu.segment[i],
                                    cu.ended_on.empty() ? rapport::no_day : cu.ended_on[i], failure, e);
  });
  add_rows(in[1], detail::contacts_schema(), rep.contacts, sink, co.conv, [&](std::size_t i, auto* failure, auto& e) {
    return detail::add_contact_row(b, co.id[i], co.row(i), failure, e);
  });
  add_rows(in[2], detail::purchases_schema(), rep.purchases, sink, pu.conv, [&](std::size_t i, auto* failure, auto& e) {
    return detail::add_purchase_row(b, pu.id[i], pu.at[i], pu.amount[i], failure, e);
  });
  add_rows(in[3], detail::referrals_schema(), rep.referrals, sink, re.conv, [&](std::size_t i, auto* failure, auto& e) {
    return detail::add_referral_row(b, re.from[i], re.to[i], re.at[i], failure, e);
  });
}

/// Hands the converted tables to the row rules and groups the accepted rows.
void add_tables(BaseHolder& holder, const InTable (&in)[4], CustomerColumns& cu, ContactColumns& co,
                PurchaseColumns& pu, ReferralColumns& re) {
  const rapport::LoadOptions options;
  detail::RejectSink sink(holder.report, options);
  rapport::CustomerBaseBuilder b;
  add_tables_to(b, sink, in, cu, co, pu, re);
  holder.base = b.finish();
}

/// Converts the four table specs (dtype conversion with the GIL held) and hands them to
/// `use(in, cu, co, pu, re)`; `require_customers`: a customers table must be given.
template <class Use>
void convert_frames(const py::object (&specs)[4], const py::object& na, const py::object& na_time,
                    const py::object& time_fallback, bool require_customers, Use&& use) {
  Ctx ctx;
  ctx.na = na.ptr();
  ctx.nat = na_time.ptr();
  ctx.time_fallback = time_fallback;
  const InTable in[4] = {read_table(specs[0], "customers"), read_table(specs[1], "contacts"),
                         read_table(specs[2], "purchases"), read_table(specs[3], "referrals")};
  if (require_customers && !in[0].present) throw rapport::InputError("customers: a customers table is required");
  CustomerColumns cu(in[0], ctx);
  ContactColumns co(in[1], ctx);
  PurchaseColumns pu(in[2], ctx);
  ReferralColumns re(in[3], ctx);
  use(in, cu, co, pu, re);
}

std::shared_ptr<BaseHolder> build_base(const py::object& customers_spec, const py::object& contacts_spec,
                                       const py::object& purchases_spec, const py::object& referrals_spec,
                                       const py::object& na, const py::object& na_time,
                                       const py::object& time_fallback) {
  auto holder = std::make_shared<BaseHolder>();
  holder->from_frames = true;
  // dtype conversion (GIL held), then the row rules (GIL released)
  convert_frames({customers_spec, contacts_spec, purchases_spec, referrals_spec}, na, na_time, time_fallback, true,
                 [&](const InTable(&in)[4], auto& cu, auto& co, auto& pu, auto& re) {
                   py::gil_scoped_release release;
                   add_tables(*holder, in, cu, co, pu, re);
                 });
  return holder;
}

std::shared_ptr<BaseHolder> load_files(const std::string& customers, const std::string& contacts,
                                       const std::string& purchases, const std::string& referrals) {
  rapport::InputFiles files{customers, contacts, purchases, referrals};
  auto holder = std::make_shared<BaseHolder>();
  const std::pair<const char*, const std::string*> named[] = {
      {"customers", &customers}, {"contacts", &contacts}, {"purchases", &purchases}, {"referrals", &referrals}};
  for (const auto& [table, path] : named)
    if (!path->empty()) holder->inputs.push_back({table, *path});
  py::gil_scoped_release release;
  auto loaded = rapport::load_csv(files);
  holder->base = std::move(loaded.base);
  holder->report = std::move(loaded.report);
  return holder;
}

py::dict counts_dict(const rapport::TableCounts& t) {
  py::dict d;
  d["read"] = t.read;
  d["rejected"] = t.rejected;
  d["accepted"] = t.read - t.rejected;
  return d;
}

/// int64 nanoseconds of instants (no_time -> NaT), for a datetime64[ns] view in Python.
py::array_t<std::int64_t> ns_array(const std::vector<seconds_t>& v) {
  std::vector<std::int64_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i] == rapport::no_time ? nat : v[i] * ns_per_second;
  return to_numpy(std::move(out));
}

/// Object array of customer ids repeated per row of a CSR group.
py::array owner_ids(const std::vector<py::str>& ids, const std::vector<std::uint64_t>& offsets, std::size_t rows) {
  py::array out = new_object_array(rows);
  auto** p = static_cast<PyObject**>(out.mutable_data());
  for (std::size_t c = 0; c + 1 < offsets.size(); ++c)
    for (auto k = offsets[c]; k < offsets[c + 1]; ++k) {
      Py_XDECREF(p[k]);
      p[k] = ids[c].inc_ref().ptr();
    }
  return out;
}

template <class E>
py::array_t<std::uint8_t> codes(const std::vector<E>& v) {
  std::vector<std::uint8_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<std::uint8_t>(v[i]);
  return to_numpy(std::move(out));
}

/// The base's tables as {table: {column: array}} (times as int64 ns, enums as uint8 codes).
py::dict base_columns(const BaseHolder& h) {
  const auto& b = h.base;
  py::dict out;
  std::vector<py::str> ids;
  ids.reserve(b.person_count());
  for (std::size_t p = 0; p < b.person_count(); ++p) ids.push_back(make_str(b.person(p)));
  {
    py::dict t;
    py::array id = new_object_array(b.customer_count()), seg = new_object_array(b.customer_count());
    auto** pi = static_cast<PyObject**>(id.mutable_data());
    auto** ps = static_cast<PyObject**>(seg.mutable_data());
    std::vector<py::str> segs;
    for (const auto& s : b.segment_names) segs.push_back(make_str(s));
    std::vector<std::int64_t> acq(b.customer_count());
    for (std::size_t i = 0; i < b.customer_count(); ++i) {
      Py_XDECREF(pi[i]);
      pi[i] = ids[i].inc_ref().ptr();
      Py_XDECREF(ps[i]);
      ps[i] = segs[b.segment[i]].inc_ref().ptr();
      acq[i] = static_cast<std::int64_t>(b.acquired_on[i]) * ns_per_day;
    }
    t["customer_id"] = id;
    t["acquired_on"] = to_numpy(std::move(acq));
    t["segment"] = seg;
    if (!b.ended_on.empty()) {  // NaT while active
      std::vector<std::int64_t> ended(b.customer_count());
      for (std::size_t i = 0; i < ended.size(); ++i)
        ended[i] = b.ended_on[i] == rapport::no_day ? nat : static_cast<std::int64_t>(b.ended_on[i]) * ns_per_day;
      t["ended_on"] = to_numpy(std::move(ended));
    }
    out["customers"] = t;
  }
  {
    py::dict t;
    t["customer_id"] = owner_ids(ids, b.contact_offsets, b.contact_count());
    t["at"] = ns_array(b.contact_at);
    t["channel"] = codes(b.contact_channel);
    t["stage"] = codes(b.contact_stage);
    t["initiator"] = codes(b.contact_initiator);
    t["aspect"] = codes(b.contact_aspect);
    std::vector<std::int64_t> imp(b.contact_impression.begin(), b.contact_impression.end());
    t["impression"] = to_numpy(std::move(imp));
    std::vector<std::uint8_t> cp(b.contact_complaint);
    t["complaint"] = to_numpy_as(std::move(cp), py::dtype("bool"));
    t["resolved_at"] = ns_array(b.resolved_at_column());
    out["contacts"] = t;
  }
  {
    py::dict t;
    t["customer_id"] = owner_ids(ids, b.purchase_offsets, b.purchase_count());
    t["at"] = ns_array(b.purchase_at);
    t["amount"] = to_numpy(std::vector<double>(b.purchase_amount));
    out["purchases"] = t;
  }
  {
    py::dict t;
    py::array from = new_object_array(b.referral_count()), to = new_object_array(b.referral_count());
    auto** pf = static_cast<PyObject**>(from.mutable_data());
    auto** pt = static_cast<PyObject**>(to.mutable_data());
    for (std::size_t i = 0; i < b.referral_count(); ++i) {
      Py_XDECREF(pf[i]);
      pf[i] = ids[b.referral_from[i]].inc_ref().ptr();
      Py_XDECREF(pt[i]);
      pt[i] = ids[b.referral_to[i]].inc_ref().ptr();
    }
    t["referrer_id"] = from;
    t["referred_id"] = to;
    t["at"] = ns_array(b.referral_at);
    out["referrals"] = t;
  }
  return out;
}

py::list rejects_list(const BaseHolder& h) {
  py::list out;
  for (const auto& r : h.report.rejects) {
    py::dict d;
    d["table"] = r.table;
    d["row"] = h.from_frames ? py::object(py::int_(r.line - 2)) : py::object(py::none());
    d["column"] = r.column_name.empty() ? py::object(py::none()) : py::object(make_str(r.column_name));
    d["reason"] = make_str(r.reason);
    d["file"] = make_str(r.file);
    d["line"] = h.from_frames ? py::object(py::none()) : py::object(py::int_(r.line));
    d["column_number"] = r.column;
    d["raw"] = make_str(r.raw);
    out.append(d);
  }
  return out;
}

template <class E>
py::list enum_names(std::size_t count) {
  py::list out;
  for (std::size_t k = 0; k < count; ++k) out.append(std::string(rapport::to_string(static_cast<E>(k))));
  return out;
}

}  // namespace

std::shared_ptr<BaseHolder> add_frames(rapport::Scorer& scorer, const py::object (&specs)[4], const py::object& na,
                                       const py::object& na_time, const py::object& time_fallback) {
  auto batch = std::make_shared<BaseHolder>();
  batch->from_frames = true;
  convert_frames(
      specs, na, na_time, time_fallback, false, [&](const InTable(&in)[4], auto& cu, auto& co, auto& pu, auto& re) {
        py::gil_scoped_release release;
        batch->report = detail::add_rows(
            scorer, rapport::LoadOptions{},
            [&](detail::ScorerRows& rows, detail::RejectSink& sink) { add_tables_to(rows, sink, in, cu, co, pu, re); });
      });
  return batch;
}

void init_data(py::module_& m) {
  PyDateTime_IMPORT;
  if (!PyDateTimeAPI) throw py::error_already_set();

  py::class_<BaseHolder, std::shared_ptr<BaseHolder>>(m, "CustomerBase", R"doc(
A validated customer base in rapport's columnar storage.

Build one with :func:`rapport.load`, :func:`rapport.load_dir` or :func:`rapport.generate` and pass
it to :func:`rapport.score`, :func:`rapport.summary` or :func:`rapport.explain` to score the same
data several times without converting it again. Rows that failed validation are not part of the
base; they are listed in :attr:`rejects` and counted in :attr:`rows`.
)doc")
      .def_property_readonly(
          "customers", [](const BaseHolder& h) { return h.base.customer_count(); }, "Number of accepted customers.")
      .def_property_readonly(
          "contacts", [](const BaseHolder& h) { return h.base.contact_count(); }, "Number of accepted contacts.")
      .def_property_readonly(
          "purchases", [](const BaseHolder& h) { return h.base.purchase_count(); }, "Number of accepted purchases.")
      .def_property_readonly(
          "referrals", [](const BaseHolder& h) { return h.base.referral_count(); }, "Number of accepted referrals.")
      .def_property_readonly(
          "people", [](const BaseHolder& h) { return h.base.person_count(); },
          "Number of people in the referral graph (customers first, then everyone else named).")
      .def_property_readonly(
          "segments", [](const BaseHolder& h) { return h.base.segment_names; },
          "Distinct segments in first-seen order ('' = no segment).")
      .def_property_readonly(
          "rows",
          [](const BaseHolder& h) {
            py::dict d;
            d["customers"] = counts_dict(h.report.customers);
            d["contacts"] = counts_dict(h.report.contacts);
            d["purchases"] = counts_dict(h.report.purchases);
            d["referrals"] = counts_dict(h.report.referrals);
            return d;
          },
          "Rows read, rejected and accepted per table: {table: {'read', 'rejected', 'accepted'}}.")
      .def_property_readonly(
          "rejected", [](const BaseHolder& h) { return h.report.total_rejected(); },
          "Total number of rejected rows over all tables.")
      .def_property_readonly("rejects", &rejects_list, R"doc(
Every rejected row (up to one million are kept) as a list of dicts with keys ``table``,
``row`` (0-based position in the DataFrame, None for CSV input), ``column`` (name, None for the
whole row), ``reason``, ``file``, ``line`` (1-based line in the CSV file, None for DataFrames),
``column_number`` (1-based, 0 for the whole row) and ``raw`` (the CSV row text, '' for DataFrames).
)doc")
      .def_property_readonly("_default_as_of_day",
                             [](const BaseHolder& h) -> std::optional<int> {
                               auto d = h.base.default_as_of();
                               return d ? std::optional<int>(*d) : std::nullopt;
                             })
      .def("_columns", &base_columns)
      .def(
          "_to_bytes",
          [](const BaseHolder& h) {
            std::string out;
            {
              py::gil_scoped_release release;
              out = detail::base_to_bytes(h.base, h.report);
            }
            return py::bytes(out);
          },
          "The accepted rows and the load report as bytes (rapport::detail::base_to_bytes), read back by "
          "_base_from_bytes without a parse; the input paths are not kept.")
      .def(
          "_nbytes", [](const BaseHolder& h) { return detail::base_memory_bytes(h.base, h.report); },
          "About how many bytes of memory the base and its load report hold.")
      .def("__len__", [](const BaseHolder& h) { return h.base.customer_count(); })
      .def("__repr__", [](const BaseHolder& h) {
        return "<rapport.CustomerBase: " + std::to_string(h.base.customer_count()) + " customers, " +
               std::to_string(h.base.contact_count()) + " contacts, " + std::to_string(h.base.purchase_count()) +
               " purchases, " + std::to_string(h.base.referral_count()) + " referrals, " +
               std::to_string(h.report.total_rejected()) + " rejected rows>";
      });

  m.def("_build_base", &build_base, py::arg("customers"), py::arg("contacts"), py::arg("purchases"),
        py::arg("referrals"), py::arg("na"), py::arg("nat"), py::arg("time_fallback"),
        "Builds a CustomerBase from prepared columns (see rapport._prepare_table).");
  m.def(
      "_base_from_bytes",
      [](const py::buffer& data, bool from_frames) {
        const py::buffer_info buf = data.request();
        // the bytes are read as one run from buf.ptr: a strided view (memoryview(b)[::-1]) is refused
        if (buf.ndim != 1 || buf.itemsize != 1 || (buf.size > 1 && buf.strides[0] != 1))
          throw py::type_error("_base_from_bytes: a C-contiguous 1-D byte buffer expected");
        auto holder = std::make_shared<BaseHolder>();
        holder->from_frames = from_frames;
        const std::string_view bytes(static_cast<const char*>(buf.ptr), static_cast<std::size_t>(buf.size));
        py::gil_scoped_release release;
        auto loaded = detail::base_from_bytes(bytes);
        holder->base = std::move(loaded.base);
        holder->report = std::move(loaded.report);
        return holder;
      },
      py::arg("data"), py::arg("from_frames"),
      "The CustomerBase that CustomerBase._to_bytes wrote (`from_frames`: its rejects carry row numbers).");
  m.def("_load_csv", &load_files, py::arg("customers"), py::arg("contacts") = "", py::arg("purchases") = "",
        py::arg("referrals") = "", "Loads CSV files with rapport::load_csv (GIL released).");
  m.def("_input_files", [](const std::string& dir) {
    const auto f = rapport::InputFiles::from_directory(dir);
    return py::make_tuple(f.customers, f.contacts, f.purchases, f.referrals);
  });
  m.def(
      "_generate",
      [](std::size_t customers, std::uint64_t seed, std::optional<int> end_day, double years, double contact_rate,
         double referral_share, double prospect_referrals) {
        rapport::GenerateOptions o;
        o.customers = customers;
        o.seed = seed;
        if (end_day) o.end_day = *end_day;
        o.years = years;
        o.contact_rate_per_year = contact_rate;
        o.referral_share = referral_share;
        o.prospect_referrals = prospect_referrals;
        auto holder = std::make_shared<BaseHolder>();
        py::gil_scoped_release release;
        holder->base = rapport::generate_base(o);
        const auto& b = holder->base;
        holder->report.customers.read = b.customer_count();
        holder->report.contacts.read = b.contact_count();
        holder->report.purchases.read = b.purchase_count();
        holder->report.referrals.read = b.referral_count();
        return holder;
      },
      py::arg("customers"), py::arg("seed"), py::arg("end_day"), py::arg("years"), py::arg("contact_rate_per_year"),
      py::arg("referral_share"), py::arg("prospect_referrals"));
  m.def(
      "_generate_csv",
      [](const std::string& dir, std::size_t customers, std::uint64_t seed, std::optional<int> end_day, double years,
         double contact_rate, double referral_share, double prospect_referrals) {
        rapport::GenerateOptions o;
        o.customers = customers;
        o.seed = seed;
        if (end_day) o.end_day = *end_day;
        o.years = years;
        o.contact_rate_per_year = contact_rate;
        o.referral_share = referral_share;
        o.prospect_referrals = prospect_referrals;
        rapport::GenerateCounts c;
        {
          py::gil_scoped_release release;
          c = rapport::generate_csv(dir, o);
        }
        py::dict d;
        d["customers"] = c.customers;
        d["contacts"] = c.contacts;
        d["purchases"] = c.purchases;
        d["referrals"] = c.referrals;
        return d;
      },
      py::arg("dir"), py::arg("customers"), py::arg("seed"), py::arg("end_day"), py::arg("years"),
      py::arg("contact_rate_per_year"), py::arg("referral_share"), py::arg("prospect_referrals"));
  m.def(
      "parse_date",
      [](const std::string& text) -> std::optional<int> {
        auto d = rapport::parse_date(text);
        return d ? std::optional<int>(*d) : std::nullopt;
      },
      py::arg("text"), "Days since 1970-01-01 of a 'YYYY-MM-DD' date (the CSV rule), or None.");
  m.def(
      "parse_timestamp",
      [](const std::string& text) -> std::optional<std::int64_t> {
        auto t = rapport::parse_timestamp(text);
        return t ? std::optional<std::int64_t>(*t) : std::nullopt;
      },
      py::arg("text"), "Seconds since the epoch of a 'YYYY-MM-DD[( |T)HH:MM:SS[Z]]' timestamp (UTC), or None.");
  m.attr("CHANNELS") = enum_names<rapport::Channel>(8);
  m.attr("STAGES") = enum_names<rapport::Stage>(5);
  m.attr("INITIATORS") = enum_names<rapport::Initiator>(2);
  m.attr("ASPECTS") = enum_names<rapport::Aspect>(3);
}

}  // namespace rapport_py
