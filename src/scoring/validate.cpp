// rapport::validate: the value models on a calibration/holdout split of the base.
//
// The calibration histories (x, t_x, T, mean repeat spend) are score()'s own columns, computed by
// its steps as of D1 − 1 (score_steps.hpp), so a validated model sees exactly what scoring fits.
// The holdout and the tracking need each customer's purchase days over time, read here from the
// base's purchase rows with the same day rule (UTC dates, same-day rows merged).
#include <rapport/scoring/validate.hpp>

#include <rapport/scoring/referral.hpp>

#include "scoring/score_steps.hpp"
#include "value/model_columns.hpp"

#include <nlohmann/json.hpp>

#include "util/parallel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

namespace rapport {

namespace {

using nlohmann::json;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr unsigned frequency_rows = 8;  // x = 0..6 and 7+
constexpr std::array<ValueModelName, 5> validated_models{ValueModelName::bgnbd, ValueModelName::pareto_nbd,
                                                         ValueModelName::mbgnbd, ValueModelName::bgbb,
                                                         ValueModelName::sbg};
constexpr const char* model_list = "bgnbd, pareto_nbd, mbgnbd, bgbb, sbg or all";

bool validated(ValueModelName m) {
  return std::find(validated_models.begin(), validated_models.end(), m) != validated_models.end();
}

/// Whether the model takes (x, t_x, T) in days (and so has a tracking curve of purchase days).
bool continuous(ValueModelName m) { return m != ValueModelName::bgbb && m != ValueModelName::sbg; }

/// Why the base or config cannot feed the model ("" when they can).
std::string unavailable(ValueModelName m, const CustomerBase& base, const ScoringConfig& config) {
  if (m == ValueModelName::bgbb && !(config.opportunity_days > 0))
    return "bgbb needs opportunity_days (the days of one purchase opportunity)";
  if (m == ValueModelName::sbg && !base.any_ended())
    return "sbg needs contracts: no customer has ended_on (a base without observed churn)";
  return {};
}

/// The calibration customers (scored as of D1 − 1 with a purchase) and their holdout.
struct Split {
  std::vector<double> x, t_x, T, m;         // calibration history (m = 0 where x = 0)
  std::vector<day_t> first;                 // first purchase day
  std::vector<double> holdout;              // holdout purchase days
  std::vector<double> holdout_spend;        // their amounts
  std::vector<std::size_t> day_offsets{0};  // customer i's distinct purchase days up to D2:
  std::vector<day_t> days;                  // days[day_offsets[i] .. day_offsets[i + 1])
};

/// One model's customers in the model's own unit: its inputs, and per customer the holdout's
/// length (days, or whole periods), the holdout count, the row key of the table by frequency and
/// whether the customer counts as active in the holdout. bgbb and sbg also keep, for their tracking
/// curve, the periods each customer is observed for up to D2 (`observed`) and per period index k
/// the customers with a purchase at opportunity k, or still active after period k (`hits[k]`).
struct Checked {
  detail::ModelColumns in;
  std::vector<double> horizon, actual, key;
  std::vector<std::uint8_t> active;
  std::vector<double> observed, hits;
};

/// Adds one customer's hit at period k (1-based) to `hits`.
void add_hit(std::vector<double>& hits, double k) {
  const auto i = static_cast<std::size_t>(k);
  if (hits.size() <= i) hits.resize(i + 1, 0.0);
  hits[i] += 1;
}

/// bgnbd, pareto_nbd, mbgnbd: (x, t_x, T) in days; the holdout's purchase days over holdout_days.
Checked continuous_checked(const Split& s, const Validation& v) {
  Checked c;
  c.in.x = s.x;
  c.in.t_x = s.t_x;
  c.in.T = s.T;
  c.horizon.assign(s.x.size(), v.holdout_days);
  c.actual = s.holdout;
  c.key = s.x;
  for (const double h : s.holdout) c.active.push_back(h >= 1 ? 1 : 0);
  return c;
}

/// bgbb: opportunities of `opp` days from each first purchase day, as scoring counts them
/// (bgbb_inputs). The calibration is (x, t_x, n) as of D1 − 1; the holdout's opportunities are
/// n + 1 … n2, n2 = ⌊(D2 + 1 − first)/opp⌋ (the same count as of D2), and its count the ones
/// among them with a purchase day up to D2 (a purchase from D1 on in opportunity n, which the
/// calibration already counted as observed, is not one of them).
Checked bgbb_checked(const Split& s, const Validation& v, double opp) {
  Checked c;
  std::vector<day_t> cal;
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    const auto from = s.days.begin() + static_cast<std::ptrdiff_t>(s.day_offsets[i]);
    const auto to = s.days.begin() + static_cast<std::ptrdiff_t>(s.day_offsets[i + 1]);
    cal.assign(from, std::upper_bound(from, to, v.calibration_as_of));
    double x = 0, t_x = 0, n = 0;
    detail::bgbb_inputs(cal, v.calibration_as_of, opp, x, t_x, n);
    const double n2 = std::floor(static_cast<double>(v.holdout_to + 1 - s.first[i]) / opp);
    double count = 0, last = n, tracked = 0;
    for (auto d = from; d != to; ++d) {
      const double k = std::floor(static_cast<double>(*d - s.first[i]) / opp);
      if (k > last && k <= n2) ++count, last = k;
      if (k > tracked && k <= n2) add_hit(c.hits, k), tracked = k;
    }
    c.observed.push_back(n2);
    c.in.x.push_back(x);
    c.in.t_x.push_back(t_x);
    c.in.n.push_back(n);
    c.horizon.push_back(n2 - n);
    c.actual.push_back(count);
    c.key.push_back(x);
    c.active.push_back(count >= 1 ? 1 : 0);
  }
  return c;
}

/// sbg: every customer acquired before D1, periods of `cp` days from acquired_on (sbg_inputs).
/// The calibration is (periods, ended) as of D1 − 1; the holdout's periods are the whole periods
/// up to D2 that follow, ⌊(D2 + 1 − acquired_on)/cp⌋ − periods, and its count the renewals: the
/// periods survived as of D2 minus those as of D1 − 1 (0 once ended). Active: no ended_on up to D2.
Checked sbg_checked(const CustomerBase& base, const Validation& v, double cp) {
  Checked c;
  for (std::uint32_t k = 0; k < base.customer_count(); ++k) {
    if (base.acquired_on[k] > v.calibration_as_of) continue;
    double periods = 0, periods_at_end = 0;
    std::uint8_t ended = 0, ended_at_end = 0;
    detail::sbg_inputs(base.acquired_on[k], base.ended(k), v.calibration_as_of, cp, periods, ended);
    detail::sbg_inputs(base.acquired_on[k], base.ended(k), v.holdout_to, cp, periods_at_end, ended_at_end);
    c.in.periods.push_back(periods);
    c.in.ended.push_back(ended);
    c.horizon.push_back(ended ? 0.0
                              : std::floor(static_cast<double>(v.holdout_to + 1 - base.acquired_on[k]) / cp) - periods);
    c.actual.push_back(ended ? 0.0 : periods_at_end - periods);
    c.key.push_back(periods);
    c.active.push_back(ended_at_end ? 0 : 1);
    c.observed.push_back(std::floor(static_cast<double>(v.holdout_to + 1 - base.acquired_on[k]) / cp));
    add_hit(c.hits, periods_at_end);  // for now: contracts that survived exactly that many periods
  }
  for (std::size_t k = c.hits.size(); k-- > 1;) c.hits[k - 1] += c.hits[k];  // survived at least k
  return c;
}

/// The rows `rows` of `in` (its non-empty columns).
detail::ModelColumns subset(const detail::ModelColumns& in, const std::vector<std::size_t>& rows) {
  detail::ModelColumns out;
  const auto pick = [&](const auto& from, auto& to) {
    if (from.empty()) return;
    for (const std::size_t r : rows) to.push_back(from[r]);
  };
  pick(in.x, out.x);
  pick(in.t_x, out.t_x);
  pick(in.T, out.T);
  pick(in.n, out.n);
  pick(in.periods, out.periods);
  pick(in.ended, out.ended);
  return out;
}

/// Per customer: the conditional expected count over `horizon[i]` (grouped by horizon: one call
/// per distinct length).
std::vector<double> expected_over(const ValueModel& model, const detail::ModelColumns& in,
                                  const std::vector<double>& horizon) {
  std::vector<double> out(horizon.size());
  std::vector<double> lengths = horizon;
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  if (lengths.size() == 1) {
    expected_purchases(model, lengths[0], in.data(), out);
    return out;
  }
  for (const double h : lengths) {
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < horizon.size(); ++i)
      if (horizon[i] == h) rows.push_back(i);
    const detail::ModelColumns part = subset(in, rows);
    std::vector<double> got(rows.size());
    expected_purchases(model, h, part.data(), got);
    for (std::size_t k = 0; k < rows.size(); ++k) out[rows[k]] = got[k];
  }
  return out;
}

