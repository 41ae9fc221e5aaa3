// CleanupService over a real store with small segments: a FakeClock (wall
// time, a pinned local hour, pauses that are recorded instead of waited)
// and fake disk use drive every rule; the files are real, so deletion,
// readers holding deleted files and descriptor leaks are real too.
// One file over ~600 lines on purpose: its 24 tests share one store fixture
// (segments, clock, disk-use probe) and each proves one cleanup rule.
#include "storage/cleanup/cleanup_service.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "storage/message_store.h"
#include "storage/store_log.h"
#include "storage/io/fake_clock.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kSegment = 64 * 1024;

size_t CountEntries(const char* dir) {
  size_t n = 0;
  if (DIR* d = ::opendir(dir)) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

// Mappings of files under `dir`, deleted ones included (their lines end in
// " (deleted)"). Only the store's own: a sanitizer's runtime maps memory of
// its own as the process touches new addresses, which is not a leak.
size_t CountMappingsUnder(const std::string& dir) {
  std::ifstream in("/proc/self/maps");
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(dir) != std::string::npos;
  return n;
}

// What the service sees: time, hour and disk use are whatever the test says.
struct FakeWorld {
  // File mtimes are real: the fake time starts at the real one and moves
  // only when the test moves it. The hour is pinned apart from it.
  FakeClock clock{Clock::System().WallMillis()};
  std::mutex mu;
  double log_used = 0.5;
  double queue_used = 0.5;
  // When set, the disk use of both partitions (under `mu`).
  std::function<double(const std::string& dir)> disk;
  // Pauses really wait, on the system clock (set before Open): the tests of
  // a fast writer racing the cleanup thread.
  bool real_pauses = false;

  FakeWorld() { clock.PinLocalHour(10); }
  Env env() { return real_pauses ? Env::Default() : Env(FileSystem::Default(), clock); }
  DiskUseProbe DiskUse() {
    return [this](const std::string& dir) {
      std::lock_guard l(mu);
      if (disk) return disk(dir);
      return dir.find("consumequeue") != std::string::npos ? queue_used : log_used;
    };
  }
  int64_t now() const { return clock.WallMillis(); }
  void SetHour(int hour) { clock.PinLocalHour(hour); }
  // Pauses of `ms` so far (the round's pacing, recorded by the FakeClock).
  int64_t Pauses(int64_t ms) const {
    const std::vector<int64_t> all = clock.pauses();
    return std::count(all.begin(), all.end(), ms);
  }
};

// Bytes of the files in a directory (a file deleted while it is listed
// counts as gone).
int64_t DirBytes(const std::string& dir) {
  int64_t bytes = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    const uintmax_t size = it->file_size(size_ec);
    if (!size_ec) bytes += static_cast<int64_t>(size);
  }
  return bytes;
}

class CleanupServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink([this](LogLevel, std::string_view line) {
      std::lock_guard l(log_mu_);
      log_.emplace_back(line);
    });
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_, /*write_backend=*/true, kSegment);
    config_.cleanResourceInterval = 24 * kHour;  // rounds run when the test says
    config_.destroyMapedFileIntervalForcibly = 1000;
  }
  void TearDown() override { SetLogSink({}); }

  std::unique_ptr<MessageStore> Open() {
    StoreHooks hooks;
    hooks.disk_used = world_.DiskUse();
    auto store = MessageStore::Open(config_, world_.env(), hooks);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // Puts ~1 KiB messages into two queues until the log has `segments`
  // files, then `more` messages.
  void Fill(MessageStore& store, size_t segments, int more = 0) {
    while (store.commit_log().Segments().size() < segments || more-- > 0) {
      test::OwnedMessage m("TopicC", static_cast<int32_t>(sent_ % 2), 900, "k" + std::to_string(sent_));
      ++sent_;
      const PutResult r = store.Put(m.message());
      ASSERT_TRUE(r.ok()) << r.reason;
    }
    ASSERT_TRUE(store.Flush().ok());
    test::WaitDispatched(store);
  }
  // Every segment last written `age_h[i]` hours before the fake now.
  void AgeSegments(MessageStore& store, const std::vector<int64_t>& age_h) {
    const auto segments = store.commit_log().Segments();
    for (size_t i = 0; i < segments.size() && i < age_h.size(); ++i)
      ASSERT_TRUE(test::SetFileMtime(segments[i]->path(), world_.now() - age_h[i] * kHour)) << segments[i]->path();
  }
  void AgeAll(MessageStore& store, int64_t hours) {
    AgeSegments(store, std::vector<int64_t>(store.commit_log().Segments().size(), hours));
  }
  uint64_t Deleted(const MessageStore& store, DeleteReason r) const {
    return store.Stats().cleanup.segments_deleted[static_cast<size_t>(r)];
  }
  bool Logged(const std::string& what) {
    std::lock_guard l(log_mu_);
    for (const auto& line : log_)
      if (line.find(what) != std::string::npos) return true;
    return false;
  }

  // What a fast writer's run showed of the commit-log directory.
  struct WriterRun {
    int64_t samples = 0;
    int64_t most_bytes = 0;
    int64_t worst_excess = INT64_MIN;  // bytes over the promised bound at the worst sample
    int64_t wrote = 0;
  };
  // One producer puts `total` bytes of ~1 KiB messages into four queues as
  // fast as it can while another thread samples the commit-log directory
  // against the promise (docs/operations.md, cleanup_service.h): at most `limit` bytes
  // plus the segments that cannot go yet, i.e. the allocator's spare and
  // every segment from the flushed position (read before the listing) to
  // the written one (read after it), the one being written among them.
  WriterRun WriteFast(MessageStore& store, int64_t total, int64_t limit) {
    const int64_t segment = config_.mappedFileSizeCommitLog;
    const std::string dir = config_.CommitLogDir();
    WriterRun run;
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done.load()) {
        const int64_t flushed = store.commit_log().FlushedOffset();
        const int64_t bytes = DirBytes(dir);
        const int64_t wrote = store.commit_log().WroteOffset();
        const int64_t cannot_go = wrote / segment - flushed / segment + 1;
        ++run.samples;
        run.most_bytes = std::max(run.most_bytes, bytes);
        run.worst_excess = std::max(run.worst_excess, bytes - (limit + (cannot_go + 1) * segment));
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    });
    test::OwnedMessage m("TopicC", 0, 1000, "fast");
    const int64_t end = store.commit_log().WroteOffset() + total;
    for (int32_t i = 0; store.commit_log().WroteOffset() < end; ++i) {
      m.queue_id = i % 4;
      const PutResult r = store.Put(m.message());
      if (!r.ok()) {
        ADD_FAILURE() << "put " << i << ": " << r.reason;
        break;
      }
    }
    done = true;
    sampler.join();
    run.wrote = store.commit_log().WroteOffset();
    return run;
  }
  // Polls for up to `ms` until the commit-log directory holds at most `bytes`.
  bool DirShrinksTo(int64_t bytes, int ms) {
    for (int i = 0; i < ms && DirBytes(config_.CommitLogDir()) > bytes; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return DirBytes(config_.CommitLogDir()) <= bytes;
  }

  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
  FakeWorld world_;
  uint64_t sent_ = 0;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(CleanupServiceTest, ExpiredSegmentsGoOnlyDuringADeleteWhenHourAndNeverTheNewest) {
  config_.deleteWhen = "04;16";
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 5);
  AgeAll(*store, 73);
  const auto before = store->commit_log().Segments();
  for (int hour : {3, 5, 15, 17}) {
    world_.SetHour(hour);
    ASSERT_TRUE(store->cleanup().RunOnce().ok());
    EXPECT_EQ(store->commit_log().Segments().size(), before.size()) << "hour " << hour;
  }
  world_.SetHour(16);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  const auto after = store->commit_log().Segments();
  ASSERT_EQ(after.size(), 1u) << "every expired segment but the newest";
  EXPECT_EQ(after.front()->start_offset(), before.back()->start_offset());
  EXPECT_EQ(store->GetMinPhyOffset(), before.back()->start_offset());
  EXPECT_EQ(Deleted(*store, DeleteReason::kExpired), before.size() - 1);
  for (size_t i = 0; i + 1 < before.size(); ++i) EXPECT_FALSE(FileSystem::Default().Exists(before[i]->path()));
  EXPECT_TRUE(Logged("cleanup: deleted commit-log segment " + before[0]->path() + " (expired"));
  EXPECT_EQ(store->Stats().cleanup.bytes_deleted, (before.size() - 1) * kSegment);
}

