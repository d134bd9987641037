// Private: a model's per-customer inputs owned in columns, viewed as ModelData.
#pragma once

#include <rapport/value/models.hpp>

#include <cstdint>
#include <vector>

namespace rapport::detail {

/// The columns of ModelData, owned (gathered from a base, or a bootstrap resample).
struct ModelColumns {
  std::vector<double> x, t_x, T, n, m, periods, weights;  ///< as ModelData's spans
  std::vector<std::uint8_t> ended;                        ///< as ModelData::ended
  /// The columns as ModelData (spans over them: valid while this object lives unchanged).
  ModelData data() const {
    ModelData d;
    d.x = x;
    d.t_x = t_x;
    d.T = T;
    d.n = n;
    d.m = m;
    d.periods = periods;
    d.ended = ended;
    d.weights = weights;
    return d;
  }
};

}  // namespace rapport::detail
