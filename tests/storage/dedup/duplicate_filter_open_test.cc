// Opening a store whose duplicate table cannot be mapped: MessageStore::Open
// answers an error naming dedupMaxEntries, the bytes asked for and errno's
// text. The knob's range allows 100,000,000 keys (6.4 GB of slots, mapped
// without reserving memory), which a 64-bit address space holds, so the
// failure is provoked in a forked child whose address space (RLIMIT_AS) is
// limited to what it already uses plus 256 MiB: the test process keeps its
// own limit. Not a `tsan` test: ThreadSanitizer does not follow the fork.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

// This process's address space in bytes (/proc/self/status VmSize), 0 if unread.
uint64_t AddressSpaceBytes() {
  std::ifstream status("/proc/self/status");
  std::string word;
  while (status >> word)
    if (word == "VmSize:") {
      uint64_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
  return 0;
}

void WriteAll(int fd, const std::string& s) {
  for (size_t at = 0; at < s.size();) {
    const ssize_t n = write(fd, s.data() + at, s.size() - at);
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(DuplicateFilterOpen, ATableThatCannotBeMappedFailsTheOpenWithTheKnobTheBytesAndErrno) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store");
  config.dedupWindowSeconds = 60;
  config.dedupMaxEntries = 100000000;  // the range's top: 16 shards of 6,250,000 keys
  ASSERT_TRUE(config.Validate().ok());
  const uint64_t used = AddressSpaceBytes();
  ASSERT_GT(used, 0u);
  test::ReportingChild child([&](int fd) {
    struct rlimit lim {};
    getrlimit(RLIMIT_AS, &lim);
    lim.rlim_cur = used + (uint64_t{256} << 20);
    if (setrlimit(RLIMIT_AS, &lim) != 0) {
      WriteAll(fd, std::string("setrlimit: ") + std::strerror(errno));
      _exit(2);
    }
    auto store = MessageStore::Open(config);
    WriteAll(fd, store.ok() ? "opened" : store.error().ToString());
    _exit(store.ok() ? 1 : 0);
  });
  ASSERT_TRUE(child.started());
  const std::string said = ReadAll(child.report_fd());
  child.Reap();
  EXPECT_EQ(child.why(), "it exited by itself with status 0") << said;
  // Each shard's slots: 2^24 of 24 bytes (6,250,000 keys at most half full).
  EXPECT_NE(said.find("dedupMaxEntries=100000000"), std::string::npos) << said;
  EXPECT_NE(said.find("shard 1 of 16"), std::string::npos) << said;
  EXPECT_NE(said.find("mmap of 402653184 bytes"), std::string::npos) << said;
  EXPECT_NE(said.find(std::strerror(ENOMEM)), std::string::npos) << said;

  // The failed open left nothing in the way: the store opens (without the limit).
  config.dedupMaxEntries = 1000;
  auto store = MessageStore::Open(config);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_TRUE((*store)->Stats().dedup.enabled);
  EXPECT_TRUE((*store)->Shutdown().ok());
}

}  // namespace
}  // namespace mqstore
