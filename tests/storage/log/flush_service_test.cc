// The flush service: group commit (SYNC_FLUSH), per-put durability requests,
// asynchronous puts, timeouts, failed syncs, and the io engine choice.
#include "storage/log/flush_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "format/properties.h"
#include "storage/io/fake_clock.h"
#include "storage/io/fault_injection_file_system.h"
#include "storage/message_store.h"
#include "storage/store_layout.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

// A file whose fdatasync takes `delay`: of `clock`'s time (a slow or stuck
// disk: the clock moves while it syncs), or of real time without a clock;
// then fails while `*fail` holds. It has no descriptor, so even the
// io_uring queue syncs it through this interface.
class SlowSyncFile final : public RandomRWFile {
 public:
  SlowSyncFile(std::unique_ptr<RandomRWFile> inner, FakeClock* clock, std::chrono::milliseconds delay,
               const std::atomic<bool>* fail)
      : inner_(std::move(inner)), clock_(clock), delay_(delay), fail_(fail) {}
  const std::string& path() const override { return inner_->path(); }
  Result<size_t> Read(uint64_t offset, std::span<uint8_t> out) override { return inner_->Read(offset, out); }
  Status Write(uint64_t offset, std::span<const uint8_t> data) override { return inner_->Write(offset, data); }
  Status Preallocate(uint64_t size) override { return inner_->Preallocate(size); }
  Status Truncate(uint64_t size) override { return inner_->Truncate(size); }
  Status Sync() override {
    if (clock_ != nullptr) clock_->Advance(delay_.count());
    else std::this_thread::sleep_for(delay_);
    if (fail_ != nullptr && fail_->load()) return Status::IOError("fdatasync " + path() + ": injected failure");
    return inner_->Sync();
  }
  Result<uint64_t> Size() override { return inner_->Size(); }
  Status ZeroRange(uint64_t offset, uint64_t len) override { return inner_->ZeroRange(offset, len); }
  Result<std::unique_ptr<FileMapping>> Map(uint64_t size, bool writable) override { return inner_->Map(size, writable); }

 private:
  std::unique_ptr<RandomRWFile> inner_;
  FakeClock* clock_;
  std::chrono::milliseconds delay_;
  const std::atomic<bool>* fail_;
};

class SlowSyncFileSystem final : public test::ForwardingFileSystem {
 public:
  SlowSyncFileSystem(FakeClock* clock, std::chrono::milliseconds delay) : clock_(clock), delay_(delay) {}
  // Commit-log syncs fail from now on (the other files' are not slowed or failed).
  void FailSyncs() { fail_ = true; }
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override {
    auto file = base().OpenRandomRW(path, mode);
    if (!file.ok() || path.find("/commitlog/") == std::string::npos) return file;
    return std::unique_ptr<RandomRWFile>(new SlowSyncFile(std::move(*file), clock_, delay_, &fail_));
  }

 private:
  FakeClock* clock_;
  std::chrono::milliseconds delay_;
  std::atomic<bool> fail_{false};
};

// Runs `producer(t, message)` on `threads` threads at once, each with a
// message of its own (topic T, queue t % 4, `body` bytes), and joins them.
void RunProducers(int threads, int body, const std::function<void(int, const test::OwnedMessage&)>& producer) {
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t)
    running.emplace_back([&, t] { producer(t, test::OwnedMessage("T", t % 4, body, "t" + std::to_string(t))); });
  for (auto& r : running) r.join();
}

// Parameter: the write backend (true) or the mmap backend.
class FlushServiceTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", GetParam(), 1 << 20);
    config_.flushDiskType = FlushDiskType::kSyncFlush;
    config_.flushIntervalCommitLog = 3600 * 1000;  // only group commits flush
  }
  std::unique_ptr<MessageStore> Open(Env env = Env::Default()) {
    auto store = MessageStore::Open(config_, env);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  test::TempDir tmp_;
  StoreConfig config_;
};

TEST_P(FlushServiceTest, SyncFlushPutReturnsOnlyOnceItsRecordIsFlushed) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; i < 50; ++i) {
    const PutResult r = store->Put(test::OwnedMessage("T", i % 3, 100 + i * 13, "k" + std::to_string(i)).message());
    ASSERT_TRUE(r.ok()) << PutStatusName(r.status) << " " << r.reason;
    EXPECT_GE(store->Stats().flushed_offset, r.wrote_offset + r.wrote_bytes);
  }
  EXPECT_EQ(store->Stats().flush.waits_completed, 50u);
}

