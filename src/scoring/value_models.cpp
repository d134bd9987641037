// Value at stake through the chosen purchase model (the `value_model` setting): each model's
// per-customer inputs from the purchase days as the card says, the fit (or given parameters)
// through rapport/value/models.hpp, `auto`'s holdout choice, ended contracts and discounting.
// BG/NBD keeps its fast fit and batch predictions (score.cpp's fit_value_models and
// fill_value_columns); only what the other settings change is done here.
#include "scoring/score_steps.hpp"

#include <rapport/error.hpp>

#include "util/parallel.hpp"
#include "value/model_columns.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace rapport::detail {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double days_per_year = 365;

/// The distinct UTC purchase days of customer `c` before T = midnight(D + 1) (the days up to D),
/// ascending: the purchases of each_purchase_before, as score.cpp's purchases_before walks them.
void purchase_days(const CustomerBase& b, std::uint32_t c, day_t D, std::vector<day_t>& days) {
  days.clear();
  each_purchase_before(b, c, midnight(D + 1), [&](seconds_t at, double) { days.push_back(day_of(at)); });
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
}

using Inputs = ModelInputs;

}  // namespace

void bgbb_inputs(const std::vector<day_t>& days, day_t D, double opp, double& x, double& t_x, double& n) {
  const day_t first = days.front();
  x = 0;
  t_x = 0;
  double last_period = 0;
  for (const day_t d : days) {
    const double k = std::floor(static_cast<double>(d - first) / opp);
    if (k >= 1 && k != last_period) {
      ++x;
      t_x = k;
      last_period = k;
    }
  }
  n = std::floor(static_cast<double>(D + 1 - first) / opp);
}

void sbg_inputs(day_t acquired, day_t ended_on, day_t D, double cp, double& periods, std::uint8_t& ended) {
  const bool lost = ended_on != no_day && ended_on <= D;
  ended = lost ? 1 : 0;
  periods = std::floor(static_cast<double>((lost ? ended_on : D + 1) - acquired) / cp);
}

std::array<std::vector<double>*, kRowKeys> row_keys(ModelRows& rows) {
  return {&rows.x, &rows.t_x, &rows.T, &rows.n, &rows.m, &rows.periods, &rows.actual, &rows.spend_x, &rows.spend_m};
}

ModelRows rows_at(const ModelRows& from, const std::vector<std::size_t>& order) {
  ModelRows to;
  const auto from_keys = row_keys(const_cast<ModelRows&>(from));
  const auto to_keys = row_keys(to);
  const auto take = [&](const auto& c, auto& t) {
    if (c.empty()) return;
    t.reserve(order.size());
    for (const std::size_t i : order) t.push_back(c[i]);
  };
  for (std::size_t k = 0; k < kRowKeys; ++k) take(*from_keys[k], *to_keys[k]);
  take(from.ended, to.ended);
  take(from.weights, to.weights);
  return to;
}

void merge_rows(ModelRows& rows) {
  std::vector<const std::vector<double>*> keys;
  for (const auto* c : row_keys(rows))
    if (!c->empty()) keys.push_back(c);
  const std::size_t n = keys.empty() ? rows.ended.size() : keys.front()->size();
  if (rows.weights.empty()) rows.weights.assign(n, 1.0);
  const auto less = [&](std::size_t a, std::size_t b) {
    for (const auto* c : keys)
      if ((*c)[a] != (*c)[b]) return (*c)[a] < (*c)[b];
    return !rows.ended.empty() && rows.ended[a] < rows.ended[b];
  };
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // ties in input order, so each distinct row's weights add up in one order
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return less(a, b) || (!less(b, a) && a < b); });
  std::vector<std::size_t> first;  // the first row of each distinct row
  std::vector<double> weight;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = order[k];
    if (k > 0 && !less(order[k - 1], i)) {
      weight.back() += rows.weights[i];
      continue;
    }
    first.push_back(i);
    weight.push_back(rows.weights[i]);
  }
  ModelRows out = rows_at(rows, first);
  out.weights = std::move(weight);
  rows = std::move(out);
}

