// rapport Python bindings: PageRank and Katz reach over integer edge arrays.
#include "common.hpp"

#include <algorithm>

namespace rapport_py {
namespace {

using Ids = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

/// Builds the CSR graph from two id arrays; `n` < 0 means max id + 1.
rapport::Digraph digraph(const Ids& sources, const Ids& targets, std::int64_t n) {
  if (sources.ndim() != 1 || targets.ndim() != 1) throw rapport::UsageError("sources and targets must be 1-D");
  if (sources.size() != targets.size()) throw rapport::UsageError("sources and targets differ in length");
  const auto m = static_cast<std::size_t>(sources.size());
  std::vector<std::uint32_t> s(m), t(m);
  std::int64_t top = -1;
  for (std::size_t i = 0; i < m; ++i) {
    const std::int64_t a = sources.data()[i], b = targets.data()[i];
    if (a < 0 || b < 0 || a > 0xFFFFFFFELL || b > 0xFFFFFFFELL)
      throw rapport::UsageError("node ids must be in [0, 2^32 - 1)");
    top = std::max({top, a, b});
    s[i] = static_cast<std::uint32_t>(a);
    t[i] = static_cast<std::uint32_t>(b);
  }
  if (n < 0) n = top + 1;
  if (top >= n) throw rapport::UsageError("a node id is >= n");
  py::gil_scoped_release release;
  return rapport::make_digraph(static_cast<std::size_t>(n), s, t);
}

py::tuple result(rapport::CentralityResult&& r) {
  return py::make_tuple(to_numpy(std::move(r.values)), r.iterations, r.residual);
}

}  // namespace

void init_graph(py::module_& m) {
  m.def(
      "_pagerank",
      [](const Ids& sources, const Ids& targets, std::int64_t n, double damping, double tolerance, int max_iterations,
         unsigned threads) {
        const auto g = digraph(sources, targets, n);
        rapport::PageRankOptions o;
        o.damping = damping;
        o.tolerance = tolerance;
        o.max_iterations = max_iterations;
        o.threads = threads;
        rapport::CentralityResult r;
        {
          py::gil_scoped_release release;
          r = rapport::pagerank(g, o);
        }
        return result(std::move(r));
      },
      py::arg("sources"), py::arg("targets"), py::arg("n"), py::arg("damping"), py::arg("tolerance"),
      py::arg("max_iterations"), py::arg("threads"));
  m.def(
      "_katz_reach",
      [](const Ids& sources, const Ids& targets, std::int64_t n, double beta, int max_depth, double tolerance,
         int max_iterations, unsigned threads) {
        const auto g = digraph(sources, targets, n);
        rapport::KatzOptions o;
        o.beta = beta;
        o.max_depth = max_depth;
        o.tolerance = tolerance;
        o.max_iterations = max_iterations;
        o.threads = threads;
        rapport::CentralityResult r;
        {
          py::gil_scoped_release release;
          r = rapport::katz_reach(g, o);
        }
        return result(std::move(r));
      },
      py::arg("sources"), py::arg("targets"), py::arg("n"), py::arg("beta"), py::arg("max_depth"), py::arg("tolerance"),
      py::arg("max_iterations"), py::arg("threads"));
}

}  // namespace rapport_py