TEST_P(FlushServiceTest, OneSyncAnswersEveryPutWaitingForIt) {
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kThreads = 16, kPuts = 40;
  std::atomic<int> ok{0};
  RunProducers(kThreads, 512, [&](int, const test::OwnedMessage& m) {
    for (int i = 0; i < kPuts; ++i) ok += store->Put(m.message()).ok();
  });
  ASSERT_EQ(ok.load(), kThreads * kPuts);
  const FlushStats s = store->Stats().flush;
  // A put whose record a sync already covered by the time it asked to wait
  // returns at once and is not counted; nearly all must have waited.
  EXPECT_LE(s.waits_completed, static_cast<uint64_t>(kThreads * kPuts));
  EXPECT_GE(s.waits_completed, static_cast<uint64_t>(kThreads * kPuts * 9 / 10));
  EXPECT_LT(s.group_commits, s.waits_completed) << "some syncs must have answered several puts";
  EXPECT_GT(s.group_size_avg(), 1.0);
  EXPECT_GT(s.sync_latency_us.count, 0u);
  EXPECT_LE(s.sync_latency_us.count, s.syncs) << "one latency sample per round of syncs";
}

// Blocking producers answered by one sync are back long before the next
// could end; a sync started at once would cover only those left waiting,
// and the group would split into two cohorts of half the size, each paying
// a whole sync. The service waits for the group instead.
TEST_P(FlushServiceTest, BlockingProducersStayOneGroupRatherThanSplittingIntoCohorts) {
  SlowSyncFileSystem fs(nullptr, std::chrono::milliseconds(10));  // real time: the hold is timed in it
  auto store = Open(Env(fs));
  ASSERT_TRUE(store);
  constexpr int kThreads = 8, kPuts = 12;
  std::atomic<int> ok{0};
  RunProducers(kThreads, 256, [&](int, const test::OwnedMessage& m) {
    for (int i = 0; i < kPuts; ++i) ok += store->Put(m.message()).ok();
  });
  ASSERT_EQ(ok.load(), kThreads * kPuts);
  const FlushStats s = store->Stats().flush;
  EXPECT_GE(s.group_size_avg(), kThreads * 3 / 4.0)
      << s.waits_completed << " puts in " << s.group_commits << " groups: the producers split into cohorts";
}

// Every put asleep in a group is woken once the group is durable: none
// sleeps on to its syncFlushTimeout. (Written for a wake tree, where each
// woken put woke two more, that was measured and dropped; it fails as well
// when the puts sleeping on one of the shared wake words are not woken.)
TEST_P(FlushServiceTest, EveryBlockingPutOfAGroupIsWokenNotLeftToItsDeadline) {
  config_.syncFlushTimeout = 20 * 1000;
  SlowSyncFileSystem fs(nullptr, std::chrono::milliseconds(100));
  auto store = Open(Env(fs));
  ASSERT_TRUE(store);
  constexpr int kThreads = 24;
  std::atomic<int> ok{0};
  std::atomic<int64_t> slowest_ms{0};
  RunProducers(kThreads, 256, [&](int, const test::OwnedMessage& m) {
    for (int i = 0; i < 3; ++i) {
      const auto began = std::chrono::steady_clock::now();
      ok += store->Put(m.message()).ok();
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
      int64_t seen = slowest_ms.load();
      while (took.count() > seen && !slowest_ms.compare_exchange_weak(seen, took.count())) {
      }
    }
  });
  EXPECT_EQ(ok.load(), kThreads * 3);
  // A sync takes 100 ms; a put never waits for more than a few of them.
  EXPECT_LT(slowest_ms.load(), 5000) << "a put slept on towards its 20 s deadline after its group was answered";
  EXPECT_GT(store->Stats().flush.group_size_avg(), 2.0) << "no group had several puts to wake";
}

TEST_P(FlushServiceTest, PutAsyncCallsBackAfterTheSync) {
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kPuts = 200;
  std::atomic<int> durable{0};
  std::vector<std::promise<void>> done(kPuts);
  for (int i = 0; i < kPuts; ++i) {
    test::OwnedMessage m("T", i % 2, 300, "a" + std::to_string(i));
    store->PutAsync(m.message(), [&, i](PutResult r) {
      // The flushed position is past the record when the callback runs.
      if (r.ok() && store->Stats().flushed_offset >= r.wrote_offset + r.wrote_bytes) ++durable;
      done[static_cast<size_t>(i)].set_value();
    });
  }
  for (auto& d : done) d.get_future().wait();
  EXPECT_EQ(durable.load(), kPuts);
  std::future<PutResult> f = store->PutAsync(test::OwnedMessage("T", 0, 10, "future").message());
  const PutResult r = f.get();
  ASSERT_TRUE(r.ok());
  EXPECT_GE(store->Stats().flushed_offset, r.wrote_offset + r.wrote_bytes);
}