ModelData ModelRows::spend_data() const {
  ModelData d;
  d.x = spend_x;
  d.m = spend_m;
  d.weights = weights;
  return d;
}

ValueSpan value_span(const CustomerBase& base, const ScoreResult& out) {
  ValueSpan span;
  span.any_ended = base.any_ended();
  const Scores& s = out.scores;
  std::vector<day_t> days;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (std::isnan(s.frequency[r])) continue;
    purchase_days(base, s.customer[r], out.as_of, days);
    span.first = std::min(span.first, days.front());
    span.last = std::max(span.last, days.back());
  }
  return span;
}

void merge_span(ValueSpan& into, const ValueSpan& part) {
  into.any_ended = into.any_ended || part.any_ended;
  into.first = std::min(into.first, part.first);
  into.last = std::max(into.last, part.last);
}

void append_rows(ModelRows& into, const ModelRows& from) {
  if (from.weights.empty()) return;
  const auto append = [](auto& a, const auto& b) { a.insert(a.end(), b.begin(), b.end()); };
  const auto to = row_keys(into);
  const auto add = row_keys(const_cast<ModelRows&>(from));
  for (std::size_t k = 0; k < kRowKeys; ++k) append(*to[k], *add[k]);
  append(into.weights, from.weights);
  append(into.ended, from.ended);
}

namespace {

/// `from`'s rows appended to `into`'s, then merged.
void merge_into(ModelRows& into, const ModelRows& from) {
  if (from.weights.empty()) return;
  append_rows(into, from);
  merge_rows(into);
}

/// The double columns of a row as bytes carry them: the keys, then the weights (+ ended).
std::array<std::vector<double>*, kRowKeys + 1> columns_of(ModelRows& r) {
  std::array<std::vector<double>*, kRowKeys + 1> c{};
  const auto keys = row_keys(r);
  std::copy(keys.begin(), keys.end(), c.begin());
  c.back() = &r.weights;
  return c;
}

std::array<ModelRows*, 5> families(ValueInputs& in) {
  return {&in.continuous, &in.bgbb, &in.sbg, &in.holdout_continuous, &in.holdout_bgbb};
}

}  // namespace

void merge_value_inputs(ValueInputs& into, const ValueInputs& part) {
  auto to = families(into);
  auto from = families(const_cast<ValueInputs&>(part));
  for (std::size_t f = 0; f < to.size(); ++f) merge_into(*to[f], *from[f]);
}

std::string to_bytes(const ValueInputs& in) {
  std::string out;
  const auto put = [&](const void* p, std::size_t bytes) { out.append(static_cast<const char*>(p), bytes); };
  for (ModelRows* r : families(const_cast<ValueInputs&>(in))) {
    for (const std::vector<double>* c : columns_of(*r)) {
      const std::uint64_t size = c->size();
      put(&size, sizeof size);
      put(c->data(), size * sizeof(double));
    }
    const std::uint64_t size = r->ended.size();
    put(&size, sizeof size);
    put(r->ended.data(), size);
  }
  return out;
}

ValueInputs value_inputs_from_bytes(std::string_view bytes) {
  ValueInputs in;
  std::size_t at = 0;
  const auto take = [&](void* p, std::size_t size) {
    if (bytes.size() - at < size) throw InputError("value inputs: truncated bytes");
    std::memcpy(p, bytes.data() + at, size);
    at += size;
  };
  const auto count = [&](std::size_t width) {
    std::uint64_t size = 0;
    take(&size, sizeof size);
    if (size > (bytes.size() - at) / width) throw InputError("value inputs: truncated bytes");
    return static_cast<std::size_t>(size);
  };
  for (ModelRows* r : families(in)) {
    for (std::vector<double>* c : columns_of(*r)) {
      c->resize(count(sizeof(double)));
      take(c->data(), c->size() * sizeof(double));
    }
    r->ended.resize(count(1));
    take(r->ended.data(), r->ended.size());
  }
  if (at != bytes.size()) throw InputError("value inputs: trailing bytes");
  return in;
}

