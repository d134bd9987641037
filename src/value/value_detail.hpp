/// @file value_detail.hpp
/// Internals of the BG/NBD and Gamma-Gamma fits, exposed for tests and benchmarks only.
/// Nothing here is part of the public API.
#pragma once

#include <rapport/export.hpp>
#include <rapport/value/value.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rapport::detail {

/// One distinct (x, t_x, T) row of compressed BG/NBD data: indices into the value tables of
/// `BgNbdData` and the number of customers sharing the row.
struct BgNbdRow {
  std::uint32_t ix = 0;   ///< index into `BgNbdData::x_values`
  std::uint32_t itx = 0;  ///< index into `BgNbdData::tx_values`
  std::uint32_t iT = 0;   ///< index into `BgNbdData::T_values`
  double weight = 0;      ///< number of customers with this history
};

/// BG/NBD data with identical customers merged. Rows are sorted by (x, t_x, T) (t_x taken as 0
/// where x = 0). The t_x and T tables hold either the distinct values, ascending (few distinct
/// values: whole days), or, when `per_row` is set, one entry per row (row k has itx = iT = k;
/// real-valued data, where nearly every history is distinct). Both layouts give the same rows
/// in the same order, so every sum over them is the same to the last bit.
struct BgNbdData {
  std::vector<double> x_values;   ///< distinct x, ascending
  std::vector<double> tx_values;  ///< t_x per table entry (see `per_row`)
  std::vector<double> T_values;   ///< T per table entry (see `per_row`)
  std::vector<double> x_weight;   ///< customers per distinct x
  std::vector<BgNbdRow> rows;     ///< distinct histories with weights
  std::size_t customers = 0;      ///< number of input customers
  std::size_t repeat_buyers = 0;  ///< customers with x >= 1
  bool per_row = false;           ///< t_x and T tables hold one entry per row
};

/// Layout of `BgNbdData`'s t_x and T tables (see `BgNbdData::per_row`).
enum class BgNbdLayout {
  automatic,  ///< per row when most of the first 4096 T are distinct, else distinct values
  tables,     ///< tables of distinct values
  per_row,    ///< one entry per row
};

/// Validates and compresses BG/NBD input. The layout changes the speed, not the rows nor any
/// sum over them.
/// @throws std::invalid_argument on spans of different lengths, negative or non-finite values,
/// 0 < x < 1, or t_x > T.
RAPPORT_API BgNbdData compress_bgnbd(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                                     BgNbdLayout layout = BgNbdLayout::automatic);

/// As above with a weight per row (a whole number of customers, at least 1; empty: 1 each): the
/// data of the rows repeated by their weights, in the same order — the same rows, weights,
/// tables and layout, so every fit over them gives the same bits. With weights the rows are
/// merged through the distinct-value tables (then turned per row when that layout is chosen).
/// @throws InputError on a weight that is not a whole number >= 1; UsageError on a count
/// different from the rows'.
RAPPORT_API BgNbdData compress_bgnbd(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                                     std::span<const double> weight, BgNbdLayout layout = BgNbdLayout::automatic);

/// Every `stride`-th row of `data` (from the first) with its weight: as the rows are sorted by
/// (x, t_x, T), a systematic sample stratified by x. Same layout; customers, repeat buyers and
/// x weights are those of the sample.
RAPPORT_API BgNbdData sample_bgnbd(const BgNbdData& data, std::size_t stride);

/// Total BG/NBD log-likelihood at log-parameters `theta` = (log r, log alpha, log a, log b).
/// When `grad` / `hess` are non-null they receive the analytic gradient and Hessian with
/// respect to `theta`.
RAPPORT_API double bgnbd_objective(const BgNbdData& data, const Eigen::Vector4d& theta, Eigen::Vector4d* grad,
                                   Eigen::Matrix4d* hess);

/// One distinct (x, m) row of compressed Gamma-Gamma data.
struct GammaGammaRow {
  std::uint32_t ix = 0;  ///< index into `GammaGammaData::x_values`
  double m = 0;          ///< mean spend
  double log_m = 0;      ///< log(m)
  double weight = 0;     ///< number of customers with this (x, m)
};

