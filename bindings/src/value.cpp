// rapport Python bindings: BG/NBD and Gamma-Gamma fits and predictions over numpy arrays, and
// every value model of rapport/value/models.hpp (_ValueModel, wrapped by rapport/value.py).
#include "common.hpp"

#include <rapport/value/models.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rapport_py {
namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::span<const double> span_of(const Doubles& a) { return {a.data(), static_cast<std::size_t>(a.size())}; }

void same_length(std::initializer_list<const Doubles*> arrays) {
  const auto n = (*arrays.begin())->size();
  for (const auto* a : arrays) {
    if (a->ndim() != 1) throw rapport::UsageError("expected 1-D arrays");
    if (a->size() != n) throw rapport::UsageError("arrays differ in length");
  }
}

rapport::FitOptions fit_options(int max_iterations, double gradient_tolerance, std::size_t min_customers) {
  const rapport::FitOptions o{max_iterations, gradient_tolerance, min_customers};
  rapport::validate(o);
  return o;
}

/// Model parameters from a dict holding (at least) every parameter of `P`; extra keys such as
/// the `log_likelihood` of a fit result are ignored. Validated like the config's parameters.
template <class P>
P model_params(const py::dict& d, const char* what) {
  P p{};
  rapport::visit_fields<P>([&](const auto& f) {
    const std::string name(f.name);
    if (!d.contains(name)) throw rapport::UsageError(std::string(what) + ": missing parameter '" + name + "'");
    p.*f.member = d[py::str(name)].template cast<double>();
  });
  rapport::validate(p);
  return p;
}

rapport::BgNbdParams bgnbd_params(const py::dict& d) { return model_params<rapport::BgNbdParams>(d, "bgnbd"); }

rapport::GammaGammaParams gamma_gamma_params(const py::dict& d) {
  return model_params<rapport::GammaGammaParams>(d, "gamma_gamma");
}

using U8 = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;

/// The arrays of one call, converted and kept alive while the GIL is released; `data` views them.
struct Inputs {
  std::optional<Doubles> x, t_x, T, n, m, periods, weights;
  std::optional<U8> ended;
  rapport::ModelData data;
  std::size_t rows = 0;
};

Inputs inputs(const py::object& x, const py::object& t_x, const py::object& T, const py::object& n,
              const py::object& mv, const py::object& periods, const py::object& ended, const py::object& weights) {
  Inputs in;
  std::optional<std::size_t> length;
  const auto take = [&](const py::object& o, std::optional<Doubles>& slot, std::span<const double>& view,
                        const char* name) {
    if (o.is_none()) return;
    slot = Doubles::ensure(o);
    if (!slot || !*slot) throw py::value_error(std::string(name) + ": expected an array of numbers");
    if (slot->ndim() != 1) throw py::value_error(std::string(name) + ": expected a 1-D array");
    const auto size = static_cast<std::size_t>(slot->size());
    if (length && *length != size) throw py::value_error("arrays differ in length (" + std::string(name) + ")");
    length = size;
    view = span_of(*slot);
  };
  take(x, in.x, in.data.x, "x");
  take(t_x, in.t_x, in.data.t_x, "t_x");
  take(T, in.T, in.data.T, "T");
  take(n, in.n, in.data.n, "n");
  take(mv, in.m, in.data.m, "m");
  take(periods, in.periods, in.data.periods, "periods");
  take(weights, in.weights, in.data.weights, "weights");
  if (!ended.is_none()) {
    in.ended = U8::ensure(ended);
    if (!in.ended || !*in.ended || in.ended->ndim() != 1) throw py::value_error("ended: expected a 1-D array");
    const auto size = static_cast<std::size_t>(in.ended->size());
    if (length && *length != size) throw py::value_error("arrays differ in length (ended)");
    length = size;
    in.data.ended = {in.ended->data(), size};
  }
  in.rows = length.value_or(0);
  return in;
}

rapport::ValueModelName model_name(const std::string& name) {
  const auto parsed = rapport::parse_value_model(name);
  if (!parsed) {
    throw rapport::ConfigError("unknown value model '" + name +
                               "' (bgnbd, pareto_nbd, mbgnbd, bgbb, sbg or gamma_gamma)");
  }
  return *parsed;
}

/// Per-row predictions: `fn(model, data, out)` over the rows given, GIL released.
template <class Fn>
py::array_t<double> per_row(const rapport::ValueModel& model, const Inputs& in, Fn&& fn) {
  std::vector<double> out(in.rows);
  {
    py::gil_scoped_release release;
    fn(model, in.data, std::span<double>(out));
  }
  return to_numpy(std::move(out));
}

#define RAPPORT_PY_ROW_ARGS                                                                                     \
  py::arg("x") = py::none(), py::arg("t_x") = py::none(), py::arg("T") = py::none(), py::arg("n") = py::none(), \
  py::arg("m") = py::none(), py::arg("periods") = py::none(), py::arg("ended") = py::none()

}  // namespace

