// score_to: the scores handed to a sink in batches equal score()'s result bit for bit (every
// column, intervals included, for 1, 2 and 3 threads and each value path), and the streamed
// writers (scores CSV, summary) give score()'s bytes.
#include <rapport/io/generate.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/summary.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

using namespace rapport;

namespace {

// Appends every batch to one Scores (as score() would hold them) and checks that the batches
// come in row order, each starting where the previous ended.
class Collect : public ScoreSink {
public:
  void rows(const ScoreResult& batch, std::size_t first) override {
    EXPECT_EQ(first, all.size());
    ++batches;
    const Scores& b = batch.scores;
    const auto add = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    for_each_column(all, b, add);
  }
  // Calls f(column of a, column of b) for every per-customer column of two Scores.
  template <class F>
  static void for_each_column(Scores& a, const Scores& b, F&& f) {
    f(a.customer, b.customer);
    f(a.loyalty_given, b.loyalty_given);
    for (std::size_t k = 0; k < component_count; ++k) {
      f(a.loyalty.values[k], b.loyalty.values[k]);
      f(a.loyalty_evidence.values[k], b.loyalty_evidence.values[k]);
      f(a.referral.values[k], b.referral.values[k]);
    }
    f(a.ladder_technical, b.ladder_technical);
    f(a.ladder_hospitality, b.ladder_hospitality);
    f(a.ladder_wow, b.ladder_wow);
    f(a.overdue_complaint, b.overdue_complaint);
    f(a.frequency, b.frequency);
    f(a.recency, b.recency);
    f(a.age, b.age);
    f(a.monetary, b.monetary);
    f(a.p_alive, b.p_alive);
    f(a.expected_purchases, b.expected_purchases);
    f(a.expected_value, b.expected_value);
    f(a.upserve_value, b.upserve_value);
    f(a.upserve_score, b.upserve_score);
    f(a.intervals.p_alive_lo, b.intervals.p_alive_lo);
    f(a.intervals.p_alive_hi, b.intervals.p_alive_hi);
    f(a.intervals.expected_purchases_lo, b.intervals.expected_purchases_lo);
    f(a.intervals.expected_purchases_hi, b.intervals.expected_purchases_hi);
    f(a.intervals.expected_value_lo, b.intervals.expected_value_lo);
    f(a.intervals.expected_value_hi, b.intervals.expected_value_hi);
    f(a.next_action, b.next_action);
    f(a.next_action_gap, b.next_action_gap);
    f(a.referral_potential, b.referral_potential);
    f(a.purchases_counted, b.purchases_counted);
    f(a.ask_for_referral, b.ask_for_referral);
  }
  Scores all;
  std::size_t batches = 0;
};

// Element-wise equality, doubles by their bits (NaN included).
template <class T>
void expect_same(const std::vector<T>& a, const std::vector<T>& b, int column) {
  ASSERT_EQ(a.size(), b.size()) << "column " << column;
  for (std::size_t r = 0; r < a.size(); ++r) {
    if constexpr (std::is_same_v<T, double>) {
      ASSERT_EQ(std::bit_cast<std::uint64_t>(a[r]), std::bit_cast<std::uint64_t>(b[r]))
          << "column " << column << " row " << r << ": " << a[r] << " vs " << b[r];
    } else {
      ASSERT_EQ(a[r], b[r]) << "column " << column << " row " << r;
    }
  }
}

void expect_same_scores(const Scores& streamed, const Scores& whole) {
  int column = 0;
  Collect::for_each_column(const_cast<Scores&>(streamed), whole,
                           [&](const auto& a, const auto& b) { expect_same(a, b, column++); });
}

// A base large enough for several batches (score_to's batches hold 16,384 rows).
const CustomerBase& big_base() {
  static const CustomerBase base = [] {
    GenerateOptions o;
    o.customers = 40000;
    o.seed = 7;
    return generate_base(o);
  }();
  return base;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_stream_equals_score(const CustomerBase& base, const ScoringConfig& cfg) {
  const ScoreResult whole = score(base, std::nullopt, cfg);
  Collect sink;
  const ScoreResult run = score_to(sink, base, std::nullopt, cfg);
  EXPECT_EQ(run.scores.size(), 0u);
  EXPECT_GE(sink.batches, (whole.scores.size() + 16383) / 16384);
  expect_same_scores(sink.all, whole.scores);
  // the run's other fields are score()'s
  EXPECT_EQ(run.as_of, whole.as_of);
  EXPECT_EQ(run.bgnbd_error, whole.bgnbd_error);
  EXPECT_EQ(run.gamma_gamma_error, whole.gamma_gamma_error);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(run.bgnbd.r), std::bit_cast<std::uint64_t>(whole.bgnbd.r));
  EXPECT_EQ(std::bit_cast<std::uint64_t>(run.gamma_gamma.p), std::bit_cast<std::uint64_t>(whole.gamma_gamma.p));
  EXPECT_EQ(run.bgnbd_customers, whole.bgnbd_customers);
  EXPECT_EQ(run.gamma_gamma_customers, whole.gamma_gamma_customers);
  EXPECT_EQ(run.purchase_model.name, whole.purchase_model.name);
  expect_same(run.purchase_model.params, whole.purchase_model.params, -1);
  expect_same(run.forest.katz, whole.forest.katz, -2);
  expect_same(run.forest.tree_size, whole.forest.tree_size, -3);
}

}  // namespace

