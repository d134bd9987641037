// One customer's explanation as JSON.
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
json num(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
}  // namespace

std::string explain_json(const CustomerBase& base, const ScoreResult& res, std::size_t r, const ScoringConfig& cfg) {
  const Scores& s = res.scores;
  const auto& f = res.forest;
  const auto c = s.customer.at(r);
  json j;
  j["customer_id"] = base.customer_id[c];
  // values, evidence and weights: ComponentArrays of one component enum, walked in table order
  const auto components = [&](const auto& order, const auto& values, const auto& evidence, const auto& weights) {
    double wsum = 0;
    for (const auto k : order)
      if (!std::isnan(values[k][r])) wsum += weights[k];
    json arr = json::array();
    for (const auto k : order) {
      const double v = values[k][r];
      json cj;
      cj["name"] = to_string(k);
      cj["value"] = num(v);
      cj["weight"] = weights[k];
      cj["evidence"] = evidence[k];
      if (std::isnan(v)) {
        cj["effective_weight"] = 0.0;
        cj["contribution"] = nullptr;
        cj["note"] = "no evidence";
      } else {
        cj["effective_weight"] = weights[k] / wsum;
        cj["contribution"] = 100.0 * weights[k] * v / wsum;
      }
      arr.push_back(cj);
    }
    return arr;
  };
  json L;
  L["value"] = num(s.loyalty_given[r]);
  ComponentArray<LoyaltyComponent, std::uint32_t> loyalty_evidence{};
  for (const auto k : all_loyalty_components) loyalty_evidence[k] = s.loyalty_evidence[k][r];
  L["components"] = components(all_loyalty_components, s.loyalty, loyalty_evidence, cfg.loyalty_weights);
  L["service_ladder_detail"] = {
      {"technical", s.ladder_technical[r]}, {"hospitality", s.ladder_hospitality[r]}, {"wow", s.ladder_wow[r] != 0}};
  j["loyalty_given"] = L;
  json na;
  na["action"] = to_string(s.next_action[r]);
  na["gap"] = num(s.next_action_gap[r]);
  na["overdue_complaint"] = s.overdue_complaint[r] != 0;
  json gaps = json::object();
  for (const auto k : all_loyalty_components)
    gaps[std::string(to_string(k))] =
        std::isnan(s.loyalty[k][r]) ? json(nullptr) : json(cfg.loyalty_weights[k] * (1.0 - s.loyalty[k][r]));
  na["gaps"] = gaps;
  na["reason"] = s.overdue_complaint[r]                 ? "a complaint is open past its window"
                 : s.next_action[r] == NextAction::none ? "every evidenced gap is zero"
                                                        : "largest weighted gap weight*(1-value)";
  j["next_action"] = na;
  json V;
  V["frequency"] = num(s.frequency[r]);
  V["recency_days"] = num(s.recency[r]);
  V["age_days"] = num(s.age[r]);
  V["mean_repeat_spend"] = num(s.monetary[r]);
  V["p_alive"] = num(s.p_alive[r]);
  V["expected_purchases"] = num(s.expected_purchases[r]);
  V["expected_spend"] = std::isnan(s.frequency[r]) || !res.value_known()
                            ? json(nullptr)
                            : json(gamma_gamma_expected_spend(res.gamma_gamma, s.frequency[r],
                                                              s.frequency[r] >= 1 ? s.monetary[r] : 0.0));
  V["expected_value"] = num(s.expected_value[r]);
  V["upserve_value"] = num(s.upserve_value[r]);
  V["upserve_score"] = num(s.upserve_score[r]);
  // off the default path only (today's explanations keep their bytes): the model, the discount,
  // and a contract that ended (known lost once before T)
  if (cfg.value_model != ValueModelSetting::bgnbd) V["model"] = std::string(to_string(res.purchase_model.name));
  if (cfg.discount_rate != 0) V["discount_rate"] = cfg.discount_rate;
  if (const day_t ended = base.ended(c); ended != no_day) {
    V["ended_on"] = format_date(ended);
    V["known_lost"] = ended <= res.as_of;
  }
  j["value_at_stake"] = V;
  json R;
  R["value"] = num(s.referral_potential[r]);
  R["components"] = components(all_referral_components, s.referral, referral_evidence(res, r), cfg.referral_weights);
  const double adv = s.referral[ReferralComponent::advocacy][r];
  const bool gated = !std::isnan(adv) && adv < cfg.advocacy_gate;
  R["gate"] = {{"applied", gated}, {"factor", gated ? 2.0 * adv : 1.0}};
  R["ask_for_referral"] = s.ask_for_referral[r] != 0;
  j["referral_potential"] = R;
  j["referrals"] = {{"direct_referrals", f.direct_referrals[c]},
                    {"converted_referrals", f.converted_referrals[c]},
                    {"generation", f.generation[c]},
                    {"root_id", base.person(f.root[c])},
                    {"tree_size", f.tree_size[c]},
                    {"katz", f.katz[c]},
                    {"parent_id", f.parent[c] == no_index ? json(nullptr) : json(base.person(f.parent[c]))}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rapport
