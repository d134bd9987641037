// The console report of `rapport score`: counts, means, value models, top opportunities.
#include "cli.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
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

/// Whether `x` ranks before `y` in a list by decreasing value: the larger first, a NaN after every
/// number (NaN values among themselves, and equal values, tie).
bool greater(double x, double y) noexcept { return x > y || (!std::isnan(x) && std::isnan(y)); }

}  // namespace

void ConsoleReport::keep_top(std::vector<Row>& rows, double Row::*key) {
  std::stable_sort(rows.begin(), rows.end(), [key](const Row& a, const Row& b) {
    return greater(a.*key, b.*key) || (!greater(b.*key, a.*key) && a.row < b.row);
  });
  if (rows.size() > shown) rows.resize(shown);
}

void ConsoleReport::rows(const ScoreResult& batch, std::size_t first) {
  const auto& s = batch.scores;
  for (std::size_t r = 0; r < s.size(); ++r) {
    loyalty_sum_ += s.loyalty_given[r];
    referral_sum_ += s.referral_potential[r];
    alive_ += s.p_alive[r] > 0.5;
    ask_ += s.ask_for_referral[r];
    const Row row{first + r,
                  s.customer[r],
                  s.loyalty_given[r],
                  s.p_alive[r],
                  s.expected_value[r],
                  s.upserve_value[r],
                  s.next_action[r],
                  s.referral_potential[r],
                  s.referral[ReferralComponent::advocacy][r],
                  s.referral[ReferralComponent::timing][r]};
    upserve_.push_back(row);
    if (s.ask_for_referral[r]) referral_.push_back(row);
    if (upserve_.size() >= 8 * shown) keep_top(upserve_, &Row::upserve_value);
    if (referral_.size() >= 8 * shown) keep_top(referral_, &Row::referral_potential);
  }
  rows_ += s.size();
}

void ConsoleReport::print(const CustomerBase& base, const LoadReport& rep, const ScoreResult& res) {
  keep_top(upserve_, &Row::upserve_value);
  keep_top(referral_, &Row::referral_potential);
  const auto c = civil_from_days(res.as_of);
  std::printf("rapport — customer relationships as of %04d-%02u-%02u\n\n", c.year, c.month, c.day);
  std::printf(
      "Loaded   customers %zu (rejected %zu)  contacts %zu (rejected %zu)  purchases %zu (rejected %zu)  referrals %zu "
      "(rejected %zu)\n",
      rep.customers.read, rep.customers.rejected, rep.contacts.read, rep.contacts.rejected, rep.purchases.read,
      rep.purchases.rejected, rep.referrals.read, rep.referrals.rejected);
  const std::size_t n = rows_;
  std::printf("Scored   %zu customers; mean loyalty given %s/100; mean referral potential %s/100\n", n,
              fmt(n ? loyalty_sum_ / static_cast<double>(n) : std::nan("")).c_str(),
              fmt(n ? referral_sum_ / static_cast<double>(n) : std::nan("")).c_str());
  print_value_models(res, alive_);
  std::size_t converted = 0;
  for (auto v : res.forest.converted_referrals) converted += v;
  std::printf("Referral K-factor %.3f (%zu converted referrals); %zu customers to ask now\n\n",
              n ? static_cast<double>(converted) / static_cast<double>(n) : 0.0, converted, ask_);

  std::printf("Top up-serve opportunities (value at stake x service gap)\n");
  std::printf("  %-12s %9s %9s %10s %9s  %s\n", "customer", "loyalty", "p_alive", "value", "upserve", "next action");
  for (const Row& r : upserve_)
    std::printf("  %-12s %9s %9s %10s %9s  %s\n", base.customer_id[r.customer].c_str(), fmt(r.loyalty_given).c_str(),
                fmt(r.p_alive, 2).c_str(), fmt(r.expected_value, 0).c_str(), fmt(r.upserve_value, 0).c_str(),
                std::string(to_string(r.next_action)).c_str());
  std::printf("\nAsk for a referral now (timing >= 0.5, advocacy >= 0.7)\n");
  std::printf("  %-12s %9s %9s %9s %9s\n", "customer", "referral", "advocacy", "timing", "referred");
  for (const Row& r : referral_)
    std::printf("  %-12s %9s %9s %9s %9u\n", base.customer_id[r.customer].c_str(), fmt(r.referral_potential).c_str(),
                fmt(r.advocacy, 2).c_str(), fmt(r.timing, 2).c_str(), res.forest.converted_referrals[r.customer]);
  if (referral_.empty()) std::printf("  (none)\n");
}

void print_report(const CustomerBase& base, const LoadReport& report, const ScoreResult& result) {
  ConsoleReport console;
  console.rows(result, 0);
  console.print(base, report, result);
}

}  // namespace rapport::cli
