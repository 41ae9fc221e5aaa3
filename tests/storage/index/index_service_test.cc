// IndexService with a tiny geometry (16 slots, 32 entries: a file is full
// after 31 keys), checked against an independent reading of its files.
// One file over ~600 lines on purpose: the independent reading of the
// files (its own big-endian decoder, not format/) serves all 30 tests, and
// splitting it off would put the oracle a file away from what it checks.
#include "storage/index/index_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "format/delay_levels.h"
#include "format/message_record.h"
#include "format/sys_flag.h"
#include "storage/offline/index_file_reader.h"
#include "storage/io/fake_clock.h"
#include "storage/io/fault_injection_file_system.h"
#include "storage/store_layout.h"
#include "storage/store_log.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr IndexGeometry kTiny{16, 32};
constexpr int32_t kKeysPerFile = 31;  // maxIndexNum - 1
constexpr int64_t kBaseTime = 1700000000000;  // ms; whole seconds, so entry times are exact
constexpr int64_t kAll = std::numeric_limits<int64_t>::max();

DispatchRequest Record(int64_t offset, int64_t timestamp, std::string_view uniq_key, std::string_view keys = "",
                       int32_t sys_flag = 0) {
  DispatchRequest r;
  r.topic = "TopicA";
  r.commit_log_offset = offset;
  r.size = 100;
  r.store_timestamp = timestamp;
  r.uniq_key = uniq_key;
  r.keys = keys;
  r.sys_flag = sys_flag;
  return r;
}

// The name RocketMQ gives a file created at `ms`: local yyyyMMddHHmmssSSS.
std::string ExpectedName(int64_t ms) {
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, "%03d", static_cast<int>(ms % 1000));
  return std::string(buf) + millis;
}

// "K<i>", kept alive for the string_views of DispatchRequest.
class Keys {
 public:
  const std::string& Key(int64_t i) {
    auto it = keys_.find(i);
    if (it == keys_.end()) it = keys_.emplace(i, "K" + std::to_string(i)).first;
    return it->second;
  }

 private:
  std::map<int64_t, std::string> keys_;
};

class IndexServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogSink({}); }

  std::string Dir() const { return tmp_.path() + "/index"; }
  IndexServiceOptions Options() {
    IndexServiceOptions o;
    o.dir = Dir();
    o.geometry = kTiny;
    o.max_msgs_num_batch = max_batch_;
    return o;
  }
  std::unique_ptr<IndexService> Open(bool last_exit_ok = true, int64_t index_msg_timestamp = 0,
                                     FileSystem& fs = FileSystem::Default()) {
    auto service = std::make_unique<IndexService>(Env(fs, clock_), Options());
    const Status st = service->Load(last_exit_ok, index_msg_timestamp);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return service;
  }
  // Records first .. first+count-1: offset 100*i, i seconds after
  // kBaseTime, one key "K<i>".
  void Put(IndexService& s, int64_t first, int64_t count) {
    for (int64_t i = first; i < first + count; ++i) {
      const Status st = s.BuildIndex(Record(100 * i, kBaseTime + 1000 * i, keys_.Key(i)));
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }
  std::vector<int64_t> Find(const IndexService& s, std::string_view key, int64_t begin = 0, int64_t end = kAll) {
    return s.QueryOffsets("TopicA", key, 64, begin, end);
  }
  std::vector<SegmentFile> Files() {
    auto files = ListIndexFiles(FileSystem::Default(), StorePaths{tmp_.path()});
    EXPECT_TRUE(files.ok()) << files.error().ToString();
    return files.ok() ? *files : std::vector<SegmentFile>{};
  }
  IndexFileReader Reader(const SegmentFile& f) {
    auto r = IndexFileReader::Open(FileSystem::Default(), f, kTiny);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return std::move(*r);
  }

  test::TempDir tmp_;
  FakeClock clock_{kBaseTime};  // new files' names
  int32_t max_batch_ = 64;
  Keys keys_;
};

// Structural checks a reader can make on any index file it did not write.
void ExpectConsistent(const IndexFileReader& r) {
  const IndexHeader& h = r.header();
  EXPECT_EQ(h.hash_slot_count, r.CountUsedSlots()) << r.file().name;
  EXPECT_EQ(*ReadIndexEntry(r.data(), r.geometry(), 0), IndexEntry{}) << "entry 0 is never used";
  std::set<int32_t> reached;
  for (int32_t s = 0; s < r.geometry().max_hash_slot_num; ++s) {
    for (int32_t n = *ReadIndexSlot(r.data(), r.geometry(), s); n != 0;) {
      ASSERT_GT(n, 0);
      ASSERT_LT(n, h.index_count) << "a chain points at an unused entry";
      const IndexEntry e = *ReadIndexEntry(r.data(), r.geometry(), n);
      EXPECT_EQ(e.key_hash % r.geometry().max_hash_slot_num, s);
      EXPECT_TRUE(reached.insert(n).second);
      ASSERT_LT(e.prev_index, n);
      n = e.prev_index;
    }
  }
  EXPECT_EQ(static_cast<int32_t>(reached.size()), h.index_count - 1) << "every live entry is on its chain";
  for (int32_t n = h.index_count; n < r.geometry().max_index_num; ++n)
    EXPECT_EQ(*ReadIndexEntry(r.data(), r.geometry(), n), IndexEntry{}) << "entry " << n << " past the end";
}

