/// @file value.cpp
/// BG/NBD and Gamma-Gamma maximum-likelihood fits and per-customer quantities.
///
/// Both fits are damped Newton iterations in log-parameter space with analytic gradients and
/// analytic Hessians. Identical customers are merged first, and every quantity that depends on
/// a single coordinate (x, t_x or T) is evaluated once per distinct value, so the per-customer
/// work in one likelihood evaluation is one exp and one log1p (BG/NBD) or one log (Gamma-Gamma).
#include <rapport/value/value.hpp>

#include "util/hash_index.hpp"
#include "util/parallel.hpp"
#include "util/radix_sort.hpp"
#include "value/lanes.hpp"
#include "value/newton.hpp"
#include "value/value_detail.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include "value/log_gamma.hpp"

// The four-lane pass (bgnbd_rows_lanes) keeps its 32-byte vectors inside the function; GCC
// still notes, at the end of the file, that passing them would differ between SSE and AVX.
#if defined(__GNUC__)  // GCC and Clang
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// GCC also compiles the four-lane pass for AVX2, chosen at load time where the CPU has it (the
// same operations, no FMA: the same bits). Clang refuses the always-inline 32-byte vector helpers
// in an AVX2 clone, so there it stays baseline. Under ThreadSanitizer too: the clones' ifunc
// resolver runs while the program is relocated, before the TSan runtime is up, and crashes there.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define RAPPORT_AVX2_CLONE [[gnu::target_clones("avx2", "default")]]
#else
#define RAPPORT_AVX2_CLONE
#endif

namespace rapport::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// From this many distinct histories on, the BG/NBD likelihood pass runs in four lanes with
// lanes::log / lanes::exp_nonpositive (bgnbd_rows_lanes), and the fit starts from the optimum of a
// sample (fit_bgnbd_rows). Smaller data take the scalar pass with the C library's functions.
constexpr std::size_t kLargeRows = std::size_t{1} << 16U;

// ---------------------------------------------------------------------------------------------
// Hashing / compression helpers
// ---------------------------------------------------------------------------------------------

/// Bit pattern of a double with -0.0 folded onto +0.0, usable as an exact hash key.
std::uint64_t double_key(double v) { return v == 0.0 ? 0U : std::bit_cast<std::uint64_t>(v); }

/// A pair of 64-bit keys (a column code and a value's bits), hashed as one.
struct Key2 {
  std::uint64_t a = 0, b = 0;
  bool operator==(const Key2&) const = default;
};

struct Key2Hash {
  using Lookup = Key2;
  static std::uint64_t hash(const Key2& k) noexcept { return mix64(k.a ^ mix64(k.b)); }
  static bool same(const Key2& stored, const Key2& key) noexcept { return stored == key; }
};

/// Distinct values of one column: ascending values and, per input row, the rank of its value.
struct Column {
  std::vector<double> values;
  std::vector<std::uint32_t> code;
};

Column encode_column(std::span<const double> v) {
  KeyTable<std::uint64_t> index;
  std::vector<std::uint32_t> raw(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) raw[i] = index.insert(double_key(v[i]));
  const auto& keys = index.keys();
  std::vector<std::uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0U);
  std::vector<double> vals(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) vals[k] = std::bit_cast<double>(keys[k]);
  std::sort(order.begin(), order.end(), [&](std::uint32_t l, std::uint32_t r) { return vals[l] < vals[r]; });
  std::vector<std::uint32_t> rank(keys.size());
  Column c;
  c.values.reserve(keys.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    rank[order[k]] = static_cast<std::uint32_t>(k);
    c.values.push_back(vals[order[k]]);
  }
  for (std::uint32_t& code : raw) code = rank[code];
  c.code = std::move(raw);
  return c;
}

unsigned bits_for(std::size_t count) { return count <= 1 ? 0U : static_cast<unsigned>(std::bit_width(count - 1)); }

/// The slots of a likelihood pass over n rows: one for small inputs, otherwise two fixed halves
/// (on two threads where the machine has them). The split does not depend on the machine, so
/// per-slot sums added in slot order give the same bits anywhere.
std::size_t pass_slots(std::size_t n) {
  constexpr std::size_t kMinParallel = 1U << 15U;
  return n < kMinParallel ? 1 : 2;
}

// Hessian storage order of the upper triangle of a 4x4 matrix.
constexpr std::array<std::array<int, 4>, 4> kUpper4 = {{{0, 1, 2, 3}, {1, 4, 5, 6}, {2, 5, 7, 8}, {3, 6, 8, 9}}};

struct BgAccum {
  double f = 0;
  std::array<double, 4> g{};
  std::array<double, 10> h{};
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// BG/NBD
// ---------------------------------------------------------------------------------------------

namespace {

/// t_x as the fit uses it: 0 where x = 0 (t_x is irrelevant without repeat purchases), and -0
/// as +0.
double normalized_tx(double x, double t_x) { return x != 0 ? t_x + 0.0 : 0.0; }

/// Checks a fit's row weights (empty: one customer per row): as many as rows, each a whole
/// number of customers, at least 1. Returns the customers in all (rows when empty).
std::size_t validate_weights(std::span<const double> weight, std::size_t rows, const char* fit) {
  if (weight.empty()) return rows;
  if (weight.size() != rows) {
    throw UsageError(std::string(fit) + ": " + std::to_string(weight.size()) + " weights for " + std::to_string(rows) +
                     " rows");
  }
  constexpr double kMaxCustomers = 9007199254740992.0;  // 2^53: sums of whole numbers stay exact
  double total = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const double w = weight[i];
    if (!(w >= 1 && w <= kMaxCustomers) || w != std::floor(w)) {
      throw InputError(std::string(fit) + ": invalid weight at row " + std::to_string(i) + ": " + format_double(w) +
                       " (a weight is a whole number of customers, at least 1)");
    }
    total += w;
  }
  if (!(total <= kMaxCustomers)) throw InputError(std::string(fit) + ": the weights sum to more than 2^53 customers");
  return static_cast<std::size_t>(total);
}

/// Row i's weight: 1 when `weight` is empty.
double weight_of(std::span<const double> weight, std::size_t i) { return weight.empty() ? 1.0 : weight[i]; }

/// Checks every BG/NBD row; returns the number of repeat buyers (customers, by weight).
std::size_t validate_bgnbd(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                           std::span<const double> weight) {
  if (x.size() != t_x.size() || x.size() != T.size()) {
    throw UsageError("BG/NBD input spans differ in length: x " + std::to_string(x.size()) + ", t_x " +
                     std::to_string(t_x.size()) + ", T " + std::to_string(T.size()));
  }
  std::size_t repeat = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(t_x[i]) || !std::isfinite(T[i]) || x[i] < 0 || t_x[i] < 0 ||
        (x[i] > 0 && x[i] < 1) || t_x[i] > T[i]) {
      throw InputError("invalid BG/NBD customer at row " + std::to_string(i) + ": x=" + format_double(x[i]) +
                       ", t_x=" + format_double(t_x[i]) + ", T=" + format_double(T[i]) +
                       " (need x = 0 or x >= 1, 0 <= t_x <= T, all finite)");
    }
    repeat += x[i] != 0 ? static_cast<std::size_t>(weight_of(weight, i)) : 0U;
  }
  return repeat;
}

