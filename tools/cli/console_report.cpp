// The console report of `rapport score`: counts, means, value models, top opportunities.
#include "cli.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

namespace rapport::cli {

namespace {

std::string fmt(double v, int prec = 1) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

void print_value_models(const ScoreResult& res, std::size_t alive) {
  const auto problems = value_model_problems(res);
  if (!problems.empty()) {
    for (const auto& p : problems) std::printf("Value    not fitted: %s\n", p.c_str());
    return;
  }
  if (res.purchase_model.name != ValueModelName::bgnbd) {  // another purchase model (value_model)
    std::string params;
    const auto names = param_names(res.purchase_model.name);
    for (std::size_t k = 0; k < names.size() && k < res.purchase_model.params.size(); ++k)
      params += " " + std::string(names[k]) + "=" + fmt(res.purchase_model.params[k], 3);
    std::printf("Value    %s%s%s%s; Gamma-Gamma p=%.2f q=%.2f gamma=%.2f; %zu customers with p_alive > 0.5\n",
                std::string(to_string(res.purchase_model.name)).c_str(), params.c_str(),
                res.selection.automatic ? " (auto: " : "",
                res.selection.automatic ? (res.selection.reason + ")").c_str() : "", res.gamma_gamma.p,
                res.gamma_gamma.q, res.gamma_gamma.gamma, alive);
    return;
  }
  std::printf(
      "Value    BG/NBD r=%.3f alpha=%.1f d a=%.3f b=%.3f; Gamma-Gamma p=%.2f q=%.2f gamma=%.2f; %zu customers with "
      "p_alive > 0.5\n",
      res.bgnbd.r, res.bgnbd.alpha, res.bgnbd.a, res.bgnbd.b, res.gamma_gamma.p, res.gamma_gamma.q,
      res.gamma_gamma.gamma, alive);
}

}  // namespace

void print_report(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res) {
  const auto& s = res.scores;
  const auto c = civil_from_days(res.as_of);
  std::printf("rapport — customer relationships as of %04d-%02u-%02u\n\n", c.year, c.month, c.day);
  std::printf(
      "Loaded   customers %zu (rejected %zu)  contacts %zu (rejected %zu)  purchases %zu (rejected %zu)  referrals %zu "
      "(rejected %zu)\n",
      rep.customers.read, rep.customers.rejected, rep.contacts.read, rep.contacts.rejected, rep.purchases.read,
      rep.purchases.rejected, rep.referrals.read, rep.referrals.rejected);
  const std::size_t n = s.size();
  double L = 0, R = 0;
  std::size_t alive = 0, ask = 0;
  for (std::size_t r = 0; r < n; ++r) {
    L += s.loyalty_given[r];
    R += s.referral_potential[r];
    alive += s.p_alive[r] > 0.5;
    ask += s.ask_for_referral[r];
  }
  std::printf("Scored   %zu customers; mean loyalty given %s/100; mean referral potential %s/100\n", n,
              fmt(n ? L / static_cast<double>(n) : std::nan("")).c_str(),
              fmt(n ? R / static_cast<double>(n) : std::nan("")).c_str());
  print_value_models(res, alive);
  std::size_t converted = 0;
  for (auto v : res.forest.converted_referrals) converted += v;
  std::printf("Referral K-factor %.3f (%zu converted referrals); %zu customers to ask now\n\n",
              n ? static_cast<double>(converted) / static_cast<double>(n) : 0.0, converted, ask);

  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return s.upserve_value[a] > s.upserve_value[b]; });
  std::printf("Top up-serve opportunities (value at stake x service gap)\n");
  std::printf("  %-12s %9s %9s %10s %9s  %s\n", "customer", "loyalty", "p_alive", "value", "upserve", "next action");
  for (std::size_t k = 0; k < std::min<std::size_t>(10, n); ++k) {
    const auto r = order[k];
    std::printf("  %-12s %9s %9s %10s %9s  %s\n", base.customer_id[s.customer[r]].c_str(),
                fmt(s.loyalty_given[r]).c_str(), fmt(s.p_alive[r], 2).c_str(), fmt(s.expected_value[r], 0).c_str(),
                fmt(s.upserve_value[r], 0).c_str(), std::string(to_string(s.next_action[r])).c_str());
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return s.referral_potential[a] > s.referral_potential[b]; });
  std::printf("\nAsk for a referral now (timing >= 0.5, advocacy >= 0.7)\n");
  std::printf("  %-12s %9s %9s %9s %9s\n", "customer", "referral", "advocacy", "timing", "referred");
  std::size_t shown = 0;
  for (auto r : order) {
    if (!s.ask_for_referral[r]) continue;
    std::printf("  %-12s %9s %9s %9s %9u\n", base.customer_id[s.customer[r]].c_str(),
                fmt(s.referral_potential[r]).c_str(), fmt(s.referral[ReferralComponent::advocacy][r], 2).c_str(),
                fmt(s.referral[ReferralComponent::timing][r], 2).c_str(),
                res.forest.converted_referrals[s.customer[r]]);
    if (++shown == 10) break;
  }
  if (!shown) std::printf("  (none)\n");
}

}  // namespace rapport::cli