/// Gamma-Gamma data restricted to x >= 1 and m > 0, duplicates merged.
struct GammaGammaData {
  std::vector<double> x_values;     ///< distinct x, ascending
  std::vector<double> x_weight;     ///< customers per distinct x
  std::vector<GammaGammaRow> rows;  ///< distinct (x, m) rows
  std::size_t customers = 0;        ///< qualifying customers (x >= 1, m > 0)
};

/// Selects the qualifying rows (finite x >= 1, finite m > 0) and merges duplicates.
/// @throws std::invalid_argument when the spans differ in length.
RAPPORT_API GammaGammaData compress_gamma_gamma(std::span<const double> x, std::span<const double> m);

/// As above with a weight per row (a whole number of customers, at least 1; empty: 1 each): the
/// data of the rows repeated by their weights.
RAPPORT_API GammaGammaData compress_gamma_gamma(std::span<const double> x, std::span<const double> m,
                                                std::span<const double> weight);

/// Total Gamma-Gamma log-likelihood at `theta` = (log p, log q, log gamma), with optional
/// analytic gradient and Hessian with respect to `theta`.
RAPPORT_API double gamma_gamma_objective(const GammaGammaData& data, const Eigen::Vector3d& theta,
                                         Eigen::Vector3d* grad, Eigen::Matrix3d* hess);

/// Expected purchases in the next `horizon` for a customer known to be alive at T:
/// `(a+b+x-1)/(a-1) * [1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]` with
/// `z = horizon / (alpha + T + horizon)`, evaluated through the Euler transformation
/// `2F1(r+x, b+x; c; z) = (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; c; z)` so that no cancellation
/// occurs for large x and the (a-1) division is removed analytically (exact at a = 1).
/// Where that series would need more than ~4000 terms (z near 1: alpha + T small against the
/// horizon; a or b in the thousands and beyond, as fits without dropout heterogeneity give),
/// would overflow, or would cancel to fewer than ~12 digits, the equal integral
/// `E_p[(1 - (1 + p u)^-(r+x)) / p]`, p ~ Beta(a, b+x), u = horizon / (alpha + T), is summed
/// instead (trapezoidal rule in logit(p) with a sinh map, at most 5121 nodes, all terms
/// positive). Bounded time for every valid input; finite unless the value exceeds the double
/// range (alpha + T ~ 1e-300 with a near 0). Multiplying by `bgnbd_p_alive` gives
/// `bgnbd_expected_purchases`.
RAPPORT_API double bgnbd_expected_purchases_if_alive(const BgNbdParams& params, double horizon, double x, double T);

/// p_alive of a repeat buyer (x > 0) given `log_ab` = log(a) - log(b + x - 1): the one
/// expression `bgnbd_p_alive` evaluates, shared with `predict_bgnbd`.
RAPPORT_API double p_alive_given(const BgNbdParams& params, double log_ab, double x, double t_x, double T);

/// BG/NBD predictions for customers 0..n-1, bit for bit those of the per-customer functions:
/// `p_alive[i] = bgnbd_p_alive(params, x[i], t_x[i], T[i])` and `expected_purchases[i] =
/// bgnbd_expected_purchases(params, horizon, x[i], t_x[i], T[i])` (NaN and other invalid rows
/// included). p_alive is computed once per customer and reused for the expectation, and
/// E[X | alive] (a function of x and T only) and log(a) - log(b+x-1) are memoised by exact bit
/// patterns, so whole-day data with few distinct (x, T) evaluate the series rarely. Runs on up
/// to `threads` threads (0 = all cores; contiguous ranges, so the results never depend on it).
/// Either output pointer may be null.
RAPPORT_API void predict_bgnbd(const BgNbdParams& params, double horizon, const double* x, const double* t_x,
                               const double* T, double* p_alive, double* expected_purchases, std::size_t n,
                               unsigned threads = 1);

}  // namespace rapport::detail