/// The probability each customer is alive, for the deciles: p_alive at the calibration's end;
/// for sbg (whose p_alive is 1 or 0) the probability the contract runs to the holdout's end,
/// S(periods + h)/S(periods) = E[renewals in h] − E[renewals in h − 1].
std::vector<double> alive_probability(const ValueModel& model, const Checked& c, const std::vector<double>& expected) {
  std::vector<double> p(c.actual.size());
  if (model.name != ValueModelName::sbg) {
    p_alive(model, c.in.data(), p);
    return p;
  }
  std::vector<double> shorter = c.horizon;
  for (double& h : shorter) h = std::max(0.0, h - 1);
  const std::vector<double> before = expected_over(model, c.in, shorter);
  for (std::size_t i = 0; i < p.size(); ++i)
    p[i] = c.in.ended[i] ? 0.0 : c.horizon[i] < 1 ? 1.0 : expected[i] - before[i];
  return p;
}

/// score()'s calibration columns for the customers acquired before D1.
ScoreResult calibration_scores(const CustomerBase& base, day_t D, const ScoringConfig& config, unsigned threads,
                               std::size_t& acquired) {
  ScoreResult cal;
  cal.as_of = D;
  std::vector<std::uint32_t> rows;
  for (std::uint32_t c = 0; c < base.customer_count(); ++c)
    if (base.acquired_on[c] <= D) rows.push_back(c);
  acquired = rows.size();
  detail::resize_scores(cal.scores, rows.size(), threads);
  std::copy(rows.begin(), rows.end(), cal.scores.customer.begin());
  cal.forest = build_referral_forest(base, D, config);
  detail::score_rows(base, rows, config, threads, {}, cal);
  return cal;
}

