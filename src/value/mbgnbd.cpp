/// @file mbgnbd.cpp
/// The mbgnbd kernel (being written on branch models-cont; this placeholder throws FitError).
#include "value/model_kernels.hpp"

#include <string>

namespace rapport::detail {
namespace {

[[noreturn]] void pending() { throw FitError("value model mbgnbd is not available in this build yet"); }
std::size_t validate(const ModelData&) { pending(); }
double row_ll(std::span<const double>, const ModelData&, std::size_t) { return 0; }
std::vector<std::vector<double>> no_starts(const ModelData&) { return {}; }
double no_new(std::span<const double>, double) { pending(); }
double no_pmf(std::span<const double>, double, unsigned) { pending(); }

}  // namespace

const ModelKernel& mbgnbd_kernel() {
  static const ModelKernel k{ValueModelName::mbgnbd, validate, row_ll, nullptr, no_starts, nullptr, nullptr,
                             nullptr, nullptr, no_new, no_pmf};
  return k;
}

}  // namespace rapport::detail
