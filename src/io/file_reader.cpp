#include "io/file_reader.hpp"

#include <rapport/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rapport::detail {

FileReader::FileReader(std::string path, std::size_t offset) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(path_ + ": cannot open: " + std::strerror(errno));
  if (offset != 0 && ::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
    ::close(fd_);
    throw InputError(path_ + ": seek failed");
  }
}

FileReader::~FileReader() { ::close(fd_); }

std::optional<std::size_t> FileReader::regular_size() const noexcept {
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) return std::nullopt;
  return static_cast<std::size_t>(st.st_size);
}

void FileReader::advise_sequential() const noexcept { ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL); }

std::size_t FileReader::read_some(char* to, std::size_t n) {
  for (;;) {
    const ssize_t got = ::read(fd_, to, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw InputError(path_ + ": read error: " + std::strerror(errno));
  }
}

std::size_t FileReader::refill(std::vector<char>& buf, std::size_t keep_from, std::size_t& filled) {
  std::memmove(buf.data(), buf.data() + keep_from, filled - keep_from);
  filled -= keep_from;
  if (filled == buf.size()) buf.resize(buf.empty() ? 64 : buf.size() * 2);
  const std::size_t got = read_some(buf.data() + filled, buf.size() - filled);
  filled += got;
  return got;
}

std::size_t FileReader::read_after(std::string_view rest, std::vector<char>& to, std::size_t& filled) {
  while (to.size() <= rest.size()) to.resize(to.empty() ? 64 : to.size() * 2);
  if (!rest.empty()) std::memcpy(to.data(), rest.data(), rest.size());
  filled = rest.size();
  const std::size_t got = read_some(to.data() + filled, to.size() - filled);
  filled += got;
  return got;
}

FileBytes FileReader::read_to_end() {
  const std::optional<std::size_t> size = regular_size();
  std::size_t capacity = size && *size > 0 ? *size + 1 : std::size_t{1} << 16;
  FileBytes out{std::unique_ptr<char[]>(new char[capacity]), 0};
  while (const std::size_t got = read_some(out.data.get() + out.size, capacity - out.size)) {
    out.size += got;
    if (out.size == capacity) {
      std::unique_ptr<char[]> grown(new char[capacity * 2]);
      std::memcpy(grown.get(), out.data.get(), out.size);
      out.data = std::move(grown);
      capacity *= 2;
    }
  }
  return out;
}

}  // namespace rapport::detail
