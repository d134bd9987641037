// Output files: the scores CSV, the explanations JSONL, the rejected rows CSV and plain text,
// all through the one output writer (io/output_file.hpp) and the one CSV cell rule
// (io/csv_write.hpp).
#include <rapport/io/writers.hpp>

#include "io/csv_write.hpp"
#include "io/output_file.hpp"
#include "io/write_rows.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace rapport {

std::string format_number(double v) {
  std::string out;
  detail::append_number(out, v);
  return out;
}

void write_file_atomically(const std::string& path, std::string_view text) {
  detail::OutputFile f(path);
  f.write(text);
  f.commit();
}

void remove_pending_outputs() noexcept { detail::remove_pending_temporaries(); }

const std::vector<std::string>& score_columns() {
  static const std::vector<std::string> cols{"customer_id",
                                             "loyalty_given",
                                             "continuity",
                                             "follow_through",
                                             "impression",
                                             "recovery",
                                             "service_ladder",
                                             "p_alive",
                                             "expected_purchases",
                                             "expected_value",
                                             "upserve_value",
                                             "upserve_score",
                                             "next_action",
                                             "referral_potential",
                                             "advocacy",
                                             "track_record",
                                             "chain_reach",
                                             "timing",
                                             "tenure",
                                             "ask_for_referral",
                                             "direct_referrals",
                                             "converted_referrals",
                                             "generation",
                                             "root_id",
                                             "tree_size",
                                             "katz"};
  return cols;
}

const std::vector<std::string>& interval_columns() {
  static const std::vector<std::string> cols{
      "p_alive_lo",        "p_alive_hi",       "expected_purchases_lo", "expected_purchases_hi",
      "expected_value_lo", "expected_value_hi"};
  return cols;
}

// ---------------------------------------------------------------------------------------------
// Rejected rows
// ---------------------------------------------------------------------------------------------

std::string_view rejects_csv_header() noexcept { return "table,file,line,column,column_name,reason,raw\n"; }

RejectsCsvWriter::RejectsCsvWriter(const std::string& path) : file_(std::make_unique<detail::OutputFile>(path)) {
  file_->write(rejects_csv_header());
}

RejectsCsvWriter::~RejectsCsvWriter() = default;

void RejectsCsvWriter::add(const RejectedRow& row) {
  auto& out = file_->buffer();
  const auto text = [&out](std::string_view s, char end) {
    detail::append_csv_field(out, s);
    out.push_back(end);
  };
  const auto number = [&out](std::size_t v) {
    detail::append_uint(out, v);
    out.push_back(',');
  };
  text(row.table, ',');
  text(row.file, ',');
  number(row.line);
  number(row.column);
  text(row.column_name, ',');
  text(row.reason, ',');
  text(row.raw, '\n');
  ++rows_;
  file_->maybe_flush();
}

void RejectsCsvWriter::commit() { file_->commit(); }

// ---------------------------------------------------------------------------------------------
// Scores and explanations
// ---------------------------------------------------------------------------------------------

namespace detail {
namespace {
/// A row's cells gathered in a stack buffer and appended to the output a few hundred bytes at a
/// time, not a cell at a time; text of any length goes through append_csv_field.
class RowText {
public:
  explicit RowText(std::string& out) noexcept : out_(out) {}
  RowText(const RowText&) = delete;
  RowText& operator=(const RowText&) = delete;
  /// ",<number>" (an empty cell for NaN).
  void number(double v) {
    make_room();
    *p_++ = ',';
    p_ = write_number(p_, v);
  }
  /// ",<count>".
  void count(std::uint64_t v) {
    make_room();
    *p_++ = ',';
    p_ = write_uint(p_, v);
  }
  /// `s` as it is (a word of the output's vocabulary, or punctuation).
  void word(std::string_view s) {
    if (s.size() > number_room) {
      flush();
      out_.append(s);
      return;
    }
    make_room();
    p_ = std::copy(s.begin(), s.end(), p_);
  }
  /// `s` as one CSV field (quoted when it must be).
  void field(std::string_view s) {
    flush();
    append_csv_field(out_, s);
  }
  /// Appends what is gathered.
  void flush() {
    out_.append(buf_, p_);
    p_ = buf_;
  }

private:
  void make_room() {
    if (p_ + number_room + 1 > buf_ + sizeof buf_) flush();
  }
  std::string& out_;
  char buf_[512];
  char* p_ = buf_;
};
}  // namespace

void format_score_row(std::string& out, const CustomerBase& base, const ScoreResult& res, std::size_t r,
                      std::span<const std::string> root_ids) {
  const Scores& s = res.scores;
  const auto& f = res.forest;
  const auto c = s.customer[r];
  RowText row(out);
  row.field(base.customer_id[c]);
  row.number(s.loyalty_given[r]);
  for (const auto& component : s.loyalty) row.number(component[r]);
  row.number(s.p_alive[r]);
  row.number(s.expected_purchases[r]);
  row.number(s.expected_value[r]);
  row.number(s.upserve_value[r]);
  row.number(s.upserve_score[r]);
  row.word(",");
  row.word(to_string(s.next_action[r]));
  row.number(s.referral_potential[r]);
  for (const auto& component : s.referral) row.number(component[r]);
  row.word(s.ask_for_referral[r] ? ",true" : ",false");
  row.count(f.direct_referrals[c]);
  row.count(f.converted_referrals[c]);
  row.count(f.generation[c]);
  row.word(",");
  row.field(root_ids.empty() ? base.person(f.root[c]) : std::string_view(root_ids[c]));
  row.count(f.tree_size[c]);
  row.number(f.katz[c]);
  if (const ValueIntervals& iv = s.intervals; !iv.p_alive_lo.empty()) {
    row.number(iv.p_alive_lo[r]);
    row.number(iv.p_alive_hi[r]);
    row.number(iv.expected_purchases_lo[r]);
    row.number(iv.expected_purchases_hi[r]);
    row.number(iv.expected_value_lo[r]);
    row.number(iv.expected_value_hi[r]);
  }
  row.word("\n");
  row.flush();
}
}  // namespace detail