/// Distinct purchase days of customer c up to day `last` (ascending), with each day's amount.
void purchase_days(const CustomerBase& b, std::uint32_t c, day_t last, std::vector<std::pair<day_t, double>>& days) {
  days.clear();
  for (auto k = b.purchase_offsets[c]; k < b.purchase_offsets[c + 1]; ++k) {
    const day_t d = day_of(b.purchase_at[k]);
    if (d <= last) days.emplace_back(d, b.purchase_amount[k]);
  }
  std::sort(days.begin(), days.end(), [](const auto& a, const auto& z) { return a.first < z.first; });
  std::size_t out = 0;
  for (std::size_t k = 0; k < days.size(); ++k) {
    if (out > 0 && days[out - 1].first == days[k].first)
      days[out - 1].second += days[k].second;
    else
      days[out++] = days[k];
  }
  days.resize(out);
}

std::size_t week_of(day_t d, day_t from) { return static_cast<std::size_t>((d - from) / 7); }

/// Sum over customers of a new customer's E[X(e − first)] at the last day e of each week.
std::vector<double> expected_cumulative(const ValueModel& model, const Split& s, day_t from, day_t to,
                                        std::size_t weeks) {
  const auto span = static_cast<std::size_t>(to - from) + 1;
  std::vector<double> firsts(span, 0.0);  // customers per first purchase day
  for (const day_t f : s.first) firsts[static_cast<std::size_t>(f - from)] += 1;
  std::vector<double> ex(span);  // E[X(t)], t = 0..span-1 days
  for (std::size_t t = 0; t < span; ++t) ex[t] = t == 0 ? 0.0 : expected_purchases_new(model, static_cast<double>(t));
  std::vector<double> cum(weeks);
  for (std::size_t w = 0; w < weeks; ++w) {
    const std::size_t e = std::min(7 * w + 6, span - 1);
    double sum = 0;
    for (std::size_t f = 0; f <= e; ++f)
      if (firsts[f] > 0) sum += firsts[f] * ex[e - f];
    cum[w] = sum;
  }
  return cum;
}