void init_value(py::module_& m) {
  py::class_<rapport::ValueModel>(m, "_ValueModel")
      .def_property_readonly("name",
                             [](const rapport::ValueModel& v) { return std::string(rapport::to_string(v.name)); })
      .def_property_readonly("param_names",
                             [](const rapport::ValueModel& v) {
                               std::vector<std::string> out;
                               for (std::string_view s : rapport::param_names(v.name)) out.emplace_back(s);
                               return out;
                             })
      .def_readonly("params", &rapport::ValueModel::params)
      .def_readonly("std_errors", &rapport::ValueModel::std_errors)
      .def_readonly("log_covariance", &rapport::ValueModel::log_covariance)
      .def_readonly("log_likelihood", &rapport::ValueModel::log_likelihood)
      .def_readonly("aic", &rapport::ValueModel::aic)
      .def_readonly("bic", &rapport::ValueModel::bic)
      .def_readonly("n", &rapport::ValueModel::n)
      .def_readonly("penalizer", &rapport::ValueModel::penalizer)
      .def(
          "p_alive",
          [](const rapport::ValueModel& v, const py::object& x, const py::object& t_x, const py::object& T,
             const py::object& n, const py::object& mv, const py::object& periods, const py::object& ended) {
            const Inputs in = inputs(x, t_x, T, n, mv, periods, ended, py::none());
            return per_row(v, in,
                           [](const auto& model, const auto& data, auto out) { rapport::p_alive(model, data, out); });
          },
          RAPPORT_PY_ROW_ARGS)
      .def(
          "expected_purchases",
          [](const rapport::ValueModel& v, double t, const py::object& x, const py::object& t_x, const py::object& T,
             const py::object& n, const py::object& mv, const py::object& periods, const py::object& ended) {
            const Inputs in = inputs(x, t_x, T, n, mv, periods, ended, py::none());
            return per_row(v, in, [t](const auto& model, const auto& data, auto out) {
              rapport::expected_purchases(model, t, data, out);
            });
          },
          py::arg("t"), RAPPORT_PY_ROW_ARGS)
      .def(
          "discounted_expected_purchases",
          [](const rapport::ValueModel& v, double t, double rate, const py::object& x, const py::object& t_x,
             const py::object& T, const py::object& n, const py::object& mv, const py::object& periods,
             const py::object& ended) {
            const Inputs in = inputs(x, t_x, T, n, mv, periods, ended, py::none());
            return per_row(v, in, [t, rate](const auto& model, const auto& data, auto out) {
              rapport::discounted_expected_purchases(model, t, rate, data, out);
            });
          },
          py::arg("t"), py::arg("rate"), RAPPORT_PY_ROW_ARGS)
      .def(
          "expected_spend",
          [](const rapport::ValueModel& v, const py::object& x, const py::object& mv) {
            const Inputs in = inputs(x, py::none(), py::none(), py::none(), mv, py::none(), py::none(), py::none());
            return per_row(v, in, [](const auto& model, const auto& data, auto out) {
              rapport::expected_spend(model, data, out);
            });
          },
          py::arg("x"), py::arg("m"))
      .def(
          "expected_purchases_new",
          [](const rapport::ValueModel& v, double t) { return rapport::expected_purchases_new(v, t); }, py::arg("t"))
      .def(
          "probability_of_purchases_new",
          [](const rapport::ValueModel& v, double t, unsigned k) {
            return rapport::probability_of_purchases_new(v, t, k);
          },
          py::arg("t"), py::arg("k"))
      .def(
          "survival", [](const rapport::ValueModel& v, double t) { return rapport::survival(v, t); }, py::arg("t"))
      .def(
          "log_likelihood_of",
          [](const rapport::ValueModel& v, const py::object& x, const py::object& t_x, const py::object& T,
             const py::object& n, const py::object& mv, const py::object& periods, const py::object& ended,
             const py::object& weights) {
            const Inputs in = inputs(x, t_x, T, n, mv, periods, ended, weights);
            py::gil_scoped_release release;
            return rapport::log_likelihood(v, in.data);
          },
          RAPPORT_PY_ROW_ARGS, py::arg("weights") = py::none());
  m.def(
      "_fit_value_model",
      [](const std::string& name, const py::object& x, const py::object& t_x, const py::object& T, const py::object& n,
         const py::object& mv, const py::object& periods, const py::object& ended, const py::object& weights,
         int max_iterations, double gradient_tolerance, std::size_t min_customers, double penalizer) {
        const auto model = model_name(name);
        const auto opt = fit_options(max_iterations, gradient_tolerance, min_customers);
        const Inputs in = inputs(x, t_x, T, n, mv, periods, ended, weights);
        py::gil_scoped_release release;
        return rapport::fit_value_model(model, in.data, opt, penalizer);
      },
      py::arg("name"), RAPPORT_PY_ROW_ARGS, py::arg("weights") = py::none(), py::arg("max_iterations"),
      py::arg("gradient_tolerance"), py::arg("min_customers"), py::arg("penalizer"));
  m.def(
      "_value_param_names",
      [](const std::string& name) {
        std::vector<std::string> out;
        for (std::string_view s : rapport::param_names(model_name(name))) out.emplace_back(s);
        return out;
      },
      py::arg("name"));
  m.def(
      "_make_value_model",
      [](const std::string& name, const std::vector<double>& params) {
        return rapport::make_value_model(model_name(name), params);
      },
      py::arg("name"), py::arg("params"));
  m.def(
      "_fit_bgnbd",
      [](const Doubles& x, const Doubles& t_x, const Doubles& T, int max_iterations, double gradient_tolerance,
         std::size_t min_customers, const std::optional<Doubles>& weight) {
        same_length({&x, &t_x, &T});
        if (weight) same_length({&x, &*weight});  // an empty weight array is not "one each"
        const auto opt = fit_options(max_iterations, gradient_tolerance, min_customers);
        rapport::BgNbdParams p;
        {
          py::gil_scoped_release release;
          p = weight ? rapport::fit_bgnbd_weighted(span_of(x), span_of(t_x), span_of(T), span_of(*weight), opt)
                     : rapport::fit_bgnbd(span_of(x), span_of(t_x), span_of(T), opt);
        }
        py::dict d = record_dict(p);
        d["log_likelihood"] = p.log_likelihood;
        return d;
      },
      py::arg("x"), py::arg("t_x"), py::arg("T"), py::arg("max_iterations"), py::arg("gradient_tolerance"),
      py::arg("min_customers"), py::arg("weight") = py::none());
  m.def(
      "_fit_gamma_gamma",
      [](const Doubles& x, const Doubles& mv, int max_iterations, double gradient_tolerance, std::size_t min_customers,
         const std::optional<Doubles>& weight) {
        same_length({&x, &mv});
        if (weight) same_length({&x, &*weight});  // an empty weight array is not "one each"
        const auto opt = fit_options(max_iterations, gradient_tolerance, min_customers);
        rapport::GammaGammaParams p;
        {
          py::gil_scoped_release release;
          p = weight ? rapport::fit_gamma_gamma_weighted(span_of(x), span_of(mv), span_of(*weight), opt)
                     : rapport::fit_gamma_gamma(span_of(x), span_of(mv), opt);
        }
        py::dict d = record_dict(p);
        d["log_likelihood"] = p.log_likelihood;
        return d;
      },
      py::arg("x"), py::arg("m"), py::arg("max_iterations"), py::arg("gradient_tolerance"), py::arg("min_customers"),
      py::arg("weight") = py::none());
  m.def(
      "_bgnbd_p_alive",
      [](const py::dict& params, const Doubles& x, const Doubles& t_x, const Doubles& T) {
        same_length({&x, &t_x, &T});
        const auto p = bgnbd_params(params);
        std::vector<double> out(static_cast<std::size_t>(x.size()));
        {
          py::gil_scoped_release release;
          for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = rapport::bgnbd_p_alive(p, x.data()[i], t_x.data()[i], T.data()[i]);
        }
        return to_numpy(std::move(out));
      },
      py::arg("params"), py::arg("x"), py::arg("t_x"), py::arg("T"));
  m.def(
      "_bgnbd_expected_purchases",
      [](const py::dict& params, double horizon, const Doubles& x, const Doubles& t_x, const Doubles& T) {
        same_length({&x, &t_x, &T});
        const auto p = bgnbd_params(params);
        std::vector<double> out(static_cast<std::size_t>(x.size()));
        {
          py::gil_scoped_release release;
          for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = rapport::bgnbd_expected_purchases(p, horizon, x.data()[i], t_x.data()[i], T.data()[i]);
        }
        return to_numpy(std::move(out));
      },
      py::arg("params"), py::arg("horizon"), py::arg("x"), py::arg("t_x"), py::arg("T"));
  m.def(
      "_gamma_gamma_expected_spend",
      [](const py::dict& params, const Doubles& x, const Doubles& mv) {
        same_length({&x, &mv});
        const auto p = gamma_gamma_params(params);
        std::vector<double> out(static_cast<std::size_t>(x.size()));
        {
          py::gil_scoped_release release;
          for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = rapport::gamma_gamma_expected_spend(p, x.data()[i], mv.data()[i]);
        }
        return to_numpy(std::move(out));
      },
      py::arg("params"), py::arg("x"), py::arg("m"));
}

#undef RAPPORT_PY_ROW_ARGS

}  // namespace rapport_py