/// True when the first rows have so many distinct T that tables of distinct values would be
/// about as long as the data (real-valued ages): then the per-row layout is faster.
/// With weights, the first 4096 customers of the rows repeated by their weights.
bool mostly_distinct(std::span<const double> T, std::span<const double> weight) {
  constexpr std::size_t kSample = 4096;
  std::vector<double> head;
  head.reserve(kSample);
  for (std::size_t i = 0; i < T.size() && head.size() < kSample; ++i)
    head.insert(head.end(),
                std::min<std::size_t>(static_cast<std::size_t>(weight_of(weight, i)), kSample - head.size()), T[i]);
  if (head.size() < kSample) return false;
  std::sort(head.begin(), head.end());
  const auto distinct = static_cast<std::size_t>(
      std::unique(head.begin(), head.end(), [](double l, double r) { return l == r; }) - head.begin());
  return 4 * distinct > kSample;
}

/// Rows by distinct-value tables: each column is reduced to ranks of its distinct values, and
/// the rank triples are radix-sorted and merged (with weights: sorted with their weights, and a
/// merged row's weight is the sum of its rows' — whole numbers, so the same bits as counting).
void compress_by_tables(BgNbdData& data, std::span<const double> x, std::span<const double> t_x,
                        std::span<const double> T, std::span<const double> weight) {
  const std::size_t n = x.size();
  std::vector<double> tx_norm(n);
  for (std::size_t i = 0; i < n; ++i) tx_norm[i] = normalized_tx(x[i], t_x[i]);
  Column cx = encode_column(x);
  Column ctx = encode_column(tx_norm);
  Column cT = encode_column(T);
  const unsigned bT = bits_for(cT.values.size());
  const unsigned btx = bits_for(ctx.values.size());
  const unsigned bx = bits_for(cx.values.size());
  data.x_values = std::move(cx.values);
  data.tx_values = std::move(ctx.values);
  data.T_values = std::move(cT.values);
  data.x_weight.assign(data.x_values.size(), 0.0);
  for (std::size_t i = 0; i < n; ++i) data.x_weight[cx.code[i]] += weight_of(weight, i);

  if (!weight.empty()) {
    std::vector<std::pair<std::array<std::uint32_t, 3>, double>> keys(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = {{cx.code[i], ctx.code[i], cT.code[i]}, weight[i]};
    std::sort(keys.begin(), keys.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
    for (std::size_t i = 0; i < n;) {
      double w = keys[i].second;
      std::size_t j = i + 1;
      for (; j < n && keys[j].first == keys[i].first; ++j) w += keys[j].second;
      data.rows.push_back(BgNbdRow{keys[i].first[0], keys[i].first[1], keys[i].first[2], w});
      i = j;
    }
  } else if (bT + btx + bx <= 64) {
    std::vector<std::uint64_t> keys(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t kx = cx.code[i];
      const std::uint64_t ktx = ctx.code[i];
      const std::uint64_t kT = cT.code[i];
      keys[i] = bx == 0 ? 0 : (kx << (btx + bT));
      if (btx > 0) keys[i] |= ktx << bT;
      keys[i] |= kT;
    }
    radix_sort<11>(keys, bT + btx + bx);
    const std::uint64_t mT = bT == 0 ? 0 : (~std::uint64_t{0} >> (64 - bT));
    const std::uint64_t mtx = btx == 0 ? 0 : (~std::uint64_t{0} >> (64 - btx));
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && keys[j] == keys[i]) ++j;
      const std::uint64_t k = keys[i];
      BgNbdRow row;
      row.iT = static_cast<std::uint32_t>(k & mT);
      row.itx = btx == 0 ? 0U : static_cast<std::uint32_t>((k >> bT) & mtx);
      row.ix = bx == 0 ? 0U : static_cast<std::uint32_t>(k >> (btx + bT));
      row.weight = static_cast<double>(j - i);
      data.rows.push_back(row);
      i = j;
    }
  } else {
    std::vector<std::array<std::uint32_t, 3>> keys(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = {cx.code[i], ctx.code[i], cT.code[i]};
    std::sort(keys.begin(), keys.end());
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && keys[j] == keys[i]) ++j;
      data.rows.push_back(BgNbdRow{keys[i][0], keys[i][1], keys[i][2], static_cast<double>(j - i)});
      i = j;
    }
  }
}

/// One customer's (t_x, T) while the per-row layout is sorted.
struct TxT {
  double tx = 0, T = 0;
};

/// How the customers with one x are spread over buckets: by the bit pattern (monotone for
/// non-negative doubles) of the leading key, t_x, or T where all their t_x are equal, split into
/// equal ranges, a few customers per bucket.
struct Buckets {
  bool by_T = false;
  std::uint64_t lo = 0;
  unsigned shift = 0;
  std::size_t first = 0;  ///< global index of the group's first bucket
  std::size_t count = 0;  ///< buckets of the group

  std::uint64_t lead(const TxT& c) const { return double_key(by_T ? c.T : c.tx); }
  std::size_t of(const TxT& c) const { return first + static_cast<std::size_t>((lead(c) - lo) >> shift); }
};

/// Buckets per x group from the range of each group's t_x and T; `size` customers per group.
std::vector<Buckets> plan_buckets(std::span<const std::uint32_t> code, std::span<const double> x,
                                  std::span<const double> t_x, std::span<const double> T,
                                  std::span<const std::size_t> size) {
  const std::size_t nx = size.size();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<std::array<double, 4>> range(nx, {kInf, -kInf, kInf, -kInf});  // t_x lo/hi, T lo/hi
  for (std::size_t i = 0; i < code.size(); ++i) {
    std::array<double, 4>& g = range[code[i]];
    const double tx = normalized_tx(x[i], t_x[i]);
    g[0] = std::min(g[0], tx);
    g[1] = std::max(g[1], tx);
    g[2] = std::min(g[2], T[i]);
    g[3] = std::max(g[3], T[i]);
  }
  std::vector<Buckets> plan(nx);
  std::size_t first = 0;
  for (std::size_t k = 0; k < nx; ++k) {
    Buckets& b = plan[k];
    b.by_T = range[k][0] == range[k][1];
    b.lo = double_key(b.by_T ? range[k][2] : range[k][0]);
    const std::uint64_t hi = double_key(b.by_T ? range[k][3] : range[k][1]);
    // About eight customers per bucket: the bucket counters stay in cache, and std::sort of
    // a handful is an insertion sort.
    const auto bucket_bits = static_cast<unsigned>(std::max<std::size_t>(std::bit_width(size[k]), 4) - 3);
    const auto span_bits = static_cast<unsigned>(std::bit_width(hi - b.lo));
    b.shift = span_bits > bucket_bits ? span_bits - bucket_bits : 0U;
    b.first = first;
    b.count = static_cast<std::size_t>((hi - b.lo) >> b.shift) + 1;
    first += b.count;
  }
  return plan;
}