namespace {

/// Whether the model counts whole periods (and of how many days one is).
double period_days(ValueModelName m, const ScoringConfig& cfg) {
  if (m == ValueModelName::bgbb) return cfg.opportunity_days;
  if (m == ValueModelName::sbg) return cfg.contract_period_days;
  return 1;
}

/// The horizon in the model's unit: days, or the whole periods of the horizon.
double horizon_in_units(ValueModelName m, const ScoringConfig& cfg, double horizon_days) {
  if (m == ValueModelName::bgbb || m == ValueModelName::sbg) return std::floor(horizon_days / period_days(m, cfg));
  return horizon_days;
}

}  // namespace

double model_horizon(ValueModelName m, const ScoringConfig& cfg) { return horizon_in_units(m, cfg, cfg.horizon_days); }

double model_discount_rate(ValueModelName m, const ScoringConfig& cfg) {
  return cfg.discount_rate * period_days(m, cfg) / days_per_year;
}

ModelInputs gather_inputs(const CustomerBase& b, const Scores& s, ValueModelName model, const ScoringConfig& cfg,
                          day_t D) {
  Inputs in;
  std::vector<day_t> days;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const std::uint32_t c = s.customer[r];
    if (model == ValueModelName::sbg) {
      double periods = 0;
      std::uint8_t ended = 0;
      sbg_inputs(b.acquired_on[c], b.ended(c), D, cfg.contract_period_days, periods, ended);
      in.row.push_back(r);
      in.periods.push_back(periods);
      in.ended.push_back(ended);
      continue;
    }
    if (std::isnan(s.frequency[r])) continue;  // no purchase before T
    in.row.push_back(r);
    if (model == ValueModelName::bgbb) {
      purchase_days(b, c, D, days);
      double x = 0, t_x = 0, n = 0;
      bgbb_inputs(days, D, cfg.opportunity_days, x, t_x, n);
      in.x.push_back(x);
      in.t_x.push_back(t_x);
      in.n.push_back(n);
    } else {
      in.x.push_back(s.frequency[r]);
      in.t_x.push_back(s.recency[r]);
      in.T.push_back(s.age[r]);
    }
  }
  return in;
}

namespace {

/// The given parameters of `model` in the config, if any.
std::optional<std::vector<double>> given_params(ValueModelName model, const ScoringConfig& cfg) {
  switch (model) {
    case ValueModelName::bgnbd:
      if (cfg.bgnbd) return std::vector<double>{cfg.bgnbd->r, cfg.bgnbd->alpha, cfg.bgnbd->a, cfg.bgnbd->b};
      break;
    case ValueModelName::pareto_nbd:
      if (const auto& q = cfg.pareto_nbd) return std::vector<double>{q->r, q->alpha, q->s, q->beta};
      break;
    case ValueModelName::mbgnbd:
      if (cfg.mbgnbd) return std::vector<double>{cfg.mbgnbd->r, cfg.mbgnbd->alpha, cfg.mbgnbd->a, cfg.mbgnbd->b};
      break;
    case ValueModelName::bgbb:
      if (cfg.bgbb) return std::vector<double>{cfg.bgbb->alpha, cfg.bgbb->beta, cfg.bgbb->gamma, cfg.bgbb->delta};
      break;
    case ValueModelName::sbg:
      if (cfg.sbg) return std::vector<double>{cfg.sbg->alpha, cfg.sbg->beta};
      break;
    case ValueModelName::gamma_gamma:
      break;
  }
  return std::nullopt;
}

/// A model's purchase-model error message, as the BG/NBD one is worded.
std::string fit_failure(ValueModelName model, std::size_t customers, const std::string& why) {
  return std::string(to_string(model)) + " fit over " + std::to_string(customers) +
         (model == ValueModelName::sbg ? " scored customers" : " scored customers with purchases") + " failed: " + why +
         " (pass fixed parameters with the config's \"" + std::string(to_string(model)) +
         "\" to score value at stake anyway)";
}

}  // namespace

