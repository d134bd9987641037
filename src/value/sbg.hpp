// Private: what the sBG kernel (sbg.cpp) offers beyond detail::ModelKernel.
#pragma once

#include <span>

namespace rapport::detail {

/// sBG survival S(t) = P(T > t) = B(α, β + ⌊t⌋) / B(α, β) for parameters p = (α, β): the share of
/// a cohort still a customer after ⌊t⌋ whole periods (1 for t < 1, 0 for t = +inf).
double sbg_survival(std::span<const double> p, double t);

}  // namespace rapport::detail
