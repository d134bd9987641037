#include "scoring/value_parts.hpp"

#include <rapport/error.hpp>

namespace rapport::detail {

ValueParts value_parts(const CustomerBase& base, const ScoreResult& out) {
  ValueParts p;
  p.span = value_span(base, out);
  const Scores& s = out.scores;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (bgnbd_input(s, r)) {
      p.bgnbd.x.push_back(s.frequency[r]);
      p.bgnbd.t_x.push_back(s.recency[r]);
      p.bgnbd.T.push_back(s.age[r]);
    }
    if (gamma_gamma_input(s, r)) {
      p.gamma_gamma.x.push_back(s.frequency[r]);
      p.gamma_gamma.m.push_back(s.monetary[r]);
    }
  }
  merge_rows(p.bgnbd);
  merge_rows(p.gamma_gamma);
  return p;
}

ValueParts merge_value_parts(const std::vector<ValueParts>& parts) {
  ValueParts out;
  for (const auto& p : parts) {
    merge_span(out.span, p.span);
    append_rows(out.bgnbd, p.bgnbd);
    append_rows(out.gamma_gamma, p.gamma_gamma);
  }
  merge_rows(out.bgnbd);
  merge_rows(out.gamma_gamma);
  return out;
}

IntervalPatterns value_interval_patterns(const CustomerBase& base, day_t as_of, const ScoringConfig& config) {
  if (config.value_model == ValueModelSetting::automatic)
    throw UsageError("value_interval_patterns: the config's value_model must name the model in use, not auto");
  return interval_patterns(base, value_input_columns(base, as_of, config), named_model(config.value_model), config);
}

}  // namespace rapport::detail
