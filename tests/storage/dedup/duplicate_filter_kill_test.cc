// Duplicate suppression after kill -9: the table is read back from the log
// a crash left (abnormal recovery), so every acknowledged put repeated
// after the reopen is answered with its original record.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

constexpr int kPuts = 2000;

struct Ack {
  int32_t index;
  int64_t offset;
  int64_t queue_offset;
};

test::OwnedMessage Msg(int i) { return test::OwnedMessage("TopicA", i % 4, 100 + i % 300, "K" + std::to_string(i)); }

// Child: puts K0.. (each key twice: the repeat must already be a
// duplicate), acknowledging each; never returns.
[[noreturn]] void RunChild(const StoreConfig& config, int report) {
  auto opened = MessageStore::Open(config);
  if (!opened.ok()) _exit(3);
  MessageStore& store = **opened;
  for (int i = 0;; ++i) {
    const PutResult r = store.Put(Msg(i % kPuts).message());
    if (!r.ok() || r.duplicate != (i >= kPuts)) _exit(4);
    if (i >= kPuts) {
      pause();
      continue;
    }
    const Ack ack{i, r.wrote_offset, r.queue_offset};
    if (write(report, &ack, sizeof ack) != sizeof ack) _exit(5);
  }
}

TEST(DuplicateFilterKillTest, EveryAcknowledgedKeyIsADuplicateAfterAKill) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store", /*write_backend=*/false);  // a kill keeps the page cache
  config.dedupWindowSeconds = 600;
  test::ReportingChild child([&](int report) { RunChild(config, report); });
  ASSERT_TRUE(child.started());
  std::vector<Ack> acked;
  Ack ack{};
  while (acked.size() < kPuts / 2 && child.Read(ack)) acked.push_back(ack);
  ASSERT_TRUE(child.KillAndReap()) << "the child stopped by itself: " << child.why();
  ASSERT_GE(acked.size(), static_cast<size_t>(kPuts / 2));

  auto opened = MessageStore::Open(config);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& store = **opened;
  EXPECT_TRUE(store.recovery().abnormal);
  EXPECT_GE(store.Stats().dedup.rebuilt, acked.size());
  for (const Ack& a : acked) {
    const PutResult r = store.Put(Msg(a.index).message());
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_TRUE(r.duplicate) << "K" << a.index << " stored again after the kill";
    EXPECT_EQ(r.wrote_offset, a.offset) << "K" << a.index;
    EXPECT_EQ(r.queue_offset, a.queue_offset) << "K" << a.index;
  }
  ASSERT_TRUE(store.Shutdown().ok());
}

}  // namespace
}  // namespace mqstore
