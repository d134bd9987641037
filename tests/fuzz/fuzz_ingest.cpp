// libFuzzer target: arbitrary bytes as one of the four input files, then load and score.
// Nothing may crash; every data row is either accepted or counted as rejected.
#include <rapport/graph/centrality.hpp>
#include <rapport/scoring/score.hpp>

#include "io/csv.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {
const std::string& dir() {
  static const std::string d = [] {
    auto p = std::filesystem::temp_directory_path() / ("rapport-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  return d;
}
void put(const std::string& name, std::string_view text) {
  std::ofstream(dir() + "/" + name, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  // the raw reader on its own
  {
    rapport::detail::CsvReader reader(text, "fuzz");
    rapport::detail::CsvRecord rec;
    while (reader.next(rec)) {
    }
  }
  static const char* names[] = {"customers.csv", "contacts.csv", "purchases.csv", "referrals.csv"};
  const int which = data[0] % 4;
  put("customers.csv", "customer_id,acquired_on,segment\nA,2024-01-01,x\nB,2024-02-01,\n\"C,1\",2024-03-01,y\n");
  put("contacts.csv", "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n");
  put("purchases.csv", "customer_id,at,amount\n");
  put("referrals.csv", "referrer_id,referred_id,at\nA,B,2024-01-20\n");
  put(names[which], text);
  try {
    rapport::LoadOptions options;
    std::size_t streamed = 0;
    options.on_reject = [&](const rapport::RejectedRow&) { ++streamed; };
    auto loaded = rapport::load_csv(rapport::InputFiles::from_directory(dir()), options);
    const auto& rep = loaded.report;
    if (rep.rejects.size() != rep.total_rejected() || streamed != rep.total_rejected()) std::abort();
    if (rep.customers.read - rep.customers.rejected != loaded.base.customer_count()) std::abort();
    if (rep.contacts.read - rep.contacts.rejected != loaded.base.contact_count()) std::abort();
    if (rep.purchases.read - rep.purchases.rejected != loaded.base.purchase_count()) std::abort();
    if (rep.referrals.read - rep.referrals.rejected != loaded.base.referral_count()) std::abort();
    rapport::ScoringConfig cfg;
    cfg.bgnbd = rapport::BgNbdParams{0.5, 30, 0.8, 2.5, 0};
    cfg.gamma_gamma = rapport::GammaGammaParams{6, 4, 15, 0};
    cfg.threads = 1;
    if (loaded.base.customer_count()) {
      const auto res = rapport::score(loaded.base, std::nullopt, cfg);
      (void)rapport::summary_json(loaded.base, loaded.report, res, cfg);
    }
  } catch (const rapport::InputError&) {
    // a missing column or an empty file: a clear error is the right outcome
  }
  // `rapport graph`'s reader on the same bytes: every CSV row is an edge or a counted reject
  try {
    const auto el = rapport::read_edge_list(dir() + "/" + names[which]);
    const auto& r = el.report.referrals;
    if (el.sources.size() != el.targets.size()) std::abort();
    if (r.read && r.read - r.rejected != el.sources.size()) std::abort();
  } catch (const rapport::InputError&) {
  }
  return 0;
}
