// Private: the figures of a holdout check (rapport::validate's result), drawn once for both pages
// that show them: the validation page (`rapport validate --report`) and the report's validation
// section (`rapport report --holdout-from`). Every number carries `data-validation`, a JSON
// pointer into to_json(validation), and its exact `data-value`.
#pragma once

#include <rapport/scoring/validate.hpp>

#include <string>

namespace rapport::detail::html {

/// Per model: log-likelihood, BIC, holdout actual and predicted, % error, MAE, RMSE, correlation.
std::string validation_holdout_table(const Validation& v);
/// Gamma-Gamma's mean spend per holdout purchase, actual against predicted (one paragraph).
std::string validation_spend_text(const Validation& v);
/// The tracking chart, cumulative (id "tracking-cumulative") or weekly ("tracking-weekly"), with its
/// reading; then per fitted bgbb or sbg model its chart per period ("tracking-cumulative-bgbb" or
/// "tracking-periods-bgbb", the same for sbg).
std::string validation_tracking_figure(const Validation& v, bool cumulative);
/// The table by calibration frequency (data-chart "by-frequency"), with its reading.
std::string validation_frequency_figure(const Validation& v);
/// The p_alive calibration tables, one per fitted model (data-chart "p-alive-calibration"), with their reading.
std::string validation_p_alive_figure(const Validation& v);

}  // namespace rapport::detail::html