/// Rows with per-row t_x and T (see BgNbdData::per_row): every customer is placed in a bucket of
/// its x group (counting sort on the bucket; see Buckets), each bucket is sorted by (t_x, T), and
/// identical neighbours are merged. The same rows in the same order as compress_by_tables,
/// without tables of distinct t_x and T.
void compress_per_row(BgNbdData& data, std::span<const double> x, std::span<const double> t_x,
                      std::span<const double> T) {
  const std::size_t n = x.size();
  Column cx = encode_column(x);
  data.x_values = std::move(cx.values);
  const std::size_t nx = data.x_values.size();
  std::vector<std::size_t> size(nx, 0);
  for (std::size_t i = 0; i < n; ++i) ++size[cx.code[i]];
  data.x_weight.assign(size.begin(), size.end());
  const std::vector<Buckets> plan = plan_buckets(cx.code, x, t_x, T, size);
  const std::size_t buckets = plan.empty() ? 0 : plan.back().first + plan.back().count;
  // Counting sort on the bucket (cx.code now holds each customer's bucket).
  std::vector<std::uint32_t> start(buckets + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<std::uint32_t>(plan[cx.code[i]].of(TxT{normalized_tx(x[i], t_x[i]), T[i]}));
    cx.code[i] = b;
    ++start[b + 1];
  }
  for (std::size_t b = 1; b <= buckets; ++b) start[b] += start[b - 1];
  std::vector<TxT> hist(n);
  {
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) hist[fill[cx.code[i]]++] = TxT{normalized_tx(x[i], t_x[i]), T[i] + 0.0};
  }
  auto less = [](const TxT& l, const TxT& r) { return l.tx != r.tx ? l.tx < r.tx : l.T < r.T; };
  parallel_slots(buckets, pass_slots(buckets), [&](std::size_t lo, std::size_t hi, std::size_t) {
    for (std::size_t b = lo; b < hi; ++b) {
      if (start[b + 1] - start[b] > 1) std::sort(hist.begin() + start[b], hist.begin() + start[b + 1], less);
    }
  });
  // Merge identical neighbours within each x group.
  data.per_row = true;
  data.rows.reserve(n);
  data.tx_values.reserve(n);
  data.T_values.reserve(n);
  for (std::size_t k = 0, p = 0; k < nx; ++k) {
    const std::size_t group_end = p + size[k];
    while (p < group_end) {
      std::size_t q = p + 1;
      while (q < group_end && hist[q].tx == hist[p].tx && hist[q].T == hist[p].T) ++q;
      const auto row = static_cast<std::uint32_t>(data.rows.size());
      data.rows.push_back(BgNbdRow{static_cast<std::uint32_t>(k), row, row, static_cast<double>(q - p)});
      data.tx_values.push_back(hist[p].tx);
      data.T_values.push_back(hist[p].T);
      p = q;
    }
  }
}

/// Tables of distinct values turned into one entry per row (the same rows, the other layout).
void to_per_row(BgNbdData& data) {
  std::vector<double> tx(data.rows.size()), T(data.rows.size());
  for (std::size_t k = 0; k < data.rows.size(); ++k) {
    BgNbdRow& row = data.rows[k];
    tx[k] = data.tx_values[row.itx];
    T[k] = data.T_values[row.iT];
    row.itx = row.iT = static_cast<std::uint32_t>(k);
  }
  data.tx_values = std::move(tx);
  data.T_values = std::move(T);
  data.per_row = true;
}

}  // namespace

BgNbdData compress_bgnbd(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                         BgNbdLayout layout) {
  return compress_bgnbd(x, t_x, T, {}, layout);
}

BgNbdData compress_bgnbd(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                         std::span<const double> weight, BgNbdLayout layout) {
  BgNbdData data;
  data.customers = validate_weights(weight, x.size(), "fit_bgnbd");
  data.repeat_buyers = validate_bgnbd(x, t_x, T, weight);
  const bool per_row =
      layout == BgNbdLayout::per_row || (layout == BgNbdLayout::automatic && mostly_distinct(T, weight));
  if (per_row && weight.empty()) {
    compress_per_row(data, x, t_x, T);
  } else {
    compress_by_tables(data, x, t_x, T, weight);
    if (per_row) to_per_row(data);
  }
  return data;
}

BgNbdData sample_bgnbd(const BgNbdData& data, std::size_t stride) {
  BgNbdData out;
  out.per_row = data.per_row;
  out.x_values = data.x_values;
  out.x_weight.assign(data.x_values.size(), 0.0);
  if (!data.per_row) {
    out.tx_values = data.tx_values;
    out.T_values = data.T_values;
  }
  const std::size_t step = std::max<std::size_t>(stride, 1);
  double customers = 0, repeat = 0;
  for (std::size_t k = 0; k < data.rows.size(); k += step) {
    BgNbdRow row = data.rows[k];
    if (data.per_row) {
      const auto at = static_cast<std::uint32_t>(out.rows.size());
      out.tx_values.push_back(data.tx_values[row.itx]);
      out.T_values.push_back(data.T_values[row.iT]);
      row.itx = row.iT = at;
    }
    out.x_weight[row.ix] += row.weight;
    customers += row.weight;
    if (data.x_values[row.ix] > 0) repeat += row.weight;
    out.rows.push_back(row);
  }
  out.customers = static_cast<std::size_t>(customers);
  out.repeat_buyers = static_cast<std::size_t>(repeat);
  return out;
}

