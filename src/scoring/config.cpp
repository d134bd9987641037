// ScoringConfig from and to JSON.
#include <rapport/scoring/score.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>

namespace rapport {

using nlohmann::json;

namespace {
template <class F>
void weights_from(const json& v, std::array<double, 5>& w, const std::array<std::string_view, 5>& names, F&& fail) {
  if (v.is_array()) {
    if (v.size() != 5) fail("expects 5 weights");
    for (std::size_t k = 0; k < 5; ++k) w[k] = v[k].template get<double>();
  } else if (v.is_object()) {
    for (auto& [key, val] : v.items()) {
      auto it = std::find(names.begin(), names.end(), key);
      if (it == names.end()) fail("unknown component '" + key + "'");
      w[static_cast<std::size_t>(it - names.begin())] = val.template get<double>();
    }
  } else {
    fail("expects an array of 5 numbers or an object keyed by component");
  }
  for (double x : w)
    if (!(x >= 0) || !std::isfinite(x)) fail("weights must be finite and >= 0");
}
}  // namespace

ScoringConfig config_from_json(const std::string& text) {
  ScoringConfig c;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(std::string("config: invalid JSON: ") + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument("config: expected a JSON object");
  std::map<std::string, double*> scalars{
      {"half_life_days", &c.half_life_days},
      {"period_days", &c.period_days},
      {"follow_up_days", &c.follow_up_days},
      {"complaint_days", &c.complaint_days},
      {"impression_lambda", &c.impression_lambda},
      {"technical_threshold", &c.technical_threshold},
      {"hospitality_threshold", &c.hospitality_threshold},
      {"wow_window_days", &c.wow_window_days},
      {"katz_beta", &c.katz_beta},
      {"chain_reach_scale", &c.chain_reach_scale},
      {"timing_half_life_days", &c.timing_half_life_days},
      {"tenure_full_days", &c.tenure_full_days},
      {"advocacy_gate", &c.advocacy_gate},
      {"ask_timing", &c.ask_timing},
      {"ask_advocacy", &c.ask_advocacy},
      {"horizon_days", &c.horizon_days},
      {"p_alive_threshold", &c.p_alive_threshold}};
  for (auto item = j.begin(); item != j.end(); ++item) {
    const std::string key = item.key();
    const json& val = item.value();
    const auto fail = [&](const std::string& why) { throw std::invalid_argument("config: '" + key + "' " + why); };
    try {
      if (auto it = scalars.find(key); it != scalars.end()) {
        if (!val.is_number()) fail("expects a number");
        *it->second = val.get<double>();
        if (!std::isfinite(*it->second)) fail("must be finite");
      } else if (key == "loyalty_weights") {
        weights_from(val, c.loyalty_weights, loyalty_components, fail);
      } else if (key == "referral_weights") {
        weights_from(val, c.referral_weights, referral_components, fail);
      } else if (key == "threads") {
        c.threads = val.get<unsigned>();
      } else if (key == "bgnbd") {
        if (val.is_null()) continue;
        c.bgnbd = BgNbdParams{val.at("r").get<double>(), val.at("alpha").get<double>(), val.at("a").get<double>(),
                              val.at("b").get<double>(), std::numeric_limits<double>::quiet_NaN()};
      } else if (key == "gamma_gamma") {
        if (val.is_null()) continue;
        c.gamma_gamma = GammaGammaParams{val.at("p").get<double>(), val.at("q").get<double>(),
                                         val.at("gamma").get<double>(), std::numeric_limits<double>::quiet_NaN()};
      } else if (key == "fit") {
        if (val.contains("max_iterations")) c.fit.max_iterations = val["max_iterations"].get<int>();
        if (val.contains("gradient_tolerance")) c.fit.gradient_tolerance = val["gradient_tolerance"].get<double>();
        if (val.contains("min_customers")) c.fit.min_customers = val["min_customers"].get<std::size_t>();
      } else {
        fail("is not a config key");
      }
    } catch (const json::exception& e) {
      fail(std::string("has the wrong type: ") + e.what());
    }
  }
  if (c.half_life_days <= 0 || c.period_days <= 0 || c.complaint_days <= 0 || c.timing_half_life_days <= 0 ||
      c.tenure_full_days <= 0 || c.chain_reach_scale <= 0 || c.horizon_days < 0)
    throw std::invalid_argument("config: durations and scales must be positive");
  return c;
}

std::string config_to_json(const ScoringConfig& c) {
  json j{{"half_life_days", c.half_life_days},
         {"period_days", c.period_days},
         {"follow_up_days", c.follow_up_days},
         {"complaint_days", c.complaint_days},
         {"impression_lambda", c.impression_lambda},
         {"technical_threshold", c.technical_threshold},
         {"hospitality_threshold", c.hospitality_threshold},
         {"wow_window_days", c.wow_window_days},
         {"katz_beta", c.katz_beta},
         {"chain_reach_scale", c.chain_reach_scale},
         {"timing_half_life_days", c.timing_half_life_days},
         {"tenure_full_days", c.tenure_full_days},
         {"advocacy_gate", c.advocacy_gate},
         {"ask_timing", c.ask_timing},
         {"ask_advocacy", c.ask_advocacy},
         {"horizon_days", c.horizon_days},
         {"p_alive_threshold", c.p_alive_threshold},
         {"threads", c.threads}};
  json lw = json::object(), rw = json::object();
  for (std::size_t k = 0; k < 5; ++k) {
    lw[std::string(loyalty_components[k])] = c.loyalty_weights[k];
    rw[std::string(referral_components[k])] = c.referral_weights[k];
  }
  j["loyalty_weights"] = lw;
  j["referral_weights"] = rw;
  j["bgnbd"] = c.bgnbd ? json{{"r", c.bgnbd->r}, {"alpha", c.bgnbd->alpha}, {"a", c.bgnbd->a}, {"b", c.bgnbd->b}} : json(nullptr);
  j["gamma_gamma"] = c.gamma_gamma ? json{{"p", c.gamma_gamma->p}, {"q", c.gamma_gamma->q}, {"gamma", c.gamma_gamma->gamma}}
                                   : json(nullptr);
  j["fit"] = {{"max_iterations", c.fit.max_iterations},
              {"gradient_tolerance", c.fit.gradient_tolerance},
              {"min_customers", c.fit.min_customers}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rapport