// The bytes putKey makes from an empty file, without IndexService.
std::vector<uint8_t> ReferenceImage(const std::vector<std::pair<std::string, int64_t>>& keys_and_index) {
  std::vector<uint8_t> image(kTiny.FileSize(), 0);
  for (const auto& [key, i] : keys_and_index)
    EXPECT_TRUE(IndexPutKey(image, kTiny, IndexKeyHash("TopicA", key), 100 * i, kBaseTime + 1000 * i));
  return image;
}

TEST_F(IndexServiceTest, FindsTheUniqKeyAndEveryKeysToken) {
  auto s = Open();
  ASSERT_TRUE(s->BuildIndex(Record(0, kBaseTime, "U1", " k1  k2 k3 ")).ok());
  ASSERT_TRUE(s->BuildIndex(Record(200, kBaseTime + 1000, "", "k2")).ok());
  EXPECT_EQ(s->Stats().keys_added, 5u) << "U1 k1 k2 k3 k2; empty tokens skipped";
  EXPECT_EQ(Find(*s, "U1"), std::vector<int64_t>{0});
  EXPECT_EQ(Find(*s, "k1"), std::vector<int64_t>{0});
  EXPECT_EQ(Find(*s, "k2"), (std::vector<int64_t>{0, 200}));
  EXPECT_EQ(Find(*s, "k3"), std::vector<int64_t>{0});
  EXPECT_TRUE(Find(*s, "k4").empty());
  EXPECT_TRUE(s->QueryOffsets("TopicB", "k1", 64, 0, kAll).empty()) << "the topic is part of the key";
  EXPECT_EQ(s->Stats().entries, 5u);
  EXPECT_EQ(s->Stats().files, 1u);
}

TEST_F(IndexServiceTest, RollbackRecordsAreNotIndexedButPreparedAndCommitAre) {
  auto s = Open();
  ASSERT_TRUE(s->BuildIndex(Record(0, kBaseTime, "P", "", sysflag::kTransactionPreparedType)).ok());
  ASSERT_TRUE(s->BuildIndex(Record(100, kBaseTime, "R", "r", sysflag::kTransactionRollbackType)).ok());
  ASSERT_TRUE(s->BuildIndex(Record(200, kBaseTime, "C", "", sysflag::kTransactionCommitType)).ok());
  EXPECT_EQ(Find(*s, "P"), std::vector<int64_t>{0});
  EXPECT_TRUE(Find(*s, "R").empty());
  EXPECT_TRUE(Find(*s, "r").empty());
  EXPECT_EQ(Find(*s, "C"), std::vector<int64_t>{200});
  EXPECT_EQ(s->Stats().keys_added, 2u);
}

TEST_F(IndexServiceTest, FileBytesAreWhatPutKeyMakesAndAReaderAgrees) {
  auto s = Open();
  // 20 keys over 16 slots: chains and collisions.
  std::vector<std::pair<std::string, int64_t>> reference;
  for (int64_t i = 0; i < 20; ++i) {
    const std::string key = "K" + std::to_string(i % 7);
    ASSERT_TRUE(s->BuildIndex(Record(100 * i, kBaseTime + 1000 * i, key)).ok());
    reference.emplace_back(key, i);
  }
  const auto files = Files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, ExpectedName(kBaseTime)) << "named by local creation time";
  EXPECT_EQ(files[0].size, kTiny.FileSize());
  EXPECT_TRUE(test::ReadFileBytes(files[0].path) == ReferenceImage(reference)) << "byte for byte";

  const IndexFileReader r = Reader(files[0]);
  EXPECT_EQ(r.header().index_count, 21);
  EXPECT_EQ(r.header().begin_phy_offset, 0);
  EXPECT_EQ(r.header().end_phy_offset, 1900);
  EXPECT_EQ(r.header().begin_timestamp, kBaseTime);
  EXPECT_EQ(r.header().end_timestamp, kBaseTime + 19000);
  ExpectConsistent(r);
  int32_t next = 1;
  r.ForEachEntry([&](int32_t n, const IndexEntry& e) {
    EXPECT_EQ(n, next++);
    EXPECT_EQ(e.phy_offset, 100 * (n - 1));
    EXPECT_EQ(e.time_diff, n - 1);
    EXPECT_EQ(e.key_hash, IndexKeyHash("TopicA", "K" + std::to_string((n - 1) % 7)));
  });
  std::vector<IndexFileReader> readers;
  readers.push_back(Reader(files[0]));
  for (int k = 0; k < 7; ++k) {
    const std::string key = "K" + std::to_string(k);
    EXPECT_EQ(Find(*s, key), QueryIndexOffsets(readers, "TopicA", key, 64, 0, kAll)) << key;
    EXPECT_EQ(Find(*s, key).size(), k < 6 ? 3u : 2u) << key;
  }
}

