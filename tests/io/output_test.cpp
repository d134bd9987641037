// The one output writer: exclusive temporary file, symlinks not followed, mode kept, FIFO and
// standard output written directly, no temporary file left behind, atomic replacement.
#include "io/output_file.hpp"

#include <rapport/error.hpp>
#include <rapport/io/writers.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace fs = std::filesystem;
using rapport::detail::OutputFile;

namespace {

/// Names of the entries of a folder.
std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

/// Everything written into a FIFO until the writer closes it; gives up after 30 s (a writer
/// that replaced the FIFO instead of writing into it never comes).
std::string read_fifo(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "open failed";
  std::string out;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 && !out.empty()) {
      break;  // the writer closed it
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no writer yet, or no data yet
    }
  }
  ::close(fd);
  return out;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

}  // namespace

// A planted file or symlink at the name to create makes exclusive creation fail (EEXIST); the
// file the symlink points to is not touched.
TEST(OutputFile, ExclusiveCreationRefusesAPlantedSymlink) {
  rapport::test::TempDir dir;
  const auto victim = dir.write("victim.txt", "precious\n");
  const auto planted = dir.file("planted");
  ASSERT_EQ(::symlink(victim.c_str(), planted.c_str()), 0);
  errno = 0;
  EXPECT_EQ(rapport::detail::create_exclusive(planted, 0600), -1);
  EXPECT_EQ(errno, EEXIST);
  const auto dangling = dir.file("dangling");
  ASSERT_EQ(::symlink(dir.file("would-be-created").c_str(), dangling.c_str()), 0);
  EXPECT_EQ(rapport::detail::create_exclusive(dangling, 0600), -1);
  EXPECT_FALSE(fs::exists(dir.file("would-be-created")));
  EXPECT_EQ(rapport::test::read_file(victim), "precious\n");
}

// Symlinks planted at every name the old writer used (path.tmp, path.tmp<pid>) and the
// temporary file are not followed: the victim keeps its bytes, the links stay links.
TEST(OutputFile, PlantedSymlinksAtPredictableTemporaryNamesAreNotFollowed) {
  rapport::test::TempDir dir;
  const auto victim = dir.write("victim.txt", "precious\n");
  const auto target = dir.file("scores.csv");
  const std::vector<std::string> planted{target + ".tmp", target + ".tmp" + std::to_string(::getpid()),
                                         dir.file(".scores.csv.tmp")};
  for (const auto& p : planted) ASSERT_EQ(::symlink(victim.c_str(), p.c_str()), 0);
  rapport::write_file_atomically(target, "new\n");
  EXPECT_EQ(rapport::test::read_file(target), "new\n");
  EXPECT_EQ(rapport::test::read_file(victim), "precious\n");
  for (const auto& p : planted) EXPECT_TRUE(fs::is_symlink(p)) << p;
  EXPECT_FALSE(fs::is_symlink(target));
}

// The temporary file is a fresh regular file beside the target, with an unpredictable name:
// two writers of the same target never share it.
TEST(OutputFile, TemporaryFileIsFreshBesideTheTargetAndUnique) {
  rapport::test::TempDir dir;
  const auto target = dir.file("out.csv");
  OutputFile a(target), b(target);
  EXPECT_NE(a.temporary_path(), b.temporary_path());
  for (const OutputFile* f : {&a, &b}) {
    EXPECT_EQ(fs::path(f->temporary_path()).parent_path(), fs::absolute(fs::path(target)).parent_path());
    struct stat st {};
    ASSERT_EQ(::lstat(f->temporary_path().c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_nlink, 1u);
  }
  EXPECT_FALSE(a.direct());
}

TEST(OutputFile, ExistingFileKeepsItsPermissionBits) {
  rapport::test::TempDir dir;
  for (const unsigned mode : {0600U, 0640U, 0755U, 0444U}) {
    const auto target = dir.write("m" + std::to_string(mode) + ".csv", "old\n");
    ASSERT_EQ(::chmod(target.c_str(), mode), 0);
    rapport::write_file_atomically(target, "new\n");
    EXPECT_EQ(rapport::test::read_file(target), "new\n");
    EXPECT_EQ(mode_of(target), mode);
  }
}

TEST(OutputFile, NewFileGetsTheUsualModeLessTheUmask) {
  rapport::test::TempDir dir;
  const mode_t old = ::umask(027);
  rapport::write_file_atomically(dir.file("new.csv"), "x\n");
  ::umask(old);
  EXPECT_EQ(mode_of(dir.file("new.csv")), 0640u);  // 0666 & ~027
}

// A FIFO is written into, not replaced by a regular file.
TEST(OutputFile, FifoIsWrittenDirectly) {
  rapport::test::TempDir dir;
  const auto fifo = dir.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = read_fifo(fifo); });
  std::string big(3 << 20, 'x');  // larger than a pipe buffer and than one flush
  big += "\nend\n";
  rapport::write_file_atomically(fifo, big);
  reader.join();
  EXPECT_EQ(received, big);
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"pipe"});
}

// A character device (a private copy of /dev/null, so that a broken writer could only ever
// replace that one) is written into, not replaced.
TEST(OutputFile, CharacterDeviceIsWrittenDirectly) {
  rapport::test::TempDir dir;
  const auto dev = dir.file("null");
  if (::mknod(dev.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0)
    GTEST_SKIP() << "cannot create a character device here: " << std::strerror(errno);
  {
    OutputFile f(dev);
    EXPECT_TRUE(f.direct());
    EXPECT_TRUE(f.temporary_path().empty());
    f.write("discarded\n");
    f.commit();
  }
  struct stat st {};
  ASSERT_EQ(::lstat(dev.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"null"});
}

// "-" is standard output: captured here by pointing descriptor 1 at a file.
TEST(OutputFile, DashWritesToStandardOutput) {
  rapport::test::TempDir dir;
  const auto capture = dir.file("stdout.txt");
  std::fflush(stdout);
  const int saved = ::dup(1);
  const int fd = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ::dup2(fd, 1);
  ::close(fd);
  std::printf("before ");  // stdio output stays in order with the direct writes
  rapport::write_file_atomically("-", "to stdout\n");
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  EXPECT_EQ(rapport::test::read_file(capture), "before to stdout\n");
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"stdout.txt"});
}

