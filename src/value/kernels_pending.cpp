/// @file kernels_pending.cpp
/// Placeholders for the BG/BB and sBG kernels until their own files (bgbb.cpp, sbg.cpp) land:
/// every use throws FitError saying the model is not built yet. Deleted with that change.
#include "value/model_kernels.hpp"

#include <string>

namespace rapport::detail {
namespace {

[[noreturn]] void pending(ValueModelName model) {
  throw FitError("value model " + std::string(to_string(model)) + " is not available in this build yet");
}

std::size_t validate_bgbb(const ModelData&) { pending(ValueModelName::bgbb); }
std::size_t validate_sbg(const ModelData&) { pending(ValueModelName::sbg); }
double row_ll(std::span<const double>, const ModelData&, std::size_t) { return 0; }
std::vector<std::vector<double>> no_starts(const ModelData&) { return {}; }
double no_new_bgbb(std::span<const double>, double) { pending(ValueModelName::bgbb); }
double no_new_sbg(std::span<const double>, double) { pending(ValueModelName::sbg); }
double no_pmf_bgbb(std::span<const double>, double, unsigned) { pending(ValueModelName::bgbb); }
double no_pmf_sbg(std::span<const double>, double, unsigned) { pending(ValueModelName::sbg); }

}  // namespace

const ModelKernel& bgbb_kernel() {
  static const ModelKernel k{ValueModelName::bgbb, validate_bgbb, row_ll, nullptr, no_starts, nullptr, nullptr,
                             nullptr, nullptr, no_new_bgbb, no_pmf_bgbb};
  return k;
}

const ModelKernel& sbg_kernel() {
  static const ModelKernel k{ValueModelName::sbg, validate_sbg, row_ll, nullptr, no_starts, nullptr, nullptr,
                             nullptr, nullptr, no_new_sbg, no_pmf_sbg, nullptr, no_new_sbg};
  return k;
}

}  // namespace rapport::detail