namespace {

/// What one BG/NBD likelihood pass needs besides the rows: the parameters, per distinct x
/// s = r + x, log(a/(b+x-1)) and 1/(b+x-1), and (table layout) per t_x / T table entry
/// log(alpha + .) and 1/(alpha + .).
struct BgTerms {
  double alpha = 0, a_inv = 0;
  std::vector<double> s, lab, ib;
  std::vector<double> lT, iT, ltx, itx;
  bool want_g = false, want_h = false;
};

BgTerms bgnbd_terms(const BgNbdData& data, double r, double alpha, double b, double log_a, double a_inv, bool want_g,
                    bool want_h) {
  BgTerms t;
  t.alpha = alpha;
  t.a_inv = a_inv;
  t.want_g = want_g;
  t.want_h = want_h;
  if (!data.per_row && data.rows.size() < kLargeRows) {
    const std::size_t nT = data.T_values.size();
    const std::size_t ntx = data.tx_values.size();
    t.lT.resize(nT);
    t.iT.resize(nT);
    t.ltx.resize(ntx);
    t.itx.resize(ntx);
    for (std::size_t k = 0; k < nT; ++k) {
      t.lT[k] = std::log(alpha + data.T_values[k]);
      t.iT[k] = 1.0 / (alpha + data.T_values[k]);
    }
    for (std::size_t k = 0; k < ntx; ++k) {
      t.ltx[k] = std::log(alpha + data.tx_values[k]);
      t.itx[k] = 1.0 / (alpha + data.tx_values[k]);
    }
  }
  const std::size_t nx = data.x_values.size();
  t.s.resize(nx);
  t.lab.resize(nx);
  t.ib.resize(nx);
  for (std::size_t k = 0; k < nx; ++k) {
    const double xv = data.x_values[k];
    t.s[k] = r + xv;
    if (xv > 0) {
      t.ib[k] = 1.0 / (b + xv - 1.0);
      t.lab[k] = log_a - std::log(b + xv - 1.0);
    }
  }
  return t;
}

/// log(alpha + v) and 1/(alpha + v) for table entry `k`: computed from the entry's value `values[k]`
/// (`PerRow`), or read from the tables of them. The same expressions, so the same bits.
template <bool PerRow>
std::pair<double, double> log_and_inverse(double alpha, const double* values, const std::vector<double>& logs,
                                          const std::vector<double>& inverses, std::size_t k) {
  if constexpr (PerRow) {
    return {std::log(alpha + values[k]), 1.0 / (alpha + values[k])};
  } else {
    return {logs[k], inverses[k]};
  }
}

/// Adds the contributions of rows [begin, end) to `loc`:
/// log[(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)] and its derivatives in
/// (r, alpha, a, b). `PerRow`: log(alpha + .) and 1/(alpha + .) are computed per row (the same
/// expressions as the tables hold, so the same bits).
template <bool PerRow>
void bgnbd_rows(const BgNbdData& data, const BgTerms& t, std::size_t begin, std::size_t end, BgAccum& loc) {
  const double alpha = t.alpha, a_inv = t.a_inv;
  const bool want_g = t.want_g, want_h = t.want_h;
  const BgNbdRow* rows = data.rows.data();
  const double* Tv = data.T_values.data();
  const double* txv = data.tx_values.data();
  for (std::size_t i = begin; i < end; ++i) {
    const BgNbdRow& row = rows[i];
    const double w = row.weight;
    const double sx = t.s[row.ix];
    const auto [lt, it] = log_and_inverse<PerRow>(alpha, Tv, t.lT, t.iT, row.iT);
    if (data.x_values[row.ix] == 0) {
      loc.f -= w * sx * lt;
      if (want_g) {
        loc.g[0] -= w * lt;
        loc.g[1] -= w * sx * it;
        loc.h[1] -= w * it;
        loc.h[4] += w * sx * it * it;
      }
      continue;
    }
    const auto [lx, ix] = log_and_inverse<PerRow>(alpha, txv, t.ltx, t.itx, row.itx);
    const double u1 = -sx * lt;
    const double u2 = t.lab[row.ix] - sx * lx;
    // e = exp(lo - hi) of the two terms; the larger one's weight is 1 / (1 + e).
    const bool second = u2 > u1;
    const double hi = second ? u2 : u1;
    const double e = std::exp(second ? u1 - u2 : u2 - u1);
    loc.f += w * (hi + std::log1p(e));
    if (!want_g) continue;
    const double w_hi = 1.0 / (1.0 + e);
    const double w_lo = e * w_hi;
    const double w1 = second ? w_lo : w_hi;
    const double w2 = second ? w_hi : w_lo;
    const double bi = t.ib[row.ix];
    // gradient of u1: (-lt, -s it, 0, 0); of u2: (-lx, -s ix, 1/a, -1/(b+x-1)).
    const std::array<double, 4> d = {lx - lt, sx * (ix - it), -a_inv, bi};  // grad u1 - grad u2
    loc.g[0] += w * (-lx + w1 * d[0]);
    loc.g[1] += w * (-sx * ix + w1 * d[1]);
    loc.g[2] += w * w2 * a_inv;
    loc.g[3] -= w * w2 * bi;
    if (!want_h) continue;
    const double k = w * w1 * w2;
    loc.h[0] += k * d[0] * d[0];
    loc.h[1] += k * d[0] * d[1] - w * (w1 * it + w2 * ix);
    loc.h[2] += k * d[0] * d[2];
    loc.h[3] += k * d[0] * d[3];
    loc.h[4] += k * d[1] * d[1] + w * sx * (w1 * it * it + w2 * ix * ix);
    loc.h[5] += k * d[1] * d[2];
    loc.h[6] += k * d[1] * d[3];
    loc.h[7] += k * d[2] * d[2] - w * w2 * a_inv * a_inv;
    loc.h[8] += k * d[2] * d[3];
    loc.h[9] += k * d[3] * d[3] + w * w2 * bi * bi;
  }
}

/// The sums of `bgnbd_rows` over rows [begin, end), four rows side by side, with the logarithms
/// and exponentials of lanes.hpp (a few ulp from the C library's, and the sums are grouped
/// differently: the same optimum to rounding, not the same bits). log1p(e) is
/// log(1 + e) - ((1 + e) - 1 - e) / (1 + e). Rows with x = 0 (a prefix: rows are sorted by x)
/// reduce to three sums over T.
RAPPORT_AVX2_CLONE void bgnbd_rows_lanes(const BgNbdData& data, const BgTerms& t, std::size_t begin, std::size_t end,
                                         BgAccum& loc) {
  using lanes::V;
  const BgNbdRow* rows = data.rows.data();
  const double* Tv = data.T_values.data();
  const double* txv = data.tx_values.data();
  const bool has_zero = !data.x_values.empty() && data.x_values[0] == 0;
  std::size_t zero_end = begin;
  if (has_zero) {
    zero_end = static_cast<std::size_t>(
        std::partition_point(rows + begin, rows + end, [](const BgNbdRow& r) { return r.ix == 0; }) - rows);
  }
  const V alpha = lanes::splat(t.alpha);
  // x = 0: sum w log(alpha+T), sum w / (alpha+T), sum w / (alpha+T)^2.
  V A{}, B{}, C{};
  for (std::size_t i = begin; i < zero_end; i += 4) {
    V w{}, T{};
    for (std::size_t j = 0; j < 4; ++j) {
      const std::size_t k = i + j < zero_end ? i + j : zero_end - 1;
      w[j] = i + j < zero_end ? rows[k].weight : 0.0;
      T[j] = Tv[rows[k].iT];
    }
    const V at = alpha + T;
    const V lt = lanes::log(at);
    const V it = 1.0 / at;
    A += w * lt;
    B += w * it;
    C += w * it * it;
  }
  if (zero_end > begin) {
    const double r = t.s[0];
    const double a = (A[0] + A[1]) + (A[2] + A[3]);
    const double b = (B[0] + B[1]) + (B[2] + B[3]);
    const double c = (C[0] + C[1]) + (C[2] + C[3]);
    loc.f -= r * a;
    loc.g[0] -= a;
    loc.g[1] -= r * b;
    loc.h[1] -= b;
    loc.h[4] += r * c;
  }
  const V a_inv = lanes::splat(t.a_inv);
  V F{}, G0{}, G1{}, G2{}, G3{}, H0{}, H1{}, H2{}, H3{}, H4{}, H5{}, H6{}, H7{}, H8{}, H9{};
  for (std::size_t i = zero_end; i < end; i += 4) {
    V w{}, T{}, tx{}, sx{}, lab{}, bi{};
    for (std::size_t j = 0; j < 4; ++j) {
      const std::size_t k = i + j < end ? i + j : end - 1;
      const BgNbdRow& row = rows[k];
      w[j] = i + j < end ? row.weight : 0.0;
      T[j] = Tv[row.iT];
      tx[j] = txv[row.itx];
      sx[j] = t.s[row.ix];
      lab[j] = t.lab[row.ix];
      bi[j] = t.ib[row.ix];
    }
    const V at = alpha + T, ax = alpha + tx;
    const V lt = lanes::log(at), lx = lanes::log(ax);
    const V it = 1.0 / at, ix = 1.0 / ax;
    const V u1 = -sx * lt;
    const V u2 = lab - sx * lx;
    const auto second = u2 > u1;
    const V hi = lanes::select(second, u2, u1);
    const V e = lanes::exp_nonpositive(lanes::select(second, u1 - u2, u2 - u1));
    const V u = 1.0 + e;
    const V w_hi = 1.0 / u;
    F += w * (hi + (lanes::log(u) - ((u - 1.0) - e) * w_hi));
    const V w_lo = e * w_hi;
    const V w1 = lanes::select(second, w_lo, w_hi);
    const V w2 = lanes::select(second, w_hi, w_lo);
    const V d0 = lx - lt, d1 = sx * (ix - it), d2 = -a_inv, d3 = bi;
    G0 += w * (-lx + w1 * d0);
    G1 += w * (-sx * ix + w1 * d1);
    G2 += w * w2 * a_inv;
    G3 -= w * w2 * bi;
    const V k = w * w1 * w2;
    H0 += k * d0 * d0;
    H1 += k * d0 * d1 - w * (w1 * it + w2 * ix);
    H2 += k * d0 * d2;
    H3 += k * d0 * d3;
    H4 += k * d1 * d1 + w * sx * (w1 * it * it + w2 * ix * ix);
    H5 += k * d1 * d2;
    H6 += k * d1 * d3;
    H7 += k * d2 * d2 - w * w2 * a_inv * a_inv;
    H8 += k * d2 * d3;
    H9 += k * d3 * d3 + w * w2 * bi * bi;
  }
  auto sum = [](const V& v) { return (v[0] + v[1]) + (v[2] + v[3]); };
  loc.f += sum(F);
  const std::array<V, 4> G = {G0, G1, G2, G3};
  for (std::size_t k = 0; k < 4; ++k) loc.g[k] += sum(G[k]);
  const std::array<V, 10> H = {H0, H1, H2, H3, H4, H5, H6, H7, H8, H9};
  for (std::size_t k = 0; k < 10; ++k) loc.h[k] += sum(H[k]);
}
}  // namespace

