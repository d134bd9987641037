// Which outputs a run may write: never an input, never twice the same file (the command line's
// and the Python functions' one check).
#include <rapport/io/writers.hpp>

#include <rapport/error.hpp>

#include <filesystem>
#include <system_error>

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace rapport {

namespace {

/// What a path refers to: a file by (device, inode) when it exists, else its normalised
/// absolute path; "-" is standard output.
struct FileIdentity {
  bool exists = false;
  bool char_device = false;
  bool replaceable = true;  // not a directory, block device or socket
  dev_t device = 0;
  ino_t inode = 0;
  std::string path;  // normalised absolute path (when it does not exist), or "-"
};

FileIdentity identify(const std::string& path) {
  FileIdentity id;
  if (path == "-") {
    id.path.push_back('-');  // (not = "-": GCC 12 -Wrestrict false positive)
    return id;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    id.exists = true;
    id.char_device = S_ISCHR(st.st_mode);
    id.replaceable = S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || id.char_device;
    id.device = st.st_dev;
    id.inode = st.st_ino;
    return id;
  }
  std::error_code ec;
  auto p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) p = fs::absolute(path, ec);
  id.path = p.lexically_normal().string();
  return id;
}

bool same_file(const FileIdentity& a, const FileIdentity& b) {
  if (a.exists != b.exists) return false;
  return a.exists ? a.device == b.device && a.inode == b.inode : a.path == b.path;
}

std::string describe(const NamedPath& p) { return p.option + " " + (p.path == "-" ? "- (standard output)" : p.path); }

/// The writer's refusals, before any work: a directory, block device or socket, a missing folder.
void check_writable_kind(const NamedPath& out, const FileIdentity& id) {
  if (!id.replaceable)
    throw OutputError(describe(out) + ": a directory, block device or socket; refusing to replace it");
  if (id.exists || out.path == "-") return;
  const auto folder = fs::path(id.path).parent_path();
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw OutputError(describe(out) + ": the folder " + folder.string() + " does not exist");
}

}  // namespace

void check_outputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  std::vector<FileIdentity> in_ids, out_ids;
  for (const auto& p : inputs) in_ids.push_back(identify(p.path));
  for (const auto& p : outputs) out_ids.push_back(identify(p.path));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (std::size_t j = 0; j < inputs.size(); ++j)
      if (same_file(out_ids[i], in_ids[j]) && !out_ids[i].char_device)
        throw OutputError(describe(outputs[i]) + " is the input " + describe(inputs[j]) +
                          "; refusing to overwrite an input");
    for (std::size_t j = 0; j < i; ++j)
      if (same_file(out_ids[i], out_ids[j]) && !out_ids[i].char_device)
        throw OutputError(describe(outputs[i]) + " is the same file as " + describe(outputs[j]) +
                          "; each output needs its own file");
    check_writable_kind(outputs[i], out_ids[i]);
  }
}

}  // namespace rapport