TEST_F(IndexServiceTest, AFullFileRollsToANewFileSeededFromItsEnd) {
  auto s = Open();  // the clock never moves: names must still differ
  Put(*s, 0, kKeysPerFile - 1);
  // The last record's two keys straddle the files.
  ASSERT_TRUE(s->BuildIndex(Record(3000, kBaseTime + 30000, "U30", "X30")).ok());
  Put(*s, 31, 10);
  const auto files = Files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, ExpectedName(kBaseTime));
  EXPECT_EQ(files[1].name, ExpectedName(kBaseTime + 1)) << "the next free millisecond";
  const IndexFileReader first = Reader(files[0]), second = Reader(files[1]);
  EXPECT_EQ(first.header().index_count, kTiny.max_index_num) << "a full file stores maxIndexNum";
  EXPECT_EQ(first.header().end_phy_offset, 3000);
  EXPECT_EQ(second.header().begin_phy_offset, 3000) << "the straddling record begins the new file";
  EXPECT_EQ(second.header().begin_timestamp, kBaseTime + 30000);
  EXPECT_EQ(second.header().index_count, 12);
  ExpectConsistent(first);
  ExpectConsistent(second);
  // Entry 1's timeDiff was taken against the seeded begin (IndexFile.putKey, first entry).
  EXPECT_EQ(ReadIndexEntry(second.data(), kTiny, 1)->time_diff, 0);
  EXPECT_EQ(ReadIndexEntry(second.data(), kTiny, 2)->time_diff, 1);
  EXPECT_EQ(Find(*s, "U30"), std::vector<int64_t>{3000});
  EXPECT_EQ(Find(*s, "X30"), std::vector<int64_t>{3000});
  EXPECT_EQ(s->Stats().files, 2u);
  EXPECT_EQ(s->Stats().entries, 31u + 11u);
  EXPECT_EQ(s->IndexedUpTo(), 4000);
}

TEST_F(IndexServiceTest, TheSeedLastsUntilTheFirstKeyAndTheFirstDiffUsesIt) {
  auto s = Open();
  Put(*s, 0, kKeysPerFile);
  // The 32nd key goes to a new file whose seeded begin (the previous end,
  // t=30 s) is what entry 1's timeDiff is measured from.
  ASSERT_TRUE(s->BuildIndex(Record(5000, kBaseTime + 35000, "late")).ok());
  const auto files = Files();
  ASSERT_EQ(files.size(), 2u);
  const IndexFileReader second = Reader(files[1]);
  EXPECT_EQ(ReadIndexEntry(second.data(), kTiny, 1)->time_diff, 5);
  EXPECT_EQ(second.header().begin_timestamp, kBaseTime + 35000);
  EXPECT_EQ(second.header().begin_phy_offset, 5000);
}

// With a prefaulter the next file is made ahead of need (at open, and when
// the last file is half full) and taken when the writer needs it: the files
// in use, their names and seeds are what the writer would have made itself.
TEST_F(IndexServiceTest, FilesMadeAheadAreNamedAndSeededAsIfMadeWhenNeeded) {
  Prefaulter prefaulter;
  prefaulter.Start();
  IndexServiceOptions o = Options();
  o.prefaulter = &prefaulter;
  IndexService s(Env(FileSystem::Default(), clock_), o);
  ASSERT_TRUE(s.Load(true, 0).ok());
  Put(s, 0, kKeysPerFile - 1);
  ASSERT_TRUE(s.BuildIndex(Record(3000, kBaseTime + 30000, "U30", "X30")).ok());
  Put(s, 31, 10);
  prefaulter.Stop();  // runs what is queued
  auto files = Files();
  ASSERT_EQ(files.size(), 2u) << "the second file is not half full: no spare yet";
  EXPECT_EQ(files[0].name, ExpectedName(kBaseTime));
  EXPECT_EQ(files[1].name, ExpectedName(kBaseTime + 1));
  const IndexFileReader first = Reader(files[0]), second = Reader(files[1]);
  EXPECT_EQ(first.header().index_count, kTiny.max_index_num);
  EXPECT_EQ(second.header().begin_phy_offset, 3000);
  EXPECT_EQ(second.header().begin_timestamp, kBaseTime + 30000);
  EXPECT_EQ(ReadIndexEntry(second.data(), kTiny, 1)->time_diff, 0) << "measured from the seeded begin";
  ExpectConsistent(first);
  ExpectConsistent(second);
  EXPECT_EQ(Find(s, "X30"), std::vector<int64_t>{3000});
  // Past half of the second file: a third is made ahead (inline now: the
  // prefaulter is stopped), not used, and deleted by RemoveSpare.
  Put(s, 41, 10);
  EXPECT_EQ(Files().size(), 3u);
  EXPECT_EQ(s.Stats().files, 2u) << "a spare is not in use";
  ASSERT_TRUE(s.RemoveSpare().ok());
  EXPECT_EQ(Files().size(), 2u);
  EXPECT_EQ(s.IndexedUpTo(), 5000);
}