/// bgbb, sbg: the tracking curve per period k = 1 … the longest observation: the customers
/// observed for at least k periods, their hits at k, and `per_customer(k)` times their count
/// (bgbb: a new customer's E[X(k)] − E[X(k − 1)]; sbg: S(k)).
template <class PerCustomer>
std::vector<TrackingPeriod> period_tracking(const Checked& c, PerCustomer per_customer) {
  const double longest = c.observed.empty() ? 0.0 : *std::max_element(c.observed.begin(), c.observed.end());
  std::vector<TrackingPeriod> out(static_cast<std::size_t>(std::max(0.0, longest)));
  for (const double o : c.observed)  // observed for exactly o periods, then at least k: a suffix sum
    if (o >= 1) ++out[static_cast<std::size_t>(o) - 1].customers;
  for (std::size_t k = out.size(); k-- > 1;) out[k - 1].customers += out[k].customers;
  for (std::size_t k = 0; k < out.size(); ++k) {
    auto& row = out[k];
    row.period = static_cast<unsigned>(k + 1);
    row.actual = k + 1 < c.hits.size() ? c.hits[k + 1] : 0.0;
    row.expected = static_cast<double>(row.customers) * per_customer(static_cast<double>(k + 1));
    row.actual_cumulative = row.actual + (k ? out[k - 1].actual_cumulative : 0.0);
    row.expected_cumulative = row.expected + (k ? out[k - 1].expected_cumulative : 0.0);
  }
  return out;
}

std::vector<double> increments(const std::vector<double>& cumulative) {
  std::vector<double> out(cumulative.size());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = cumulative[k] - (k ? cumulative[k - 1] : 0.0);
  return out;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const auto n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : nan;
}

std::vector<FrequencyRow> by_frequency(const Checked& c, const std::vector<double>& predicted) {
  std::vector<FrequencyRow> rows(frequency_rows);
  std::vector<double> actual(frequency_rows, 0.0), expected(frequency_rows, 0.0);
  for (unsigned k = 0; k < frequency_rows; ++k) {
    rows[k].x = k;
    rows[k].and_more = k + 1 == frequency_rows;
  }
  for (std::size_t i = 0; i < c.key.size(); ++i) {
    const auto k = static_cast<std::size_t>(std::min(c.key[i], static_cast<double>(frequency_rows - 1)));
    ++rows[k].customers;
    actual[k] += c.actual[i];
    expected[k] += predicted[i];
  }
  for (unsigned k = 0; k < frequency_rows; ++k) {
    const auto n = static_cast<double>(rows[k].customers);
    rows[k].actual_mean = rows[k].customers ? actual[k] / n : nan;
    rows[k].predicted_mean = rows[k].customers ? expected[k] / n : nan;
  }
  return rows;
}

std::vector<PAliveDecile> p_alive_deciles(const Checked& c, const std::vector<double>& p) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<PAliveDecile> out(10);
  std::vector<double> sum(10, 0.0), active(10, 0.0);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t d = std::min<std::size_t>(9, 10 * k / order.size());
    ++out[d].customers;
    sum[d] += p[order[k]];
    active[d] += c.active[order[k]];
  }
  for (unsigned d = 0; d < 10; ++d) {
    out[d].decile = d + 1;
    const auto n = static_cast<double>(out[d].customers);
    out[d].mean_p_alive = out[d].customers ? sum[d] / n : nan;
    out[d].active_share = out[d].customers ? active[d] / n : nan;
  }
  return out;
}