double bgnbd_objective(const BgNbdData& data, const Eigen::Vector4d& theta, Eigen::Vector4d* grad,
                       Eigen::Matrix4d* hess) {
  using boost::math::digamma;
  using boost::math::trigamma;
  const double r = std::exp(theta[0]);
  const double alpha = std::exp(theta[1]);
  const double a = std::exp(theta[2]);
  const double b = std::exp(theta[3]);
  const double log_a = theta[2];
  const double a_inv = 1.0 / a;
  const bool want_g = grad != nullptr || hess != nullptr;
  const bool want_h = hess != nullptr;
  const std::size_t nx = data.x_values.size();
  const BgTerms terms = bgnbd_terms(data, r, alpha, b, log_a, a_inv, want_g, want_h);

  std::array<BgAccum, 2> acc{};
  parallel_slots(data.rows.size(), pass_slots(data.rows.size()),
                 [&](std::size_t begin, std::size_t end, std::size_t slot) {
                   BgAccum loc;
                   if (data.rows.size() >= kLargeRows) {
                     bgnbd_rows_lanes(data, terms, begin, end, loc);
                   } else if (data.per_row) {
                     bgnbd_rows<true>(data, terms, begin, end, loc);
                   } else {
                     bgnbd_rows<false>(data, terms, begin, end, loc);
                   }
                   acc[slot] = loc;
                 });
  BgAccum tot = acc[0];
  tot.f += acc[1].f;
  for (std::size_t k = 0; k < 4; ++k) tot.g[k] += acc[1].g[k];
  for (std::size_t k = 0; k < 10; ++k) tot.h[k] += acc[1].h[k];

  // Terms depending on x only: lgamma(r+x) - lgamma(r) + r log(alpha) + lbeta(a, b+x) - lbeta(a, b).
  const double log_alpha = theta[1];
  const double lg_r = rapport::detail::log_gamma(r), lg_b = rapport::detail::log_gamma(b),
               lg_ab = rapport::detail::log_gamma(a + b);
  double dg_r = 0, dg_b = 0, dg_ab = 0, tg_r = 0, tg_b = 0, tg_ab = 0;
  if (want_g) {
    dg_r = digamma(r);
    dg_b = digamma(b);
    dg_ab = digamma(a + b);
  }
  if (want_h) {
    tg_r = trigamma(r);
    tg_b = trigamma(b);
    tg_ab = trigamma(a + b);
  }
  double W = 0;
  for (std::size_t k = 0; k < nx; ++k) {
    const double Wx = data.x_weight[k];
    const double xv = data.x_values[k];
    W += Wx;
    if (xv == 0) continue;
    tot.f += Wx * (rapport::detail::log_gamma(r + xv) - lg_r + rapport::detail::log_gamma(b + xv) - lg_b -
                   rapport::detail::log_gamma(a + b + xv) + lg_ab);
    if (want_g) {
      const double dabx = dg_ab - digamma(a + b + xv);
      tot.g[0] += Wx * (digamma(r + xv) - dg_r);
      tot.g[2] += Wx * dabx;
      tot.g[3] += Wx * (digamma(b + xv) - dg_b + dabx);
    }
    if (want_h) {
      const double tabx = tg_ab - trigamma(a + b + xv);
      tot.h[0] += Wx * (trigamma(r + xv) - tg_r);
      tot.h[7] += Wx * tabx;
      tot.h[8] += Wx * tabx;
      tot.h[9] += Wx * (trigamma(b + xv) - tg_b + tabx);
    }
  }
  tot.f += W * r * log_alpha;
  tot.g[0] += W * log_alpha;
  tot.g[1] += W * r / alpha;
  tot.h[1] += W / alpha;
  tot.h[4] -= W * r / (alpha * alpha);

  // Chain rule to log-parameters.
  const std::array<double, 4> p = {r, alpha, a, b};
  if (grad != nullptr) {
    for (std::size_t i = 0; i < 4; ++i) (*grad)[static_cast<Eigen::Index>(i)] = p[i] * tot.g[i];
  }
  if (hess != nullptr) {
    for (std::size_t i = 0; i < 4; ++i) {
      for (std::size_t j = 0; j < 4; ++j) {
        double v = p[i] * p[j] * tot.h[static_cast<std::size_t>(kUpper4[i][j])];
        if (i == j) v += p[i] * tot.g[i];
        (*hess)(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
      }
    }
  }
  return tot.f;
}

// ---------------------------------------------------------------------------------------------
// Gamma-Gamma
// ---------------------------------------------------------------------------------------------

GammaGammaData compress_gamma_gamma(std::span<const double> x, std::span<const double> m) {
  return compress_gamma_gamma(x, m, {});
}

GammaGammaData compress_gamma_gamma(std::span<const double> x, std::span<const double> m,
                                    std::span<const double> weights) {
  if (x.size() != m.size()) {
    throw UsageError("Gamma-Gamma input spans differ in length: x " + std::to_string(x.size()) + ", m " +
                     std::to_string(m.size()));
  }
  validate_weights(weights, x.size(), "fit_gamma_gamma");
  std::vector<double> xs;
  std::vector<double> ms;
  std::vector<double> ws;
  double customers = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(m[i]) && x[i] >= 1 && m[i] > 0) {
      xs.push_back(x[i]);
      ms.push_back(m[i]);
      ws.push_back(weight_of(weights, i));
      customers += ws.back();
    }
  }
  GammaGammaData data;
  data.customers = static_cast<std::size_t>(customers);
  Column cx = encode_column(xs);
  data.x_values = std::move(cx.values);
  data.x_weight.assign(data.x_values.size(), 0.0);
  KeyTable<Key2, Key2Hash> index;
  std::vector<double> weight;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    data.x_weight[cx.code[i]] += ws[i];
    const std::uint32_t k = index.insert(Key2{cx.code[i], double_key(ms[i])});
    if (k == weight.size()) {
      weight.push_back(ws[i]);
    } else {
      weight[k] += ws[i];
    }
  }
  const auto& keys = index.keys();
  data.rows.resize(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) {
    GammaGammaRow& row = data.rows[k];
    row.ix = static_cast<std::uint32_t>(keys[k].a);
    row.m = std::bit_cast<double>(keys[k].b);
    row.log_m = std::log(row.m);
    row.weight = weight[k];
  }
  // Sort by (x, m) so that the summation order does not depend on the input order.
  std::sort(data.rows.begin(), data.rows.end(),
            [](const GammaGammaRow& l, const GammaGammaRow& r) { return l.ix != r.ix ? l.ix < r.ix : l.m < r.m; });
  return data;
}

