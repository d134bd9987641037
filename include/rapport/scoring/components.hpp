/// @file components.hpp
/// The five loyalty-given and five referral-potential components, named: enums, their names in
/// table order, and ComponentArray, a fixed array indexed by component.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace rapport {

/// The loyalty-given components, in the card's table order.
enum class LoyaltyComponent : std::uint8_t {
  continuity,      ///< recency-weighted share of covered contact periods
  follow_through,  ///< share of purchases followed by a service contact in time
  impression,      ///< impression quality q = P / (P + λN)
  recovery,        ///< how fast complaints were resolved
  service_ladder   ///< technical → hospitality → wow
};

/// The referral-potential components, in the card's table order.
enum class ReferralComponent : std::uint8_t {
  advocacy,      ///< the customer's impression quality
  track_record,  ///< 1 − e^(−c), c = recency-weighted converted referrals
  chain_reach,   ///< 1 − e^(−katz/scale)
  timing,        ///< 2^(−d/half-life) since the latest purchase
  tenure         ///< min(1, days since acquired_on / tenure_full_days)
};

/// Number of components of each score.
inline constexpr std::size_t component_count = 5;

/// The loyalty components in table order (for iteration).
inline constexpr std::array<LoyaltyComponent, component_count> all_loyalty_components{
    LoyaltyComponent::continuity, LoyaltyComponent::follow_through, LoyaltyComponent::impression,
    LoyaltyComponent::recovery, LoyaltyComponent::service_ladder};
/// The referral components in table order (for iteration).
inline constexpr std::array<ReferralComponent, component_count> all_referral_components{
    ReferralComponent::advocacy, ReferralComponent::track_record, ReferralComponent::chain_reach,
    ReferralComponent::timing, ReferralComponent::tenure};

/// Names of the five loyalty-given components, in table order (CSV columns, JSON keys).
inline constexpr std::array<std::string_view, component_count> loyalty_components{
    "continuity", "follow_through", "impression", "recovery", "service_ladder"};
/// Names of the five referral-potential components, in table order.
inline constexpr std::array<std::string_view, component_count> referral_components{"advocacy", "track_record",
                                                                                   "chain_reach", "timing", "tenure"};

/// Whether a component has evidence for every customer (0 when the history is empty):
/// continuity among the loyalty components; track_record, chain_reach and tenure among the
/// referral ones. A weight set must give at least one of these a positive weight, so that every
/// customer's weighted mean is defined.
constexpr bool always_evidenced(LoyaltyComponent c) noexcept { return c == LoyaltyComponent::continuity; }
/// See always_evidenced(LoyaltyComponent).
constexpr bool always_evidenced(ReferralComponent c) noexcept {
  return c == ReferralComponent::track_record || c == ReferralComponent::chain_reach || c == ReferralComponent::tenure;
}

/// snake_case name of a loyalty component.
constexpr std::string_view to_string(LoyaltyComponent c) noexcept {
  return loyalty_components[static_cast<std::size_t>(c)];
}
/// snake_case name of a referral component.
constexpr std::string_view to_string(ReferralComponent c) noexcept {
  return referral_components[static_cast<std::size_t>(c)];
}

/// The names of the components of enum `E`, in table order.
template <class E>
constexpr const std::array<std::string_view, component_count>& component_names() noexcept {
  if constexpr (std::is_same_v<E, LoyaltyComponent>)
    return loyalty_components;
  else
    return referral_components;
}

/// One `T` per component of `E`, indexed by component name (`w[LoyaltyComponent::recovery]`)
/// and iterable in table order. An aggregate: `ComponentArray<LoyaltyComponent, double> w{0.3, …}`.
template <class E, class T>
struct ComponentArray {
  using key_type = E;                       ///< the component enumeration
  std::array<T, component_count> values{};  ///< the values in table order

  /// The value of component `c`.
  constexpr T& operator[](E c) noexcept { return values[static_cast<std::size_t>(c)]; }
  /// The value of component `c`.
  constexpr const T& operator[](E c) const noexcept { return values[static_cast<std::size_t>(c)]; }
  /// Iteration in table order.
  constexpr auto begin() noexcept { return values.begin(); }
  /// Iteration in table order.
  constexpr auto end() noexcept { return values.end(); }
  /// Iteration in table order.
  constexpr auto begin() const noexcept { return values.begin(); }
  /// Iteration in table order.
  constexpr auto end() const noexcept { return values.end(); }
  /// Number of components.
  static constexpr std::size_t size() noexcept { return component_count; }
  /// Element-wise equality.
  friend constexpr bool operator==(const ComponentArray&, const ComponentArray&) = default;
};

/// Loyalty-given weights (or values), indexed by LoyaltyComponent.
using LoyaltyWeights = ComponentArray<LoyaltyComponent, double>;
/// Referral-potential weights (or values), indexed by ReferralComponent.
using ReferralWeights = ComponentArray<ReferralComponent, double>;

}  // namespace rapport