ValueModelName named_model(ValueModelSetting v) {
  switch (v) {
    case ValueModelSetting::pareto_nbd:
      return ValueModelName::pareto_nbd;
    case ValueModelSetting::mbgnbd:
      return ValueModelName::mbgnbd;
    case ValueModelSetting::bgbb:
      return ValueModelName::bgbb;
    case ValueModelSetting::sbg:
      return ValueModelName::sbg;
    default:
      return ValueModelName::bgnbd;
  }
}

namespace {

/// The holdout of `auto` from the base's purchase span: sbg when any customer has ended_on, no
/// holdout when the span is too short (bgnbd), else the window the candidates race on.
ModelSelection plan_of(const ValueSpan& span) {
  ModelSelection sel;
  sel.automatic = true;
  if (span.any_ended) {
    sel.winner = ValueModelName::sbg;
    sel.reason = "customers have ended_on: contracts with observed churn take sbg";
    return sel;
  }
  const std::int64_t span_days = span.last >= span.first ? static_cast<std::int64_t>(span.last) - span.first : 0;
  sel.holdout_days = static_cast<std::int32_t>(std::min<std::int64_t>(365, span_days / 3));
  sel.holdout_last = span.last;
  if (sel.holdout_days < 1) {
    sel.winner = ValueModelName::bgnbd;
    sel.reason =
        "the purchase span (" + std::to_string(span_days) + " days) is too short for a holdout; bgnbd is the default";
    return sel;
  }
  sel.holdout_first = span.last - sel.holdout_days + 1;
  return sel;
}

/// Whether `plan` still has its candidates to race (a holdout was made).
bool races(const ModelSelection& plan) { return plan.automatic && plan.holdout_days >= 1 && plan.candidates.empty(); }

/// auto's calibration histories at the holdout cut (x, t_x, T in days; BG/BB in periods) and
/// each customer's holdout repeat purchases (`actual`), merged.
void gather_holdout(const CustomerBase& b, const Scores& s, const ScoringConfig& cfg, day_t D,
                    const ModelSelection& plan, ModelRows& cont, ModelRows& disc) {
  const day_t cal_end = plan.holdout_first - 1;
  std::vector<day_t> days, cal;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (std::isnan(s.frequency[r])) continue;
    purchase_days(b, s.customer[r], D, days);
    if (days.empty() || days.front() > cal_end) continue;
    cal.assign(days.begin(), std::upper_bound(days.begin(), days.end(), cal_end));
    const auto held = static_cast<double>(days.size() - cal.size());
    cont.x.push_back(static_cast<double>(cal.size() - 1));
    cont.t_x.push_back(static_cast<double>(cal.back() - cal.front()));
    cont.T.push_back(static_cast<double>(cal_end - cal.front()));
    cont.actual.push_back(held);
    if (cfg.opportunity_days > 0) {
      double x = 0, t_x = 0, n = 0;
      bgbb_inputs(cal, cal_end, cfg.opportunity_days, x, t_x, n);
      disc.x.push_back(x);
      disc.t_x.push_back(t_x);
      disc.n.push_back(n);
      disc.actual.push_back(held);
    }
  }
  merge_rows(cont);
  merge_rows(disc);
}