TEST_F(IndexServiceTest, ASpareTakesTheNameOfTheMomentItIsTaken) {
  Prefaulter prefaulter;  // not started: spares are made inline, at once
  IndexServiceOptions o = Options();
  o.prefaulter = &prefaulter;
  IndexService s(Env(FileSystem::Default(), clock_), o);
  ASSERT_TRUE(s.Load(true, 0).ok());
  Put(s, 0, kKeysPerFile);  // the spare is made at key 16, named now: kBaseTime + 1
  clock_.SetWallMillis(kBaseTime + 5000);
  Put(s, 31, 1);
  const auto files = Files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].name, ExpectedName(kBaseTime + 5000)) << "renamed when taken, as RocketMQ names it then";
  EXPECT_EQ(Find(s, "K31"), std::vector<int64_t>{3100});
  EXPECT_EQ(Reader(files[1]).header().begin_phy_offset, 3100);
}

TEST_F(IndexServiceTest, ASpareLeftByAnUncleanStopIsRemovedAtLoad) {
  {
    Prefaulter prefaulter;
    IndexServiceOptions o = Options();
    o.prefaulter = &prefaulter;
    IndexService s(Env(FileSystem::Default(), clock_), o);
    ASSERT_TRUE(s.Load(true, 0).ok());
    Put(s, 0, kKeysPerFile);  // past half: the next file is made; this one is full
    ASSERT_EQ(Files().size(), 2u);
  }  // no RemoveSpare: as after a crash
  auto s = Open(/*last_exit_ok=*/false, kBaseTime + 30000);
  EXPECT_EQ(Files().size(), 1u);
  EXPECT_EQ(s->Stats().files, 1u);
  EXPECT_EQ(Find(*s, "K7"), std::vector<int64_t>{700});
  Put(*s, 31, 1);  // the next file is made by the writer, seeded
  EXPECT_EQ(Files().size(), 2u);
  EXPECT_EQ(Reader(Files()[1]).header().begin_phy_offset, 3100);
}

TEST_F(IndexServiceTest, ANameTakenOnDiskIsSkipped) {
  ASSERT_TRUE(std::filesystem::create_directories(Dir()));
  std::ofstream(Dir() + "/" + ExpectedName(kBaseTime)).put('x');  // not loaded: 1 byte
  IndexService s(Env(FileSystem::Default(), clock_), Options());  // Load would refuse the 1-byte file
  ASSERT_TRUE(s.BuildIndex(Record(0, kBaseTime, "A")).ok());
  EXPECT_TRUE(std::filesystem::exists(Dir() + "/" + ExpectedName(kBaseTime + 1)));
  EXPECT_EQ(std::filesystem::file_size(Dir() + "/" + ExpectedName(kBaseTime)), 1u);
}

TEST_F(IndexServiceTest, QueriesSpanFilesNewestFirst) {
  auto s = Open();
  Put(*s, 0, 70);  // three files
  ASSERT_EQ(Files().size(), 3u);
  // "K5" again, in the last file.
  ASSERT_TRUE(s->BuildIndex(Record(100 * 70, kBaseTime + 70000, "K5")).ok());
  EXPECT_EQ(Find(*s, "K5"), (std::vector<int64_t>{500, 7000}));
  EXPECT_EQ(Find(*s, "K40"), std::vector<int64_t>{4000});
  max_batch_ = 1;
  auto capped = Open();
  EXPECT_EQ(Find(*capped, "K5"), std::vector<int64_t>{7000}) << "newest first, capped by maxMsgsNumBatch";
}

TEST_F(IndexServiceTest, QueryTimeRangeExcludesEntriesOutsideIt) {
  auto s = Open();
  for (int64_t i = 0; i < 5; ++i) ASSERT_TRUE(s->BuildIndex(Record(100 * i, kBaseTime + 10000 * i, "T")).ok());
  EXPECT_EQ(Find(*s, "T", kBaseTime + 10000, kBaseTime + 30000), (std::vector<int64_t>{100, 200, 300}));
  EXPECT_EQ(Find(*s, "T", kBaseTime + 5000, kBaseTime + 15000), std::vector<int64_t>{100});
  EXPECT_TRUE(Find(*s, "T", kBaseTime + 41000, kAll).empty());
  EXPECT_TRUE(Find(*s, "T", 0, kBaseTime - 1).empty());
}

TEST_F(IndexServiceTest, QueryOffsetsAreCappedByMaxMsgsNumBatch) {
  max_batch_ = 4;
  auto s = Open();
  for (int64_t i = 0; i < 10; ++i) ASSERT_TRUE(s->BuildIndex(Record(100 * i, kBaseTime + 1000 * i, "same")).ok());
  EXPECT_EQ(Find(*s, "same"), (std::vector<int64_t>{600, 700, 800, 900}));
  EXPECT_EQ(s->QueryOffsets("TopicA", "same", 2, 0, kAll), (std::vector<int64_t>{800, 900}));
}

