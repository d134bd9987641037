// rapport Python bindings: ScoringConfig, scoring runs, summaries and explanations.
#include "common.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace rapport_py {
namespace {

using rapport::ScoringConfig;

/// A scoring run: the base it scored, the config and the result.
struct ScoreRun {
  std::shared_ptr<BaseHolder> base;
  ScoringConfig config;
  rapport::ScoreResult result;
  bool taken = false;  ///< the score vectors were moved into numpy arrays

  void check() const {
    if (taken) throw std::logic_error("rapport: this run's scores were already handed to numpy");
  }
};

py::tuple weights_tuple(const std::array<double, 5>& w) {
  return py::make_tuple(w[0], w[1], w[2], w[3], w[4]);
}

/// Sets weights from a sequence of 5 numbers or a mapping keyed by component name.
void set_weights(std::array<double, 5>& w, const py::object& value,
                 const std::array<std::string_view, 5>& names, const char* what) {
  std::array<double, 5> out = w;
  if (py::isinstance<py::dict>(value)) {
    for (auto item : value.cast<py::dict>()) {
      const auto key = py::str(item.first).cast<std::string>();
      std::size_t k = 0;
      while (k < 5 && names[k] != key) ++k;
      if (k == 5) throw py::value_error(std::string(what) + ": unknown component '" + key + "'");
      out[k] = item.second.cast<double>();
    }
  } else {
    const auto seq = value.cast<py::sequence>();
    if (seq.size() != 5) throw py::value_error(std::string(what) + ": expects 5 weights");
    for (std::size_t k = 0; k < 5; ++k) out[k] = seq[k].cast<double>();
  }
  for (double x : out)
    if (!(x >= 0) || !std::isfinite(x)) throw py::value_error(std::string(what) + ": weights must be finite and >= 0");
  w = out;
}

py::object bgnbd_dict(const std::optional<rapport::BgNbdParams>& p) {
  if (!p) return py::none();
  py::dict d;
  d["r"] = p->r;
  d["alpha"] = p->alpha;
  d["a"] = p->a;
  d["b"] = p->b;
  return d;
}

py::object gamma_gamma_dict(const std::optional<rapport::GammaGammaParams>& p) {
  if (!p) return py::none();
  py::dict d;
  d["p"] = p->p;
  d["q"] = p->q;
  d["gamma"] = p->gamma;
  return d;
}

double key(const py::dict& d, const char* name, const char* what) {
  if (!d.contains(name)) throw py::value_error(std::string(what) + ": missing key '" + name + "'");
  return d[name].cast<double>();
}

/// The scores as (name, array) pairs in the CSV's column order; the double columns are moved
/// into numpy without copying, the per-person referral columns are gathered into new arrays.
py::list take_columns(ScoreRun& run) {
  run.check();
  const auto& base = run.base->base;
  rapport::Scores& s = run.result.scores;
  const auto& f = run.result.forest;
  const std::size_t n = s.size();
  std::map<std::string, py::object> cols;

  py::array ids = new_object_array(n), roots = new_object_array(n), actions = new_object_array(n);
  auto** pi = static_cast<PyObject**>(ids.mutable_data());
  auto** pr = static_cast<PyObject**>(roots.mutable_data());
  auto** pa = static_cast<PyObject**>(actions.mutable_data());
  std::vector<py::object> action_names;
  for (int k = 0; k <= static_cast<int>(rapport::NextAction::create_wow); ++k)
    action_names.push_back(make_str(rapport::to_string(static_cast<rapport::NextAction>(k))));
  std::vector<py::object> root_cache(base.person_count());
  std::vector<std::int64_t> direct(n), converted(n), generation(n), tree(n);
  std::vector<double> katz(n);
  for (std::size_t r = 0; r < n; ++r) {
    const auto c = s.customer[r];
    Py_XDECREF(pi[r]);
    pi[r] = make_str(base.customer_id[c]).release().ptr();
    const auto root = f.root[c];
    if (!root_cache[root]) root_cache[root] = make_str(base.person(root));
    Py_XDECREF(pr[r]);
    pr[r] = root_cache[root].inc_ref().ptr();
    Py_XDECREF(pa[r]);
    pa[r] = action_names[static_cast<std::size_t>(s.next_action[r])].inc_ref().ptr();
    direct[r] = f.direct_referrals[c];
    converted[r] = f.converted_referrals[c];
    generation[r] = f.generation[c];
    tree[r] = f.tree_size[c];
    katz[r] = f.katz[c];
  }
  cols["customer_id"] = ids;
  cols["root_id"] = roots;
  cols["next_action"] = actions;
  cols["direct_referrals"] = to_numpy(std::move(direct));
  cols["converted_referrals"] = to_numpy(std::move(converted));
  cols["generation"] = to_numpy(std::move(generation));
  cols["tree_size"] = to_numpy(std::move(tree));
  cols["katz"] = to_numpy(std::move(katz));
  cols["loyalty_given"] = to_numpy(std::move(s.loyalty_given));
  for (std::size_t k = 0; k < 5; ++k) {
    cols[std::string(rapport::loyalty_components[k])] = to_numpy(std::move(s.loyalty[k]));
    cols[std::string(rapport::referral_components[k])] = to_numpy(std::move(s.referral[k]));
  }
  cols["p_alive"] = to_numpy(std::move(s.p_alive));
  cols["expected_purchases"] = to_numpy(std::move(s.expected_purchases));
  cols["expected_value"] = to_numpy(std::move(s.expected_value));
  cols["upserve_value"] = to_numpy(std::move(s.upserve_value));
  cols["upserve_score"] = to_numpy(std::move(s.upserve_score));
  cols["referral_potential"] = to_numpy(std::move(s.referral_potential));
  cols["ask_for_referral"] = to_numpy_as(std::move(s.ask_for_referral), py::dtype("bool"));
  run.taken = true;

  py::list out;
  for (const auto& name : rapport::score_columns()) {
    auto it = cols.find(name);
    if (it == cols.end()) throw std::logic_error("rapport: no binding for score column '" + name + "'");
    out.append(py::make_tuple(name, it->second));
  }
  return out;
}

}  // namespace