/// The candidates' race on the merged holdout rows: each fitted on the calibration part, the
/// lowest per-customer mean absolute error of holdout repeat purchases wins.
void race(const ValueInputs& in, const ScoringConfig& cfg, ModelSelection& sel) {
  std::vector<ValueModelName> names{ValueModelName::bgnbd, ValueModelName::pareto_nbd, ValueModelName::mbgnbd};
  if (cfg.opportunity_days > 0) names.push_back(ValueModelName::bgbb);
  double best = std::numeric_limits<double>::infinity();
  bool any = false;
  for (const auto name : names) {
    ModelCandidate c;
    c.name = name;
    const ModelRows& rows = name == ValueModelName::bgbb ? in.holdout_bgbb : in.holdout_continuous;
    double customers = 0;
    for (const double w : rows.weights) customers += w;
    c.customers = static_cast<std::size_t>(customers);
    try {
      const ModelData data = rows.data();
      const ValueModel m = fit_value_model(name, data, cfg.fit, cfg.penalizer);
      std::vector<double> pred(rows.actual.size());
      expected_purchases(m, horizon_in_units(name, cfg, sel.holdout_days), data, pred);
      double err = 0, p = 0, a = 0;
      for (std::size_t i = 0; i < pred.size(); ++i) {
        const double w = rows.weights[i];
        err += w * std::fabs(pred[i] - rows.actual[i]);
        p += w * pred[i];
        a += w * rows.actual[i];
      }
      if (!std::isfinite(err)) throw FitError("non-finite holdout predictions");
      c.fitted = true;
      c.log_likelihood = m.log_likelihood;
      c.aic = m.aic;
      c.bic = m.bic;
      c.holdout_mae = err / customers;
      c.holdout_predicted = p;
      c.holdout_actual = a;
      if (c.holdout_mae < best) {  // ties: the earlier candidate (table order) stays
        best = c.holdout_mae;
        sel.winner = name;
        any = true;
      }
    } catch (const Error& e) {  // FitError, InputError: this candidate drops out
      c.error = e.what();
    }
    sel.candidates.push_back(std::move(c));
  }
  if (!any) {
    sel.winner = ValueModelName::bgnbd;
    sel.reason = "no candidate could be fitted on the calibration part; bgnbd is the default";
    return;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", best);
  sel.reason = std::string(to_string(sel.winner)) +
               " has the lowest mean absolute error of holdout repeat purchases (" + buf +
               " per customer over the last " + std::to_string(sel.holdout_days) + " days)";
}

/// Known-lost customers (ended_on before T): p_alive 0, expected purchases 0, expected value 0.
void zero_ended(const CustomerBase& b, day_t D, bool value_known, Scores& s) {
  if (b.ended_on.empty()) return;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const day_t e = b.ended(s.customer[r]);
    if (e == no_day || e > D) continue;
    s.p_alive[r] = 0;
    s.expected_purchases[r] = 0;
    if (value_known) s.expected_value[r] = 0;
  }
}

/// Expected spend per future purchase of row r (Gamma-Gamma).
double spend_of(const ScoreResult& out, std::size_t r) {
  const double x = out.scores.frequency[r];
  return gamma_gamma_expected_spend(out.gamma_gamma, x, x >= 1 ? out.scores.monetary[r] : 0.0);
}

/// Expected value of the rows in `in` with the discounted expectation of `model`.
void discounted_value(const ValueModel& model, const Inputs& in, double horizon, double rate, ScoreResult& out) {
  std::vector<double> disc(in.row.size());
  discounted_expected_purchases(model, horizon, rate, in.data(), disc);
  for (std::size_t i = 0; i < in.row.size(); ++i) {
    const std::size_t r = in.row[i];
    if (std::isnan(out.scores.frequency[r])) continue;  // sbg rows without purchases keep 0
    out.scores.expected_value[r] = disc[i] * spend_of(out, r);
  }
}

}  // namespace

void record_bgnbd_model(ScoreResult& out) {
  out.purchase_model = ValueModel{};
  if (!out.bgnbd_error.empty()) return;
  const double p[] = {out.bgnbd.r, out.bgnbd.alpha, out.bgnbd.a, out.bgnbd.b};
  out.purchase_model = make_value_model(ValueModelName::bgnbd, p);
  out.purchase_model.log_likelihood = out.bgnbd_fitted ? out.bgnbd.log_likelihood : nan;
  out.purchase_model.n = static_cast<double>(out.bgnbd_customers);
}