TEST_F(CleanupServiceTest, DeletionStopsAtTheFirstSegmentNotExpired) {
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 5);
  AgeSegments(*store, {80, 75, 10, 90, 90});  // the third is young: no holes after it
  const auto before = store->commit_log().Segments();
  world_.SetHour(4);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->GetMinPhyOffset(), before[2]->start_offset());
  EXPECT_EQ(store->commit_log().Segments().size(), before.size() - 2);
}

TEST_F(CleanupServiceTest, ARoundDeletesAtMostTheBatchWithTheIntervalBetween) {
  config_.deleteFileBatchMax = 3;
  config_.deleteCommitLogFilesInterval = 77;
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 8);
  AgeAll(*store, 100);
  world_.SetHour(4);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 5u);
  const auto commit_log_pauses = world_.Pauses(77);
  EXPECT_EQ(commit_log_pauses, 2) << "between deletions, not before the first";
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 1u);
}

TEST_F(CleanupServiceTest, DiskAboveMaxUsedRatioDeletesOnlyExpiredSegmentsAtAnyHour) {
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 5);
  AgeSegments(*store, {80, 80, 1, 1, 1});
  world_.log_used = 0.80;
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 3u);
  EXPECT_EQ(Deleted(*store, DeleteReason::kSpace), 2u);
  EXPECT_TRUE(Logged("(space"));
}

TEST_F(CleanupServiceTest, AboveTheForcingRatioUnexpiredSegmentsGoUnpacedUntilUseIsBackUnder) {
  config_.deleteFileBatchMax = 2;  // expiry's batch: a forced deletion is not held to it
  config_.deleteCommitLogFilesInterval = 77;
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 8);
  AgeAll(*store, 1);  // nothing expired
  {
    // The consume-queue partition's use counts too: 3% a segment, so 8
    // segments are 93.5% (full) and 5 are 84.5%, under the forcing ratio.
    std::lock_guard l(world_.mu);
    world_.disk = [&store](const std::string& dir) {
      if (dir.find("consumequeue") == std::string::npos) return 0.5;
      return 0.695 + 0.03 * static_cast<double>(store->commit_log().SegmentCount());
    };
  }
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->GetMinPhyOffset(), 3 * kSegment);
  EXPECT_EQ(Deleted(*store, DeleteReason::kForced), 3u);
  EXPECT_EQ(world_.Pauses(77), 0) << "no pause between forced deletions";
  EXPECT_TRUE(Logged("(forced"));
  EXPECT_FALSE(store->cleanup().disk_full()) << "back under the forcing ratio within the round";
  test::OwnedMessage m("TopicC", 0, 100, "after");
  EXPECT_TRUE(store->Put(m.message()).ok());
}

TEST_F(CleanupServiceTest, ForcedDeletionIsOffWithoutCleanFileForciblyEnable) {
  config_.cleanFileForciblyEnable = false;
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 4);
  AgeAll(*store, 1);
  world_.log_used = 0.88;
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 4u);
}

TEST_F(CleanupServiceTest, AFullDiskRefusesPutsWithAReasonAndAcceptsThemWhenSpaceReturns) {
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 2);
  test::OwnedMessage m("TopicC", 0, 100, "full");
  world_.log_used = 0.91;
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_TRUE(store->Stats().cleanup.disk_full);
  PutResult r = store->Put(m.message());
  EXPECT_EQ(r.status, PutStatus::kServiceNotAvailable);
  EXPECT_NE(r.reason.find("disk full"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("diskSpaceWarningLevelRatio 90%"), std::string::npos) << r.reason;
  EXPECT_EQ(store->PutAsync(m.message()).get().status, PutStatus::kServiceNotAvailable);

  world_.log_used = 0.87;  // under the warning, over the forcing ratio: still full
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->Put(m.message()).status, PutStatus::kServiceNotAvailable);

  world_.log_used = 0.60;
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  r = store->Put(m.message());
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_FALSE(store->Stats().cleanup.disk_full);
  EXPECT_TRUE(Logged("accepting puts"));
}

TEST_F(CleanupServiceTest, ABadDeleteWhenFailsTheOpenNamingTheKnob) {
  config_.deleteWhen = "4;25";
  auto store = MessageStore::Open(config_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.error().message().find("deleteWhen=4;25"), std::string::npos) << store.error().ToString();
  EXPECT_NE(store.error().message().find("'25' is not an hour 0-23"), std::string::npos) << store.error().ToString();
}

