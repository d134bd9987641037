// Private: ln|Γ(x)| for the value models, safe on several threads.
#pragma once

#include <math.h>  // lgamma_r (glibc, POSIX): std::lgamma writes the global `signgam`
#include "value/log_gamma.hpp"

namespace rapport::detail {

/// ln|Γ(x)|, as std::lgamma computes it (glibc's lgamma is lgamma_r plus a write of the global
/// `signgam`: the same bits), without that write — a data race when fits run on several threads
/// (the bootstrap intervals), found by ThreadSanitizer.
inline double log_gamma(double x) noexcept {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

}  // namespace rapport::detail