TEST_F(IndexServiceTest, RedispatchAddsNothingEvenForAFirstRecordAtOffsetZero) {
  auto s = Open();
  EXPECT_EQ(s->IndexedUpTo(), -1);
  ASSERT_TRUE(s->BuildIndex(Record(0, kBaseTime, "first")).ok());
  EXPECT_EQ(s->IndexedUpTo(), 0);
  ASSERT_TRUE(s->BuildIndex(Record(0, kBaseTime, "first")).ok());
  EXPECT_EQ(s->Stats().keys_added, 1u);
  Put(*s, 1, 40);
  const uint64_t added = s->Stats().keys_added;
  Put(*s, 0, 41);  // everything again
  EXPECT_EQ(s->Stats().keys_added, added);
  EXPECT_EQ(Find(*s, "K3"), std::vector<int64_t>{300});
  s.reset();
  auto reopened = Open();
  EXPECT_EQ(reopened->IndexedUpTo(), 4000);
  Put(*reopened, 0, 41);
  EXPECT_EQ(reopened->Stats().keys_added, 0u);
  EXPECT_EQ(reopened->Stats().entries, 41u);
}

TEST_F(IndexServiceTest, LoadAfterACrashDropsFilesNewerThanIndexMsgTimestamp) {
  int64_t index_msg_timestamp = -1;
  {
    auto s = Open();
    Put(*s, 0, kKeysPerFile + 5);
    ASSERT_TRUE(s->FlushFullFiles([&](int64_t t) { index_msg_timestamp = t; }).ok());
  }
  ASSERT_EQ(index_msg_timestamp, kBaseTime + 30000);
  {
    auto normal = Open(/*last_exit_ok=*/true, index_msg_timestamp);
    EXPECT_EQ(normal->Stats().files, 2u) << "a clean exit keeps every file";
    EXPECT_EQ(Find(*normal, "K33"), std::vector<int64_t>{3300});
  }
  auto crashed = Open(/*last_exit_ok=*/false, index_msg_timestamp);
  EXPECT_EQ(crashed->Stats().files, 1u);
  EXPECT_EQ(Files().size(), 1u) << "deleted from disk too";
  EXPECT_EQ(crashed->IndexedUpTo(), 3000);
  EXPECT_TRUE(Find(*crashed, "K33").empty());
  EXPECT_EQ(Find(*crashed, "K7"), std::vector<int64_t>{700});
  // Re-dispatch from the kept end rebuilds what was dropped.
  Put(*crashed, 0, kKeysPerFile + 5);
  EXPECT_EQ(crashed->Stats().keys_added, 5u);
  EXPECT_EQ(Find(*crashed, "K33"), std::vector<int64_t>{3300});
  bool called = false;
  ASSERT_TRUE(crashed->FlushFullFiles([&](int64_t) { called = true; }).ok());
  EXPECT_FALSE(called) << "a full file loaded from disk counts as synced";
}

// A file still being written when the process died was never synced for
// sure, whatever its endTimestamp says (records of one millisecond across a
// roll-over): its pages may be gone, so it goes and is rebuilt.
TEST_F(IndexServiceTest, AfterACrashANotFullNewestFileGoesEvenWithAnOldEndTimestamp) {
  int64_t index_msg_timestamp = -1;
  {
    auto s = Open();
    Put(*s, 0, kKeysPerFile);
    for (int64_t i = kKeysPerFile; i < kKeysPerFile + 5; ++i)  // stored in the full file's last millisecond
      ASSERT_TRUE(s->BuildIndex(Record(100 * i, kBaseTime + 30000, keys_.Key(i))).ok());
    ASSERT_TRUE(s->FlushFullFiles([&](int64_t t) { index_msg_timestamp = t; }).ok());
  }
  ASSERT_EQ(index_msg_timestamp, kBaseTime + 30000);
  const std::vector<SegmentFile> files = Files();
  ASSERT_EQ(files.size(), 2u);
  const std::vector<uint8_t> lost(kIndexEntrySize * 6, 0);  // its entry pages never reached the disk
  test::PatchFile(files[1].path, static_cast<int64_t>(kTiny.EntryPosition(0)), lost.data(), lost.size());
  auto crashed = Open(/*last_exit_ok=*/false, index_msg_timestamp);
  EXPECT_EQ(crashed->Stats().files, 1u);
  EXPECT_EQ(crashed->IndexedUpTo(), 3000);
  EXPECT_FALSE(crashed->LastRecordComplete());
  for (int64_t i = kKeysPerFile; i < kKeysPerFile + 5; ++i)
    ASSERT_TRUE(crashed->BuildIndex(Record(100 * i, kBaseTime + 30000, keys_.Key(i))).ok());
  EXPECT_EQ(Find(*crashed, "K33"), std::vector<int64_t>{3300});
}

