// The database module's function table (db_module.hpp): pointers to the functions of db.cpp.
#include "db/db_module.hpp"

#include <rapport/version.hpp>

namespace {

constexpr rapport::detail::DbFunctions functions{
    rapport::detail::db_functions_version,
    sizeof(rapport::detail::DbFunctions),
    RAPPORT_VERSION_STRING,
    &rapport::load_db,
    &rapport::write_db,
    &rapport::write_db_all,
    &rapport::open_db_writer,
    &rapport::import_csv_to_db,
    &rapport::redact_uri,
    &rapport::sqlite_path,
    &rapport::DbTables::parse,
    [](const rapport::DbWriteOptions& options) { options.validate(); },
};

}  // namespace

const rapport::detail::DbFunctions* rapport_db_functions() noexcept { return &functions; }
