// Private: the one way rapport writes an output file (see docs/outputs.md).
//
// A regular file (or a path that does not exist yet) is written through a temporary file created
// exclusively (O_CREAT | O_EXCL, never through a symlink, close-on-exec) in the target's
// directory, with the target's permission bits when it exists (0666 & ~umask otherwise; setuid and
// setgid are not carried over, see kept_mode_bits); commit()
// flushes, fsyncs, renames it over the target and fsyncs the directory. A FIFO, a character
// device or "-" (standard output) is written directly instead of being replaced. Until commit()
// succeeds the temporary file is listed in a registry that remove_pending_temporaries() (async-
// signal-safe) unlinks; the destructor of an uncommitted OutputFile removes it too.
#pragma once

#include <sys/stat.h>
#include <cstddef>
#include <string>
#include <string_view>

namespace rapport::detail {

/// The mode bits a replaced file keeps: permissions and the sticky bit, not setuid or setgid.
inline constexpr unsigned kept_mode_bits = 01777;

class OutputFile {
public:
  /// Opens `path` for writing as described above.
  /// @throws OutputError naming the file and the reason (a directory, a missing folder, no
  /// permission, a block device or socket, ...).
  explicit OutputFile(std::string path);
  /// Removes the temporary file of an output that was not committed.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /// The buffer to append to; call maybe_flush() after appending a row.
  std::string& buffer() noexcept { return buf_; }
  /// Writes the buffer out once it holds a few MiB.
  void maybe_flush() {
    if (buf_.size() >= chunk) flush();
  }
  /// Appends `text` (and writes the buffer out once it is large); text of a quarter chunk or more
  /// is written straight out, without a copy into the buffer.
  void write(std::string_view text) {
    if (text.size() >= chunk / 4) {
      flush();
      write_through(text);
      return;
    }
    buf_.append(text);
    maybe_flush();
  }
  /// Writes `text` to the file now (the buffer must be empty).
  void write_through(std::string_view text);
  /// Writes everything out and puts the file in place (rename for a replaced file).
  /// @throws OutputError naming the file and the reason; the temporary file is then removed.
  void commit();
  /// Drops what was written: removes the temporary file (a direct target keeps what it got).
  void discard() noexcept;

  /// The target path as given.
  const std::string& path() const noexcept { return path_; }
  /// True when the target is written directly (FIFO, character device, standard output).
  bool direct() const noexcept { return direct_; }
  /// The temporary file's path ("" when written directly or once committed).
  const std::string& temporary_path() const noexcept { return tmp_; }

private:
  static constexpr std::size_t chunk = std::size_t{1} << 22;
  void open_direct(bool is_stdout);
  void open_replacement(const struct stat* existing);
  void flush();
  void close_fd() noexcept;
  [[noreturn]] void fail(const std::string& what, int err);

  std::string path_;    // the target as given
  std::string target_;  // where the file goes: path_, or the file a symlink at path_ points to
  std::string tmp_;     // the temporary file, while it exists
  std::string buf_;
  int fd_ = -1;
  int slot_ = -1;  // registry slot of tmp_, or -1
  bool direct_ = false;
  bool owns_fd_ = false;  // false for standard output
};

/// Creates `path` exclusively (O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, write-only) with
/// `mode` (less the umask). Returns the descriptor, or -1 with errno set (EEXIST when anything,
/// a symlink included, is already there).
int create_exclusive(const std::string& path, unsigned mode) noexcept;

/// Async-signal-safe: unlinks every temporary file of an output that was not committed, then
/// removes every registered temporary folder (empty by then).
void remove_pending_temporaries() noexcept;

/// Lists a temporary file or folder for remove_pending_temporaries(); returns its slot (-1 when
/// the registry is full: it is then only removed by its owner).
int register_temporary(const std::string& path) noexcept;
/// Takes a path off the list (slot -1: nothing).
void unregister_temporary(int slot) noexcept;

/// Writes all of `data` to `fd`, retrying after EINTR and short writes. Returns 0 or an errno.
int write_all(int fd, std::string_view data) noexcept;

}  // namespace rapport::detail
