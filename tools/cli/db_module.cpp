// rapport CLI: the database module (src/db/db_module.hpp), loaded on the first database call, so
// that a command without --db never maps libpq, libsqlite3 and their dependencies.
#include "cli.hpp"

#include "db/db_module.hpp"

#include <rapport/version.hpp>

#include <dlfcn.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace rapport::cli {

namespace {

namespace fs = std::filesystem;

/// The folder of the running executable.
fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw InternalError("cannot find the rapport executable's folder (/proc/self/exe): " + ec.message());
  return exe.parent_path();
}

/// Where the module is: beside the executable in the build tree, else at its installed place
/// (RAPPORT_DB_MODULE_RELATIVE_DIR, relative to the installed executable's folder).
fs::path module_path() {
  const fs::path dir = executable_dir();
  const fs::path beside = dir / detail::db_module_file;
  std::error_code ec;
  if (fs::exists(beside, ec)) return beside;
  return (dir / RAPPORT_DB_MODULE_RELATIVE_DIR / detail::db_module_file).lexically_normal();
}

/// Loads the module at `path` and checks that its table is this build's.
/// @throws InternalError naming the path and the loader's message.
const detail::DbFunctions& load_module(const fs::path& path) {
  const auto fail = [&](const std::string& why) {
    return InternalError("the database commands need rapport's database module, which could not be loaded from " +
                         path.string() + ": " + why);
  };
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw fail(::dlerror());
  void* symbol = ::dlsym(handle, detail::db_functions_symbol);
  if (symbol == nullptr) throw fail(::dlerror());
  using Getter = const detail::DbFunctions* (*)() noexcept;
  Getter getter = nullptr;
  static_assert(sizeof getter == sizeof symbol);
  std::memcpy(&getter, &symbol, sizeof getter);  // object pointer to function pointer, as POSIX allows
  const detail::DbFunctions* functions = getter();
  if (functions->version != detail::db_functions_version || functions->size != sizeof(detail::DbFunctions) ||
      std::strcmp(functions->rapport_version, RAPPORT_VERSION_STRING) != 0)
    throw fail("it is of another build (rapport " + std::string(functions->rapport_version) + ", table version " +
               std::to_string(functions->version) + "; this rapport " RAPPORT_VERSION_STRING ", table version " +
               std::to_string(detail::db_functions_version) + ")");
  return *functions;
}

}  // namespace

const detail::DbFunctions& db_functions() {
  static const detail::DbFunctions& functions = load_module(module_path());  // loaded once, never unloaded
  return functions;
}

}  // namespace rapport::cli