TEST_F(CleanupServiceTest, AStoreOpenedOnAFullDiskRefusesPutsBeforeTheFirstRound) {
  world_.log_used = 0.95;
  auto store = Open();
  ASSERT_TRUE(store);
  test::OwnedMessage m("TopicC", 0, 100, "early");
  EXPECT_EQ(store->Put(m.message()).status, PutStatus::kServiceNotAvailable);
  EXPECT_EQ(store->Stats().cleanup.rounds, 0u);
}

TEST_F(CleanupServiceTest, AManualDeleteLastsItsRoundsAndTakesOnlyExpiredSegments) {
  config_.manualDeleteFileSeveralTimes = 2;
  config_.deleteFileBatchMax = 1;
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 6);
  AgeSegments(*store, {80, 80, 80, 80, 1, 1});
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 6u) << "no trigger, nothing goes";
  store->ExecuteDeleteFilesManually();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 4u) << "two manual rounds, one segment each";
  EXPECT_EQ(Deleted(*store, DeleteReason::kManual), 2u);
  store->ExecuteDeleteFilesManually();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 2u) << "the young ones stay";
}

TEST_F(CleanupServiceTest, MaxStoreSizeDeletesTheOldestBeyondItWhateverTheHour) {
  config_.maxStoreSizeBytes = 3 * kSegment;
  config_.deleteFileBatchMax = 1;  // expiry's batch: the size limit is not held to it
  config_.flushIntervalCommitLog = 3600 * 1000;  // nothing can go before Fill's flush
  config_.flushCommitLogTimed = true;
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 6);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());  // if the thread, woken by the flush, has not already
  EXPECT_EQ(store->commit_log().Segments().size(), 3u);
  EXPECT_EQ(store->GetMinPhyOffset(), 3 * kSegment);
  EXPECT_EQ(Deleted(*store, DeleteReason::kSize), 3u);
  EXPECT_EQ(Deleted(*store, DeleteReason::kExpired), 0u);
  EXPECT_TRUE(Logged("(size"));
}

TEST_F(CleanupServiceTest, ASegmentNotYetFlushedWaitsForTheFlush) {
  config_.maxStoreSizeBytes = kSegment;
  config_.flushIntervalCommitLog = 3600 * 1000;  // the flush thread stays asleep
  config_.flushCommitLogTimed = true;
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; store->commit_log().Segments().size() < 3; ++i) {
    test::OwnedMessage m("TopicC", 0, 900, "u" + std::to_string(i));
    ASSERT_TRUE(store->Put(m.message()).ok());
  }
  ASSERT_LT(store->commit_log().FlushedOffset(), kSegment);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 3u) << "durability is claimed front to back";
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->commit_log().Segments().size(), 1u);
}

TEST_F(CleanupServiceTest, QueueAndIndexFilesBelowTheLogsNewStartGoAndMinOffsetsMove) {
  config_.deleteConsumeQueueFilesInterval = 7;
  auto store = Open();
  ASSERT_TRUE(store);
  // ~570 records: three CQ files in each of two queues, and both queues
  // with records in the newest segment.
  Fill(*store, 10, 10);
  const uint64_t index_files = store->Stats().index.files;
  ASSERT_GE(index_files, 3u);
  for (ConsumeQueue* q : store->consume_queues().All()) ASSERT_EQ(q->file_count(), 3u);
  AgeAll(*store, 100);
  world_.SetHour(4);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  const int64_t log_min = store->GetMinPhyOffset();
  ASSERT_GT(log_min, 0);
  for (ConsumeQueue* q : store->consume_queues().All()) {
    EXPECT_EQ(q->file_count(), 1u) << q->queue_id();
    const int64_t min = q->MinOffset();
    ASSERT_LT(min, q->MaxOffset());
    const auto first = q->GetUnit(min);
    ASSERT_TRUE(first);
    EXPECT_GE(first->commit_log_offset, log_min) << "the first unit left points into the log";
    const auto before_it = q->GetUnit(min - 1);
    EXPECT_FALSE(before_it && before_it->commit_log_offset >= log_min);
    EXPECT_EQ(store->GetMinOffsetInQueue("TopicC", q->queue_id()), min);
    // A consumer behind the new start is told so, and where to go.
    const GetMessageResult got = store->GetMessage("g", "TopicC", q->queue_id(), 0, 4);
    EXPECT_EQ(got.status, GetMessageStatus::kOffsetTooSmall);
    EXPECT_EQ(store->GetMessage("g", "TopicC", q->queue_id(), min, 4).status, GetMessageStatus::kFound);
  }
  EXPECT_EQ(world_.Pauses(7), 2) << "after each queue that lost files";
  const CleanupStats stats = store->Stats().cleanup;
  EXPECT_EQ(stats.queue_files_deleted, 4u);
  EXPECT_GE(stats.index_files_deleted, 1u);
  EXPECT_EQ(store->Stats().index.files, index_files - stats.index_files_deleted);
  EXPECT_EQ(store->LookMessageByOffset(0).error().code(), StatusCode::kNotFound);
  // Keys of records still in the log are still found.
  const QueryMessageResult q = store->QueryMessage("TopicC", "k" + std::to_string(sent_ - 1), 4, 0, INT64_MAX);
  EXPECT_EQ(q.messages.size(), 1u);
}