TEST_P(FlushServiceTest, WaitFalsePropertyDoesNotWaitInSyncFlush) {
  auto store = Open();
  ASSERT_TRUE(store);
  test::OwnedMessage m("T", 0, 100, "nowait");
  auto props = SerializeProperties({{"UNIQ_KEY", "nowait"}, {"WAIT", "false"}});
  ASSERT_TRUE(props.ok());
  m.properties = *props;
  ASSERT_TRUE(store->Put(m.message()).ok());
  const test::OwnedMessage flagged("T", 0, 100, "flag");
  Message no_wait = flagged.message();
  no_wait.flush_wait = FlushWait::kNoWait;
  ASSERT_TRUE(store->Put(no_wait).ok());
  EXPECT_EQ(store->Stats().flush.waits_completed, 0u) << "neither put waited for a sync";
  ASSERT_TRUE(store->Put(test::OwnedMessage("T", 0, 100, "waits").message()).ok());
  EXPECT_EQ(store->Stats().flush.waits_completed, 1u);
}

TEST_P(FlushServiceTest, WaitForFlushFlagMakesAnAsyncFlushPutDurable) {
  config_.flushDiskType = FlushDiskType::kAsyncFlush;
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult plain = store->Put(test::OwnedMessage("T", 0, 100, "plain").message());
  ASSERT_TRUE(plain.ok());
  EXPECT_LT(store->Stats().flushed_offset, plain.wrote_offset + plain.wrote_bytes) << "async: not flushed yet";
  const test::OwnedMessage durable("T", 0, 100, "durable");
  Message m = durable.message();
  m.flush_wait = FlushWait::kWait;
  const PutResult r = store->Put(m);
  ASSERT_TRUE(r.ok());
  EXPECT_GE(store->Stats().flushed_offset, r.wrote_offset + r.wrote_bytes);
}

TEST_P(FlushServiceTest, SlowDiskAnswersFlushDiskTimeoutAndKeepsTheRecord) {
  config_.syncFlushTimeout = 50;
  FakeClock clock;
  SlowSyncFileSystem fs(&clock, std::chrono::milliseconds(300));
  auto store = Open(Env(fs, clock));
  ASSERT_TRUE(store);
  const PutResult r = store->Put(test::OwnedMessage("T", 0, 100, "slow").message());
  EXPECT_EQ(r.status, PutStatus::kFlushDiskTimeout) << PutStatusName(r.status);
  EXPECT_GT(r.wrote_bytes, 0) << "the result still says where the record went";
  auto async = store->PutAsync(test::OwnedMessage("T", 0, 100, "slow-async").message());
  EXPECT_EQ(async.get().status, PutStatus::kFlushDiskTimeout);
  EXPECT_EQ(store->Stats().flush.wait_timeouts, 2u);
  ASSERT_TRUE(store->Flush().ok());
  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok()) << view.error().ToString();
  EXPECT_EQ(view->message.properties().Get("UNIQ_KEY"), "slow");
}

