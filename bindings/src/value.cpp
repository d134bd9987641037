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
        py::dict d = record_dict(p);
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
        py::dict d = record_dict(p);
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
