/// @file row_sums.hpp
/// Private: the weighted sum of a model's per-row log-likelihood over a base, as a value or with
/// its derivatives (jet.hpp), for the kernels whose likelihood is written once over its scalar
/// type (pareto_nbd.cpp, mbgnbd.cpp).
#pragma once

#include <rapport/value/models.hpp>

#include "util/parallel.hpp"
#include "value/jet.hpp"
#include "value/model_kernels.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

namespace rapport::detail {

/// Σ weight · row(i) over rows 0..rows-1 (rows of weight 0 left out) in fixed blocks of 4096
/// added in order, on every core from 16,384 rows: the same bits for any thread count, and the
/// same as models.cpp's sum of row_log_likelihood when row(i) is that value. Num: double or a Jet.
template <class Num, class Row>
Num sum_rows(const ModelData& data, std::size_t rows, Row&& row) {
  constexpr std::size_t kBlock = 4096;
  const std::size_t blocks = (rows + kBlock - 1) / kBlock;
  std::vector<Num> sums(blocks, Num(0.0));
  parallel_for_dynamic(blocks, rows >= 4 * kBlock ? 0U : 1U, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t blk = lo; blk < hi; ++blk) {
      Num acc(0.0);
      const std::size_t end = std::min(rows, (blk + 1) * kBlock);
      for (std::size_t i = blk * kBlock; i < end; ++i) {
        const double w = row_weight(data, i);
        if (w == 0) continue;
        if constexpr (std::is_same_v<Num, double>) {
          acc += w * row(i);
        } else {
          acc.add_scaled(w, row(i));
        }
      }
      sums[blk] = acc;
    }
  });
  Num total(0.0);
  for (const Num& s : sums) total += s;
  return total;
}

/// The largest whole x below `limit` worth tabulating for ShiftedLogGamma: 1 + max x, at most `limit`.
inline std::size_t gamma_table_size(const ModelData& data, std::size_t limit = 1024) {
  double max_x = 0;
  for (double x : data.x) max_x = std::max(max_x, x);
  return static_cast<std::size_t>(std::min(max_x + 1, static_cast<double>(limit)));
}

/// A kernel's total_log_likelihood_hessian from its pass `pass(order)`, order an
/// std::integral_constant: 0 the value (a double: the rows' double code), 1 a Jet<N, false>, 2 a
/// Jet<N, true>. Fills `grad` (and `hess`, N×N row-major) when they are not empty.
template <int N, class Pass>
double total_by_order(std::span<double> grad, std::span<double> hess, Pass&& pass) {
  const auto unpack = [&](const auto& total) {
    for (std::size_t i = 0; i < grad.size(); ++i) grad[i] = total.g[i];
    if constexpr (std::remove_cvref_t<decltype(total)>::kPairs > 0) {
      std::size_t k = 0;
      for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i; j < N; ++j, ++k) hess[i * N + j] = hess[j * N + i] = total.h[k];
    }
    return total.v;
  };
  if (!hess.empty()) return unpack(pass(std::integral_constant<int, 2>{}));
  if (!grad.empty()) return unpack(pass(std::integral_constant<int, 1>{}));
  return pass(std::integral_constant<int, 0>{});
}

}  // namespace rapport::detail