// An exception between opening and commit leaves the target as it was and no temporary file.
TEST(OutputFile, NoTemporaryFileLeftAfterAnException) {
  rapport::test::TempDir dir;
  const auto target = dir.write("scores.csv", "previous\n");
  try {
    OutputFile f(target);
    f.write(std::string(5 << 20, 'y'));  // past one flush: the temporary file has data
    ASSERT_TRUE(fs::exists(f.temporary_path()));
    throw std::runtime_error("scoring failed");
  } catch (const std::runtime_error&) {}
  EXPECT_EQ(rapport::test::read_file(target), "previous\n");
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"scores.csv"});
}

// A failing write (here: the folder vanished before the rename) throws OutputError naming the
// file and leaves no temporary file.
TEST(OutputFile, FailuresAreOutputErrorsNamingTheFile) {
  rapport::test::TempDir dir;
  try {
    rapport::write_file_atomically(dir.file("missing/x.csv"), "x");
    FAIL() << "no error";
  } catch (const rapport::OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/x.csv"), std::string::npos) << e.what();
    EXPECT_EQ(e.kind(), rapport::ErrorKind::output);
  }
  EXPECT_THROW(rapport::write_file_atomically(dir.path(), "x"), rapport::OutputError);  // a directory
  fs::create_directories(dir.file("sub"));
  {
    OutputFile f(dir.file("sub/x.csv"));
    f.write("x\n");
    fs::remove_all(dir.file("sub"));
    EXPECT_THROW(f.commit(), rapport::OutputError);
  }
  EXPECT_TRUE(entries(dir.path()).empty());
}

// Until commit the target holds the old bytes; commit swaps in the new file in one rename (a
// reader that opened the old file keeps reading the old bytes).
TEST(OutputFile, ReplacementIsOneAtomicRename) {
  rapport::test::TempDir dir;
  const auto target = dir.write("scores.csv", "old\n");
  std::ifstream old_reader(target, std::ios::binary);
  struct stat before {};
  ASSERT_EQ(::stat(target.c_str(), &before), 0);
  OutputFile f(target);
  f.write("new\n");
  f.write(std::string(5 << 20, 'z'));
  EXPECT_EQ(rapport::test::read_file(target), "old\n");
  f.commit();
  struct stat after {};
  ASSERT_EQ(::stat(target.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // a new file took the name
  EXPECT_EQ(rapport::test::read_file(target).substr(0, 4), "new\n");
  std::string line;
  std::getline(old_reader, line);
  EXPECT_EQ(line, "old");
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"scores.csv"});
}

// A symlink at the target is followed: the file it points to is replaced and the link stays.
TEST(OutputFile, SymlinkAtTheTargetIsFollowed) {
  rapport::test::TempDir dir;
  fs::create_directories(dir.file("real"));
  const auto real = dir.write("real/scores.csv", "old\n");
  ASSERT_EQ(::chmod(real.c_str(), 0600), 0);
  const auto link = dir.file("scores.csv");
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  rapport::write_file_atomically(link, "new\n");
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(rapport::test::read_file(real), "new\n");
  EXPECT_EQ(mode_of(real), 0600u);
  EXPECT_EQ(entries(dir.file("real")), std::set<std::string>{"scores.csv"});
}

// What a signal handler calls: every live temporary file is removed.
TEST(OutputFile, RemovePendingOutputsUnlinksLiveTemporaryFiles) {
  rapport::test::TempDir dir;
  const auto target = dir.write("scores.csv", "old\n");
  OutputFile f(target);
  f.write(std::string(5 << 20, 'q'));
  ASSERT_TRUE(fs::exists(f.temporary_path()));
  rapport::remove_pending_outputs();
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"scores.csv"});
  EXPECT_EQ(rapport::test::read_file(target), "old\n");
}

// The streaming rejects writer: one CSV row per rejected row, quoted by the one CSV rule.
TEST(RejectsCsvWriter, WritesEveryRowWithCsvQuoting) {
  rapport::test::TempDir dir;
  const auto target = dir.file("rejects.csv");
  {
    rapport::RejectsCsvWriter w(target);
    w.add({"purchases", "p.csv", 3, 3, "amount", "negative amount", "C1,2020-01-01,-5"});
    w.add({"customers", "c.csv", 7, 0, "", "expected 3 fields, found 1", "say \"hi\""});
    EXPECT_EQ(w.rows(), 2u);
    EXPECT_FALSE(fs::exists(target));  // nothing in place before commit
    w.commit();
  }
  EXPECT_EQ(rapport::test::read_file(target),
            "table,file,line,column,column_name,reason,raw\n"
            "purchases,p.csv,3,3,amount,negative amount,\"C1,2020-01-01,-5\"\n"
            "customers,c.csv,7,0,,\"expected 3 fields, found 1\",\"say \"\"hi\"\"\"\n");
  {
    rapport::RejectsCsvWriter w(target);  // destroyed without commit: the old file stays
    w.add({"customers", "c.csv", 2, 1, "customer_id", "empty customer_id", ""});
  }
  EXPECT_EQ(entries(dir.path()), std::set<std::string>{"rejects.csv"});
  EXPECT_NE(rapport::test::read_file(target).find("say"), std::string::npos);
}