double gamma_gamma_objective(const GammaGammaData& data, const Eigen::Vector3d& theta, Eigen::Vector3d* grad,
                             Eigen::Matrix3d* hess) {
  using boost::math::digamma;
  using boost::math::trigamma;
  const double p = std::exp(theta[0]);
  const double q = std::exp(theta[1]);
  const double gam = std::exp(theta[2]);
  const double log_gam = theta[2];
  const std::size_t nx = data.x_values.size();

  // Per-x sums over rows: sum w log m, sum w log(gamma + m x), sum w/(gamma+mx), sum w/(gamma+mx)^2.
  struct XSums {
    double lm = 0, lD = 0, iD = 0, iD2 = 0;
  };
  std::array<std::vector<XSums>, 2> sums{std::vector<XSums>(nx), std::vector<XSums>(nx)};
  parallel_slots(data.rows.size(), pass_slots(data.rows.size()),
                 [&](std::size_t begin, std::size_t end, std::size_t slot) {
                   std::vector<XSums>& loc = sums[slot];
                   for (std::size_t i = begin; i < end; ++i) {
                     const GammaGammaRow& row = data.rows[i];
                     const double D = gam + row.m * data.x_values[row.ix];
                     const double iD = 1.0 / D;
                     XSums& sx = loc[row.ix];
                     sx.lm += row.weight * row.log_m;
                     sx.lD += row.weight * std::log(D);
                     sx.iD += row.weight * iD;
                     sx.iD2 += row.weight * iD * iD;
                   }
                 });

  const double lg_q = rapport::detail::log_gamma(q);
  const double dg_q = digamma(q);
  const double tg_q = hess != nullptr ? trigamma(q) : 0.0;
  double f = 0;
  std::array<double, 3> g{};
  std::array<double, 6> h{};  // pp, pq, pg, qq, qg, gg
  for (std::size_t k = 0; k < nx; ++k) {
    const double x = data.x_values[k];
    const double Wx = data.x_weight[k];
    const double lm = sums[0][k].lm + sums[1][k].lm;
    const double lD = sums[0][k].lD + sums[1][k].lD;
    const double iD = sums[0][k].iD + sums[1][k].iD;
    const double iD2 = sums[0][k].iD2 + sums[1][k].iD2;
    const double px = p * x;
    const double sv = px + q;
    const double log_x = std::log(x);
    f += Wx * (rapport::detail::log_gamma(sv) - rapport::detail::log_gamma(px) - lg_q + q * log_gam + px * log_x) +
         (px - 1.0) * lm - sv * lD;
    if (grad == nullptr && hess == nullptr) continue;
    const double dg_s = digamma(sv);
    g[0] += x * (Wx * (dg_s - digamma(px) + log_x) + lm - lD);
    g[1] += Wx * (dg_s - dg_q + log_gam) - lD;
    g[2] += Wx * q / gam - sv * iD;
    if (hess == nullptr) continue;
    const double tg_s = trigamma(sv);
    h[0] += Wx * x * x * (tg_s - trigamma(px));
    h[1] += Wx * x * tg_s;
    h[2] -= x * iD;
    h[3] += Wx * (tg_s - tg_q);
    h[4] += Wx / gam - iD;
    h[5] += -Wx * q / (gam * gam) + sv * iD2;
  }
  const std::array<double, 3> pv = {p, q, gam};
  if (grad != nullptr) {
    for (std::size_t i = 0; i < 3; ++i) (*grad)[static_cast<Eigen::Index>(i)] = pv[i] * g[i];
  }
  if (hess != nullptr) {
    constexpr std::array<std::array<int, 3>, 3> idx = {{{0, 1, 2}, {1, 3, 4}, {2, 4, 5}}};
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 3; ++j) {
        double v = pv[i] * pv[j] * h[static_cast<std::size_t>(idx[i][j])];
        if (i == j) v += pv[i] * g[i];
        (*hess)(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
      }
    }
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Conditional expectation
// ---------------------------------------------------------------------------------------------

namespace {

// The Euler-transformed series below needs about |a+b-1-r| + a terms before its terms start to
// shrink, then about 40 / (1 - z) more; past this many it is replaced by the quadrature.
constexpr double kMaxSeriesTerms = 4000;
// Its largest term is about (1-z)^-(a-1) = exp(-y): past this exponent the sum would overflow
// (or cancel against `first` to nothing), so the quadrature takes over there too.
constexpr double kMaxSeriesLogScale = 300;

// Where the series' parts or terms cancel to below this fraction of the largest one (r -> 0 with a
// short horizon; a + b + x < 1 with large r), too many digits are lost: the quadrature takes over.
constexpr double kMaxSeriesCancellation = 1e4;

/// The Euler-transformed series' value and the larger of its two parts (rounding scale).
struct SeriesValue {
  double value = 0;  ///< E[X(horizon) | alive]
  double scale = 0;  ///< its rounding error is ~1e-16 * scale
};

/// E[X(horizon) | alive] by the Euler-transformed Gauss series (fast and exact to rounding when
/// it needs few terms). z = horizon / (alpha + T + horizon), L = log(1 - z).
SeriesValue expected_if_alive_series(const BgNbdParams& params, double x, double z, double L) {
  const double r = params.r, a = params.a, b = params.b;
  const double eps = a - 1.0;
  const double y = eps * L;
  // [1 - (1-z)^(a-1)] / (a-1), continuous through a = 1.
  const double ratio = std::abs(y) < 1e-5 ? 1.0 + y * (0.5 + y / 6.0) : std::expm1(y) / y;
  const double c = a + b + x - 1.0;
  const double first = -L * ratio * c;
  // c * [2F1(a+b-1-r, a-1; c; z) - 1] / (a-1) = sum_{n>=1} (ap)_n (a)_{n-1} / ((c+1)_{n-1} n!) z^n
  const double ap = a + b - 1.0 - r;
  const double kslope = std::abs(a - r - x - 2.0);  // asymptotic ratio ~ z (1 + k/n)
  double term = ap * z;
  double sum = term;
  double peak = std::abs(term);  // the sum's rounding scale (its terms alternate when ap < 0)
  const long max_terms = 4 * static_cast<long>(kMaxSeriesTerms);  // never reached (see caller)
  for (long n = 1; n < max_terms; ++n) {
    const double nd = static_cast<double>(n);
    const double rho = (ap + nd) * (a + nd - 1.0) / ((c + nd) * (nd + 1.0)) * z;
    term *= rho;
    sum += term;
    peak = std::max(peak, std::abs(term));
    const double bound = std::max(std::abs(rho), z) * (1.0 + kslope / (nd + 1.0));
    if (bound < 1.0 && nd > std::abs(ap) + a + 1.0 &&
        std::abs(term) * bound / (1.0 - bound) <= 1e-17 * (std::abs(first) + std::abs(sum))) {
      break;
    }
    if (term == 0.0) break;
  }
  const double tail = std::exp(y) * sum;
  return {first - tail, std::max({std::abs(first), std::abs(tail), std::exp(y) * peak})};
}

/// log(1 - p0 + p0 e^d) for p0 = exp(lp0) in (0, 1), 1 - p0 = exp(lq0), any real d.
double log_mix(double lp0, double lq0, double d) {
  if (std::abs(d) < 1.0) return std::log1p(std::exp(lp0) * std::expm1(d));
  const double u = lp0 + d;
  const double hi = std::max(u, lq0), lo = std::min(u, lq0);
  return hi + std::log1p(std::exp(lo - hi));
}

/// E[X(horizon) | alive] from its integral over the posterior dropout probability
/// p ~ Beta(a, b+x): E = E_p[(1 - (1 + p u)^-(r+x)) / p] with u = horizon / (alpha + T). In
/// v = logit(p) the Beta density is log-concave with mode v0 = log(a / (b+x)) and width
/// sqrt(1/a + 1/(b+x)); the trapezoidal rule runs on v = v0 + s sinh(w) (double-exponential
/// tails), and the density is normalised by the same rule, so no Beta function is needed. Every
/// term is positive: no cancellation, at most 2 * 40 * 64 + 1 evaluations, bounded for any input.
double expected_if_alive_quadrature(const BgNbdParams& params, double x, double u) {
  const double a = params.a, beta = params.b + x, s = params.r + x;
  const double lsum = std::log(a + beta);
  const double lp0 = std::log(a) - lsum, lq0 = std::log(beta) - lsum;
  const double scale = std::min(1.0, std::sqrt(1.0 / a + 1.0 / beta));
  const double k_max = s * u;  // (1 - (1 + p u)^-s) / p <= s u
  const double unit = std::isfinite(k_max) ? k_max : std::isfinite(u) ? u : 1.0;
  const double cap = s * (u / unit);  // k_max in that unit
  constexpr double kStep = 1.0 / 64, kMaxW = 40;
  double mass = 0, total = 0;
  // Log of the density relative to its mode at offset d = v - v0, and the integrand's p-part.
  auto node = [&](double w) {
    const double d = scale * std::sinh(w);
    const double g = log_mix(lp0, lq0, d);
    const double dens = std::exp(a * d - (a + beta) * g) * std::cosh(w);
    const double p = std::exp(lp0 + d - g);
    // k in units of k_max (of u when s u overflows): the sums cannot overflow.
    const double k = p > 0 ? -std::expm1(-s * std::log1p(p * u)) / p / unit : cap;
    if (dens > 0) {
      mass += dens;
      total += dens * std::min(k, cap);
    }
    return dens;
  };
  node(0.0);
  for (const double dir : {1.0, -1.0}) {
    for (double w = kStep; w <= kMaxW; w += kStep) {
      const double dens = node(dir * w);
      // The density decreases away from the mode and k / k_max <= 1: the rest is negligible.
      if (dens * cap <= 1e-20 * total) break;
    }
  }
  return unit * (total / mass);
}

}  // namespace

double bgnbd_expected_purchases_if_alive(const BgNbdParams& params, double horizon, double x, double T) {
  if (!(horizon > 0)) return horizon == 0 ? 0.0 : kNaN;
  const double alpha = params.alpha, a = params.a, b = params.b, r = params.r;
  const double z = horizon / (alpha + T + horizon);
  const double L = -std::log1p(horizon / (alpha + T));  // log(1 - z)
  // Terms the series needs: the rising factors dominate up to n ~ |a+b-1-r| + a, then the
  // geometric tail in z takes ~40 / -log(z) < 40 / (1 - z) = 40 (alpha+T+horizon)/(alpha+T).
  const double terms = std::abs(a + b - 1.0 - r) + a + 40.0 / std::exp(L);
  if (terms <= kMaxSeriesTerms && (a - 1.0) * L >= -kMaxSeriesLogScale) {
    const SeriesValue series = expected_if_alive_series(params, x, z, L);
    if (series.scale <= kMaxSeriesCancellation * std::abs(series.value)) return series.value;
  }
  return expected_if_alive_quadrature(params, x, horizon / (alpha + T));
}

double p_alive_given(const BgNbdParams& params, double log_ab, double x, double t_x, double T) {
  // log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)
  const double l = log_ab + (params.r + x) * std::log1p((T - t_x) / (params.alpha + t_x));
  if (l > 0) {
    const double e = std::exp(-l);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(l));
}

namespace {

/// Direct-mapped memo of a pure function of two doubles, keyed by their exact bit patterns (a
/// hit returns the very value the function gave, so results do not depend on what is cached).
class PairMemo {
public:
  explicit PairMemo(std::size_t rows) {
    const std::size_t size = std::bit_ceil(std::clamp<std::size_t>(rows, 64, std::size_t{1} << 15U));
    slots_.resize(size);
    mask_ = size - 1;
  }

  /// fn() for (u, v), from the memo when it holds that pair. After 4096 look-ups with fewer
  /// than one hit in eight (real-valued data: nearly every pair distinct) it stops memoising.
  template <class Fn>
  double get(double u, double v, Fn&& fn) {
    if (bypass_) return fn();
    const auto ku = std::bit_cast<std::uint64_t>(u), kv = std::bit_cast<std::uint64_t>(v);
    Slot& slot = slots_[mix64(ku ^ mix64(kv)) & mask_];
    if (slot.used && slot.u == ku && slot.v == kv) {
      ++hits_;
      return slot.value;
    }
    if (++misses_ == 4096 && 8 * hits_ < misses_) bypass_ = true;
    slot = Slot{ku, kv, fn(), true};
    return slot.value;
  }

private:
  struct Slot {
    std::uint64_t u = 0, v = 0;
    double value = 0;
    bool used = false;
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t hits_ = 0, misses_ = 0;
  bool bypass_ = false;
};

}  // namespace

void predict_bgnbd(const BgNbdParams& params, double horizon, const double* x, const double* t_x, const double* T,
                   double* p_alive, double* expected_purchases, std::size_t n, unsigned threads) {
  parallel_for(n, threads, [&](std::size_t lo, std::size_t hi) {
    // E[X | alive] depends on (x, T) only and log(a) - log(b+x-1) on x only: few distinct values
    // in whole-day data. Both are memoised by exact bits, so every row gets the per-row
    // functions' value.
    PairMemo if_alive(hi - lo), log_ab(64);
    const double log_a = std::log(params.a);
    for (std::size_t i = lo; i < hi; ++i) {
      const double xi = x[i];
      double pa = 1.0;
      if (xi > 0) {
        const double lab = log_ab.get(xi, 0.0, [&] { return log_a - std::log(params.b + xi - 1.0); });
        pa = p_alive_given(params, lab, xi, t_x[i], T[i]);
      }
      if (p_alive != nullptr) p_alive[i] = pa;
      if (expected_purchases != nullptr) {
        const double e =
            if_alive.get(xi, T[i], [&] { return bgnbd_expected_purchases_if_alive(params, horizon, xi, T[i]); });
        expected_purchases[i] = e * pa;
      }
    }
  });
}

}  // namespace rapport::detail

namespace rapport {

namespace {

std::string fit_context(const char* what, std::size_t customers, std::size_t rows) {
  return std::string(what) + " (" + std::to_string(customers) + " customers, " + std::to_string(rows) +
         " distinct rows)";
}

/// Damped Newton in log-parameters from each start in turn; the first start that converges
/// wins. When none does, `failure` describes the first attempt: why it stopped, after how many
/// iterations and where (`names` label the parameters).
template <int N, class Objective>
std::optional<detail::NewtonResult<N>> maximize_from_starts(Objective&& objective,
                                                            const std::array<std::array<double, N>, 3>& starts,
                                                            const FitOptions& options,
                                                            const std::array<const char*, N>& names,
                                                            std::string& failure) {
  for (const auto& st : starts) {
    Eigen::Matrix<double, N, 1> th0;
    for (int k = 0; k < N; ++k) th0[k] = std::log(st[static_cast<std::size_t>(k)]);
    detail::NewtonResult<N> res = detail::newton_maximize<N>(objective, th0, options);
    if (res.converged) return res;
    if (failure.empty()) {
      failure = res.failure + " after " + std::to_string(res.iterations) + " iterations, max |gradient| " +
                detail::format_double(res.max_gradient) + " at ";
      for (int k = 0; k < N; ++k)
        failure += std::string(k ? ", " : "") + names[static_cast<std::size_t>(k)] + "=" +
                   detail::format_double(std::exp(res.theta[k]));
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

// Data with at least detail::kLargeRows distinct histories are first fitted on every
// kSampleStride-th row (recursively), and the full fit starts from that optimum: a few Newton
// steps on all rows instead of the whole path from the standard starts.
constexpr std::size_t kSampleStride = 8;

/// Maximum-likelihood BG/NBD on compressed data: from a sample's optimum when the data are large
/// (falling back to the standard starts if that does not converge), else from the standard
/// starts. `failure` describes the standard starts' first failure.
std::optional<detail::NewtonResult<4>> fit_bgnbd_rows(const detail::BgNbdData& data, const FitOptions& options,
                                                      std::string& failure) {
  auto objective = [&](const Eigen::Vector4d& th, Eigen::Vector4d* g, Eigen::Matrix4d* h) {
    return detail::bgnbd_objective(data, th, g, h);
  };
  if (data.rows.size() >= detail::kLargeRows) {
    const detail::BgNbdData sample = detail::sample_bgnbd(data, kSampleStride);
    std::string sample_failure;
    if (sample.repeat_buyers > 0) {
      if (const auto warm = fit_bgnbd_rows(sample, options, sample_failure)) {
        detail::NewtonResult<4> res = detail::newton_maximize<4>(objective, warm->theta, options);
        if (res.converged) return res;
      }
    }
  }
  double mean_T = 0;
  for (const detail::BgNbdRow& row : data.rows) mean_T += row.weight * data.T_values[row.iT];
  mean_T /= static_cast<double>(data.customers);
  if (!(mean_T > 0)) mean_T = 1.0;
  const std::array<std::array<double, 4>, 3> starts = {
      {{1.0, mean_T, 1.0, 1.0}, {0.25, 0.25 * mean_T, 0.5, 2.0}, {4.0, 4.0 * mean_T, 2.0, 0.5}}};
  return maximize_from_starts<4>(objective, starts, options, {"r", "alpha", "a", "b"}, failure);
}

}  // namespace

BgNbdParams fit_bgnbd(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                      const FitOptions& options) {
  return fit_bgnbd_weighted(x, t_x, T, {}, options);
}

BgNbdParams fit_bgnbd_weighted(std::span<const double> x, std::span<const double> t_x, std::span<const double> T,
                               std::span<const double> weight, const FitOptions& options) {
  validate(options);
  const detail::BgNbdData data = detail::compress_bgnbd(x, t_x, T, weight);
  if (data.customers < options.min_customers) {
    throw FitError("fit_bgnbd: " + std::to_string(data.customers) + " customers, at least " +
                   std::to_string(options.min_customers) + " required");
  }
  if (data.repeat_buyers == 0) {
    throw FitError("fit_bgnbd: no repeat buyer (x >= 1) among " + std::to_string(data.customers) + " customers");
  }
  std::string failure;
  const auto best = fit_bgnbd_rows(data, options, failure);
  if (!best) {
    double zero_tx = 0;  // repeat buyers with t_x = 0 make the likelihood unbounded as alpha -> 0
    for (const detail::BgNbdRow& row : data.rows) {
      if (data.x_values[row.ix] > 0 && data.tx_values[row.itx] == 0) zero_tx += row.weight;
    }
    if (zero_tx > 0) {
      failure += "; note: " + detail::format_double(zero_tx) +
                 " customers have x >= 1 with t_x = 0, for which the likelihood grows without "
                 "bound as alpha -> 0";
    }
    throw FitError(fit_context("fit_bgnbd: did not converge", data.customers, data.rows.size()) + ": " + failure);
  }
  BgNbdParams out;
  out.r = std::exp(best->theta[0]);
  out.alpha = std::exp(best->theta[1]);
  out.a = std::exp(best->theta[2]);
  out.b = std::exp(best->theta[3]);
  out.log_likelihood = best->value;
  if (!std::isfinite(out.r) || !std::isfinite(out.alpha) || !std::isfinite(out.a) || !std::isfinite(out.b) ||
      !std::isfinite(out.log_likelihood)) {
    throw FitError(fit_context("fit_bgnbd: non-finite fitted parameters", data.customers, data.rows.size()));
  }
  return out;
}

GammaGammaParams fit_gamma_gamma(std::span<const double> x, std::span<const double> m, const FitOptions& options) {
  return fit_gamma_gamma_weighted(x, m, {}, options);
}

GammaGammaParams fit_gamma_gamma_weighted(std::span<const double> x, std::span<const double> m,
                                          std::span<const double> weight, const FitOptions& options) {
  validate(options);
  const detail::GammaGammaData data = detail::compress_gamma_gamma(x, m, weight);
  if (data.customers < options.min_customers || data.customers == 0) {
    const std::size_t total =
        weight.empty() ? x.size() : static_cast<std::size_t>(std::accumulate(weight.begin(), weight.end(), 0.0));
    throw FitError("fit_gamma_gamma: " + std::to_string(data.customers) + " of " + std::to_string(total) +
                   " customers qualify (x >= 1 and m > 0), at least " +
                   std::to_string(std::max<std::size_t>(options.min_customers, 1)) + " required");
  }
  double mean_m = 0;
  for (const detail::GammaGammaRow& row : data.rows) mean_m += row.weight * row.m;
  mean_m /= static_cast<double>(data.customers);

  auto objective = [&](const Eigen::Vector3d& th, Eigen::Vector3d* g, Eigen::Matrix3d* h) {
    return detail::gamma_gamma_objective(data, th, g, h);
  };
  // Starting points with p gamma / (q - 1) equal to the mean spend.
  const std::array<std::array<double, 3>, 3> starts = {
      {{1.0, 2.0, mean_m}, {4.0, 3.0, 0.5 * mean_m}, {0.5, 5.0, 8.0 * mean_m}}};
  std::string failure;
  const auto best = maximize_from_starts<3>(objective, starts, options, {"p", "q", "gamma"}, failure);
  if (!best) {
    throw FitError(fit_context("fit_gamma_gamma: did not converge", data.customers, data.rows.size()) + ": " + failure);
  }
  GammaGammaParams out;
  out.p = std::exp(best->theta[0]);
  out.q = std::exp(best->theta[1]);
  out.gamma = std::exp(best->theta[2]);
  out.log_likelihood = best->value;
  if (!std::isfinite(out.p) || !std::isfinite(out.q) || !std::isfinite(out.gamma) ||
      !std::isfinite(out.log_likelihood)) {
    throw FitError(fit_context("fit_gamma_gamma: non-finite fitted parameters", data.customers, data.rows.size()));
  }
  if (out.q <= 1.0) {
    throw FitError("fit_gamma_gamma: fitted q = " + detail::format_double(out.q) + " <= 1, expected spend undefined (" +
                   std::to_string(data.customers) + " customers)");
  }
  return out;
}

double bgnbd_log_likelihood(const BgNbdParams& params, double x, double t_x, double T) {
  const double r = params.r, alpha = params.alpha, a = params.a, b = params.b;
  const double s = r + x;
  const double head = rapport::detail::log_gamma(s) - rapport::detail::log_gamma(r) + r * std::log(alpha) +
                      rapport::detail::log_gamma(b + x) - rapport::detail::log_gamma(b) -
                      rapport::detail::log_gamma(a + b + x) + rapport::detail::log_gamma(a + b);
  const double u1 = -s * std::log(alpha + T);
  if (!(x > 0)) return head + u1;
  const double u2 = std::log(a) - std::log(b + x - 1.0) - s * std::log(alpha + t_x);
  const double hi = std::max(u1, u2);
  const double lo = std::min(u1, u2);
  return head + hi + std::log1p(std::exp(lo - hi));
}

double bgnbd_p_alive(const BgNbdParams& params, double x, double t_x, double T) {
  if (!(x > 0)) return 1.0;
  return detail::p_alive_given(params, std::log(params.a) - std::log(params.b + x - 1.0), x, t_x, T);
}

double bgnbd_expected_purchases(const BgNbdParams& params, double horizon, double x, double t_x, double T) {
  return detail::bgnbd_expected_purchases_if_alive(params, horizon, x, T) * bgnbd_p_alive(params, x, t_x, T);
}

double gamma_gamma_expected_spend(const GammaGammaParams& params, double x, double m) {
  const double px = x > 0 ? params.p * x : 0.0;
  const double denom = px + params.q - 1.0;
  if (!(denom > 0)) return std::numeric_limits<double>::quiet_NaN();
  const double num = x > 0 ? params.gamma + m * x : params.gamma;
  return num * params.p / denom;
}

}  // namespace rapport
