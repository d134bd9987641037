#include <rapport/io/generate.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/score.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace rapport;

namespace {}  // namespace

// The history CSV: header "as_of," + the scores header; then, per date in the order given, that
// date's scores CSV rows each prefixed with "YYYY-MM-DD,".
TEST(HistoryCsv, SlicesAreTheScoresCsvOfEachDate) {
  GenerateOptions g;
  g.customers = 200;
  const CustomerBase base = generate_base(g);
  const std::vector<day_t> dates{g.end_day, g.end_day - 365, g.end_day - 30};
  const rapport::test::TempDir dir;
  std::vector<day_t> asked;
  write_history_csv(dir.file("h.csv"), base, dates, [&](day_t d) {
    asked.push_back(d);
    return score(base, d);
  });
  EXPECT_EQ(asked, dates);  // each date scored once, in order
  std::string expected;
  for (const day_t d : dates) {
    write_scores_csv(dir.file("s.csv"), base, score(base, d), 1);
    const std::string run = rapport::test::read_file(dir.file("s.csv"));
    const auto body_at = run.find('\n') + 1;
    if (expected.empty()) expected = "as_of," + run.substr(0, body_at);
    std::istringstream body(run.substr(body_at));
    for (std::string line; std::getline(body, line);) expected += format_date(d) + "," + line + "\n";
  }
  EXPECT_EQ(rapport::test::read_file(dir.file("h.csv")), expected);
}
