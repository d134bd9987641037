// The one output writer: exclusive temporary file, fsync, rename; direct writes into FIFOs,
// character devices and standard output; a signal-safe registry of live temporary files.
#include "io/output_file.hpp"

#include <rapport/error.hpp>
#include <rapport/io/writers.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace rapport {

/// A batch's deferred outputs: each finished output's temporary file and where it goes.
struct OutputBatch::Impl {
  struct Entry {
    std::string path;    // the target as given (for messages)
    std::string tmp;     // the finished temporary file
    std::string target;  // where it goes
    int slot = -1;       // its registry slot
  };
  std::vector<Entry> entries;
  Impl* outer = nullptr;  // the batch that was active when this one started
  bool deferring = true;
};

namespace detail {
namespace {
/// The innermost live batch of this thread, or null.
thread_local OutputBatch::Impl* t_batch = nullptr;
}  // namespace

namespace {

// ---------------------------------------------------------------------------------------------
// Registry of live temporary files. Fixed storage, so that remove_pending_temporaries() only
// reads atomics and calls unlink(): async-signal-safe. A slot is 0 (free), 1 (being filled) or
// 2 (holds a live path). A temporary file that finds no free slot is still removed on errors
// and exceptions, just not on a signal.
// ---------------------------------------------------------------------------------------------

constexpr int kSlots = 64;
constexpr std::size_t kMaxPath = 4096;

struct Slot {
  std::atomic<int> state{0};
  char path[kMaxPath] = {};
};
Slot g_slots[kSlots];

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

std::string reason(int err) { return std::strerror(err); }

/// A random name for the temporary file of `target`, in the target's directory:
/// DIR/.NAME.XXXXXXXXXXXX.tmp (absolute, so that a registry entry survives a chdir).
std::string temporary_name(const std::filesystem::path& target) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, ".%012llx.tmp", static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
  std::string name = target.parent_path().string();
  name += "/.";
  name += target.filename().string();
  name += suffix;
  return name;
}

/// Where a replaced file goes: the file a symlink at `path` points to (the link stays), else
/// `path` itself (also for a dangling symlink, which is replaced).
std::string replacement_target(const std::string& path) {
  struct stat ls {};
  if (::lstat(path.c_str(), &ls) != 0 || !S_ISLNK(ls.st_mode)) return path;
  std::error_code ec;
  const auto resolved = std::filesystem::canonical(path, ec);
  return ec ? path : resolved.string();
}

void fsync_directory(const std::string& file) noexcept {
  const auto dir = std::filesystem::path(file).parent_path();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);  // best effort: the rename is done; some file systems refuse fsync on a folder
  ::close(fd);
}

}  // namespace

int create_exclusive(const std::string& path, unsigned mode) noexcept {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, static_cast<mode_t>(mode));
}

int register_temporary(const std::string& path) noexcept {
  if (path.size() >= kMaxPath) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!g_slots[i].state.compare_exchange_strong(expected, 1, std::memory_order_acquire)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].state.store(2, std::memory_order_release);
    return i;
  }
  return -1;
}

void unregister_temporary(int slot) noexcept {
  if (slot >= 0) g_slots[slot].state.store(0, std::memory_order_release);
}

void remove_pending_temporaries() noexcept {
  for (auto& slot : g_slots)
    if (slot.state.load(std::memory_order_acquire) == 2) ::unlink(slot.path);
  for (auto& slot : g_slots)  // folders (generate's): empty once their files are gone
    if (slot.state.load(std::memory_order_acquire) == 2) ::rmdir(slot.path);
}

