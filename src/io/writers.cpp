// Output files: the scores CSV and the explanations JSONL, written atomically.
#include <rapport/scoring/score.hpp>

#include "io/atomic_file.hpp"
#include "util/parallel.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace rapport {

using nlohmann::json;

std::string format_number(double v) {
  if (std::isnan(v)) return {};
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void write_file_atomically(const std::string& path, std::string_view text) {
  detail::AtomicFile f(path);
  f.write(text);
  f.commit();
}

const std::vector<std::string>& score_columns() {
  static const std::vector<std::string> cols{
      "customer_id",   "loyalty_given", "continuity",      "follow_through",     "impression",
      "recovery",      "service_ladder", "p_alive",        "expected_purchases", "expected_value",
      "upserve_value", "upserve_score", "next_action",     "referral_potential", "advocacy",
      "track_record",  "chain_reach",   "timing",          "tenure",             "ask_for_referral",
      "direct_referrals", "converted_referrals", "generation", "root_id",         "tree_size",
      "katz"};
  return cols;
}

namespace {

void append_csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) return;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

namespace {
void append_score_row(std::string& out, const CustomerBase& base, const ScoreResult& res, std::size_t r) {
  const Scores& s = res.scores;
  const auto& f = res.forest;
  const auto c = s.customer[r];
  append_csv_field(out, base.customer_id[c]);
  const auto d = [&](double v) {
    out.push_back(',');
    append_number(out, v);
  };
  const auto u = [&](std::uint64_t v) {
    out.push_back(',');
    append_uint(out, v);
  };
  d(s.loyalty_given[r]);
  for (int k = 0; k < 5; ++k) d(s.loyalty[k][r]);
  d(s.p_alive[r]);
  d(s.expected_purchases[r]);
  d(s.expected_value[r]);
  d(s.upserve_value[r]);
  d(s.upserve_score[r]);
  out.push_back(',');
  out += to_string(s.next_action[r]);
  d(s.referral_potential[r]);
  for (int k = 0; k < 5; ++k) d(s.referral[k][r]);
  out += s.ask_for_referral[r] ? ",true" : ",false";
  u(f.direct_referrals[c]);
  u(f.converted_referrals[c]);
  u(f.generation[c]);
  out.push_back(',');
  append_csv_field(out, base.person(f.root[c]));
  u(f.tree_size[c]);
  d(f.katz[c]);
  out.push_back('\n');
}

// Formats rows in parallel batches and writes them in order.
template <class Row>
void write_rows_parallel(detail::AtomicFile& file, std::size_t n, unsigned threads, Row&& row) {
  const unsigned t = detail::thread_count(threads);
  const std::size_t batch = 16384;
  std::vector<std::string> chunks(t);
  for (std::size_t lo = 0; lo < n; lo += batch * t) {
    detail::parallel_for(
        t, t,
        [&](std::size_t a, std::size_t b) {
          for (std::size_t k = a; k < b; ++k) {
            chunks[k].clear();
            const std::size_t from = lo + k * batch, to = std::min(n, from + batch);
            for (std::size_t r = from; r < to; ++r) row(chunks[k], r);
          }
        },
        1);
    for (auto& c : chunks) file.write(c);
  }
}
}  // namespace

namespace detail {
/// One scores CSV row (with its line ending) for row `r`: the single spelling of a score row.
void format_score_row(std::string& out, const CustomerBase& base, const ScoreResult& res, std::size_t r) {
  append_score_row(out, base, res, r);
}
}  // namespace detail

void write_scores_csv(const std::string& path, const CustomerBase& base, const ScoreResult& res, unsigned threads) {
  detail::AtomicFile file(path);
  const auto& cols = score_columns();
  std::string header;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i) header.push_back(',');
    header += cols[i];
  }
  header.push_back('\n');
  file.write(header);
  write_rows_parallel(file, res.scores.size(), threads,
                      [&](std::string& out, std::size_t r) { append_score_row(out, base, res, r); });
  file.commit();
}

void write_explain_jsonl(const std::string& path, const CustomerBase& base, const ScoreResult& res,
                         const ScoringConfig& cfg) {
  detail::AtomicFile file(path);
  write_rows_parallel(file, res.scores.size(), cfg.threads, [&](std::string& out, std::size_t r) {
    out += explain_json(base, res, r, cfg);
    out.push_back('\n');
  });
  file.commit();
}

}  // namespace rapport