void keep_model_params(const ScoreResult& result, ScoringConfig& config) {
  if (result.gamma_gamma_error.empty()) config.gamma_gamma = result.gamma_gamma;
  if (!result.bgnbd_error.empty()) return;
  const ValueModel& m = result.purchase_model;
  const auto& p = m.params;
  switch (m.name) {
    case ValueModelName::pareto_nbd:
      config.value_model = ValueModelSetting::pareto_nbd;
      config.pareto_nbd = ParetoNbdParams{p[0], p[1], p[2], p[3], nan};
      break;
    case ValueModelName::mbgnbd:
      config.value_model = ValueModelSetting::mbgnbd;
      config.mbgnbd = MbgNbdParams{p[0], p[1], p[2], p[3], nan};
      break;
    case ValueModelName::bgbb:
      config.value_model = ValueModelSetting::bgbb;
      config.bgbb = BgBbParams{p[0], p[1], p[2], p[3], nan};
      break;
    case ValueModelName::sbg:
      config.value_model = ValueModelSetting::sbg;
      config.sbg = SbgParams{p[0], p[1], nan};
      break;
    default:
      if (config.value_model == ValueModelSetting::automatic) config.value_model = ValueModelSetting::bgnbd;
      config.bgnbd = result.bgnbd;
      break;
  }
}

void keep_fit_figures(const ScoreResult& before, ScoreResult& after) {
  if (!before.bgnbd_error.empty() || !after.bgnbd_error.empty()) return;  // a refit happened or failed: its own figures
  after.purchase_model = before.purchase_model;
  after.selection = before.selection;
  after.bgnbd = before.bgnbd;
  after.bgnbd_fitted = before.bgnbd_fitted;
  if (before.gamma_gamma_error.empty() && after.gamma_gamma_error.empty()) {
    after.gamma_gamma = before.gamma_gamma;
    after.gamma_gamma_fitted = before.gamma_gamma_fitted;
  }
}

bool model_path(const CustomerBase& base, const ScoringConfig& config) {
  return config.value_model != ValueModelSetting::bgnbd || config.discount_rate != 0 || config.penalizer != 0 ||
         !base.ended_on.empty();
}

namespace {

/// The value_model setting that names `model`.
ValueModelSetting setting_of(ValueModelName model) {
  switch (model) {
    case ValueModelName::pareto_nbd:
      return ValueModelSetting::pareto_nbd;
    case ValueModelName::mbgnbd:
      return ValueModelSetting::mbgnbd;
    case ValueModelName::bgbb:
      return ValueModelSetting::bgbb;
    case ValueModelName::sbg:
      return ValueModelSetting::sbg;
    default:
      return ValueModelSetting::bgnbd;
  }
}

/// `model`'s inputs of the scored rows, merged.
ModelRows merged_inputs(const CustomerBase& b, const Scores& s, ValueModelName model, const ScoringConfig& cfg,
                        day_t D) {
  Inputs in = gather_inputs(b, s, model, cfg, D);
  ModelRows rows;
  static_cast<ModelColumns&>(rows) = std::move(static_cast<ModelColumns&>(in));
  merge_rows(rows);
  return rows;
}

/// Whether the model is BG/NBD fitted by its own fast fit (no penalty, no parameters given).
bool own_bgnbd_fit(ValueModelName model, const ScoringConfig& cfg) {
  return model == ValueModelName::bgnbd && !(cfg.penalizer > 0 && !cfg.bgnbd);
}

/// The plan of `auto` (or nothing for a named model).
ModelSelection plan_for(const ScoringConfig& cfg, const ValueSpan& span) {
  return cfg.value_model == ValueModelSetting::automatic ? plan_of(span) : ModelSelection{};
}

double weight_sum(const ModelRows& rows) {
  double w = 0;
  for (const double x : rows.weights) w += x;
  return w;
}

}  // namespace

