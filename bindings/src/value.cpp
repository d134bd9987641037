// rapport Python bindings: BG/NBD and Gamma-Gamma fits and predictions over numpy arrays.
#include "common.hpp"

#include <span>

namespace rapport_py {
namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::span<const double> span_of(const Doubles& a) {
  return {a.data(), static_cast<std::size_t>(a.size())};
}

void same_length(std::initializer_list<const Doubles*> arrays) {
  const auto n = (*arrays.begin())->size();
  for (const auto* a : arrays) {
    if (a->ndim() != 1) throw py::value_error("expected 1-D arrays");
    if (a->size() != n) throw py::value_error("arrays differ in length");
  }
}

rapport::FitOptions fit_options(int max_iterations, double gradient_tolerance, std::size_t min_customers) {
  rapport::FitOptions o;
  o.max_iterations = max_iterations;
  o.gradient_tolerance = gradient_tolerance;
  o.min_customers = min_customers;
  return o;
}

double key(const py::dict& d, const char* name, const char* what) {
  if (!d.contains(name)) throw py::value_error(std::string(what) + ": missing parameter '" + name + "'");
  return d[name].cast<double>();
}

rapport::BgNbdParams bgnbd_params(const py::dict& d) {
  return {key(d, "r", "bgnbd"), key(d, "alpha", "bgnbd"), key(d, "a", "bgnbd"), key(d, "b", "bgnbd"), 0.0};
}

rapport::GammaGammaParams gamma_gamma_params(const py::dict& d) {
  return {key(d, "p", "gamma_gamma"), key(d, "q", "gamma_gamma"), key(d, "gamma", "gamma_gamma"), 0.0};
}

}  // namespace

void init_value(py::module_& m) {
  m.def(
      "_fit_bgnbd",
      [](const Doubles& x, const Doubles& t_x, const Doubles& T, int max_iterations, double gradient_tolerance,
         std::size_t min_customers) {
        same_length({&x, &t_x, &T});
        const auto opt = fit_options(max_iterations, gradient_tolerance, min_customers);
        rapport::BgNbdParams p;
        {
          py::gil_scoped_release release;
          p = rapport::fit_bgnbd(span_of(x), span_of(t_x), span_of(T), opt);
        }
        py::dict d;
        d["r"] = p.r;
        d["alpha"] = p.alpha;
        d["a"] = p.a;
        d["b"] = p.b;
        d["log_likelihood"] = p.log_likelihood;
        return d;
      },
      py::arg("x"), py::arg("t_x"), py::arg("T"), py::arg("max_iterations"), py::arg("gradient_tolerance"),
      py::arg("min_customers"));
  m.def(
      "_fit_gamma_gamma",
      [](const Doubles& x, const Doubles& mv, int max_iterations, double gradient_tolerance,
         std::size_t min_customers) {
        same_length({&x, &mv});
        const auto opt = fit_options(max_iterations, gradient_tolerance, min_customers);
        rapport::GammaGammaParams p;
        {
          py::gil_scoped_release release;
          p = rapport::fit_gamma_gamma(span_of(x), span_of(mv), opt);
        }
        py::dict d;
        d["p"] = p.p;
        d["q"] = p.q;
        d["gamma"] = p.gamma;
        d["log_likelihood"] = p.log_likelihood;
        return d;
      },
      py::arg("x"), py::arg("m"), py::arg("max_iterations"), py::arg("gradient_tolerance"), py::arg("min_customers"));
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

}  // namespace rapport_py