// After a flush that moved, the checkpoint is written at most once a second
// of the clock's time (RocketMQ's checkpoint flush), so a FakeClock decides
// which rounds may write it.
TEST_P(FlushServiceTest, TheCheckpointIsWrittenAtMostOnceASecond) {
  config_.flushDiskType = FlushDiskType::kAsyncFlush;
  config_.flushIntervalCommitLog = 100;
  config_.flushCommitLogLeastPages = 0;  // every round syncs what is new
  FakeClock clock;
  auto store = Open(Env(FileSystem::Default(), clock));
  ASSERT_TRUE(store);
  const auto checkpointed = [&] {
    auto cp = ReadCheckpointFile(FileSystem::Default(), StorePaths{config_.storePathRootDir});
    return cp.ok() ? cp->physic_msg_timestamp : -1;
  };
  const auto put = [&](const std::string& key) {
    const PutResult r = store->Put(test::OwnedMessage("T", 0, 100, key).message());
    EXPECT_TRUE(r.ok()) << r.reason;
    return r;
  };
  // Waits (real time) until the flush thread's round made `r` durable.
  const auto wait_flushed = [&](const PutResult& r) {
    for (int i = 0; i < 10000 && store->Stats().flushed_offset < r.wrote_offset + r.wrote_bytes; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_GE(store->Stats().flushed_offset, r.wrote_offset + r.wrote_bytes);
  };
  const PutResult first = put("first");
  ASSERT_TRUE(store->Flush().ok());  // writes the checkpoint now: the second starts here
  ASSERT_EQ(checkpointed(), first.store_timestamp);

  clock.Advance(100);
  const PutResult second = put("second");
  clock.Advance(100);  // a flush interval: the round syncs it
  wait_flushed(second);
  const PutResult third = put("third");
  clock.Advance(100);
  wait_flushed(third);  // the flush thread is done with the round before, checkpoint and all
  EXPECT_EQ(checkpointed(), first.store_timestamp) << "rounds within a second of the last write leave it";

  const PutResult fourth = put("fourth");
  ASSERT_GT(fourth.store_timestamp, first.store_timestamp);
  clock.Advance(700);  // a second after the last write
  wait_flushed(fourth);
  for (int i = 0; i < 10000 && checkpointed() != fourth.store_timestamp; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(checkpointed(), fourth.store_timestamp) << "the first round a second later writes it";
}

// Blocking producers, so the flush thread holds for their group (the
// pacer's first trial slice holds) and, with the write backend, syncs on its
// own thread: a sync failing there answers the puts it covered
// SERVICE_NOT_AVAILABLE, none PUT_OK, and none waits for its deadline.
TEST_P(FlushServiceTest, ASyncFailingAfterAHoldAnswersEveryBlockingPutNotAvailable) {
  config_.syncFlushTimeout = 20 * 1000;
  SlowSyncFileSystem fs(nullptr, std::chrono::milliseconds(2));
  auto store = Open(Env(fs));
  ASSERT_TRUE(store);
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, ok_after_failing{0};
  std::atomic<bool> failing{false};
  std::vector<PutStatus> last(kThreads, PutStatus::kPutOk);
  const auto began = std::chrono::steady_clock::now();
  RunProducers(kThreads, 256, [&](int t, const test::OwnedMessage& m) {
    for (int i = 0; i < 10000; ++i) {
      const bool after = failing.load();  // every sync fails from before this put on
      const PutResult r = store->Put(m.message());
      last[static_cast<size_t>(t)] = r.status;
      if (!r.ok()) return;
      if (after) ++ok_after_failing;
      if (++ok == kThreads * 3) {  // a few groups in: within the first slice, which holds
        fs.FailSyncs();
        failing = true;
      }
    }
  });
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(10)) << "a put waited for its deadline";
  EXPECT_EQ(ok_after_failing.load(), 0) << "puts begun once every sync failed were answered PUT_OK";
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(last[static_cast<size_t>(t)], PutStatus::kServiceNotAvailable) << "producer " << t << ": "
                                                                             << PutStatusName(last[static_cast<size_t>(t)]);
  EXPECT_FALSE(store->Stats().writeable);
}

TEST_P(FlushServiceTest, FailedSyncAnswersWaitersNotAvailableAndStopsWrites) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  auto store = Open(Env(fs));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put(test::OwnedMessage("T", 0, 100, "before").message()).ok());
  fs.FailAllMutatingCalls(true);
  const PutResult r = store->Put(test::OwnedMessage("T", 0, 100, "lost").message());
  EXPECT_EQ(r.status, PutStatus::kServiceNotAvailable) << PutStatusName(r.status);
  EXPECT_FALSE(store->Stats().writeable);
  EXPECT_EQ(store->Put(test::OwnedMessage("T", 0, 100, "after").message()).status, PutStatus::kServiceNotAvailable);
  fs.FailAllMutatingCalls(false);
}

TEST_P(FlushServiceTest, FlushAllFromManyThreadsWhilePutting) {
  config_.flushDiskType = FlushDiskType::kAsyncFlush;
  auto store = Open();
  ASSERT_TRUE(store);
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    test::OwnedMessage m("T", 0, 700, "p");
    while (!stop) ASSERT_TRUE(store->Put(m.message()).ok());
  });
  std::vector<std::thread> flushers;
  for (int t = 0; t < 3; ++t)
    flushers.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        const int64_t wrote = store->Stats().wrote_offset;
        ASSERT_TRUE(store->Flush().ok());
        EXPECT_GE(store->Stats().flushed_offset, wrote);
      }
    });
  for (auto& f : flushers) f.join();
  stop = true;
  producer.join();
}

INSTANTIATE_TEST_SUITE_P(Backends, FlushServiceTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "write" : "mmap"; });

TEST(FlushIoEngineTest, ConfigChoosesTheEngine) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store");
  config.flushIoEngine = FlushIoEngine::kSync;
  {
    auto store = MessageStore::Open(config);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->Stats().flush.io_engine, "sync");
  }
  auto ring = NewUringIoQueue();
  config.flushIoEngine = FlushIoEngine::kAuto;
  auto store = MessageStore::Open(config);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Stats().flush.io_engine, ring.ok() ? "io_uring" : "sync");
}

TEST(FlushIoEngineTest, TransientStorePoolMeansTheWriteBackend) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store", /*write_backend=*/false);
  config.transientStorePoolEnable = true;
  auto store = MessageStore::Open(config);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Stats().backend, "write");
}

}  // namespace
}  // namespace mqstore