TEST(ScoreStream, BatchesEqualScoreForAnyThreadCount) {
  for (unsigned threads : {1u, 2u, 3u}) {
    SCOPED_TRACE(threads);
    ScoringConfig cfg;
    cfg.threads = threads;
    expect_stream_equals_score(big_base(), cfg);
  }
}

TEST(ScoreStream, BatchesEqualScoreWithIntervals) {
  for (unsigned threads : {1u, 3u}) {
    SCOPED_TRACE(threads);
    ScoringConfig cfg;
    cfg.threads = threads;
    cfg.intervals = 0.9;
    cfg.interval_draws = 50;
    expect_stream_equals_score(big_base(), cfg);
  }
}

TEST(ScoreStream, BatchesEqualScoreOnTheModelPath) {
  // a discount rate: the value step runs over every row at once (detail::score_value_models)
  ScoringConfig cfg;
  cfg.threads = 2;
  cfg.discount_rate = 0.1;
  cfg.intervals = 0.8;
  cfg.interval_draws = 3;  // each draw evaluates the discounted expectation of every row
  expect_stream_equals_score(big_base(), cfg);
}

TEST(ScoreStream, UnavailableValueModels) {
  // value models that cannot be fitted: every value column NaN, no percentiles
  const CustomerBase& base = big_base();
  ScoringConfig cfg;
  cfg.threads = 2;
  cfg.fit.min_customers = 1000000;
  expect_stream_equals_score(base, cfg);
}

TEST(ScoreStream, NothingScoredGivesNoBatch) {
  const CustomerBase& base = big_base();
  Collect sink;
  const ScoreResult run = score_to(sink, base, day_t{0}, ScoringConfig{});
  EXPECT_EQ(sink.batches, 0u);
  EXPECT_EQ(run.as_of, 0);
}