TEST_F(CleanupServiceTest, AReaderKeepsItsViewOfADeletedSegmentUntilForcedRelease) {
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 3);
  const std::string path = store->commit_log().Segments().front()->path();
  auto view = store->LookMessageByOffset(0);
  ASSERT_TRUE(view.ok());
  const std::vector<uint8_t> copy(view->pin.bytes.begin(), view->pin.bytes.end());
  AgeAll(*store, 100);
  world_.SetHour(4);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(path)) << "unlinked at once";
  EXPECT_EQ(store->Stats().cleanup.files_held_by_readers, 1u);
  EXPECT_TRUE(std::equal(copy.begin(), copy.end(), view->pin.bytes.begin())) << "the reader's bytes are intact";
  EXPECT_FALSE(store->LookMessageByOffset(0).ok()) << "new readers are told the offset is gone";

  world_.clock.Advance(999);  // destroyMapedFileIntervalForcibly is 1000 ms
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->Stats().cleanup.files_released_forcibly, 0u);
  world_.clock.Advance(1);
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->Stats().cleanup.files_released_forcibly, 1u);
  EXPECT_TRUE(std::all_of(view->pin.bytes.begin(), view->pin.bytes.end(), [](uint8_t b) { return b == 0; }))
      << "after forced release the reader reads zeros, never faults";
  view = Result<MessageView>(Status::NotFound("let go"));
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->Stats().cleanup.files_held_by_readers, 0u);
}

TEST_F(CleanupServiceTest, APullWhoseRecordsLeftTheLogBeforeTheirUnitsSkipsToWhatRemains) {
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 3);
  // The log's part of a round without the queues' part (a pull racing it).
  ASSERT_TRUE(store->commit_log().RemoveOldestSegment(0).ok());
  const GetMessageResult got = store->GetMessage("g", "TopicC", 0, 0, 4);
  // RocketMQ's getMessage: a unit whose record is gone is skipped to the
  // next log file; MESSAGE_WAS_REMOVING only if nothing at all was found.
  ASSERT_EQ(got.status, GetMessageStatus::kFound);
  ASSERT_FALSE(got.messages.empty());
  for (const FoundMessage& f : got.messages) EXPECT_GE(f.phy_offset, kSegment);
  EXPECT_GT(got.messages.front().queue_offset, 0);
  EXPECT_FALSE(store->commit_log().RemoveOldestSegment(kSegment * 2).ok()) << "never the newest";
}

