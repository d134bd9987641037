// The one reader of raw file blocks (io/file_reader.hpp): offsets, refills that keep a tail and
// grow a full buffer, whole files, and the errors it reports.
#include "io/file_reader.hpp"

#include <rapport/error.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rapport::detail {
namespace {

std::string held(const std::vector<char>& buf, std::size_t filled) { return std::string(buf.data(), filled); }

TEST(FileReader, ReadsFromAnOffsetToTheEnd) {
  test::TempDir dir;
  const std::string path = dir.write("f.txt", "abcdef");
  EXPECT_EQ(FileReader(path).read_to_end().view(), "abcdef");
  EXPECT_EQ(FileReader(path, 2).read_to_end().view(), "cdef");
  EXPECT_EQ(FileReader(dir.write("empty.txt", "")).read_to_end().size, 0U);
}

TEST(FileReader, RefillKeepsTheTailAndGrowsAFullBuffer) {
  test::TempDir dir;
  FileReader file(dir.write("digits.txt", "0123456789"));
  std::vector<char> buf(4);
  std::size_t filled = 0;
  EXPECT_EQ(file.refill(buf, 0, filled), 4U);  // "0123"
  EXPECT_EQ(held(buf, filled), "0123");
  EXPECT_EQ(file.refill(buf, 3, filled), 3U);  // keeps "3", reads "456"
  EXPECT_EQ(held(buf, filled), "3456");
  EXPECT_EQ(file.refill(buf, 0, filled), 3U);  // full: the buffer doubles to 8, reads "789"
  EXPECT_EQ(buf.size(), 8U);
  EXPECT_EQ(held(buf, filled), "3456789");
  EXPECT_EQ(file.refill(buf, 7, filled), 0U);  // the end of the file
  EXPECT_EQ(filled, 0U);
}

TEST(FileReader, ReportsTheFileAndTheReason) {
  test::TempDir dir;
  const std::string missing = dir.file("missing.csv");
  try {
    FileReader file(missing);
    FAIL() << "opened a missing file";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot open: No such file or directory");
  }
  FileReader folder(dir.path());  // a directory opens, but does not read
  EXPECT_FALSE(folder.regular_size().has_value());
  try {
    folder.read_to_end();
    FAIL() << "read a directory";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir.path() + ": read error: Is a directory");
  }
}

TEST(FileReader, KnowsARegularFilesSize) {
  test::TempDir dir;
  EXPECT_EQ(FileReader(dir.write("f.txt", "hello\n")).regular_size(), 6U);
}

}  // namespace
}  // namespace rapport::detail
