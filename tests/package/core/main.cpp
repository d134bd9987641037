// Links the installed rapport::core alone: builds a two-customer base in memory, scores it and ranks
// its referral graph with PageRank, with no file, database or report library (the CSV files are
// rapport::io's: tests/package/io).
//
//   A (acquired 2024-01-01) --referred--> B (acquired 2024-02-01)
//
// PageRank of A -> B (damping d = 0.85, B dangling, its mass spread over both): the linear system
// y = (1 - d)/2 + d P^T y gives y_A = 0.075 and y_B = 0.075 + 0.85 * 0.075 = 0.13875, so
// PR_A = 0.075 / 0.21375 = 20/57 and PR_B = 37/57.
#include <rapport/scoring/referral.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/version.hpp>

#include <cmath>
#include <cstdio>

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
  const rapport::CentralityResult pr = rapport::pagerank(rapport::referral_graph(base, res.as_of));
  const bool ok = res.scores.size() == 2 && res.forest.converted_referrals[0] == 1 && res.forest.generation[1] == 1 &&
                  pr.values.size() == 2 && std::abs(pr.values[0] - 20.0 / 57) < 1e-9 &&
                  std::abs(pr.values[1] - 37.0 / 57) < 1e-9;
  std::printf("rapport %s core consumer: %zu customers scored, PageRank %.6f %.6f, %s\n", RAPPORT_VERSION_STRING,
              res.scores.size(), pr.values[0], pr.values[1], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