TEST_F(CleanupServiceTest, ADispatcherBehindDeletedSegmentsGoesOnFromTheLogsNewStart) {
  config_.dispatchOnOwnThread = false;
  config_.maxStoreSizeBytes = 2 * kSegment;
  config_.flushIntervalCommitLog = 3600 * 1000;  // nothing can be deleted before the flush below
  config_.flushCommitLogTimed = true;
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; store->commit_log().Segments().size() < 4; ++i) {
    test::OwnedMessage m("TopicC", i % 2, 900, "d" + std::to_string(i));
    ASSERT_TRUE(store->Put(m.message()).ok());
  }
  // The write backend's readers see committed bytes only: the flush thread
  // commits every 200 ms, and a loaded machine may not have got to it yet.
  ASSERT_TRUE(store->commit_log().Commit().ok());
  const int64_t max_before = store->commit_log().MaxOffset(), min_before = store->GetMinPhyOffset();
  const size_t segs_before = store->commit_log().Segments().size();
  auto some = store->DispatchOnce(4096);  // the reader now holds the first segment
  ASSERT_TRUE(some.ok()) << some.error().ToString();
  ASSERT_GT(*some, 0u) << "max " << max_before << " min " << min_before << " segs " << segs_before << " now max " << store->commit_log().MaxOffset() << " min " << store->GetMinPhyOffset() << " segs " << store->commit_log().Segments().size() << " flushed " << store->Stats().flushed_offset;
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_TRUE(store->cleanup().RunOnce().ok());  // if the thread, woken by the flush, has not already
  ASSERT_EQ(store->commit_log().Segments().size(), 2u);
  world_.clock.Advance(1000);  // past destroyMapedFileIntervalForcibly: the reader's file is emptied
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_EQ(store->Stats().cleanup.files_released_forcibly, 1u);
  while (store->DispatchBehindBytes() > 0) {
    auto n = store->DispatchOnce(1 << 20);
    ASSERT_TRUE(n.ok()) << n.error().ToString();
  }
  for (int q = 0; q < 2; ++q) {
    const int64_t min = store->GetMinOffsetInQueue("TopicC", q);
    EXPECT_GE(store->GetCommitLogOffsetInQueue("TopicC", q, min), store->GetMinPhyOffset()) << q;
    const GetMessageResult got = store->GetMessage("g", "TopicC", q, min, 4);
    ASSERT_EQ(got.status, GetMessageStatus::kFound) << q;
    auto record = DecodeRecord(got.messages.front().bytes, RecordDecodeOptions{});
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->message.queue_offset, min) << "units stay at their queue offsets across the gap";
  }
  EXPECT_TRUE(Logged("were deleted before they were dispatched")) << "the skip is logged";
  EXPECT_TRUE(Logged("starting the queue there"));
}

TEST_F(CleanupServiceTest, ManyCleanupCyclesLeakNoDescriptorsOrMappings) {
  auto store = Open();
  ASSERT_TRUE(store);
  world_.SetHour(4);
  const auto cycle = [&] {
    Fill(*store, 4);
    GetMessageResult pinned = store->GetMessage("g", "TopicC", 0, store->GetMinOffsetInQueue("TopicC", 0), 8);
    AgeAll(*store, 100);
    ASSERT_TRUE(store->cleanup().RunOnce().ok());
    pinned = GetMessageResult{};
  };
  cycle();  // warm: threads, arenas, the allocator's spare segment
  const size_t fds = CountEntries("/proc/self/fd");
  const size_t maps = CountMappingsUnder(root_);
  for (int i = 0; i < 8; ++i) cycle();
  ASSERT_TRUE(store->cleanup().RunOnce().ok());  // lets go of what the last reader held
  EXPECT_GE(store->Stats().cleanup.segments_deleted[0], 8u * 3);
  EXPECT_EQ(store->Stats().cleanup.files_held_by_readers, 0u);
  EXPECT_LE(CountEntries("/proc/self/fd"), fds);
  EXPECT_LE(CountMappingsUnder(root_), maps + 2) << "a leaked segment is one mapping per cycle";
}

TEST_F(CleanupServiceTest, TheServiceThreadRunsRoundsOnItsInterval) {
  config_.cleanResourceInterval = 20;
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 3);
  AgeAll(*store, 100);
  world_.SetHour(4);
  world_.clock.Advance(20);  // the first round is due one interval after the start
  // A round counts once it is over; its deletions show before that.
  for (int i = 0; i < 500 && (store->commit_log().Segments().size() > 1 || store->Stats().cleanup.rounds == 0); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(store->commit_log().Segments().size(), 1u);
  EXPECT_GT(store->Stats().cleanup.rounds, 0u);
}

// The writer fills the limit many times over in far less than a round;
// rounds and pauses are RocketMQ's defaults and really wait. Only the
// wake-ups on new and newly durable segments keep the log in bounds.
constexpr int64_t kFastSegment = 1024 * 1024;
constexpr int64_t kLagSegments = 4;  // what the writer may add while the woken thread waits for a CPU