int write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// OutputFile
// ---------------------------------------------------------------------------------------------

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw OutputError("output path is empty");
  if (path_ == "-") {
    open_direct(true);
  } else {
    struct stat st {};
    const bool exists = ::stat(path_.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) throw OutputError(path_ + ": is a directory");
    if (exists && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
      open_direct(false);
    } else if (exists && !S_ISREG(st.st_mode)) {
      throw OutputError(path_ + ": not a regular file, FIFO or character device; refusing to replace it");
    } else {
      open_replacement(exists ? &st : nullptr);
    }
  }
  buf_.reserve(chunk + 4096);
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::open_direct(bool is_stdout) {
  direct_ = true;
  if (is_stdout) {
    std::fflush(stdout);  // keep order with whatever was printed through stdio
    fd_ = STDOUT_FILENO;
    owns_fd_ = false;
    return;
  }
  do {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) throw OutputError(path_ + ": cannot open for writing: " + reason(errno));
  owns_fd_ = true;
}

void OutputFile::open_replacement(const struct stat* existing) {
  target_ = replacement_target(path_);
  const auto target = std::filesystem::absolute(target_);
  // New files get 0666 less the umask, from the kernel; a replaced file's bits are set below.
  const unsigned create_mode = existing ? 0600U : 0666U;
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    tmp_ = temporary_name(target);
    slot_ = register_temporary(tmp_);  // before creating it: no window where a signal misses it
    fd_ = create_exclusive(tmp_, create_mode);
    if (fd_ >= 0) break;
    const int err = errno;
    unregister_temporary(slot_);
    slot_ = -1;
    tmp_.clear();
    if (err != EEXIST)
      throw OutputError(path_ + ": cannot create a temporary file in " + target.parent_path().string() + ": " +
                        reason(err));
  }
  if (fd_ < 0) throw OutputError(path_ + ": cannot create a temporary file (every name taken)");
  owns_fd_ = true;
  if (existing) {
    // Keep the owner where permitted (as root), then the permission bits (chown may clear some).
    // Not setuid or setgid: new content is not the program someone made privileged; the kernel
    // clears both when an unprivileged process writes a file, and so does rapport for everyone,
    // root included (docs/outputs.md). The sticky bit, meaningless on a file, is kept.
    if (existing->st_uid != ::geteuid() || existing->st_gid != ::getegid())
      (void)::fchown(fd_, existing->st_uid, existing->st_gid);
    if (::fchmod(fd_, existing->st_mode & kept_mode_bits) != 0) fail("cannot keep the file's permissions", errno);
  }
}

void OutputFile::flush() {
  if (fd_ < 0) throw OutputError(path_ + ": write after commit");
  if (direct_ && !owns_fd_) std::fflush(stdout);
  if (const int err = write_all(fd_, buf_); err != 0) fail("write failed", err);
  buf_.clear();
}

void OutputFile::write_through(std::string_view text) {
  if (fd_ < 0) throw OutputError(path_ + ": write after commit");
  if (direct_ && !owns_fd_) std::fflush(stdout);
  if (const int err = write_all(fd_, text); err != 0) fail("write failed", err);
}

void OutputFile::commit() {
  flush();
  if (direct_) {
    const int fd = fd_;
    fd_ = -1;
    if (owns_fd_ && ::close(fd) != 0 && errno != EINTR) throw OutputError(path_ + ": write failed: " + reason(errno));
    return;
  }
  if (::fsync(fd_) != 0) fail("write failed (fsync)", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && errno != EINTR) fail("write failed (close)", errno);
  if (t_batch) {  // written and on disk: the batch puts it in place with the others (or removes it)
    t_batch->entries.push_back({path_, tmp_, target_, slot_});
    slot_ = -1;
    tmp_.clear();
    return;
  }
  if (::rename(tmp_.c_str(), target_.c_str()) != 0) fail("cannot rename the temporary file into place", errno);
  unregister_temporary(slot_);
  slot_ = -1;
  tmp_.clear();
  fsync_directory(target_);
}

void OutputFile::close_fd() noexcept {
  if (fd_ >= 0 && owns_fd_) ::close(fd_);
  fd_ = -1;
}

