// Private: the database functions of rapport/io/database.hpp as one table, the interface of the
// database module. The `rapport` command links no database client: it loads the module (a shared
// object built from rapport::db's objects, the only part of the process that links libpq and
// libsqlite3) only when a command names a database, and calls the functions through this table.
// The module's references to rapport::core resolve to the executable's one copy of core.
#pragma once

#include <rapport/export.hpp>
#include <rapport/io/database.hpp>

#include <cstdint>

namespace rapport::detail {

/// The version of DbFunctions: raised whenever a member is added, removed or changes type.
inline constexpr std::uint32_t db_functions_version = 2;

/// The database functions the command line uses, each a pointer to the one definition in
/// src/db/ (a function without a default argument for DbTables::parse and
/// DbWriteOptions::validate, which are members).
struct DbFunctions {
  std::uint32_t version;        ///< db_functions_version of the module's build
  std::uint32_t size;           ///< sizeof(DbFunctions) in the module's build
  const char* rapport_version;  ///< RAPPORT_VERSION_STRING of the module's build
  decltype(&rapport::load_db) load_db;
  decltype(&rapport::write_db) write_db;
  decltype(&rapport::write_db_all) write_db_all;
  decltype(&rapport::open_db_writer) open_db_writer;
  decltype(&rapport::import_csv_to_db) import_csv_to_db;
  decltype(&rapport::redact_uri) redact_uri;
  decltype(&rapport::sqlite_path) sqlite_path;
  decltype(&rapport::DbTables::parse) parse_tables;
  void (*validate_write_options)(const DbWriteOptions& options);
};

/// The module's file name, and the name of its one exported symbol.
inline constexpr const char* db_module_file = "rapport_db_module.so";
inline constexpr const char* db_functions_symbol = "rapport_db_functions";

}  // namespace rapport::detail

/// The module's table (exported by name for dlsym; also in librapport_db, where nothing uses it).
extern "C" __attribute__((visibility("default"))) const rapport::detail::DbFunctions* rapport_db_functions() noexcept;