TEST_F(CleanupServiceTest, AFastWriterStaysWithinMaxStoreSizeBytesWithoutWaitingForARound) {
  config_ = test::SmallStoreConfig(root_, /*write_backend=*/true, kFastSegment);
  config_.maxStoreSizeBytes = 4 * kFastSegment;
  config_.destroyMapedFileIntervalForcibly = 1000;
  world_.real_pauses = true;  // deleteCommitLogFilesInterval and deleteConsumeQueueFilesInterval: 100 ms
  auto store = Open();
  ASSERT_TRUE(store);
  const WriterRun run = WriteFast(*store, 24 * kFastSegment, config_.maxStoreSizeBytes);
  EXPECT_GT(run.samples, 20);
  EXPECT_LE(run.worst_excess, kLagSegments * kFastSegment)
      << "the directory held " << run.most_bytes << " bytes at most against a limit of " << config_.maxStoreSizeBytes;
  ASSERT_TRUE(store->Flush().ok());
  // Once all is durable: the limit itself, and the spare.
  EXPECT_TRUE(DirShrinksTo(config_.maxStoreSizeBytes + kFastSegment, 3000))
      << DirBytes(config_.CommitLogDir()) << " bytes left";
  const int64_t created = (run.wrote - 1) / kFastSegment + 1;
  for (int i = 0; i < 1000 && static_cast<int64_t>(Deleted(*store, DeleteReason::kSize)) < created - 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // counted just after the unlink
  const CleanupStats stats = store->Stats().cleanup;
  const uint64_t size_deleted = stats.segments_deleted[static_cast<size_t>(DeleteReason::kSize)];
  EXPECT_EQ(static_cast<int64_t>(size_deleted), created - 4);
  for (size_t r = 0; r < kDeleteReasons; ++r) {
    if (r != static_cast<size_t>(DeleteReason::kSize)) {
      EXPECT_EQ(stats.segments_deleted[r], 0u) << r;
    }
  }
  EXPECT_EQ(stats.bytes_deleted, size_deleted * kFastSegment);
  EXPECT_EQ(stats.rounds, 0u) << "no round was due in this test's time";
}

TEST_F(CleanupServiceTest, AFastWriterStaysUnderTheForcingRatioWithoutWaitingForARound) {
  config_ = test::SmallStoreConfig(root_, /*write_backend=*/true, kFastSegment);
  config_.diskSpaceCleanForciblyRatio = 30;  // its floor
  config_.diskSpaceWarningLevelRatio = 90;
  config_.destroyMapedFileIntervalForcibly = 1000;
  world_.real_pauses = true;
  // A 20-segment partition holding only the commit log: 30% is 6 segments.
  constexpr int64_t capacity = 20 * kFastSegment;
  const std::string log_dir = config_.CommitLogDir();
  world_.disk = [log_dir](const std::string& dir) {
    if (dir.find("consumequeue") != std::string::npos) return 0.1;
    return static_cast<double>(DirBytes(log_dir)) / static_cast<double>(capacity);
  };
  auto store = Open();
  ASSERT_TRUE(store);
  const WriterRun run = WriteFast(*store, 24 * kFastSegment, capacity * 30 / 100);
  EXPECT_GT(run.samples, 20);
  EXPECT_LE(run.worst_excess, kLagSegments * kFastSegment) << "the directory held " << run.most_bytes << " bytes at most";
  ASSERT_TRUE(store->Flush().ok());
  // Once all is durable: the limit, and the spare if it was made after the last weighing.
  EXPECT_TRUE(DirShrinksTo(capacity * 30 / 100 + kFastSegment, 3000)) << DirBytes(log_dir) << " bytes left";
  const CleanupStats stats = store->Stats().cleanup;
  const uint64_t forced = stats.segments_deleted[static_cast<size_t>(DeleteReason::kForced)];
  EXPECT_GE(static_cast<int64_t>(forced), (run.wrote - 1) / kFastSegment + 1 - 6);
  for (size_t r = 0; r < kDeleteReasons; ++r) {
    if (r != static_cast<size_t>(DeleteReason::kForced)) {
      EXPECT_EQ(stats.segments_deleted[r], 0u) << r;
    }
  }
  EXPECT_FALSE(stats.disk_full);
  EXPECT_EQ(stats.rounds, 0u);
}

TEST_F(CleanupServiceTest, AnExpiryPauseIsCutShortToKeepTheSizeLimit) {
  config_.maxStoreSizeBytes = 4 * kSegment;
  config_.deleteCommitLogFilesInterval = 50;
  auto store = Open();
  ASSERT_TRUE(store);
  Fill(*store, 4);
  AgeAll(*store, 100);
  world_.SetHour(4);
  world_.clock.SetPauseHook([&](int64_t ms) {
    if (ms != 50 || sent_ > 100000) return;
    // During the first pause between expired deletions a writer adds six segments.
    const int64_t until = store->commit_log().WroteOffset() + 6 * kSegment;
    for (test::OwnedMessage m("TopicC", 0, 900, "p"); store->commit_log().WroteOffset() < until;)
      ASSERT_TRUE(store->Put(m.message()).ok());
    ASSERT_TRUE(store->Flush().ok());
    sent_ = 100001;
  });
  ASSERT_TRUE(store->cleanup().RunOnce().ok());
  EXPECT_LE(store->commit_log().SegmentCount(), 4u) << "the limit is kept within the round, not the next";
  EXPECT_GE(Deleted(*store, DeleteReason::kSize), 3u);
  EXPECT_GE(Deleted(*store, DeleteReason::kExpired), 1u);
}

TEST_F(CleanupServiceTest, QueueAndIndexFilesFreedByAHardLimitGoWithoutThePerQueuePause) {
  config_.maxStoreSizeBytes = 2 * kSegment;
  config_.deleteConsumeQueueFilesInterval = 7;
  config_.flushIntervalCommitLog = 3600 * 1000;  // nothing can go before the flush below
  config_.flushCommitLogTimed = true;
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; store->commit_log().SegmentCount() < 10; ++i) {
    test::OwnedMessage m("TopicC", i % 2, 900, "q" + std::to_string(i));
    ASSERT_TRUE(store->Put(m.message()).ok());
  }
  // The write backend's ring is committed on the flush thread's interval,
  // and the fake clock stands still: commit it, so dispatch can finish.
  ASSERT_TRUE(store->commit_log().Commit().ok());
  test::WaitDispatched(*store);  // the queues hold every record before any is deleted
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_TRUE(store->cleanup().RunOnce().ok());  // if the thread, woken by the flush, has not already
  EXPECT_EQ(store->commit_log().SegmentCount(), 2u);
  const CleanupStats stats = store->Stats().cleanup;
  EXPECT_GE(stats.queue_files_deleted, 2u);
  EXPECT_GE(stats.index_files_deleted, 1u);
  EXPECT_EQ(world_.Pauses(7), 0);
}