// A gap in the files would never be refilled: re-dispatch starts at the
// newest file's end. So a file that does not open after a crash takes every
// newer file with it.
TEST_F(IndexServiceTest, AfterACrashAFileThatDoesNotOpenGoesWithEveryNewerFile) {
  int64_t index_msg_timestamp = -1;
  {
    auto s = Open();
    Put(*s, 0, 2 * kKeysPerFile + 5);
    ASSERT_TRUE(s->FlushFullFiles([&](int64_t t) { index_msg_timestamp = t; }).ok());
  }
  ASSERT_EQ(Files().size(), 3u);
  std::filesystem::resize_file(Files()[0].path, 100);  // torn
  auto crashed = Open(/*last_exit_ok=*/false, index_msg_timestamp);
  EXPECT_EQ(crashed->Stats().files, 0u);
  EXPECT_TRUE(Files().empty());
  EXPECT_EQ(crashed->IndexedUpTo(), -1);
  Put(*crashed, 0, 2 * kKeysPerFile + 5);
  EXPECT_EQ(Find(*crashed, "K7"), std::vector<int64_t>{700});
  EXPECT_EQ(Find(*crashed, "K40"), std::vector<int64_t>{4000});
  EXPECT_EQ(crashed->Stats().entries, 2u * kKeysPerFile + 5);
}

TEST_F(IndexServiceTest, TheLastRecordIsCompleteOnlyWhileTheNewestFileHasRoom) {
  auto s = Open();
  EXPECT_FALSE(s->LastRecordComplete()) << "nothing indexed";
  Put(*s, 0, 5);
  EXPECT_TRUE(s->LastRecordComplete());
  Put(*s, 5, kKeysPerFile - 5);
  EXPECT_FALSE(s->LastRecordComplete()) << "full: its keys may go on in the next file";
  Put(*s, kKeysPerFile, 1);
  EXPECT_TRUE(s->LastRecordComplete());
}

// Two full files can end in one millisecond. The checkpoint names the end of
// the newest synced one; a full file after it that was never synced ends
// there too, and after a power loss may hold its header without its entries.
// Of the files ending there only the first is known synced.
TEST_F(IndexServiceTest, LoadAfterACrashDropsAFullFileEndingInTheSameMillisecondAsTheSyncedOne) {
  int64_t index_msg_timestamp = -1;
  const int64_t end = kBaseTime + 30000;  // K30's time
  {
    auto s = Open();
    Put(*s, 0, kKeysPerFile);
    ASSERT_TRUE(s->FlushFullFiles([&](int64_t t) { index_msg_timestamp = t; }).ok());
    // A second file filled within the same millisecond, not synced yet.
    for (int64_t i = kKeysPerFile; i < 2 * kKeysPerFile; ++i)
      ASSERT_TRUE(s->BuildIndex(Record(100 * i, end, keys_.Key(i))).ok());
  }
  ASSERT_EQ(index_msg_timestamp, end);
  ASSERT_EQ(Files().size(), 2u);
  // Power loss: its header reached the disk, its entries did not.
  const std::vector<uint8_t> lost(kTiny.FileSize() - kTiny.EntryPosition(1), 0);
  test::PatchFile(Files()[1].path, kTiny.EntryPosition(1), lost.data(), lost.size());
  auto crashed = Open(/*last_exit_ok=*/false, index_msg_timestamp);
  EXPECT_EQ(Files().size(), 1u);
  EXPECT_EQ(crashed->IndexedUpTo(), 3000);
  for (int64_t i = kKeysPerFile; i < 2 * kKeysPerFile; ++i)
    ASSERT_TRUE(crashed->BuildIndex(Record(100 * i, end, keys_.Key(i))).ok());
  EXPECT_EQ(Find(*crashed, keys_.Key(40)), std::vector<int64_t>{4000});
  EXPECT_EQ(Find(*crashed, keys_.Key(7)), std::vector<int64_t>{700}) << "the synced file is kept";
}

TEST_F(IndexServiceTest, TruncateDirtyLeavesExactlyTheBytesOfTheKeptEntries) {
  auto s = Open();
  std::vector<std::pair<std::string, int64_t>> kept;
  for (int64_t i = 0; i < 25; ++i) {
    const std::string key = "K" + std::to_string(i % 9);
    ASSERT_TRUE(s->BuildIndex(Record(100 * i, kBaseTime + 1000 * i, key)).ok());
    if (i < 14) kept.emplace_back(key, i);
  }
  ASSERT_TRUE(s->TruncateDirty(1350).ok());  // inside record 13: it stays
  EXPECT_EQ(s->IndexedUpTo(), 1300);
  EXPECT_EQ(s->Stats().entries, 14u);
  const auto files = Files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(test::ReadFileBytes(files[0].path) == ReferenceImage(kept)) << "as if never inserted";
  ExpectConsistent(Reader(files[0]));
  EXPECT_EQ(Find(*s, "K4"), (std::vector<int64_t>{400, 1300}));
  EXPECT_EQ(Find(*s, "K5"), std::vector<int64_t>{500}) << "1400 is gone";

  ASSERT_TRUE(s->TruncateDirty(1300).ok());  // exactly at a record: it goes
  EXPECT_EQ(s->IndexedUpTo(), 1200);
  EXPECT_EQ(Find(*s, "K4"), std::vector<int64_t>{400});
  kept.pop_back();
  EXPECT_TRUE(test::ReadFileBytes(files[0].path) == ReferenceImage(kept));
  // Re-dispatch from there repairs the index.
  for (int64_t i = 0; i < 25; ++i)
    ASSERT_TRUE(s->BuildIndex(Record(100 * i, kBaseTime + 1000 * i, "K" + std::to_string(i % 9))).ok());
  EXPECT_EQ(Find(*s, "K4"), (std::vector<int64_t>{400, 1300, 2200}));
  EXPECT_EQ(s->Stats().entries, 25u);
}

