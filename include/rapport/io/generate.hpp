/// @file generate.hpp
/// A realistic synthetic customer base: purchases from a BG/NBD process, contacts across the
/// Critical Wheel's stages and after-sale service, complaints, referral trees and prospects.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <cstdint>
#include <string>

namespace rapport {

/// Options for the synthetic base.
struct GenerateOptions {
  std::size_t customers = 1000;                  ///< number of customers
  std::uint64_t seed = 42;                       ///< random seed (same seed, same base)
  day_t end_day = days_from_civil(2026, 6, 30);  ///< last day of the history (the natural as-of)
  double years = 4;                              ///< customers are acquired over this many years before end_day
  double contact_rate_per_year = 8;  ///< mean business-initiated contacts per customer-year for a well-served customer
  double referral_share = 0.2;       ///< share of customers acquired through a referral
  double prospect_referrals = 0.15;  ///< referrals to people who never became customers, per customer
};

/// Row counts of a generated base.
struct GenerateCounts {
  std::size_t customers = 0;  ///< customers written
  std::size_t contacts = 0;   ///< contacts written
  std::size_t purchases = 0;  ///< purchases written
  std::size_t referrals = 0;  ///< referrals written
};

/// Checks the options before any work: customers 1..1e9; years finite, > 0 and at most 1000,
/// with the first acquisition (end_day − years) on or after 0000-01-01; end_day within years
/// 0000-9999; contact_rate_per_year finite, > 0 and at most 1000; referral_share in [0, 1];
/// prospect_referrals finite, in [0, 100].
/// @throws ConfigError naming the option, e.g. "generate: years must be a finite number in (0, 1000] (got nan)".
RAPPORT_API void validate(const GenerateOptions& options);

/// Writes customers.csv, contacts.csv, purchases.csv and referrals.csv as one base into `dir`
/// (docs/outputs.md): the options are validated first; the four files are written into a new
/// temporary folder beside `dir` and that folder is then renamed to `dir` in one step, so a
/// failure never leaves new files beside old ones. `dir` may be missing (its parent folders are
/// created), an empty folder, or a folder holding nothing but (some of) the four files, which is
/// replaced as a whole (it keeps its permission bits); anything else in it is refused.
/// @throws ConfigError for bad options; OutputError naming the folder and the reason.
RAPPORT_API GenerateCounts generate_csv(const std::string& dir, const GenerateOptions& options = {});

/// Generates the same base straight into memory (identical to loading generate_csv's files).
/// @throws ConfigError for bad options (validate()).
RAPPORT_API CustomerBase generate_base(const GenerateOptions& options = {});

}  // namespace rapport