TEST_F(CleanupServiceTest, AStoreReopenedPastItsSizeLimitGetsUnderItWithoutWaitingForARound) {
  config_.cleanResourceInterval = 10000;
  {
    auto store = Open();
    ASSERT_TRUE(store);
    Fill(*store, 8);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  config_.maxStoreSizeBytes = 2 * kSegment;
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; i < 3000 && store->commit_log().SegmentCount() > 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(store->commit_log().SegmentCount(), 2u);
  EXPECT_EQ(Deleted(*store, DeleteReason::kSize), 6u);
}

// What a store gets unless told otherwise: the system clock's local hour
// and statvfs of the nearest existing directory.
TEST(SystemTimeAndDiskUse, TheSystemHourChangesAtTheLocalHourBoundary) {
  std::tm at4{};
  at4.tm_year = 126;
  at4.tm_mon = 11;
  at4.tm_mday = 1;
  at4.tm_hour = 4;
  at4.tm_isdst = -1;
  const int64_t ms = int64_t{std::mktime(&at4)} * 1000;
  const Clock& clock = Clock::System();
  EXPECT_EQ(clock.LocalHour(ms), 4);
  EXPECT_EQ(clock.LocalHour(ms - 1), 3);
  EXPECT_EQ(clock.LocalHour(ms + kHour - 1), 4);
  EXPECT_EQ(clock.LocalHour(ms + kHour), 5);
  const DiskUseProbe disk_used = SystemDiskUse(FileSystem::Default());
  const double used = disk_used(".");
  EXPECT_GT(used, 0.0);
  EXPECT_LE(used, 1.0);
  EXPECT_NEAR(disk_used("./not-made-yet/consumequeue"), used, 0.011) << "the nearest directory that exists";
  EXPECT_LT(disk_used("not-made-yet"), 0) << "no directory of it exists: unknown";
}

}  // namespace
}  // namespace mqstore