void OutputFile::discard() noexcept {
  close_fd();
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  unregister_temporary(slot_);
  slot_ = -1;
  tmp_.clear();
}

void OutputFile::fail(const std::string& what, int err) {
  discard();
  throw OutputError(path_ + ": " + what + ": " + reason(err));
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// OutputBatch: the commit-all group over OutputFile
// ---------------------------------------------------------------------------------------------

namespace {

/// Removes a deferred temporary file and frees its registry slot.
void drop(OutputBatch::Impl::Entry& e) noexcept {
  if (!e.tmp.empty()) ::unlink(e.tmp.c_str());
  detail::unregister_temporary(e.slot);
  e.slot = -1;
  e.tmp.clear();
}

}  // namespace

OutputBatch::OutputBatch() : impl_(std::make_unique<Impl>()) {
  impl_->outer = detail::t_batch;
  detail::t_batch = impl_.get();
}

OutputBatch::~OutputBatch() {
  if (impl_->deferring && detail::t_batch == impl_.get()) detail::t_batch = impl_->outer;
  for (auto& e : impl_->entries) drop(e);
}

void OutputBatch::commit() {
  Impl& im = *impl_;
  if (im.deferring && detail::t_batch == &im) detail::t_batch = im.outer;
  im.deferring = false;
  auto& entries = im.entries;
  if (im.outer) {  // nested: the outer batch puts them in place
    for (auto& e : entries) im.outer->entries.push_back(e);
    entries.clear();
    return;
  }
  // A hard link to each existing target keeps the old file until every rename succeeded, so that
  // a failed rename can put back the ones before it.
  const std::size_t n = entries.size();
  std::vector<std::string> backup(n);
  std::vector<int> backup_slot(n, -1);
  std::vector<bool> existed(n, false);
  const auto forget_backups = [&] {
    for (std::size_t k = 0; k < n; ++k) {
      if (!backup[k].empty()) ::unlink(backup[k].c_str());
      detail::unregister_temporary(backup_slot[k]);
    }
  };
  for (std::size_t k = 0; k < n; ++k) {
    struct stat st {};
    existed[k] = ::lstat(entries[k].target.c_str(), &st) == 0;
    if (!existed[k] || !S_ISREG(st.st_mode)) continue;
    for (int attempt = 0; attempt < 100 && backup[k].empty(); ++attempt) {
      std::string name = detail::temporary_name(std::filesystem::absolute(entries[k].target));
      const int slot = detail::register_temporary(name);
      if (::link(entries[k].target.c_str(), name.c_str()) == 0) {
        backup[k] = std::move(name);
        backup_slot[k] = slot;
        break;
      }
      const int err = errno;
      detail::unregister_temporary(slot);
      if (err != EEXIST) break;  // no link on this file system: that target cannot be put back
    }
  }
  for (std::size_t k = 0; k < n; ++k) {
    auto& e = entries[k];
    if (::rename(e.tmp.c_str(), e.target.c_str()) == 0) {
      detail::unregister_temporary(e.slot);
      e.slot = -1;
      e.tmp.clear();
      detail::fsync_directory(e.target);
      continue;
    }
    const int err = errno;
    for (std::size_t j = 0; j < k; ++j) {  // put back what was replaced before this one
      if (!backup[j].empty()) {
        // put back; should even that fail, the old file stays under its backup name
        (void)::rename(backup[j].c_str(), entries[j].target.c_str());
        detail::unregister_temporary(backup_slot[j]);
        backup_slot[j] = -1;
        backup[j].clear();
      } else if (!existed[j]) {
        ::unlink(entries[j].target.c_str());
      }
    }
    forget_backups();
    for (auto& rest : entries) drop(rest);
    throw OutputError(e.path + ": cannot rename the temporary file into place: " + detail::reason(err) +
                      " (no output of the run was replaced)");
  }
  forget_backups();
  entries.clear();
}

}  // namespace rapport
