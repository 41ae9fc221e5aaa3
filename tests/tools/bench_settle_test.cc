// SettleStore (what `mqstore bench --dedup` does after each run): every file
// under the root, subdirectories included, is left durable and out of the
// page cache; the files stay.
#include "tools/bench_settle.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/golden.h"

namespace mqstore::cli::bench {
namespace {

constexpr size_t kFileBytes = 4 << 20;

void WriteFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path;
  const std::vector<char> bytes(kFileBytes, 'x');
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

// Pages of the file in the page cache (mincore over a mapping of it).
size_t CachedPages(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  void* p = ::mmap(nullptr, kFileBytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return 0;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in_core((kFileBytes + page - 1) / page);
  size_t cached = 0;
  if (::mincore(p, kFileBytes, in_core.data()) == 0)
    for (unsigned char c : in_core) cached += c & 1;
  ::munmap(p, kFileBytes);
  return cached;
}

// A store root (root_) in a fresh directory on a file system that drops
// pages when asked (a tmpfs keeps them: the tests skip there).
class SettleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct statfs fs {};
    ASSERT_EQ(::statfs(tmp_.path().c_str(), &fs), 0);
    if (fs.f_type == TMPFS_MAGIC) GTEST_SKIP() << "a tmpfs keeps its pages: nothing to drop";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
  }
  test::TempDir tmp_;
  const std::string root_ = tmp_.path() + "/store";
};

TEST_F(SettleStoreTest, EveryFileUnderTheRootLeavesThePageCacheAndStays) {
  const std::string& root = root_;
  ASSERT_EQ(::mkdir((root + "/commitlog").c_str(), 0755), 0);
  const std::vector<std::string> files = {root + "/checkpoint", root + "/commitlog/00000000000000000000"};
  for (const auto& f : files) WriteFile(f);
  for (const auto& f : files) EXPECT_GT(CachedPages(f), 0u) << f << ": just written, so cached";

  const Status st = SettleStore(root);
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const auto& f : files) {
    EXPECT_EQ(CachedPages(f), 0u) << f;
    struct stat s {};
    ASSERT_EQ(::stat(f.c_str(), &s), 0) << f;
    EXPECT_EQ(static_cast<size_t>(s.st_size), kFileBytes) << f;
  }
}

// What `mqstore bench` does before the ceilings it measures after a put run:
// the store's pages stay taken, as during the run, but none is dirty (a
// drop without a sync now lets every one go).
TEST_F(SettleStoreTest, SyncOnlyLeavesEveryPageCachedAndClean) {
  const std::string file = root_ + "/checkpoint";
  WriteFile(file);
  const size_t written = CachedPages(file);
  ASSERT_GT(written, 0u) << "just written, so cached";

  const Status st = SettleStore(root_, Settle::kSyncOnly);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(CachedPages(file), written) << "nothing dropped";
  const int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);
  EXPECT_EQ(CachedPages(file), 0u) << "a dirty page would have stayed (written back, not dropped)";
}

TEST(SettleStore, AMissingRootIsAnErrorNamingIt) {
  test::TempDir tmp;
  const Status st = SettleStore(tmp.path() + "/nowhere");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("nowhere"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace mqstore::cli::bench
