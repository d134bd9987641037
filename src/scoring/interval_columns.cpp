// The value intervals of a scoring run (score_steps.hpp: fill_interval_columns): parameter draws
// of the purchase and spend models (rapport/value/intervals.hpp) over the scored customers with
// purchases, mapped back onto the score rows.
#include "scoring/score_steps.hpp"

#include <rapport/value/intervals.hpp>
#include <rapport/value/models.hpp>

#include <cmath>
#include <limits>

namespace rapport::detail {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The fitted model with its covariance. The scoring fit keeps the point parameters only, so the
/// model is fitted again through the generic layer, whose BG/NBD and Gamma-Gamma fits are the
/// same fits (the same optimum); nullopt when the model was given (no covariance to draw from).
std::optional<ValueModel> fitted_model(ValueModelName name, bool given, const ModelData& data, const FitOptions& fit) {
  if (given) return std::nullopt;
  return fit_value_model(name, data, fit);
}

}  // namespace

void fill_interval_columns(const ScoringConfig& config, unsigned threads, ScoreResult& out) {
  if (!(config.intervals > 0)) return;
  Scores& s = out.scores;
  ValueIntervals& iv = s.intervals;
  for (auto* v : {&iv.p_alive_lo, &iv.p_alive_hi, &iv.expected_purchases_lo, &iv.expected_purchases_hi,
                  &iv.expected_value_lo, &iv.expected_value_hi})
    v->assign(s.size(), nan);
  if (!out.bgnbd_error.empty()) return;
  std::vector<std::size_t> rows;
  std::vector<double> x, t_x, T, m;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (!bgnbd_input(s, r)) continue;
    rows.push_back(r);
    x.push_back(s.frequency[r]);
    t_x.push_back(s.recency[r]);
    T.push_back(s.age[r]);
    m.push_back(s.frequency[r] >= 1 ? s.monetary[r] : 0.0);
  }
  ModelData data;
  data.x = x;
  data.t_x = t_x;
  data.T = T;
  data.m = m;
  const auto purchase = fitted_model(ValueModelName::bgnbd, config.bgnbd.has_value(), data, config.fit);
  if (!purchase) return;
  IntervalOptions o;
  o.level = config.intervals;
  o.method = config.interval_method;
  o.draws = config.interval_draws;
  o.seed = config.interval_seed;
  const auto purchase_draws = draw_value_models(*purchase, data, o, config.fit, threads);
  std::vector<ValueModel> spend_draws;
  if (out.value_known()) {
    if (const auto spend =
            fitted_model(ValueModelName::gamma_gamma, config.gamma_gamma.has_value(), data, config.fit)) {
      // bootstrap: the same seed resamples the same customers for both models (paired draws);
      // parametric: an independent stream for the spend model's normals
      IntervalOptions so = o;
      if (o.method == IntervalMethod::parametric) so.seed = o.seed ^ 0x5DEECE66Dull;
      spend_draws = draw_value_models(*spend, data, so, config.fit, threads);
    }
  }
  const ValueIntervals got = value_intervals(purchase_draws, spend_draws, data, config.horizon_days, o.level, threads);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t r = rows[i];
    iv.p_alive_lo[r] = got.p_alive_lo[i];
    iv.p_alive_hi[r] = got.p_alive_hi[i];
    iv.expected_purchases_lo[r] = got.expected_purchases_lo[i];
    iv.expected_purchases_hi[r] = got.expected_purchases_hi[i];
    if (spend_draws.empty()) continue;
    iv.expected_value_lo[r] = got.expected_value_lo[i];
    iv.expected_value_hi[r] = got.expected_value_hi[i];
  }
  if (spend_draws.empty()) return;
  for (std::size_t r = 0; r < s.size(); ++r)  // no purchases: expected value 0, known exactly
    if (!bgnbd_input(s, r)) iv.expected_value_lo[r] = iv.expected_value_hi[r] = 0;
}

}  // namespace rapport::detail