ModelValidation check_model(ValueModelName name, const CustomerBase& base, const Split& s, const Validation& v,
                            const ScoringConfig& config) {
  ModelValidation mv;
  mv.name = name;
  const Checked c = name == ValueModelName::bgbb  ? bgbb_checked(s, v, config.opportunity_days)
                    : name == ValueModelName::sbg ? sbg_checked(base, v, config.contract_period_days)
                                                  : continuous_checked(s, v);
  const std::size_t n = c.actual.size();
  mv.customers = n;
  for (const double a : c.actual) mv.actual_total += a;
  try {
    if (n == 0) throw InputError("no customer acquired before " + format_date(v.holdout_from));
    mv.model = fit_value_model(name, c.in.data(), config.fit);
  } catch (const Error& e) {
    mv.error = e.what();
    return mv;
  }
  mv.fitted = true;
  const std::vector<double> predicted = expected_over(mv.model, c.in, c.horizon);
  const std::vector<double> p = alive_probability(mv.model, c, predicted);
  double abs_err = 0, sq_err = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mv.predicted_total += predicted[i];
    abs_err += std::abs(predicted[i] - c.actual[i]);
    sq_err += (predicted[i] - c.actual[i]) * (predicted[i] - c.actual[i]);
  }
  mv.percent_error = mv.actual_total > 0 ? 100.0 * (mv.predicted_total - mv.actual_total) / mv.actual_total : nan;
  mv.mae = abs_err / static_cast<double>(n);
  mv.rmse = std::sqrt(sq_err / static_cast<double>(n));
  mv.correlation = pearson(predicted, c.actual);
  mv.by_frequency = by_frequency(c, predicted);
  if (continuous(name)) {
    mv.expected_cumulative = expected_cumulative(mv.model, s, v.tracking_from, v.holdout_to, v.actual_weekly.size());
    mv.expected_weekly = increments(mv.expected_cumulative);
  } else if (name == ValueModelName::bgbb) {
    mv.tracking_periods = period_tracking(
        c, [&](double k) { return expected_purchases_new(mv.model, k) - expected_purchases_new(mv.model, k - 1); });
  } else {
    mv.tracking_periods = period_tracking(c, [&](double k) { return survival(mv.model, k); });
  }
  mv.p_alive_deciles = p_alive_deciles(c, p);
  return mv;
}

SpendValidation check_spend(const Split& s, const ScoringConfig& config) {
  SpendValidation sv;
  ModelData data;
  data.x = s.x;
  data.m = s.m;
  try {
    sv.model = fit_value_model(ValueModelName::gamma_gamma, data, config.fit);
  } catch (const Error& e) {
    sv.error = e.what();
    return sv;
  }
  sv.fitted = true;
  std::vector<double> spend(s.x.size());
  expected_spend(sv.model, data, spend);
  double purchases = 0, actual = 0, predicted = 0;
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    if (s.holdout[i] < 1) continue;
    ++sv.customers;
    purchases += s.holdout[i];
    actual += s.holdout_spend[i];
    predicted += s.holdout[i] * spend[i];
  }
  sv.actual_mean = purchases > 0 ? actual / purchases : nan;
  sv.predicted_mean = purchases > 0 ? predicted / purchases : nan;
  return sv;
}

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json params_json(const ValueModel& m, const std::vector<double>& values) {
  json j = json::object();
  const auto names = param_names(m.name);
  for (std::size_t k = 0; k < names.size() && k < values.size(); ++k) j[std::string(names[k])] = number(values[k]);
  return j;
}

json fit_json(const ValueModel& m) {
  return {{"params", params_json(m, m.params)},
          {"std_errors", params_json(m, m.std_errors)},
          {"log_likelihood", number(m.log_likelihood)},
          {"aic", number(m.aic)},
          {"bic", number(m.bic)},
          {"customers", number(m.n)}};
}

}  // namespace

std::string_view validation_unit(ValueModelName model) noexcept {
  if (model == ValueModelName::bgbb) return "opportunities with a purchase";
  if (model == ValueModelName::sbg) return "renewals";
  return "purchase days";
}

