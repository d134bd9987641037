/// @file writers.hpp
/// Output files: the scores CSV, the explanations JSON lines, the rejected rows CSV, the centrality
/// CSV and any text.
///
/// Every file rapport writes follows the same rules (docs/outputs.md):
/// - a regular file (or a new path) is written to a temporary file created exclusively (never
///   through a symlink) in the target's folder, flushed to disk and renamed over the target, so
///   readers see the old file or the complete new one; an existing file keeps its permission
///   bits, a new one gets 0666 less the umask; a symlink at the target is followed (the link stays);
/// - a FIFO, a character device (e.g. /dev/null) or "-" (standard output) is written directly;
/// - a directory, a block device or a socket is refused;
/// - on any error or exception the temporary file is removed, and the target is untouched;
///   remove_pending_outputs() removes the temporary files from a signal handler.
/// Failures throw OutputError naming the file and the reason.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/scoring/score.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rapport {

namespace detail {
class OutputFile;
}

/// The scores CSV header, in the card's column order.
RAPPORT_API const std::vector<std::string>& score_columns();

/// The interval columns appended after score_columns() when the run has intervals
/// (ScoringConfig::intervals > 0): p_alive_lo, p_alive_hi, expected_purchases_lo,
/// expected_purchases_hi, expected_value_lo, expected_value_hi.
RAPPORT_API const std::vector<std::string>& interval_columns();

/// Writes the scores CSV (one row per scored customer, header first), formatting rows on
/// `threads` threads (0 = all cores); the bytes do not depend on the thread count. `root_ids`:
/// each customer's root key (one per customer of `base`) when `base` does not hold the roots (a
/// partition scored by score_partition); empty: from the base.
/// @throws OutputError naming the file when it cannot be written.
RAPPORT_API void write_scores_csv(const std::string& path, const CustomerBase& base, const ScoreResult& result,
                                  unsigned threads = 0, std::span<const std::string> root_ids = {});

/// Writes the scores CSV of a streamed run (score_to()) as its batches come, by the output rules
/// above: the same bytes as write_scores_csv() of score()'s result, for any thread count, holding
/// one batch's text at a time. Nothing is in place until commit(); destroyed without commit(), the
/// target stays as it was. With `with_as_of` it writes a score history instead: every line starts
/// with its batch's as-of date (header `as_of,` then the score columns), so that the runs of several
/// dates follow one another in one file, as write_history_csv() writes them.
class RAPPORT_API ScoresCsvWriter : public ScoreSink {
public:
  /// Opens `path`; rows are formatted on `threads` threads (0 = all cores); `with_as_of` puts an
  /// `as_of` column first (a history); `root_ids` as for write_scores_csv (kept by reference).
  /// @throws OutputError naming the file when it cannot be written.
  ScoresCsvWriter(const std::string& path, const CustomerBase& base, unsigned threads = 0, bool with_as_of = false,
                  std::span<const std::string> root_ids = {});
  /// Drops an uncommitted file (its temporary file is removed).
  ~ScoresCsvWriter() override;
  ScoresCsvWriter(const ScoresCsvWriter&) = delete;
  ScoresCsvWriter& operator=(const ScoresCsvWriter&) = delete;
  /// Appends the rows of one batch (the header first, with the interval columns when the batch has them).
  /// @throws OutputError when the file cannot be written.
  void rows(const ScoreResult& batch, std::size_t first) override;
  /// Writes everything out (the header alone for a run without rows) and puts the file in place.
  /// @throws OutputError naming the file when it cannot be written.
  void commit();

private:
  std::unique_ptr<detail::OutputFile> file_;
  const CustomerBase& base_;
  unsigned threads_;
  bool with_as_of_;
  std::span<const std::string> root_ids_;
  bool header_written_ = false;
};

/// Writes a score history: one CSV with an `as_of` column (YYYY-MM-DD) then the score columns.
/// For each date in order, `score_at(date)` gives that date's run, whose rows follow, each as
/// write_scores_csv writes it (so a date's slice, without the as_of column, is that run's
/// scores CSV body). One run is held at a time. The interval columns are in the header when the
/// first date with scored customers has them. (ScoresCsvWriter with `with_as_of` writes the same
/// file from streamed runs.)
/// @throws OutputError naming the file when it cannot be written; whatever score_at throws.
RAPPORT_API void write_history_csv(const std::string& path, const CustomerBase& base, const std::vector<day_t>& dates,
                                   const std::function<ScoreResult(day_t)>& score_at, unsigned threads = 0);

/// Writes the explanations of a streamed run (score_to()) as its batches come, by the output rules
/// above: the same bytes as write_explain_jsonl() of score()'s result, one batch's text held at a
/// time. Nothing is in place until commit(); destroyed without commit(), the target stays as it was.
class RAPPORT_API ExplainJsonlWriter : public ScoreSink {
public:
  /// Opens `path`; lines are formatted on config.threads threads.
  /// @throws OutputError naming the file when it cannot be written.
  ExplainJsonlWriter(const std::string& path, const CustomerBase& base, const ScoringConfig& config = {});
  /// Drops an uncommitted file (its temporary file is removed).
  ~ExplainJsonlWriter() override;
  ExplainJsonlWriter(const ExplainJsonlWriter&) = delete;
  ExplainJsonlWriter& operator=(const ExplainJsonlWriter&) = delete;
  /// Appends one explanation per row of the batch.
  /// @throws OutputError when the file cannot be written.
  void rows(const ScoreResult& batch, std::size_t first) override;
  /// Writes everything out and puts the file in place.
  /// @throws OutputError naming the file when it cannot be written.
  void commit();

private:
  std::unique_ptr<detail::OutputFile> file_;
  const CustomerBase& base_;
  ScoringConfig config_;
};