void init_score(py::module_& m) {
  py::class_<ScoringConfig>(m, "ScoringConfig", R"doc(
Every tunable of the scoring engine, defaulting to the design card's values.

Parameters
----------
**fields
    Any attribute below as a keyword argument, e.g.
    ``ScoringConfig(half_life_days=90, loyalty_weights=(0.4, 0.2, 0.2, 0.1, 0.1))``.

Attributes
----------
half_life_days, period_days, follow_up_days, complaint_days, impression_lambda,
technical_threshold, hospitality_threshold, wow_window_days, katz_beta, chain_reach_scale,
timing_half_life_days, tenure_full_days, advocacy_gate, ask_timing, ask_advocacy,
horizon_days, p_alive_threshold : float
    Scalar tunables (see the design card).
loyalty_weights : tuple of 5 float
    continuity, follow_through, impression, recovery, service_ladder. Set with a sequence of 5
    numbers or a dict keyed by component name (unnamed components keep their weight).
referral_weights : tuple of 5 float
    advocacy, track_record, chain_reach, timing, tenure (set like ``loyalty_weights``).
bgnbd : dict or None
    Fixed BG/NBD parameters ``{'r', 'alpha', 'a', 'b'}`` (alpha in days) instead of fitting.
gamma_gamma : dict or None
    Fixed Gamma-Gamma parameters ``{'p', 'q', 'gamma'}`` instead of fitting.
fit : dict
    Fit options ``{'max_iterations', 'gradient_tolerance', 'min_customers'}`` (set any subset).
threads : int
    Worker threads; 0 = all cores.
)doc")
      .def(py::init([](const py::kwargs& kwargs) {
             auto cfg = std::make_unique<ScoringConfig>();
             py::object self = py::cast(cfg.get(), py::return_value_policy::reference);
             for (auto item : kwargs) {
               const auto name = py::str(item.first).cast<std::string>();
               static const std::set<std::string> fields{
                   "half_life_days", "period_days", "follow_up_days", "complaint_days", "impression_lambda",
                   "technical_threshold", "hospitality_threshold", "wow_window_days", "katz_beta",
                   "chain_reach_scale", "timing_half_life_days", "tenure_full_days", "advocacy_gate",
                   "ask_timing", "ask_advocacy", "horizon_days", "p_alive_threshold", "threads",
                   "loyalty_weights", "referral_weights", "bgnbd", "gamma_gamma", "fit"};
               if (!fields.count(name))
                 throw py::type_error("ScoringConfig: unknown field '" + name + "'");
               self.attr(name.c_str()) = item.second;
             }
             return cfg;
           }))
#define RAPPORT_FIELD(name) .def_readwrite(#name, &ScoringConfig::name)
      RAPPORT_FIELD(half_life_days) RAPPORT_FIELD(period_days) RAPPORT_FIELD(follow_up_days)
      RAPPORT_FIELD(complaint_days) RAPPORT_FIELD(impression_lambda) RAPPORT_FIELD(technical_threshold)
      RAPPORT_FIELD(hospitality_threshold) RAPPORT_FIELD(wow_window_days) RAPPORT_FIELD(katz_beta)
      RAPPORT_FIELD(chain_reach_scale) RAPPORT_FIELD(timing_half_life_days) RAPPORT_FIELD(tenure_full_days)
      RAPPORT_FIELD(advocacy_gate) RAPPORT_FIELD(ask_timing) RAPPORT_FIELD(ask_advocacy)
      RAPPORT_FIELD(horizon_days) RAPPORT_FIELD(p_alive_threshold) RAPPORT_FIELD(threads)
#undef RAPPORT_FIELD
      .def_property(
          "loyalty_weights", [](const ScoringConfig& c) { return weights_tuple(c.loyalty_weights); },
          [](ScoringConfig& c, const py::object& v) {
            set_weights(c.loyalty_weights, v, rapport::loyalty_components, "loyalty_weights");
          })
      .def_property(
          "referral_weights", [](const ScoringConfig& c) { return weights_tuple(c.referral_weights); },
          [](ScoringConfig& c, const py::object& v) {
            set_weights(c.referral_weights, v, rapport::referral_components, "referral_weights");
          })
      .def_property(
          "bgnbd", [](const ScoringConfig& c) { return bgnbd_dict(c.bgnbd); },
          [](ScoringConfig& c, const py::object& v) {
            if (v.is_none()) {
              c.bgnbd.reset();
              return;
            }
            const auto d = v.cast<py::dict>();
            c.bgnbd = rapport::BgNbdParams{key(d, "r", "bgnbd"), key(d, "alpha", "bgnbd"), key(d, "a", "bgnbd"),
                                           key(d, "b", "bgnbd"), std::numeric_limits<double>::quiet_NaN()};
          })
      .def_property(
          "gamma_gamma", [](const ScoringConfig& c) { return gamma_gamma_dict(c.gamma_gamma); },
          [](ScoringConfig& c, const py::object& v) {
            if (v.is_none()) {
              c.gamma_gamma.reset();
              return;
            }
            const auto d = v.cast<py::dict>();
            c.gamma_gamma =
                rapport::GammaGammaParams{key(d, "p", "gamma_gamma"), key(d, "q", "gamma_gamma"),
                                          key(d, "gamma", "gamma_gamma"), std::numeric_limits<double>::quiet_NaN()};
          })
      .def_property(
          "fit",
          [](const ScoringConfig& c) {
            py::dict d;
            d["max_iterations"] = c.fit.max_iterations;
            d["gradient_tolerance"] = c.fit.gradient_tolerance;
            d["min_customers"] = c.fit.min_customers;
            return d;
          },
          [](ScoringConfig& c, const py::dict& d) {
            rapport::FitOptions f = c.fit;
            for (auto item : d) {
              const auto k = py::str(item.first).cast<std::string>();
              if (k == "max_iterations") f.max_iterations = item.second.cast<int>();
              else if (k == "gradient_tolerance") f.gradient_tolerance = item.second.cast<double>();
              else if (k == "min_customers") f.min_customers = item.second.cast<std::size_t>();
              else throw py::value_error("fit: unknown option '" + k + "'");
            }
            c.fit = f;
          })
      .def("to_json", [](const ScoringConfig& c) { return rapport::config_to_json(c); },
           "The config as JSON text (every field), as the CLI's --config reads it.")
      .def_static(
          "from_json", [](const std::string& text) { return rapport::config_from_json(text); }, py::arg("text"),
          "A config from JSON text: any subset of the fields; unknown keys raise ValueError.")
      .def("copy", [](const ScoringConfig& c) { return ScoringConfig(c); }, "A copy of this config.")
      .def("__copy__", [](const ScoringConfig& c) { return ScoringConfig(c); })
      .def("__deepcopy__", [](const ScoringConfig& c, const py::object&) { return ScoringConfig(c); })
      .def("__eq__",
           [](const ScoringConfig& a, const py::object& b) {
             if (!py::isinstance<ScoringConfig>(b)) return false;
             return rapport::config_to_json(a) == rapport::config_to_json(b.cast<const ScoringConfig&>());
           })
      .def("__repr__", [](const ScoringConfig& c) { return "rapport.ScoringConfig.from_json('" + rapport::config_to_json(c) + "')"; })
      .def(py::pickle([](const ScoringConfig& c) { return rapport::config_to_json(c); },
                      [](const std::string& s) { return rapport::config_from_json(s); }));

  py::class_<ScoreRun>(m, "_ScoreRun")
      .def_property_readonly("as_of_day", [](const ScoreRun& r) { return r.result.as_of; })
      .def_property_readonly("size", [](const ScoreRun& r) { return r.result.scores.size(); })
      .def_property_readonly("bgnbd",
                             [](const ScoreRun& r) {
                               py::dict d = bgnbd_dict(r.result.bgnbd).cast<py::dict>();
                               d["log_likelihood"] = r.result.bgnbd.log_likelihood;
                               d["fitted"] = r.result.bgnbd_fitted;
                               d["customers"] = r.result.bgnbd_customers;
                               return d;
                             })
      .def_property_readonly("gamma_gamma",
                             [](const ScoreRun& r) {
                               py::dict d = gamma_gamma_dict(r.result.gamma_gamma).cast<py::dict>();
                               d["log_likelihood"] = r.result.gamma_gamma.log_likelihood;
                               d["fitted"] = r.result.gamma_gamma_fitted;
                               d["customers"] = r.result.gamma_gamma_customers;
                               return d;
                             })
      .def("summary_json",
           [](const ScoreRun& r) {
             r.check();
             std::string text;
             {
               py::gil_scoped_release release;
               text = rapport::summary_json(r.base->base, r.base->report, r.result, r.config);
             }
             return text;
           })
      .def("explain_json",
           [](const ScoreRun& r) {
             r.check();
             std::vector<std::string> lines(r.result.scores.size());
             {
               py::gil_scoped_release release;
               for (std::size_t k = 0; k < lines.size(); ++k)
                 lines[k] = rapport::explain_json(r.base->base, r.result, k, r.config);
             }
             py::list out;
             for (auto& s : lines) out.append(make_str(s));
             return out;
           })
      .def("take_columns", &take_columns);

  m.def(
      "_score",
      [](std::shared_ptr<BaseHolder> base, std::optional<int> as_of_day, const ScoringConfig& config) {
        auto run = std::make_unique<ScoreRun>();
        run->base = std::move(base);
        run->config = config;
        {
          py::gil_scoped_release release;
          run->result = rapport::score(run->base->base, as_of_day ? std::optional<rapport::day_t>(*as_of_day)
                                                                  : std::nullopt,
                                       run->config);
        }
        return run;
      },
      py::arg("base"), py::arg("as_of_day"), py::arg("config"),
      "Scores a CustomerBase (GIL released while scoring).");
  m.attr("SCORE_COLUMNS") = py::tuple(py::cast(rapport::score_columns()));
  py::list loyalty, referral;
  for (std::size_t k = 0; k < 5; ++k) {
    loyalty.append(std::string(rapport::loyalty_components[k]));
    referral.append(std::string(rapport::referral_components[k]));
  }
  m.attr("LOYALTY_COMPONENTS") = py::tuple(loyalty);
  m.attr("REFERRAL_COMPONENTS") = py::tuple(referral);
  m.def("format_number", &rapport::format_number, py::arg("value"),
        "A float as the CLI prints it: shortest round trip, '' for NaN.");
}

}  // namespace rapport_py