std::vector<ValueModelName> parse_validation_models(std::string_view list) {
  if (list == "all") return {validated_models.begin(), validated_models.end()};
  std::vector<ValueModelName> out;
  std::size_t from = 0;
  while (from <= list.size()) {
    const std::size_t comma = std::min(list.find(',', from), list.size());
    const std::string_view name = list.substr(from, comma - from);
    const auto m = parse_value_model(name);
    if (!m) throw ConfigError("value model '" + std::string(name) + "' is unknown (" + model_list + ")");
    if (!validated(*m))
      throw ConfigError("value model '" + std::string(name) + "' is not a purchase model to validate (" + model_list +
                        "; Gamma-Gamma is always checked)");
    if (std::find(out.begin(), out.end(), *m) == out.end()) out.push_back(*m);
    from = comma + 1;
  }
  return out;
}

Validation validate(const CustomerBase& base, const ValidationOptions& options, const ScoringConfig& config) {
  validate(config);
  if (options.models.empty()) throw ConfigError("validate: no value model to check");
  std::vector<ValueModelName> models;
  for (const auto m : options.models) {
    if (!validated(m))
      throw ConfigError("validate: value model '" + std::string(to_string(m)) +
                        "' is not a purchase model to validate (" + model_list + ")");
    const std::string why = unavailable(m, base, config);
    if (why.empty())
      models.push_back(m);
    else if (!options.only_available)
      throw ConfigError("validate: " + why);
  }
  Validation v;
  v.holdout_from = options.holdout_from;
  v.calibration_as_of = options.holdout_from - 1;
  if (options.holdout_to) {
    v.holdout_to = *options.holdout_to;
  } else {
    if (base.purchase_at.empty()) throw InputError("validate: the base has no purchases");
    v.holdout_to = day_of(*std::max_element(base.purchase_at.begin(), base.purchase_at.end()));
  }
  if (v.holdout_to < v.holdout_from)
    throw ConfigError("validate: the holdout ends (" + format_date(v.holdout_to) + ") before it starts (" +
                      format_date(v.holdout_from) + ")");
  v.holdout_days = static_cast<double>(v.holdout_to - v.holdout_from + 1);
  const unsigned threads = detail::thread_count(config.threads);

  std::size_t acquired = 0;
  const ScoreResult cal = calibration_scores(base, v.calibration_as_of, config, threads, acquired);
  const Scores& sc = cal.scores;
  Split s;
  std::vector<std::uint32_t> customers;
  for (std::size_t r = 0; r < sc.size(); ++r) {
    if (!detail::bgnbd_input(sc, r)) continue;
    customers.push_back(sc.customer[r]);
    s.x.push_back(sc.frequency[r]);
    s.t_x.push_back(sc.recency[r]);
    s.T.push_back(sc.age[r]);
    s.m.push_back(sc.frequency[r] >= 1 ? sc.monetary[r] : 0.0);
    s.first.push_back(v.calibration_as_of - static_cast<day_t>(sc.age[r]));
  }
  v.customers = customers.size();
  v.customers_without_calibration_purchase = acquired - customers.size();
  if (customers.empty())
    throw InputError("validate: no customer acquired before " + format_date(v.holdout_from) + " bought before it");

  // holdout purchase days and spend, and every repeat purchase day by tracking week
  v.tracking_from = *std::min_element(s.first.begin(), s.first.end());
  v.actual_weekly.assign(week_of(v.holdout_to, v.tracking_from) + 1, 0.0);
  s.holdout.assign(customers.size(), 0.0);
  s.holdout_spend.assign(customers.size(), 0.0);
  std::vector<std::pair<day_t, double>> days;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    purchase_days(base, customers[i], v.holdout_to, days);
    for (const auto& day : days) s.days.push_back(day.first);
    s.day_offsets.push_back(s.days.size());
    for (const auto& [d, amount] : days) {
      if (d <= s.first[i]) continue;  // the first purchase day is not a repeat (no purchase lies before it)
      v.actual_weekly[week_of(d, v.tracking_from)] += 1;
      if (d < v.holdout_from) continue;
      s.holdout[i] += 1;
      s.holdout_spend[i] += amount;
    }
    v.actual_total += s.holdout[i];
    v.actual_spend += s.holdout_spend[i];
  }
  v.actual_cumulative = v.actual_weekly;
  std::partial_sum(v.actual_cumulative.begin(), v.actual_cumulative.end(), v.actual_cumulative.begin());

  for (const auto m : models) v.models.push_back(check_model(m, base, s, v, config));
  v.spend = check_spend(s, config);
  return v;
}

