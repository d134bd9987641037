// Boost.Graph on rapport's referral graph: scores a customer base, then runs BGL algorithms on
// the referral graph the scores were computed from, in place (no copy into an adjacency_list).
// Usage: boost_graph [DIR]   (DIR holds customers.csv and referrals.csv; default examples/sample)
#include <rapport/graph/boost.hpp>
#include <rapport/rapport.hpp>

#include <boost/date_time/gregorian/gregorian.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/visitors.hpp>
#include <boost/property_map/property_map.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  const std::string dir = argc > 1 ? argv[1] : "examples/sample";
  const rapport::LoadResult loaded = rapport::load_csv(rapport::InputFiles::from_directory(dir));
  const rapport::CustomerBase& base = loaded.base;
  const rapport::ScoreResult result = rapport::score(base);
  const rapport::Digraph graph = rapport::referral_graph(base, result.as_of);
  std::printf("%zu people, %llu referrals before %s\n", num_vertices(graph),
              static_cast<unsigned long long>(num_edges(graph)),
              boost::gregorian::to_iso_extended_string(rapport::to_date(result.as_of)).c_str());

  // Referral cycles: strongly connected components of more than one person.
  std::vector<std::uint32_t> component(num_vertices(graph));
  const auto components = boost::strong_components(
      graph, boost::make_iterator_property_map(component.begin(), get(boost::vertex_index, graph)));
  std::vector<std::size_t> size(components, 0);
  for (const auto c : component) ++size[c];
  std::printf("%d strongly connected components, %zu of them referral cycles\n", components,
              static_cast<std::size_t>(std::count_if(size.begin(), size.end(), [](std::size_t s) { return s > 1; })));

  // Reach of the customer with the most referrals: everyone a breadth-first search from them
  // finds, at each distance.
  std::uint32_t top = 0;
  for (std::uint32_t v = 0; v < base.customer_count(); ++v)
    if (out_degree(v, graph) > out_degree(top, graph)) top = v;
  std::vector<std::uint32_t> dist(num_vertices(graph), rapport::no_index);
  dist[top] = 0;
  const auto distance = boost::make_iterator_property_map(dist.begin(), get(boost::vertex_index, graph));
  boost::breadth_first_search(
      graph, top, boost::visitor(boost::make_bfs_visitor(boost::record_distances(distance, boost::on_tree_edge()))));
  std::printf("customer %s referred %zu people directly; reach by distance:", base.person(top).c_str(),
              out_degree(top, graph));
  for (std::uint32_t d = 1;; ++d) {
    const auto at = std::count(dist.begin(), dist.end(), d);
    if (at == 0) break;
    std::printf(" %u:%td", d, at);
  }
  std::printf(" (rapport's own forest: tree size %u)\n", result.forest.tree_size[top]);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "boost_graph: %s\n", e.what());
  return 1;
}
