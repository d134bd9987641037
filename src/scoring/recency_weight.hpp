// Private: the recency weight w(t) = 2^(-(T-t)/H) of every loyalty and referral component, as
// the scoring kernel (score.cpp) computes it and as the plain definitions in the tests
// (tests/scoring/definition_test.cpp) use it.
#pragma once

#include <rapport/base/time.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace rapport::detail {

/// w(age) = 2^(-age/H) for ages in whole seconds, by small tables: the product of 2^(-x/H) for
/// the day, hour, minute and second parts of the age (within a few ulp of std::exp2, and exact
/// where std::exp2 is for whole days; std::exp2 beyond the table's 4096 days). The hour and minute
/// factors are multiplied once per minute of the day, into one table, in the same order.
class RecencyWeight {
public:
  explicit RecencyWeight(double half_life_seconds) : h_(half_life_seconds) {
    std::array<double, 24> hours{};
    std::array<double, 60> minutes{};
    for (std::size_t d = 0; d < days_.size(); ++d) days_[d] = std::exp2(-static_cast<double>(d) * 86400.0 / h_);
    for (std::size_t k = 0; k < hours.size(); ++k) hours[k] = std::exp2(-static_cast<double>(k) * 3600.0 / h_);
    for (std::size_t k = 0; k < minutes.size(); ++k) minutes[k] = std::exp2(-static_cast<double>(k) * 60.0 / h_);
    for (std::size_t k = 0; k < seconds_.size(); ++k) seconds_[k] = std::exp2(-static_cast<double>(k) / h_);
    for (std::size_t k = 0; k < hour_minutes_.size(); ++k) hour_minutes_[k] = hours[k / 60] * minutes[k % 60];
  }
  double operator()(seconds_t age) const {
    if (age < 0 || age >= static_cast<seconds_t>(days_.size()) * 86400)
      return std::exp2(-static_cast<double>(age) / h_);
    const auto a = static_cast<std::uint32_t>(age);
    const std::uint32_t d = a / 86400, rest = a % 86400;
    return days_[d] * (hour_minutes_[rest / 60] * seconds_[rest % 60]);
  }

private:
  double h_;
  std::array<double, 4096> days_{};
  std::array<double, 24 * 60> hour_minutes_{};
  std::array<double, 60> seconds_{};
};

}  // namespace rapport::detail
