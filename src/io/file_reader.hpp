// Private: the one reader of raw file blocks. Every reader of a file's bytes (the CSV reader, the
// grouped tables' parallel loader, the edge-list reader) opens, positions and reads through it,
// so opening, interrupted reads and errors are handled, and reported, one way. Files are read,
// not mapped: a mapped file that another process truncates meanwhile would kill the host process
// with SIGBUS.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::detail {

/// A whole file's bytes in memory (the buffer is not zero-filled first).
struct FileBytes {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  std::string_view view() const noexcept { return {data.get(), size}; }
};

/// A file open for reading, from a given byte offset on.
class FileReader {
public:
  /// Opens `path` and positions it at byte `offset`. Throws InputError "<path>: cannot open:
  /// <reason>" or "<path>: seek failed".
  explicit FileReader(std::string path, std::size_t offset = 0);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  /// The path it was opened with.
  const std::string& path() const noexcept { return path_; }
  /// The file's size when it is a regular file; nullopt for a pipe, a device and the like.
  std::optional<std::size_t> regular_size() const noexcept;
  /// Tells the system the file will be read from start to end (a hint; read-ahead grows).
  void advise_sequential() const noexcept;

  /// Reads up to `n` bytes into `to` (one read, retried when interrupted); 0 at the end of the
  /// file. Throws InputError "<path>: read error: <reason>".
  std::size_t read_some(char* to, std::size_t n);

  /// Moves buf[keep_from, filled) to the front, doubles `buf` when that rest fills it, and reads
  /// once into the room after the rest; `filled` becomes the bytes held. Returns the bytes read
  /// (0 at the end of the file). The buffer is reused block after block.
  std::size_t refill(std::vector<char>& buf, std::size_t keep_from, std::size_t& filled);

  /// Copies `rest` (bytes outside `to`) to the front of `to`, doubling `to` while `rest` would
  /// fill it, and reads once into the room after it; `filled` becomes the bytes held. Returns the
  /// bytes read (0 at the end of the file). A second buffer filled this way while the first one is
  /// still being read lets the next window be read ahead.
  std::size_t read_after(std::string_view rest, std::vector<char>& to, std::size_t& filled);

  /// Reads from the current position to the end of the file into one buffer (sized by the file
  /// when it is a regular file, grown as needed otherwise).
  FileBytes read_to_end();

private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace rapport::detail
