// Links the installed rapport: builds a three-customer base in memory and scores it.
#include <rapport/rapport.hpp>

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
  const bool ok = res.scores.size() == 2 && res.forest.converted_referrals[0] == 1 && res.forest.generation[1] == 1;
  std::printf("rapport %s consumer: %zu customers scored, %s\n", RAPPORT_VERSION_STRING, res.scores.size(),
              ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
