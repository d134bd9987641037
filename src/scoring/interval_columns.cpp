// The value intervals of a scoring run (score_steps.hpp), in two steps:
// (a) draw_intervals: the parameter draws of the purchase model in use and of Gamma-Gamma, made
//     once from the canonical patterns of the whole base (rapport/value/intervals.hpp);
// (b) fill_interval_columns: every score row evaluated under those draws, with the per-customer
//     meaning of the point columns (value_models.cpp).
// score() runs both; the live Scorer keeps (a) and runs (b) on the rows a batch touches; the Dask
// helper runs (a) on the client from the partitions' patterns and (b) per partition.
#include "scoring/score_steps.hpp"

#include <rapport/value/intervals.hpp>
#include <rapport/value/models.hpp>

#include "value/intervals_eval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace rapport::detail {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// Whether `config` gives the parameters of purchase model `model` (then it has no covariance to draw from).
bool purchase_given(ValueModelName model, const ScoringConfig& config) {
  switch (model) {
    case ValueModelName::bgnbd:
      return config.bgnbd.has_value();
    case ValueModelName::pareto_nbd:
      return config.pareto_nbd.has_value();
    case ValueModelName::mbgnbd:
      return config.mbgnbd.has_value();
    case ValueModelName::bgbb:
      return config.bgbb.has_value();
    case ValueModelName::sbg:
      return config.sbg.has_value();
    case ValueModelName::gamma_gamma:
      break;
  }
  return true;
}

/// A row's spend inputs as the point columns read them (spend_of): repeat purchases (0 without any purchase) and
/// the mean repeat spend (0 without repeat purchases).
double spend_x(const Scores& s, std::size_t r) { return std::isnan(s.frequency[r]) ? 0.0 : s.frequency[r]; }
double spend_m(const Scores& s, std::size_t r) { return s.frequency[r] >= 1 ? s.monetary[r] : 0.0; }

/// The spend inputs of the input rows `in`.
ModelColumns spend_inputs(const Scores& s, const ModelInputs& in) {
  ModelColumns sp;
  sp.x.reserve(in.row.size());
  sp.m.reserve(in.row.size());
  for (const std::size_t r : in.row) {
    sp.x.push_back(spend_x(s, r));
    sp.m.push_back(spend_m(s, r));
  }
  return sp;
}

/// The patterns as one row per customer (row i repeated weights[i] times, in pattern order, without
/// weights): the models' fast fits take unweighted rows (merging identical ones themselves), and a
/// bootstrap resample of unweighted rows stays unweighted.
ModelRows one_row_per_customer(const ModelRows& p) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p.weights.size(); ++i) {
    const double w = p.weights[i];
    if (!(w >= 1 && w == std::floor(w) && w < 4e9))
      throw InputError("interval patterns: row " + std::to_string(i) + " counts " + std::to_string(w) +
                       " customers (a whole number >= 1 expected)");
    order.insert(order.end(), static_cast<std::size_t>(w), i);
  }
  ModelRows out = rows_at(p, order);
  out.weights.clear();
  return out;
}

IntervalOptions interval_options(const ScoringConfig& config) {
  IntervalOptions o;
  o.level = config.intervals;
  o.method = config.interval_method;
  o.draws = config.interval_draws;
  o.seed = config.interval_seed;
  return o;
}

}  // namespace

IntervalPatterns interval_patterns(const CustomerBase& base, const ScoreResult& out, ValueModelName model,
                                   const ScoringConfig& config) {
  IntervalPatterns p;
  p.model = model;
  ModelInputs in = gather_inputs(base, out.scores, model, config, out.as_of);
  ModelColumns spend = spend_inputs(out.scores, in);
  static_cast<ModelColumns&>(p.rows) = std::move(static_cast<ModelColumns&>(in));  // the columns, without the rows
  p.rows.spend_x = std::move(spend.x);
  p.rows.spend_m = std::move(spend.m);
  p.rows.weights.assign(p.rows.spend_x.size(), 1.0);
  return p;
}

