// Links the installed rapport::io (and through it rapport::core): writes a small base as CSV files,
// loads them with load_csv, scores the base and writes the scores CSV, with no database or report
// library.
//
//   customers.csv                      referrals.csv
//   line 1  customer_id,acquired_on    line 1  referrer_id,referred_id,at
//   line 2  A,2024-01-01               line 2  A,B,2024-01-20
//   line 3  B,2024-02-01
//   line 4  C,2024-13-01   <- rejected: no month 13 (column 2, acquired_on)
//
// Accepted: A and B, the referral A -> B (B's generation 1, A's one converted referral), as the
// core consumer builds in memory; the scores CSV has its header and one line per accepted customer.
#include <rapport/io/load.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/version.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace {
void write_text(const std::filesystem::path& path, const char* text) { std::ofstream(path) << text; }
std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

int main() {
  const std::filesystem::path dir = "io-consumer-base";
  std::filesystem::create_directories(dir);
  write_text(dir / "customers.csv", "customer_id,acquired_on\nA,2024-01-01\nB,2024-02-01\nC,2024-13-01\n");
  write_text(dir / "referrals.csv", "referrer_id,referred_id,at\nA,B,2024-01-20\n");
  const rapport::LoadResult loaded = rapport::load_csv(rapport::InputFiles::from_directory(dir.string()));
  const auto& rejects = loaded.report.rejects;
  rapport::ScoringConfig cfg;
  cfg.bgnbd = rapport::BgNbdParams{0.5, 30, 0.8, 2.5, 0};
  cfg.gamma_gamma = rapport::GammaGammaParams{6, 4, 15, 0};
  const auto res = rapport::score(loaded.base, boost::gregorian::date(2024, 3, 31), cfg);
  const std::filesystem::path out = "io-consumer-scores.csv";
  rapport::write_scores_csv(out.string(), loaded.base, res);
  const std::string csv = read_text(out);
  std::size_t lines = 0;
  for (const char c : csv) lines += c == '\n';
  const bool ok = loaded.report.customers.read == 3 && loaded.report.customers.rejected == 1 && rejects.size() == 1 &&
                  rejects[0].line == 4 && rejects[0].column == 2 && rejects[0].column_name == "acquired_on" &&
                  loaded.report.referrals.read == 1 && loaded.report.referrals.rejected == 0 &&
                  res.scores.size() == 2 && res.forest.converted_referrals[0] == 1 && res.forest.generation[1] == 1 &&
                  csv.rfind("customer_id,", 0) == 0 && lines == 3 && csv.find("\nA,") != std::string::npos &&
                  csv.find("\nB,") != std::string::npos;
  std::printf("rapport %s io consumer: %zu rows read, %zu rejected, %zu customers scored, %s\n", RAPPORT_VERSION_STRING,
              loaded.report.customers.read, loaded.report.total_rejected(), res.scores.size(), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