std::string to_json(const Validation& v) {
  json j;
  j["calibration_as_of"] = format_date(v.calibration_as_of);
  j["holdout_from"] = format_date(v.holdout_from);
  j["holdout_to"] = format_date(v.holdout_to);
  j["holdout_days"] = v.holdout_days;
  j["time_unit"] = "days";
  j["customers"] = v.customers;
  j["customers_without_calibration_purchase"] = v.customers_without_calibration_purchase;
  j["actual_holdout_purchases"] = v.actual_total;
  json tracking = json::array();
  for (std::size_t w = 0; w < v.actual_weekly.size(); ++w) {
    json row{{"week", w + 1},
             {"from", format_date(v.tracking_from + static_cast<day_t>(7 * w))},
             {"to", format_date(std::min(v.holdout_to, v.tracking_from + static_cast<day_t>(7 * w + 6)))},
             {"actual", v.actual_weekly[w]},
             {"actual_cumulative", v.actual_cumulative[w]}};
    json expected = json::object(), cumulative = json::object();
    for (const auto& m : v.models) {
      if (!m.fitted || m.expected_weekly.empty()) continue;
      expected[std::string(to_string(m.name))] = m.expected_weekly[w];
      cumulative[std::string(to_string(m.name))] = m.expected_cumulative[w];
    }
    row["expected"] = expected;
    row["expected_cumulative"] = cumulative;
    tracking.push_back(row);
  }
  j["tracking"] = tracking;
  json models = json::array();
  for (const auto& m : v.models) {
    json jm{{"model", to_string(m.name)}, {"fitted", m.fitted}};
    if (!m.fitted) {
      jm["reason"] = m.error;
      models.push_back(jm);
      continue;
    }
    jm["fit"] = fit_json(m.model);
    jm["holdout"] = {{"unit", validation_unit(m.name)},
                     {"customers", m.customers},
                     {"actual", m.actual_total},
                     {"predicted", m.predicted_total},
                     {"percent_error", number(m.percent_error)},
                     {"mae", m.mae},
                     {"rmse", m.rmse},
                     {"correlation", number(m.correlation)}};
    json freq = json::array();
    for (const auto& r : m.by_frequency)
      freq.push_back({{"x", r.and_more ? std::to_string(r.x) + "+" : std::to_string(r.x)},
                      {"customers", r.customers},
                      {"actual_mean", number(r.actual_mean)},
                      {"predicted_mean", number(r.predicted_mean)}});
    jm["by_frequency"] = freq;
    json dec = json::array();
    for (const auto& d : m.p_alive_deciles)
      dec.push_back({{"decile", d.decile},
                     {"customers", d.customers},
                     {"mean_p_alive", number(d.mean_p_alive)},
                     {"active_share", number(d.active_share)}});
    jm["p_alive_calibration"] = dec;
    if (!continuous(m.name)) {
      json periods = json::array();
      for (const auto& t : m.tracking_periods)
        periods.push_back({{"period", t.period},
                           {"customers", t.customers},
                           {"actual", t.actual},
                           {"expected", t.expected},
                           {"actual_cumulative", t.actual_cumulative},
                           {"expected_cumulative", t.expected_cumulative}});
      jm["tracking_periods"] = periods;
    }
    models.push_back(jm);
  }
  j["models"] = models;
  json spend{{"model", "gamma_gamma"}, {"fitted", v.spend.fitted}};
  if (v.spend.fitted) {
    spend["fit"] = fit_json(v.spend.model);
    spend["customers"] = v.spend.customers;
    spend["actual_mean_spend"] = number(v.spend.actual_mean);
    spend["predicted_mean_spend"] = number(v.spend.predicted_mean);
  } else {
    spend["reason"] = v.spend.error;
  }
  j["spend"] = spend;
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace rapport
