/// @file validate.hpp
/// Checks the value models against what customers did next: the base is split at a date D1 into
/// a calibration part (every purchase before D1, as of D1 − 1) and a holdout [D1, D2]; each model
/// is fitted on the calibration part and its predictions are compared with the holdout purchases
/// of the customers who had bought before D1. Purchases are purchase *days*, as in scoring
/// (same-day rows merged, amounts summed); time is in days. See docs/validation.md.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/value/models.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport {

/// The holdout window and the models `validate` checks.
struct ValidationOptions {
  day_t holdout_from = 0;           ///< D1, the holdout's first day; the calibration is as of D1 − 1
  std::optional<day_t> holdout_to;  ///< D2, its last day (default: the base's last purchase day)
  std::vector<ValueModelName> models{ValueModelName::bgnbd};  ///< purchase models to check (not gamma_gamma)
  /// Leave out, rather than refuse, a model the base or config cannot feed: bgbb without
  /// `opportunity_days`, sbg when no customer has `ended_on` (what `--value-model all` asks).
  bool only_available = false;
};

/// One row of the table by calibration frequency: the customers with x repeat purchase days in
/// the calibration (x = 0..6; the last row, `and_more`, x >= 7); for bgbb x counts opportunities
/// with a purchase, for sbg the contract periods survived.
struct FrequencyRow {
  unsigned x = 0;             ///< calibration repeat purchases (the lower bound for `and_more`)
  bool and_more = false;      ///< the row holds every x >= `x`
  std::size_t customers = 0;  ///< customers in the row
  double actual_mean = 0;     ///< their mean holdout purchases
  double predicted_mean = 0;  ///< their mean conditional expectation of holdout purchases
};

/// One decile of p_alive (customers stably sorted by p_alive at the calibration's end, position
/// k of n in decile min(9, ⌊10k/n⌋) + 1).
struct PAliveDecile {
  unsigned decile = 0;        ///< 1 (lowest p_alive) .. 10
  std::size_t customers = 0;  ///< customers in the decile
  double mean_p_alive = 0;    ///< their mean p_alive
  double active_share = 0;    ///< their share with at least one holdout purchase
};

/// One period of a tracking curve in a period model's own unit, across calibration and holdout:
/// bgbb's opportunity k (k = 1 is the first after the one holding the first purchase), sbg's
/// contract period k. Each customer counts in the periods it was observed for up to D2 (bgbb:
/// k <= n₂; sbg: k <= ⌊(D2 + 1 − acquired_on)/contract_period_days⌋).
struct TrackingPeriod {
  unsigned period = 0;             ///< k = 1, 2, …
  std::size_t customers = 0;       ///< customers observed for at least k periods
  double actual = 0;               ///< bgbb: of them, those who bought at opportunity k; sbg: those active after k
  double expected = 0;             ///< bgbb: Σ E[X(k)] − E[X(k − 1)] of a new customer; sbg: Σ S(k)
  double actual_cumulative = 0;    ///< Σ `actual` over periods 1..k
  double expected_cumulative = 0;  ///< Σ `expected` over periods 1..k
};

