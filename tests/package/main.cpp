// Links the installed rapport: builds a three-customer base in memory and scores it, then walks
// its referral graph with Boost.Graph through the installed <rapport/graph/boost.hpp>.
#include <rapport/graph/boost.hpp>
#include <rapport/rapport.hpp>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>

#include <cstdio>
#include <vector>

int main() {
  rapport::CustomerBaseBuilder b;
  b.add_customer("A", rapport::to_day(boost::gregorian::date(2024, 1, 1)), "");
  b.add_customer("B", rapport::to_day(boost::gregorian::date(2024, 2, 1)), "");
  b.add_referral("A", "B", rapport::to_seconds(boost::posix_time::ptime(boost::gregorian::date(2024, 1, 20))));
  const auto base = b.finish();
  rapport::ScoringConfig cfg;
  cfg.bgnbd = rapport::BgNbdParams{0.5, 30, 0.8, 2.5, 0};
  cfg.gamma_gamma = rapport::GammaGammaParams{6, 4, 15, 0};
  const auto res = rapport::score(base, boost::gregorian::date(2024, 3, 31), cfg);
  // A -> B: B is one referral away from A
  const rapport::Digraph g = rapport::referral_graph(base, res.as_of);
  std::vector<std::uint32_t> dist(num_vertices(g), 9);
  dist[0] = 0;
  const auto distance = boost::make_iterator_property_map(dist.begin(), get(boost::vertex_index, g));
  boost::breadth_first_search(
      g, 0u, boost::visitor(boost::make_bfs_visitor(boost::record_distances(distance, boost::on_tree_edge()))));
  const bool ok = res.scores.size() == 2 && res.forest.converted_referrals[0] == 1 && res.forest.generation[1] == 1 &&
                  dist == std::vector<std::uint32_t>{0, 1};
  std::printf("rapport %s consumer: %zu customers scored, %s\n", RAPPORT_VERSION_STRING, res.scores.size(),
              ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
