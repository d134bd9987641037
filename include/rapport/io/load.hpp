/// @file load.hpp
/// Loading a customer base from the four CSV files (rapport::io): the files' paths and the loader.
/// The options, report and result it shares with every other source (database tables, data
/// frames) are in rapport/base/data.hpp.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/export.hpp>

#include <string>

namespace rapport {

/// Paths of the four input files; all but customers may be empty (absent).
struct RAPPORT_API InputFiles {
  std::string customers;  ///< customers.csv (required)
  std::string contacts;   ///< contacts.csv or empty
  std::string purchases;  ///< purchases.csv or empty
  std::string referrals;  ///< referrals.csv or empty
  /// The files of a directory: DIR/customers.csv and the others when they exist.
  static InputFiles from_directory(const std::string& dir);
};

/// Loads the CSV files (RFC 4180; header row; columns by name).
/// @throws InputError when a file cannot be read, a required column is missing, or (strict) a row is rejected.
RAPPORT_API LoadResult load_csv(const InputFiles& files, const LoadOptions& options = {});

}  // namespace rapport
