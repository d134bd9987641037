// Fuzz entry point for CSV ingest: the first byte picks which of the four input files the rest
// of the bytes replace (customers, contacts, purchases, referrals); then load and score.
// Properties checked (std::abort on a violation, so that both libFuzzer and the replay driver
// report it): nothing crashes or throws anything but InputError; every data row is either
// accepted or counted as rejected, and every rejected row is listed; the parallel ingest (three
// threads over 64-byte blocks cut into 16-byte parts) gives the same base, counts and rejects as
// the sequential one; the summary of a non-empty base is produced.
//
// Built as a libFuzzer binary with clang (-DRAPPORT_BUILD_FUZZERS=ON), and otherwise driven by
// fuzz_replay.cpp over the seed corpus plus deterministic mutations (the ctest fuzz_ingest_short).
#include <rapport/graph/centrality.hpp>
#include <rapport/io/edge_list.hpp>
#include <rapport/io/load.hpp>
#include <rapport/scoring/score.hpp>

#include "io/csv_reader.hpp"
#include "io/load.hpp"
#include "support/temp_dir.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>

namespace {

/// The scratch directory for the four files (removed at exit).
const rapport::test::TempDir& scratch() {
  static const rapport::test::TempDir d;
  return d;
}

/// Sets the CSV block and part sizes for its lifetime.
class BlockSizes {
public:
  BlockSizes(std::size_t block, std::size_t part)
      : block_(rapport::detail::csv_block_bytes), part_(rapport::detail::csv_part_min_bytes) {
    rapport::detail::csv_block_bytes = block;
    rapport::detail::csv_part_min_bytes = part;
  }
  ~BlockSizes() {
    rapport::detail::csv_block_bytes = block_;
    rapport::detail::csv_part_min_bytes = part_;
  }
  BlockSizes(const BlockSizes&) = delete;
  BlockSizes& operator=(const BlockSizes&) = delete;

private:
  std::size_t block_, part_;
};

/// Loads the files, or nullopt when the loader reports an InputError (a missing column, an
/// empty file): a clear error is a right outcome for arbitrary bytes.
std::optional<rapport::LoadResult> try_load(const rapport::InputFiles& files, unsigned threads) {
  rapport::LoadOptions options;
  options.threads = threads;
  std::size_t streamed = 0;  // on_reject sees every rejected row, once
  options.on_reject = [&](const rapport::RejectedRow&) { ++streamed; };
  try {
    auto loaded = rapport::load_csv(files, options);
    if (streamed != loaded.report.total_rejected()) std::abort();
    return loaded;
  } catch (const rapport::InputError&) {
    return std::nullopt;
  }
}

void check_counts(const rapport::LoadResult& loaded) {
  const auto& rep = loaded.report;
  const auto& b = loaded.base;
  if (rep.rejects.size() != rep.total_rejected()) std::abort();
  if (rep.customers.read - rep.customers.rejected != b.customer_count()) std::abort();
  if (rep.contacts.read - rep.contacts.rejected != b.contact_count()) std::abort();
  if (rep.purchases.read - rep.purchases.rejected != b.purchase_count()) std::abort();
  if (rep.referrals.read - rep.referrals.rejected != b.referral_count()) std::abort();
}

bool same_counts(const rapport::TableCounts& a, const rapport::TableCounts& b) {
  return a.read == b.read && a.rejected == b.rejected;
}

bool same_load(const rapport::LoadResult& x, const rapport::LoadResult& y) {
  const auto& a = x.base;
  const auto& b = y.base;
  const auto& ra = x.report;
  const auto& rb = y.report;
  if (!same_counts(ra.customers, rb.customers) || !same_counts(ra.contacts, rb.contacts) ||
      !same_counts(ra.purchases, rb.purchases) || !same_counts(ra.referrals, rb.referrals) ||
      ra.rejects.size() != rb.rejects.size())
    return false;
  for (std::size_t k = 0; k < ra.rejects.size(); ++k) {
    const auto& p = ra.rejects[k];
    const auto& q = rb.rejects[k];
    if (std::tie(p.table, p.line, p.column, p.reason) != std::tie(q.table, q.line, q.column, q.reason)) return false;
  }
  return a.customer_id == b.customer_id && a.acquired_on == b.acquired_on && a.segment == b.segment &&
         a.segment_names == b.segment_names && a.contact_offsets == b.contact_offsets && a.contact_at == b.contact_at &&
         a.contact_stage == b.contact_stage && a.contact_impression == b.contact_impression &&
         a.contact_complaint == b.contact_complaint && a.complaint_resolved_at == b.complaint_resolved_at &&
         a.purchase_offsets == b.purchase_offsets && a.purchase_at == b.purchase_at &&
         a.purchase_amount == b.purchase_amount && a.prospect_id == b.prospect_id &&
         a.referral_from == b.referral_from && a.referral_to == b.referral_to && a.referral_at == b.referral_at;
}

/// `rapport graph`'s reader on the same file: every CSV data row is an edge or a counted reject.
void check_edge_list(const std::string& path) {
  try {
    const auto el = rapport::read_edge_list(path);
    const auto& r = el.report.referrals;
    if (el.sources.size() != el.targets.size()) std::abort();
    if (r.read && r.read - r.rejected != el.sources.size()) std::abort();
  } catch (const rapport::InputError&) {}
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  // the raw reader on its own
  {
    rapport::detail::CsvReader reader(text, "fuzz");
    rapport::detail::CsvRecord rec;
    while (reader.next(rec)) {}
  }
  static const char* names[] = {"customers.csv", "contacts.csv", "purchases.csv", "referrals.csv"};
  const auto& dir = scratch();
  dir.write("customers.csv", "customer_id,acquired_on,segment\nA,2024-01-01,x\nB,2024-02-01,\n\"C,1\",2024-03-01,y\n");
  dir.write("contacts.csv", "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n");
  dir.write("purchases.csv", "customer_id,at,amount\n");
  dir.write("referrals.csv", "referrer_id,referred_id,at\nA,B,2024-01-20\n");
  dir.write(names[data[0] % 4], std::string(text));
  const auto files = rapport::InputFiles::from_directory(dir.path());

  std::optional<rapport::LoadResult> loaded;
  {
    const BlockSizes whole(std::size_t{1} << 16, std::size_t{1} << 20);  // inputs are small: one block
    loaded = try_load(files, 1);
  }
  {
    const BlockSizes small(64, 16);
    const auto parallel = try_load(files, 3);
    if (loaded.has_value() != parallel.has_value()) std::abort();
    if (loaded && !same_load(*loaded, *parallel)) std::abort();
  }
  check_edge_list(dir.path() + "/" + names[data[0] % 4]);
  if (!loaded) return 0;
  check_counts(*loaded);
  if (loaded->base.customer_count() == 0) return 0;
  rapport::ScoringConfig cfg;
  cfg.bgnbd = rapport::BgNbdParams{0.5, 30, 0.8, 2.5, 0};
  cfg.gamma_gamma = rapport::GammaGammaParams{6, 4, 15, 0};
  cfg.threads = 1;
  const auto res = rapport::score(loaded->base, std::nullopt, cfg);
  if (res.scores.size() > loaded->base.customer_count()) std::abort();
  (void)rapport::summary_json(loaded->base, loaded->report, res, cfg);
  for (std::size_t r = 0; r < res.scores.size(); ++r) (void)rapport::explain_json(loaded->base, res, r, cfg);
  return 0;
}
