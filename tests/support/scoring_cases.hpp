// Test helper: small hand-drawn customer bases for the scoring, summary and explanation tests.
// Every case in these tests is scored as of D = 2024-03-31, so T (the midnight ending D) is
// 2024-04-01T00:00:00Z, with fixed value-model parameters (no fit).
#pragma once

#include <rapport/scoring/score.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace rapport::test {

inline seconds_t ts(const char* s) { return *parse_timestamp(s); }
inline day_t day(const char* s) { return *parse_date(s); }

/// The as-of date of every case, and T = midnight(D + 1).
inline const day_t case_as_of = *parse_date("2024-03-31");
inline const seconds_t case_T = midnight(*parse_date("2024-04-01"));
inline constexpr seconds_t one_day = seconds_per_day;
inline constexpr Initiator B = Initiator::business;  ///< business-initiated
inline constexpr Initiator C = Initiator::customer;  ///< customer-initiated

/// Recency weight 2^(-age/180) of an event `age_days` before T.
inline double w_days(double age_days) { return std::exp2(-age_days / 180.0); }

/// Fixed BG/NBD and Gamma-Gamma parameters, so that no model is fitted.
inline ScoringConfig fixed_config() {
  ScoringConfig c;
  c.bgnbd = BgNbdParams{0.5, 30.0, 0.8, 2.5, 0.0};
  c.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0, 0.0};
  c.threads = 1;
  return c;
}

/// A contact row at instant `at`.
inline ContactRow contact_at(seconds_t at, Initiator who, Stage stage, Aspect aspect, int impression,
                             bool complaint = false, seconds_t resolved = no_time) {
  ContactRow r;
  r.at = at;
  r.channel = Channel::visit;
  r.initiator = who;
  r.stage = stage;
  r.aspect = aspect;
  r.impression = impression;
  r.complaint = complaint;
  r.resolved_at = resolved;
  return r;
}

/// Adds a row that must be accepted (the tests build only valid rows).
inline void must(const std::string& reason) {
  if (!reason.empty()) throw std::logic_error("test base row rejected: " + reason);
}

/// The summary of a scoring run as parsed JSON.
inline nlohmann::json summary_of(const CustomerBase& base, const ScoreResult& res, const ScoringConfig& cfg,
                                 const LoadReport& report = {}) {
  return nlohmann::json::parse(summary_json(base, report, res, cfg));
}

/// The explanation of row `row` as parsed JSON.
inline nlohmann::json explanation_of(const CustomerBase& base, const ScoreResult& res, std::size_t row,
                                     const ScoringConfig& cfg) {
  return nlohmann::json::parse(explain_json(base, res, row, cfg));
}

}  // namespace rapport::test
