// Opening a store whose duplicate table cannot be mapped: MessageStore::Open
// answers an error naming dedupMaxEntries, the bytes asked for and errno's
// text. The knob's range allows 100,000,000 keys (6.4 GB of slots, mapped
// without reserving memory), which a 64-bit address space holds, so the
// failure is provoked in a forked child whose address space (RLIMIT_AS) is
// limited to what it already uses plus 256 MiB: the test process keeps its
// own limit. Not a `tsan` test: ThreadSanitizer does not follow the fork.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/limited_address_space.h"

namespace mqstore {
namespace {

TEST(DuplicateFilterOpen, ATableThatCannotBeMappedFailsTheOpenWithTheKnobTheBytesAndErrno) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store");
  config.dedupWindowSeconds = 60;
  config.dedupMaxEntries = 100000000;  // the range's top: 16 shards of 6,250,000 keys
  ASSERT_TRUE(config.Validate().ok());
  const test::LimitedRun run = test::RunWithAddressSpaceLeft(uint64_t{256} << 20, [&](std::string& said) {
    auto store = MessageStore::Open(config);
    said = store.ok() ? "opened" : store.error().ToString();
    return !store.ok();
  });
  const std::string& said = run.said;
  EXPECT_EQ(run.why, "it exited by itself with status 0") << said;
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