TEST_F(IndexServiceTest, TruncateDirtyDeletesWholeNewerFiles) {
  auto s = Open();
  Put(*s, 0, 70);  // files of records 0-30, 31-61, 62-69
  ASSERT_EQ(Files().size(), 3u);
  ASSERT_TRUE(s->TruncateDirty(2000).ok());
  EXPECT_EQ(Files().size(), 1u);
  EXPECT_EQ(s->IndexedUpTo(), 1900);
  EXPECT_EQ(s->Stats().entries, 20u);
  EXPECT_TRUE(Find(*s, "K20").empty());
  EXPECT_TRUE(Find(*s, "K65").empty());
  EXPECT_EQ(Find(*s, "K19"), std::vector<int64_t>{1900});
  ExpectConsistent(Reader(Files()[0]));
  ASSERT_TRUE(s->TruncateDirty(0).ok());
  EXPECT_TRUE(Files().empty());
  EXPECT_EQ(s->IndexedUpTo(), -1);
  Put(*s, 0, 3);
  EXPECT_EQ(Find(*s, "K2"), std::vector<int64_t>{200});
}

TEST_F(IndexServiceTest, TruncateDirtyDropsAFileWhoseChainIsBroken) {
  {
    auto s = Open();
    Put(*s, 0, 5);
  }
  const auto files = Files();
  ASSERT_EQ(files.size(), 1u);
  const int32_t slot = IndexKeyHash("TopicA", "K4") % kTiny.max_hash_slot_num;
  test::PatchI32(files[0].path, static_cast<int64_t>(kTiny.SlotPosition(slot)), 2);
  auto s = Open();
  std::vector<std::string> log;
  SetLogSink([&](LogLevel, std::string_view line) { log.emplace_back(line); });
  ASSERT_TRUE(s->TruncateDirty(400).ok());
  SetLogSink({});
  EXPECT_TRUE(Files().empty());
  EXPECT_EQ(s->IndexedUpTo(), -1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("hash slot"), std::string::npos) << log[0];
}

TEST_F(IndexServiceTest, FlushFullFilesReportsAFullFileEndTimestampOnce) {
  auto s = Open();
  std::vector<int64_t> reported;
  auto record = [&](int64_t t) { reported.push_back(t); };
  Put(*s, 0, kKeysPerFile);
  ASSERT_TRUE(s->FlushFullFiles(record).ok());
  EXPECT_EQ(reported, std::vector<int64_t>{kBaseTime + 30000}) << "full before the next file exists";
  Put(*s, kKeysPerFile, 40);
  ASSERT_TRUE(s->FlushFullFiles(record).ok());
  EXPECT_EQ(reported, (std::vector<int64_t>{kBaseTime + 30000, kBaseTime + 61000}));
  ASSERT_TRUE(s->FlushFullFiles(record).ok());
  ASSERT_TRUE(s->FlushAll().ok());
  EXPECT_EQ(reported.size(), 2u);
}

