// Private: a file written under a temporary name and renamed into place on commit(), so a
// failed run never leaves a half-written result. Buffered; flushes every few MiB.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>

namespace rapport::detail {

class AtomicFile {
public:
  explicit AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
    tmp_ = path_;
    tmp_ += ".tmp" + std::to_string(::getpid());
    file_ = std::fopen(tmp_.c_str(), "wb");
    if (!file_) throw std::runtime_error(path_.string() + ": cannot write: " + std::strerror(errno));
    buf_.reserve(chunk + 4096);
  }
  ~AtomicFile() {
    if (file_) {
      std::fclose(file_);
      std::error_code ec;
      std::filesystem::remove(tmp_, ec);
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// The buffer to append to; call maybe_flush() after appending a row.
  std::string& buffer() noexcept { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= chunk) flush();
  }
  void write(std::string_view s) {
    buf_.append(s);
    maybe_flush();
  }
  /// Flushes, closes and renames into place.
  void commit() {
    flush();
    const bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    std::error_code ec;
    if (!ok) {
      std::filesystem::remove(tmp_, ec);
      throw std::runtime_error(path_.string() + ": write failed");
    }
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) {
      std::filesystem::remove(tmp_, ec);
      throw std::runtime_error(path_.string() + ": cannot rename the temporary file into place");
    }
  }

private:
  static constexpr std::size_t chunk = std::size_t{1} << 22;
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size())
      throw std::runtime_error(path_.string() + ": write failed: " + std::strerror(errno));
    buf_.clear();
  }
  std::filesystem::path path_, tmp_;
  std::FILE* file_ = nullptr;
  std::string buf_;
};

}  // namespace rapport::detail