/// One purchase model checked on the holdout, in the model's own unit: purchase days (bgnbd,
/// pareto_nbd, mbgnbd), opportunities with a purchase (bgbb) or contract renewals (sbg).
struct ModelValidation {
  ValueModelName name = ValueModelName::bgnbd;  ///< the model
  bool fitted = false;         ///< false: the calibration fit failed (see `error`); nothing else is set
  std::string error;           ///< why the fit failed
  ValueModel model;            ///< the calibration fit: parameters (time in days), log-likelihood, AIC, BIC
  std::size_t customers = 0;   ///< customers checked (sbg: every customer acquired before D1)
  double actual_total = 0;     ///< Σ holdout count in the model's unit
  double predicted_total = 0;  ///< Σ conditional expected holdout purchases (renewals for sbg)
  double percent_error = 0;    ///< 100 (predicted − actual) / actual (NaN when actual is 0)
  double mae = 0;              ///< per-customer mean absolute error of holdout purchases
  double rmse = 0;             ///< per-customer root mean squared error
  double correlation = 0;      ///< Pearson correlation of predicted and actual (NaN when either is constant)
  std::vector<FrequencyRow> by_frequency;   ///< x = 0..6 and 7+
  std::vector<double> expected_weekly;      ///< expected repeat purchases per tracking week (empty for bgbb, sbg)
  std::vector<double> expected_cumulative;  ///< expected repeat purchases up to each week's end (empty for bgbb, sbg)
  /// bgbb and sbg: the tracking curve per opportunity or contract period (empty for the others)
  std::vector<TrackingPeriod> tracking_periods;
  /// p_alive calibration (sbg: the probability of being active at the holdout's end against the
  /// share that is)
  std::vector<PAliveDecile> p_alive_deciles;
};

/// Gamma-Gamma on the holdout: mean spend per holdout purchase day, actual against predicted.
struct SpendValidation {
  bool fitted = false;        ///< false: the calibration fit failed (see `error`)
  std::string error;          ///< why the fit failed
  ValueModel model;           ///< the calibration fit
  std::size_t customers = 0;  ///< customers with a holdout purchase
  double actual_mean = 0;     ///< holdout spend / holdout purchase days
  double predicted_mean = 0;  ///< Σ holdout purchases × expected spend / Σ holdout purchases
};

/// The whole check.
struct Validation {
  day_t calibration_as_of = 0;  ///< D1 − 1
  day_t holdout_from = 0;       ///< D1
  day_t holdout_to = 0;         ///< D2
  double holdout_days = 0;      ///< D2 − D1 + 1, the horizon of the conditional expectations
  std::size_t customers = 0;    ///< customers acquired before D1 with a purchase before D1 (the ones checked)
  std::size_t customers_without_calibration_purchase = 0;  ///< acquired before D1, no purchase before D1 (left out)
  double actual_total = 0;                                 ///< their holdout purchase days
  double actual_spend = 0;                                 ///< their holdout spend
  day_t tracking_from = 0;  ///< first day of the first tracking week (the earliest first purchase)
  std::vector<double>
      actual_weekly;  ///< repeat purchase days per 7-day week from `tracking_from` (the last may be shorter)
  std::vector<double> actual_cumulative;  ///< repeat purchase days up to each week's end
  std::vector<ModelValidation> models;    ///< one per model asked for, in that order
  SpendValidation spend;                  ///< Gamma-Gamma
};

/// Fits each model of `options` on the calibration part of `base` (with `config`'s fit options
/// and threads) and compares it with the holdout. A model that cannot be fitted is reported
/// (`fitted` false) and the others still run.
/// @throws ConfigError when D2 < D1, the list is empty, holds gamma_gamma, or holds bgbb without
/// `opportunity_days` or sbg on a base without `ended_on` (unless options.only_available);
/// InputError when no customer bought before D1.
RAPPORT_API Validation validate(const CustomerBase& base, const ValidationOptions& options,
                                const ScoringConfig& config = {});

/// The purchase models `validate` takes, by a comma-separated list of names or "all" (bgnbd,
/// pareto_nbd, mbgnbd, bgbb, sbg). @throws ConfigError naming an unknown or unsupported model.
RAPPORT_API std::vector<ValueModelName> parse_validation_models(std::string_view list);

/// What a model's holdout counts: "purchase days" (bgnbd, pareto_nbd, mbgnbd), "opportunities
/// with a purchase" (bgbb) or "renewals" (sbg); the JSON's `models[].holdout.unit`.
RAPPORT_API std::string_view validation_unit(ValueModelName model) noexcept;

/// The check as JSON (the CLI's `--out` of `rapport validate`; keys documented in docs/validation.md).
RAPPORT_API std::string to_json(const Validation& validation);

}  // namespace rapport