/// Writes one explanation (explain_json) per scored customer and line.
/// @throws OutputError naming the file when it cannot be written.
RAPPORT_API void write_explain_jsonl(const std::string& path, const CustomerBase& base, const ScoreResult& result,
                                     const ScoringConfig& config = {});

/// Writes `text` to `path` by the output rules above (the name is historical: a FIFO or "-" is
/// written directly).
/// @throws OutputError naming the file when it cannot be written.
RAPPORT_API void write_file_atomically(const std::string& path, std::string_view text);

/// Formats a double so that it reads back exactly (shortest round trip); "" for NaN.
RAPPORT_API std::string format_number(double v);

/// Header of the rejected-rows CSV: `table,file,line,column,column_name,reason,raw`.
RAPPORT_API std::string_view rejects_csv_header() noexcept;

/// Streams rejected rows into a CSV file (header rejects_csv_header(), one row per add()), by
/// the output rules above: nothing is in place until commit(); destroyed without commit(), the
/// target stays as it was. Not thread-safe: calls must be serialized.
class RAPPORT_API RejectsCsvWriter {
public:
  /// Opens `path` and writes the header.
  /// @throws OutputError naming the file when it cannot be written.
  explicit RejectsCsvWriter(const std::string& path);
  /// Drops an uncommitted file (its temporary file is removed).
  ~RejectsCsvWriter();
  RejectsCsvWriter(const RejectsCsvWriter&) = delete;
  RejectsCsvWriter& operator=(const RejectsCsvWriter&) = delete;

  /// Appends one rejected row.
  /// @throws OutputError when the file cannot be written.
  void add(const RejectedRow& row);
  /// Rows added so far.
  std::size_t rows() const noexcept { return rows_; }
  /// Writes everything out and puts the file in place.
  /// @throws OutputError naming the file when it cannot be written.
  void commit();

private:
  std::unique_ptr<detail::OutputFile> file_;
  std::size_t rows_ = 0;
};

/// A file a run reads or writes, with the option or argument that named it (for messages).
struct NamedPath {
  std::string option;  ///< e.g. "--out", "--customers", "out"
  std::string path;    ///< the path as given ("-" = standard output)
};

/// Refuses outputs that would destroy what is not theirs, before any work: an output that is one
/// of the inputs, or the same file as another output of the run (by device and inode when the
/// file exists, else by normalised absolute path; "-" is standard output; a character device
/// such as /dev/null may take several outputs), or that the writer would refuse anyway (a
/// directory, a block device, a socket, a path whose folder does not exist). The command line
/// and every Python function that writes use this one check.
/// @throws OutputError naming both files.
RAPPORT_API void check_outputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

/// All or nothing for several outputs (docs/outputs.md): while an OutputBatch lives, every
/// output this thread finishes (write_scores_csv, write_file_atomically, RejectsCsvWriter::commit,
/// ...) is written, flushed to disk and kept in its temporary file instead of being renamed into
/// place. commit() renames them all; should one rename fail, those already renamed are put back
/// (the old file restored, a new one removed) and OutputError is thrown. Destroyed without
/// commit() — an exception anywhere in the run, a failed database write-back — every temporary
/// file is removed and no target is touched. Outputs written directly (standard output, a FIFO,
/// a character device) cannot wait: they receive their bytes as they are written. Batches nest:
/// an inner batch's commit() hands its files to the outer one.
class RAPPORT_API OutputBatch {
public:
  /// Starts deferring this thread's outputs.
  OutputBatch();
  /// Removes the temporary files of an uncommitted batch (targets untouched).
  ~OutputBatch();
  OutputBatch(const OutputBatch&) = delete;
  OutputBatch& operator=(const OutputBatch&) = delete;
  /// Puts every deferred output in place (see above); the batch stops deferring.
  /// @throws OutputError naming the file that could not be put in place.
  void commit();

  struct Impl;  ///< implementation (opaque)

private:
  std::unique_ptr<Impl> impl_;
};

/// Async-signal-safe: removes the temporary file of every output being written and not yet
/// committed. For a host's handler of SIGINT, SIGTERM or SIGHUP (the `rapport` command line
/// installs one); rapport installs no signal handler itself.
RAPPORT_API void remove_pending_outputs() noexcept;

/// Writes `id,<column>` rows (header first) with shortest round-trip doubles, by the output
/// rules above (temporary file renamed into place; FIFO or "-" written
/// directly). Names and the column are CSV-quoted when they contain a comma, quote, or line break.
/// @throws UsageError if names and values differ in length.
/// @throws OutputError naming the file if it cannot be written.
RAPPORT_API void write_centrality_csv(const std::string& path, const std::vector<std::string>& names,
                                      const std::vector<double>& values, const std::string& column);

}  // namespace rapport
