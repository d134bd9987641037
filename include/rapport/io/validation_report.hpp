/// @file validation_report.hpp
/// The page of `rapport validate --report`: one self-contained HTML page (inline SVG, no network)
/// with the tracking of repeat purchases (cumulative and weekly, actual against each model), the
/// table by calibration frequency, the holdout figures per model and the p_alive calibration.
#pragma once

#include <rapport/export.hpp>
#include <rapport/scoring/validate.hpp>

#include <string>

namespace rapport {

/// The HTML page of a validation (every number on it is one of to_json(validation)'s).
RAPPORT_API std::string validation_html(const Validation& validation, const std::string& title = "rapport validation");

}  // namespace rapport