namespace {
// The scores CSV header (with the interval columns when the run has them), `prefix` columns first.
std::string scores_header(std::string_view prefix, bool intervals) {
  std::string header(prefix);
  for (const auto& c : score_columns()) {
    if (!header.empty()) header.push_back(',');
    header += c;
  }
  if (intervals)
    for (const auto& c : interval_columns()) header += "," + c;
  header.push_back('\n');
  return header;
}
}  // namespace

ScoresCsvWriter::ScoresCsvWriter(const std::string& path, const CustomerBase& base, unsigned threads, bool with_as_of,
                                 std::span<const std::string> root_ids)
    : file_(std::make_unique<detail::OutputFile>(path)),
      base_(base),
      threads_(threads),
      with_as_of_(with_as_of),
      root_ids_(root_ids) {}

ScoresCsvWriter::~ScoresCsvWriter() = default;

void ScoresCsvWriter::rows(const ScoreResult& batch, std::size_t /*first*/) {
  if (!header_written_)
    file_->write(scores_header(with_as_of_ ? "as_of" : "", !batch.scores.intervals.p_alive_lo.empty()));
  header_written_ = true;
  const std::string prefix = with_as_of_ ? format_date(batch.as_of) + "," : std::string();
  detail::write_rows_parallel(*file_, batch.scores.size(), threads_, [&](std::string& out, std::size_t r) {
    out += prefix;
    detail::format_score_row(out, base_, batch, r, root_ids_);
  });
}

void ScoresCsvWriter::commit() {
  if (!header_written_) file_->write(scores_header(with_as_of_ ? "as_of" : "", false));
  header_written_ = true;
  file_->commit();
}

void write_scores_csv(const std::string& path, const CustomerBase& base, const ScoreResult& res, unsigned threads,
                      std::span<const std::string> root_ids) {
  ScoresCsvWriter writer(path, base, threads, false, root_ids);
  if (res.scores.size() > 0) writer.rows(res, 0);
  writer.commit();
}

void write_history_csv(const std::string& path, const CustomerBase& base, const std::vector<day_t>& dates,
                       const std::function<ScoreResult(day_t)>& score_at, unsigned threads) {
  ScoresCsvWriter writer(path, base, threads, true);
  for (const day_t d : dates) {
    const ScoreResult res = score_at(d);
    if (res.scores.size() > 0) writer.rows(res, 0);
  }
  writer.commit();
}

ExplainJsonlWriter::ExplainJsonlWriter(const std::string& path, const CustomerBase& base, const ScoringConfig& config)
    : file_(std::make_unique<detail::OutputFile>(path)), base_(base), config_(config) {}

ExplainJsonlWriter::~ExplainJsonlWriter() = default;

void ExplainJsonlWriter::rows(const ScoreResult& batch, std::size_t /*first*/) {
  detail::write_rows_parallel(*file_, batch.scores.size(), config_.threads, [&](std::string& out, std::size_t r) {
    out += explain_json(base_, batch, r, config_);
    out.push_back('\n');
  });
}

void ExplainJsonlWriter::commit() { file_->commit(); }

void write_explain_jsonl(const std::string& path, const CustomerBase& base, const ScoreResult& res,
                         const ScoringConfig& cfg) {
  ExplainJsonlWriter writer(path, base, cfg);
  writer.rows(res, 0);
  writer.commit();
}

}  // namespace rapport