TEST(ScoreStream, WritersGiveTheBytesOfTheWholeResult) {
  const CustomerBase& base = big_base();
  const auto dir = std::filesystem::temp_directory_path() / "rapport_score_stream_test";
  std::filesystem::create_directories(dir);
  for (unsigned threads : {1u, 2u, 3u}) {
    SCOPED_TRACE(threads);
    ScoringConfig cfg;
    cfg.threads = threads;
    cfg.intervals = threads == 2 ? 0.9 : 0.0;
    cfg.interval_draws = 40;
    const ScoreResult whole = score(base, std::nullopt, cfg);
    write_scores_csv((dir / "whole.csv").string(), base, whole, threads);
    const bool explain = threads == 2;  // the explanations once (a JSON object per row is slow)
    if (explain) write_explain_jsonl((dir / "whole.jsonl").string(), base, whole, cfg);
    const LoadReport report;
    const std::string whole_summary = to_json(summarize(base, report, whole, cfg));

    // the CLI's way: the scores file and the summary's rows fed batch by batch
    struct All : ScoreSink {
      ScoresCsvWriter csv;
      ExplainJsonlWriter explain;
      SummaryRows summary;
      bool with_explain;
      All(const std::filesystem::path& d, const CustomerBase& b, const LoadReport& r, const ScoringConfig& c, bool e)
          : csv((d / "streamed.csv").string(), b, c.threads),
            explain((d / "streamed.jsonl").string(), b, c),
            summary(b, r, c),
            with_explain(e) {}
      void rows(const ScoreResult& batch, std::size_t first) override {
        csv.rows(batch, first);
        if (with_explain) explain.rows(batch, first);
        summary.add(batch, first);
      }
    } sink(dir, base, report, cfg, explain);
    const ScoreResult run = score_to(sink, base, std::nullopt, cfg);
    sink.csv.commit();
    sink.explain.commit();
    if (explain) {
      const std::string a = read_file(dir / "whole.jsonl"), b = read_file(dir / "streamed.jsonl");
      EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), static_cast<std::ptrdiff_t>(whole.scores.size()));
      EXPECT_TRUE(a == b) << "the streamed explanations differ from write_explain_jsonl's";
    }
    EXPECT_EQ(to_json(sink.summary.summary(run)), whole_summary);
    const std::string a = read_file(dir / "whole.csv"), b = read_file(dir / "streamed.csv");
    EXPECT_GT(a.size(), 40000u * 50);
    EXPECT_TRUE(a == b) << "the streamed scores CSV differs from write_scores_csv's";
  }
  std::filesystem::remove_all(dir);
}

TEST(ScoreStream, SummaryRowsRefusesABatchOutOfOrder) {
  GenerateOptions o;
  o.customers = 50;
  const CustomerBase base = generate_base(o);
  const ScoringConfig cfg;
  const ScoreResult whole = score(base, std::nullopt, cfg);
  const LoadReport report;
  SummaryRows rows(base, report, cfg);
  EXPECT_THROW(rows.add(whole, 5), InputError);
  rows.add(whole, 0);
  // all rows in one batch: summarize()'s summary
  EXPECT_EQ(to_json(rows.summary(whole)), to_json(summarize(base, report, whole, cfg)));
}

TEST(ScoreStream, EmptyRunWritesTheHeaderAlone) {
  const CustomerBase& base = big_base();
  const auto path = std::filesystem::temp_directory_path() / "rapport_score_stream_empty.csv";
  ScoresCsvWriter csv(path.string(), base, 1);
  score_to(csv, base, day_t{0}, ScoringConfig{});
  csv.commit();
  const std::string text = read_file(path);
  EXPECT_EQ(text.rfind("customer_id,loyalty_given,", 0), 0u);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  std::filesystem::remove(path);
}

TEST(ScoreStream, HistoryFromStreamedRunsIsWriteHistoryCsvs) {
  const CustomerBase& base = big_base();
  const auto dir = std::filesystem::temp_directory_path() / "rapport_score_stream_history";
  std::filesystem::create_directories(dir);
  ScoringConfig cfg;
  cfg.threads = 3;
  const day_t last = *base.default_as_of();
  // a date before any customer (no rows), one mid-way and the last one
  const std::vector<day_t> dates{day_t{0}, last - 700, last};
  write_history_csv((dir / "whole.csv").string(), base, dates, [&](day_t d) { return score(base, d, cfg); }, 3);
  ScoresCsvWriter streamed((dir / "streamed.csv").string(), base, 3, true);
  for (const day_t d : dates) score_to(streamed, base, d, cfg);
  streamed.commit();
  const std::string a = read_file(dir / "whole.csv"), b = read_file(dir / "streamed.csv");
  EXPECT_EQ(a.rfind("as_of,customer_id,", 0), 0u);
  EXPECT_GT(std::count(a.begin(), a.end(), '\n'), 40000);
  EXPECT_TRUE(a == b) << "the streamed history differs from write_history_csv's";
  std::filesystem::remove_all(dir);
}