TEST_F(IndexServiceTest, AFailedSyncReportsNothingAndIsRetried) {
  FaultInjectionFileSystem faulty(FileSystem::Default());
  auto s = Open(true, 0, faulty);
  Put(*s, 0, kKeysPerFile);
  faulty.FailNthMutatingCall(1, EIO);
  int calls = 0;
  EXPECT_EQ(s->FlushFullFiles([&](int64_t) { ++calls; }).code(), StatusCode::kIOError);
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(s->FlushFullFiles([&](int64_t) { ++calls; }).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(IndexServiceTest, AFileThatCannotBeSizedLeavesNothingBehind) {
  FaultInjectionFileSystem faulty(FileSystem::Default());
  auto s = Open(true, 0, faulty);
  faulty.FailNthMutatingCall(1, ENOSPC);  // the new file's Preallocate
  EXPECT_EQ(s->BuildIndex(Record(0, kBaseTime, "A")).code(), StatusCode::kNoSpace);
  EXPECT_TRUE(Files().empty()) << "a short file would fail the next Load";
  EXPECT_EQ(s->IndexedUpTo(), -1);
  ASSERT_TRUE(s->BuildIndex(Record(0, kBaseTime, "A")).ok());
  EXPECT_EQ(Find(*s, "A"), std::vector<int64_t>{0});
  EXPECT_TRUE(Open()->Stats().files == 1u);
}

TEST_F(IndexServiceTest, AGeometryWithoutRoomForAnEntryIsRefused) {
  IndexServiceOptions o = Options();
  o.geometry = IndexGeometry{16, 1};
  IndexService s(Env(FileSystem::Default(), clock_), o);
  EXPECT_EQ(s.Load(true, 0).code(), StatusCode::kInvalidArgument);
}

TEST_F(IndexServiceTest, AWronglySizedFileIsACorruptionNamingIt) {
  ASSERT_TRUE(std::filesystem::create_directories(Dir()));
  const std::string bad = Dir() + "/20240101000000000";
  std::ofstream(bad) << std::string(100, '\0');
  std::ofstream(Dir() + "/notes.txt") << "ignored";
  IndexService s(Env(FileSystem::Default(), clock_), Options());
  const Status st = s.Load(true, 0);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find(bad), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("100"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(std::to_string(kTiny.FileSize())), std::string::npos) << st.message();
  std::filesystem::remove(bad);
  ASSERT_TRUE(s.Load(true, 0).ok()) << "other names are ignored";
  EXPECT_EQ(s.Stats().files, 0u);
}

TEST_F(IndexServiceTest, AMissingDirectoryIsAnEmptyIndexCreatedByTheFirstKey) {
  auto s = Open();
  EXPECT_FALSE(std::filesystem::exists(Dir()));
  EXPECT_EQ(s->Stats().files, 0u);
  EXPECT_TRUE(Find(*s, "K0").empty());
  ASSERT_TRUE(s->BuildIndex(Record(0, kBaseTime, "K0")).ok());
  EXPECT_EQ(Files().size(), 1u);
}

// index/ made for the first key is synced into its parent: a synced index
// file inside a directory whose name a power loss drops is lost with it.
TEST_F(IndexServiceTest, TheDirectoryMadeForTheFirstKeySurvivesAPowerLoss) {
  FaultInjectionFileSystem faulty(FileSystem::Default());
  {
    auto s = Open(true, 0, faulty);
    Put(*s, 0, 3);
    ASSERT_TRUE(s->FlushAll().ok());
  }
  ASSERT_TRUE(faulty.Crash().ok());
  auto s = Open(true, 0);
  EXPECT_EQ(Files().size(), 1u);
  EXPECT_EQ(Find(*s, keys_.Key(2)), std::vector<int64_t>{200});
}

TEST_F(IndexServiceTest, QueriesRunWhileTheWriterRollsFiles) {
  auto s = Open();
  std::atomic<bool> done{false};
  std::atomic<int64_t> found{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      while (!done.load()) {
        found += static_cast<int64_t>(Find(*s, "K1").size());
        (void)s->Stats();
        (void)s->IndexedUpTo();
        // Paced like real lookups: a reader-preferring shared_mutex would
        // let back-to-back readers on 2 cores starve the writer.
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
  for (int64_t i = 0; i < 300; ++i) {  // EXPECT, not ASSERT: the readers must be joined
    if (i % 50 == 0) {
      EXPECT_TRUE(s->FlushFullFiles({}).ok());
    }
    clock_.Advance(1);
    const std::string key = "K" + std::to_string(i % 20);
    EXPECT_TRUE(s->BuildIndex(Record(100 * i, kBaseTime + 1000 * i, key)).ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(s->Stats().entries, 300u);
  EXPECT_EQ(Find(*s, "K1").size(), 15u);
}

// The golden store's commit log dispatched through IndexService gives
// RocketMQ's own index files, byte for byte.
TEST_F(IndexServiceTest, DispatchingTheGoldenCommitLogRebuildsItsIndexFiles) {
  MQ_GOLDEN_OR_SKIP(golden);
  const std::string set = golden + test::kSmallStore;
  auto want = ListIndexFiles(FileSystem::Default(), StorePaths{set});
  ASSERT_TRUE(want.ok());
  IndexServiceOptions options = Options();
  options.geometry = IndexGeometry{100, 400};
  IndexService s(Env(FileSystem::Default(), clock_), options);
  ASSERT_TRUE(s.Load(true, 0).ok());
  for (const SegmentFile& segment : test::ListCommitLog(set)) {
    const auto bytes = test::ReadFileBytes(segment.path);
    for (size_t pos = 0; pos + 8 <= bytes.size();) {
      auto rec = DecodeRecord(std::span<const uint8_t>(bytes).subspan(pos));
      if (!rec.ok() || rec->kind == RecordKind::kBlank) break;
      ASSERT_TRUE(s.BuildIndex(MakeDispatchRequest(rec->message, DefaultDelayLevels())).ok());
      pos += static_cast<size_t>(rec->total_size);
    }
  }
  const auto built = Files();
  ASSERT_EQ(built.size(), want->size());
  for (size_t i = 0; i < built.size(); ++i)
    EXPECT_TRUE(test::ReadFileBytes(built[i].path) == test::ReadFileBytes((*want)[i].path)) << (*want)[i].name;
}

}  // namespace
}  // namespace mqstore
