// rapport Python bindings: ScoringConfig, scoring runs, summaries and explanations.
#include "common.hpp"

#include "scoring/score_steps.hpp"

#include "util/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <type_traits>

namespace rapport_py {
namespace {

using rapport::ScoringConfig;

/// A scoring run: the base it scored, the config and the result.
struct ScoreRun {
  std::shared_ptr<BaseHolder> base;
  ScoringConfig config;
  rapport::ScoreResult result;
  bool taken = false;  ///< the score vectors were moved into numpy arrays
  /// Root keys per customer of the base, given with the referral results of a partition run
  /// (the root may live in another partition); empty for an ordinary run.
  std::vector<std::string> root_id;

  void check() const {
    if (taken) throw rapport::InternalError("rapport: this run's scores were already handed to numpy");
  }
};

// ---------------------------------------------------------------- ScoringConfig attributes
// The attributes are generated from rapport::visit_fields: a getter converts the member to
// Python, a setter converts the Python value to JSON and hands it to rapport::config_from_json,
// the one reader (which validates), so a bad value raises ConfigError and keeps the old value.

template <class T>
struct is_component_array : std::false_type {};
template <class E, class T>
struct is_component_array<rapport::ComponentArray<E, T>> : std::true_type {};

template <class T>
py::object to_python(const T& value) {
  if constexpr (std::is_same_v<T, rapport::IntervalMethod>) {
    return py::str(std::string(rapport::to_string(value)));
  } else if constexpr (std::is_arithmetic_v<T>) {
    return py::cast(value);
  } else if constexpr (std::is_enum_v<T>) {  // a string-valued setting
    return py::str(std::string(rapport::setting_spelling(value)));
  } else if constexpr (is_component_array<T>::value) {
    py::tuple t(value.size());
    for (std::size_t k = 0; k < value.size(); ++k) t[k] = value.values[k];
    return t;
  } else if constexpr (std::is_same_v<T, rapport::FitOptions>) {
    return record_dict(value);
  } else {  // std::optional<record>
    return value ? py::object(record_dict(*value)) : py::object(py::none());
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (u < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

/// Appends a Python value (None, bool, int, float, str, mapping, sequence; numpy scalars too)
/// as JSON. Non-finite floats have no JSON spelling: they are refused here, naming `path`.
void append_json(std::string& out, const py::handle& v, const std::string& path) {
  if (v.is_none()) {
    out += "null";
  } else if (py::isinstance<py::bool_>(v)) {
    out += v.cast<bool>() ? "true" : "false";
  } else if (py::isinstance<py::float_>(v) || (!py::isinstance<py::int_>(v) && !py::isinstance<py::str>(v) &&
                                               py::hasattr(v, "__float__") && !py::hasattr(v, "__index__"))) {
    const double x = py::float_(py::reinterpret_borrow<py::object>(v)).cast<double>();
    if (!std::isfinite(x))
      throw rapport::ConfigError("config: " + path + " must be a finite number (got " +
                                 py::repr(v).cast<std::string>() + ")");
    out += py::repr(py::float_(x)).cast<std::string>();
  } else if (py::isinstance<py::int_>(v) || py::hasattr(v, "__index__")) {
    out += py::str(py::int_(py::reinterpret_borrow<py::object>(v))).cast<std::string>();
  } else if (py::isinstance<py::str>(v)) {
    append_json_string(out, v.cast<std::string>());
  } else if (py::isinstance<py::dict>(v) || py::hasattr(v, "items")) {
    out.push_back('{');
    bool first = true;
    for (auto item : py::reinterpret_borrow<py::object>(v).attr("items")()) {
      const auto pair = item.cast<py::tuple>();
      const auto key = py::str(pair[0]).cast<std::string>();
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, key);
      out.push_back(':');
      append_json(out, pair[1], path + "." + key);
    }
    out.push_back('}');
  } else if (py::isinstance<py::sequence>(v)) {
    out.push_back('[');
    const auto seq = py::reinterpret_borrow<py::sequence>(v);
    for (std::size_t k = 0; k < seq.size(); ++k) {
      if (k) out.push_back(',');
      append_json(out, seq[k], path);
    }
    out.push_back(']');
  } else {
    throw rapport::ConfigError("config: " + path + " has an unsupported type " +
                               py::str(py::type::of(v).attr("__name__")).cast<std::string>());
  }
}

/// `{"name": value, ...}` from Python keyword arguments or one attribute assignment.
std::string fields_json(const std::vector<std::pair<std::string, py::object>>& fields) {
  std::string text = "{";
  for (std::size_t k = 0; k < fields.size(); ++k) {
    if (k) text.push_back(',');
    append_json_string(text, fields[k].first);
    text.push_back(':');
    append_json(text, fields[k].second, fields[k].first);
  }
  text.push_back('}');
  return text;
}

/// The names of the ScoringConfig fields, in declaration order.
const std::vector<std::string>& config_field_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    rapport::visit_fields<ScoringConfig>([&](const auto& f) { out.emplace_back(f.name); });
    return out;
  }();
  return names;
}

/// One Python property per ScoringConfig field.
void def_config_attributes(py::class_<ScoringConfig>& cls) {
  rapport::visit_fields<ScoringConfig>([&](const auto& f) {
    const auto member = f.member;
    const std::string name(f.name);
    const std::string doc = std::string(f.doc) + (f.domain.text.empty() ? "" : " (" + std::string(f.domain.text) + ")");
    cls.def_property(
        name.c_str(), [member](const ScoringConfig& c) { return to_python(c.*member); },
        [name](ScoringConfig& c, const py::object& v) {
          c = rapport::config_from_json(fields_json({{name, v}}), c);
        },
        doc.c_str());
  });
}

/// A value model of a run: its parameters, log-likelihood, whether fitted, over how many
/// customers, and why it is unavailable (`error`, None when available).
template <class P>
py::dict model_dict(const P& params, bool fitted, std::size_t customers, const std::string& error) {
  py::dict d = record_dict(params);
  d["log_likelihood"] = params.log_likelihood;
  d["fitted"] = fitted;
  d["customers"] = customers;
  d["error"] = error.empty() ? py::object(py::none()) : py::object(py::str(error));
  return d;
}

/// A value model of the summary from the dict model_dict() (or rapport.dask's client fit) gives.
template <class P>
rapport::ModelSummary model_summary_of(const py::dict& d) {
  rapport::ModelSummary m;
  m.available = d["error"].is_none();
  m.fitted = d["fitted"].cast<bool>();
  m.reason = m.available ? std::string() : d["error"].cast<std::string>();
  m.customers = d["customers"].cast<std::size_t>();
  if (m.available)
    rapport::visit_fields<P>([&](const auto& f) {
      m.parameters[std::string(f.name)] = d[py::str(std::string(f.name))].template cast<double>();
    });
  if (m.fitted) m.log_likelihood = d["log_likelihood"].cast<double>();
  return m;
}

/// The summary JSON of a base from its parts' bytes (rapport::merge_summary_partials, then
/// rapport::finish_summary), with the value models as dicts (GIL released while merging).
/// A cluster client's purchase model (rapport::detail::fit_purchase_model over the partitions'
/// merged inputs): the fields of a ScoreResult that describe the value models.
struct ValueFit {
  rapport::ScoreResult result;
};

std::string finish_summary_json(const std::vector<std::string>& parts, const py::dict& bgnbd,
                                const py::dict& gamma_gamma, const ScoringConfig& config, const ValueFit* fit) {
  rapport::SummaryModels models;
  if (fit) {  // the purchase model the client fitted, as one process's summary_models shows it
    models = rapport::summary_models(fit->result);
  } else {  // BG/NBD alone
    models.bgnbd = model_summary_of<rapport::BgNbdParams>(bgnbd);
    models.purchase_model_status = models.bgnbd;
  }
  models.gamma_gamma = model_summary_of<rapport::GammaGammaParams>(gamma_gamma);
  py::gil_scoped_release release;
  std::vector<rapport::SummaryPartial> decoded;
  decoded.reserve(parts.size());
  for (const auto& bytes : parts) decoded.push_back(rapport::summary_partial_from_bytes(bytes));
  return rapport::to_json(rapport::finish_summary(rapport::merge_summary_partials(std::move(decoded)), models, config));
}

/// The scores as (name, array) pairs in the CSV's column order; the double columns are moved
/// into numpy without copying (`keep`: copied, the run stays whole for a later write), the
/// per-person referral columns are gathered into new arrays.
py::list take_columns(ScoreRun& run, bool keep) {
  run.check();
  const auto& base = run.base->base;
  rapport::Scores kept;
  rapport::Scores& s = keep ? (kept = run.result.scores) : run.result.scores;
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
    Py_XDECREF(pr[r]);
    if (!run.root_id.empty()) {
      pr[r] = make_str(run.root_id[c]).release().ptr();
    } else {
      const auto root = f.root[c];
      if (!root_cache[root]) root_cache[root] = make_str(base.person(root));
      pr[r] = root_cache[root].inc_ref().ptr();
    }
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
  for (const auto k : rapport::all_loyalty_components)
    cols[std::string(rapport::to_string(k))] = to_numpy(std::move(s.loyalty[k]));
  for (const auto k : rapport::all_referral_components)
    cols[std::string(rapport::to_string(k))] = to_numpy(std::move(s.referral[k]));
  cols["p_alive"] = to_numpy(std::move(s.p_alive));
  cols["expected_purchases"] = to_numpy(std::move(s.expected_purchases));
  cols["expected_value"] = to_numpy(std::move(s.expected_value));
  cols["upserve_value"] = to_numpy(std::move(s.upserve_value));
  cols["upserve_score"] = to_numpy(std::move(s.upserve_score));
  cols["referral_potential"] = to_numpy(std::move(s.referral_potential));
  cols["ask_for_referral"] = to_numpy_as(std::move(s.ask_for_referral), py::dtype("bool"));
  rapport::ValueIntervals& iv = s.intervals;
  const bool intervals = !iv.p_alive_lo.empty();
  if (intervals) {
    cols["p_alive_lo"] = to_numpy(std::move(iv.p_alive_lo));
    cols["p_alive_hi"] = to_numpy(std::move(iv.p_alive_hi));
    cols["expected_purchases_lo"] = to_numpy(std::move(iv.expected_purchases_lo));
    cols["expected_purchases_hi"] = to_numpy(std::move(iv.expected_purchases_hi));
    cols["expected_value_lo"] = to_numpy(std::move(iv.expected_value_lo));
    cols["expected_value_hi"] = to_numpy(std::move(iv.expected_value_hi));
  }
  run.taken = !keep;

  py::list out;
  const auto add = [&](const std::string& name) {
    auto it = cols.find(name);
    if (it == cols.end()) throw rapport::InternalError("rapport: no binding for score column '" + name + "'");
    out.append(py::make_tuple(name, it->second));
  };
  for (const auto& name : rapport::score_columns()) add(name);
  if (intervals)
    for (const auto& name : rapport::interval_columns()) add(name);
  return out;
}

// ---------------------------------------------------------------- partitions (rapport.dask)

using U32 = py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>;
using F64 = py::array_t<double, py::array::c_style | py::array::forcecast>;

template <class T, class A>
std::vector<T> vector_of(const A& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

/// The acquisition forest's per-customer results over a whole base (customers in base order):
/// a dict of columns root_id, generation, tree_size, direct_referrals, converted_referrals,
/// katz and track_record_weight.
py::dict referral_results(const std::shared_ptr<BaseHolder>& holder, int as_of_day, const ScoringConfig& config) {
  rapport::validate(config);
  const auto& base = holder->base;
  rapport::ReferralForest f;
  {
    py::gil_scoped_release release;
    f = rapport::build_referral_forest(base, as_of_day, config);
  }
  const std::size_t n = base.customer_count();
  py::array roots = new_object_array(n);
  auto** pr = static_cast<PyObject**>(roots.mutable_data());
  for (std::size_t c = 0; c < n; ++c) {
    Py_XDECREF(pr[c]);
    pr[c] = make_str(base.person(f.root[c])).release().ptr();
  }
  auto head = [n](std::vector<std::uint32_t>& v) {
    v.resize(n);
    return to_numpy(std::move(v));
  };
  auto headd = [n](std::vector<double>& v) {
    v.resize(n);
    return to_numpy(std::move(v));
  };
  py::dict d;
  d["root_id"] = roots;
  d["generation"] = head(f.generation);
  d["tree_size"] = head(f.tree_size);
  d["direct_referrals"] = head(f.direct_referrals);
  d["converted_referrals"] = head(f.converted_referrals);
  d["katz"] = headd(f.katz);
  d["track_record_weight"] = headd(f.track_record_weight);
  return d;
}

/// Scores a partition's base with the referral results given per customer (rapport::score_partition).
std::unique_ptr<ScoreRun> score_partition_run(std::shared_ptr<BaseHolder> base, int as_of_day,
                                              const ScoringConfig& config, const py::dict& referrals) {
  rapport::ReferralForest f;
  f.generation = vector_of<std::uint32_t>(referrals["generation"].cast<U32>());
  f.tree_size = vector_of<std::uint32_t>(referrals["tree_size"].cast<U32>());
  f.direct_referrals = vector_of<std::uint32_t>(referrals["direct_referrals"].cast<U32>());
  f.converted_referrals = vector_of<std::uint32_t>(referrals["converted_referrals"].cast<U32>());
  f.katz = vector_of<double>(referrals["katz"].cast<F64>());
  f.track_record_weight = vector_of<double>(referrals["track_record_weight"].cast<F64>());
  f.root.assign(f.katz.size(), rapport::no_index);
  auto run = std::make_unique<ScoreRun>();
  for (auto item : referrals["root_id"].cast<py::sequence>()) run->root_id.push_back(py::str(item).cast<std::string>());
  if (run->root_id.size() != f.katz.size()) throw rapport::InternalError("root_id and katz differ in length");
  run->base = std::move(base);
  run->config = config;
  {
    py::gil_scoped_release release;
    run->result = rapport::score_partition(run->base->base, as_of_day, run->config, std::move(f));
  }
  return run;
}

}  // namespace

rapport::detail::ValueSpan value_span_of(const py::tuple& t) {
  rapport::detail::ValueSpan span;
  span.any_ended = t[0].cast<bool>();
  span.first = t[1].cast<rapport::day_t>();
  span.last = t[2].cast<rapport::day_t>();
  return span;
}

namespace {

/// The purchase model from the partitions' inputs (merged again here), fitted once.
std::unique_ptr<ValueFit> fit_purchase_model(const ScoringConfig& config, const py::tuple& span,
                                             const std::vector<std::string>& parts) {
  auto fit = std::make_unique<ValueFit>();
  const auto whole = value_span_of(span);
  py::gil_scoped_release release;
  rapport::detail::ValueInputs merged;
  for (const auto& bytes : parts)
    rapport::detail::merge_value_inputs(merged, rapport::detail::value_inputs_from_bytes(bytes));
  rapport::detail::fit_purchase_model(merged, whole, config, fit->result);
  return fit;
}

// ---------------------------------------------------------------- value intervals in two steps (rapport.dask)

}  // namespace

py::dict interval_draws_dict(const rapport::detail::IntervalDraws& draws);
rapport::detail::IntervalDraws interval_draws_from(const py::dict& d);

py::dict interval_patterns_dict(rapport::detail::IntervalPatterns&& p) {
  py::dict d;
  d["model"] = std::string(rapport::to_string(p.model));
  auto& q = p.rows;
  d["x"] = to_numpy(std::move(q.x));
  d["t_x"] = to_numpy(std::move(q.t_x));
  d["T"] = to_numpy(std::move(q.T));
  d["n"] = to_numpy(std::move(q.n));
  d["periods"] = to_numpy(std::move(q.periods));
  d["ended"] = to_numpy(std::move(q.ended));
  d["weights"] = to_numpy(std::move(q.weights));
  d["spend_x"] = to_numpy(std::move(q.spend_x));
  d["spend_m"] = to_numpy(std::move(q.spend_m));
  return d;
}

namespace {

/// Step (a) from the patterns of every partition (interval_patterns dicts, any order): merged, fitted, drawn.
py::dict interval_draws(const py::list& parts, const ScoringConfig& config, bool value_known) {
  rapport::validate(config);
  rapport::detail::IntervalPatterns p;
  bool named = false;
  const auto append = [](const py::dict& d, const char* key, std::vector<double>& to) {
    const auto a = d[key].cast<F64>();
    to.insert(to.end(), a.data(), a.data() + a.size());
  };
  for (const auto item : parts) {
    const auto d = item.cast<py::dict>();
    const auto name = rapport::parse_value_model(d["model"].cast<std::string>());
    if (!name || *name == rapport::ValueModelName::gamma_gamma)
      throw rapport::InputError("_interval_draws: no purchase model named '" + d["model"].cast<std::string>() + "'");
    if (named && *name != p.model) throw rapport::InputError("_interval_draws: the parts name different models");
    p.model = *name;
    named = true;
    auto& q = p.rows;
    append(d, "x", q.x);
    append(d, "t_x", q.t_x);
    append(d, "T", q.T);
    append(d, "n", q.n);
    append(d, "periods", q.periods);
    append(d, "weights", q.weights);
    const auto e = d["ended"].cast<py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>>();
    q.ended.insert(q.ended.end(), e.data(), e.data() + e.size());
    append(d, "spend_x", q.spend_x);
    append(d, "spend_m", q.spend_m);
  }
  const std::size_t n = p.rows.weights.size();
  for (const auto* c : rapport::detail::row_keys(p.rows))
    if (!c->empty() && c->size() != n)
      throw rapport::InputError("_interval_draws: the pattern columns differ in length");
  if (!p.rows.ended.empty() && p.rows.ended.size() != n)
    throw rapport::InputError("_interval_draws: the pattern columns differ in length");
  rapport::detail::IntervalDraws draws;
  {
    py::gil_scoped_release release;
    rapport::detail::merge_rows(p.rows);
    draws = rapport::detail::draw_intervals(p, config, value_known, rapport::detail::thread_count(config.threads));
  }
  return interval_draws_dict(draws);
}

/// Step (b) on a run's rows: its interval columns under `draws` (replacing what the run had).
void fill_intervals(ScoreRun& r, const py::dict& d) {
  r.check();
  const rapport::detail::IntervalDraws draws = interval_draws_from(d);
  py::gil_scoped_release release;
  rapport::detail::fill_interval_columns(r.base->base, r.config, draws, rapport::detail::thread_count(r.config.threads),
                                         r.result);
}

}  // namespace

/// The parameter draws of the value intervals (step (a), rapport::detail::IntervalDraws) as a plain dict
/// {"model": name, "level": float, "purchase": [[params]...], "spend": [[p, q, gamma]...]} (floats keep every bit,
/// so the dict pickles to another process unchanged); interval_draws_from reads it back.
py::dict interval_draws_dict(const rapport::detail::IntervalDraws& draws) {
  const auto params = [](const std::vector<rapport::ValueModel>& models) {
    py::list out;
    for (const auto& m : models) out.append(py::cast(m.params));
    return out;
  };
  py::dict d;
  d["model"] = std::string(rapport::to_string(draws.model));
  d["level"] = draws.level;
  d["purchase"] = params(draws.purchase);
  d["spend"] = params(draws.spend);
  return d;
}

rapport::detail::IntervalDraws interval_draws_from(const py::dict& d) {
  rapport::detail::IntervalDraws out;
  const auto name = rapport::parse_value_model(d["model"].cast<std::string>());
  if (!name || *name == rapport::ValueModelName::gamma_gamma)
    throw rapport::InputError("interval draws: no purchase model named '" + d["model"].cast<std::string>() + "'");
  out.model = *name;
  out.level = d["level"].cast<double>();
  if (!(out.level > 0 && out.level < 1)) throw rapport::InputError("interval draws: level must be in (0, 1)");
  const auto models = [](const py::handle& list, rapport::ValueModelName model, std::vector<rapport::ValueModel>& to) {
    for (const auto item : list.cast<py::list>()) {
      rapport::ValueModel m;
      m.name = model;
      m.params = item.cast<std::vector<double>>();
      if (m.params.size() != rapport::param_names(model).size())
        throw rapport::InputError("interval draws: a " + std::string(rapport::to_string(model)) + " draw needs " +
                                  std::to_string(rapport::param_names(model).size()) + " parameters");
      to.push_back(std::move(m));
    }
  };
  models(d["purchase"], out.model, out.purchase);
  models(d["spend"], rapport::ValueModelName::gamma_gamma, out.spend);
  if (!out.spend.empty() && out.spend.size() != out.purchase.size())
    throw rapport::InputError("interval draws: the purchase and spend draws differ in number");
  return out;
}

py::object make_score_run(std::shared_ptr<BaseHolder> base, const ScoringConfig& config, rapport::ScoreResult result,
                          std::vector<std::string> root_id) {
  auto run = std::make_unique<ScoreRun>();
  run->root_id = std::move(root_id);
  run->base = std::move(base);
  run->config = config;
  run->result = std::move(result);
  return py::cast(std::move(run));
}

void init_score(py::module_& m) {
  py::class_<ScoringConfig> config_class(m, "ScoringConfig", R"doc(
Every tunable of the scoring engine, defaulting to the design card's values. Each field has a
documented domain (docs/settings.md); the constructor and every setter validate, so a value
outside it raises ConfigError (a ValueError) naming the field and leaves the config unchanged.

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
    Worker threads; 0 = all cores; at most 1024 (capped to the machine's cores).
)doc");
  def_config_attributes(config_class);
  config_class
      .def(py::init([](const py::kwargs& kwargs) {
        std::vector<std::pair<std::string, py::object>> fields;
        const auto& names = config_field_names();
        for (auto item : kwargs) {
          auto name = py::str(item.first).cast<std::string>();
          if (std::find(names.begin(), names.end(), name) == names.end())
            throw py::type_error("ScoringConfig: unknown field '" + name + "'");
          fields.emplace_back(std::move(name), py::reinterpret_borrow<py::object>(item.second));
        }
        return rapport::config_from_json(fields_json(fields));
      }))
      .def(
          "to_json", [](const ScoringConfig& c) { return rapport::config_to_json(c); },
          "The config as JSON text (every field), as the CLI's --config reads it.")
      .def_static(
          "from_json", [](const std::string& text) { return rapport::config_from_json(text); }, py::arg("text"),
          "A config from JSON text: any subset of the fields; unknown keys or values outside their domain raise "
          "ConfigError.")
      .def(
          "copy", [](const ScoringConfig& c) { return ScoringConfig(c); }, "A copy of this config.")
      .def("__copy__", [](const ScoringConfig& c) { return ScoringConfig(c); })
      .def("__deepcopy__", [](const ScoringConfig& c, const py::object&) { return ScoringConfig(c); })
      .def("__eq__",
           [](const ScoringConfig& a, const py::object& b) {
             if (!py::isinstance<ScoringConfig>(b)) return false;
             return rapport::config_to_json(a) == rapport::config_to_json(b.cast<const ScoringConfig&>());
           })
      .def("__repr__",
           [](const ScoringConfig& c) {
             return "rapport.ScoringConfig.from_json('" + rapport::config_to_json(c) + "')";
           })
      .def(py::pickle([](const ScoringConfig& c) { return rapport::config_to_json(c); },
                      [](const std::string& s) { return rapport::config_from_json(s); }));

  py::class_<ScoreRun>(m, "_ScoreRun")
      .def_property_readonly("as_of_day", [](const ScoreRun& r) { return r.result.as_of; })
      .def_property_readonly("size", [](const ScoreRun& r) { return r.result.scores.size(); })
      .def(
          "upserve_values",
          [](const ScoreRun& r) {
            r.check();
            return to_numpy(std::vector<double>(r.result.scores.upserve_value));
          },
          "A copy of the run's upserve_value column (the input of a distributed run's global ranks).")
      .def_property_readonly("bgnbd",
                             [](const ScoreRun& r) {
                               const auto& x = r.result;
                               return model_dict(x.bgnbd, x.bgnbd_fitted, x.bgnbd_customers, x.bgnbd_error);
                             })
      .def_property_readonly(
          "value_model", [](const ScoreRun& r) { return std::string(rapport::setting_spelling(r.config.value_model)); },
          "The run's value_model setting (\"auto\" included).")
      .def_property_readonly("gamma_gamma",
                             [](const ScoreRun& r) {
                               const auto& x = r.result;
                               return model_dict(x.gamma_gamma, x.gamma_gamma_fitted, x.gamma_gamma_customers,
                                                 x.gamma_gamma_error);
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
      .def(
          "summary_partial",
          [](const ScoreRun& r,
             std::optional<py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>> order,
             std::optional<py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>> base_rows) {
            r.check();
            if (order && base_rows) throw rapport::UsageError("summary_partial: give order or base_rows, not both");
            std::span<const std::uint64_t> positions;
            std::vector<std::uint64_t> picked;
            if (order) positions = {order->data(), static_cast<std::size_t>(order->size())};
            if (base_rows) {  // every base customer's position: those of the scored customers picked
              const auto& customer = r.result.scores.customer;
              if (static_cast<std::size_t>(base_rows->size()) != r.base->base.customer_count())
                throw rapport::UsageError("summary_partial: base_rows must hold one position per customer of the base");
              picked.reserve(customer.size());
              for (const auto c : customer) picked.push_back(base_rows->data()[c]);
              positions = picked;
            }
            std::string bytes;
            {
              py::gil_scoped_release release;
              bytes = rapport::to_bytes(
                  rapport::summary_partial(r.base->base, r.base->report, r.result, r.config, positions));
            }
            return py::bytes(bytes);
          },
          py::arg("order") = py::none(), py::arg("base_rows") = py::none(),
          "The customers' part of the summary as bytes (rapport::summary_partial), each scored customer at "
          "`order`'s position in the whole base, or at `base_rows`' entry for its customer of the base "
          "(one position per customer of the base: the scored ones are picked by the run).")
      .def(
          "referral_summary_partial",
          [](const ScoreRun& r) {
            r.check();
            return py::bytes(
                rapport::to_bytes(rapport::referral_summary_partial(r.base->base, r.base->report, r.result, true)));
          },
          "The referral figures' part of the summary as bytes (rapport::referral_summary_partial).")
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
      .def_property_readonly("value_model_errors",
                             [](const ScoreRun& r) {
                               py::list out;
                               for (const auto* e : {&r.result.bgnbd_error, &r.result.gamma_gamma_error})
                                 if (!e->empty()) out.append(py::str(*e));
                               return out;
                             })
      .def(
          "check_value_models", [](const ScoreRun& r) { rapport::check_value_models(r.result); },
          "Raises FitError when a value model could not be fitted (strict mode).")
      .def("fill_intervals", &fill_intervals, py::arg("draws"),
           "Step (b): the run's six interval columns under `draws` (a dict from _interval_draws), in place.")
      .def("take_columns", &take_columns, py::arg("keep") = false,
           "The score columns as (name, array) pairs; `keep`: copied, the run stays usable (write_csv).")
      .def(
          "write_csv",
          [](ScoreRun& r, const std::string& path, const std::optional<F64>& upserve_score) {
            r.check();
            auto& s = r.result.scores.upserve_score;
            if (upserve_score) {
              if (static_cast<std::size_t>(upserve_score->size()) != s.size())
                throw rapport::UsageError("write_csv: upserve_score has " + std::to_string(upserve_score->size()) +
                                          " entries for " + std::to_string(s.size()) + " scored customers");
              std::copy(upserve_score->data(), upserve_score->data() + upserve_score->size(), s.begin());
            }
            py::gil_scoped_release release;
            rapport::write_scores_csv(path, r.base->base, r.result, 1, r.root_id);
          },
          py::arg("path"), py::arg("upserve_score") = py::none(),
          "Writes the scores CSV (rapport::write_scores_csv, one thread, GIL released); `upserve_score` "
          "replaces the run's own (a distributed run's global ranks).");
  m.def("_finish_summary", &finish_summary_json, py::arg("parts"), py::arg("bgnbd"), py::arg("gamma_gamma"),
        py::arg("config"), py::arg("value_fit") = nullptr,
        "The summary JSON of a base from its parts' bytes and its value models.");
  py::class_<ValueFit>(m, "_ValueFit")
      .def_property_readonly(
          "model", [](const ValueFit& f) { return std::string(rapport::to_string(f.result.purchase_model.name)); },
          "The purchase model in use (auto resolved to its winner).")
      .def_property_readonly(
          "own_bgnbd_fit",
          [](const ValueFit& f) {
            return f.result.purchase_model.name == rapport::ValueModelName::bgnbd &&
                   f.result.purchase_model.params.empty() && f.result.bgnbd_error.empty();
          },
          "Whether BG/NBD is the model and still to be fitted by its own fit (take_bgnbd).")
      .def(
          "take_bgnbd",
          [](ValueFit& f, const py::dict& d) {
            const auto ms = model_summary_of<rapport::BgNbdParams>(d);
            auto& r = f.result;
            r.bgnbd_fitted = ms.fitted;
            r.bgnbd_error = ms.reason;
            r.bgnbd_customers = ms.customers;
            r.bgnbd = {};
            if (ms.available) {
              r.bgnbd.r = ms.parameters.at("r");
              r.bgnbd.alpha = ms.parameters.at("alpha");
              r.bgnbd.a = ms.parameters.at("a");
              r.bgnbd.b = ms.parameters.at("b");
              if (ms.log_likelihood) r.bgnbd.log_likelihood = *ms.log_likelihood;
            }
            rapport::detail::record_bgnbd_model(r);
          },
          py::arg("bgnbd"), "BG/NBD's own fit (as rapport.dask fits it) as the purchase model.")
      .def(
          "error", [](const ValueFit& f) { return f.result.bgnbd_error; }, "Why the model is unavailable, or ''.")
      .def(
          "partition_config",
          [](const ValueFit& f, const ScoringConfig& c) { return rapport::detail::partition_config(f.result, c); },
          py::arg("config"), "The config partitions score with: the model's parameters given.");
  m.def("_fit_purchase_model", &fit_purchase_model, py::arg("config"), py::arg("span"), py::arg("parts"),
        "The purchase model (auto's choice included) from partitions' merged inputs (GIL released).");
  m.def("_referral_results", &referral_results, py::arg("base"), py::arg("as_of_day"), py::arg("config"),
        "Per-customer acquisition-forest results of a base (GIL released while building the forest).");
  m.def("_interval_draws", &interval_draws, py::arg("parts"), py::arg("config"), py::arg("value_known"),
        "Step (a) of the intervals: the parameter draws from the interval patterns of every partition (merged, "
        "fitted and drawn as score() does; GIL released).");
  m.def("_score_partition", &score_partition_run, py::arg("base"), py::arg("as_of_day"), py::arg("config"),
        py::arg("referrals"),
        "Scores one partition with per-customer referral results given (GIL released while scoring).");

  m.def(
      "_score",
      [](std::shared_ptr<BaseHolder> base, std::optional<int> as_of_day, const ScoringConfig& config) {
        auto run = std::make_unique<ScoreRun>();
        run->base = std::move(base);
        run->config = config;
        {
          py::gil_scoped_release release;
          run->result = rapport::score(
              run->base->base, as_of_day ? std::optional<rapport::day_t>(*as_of_day) : std::nullopt, run->config);
        }
        return run;
      },
      py::arg("base"), py::arg("as_of_day"), py::arg("config"), "Scores a CustomerBase (GIL released while scoring).");
  m.attr("SCORE_COLUMNS") = py::tuple(py::cast(rapport::score_columns()));
  py::list loyalty, referral;
  for (const auto name : rapport::loyalty_components) loyalty.append(std::string(name));
  for (const auto name : rapport::referral_components) referral.append(std::string(name));
  m.attr("LOYALTY_COMPONENTS") = py::tuple(loyalty);
  m.attr("REFERRAL_COMPONENTS") = py::tuple(referral);
  m.def("format_number", &rapport::format_number, py::arg("value"),
        "A float as the CLI prints it: shortest round trip, '' for NaN.");
}

}  // namespace rapport_py