IntervalDraws draw_intervals(const IntervalPatterns& p, const ScoringConfig& config, bool value_known,
                             unsigned threads) {
  IntervalDraws d;
  d.model = p.model;
  d.level = config.intervals;
  if (!(config.intervals > 0) || purchase_given(p.model, config) || p.rows.weights.empty()) return d;
  const IntervalOptions o = interval_options(config);
  const ModelRows each = one_row_per_customer(p.rows);
  const ModelData purchase_data = each.data(), spend_data = each.spend_data();
  const ValueModel purchase = fit_value_model(p.model, purchase_data, config.fit, config.penalizer);
  d.purchase = draw_value_models(purchase, purchase_data, o, config.fit, threads);
  if (!value_known || config.gamma_gamma) return d;
  const ValueModel spend = fit_value_model(ValueModelName::gamma_gamma, spend_data, config.fit);
  // bootstrap: the same seed and weights resample the same customers for both models (paired
  // draws); parametric: an independent stream for the spend model's normals
  IntervalOptions so = o;
  if (o.method == IntervalMethod::parametric) so.seed = o.seed ^ 0x5DEECE66Dull;
  d.spend = draw_value_models(spend, spend_data, so, config.fit, threads);
  return d;
}

IntervalDraws draw_run_intervals(const CustomerBase& base, const ScoreResult& out, const ScoringConfig& config,
                                 unsigned threads) {
  const ValueModelName model = out.purchase_model.name;
  if (!(config.intervals > 0) || !out.bgnbd_error.empty() || purchase_given(model, config)) {
    IntervalDraws none;
    none.model = model;
    none.level = config.intervals;
    return none;
  }
  IntervalPatterns p = interval_patterns(base, out, model, config);
  merge_rows(p.rows);
  return draw_intervals(p, config, out.value_known(), threads);
}

void fill_interval_columns(const CustomerBase& base, const ScoringConfig& config, const IntervalDraws& draws,
                           unsigned threads, ScoreResult& out) {
  if (!(config.intervals > 0)) return;
  Scores& s = out.scores;
  ValueIntervals& iv = s.intervals;
  for (auto* v : {&iv.p_alive_lo, &iv.p_alive_hi, &iv.expected_purchases_lo, &iv.expected_purchases_hi,
                  &iv.expected_value_lo, &iv.expected_value_hi})
    v->assign(s.size(), nan);
  if (draws.purchase.empty() || !out.bgnbd_error.empty()) return;
  const bool with_value = !draws.spend.empty() && out.value_known();
  const auto zero = [&](std::size_t r, bool purchases) {
    if (purchases) iv.p_alive_lo[r] = iv.p_alive_hi[r] = iv.expected_purchases_lo[r] = iv.expected_purchases_hi[r] = 0;
    if (with_value) iv.expected_value_lo[r] = iv.expected_value_hi[r] = 0;
  };
  // every row without purchases first: expected value 0, known exactly (sbg evaluates them below, then sets it)
  for (std::size_t r = 0; r < s.size(); ++r)
    if (std::isnan(s.frequency[r])) zero(r, false);

  const ModelInputs in = gather_inputs(base, s, draws.model, config, out.as_of);
  const ModelColumns spend = spend_inputs(s, in);
  IntervalEvaluation eval;
  eval.horizon = model_horizon(draws.model, config);
  eval.level = draws.level;
  eval.discount_rate = model_discount_rate(draws.model, config);
  const std::span<const ValueModel> spend_draws =
      with_value ? std::span<const ValueModel>(draws.spend) : std::span<const ValueModel>();
  const ValueIntervals got =
      detail::value_intervals(draws.purchase, spend_draws, in.data(), spend.data(), eval, threads);
  for (std::size_t i = 0; i < in.row.size(); ++i) {
    const std::size_t r = in.row[i];
    if (std::isnan(s.frequency[r])) continue;  // sbg fits every row; the card gives no p_alive without purchases
    iv.p_alive_lo[r] = got.p_alive_lo[i];
    iv.p_alive_hi[r] = got.p_alive_hi[i];
    iv.expected_purchases_lo[r] = got.expected_purchases_lo[i];
    iv.expected_purchases_hi[r] = got.expected_purchases_hi[i];
    if (!with_value) continue;
    iv.expected_value_lo[r] = got.expected_value_lo[i];
    iv.expected_value_hi[r] = got.expected_value_hi[i];
  }
  // known-lost customers (ended_on <= T): 0 for all three, as their point values
  if (base.ended_on.empty()) return;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const day_t e = base.ended(s.customer[r]);
    if (e != no_day && e <= out.as_of) zero(r, true);
  }
}

}  // namespace rapport::detail