ValueInputs gather_value_inputs(const CustomerBase& base, const ScoreResult& out, const ScoringConfig& config,
                                const ValueSpan& span) {
  ValueInputs in;
  const Scores& s = out.scores;
  const day_t D = out.as_of;
  const ModelSelection plan = plan_for(config, span);
  if (races(plan)) {
    gather_holdout(base, s, config, D, plan, in.holdout_continuous, in.holdout_bgbb);
    in.continuous = merged_inputs(base, s, ValueModelName::bgnbd, config, D);
    if (config.opportunity_days > 0) in.bgbb = merged_inputs(base, s, ValueModelName::bgbb, config, D);
    return in;
  }
  const ValueModelName model = plan.automatic ? plan.winner : named_model(config.value_model);
  if (model == ValueModelName::bgbb && !(config.opportunity_days > 0)) return in;  // refused by the fit
  ModelRows rows = merged_inputs(base, s, model, config, D);
  (model == ValueModelName::sbg ? in.sbg : model == ValueModelName::bgbb ? in.bgbb : in.continuous) = std::move(rows);
  return in;
}

void fit_purchase_model(const ValueInputs& in, const ValueSpan& span, const ScoringConfig& config, ScoreResult& out) {
  ScoringConfig cfg = config;
  ValueModelName model = named_model(config.value_model);
  if (config.value_model == ValueModelSetting::automatic) {
    out.selection = plan_of(span);
    if (races(out.selection)) race(in, config, out.selection);
    model = out.selection.winner;
  }
  cfg.value_model = setting_of(model);
  if ((model == ValueModelName::bgbb && !(cfg.opportunity_days > 0)))
    throw ConfigError("config: value_model bgbb needs opportunity_days (the days of one purchase opportunity)");
  const ModelRows& rows = model == ValueModelName::sbg    ? in.sbg
                          : model == ValueModelName::bgbb ? in.bgbb
                                                          : in.continuous;
  out.purchase_model = ValueModel{};
  out.purchase_model.name = model;
  if (own_bgnbd_fit(model, cfg)) return;  // BG/NBD's own fit: fit_value_models
  out.bgnbd = {};
  out.bgnbd_fitted = false;
  out.bgnbd_error.clear();
  out.bgnbd_customers = static_cast<std::size_t>(weight_sum(rows));
  try {
    if (const auto given = given_params(model, cfg)) {
      out.purchase_model = make_value_model(model, *given);
    } else {
      out.purchase_model = fit_value_model(model, rows.data(), cfg.fit, cfg.penalizer);
      out.bgnbd_fitted = true;
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {  // FitError (and InputError for data a kernel refuses): unavailable
    out.bgnbd_error = fit_failure(model, out.bgnbd_customers, e.what());
    out.purchase_model.params.clear();
  }
  if (model == ValueModelName::bgnbd && out.bgnbd_error.empty()) {  // penalised BG/NBD, taken as given later
    const auto& p = out.purchase_model.params;
    out.bgnbd = BgNbdParams{p[0], p[1], p[2], p[3], out.purchase_model.log_likelihood};
  }
}

ScoringConfig partition_config(const ScoreResult& fitted, const ScoringConfig& config) {
  ScoringConfig cfg = config;
  const ValueModelName model = fitted.purchase_model.name;
  cfg.value_model = setting_of(model);
  cfg.penalizer = 0;  // the parameters are given
  if (!fitted.bgnbd_error.empty()) {
    cfg.fit.min_customers = std::numeric_limits<std::uint32_t>::max();  // no partition fits: unavailable
    cfg.bgnbd.reset();
    cfg.pareto_nbd.reset();
    cfg.mbgnbd.reset();
    cfg.bgbb.reset();
    cfg.sbg.reset();
    cfg.gamma_gamma.reset();
    return cfg;
  }
  const auto gamma_gamma = cfg.gamma_gamma;
  keep_model_params(fitted, cfg);
  cfg.gamma_gamma = gamma_gamma;
  return cfg;
}

void score_value_models(const CustomerBase& base, const ScoringConfig& config, unsigned threads, ScoreResult& out) {
  Scores& s = out.scores;
  const day_t D = out.as_of;
  const ValueSpan span = config.value_model == ValueModelSetting::automatic ? value_span(base, out) : ValueSpan{};
  fit_purchase_model(gather_value_inputs(base, out, config, span), span, config, out);
  const ValueModelName model = out.purchase_model.name;
  ScoringConfig cfg = config;
  cfg.value_model = setting_of(model);
  const bool own_fit = own_bgnbd_fit(model, cfg);
  const bool penalized = model == ValueModelName::bgnbd && !own_fit;
  if (penalized && out.bgnbd_error.empty()) cfg.bgnbd = out.bgnbd;
  if (penalized && !out.bgnbd_error.empty())
    cfg.value_model = ValueModelSetting::sbg;  // keeps fit_value_models off BG/NBD's unpenalised fit
  // Gamma-Gamma (and BG/NBD by its own fit) in fit_value_models; the purchase model's figures stay
  const ScoreResult kept = [&] {
    ScoreResult k;
    k.bgnbd = out.bgnbd;
    k.bgnbd_fitted = out.bgnbd_fitted;
    k.bgnbd_error = out.bgnbd_error;
    k.bgnbd_customers = out.bgnbd_customers;
    return k;
  }();
  fit_value_models(cfg, out);
  if (!own_fit) {
    out.bgnbd = kept.bgnbd;
    out.bgnbd_fitted = kept.bgnbd_fitted;
    out.bgnbd_error = kept.bgnbd_error;
    out.bgnbd_customers = kept.bgnbd_customers;
  }
  const double rate_per_unit = config.discount_rate * period_days(model, cfg) / days_per_year;
  const double horizon = horizon_in_units(model, cfg, cfg.horizon_days);
  if (model == ValueModelName::bgnbd) {
    const ValueModel penalized_model = out.purchase_model;
    fill_value_columns(cfg, threads, out);
    record_bgnbd_model(out);
    if (penalized && out.bgnbd_error.empty()) out.purchase_model = penalized_model;  // with its standard errors
    if (out.bgnbd_error.empty()) {
      if (config.discount_rate != 0 && out.value_known())
        discounted_value(out.purchase_model, gather_inputs(base, s, model, cfg, D), horizon, rate_per_unit, out);
    }
  } else {
    const Inputs in = gather_inputs(base, s, model, cfg, D);
    std::vector<double> alive(in.row.size(), nan), expected(in.row.size(), nan);
    if (out.bgnbd_error.empty()) {
      try {
        p_alive(out.purchase_model, in.data(), alive);
        expected_purchases(out.purchase_model, horizon, in.data(), expected);
      } catch (const Error& e) {  // a model that cannot predict these rows is unavailable too
        out.bgnbd_error = std::string(to_string(model)) + " predictions failed: " + e.what();
        std::fill(alive.begin(), alive.end(), nan);
        std::fill(expected.begin(), expected.end(), nan);
      }
    }
    const bool with_value = out.value_known();
    std::fill(s.p_alive.begin(), s.p_alive.end(), nan);
    std::fill(s.expected_purchases.begin(), s.expected_purchases.end(), nan);
    for (std::size_t i = 0; i < in.row.size(); ++i) {
      const std::size_t r = in.row[i];
      if (std::isnan(s.frequency[r])) continue;  // the card: no purchases, no p_alive (sbg fits every row)
      s.p_alive[r] = alive[i];
      s.expected_purchases[r] = expected[i];
    }
    parallel_for_dynamic(s.size(), threads, 2048, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t r = lo; r < hi; ++r) {
        if (!with_value) {
          s.expected_value[r] = nan;
          continue;
        }
        s.expected_value[r] = std::isnan(s.frequency[r]) ? 0.0 : s.expected_purchases[r] * spend_of(out, r);
      }
    });
    if (with_value && config.discount_rate != 0) discounted_value(out.purchase_model, in, horizon, rate_per_unit, out);
  }
  zero_ended(base, D, out.value_known(), s);
  const bool with_value = out.value_known();
  for (std::size_t r = 0; r < s.size(); ++r)
    s.upserve_value[r] = with_value ? s.expected_value[r] * (1.0 - s.loyalty_given[r] / 100.0) : nan;
}

}  // namespace rapport::detail
