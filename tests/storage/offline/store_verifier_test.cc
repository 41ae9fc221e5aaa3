// The verifier finds every class of damage, names file and offset, and keeps
// going; the golden stores are clean.
#include "storage/offline/store_verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "storage/offline/index_file_reader.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

struct Outcome {
  VerifyReport report;
  std::vector<VerifyProblem> problems;

  bool Has(const std::string& file_part, int64_t offset, const std::string& what_part) const {
    for (const auto& p : problems)
      if (p.file.find(file_part) != std::string::npos && p.offset == offset &&
          p.what.find(what_part) != std::string::npos)
        return true;
    return false;
  }
  std::string Dump() const {
    std::string s;
    for (const auto& p : problems) s += p.file + " @" + std::to_string(p.offset) + ": " + p.what + "\n";
    return s;
  }
};

Outcome Verify(const std::string& root) {
  Outcome out;
  VerifyCallbacks cb;
  cb.on_problem = [&](const VerifyProblem& p) { out.problems.push_back(p); };
  auto r = VerifyStore(FileSystem::Default(), StorePaths{root}, {}, cb);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  if (r.ok()) out.report = *r;
  EXPECT_EQ(out.report.problems, out.problems.size());
  return out;
}

TEST(StoreVerifier, GoldenStoresAreClean) {
  MQ_GOLDEN_OR_SKIP(golden);
  const Outcome small = Verify(golden + test::kSmallStore);
  EXPECT_EQ(small.report.problems, 0u) << small.Dump();
  EXPECT_EQ(small.report.segments, 6u);
  EXPECT_EQ(small.report.records, 943u);
  EXPECT_EQ(small.report.blanks, 5u);
  EXPECT_EQ(small.report.consume_queues, 8u);
  EXPECT_EQ(small.report.cq_units, 941u);
  EXPECT_EQ(small.report.index_files, 5u);
  EXPECT_EQ(small.report.index_entries, 399u * 4 + 365);
  const Outcome old = Verify(golden + "/rocketmq-4x-8k/store");
  EXPECT_EQ(old.report.problems, 0u) << old.Dump();
  EXPECT_EQ(old.report.records, 47u);
}

// Each case damages a fresh copy of the golden store and names the problem
// the verifier must report.
class StoreVerifierDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    golden_ = test::GoldenDir();
    if (golden_.empty()) GTEST_SKIP() << "golden folder ../shared/golden is absent; skipping";
    root_ = tmp_.path() + "/store";
    test::CopyTree(golden_ + test::kSmallStore, root_);
  }
  std::string At(const char* relative) const { return root_ + relative; }

  std::string golden_, root_;
  test::TempDir tmp_;
};

TEST_F(StoreVerifierDamage, BodyByteFlipIsACrcProblemAndLaterRecordsStillCount) {
  test::PatchFile(At(test::kSegment1), 200, "\xff", 1);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("00000000000000065536", 65536, "BODYCRC")) << o.Dump();
  EXPECT_EQ(o.report.records, 943u);
  EXPECT_EQ(o.problems.size(), 1u) << o.Dump();
}

TEST_F(StoreVerifierDamage, BadMagicStopsThatSegmentAndBreaksWhatPointsIntoIt) {
  test::PatchI32(At(test::kSegment2), 4, 0x01020304);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("00000000000000131072", 131072, "bad magic")) << o.Dump();
  EXPECT_TRUE(o.Has("consumequeue/TopicB/0", 480, "commit-log offset 131072")) << o.Dump();
  EXPECT_LT(o.report.records, 943u);
}

TEST_F(StoreVerifierDamage, PhysicalOffsetFieldThatIsNotThePosition) {
  test::PatchI64(At(test::kSegment0), 178 + 28, 999);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("00000000000000000000", 178, "PHYSICALOFFSET 999")) << o.Dump();
  EXPECT_TRUE(o.Has("consumequeue/TopicA/1", 0, "stores PHYSICALOFFSET 999")) << o.Dump();
}

TEST_F(StoreVerifierDamage, QueueOffsetGapIsReported) {
  test::PatchI64(At(test::kSegment0), 6512 + 20, 7);  // TopicA/0's second record claims offset 7
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("00000000000000000000", 6512, "queue offset 7 of TopicA/0, expected 1")) << o.Dump();
  EXPECT_TRUE(o.Has("consumequeue/TopicA/0", 20, "QUEUEOFFSET is 7")) << o.Dump();
}

TEST_F(StoreVerifierDamage, BlankRecordThatDoesNotFillTheFile) {
  test::PatchI32(At(test::kSegment0), 63627, 1000);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("00000000000000000000", 63627, "1909 bytes are left")) << o.Dump();
}

TEST_F(StoreVerifierDamage, MissingMiddleSegment) {
  std::filesystem::remove(At(test::kSegment2));
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("00000000000000196608", 0, "does not follow 00000000000000065536")) << o.Dump();
}

TEST_F(StoreVerifierDamage, ConsumeQueueUnitWithWrongSizeTagsOrOffset) {
  const char* cq = "/consumequeue/TopicB/0/00000000000000000000";
  test::PatchI32(At(cq), 0 * 20 + 8, 5);             // unit 0: size
  test::PatchI64(At(cq), 1 * 20 + 12, 77);           // unit 1: tagsCode
  test::PatchI64(At(cq), 2 * 20 + 0, 1);             // unit 2: not a record start
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("TopicB/0", 0, "unit size 5")) << o.Dump();
  EXPECT_TRUE(o.Has("TopicB/0", 20, "tagsCode 77")) << o.Dump();
  EXPECT_TRUE(o.Has("TopicB/0", 40, "commit-log offset 1")) << o.Dump();
}

TEST_F(StoreVerifierDamage, IndexEntryPointingAtARecordWithoutItsKey) {
  // Entry 1 of the first index file (at 40 + 4*100 + 20) indexes a key of the
  // record at 0; point it at the record at 178 instead.
  test::PatchI64(At("/index/20261125004953249"), 460 + 4, 178);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("20261125004953249", 460, "no key of the record hashes to")) << o.Dump();
}

TEST_F(StoreVerifierDamage, TruncatedIndexFileAndStrayFiles) {
  std::filesystem::resize_file(At("/index/20261125004955651"), 1000);
  std::ofstream(At("/commitlog/junk")) << "x";
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("20261125004955651", 0, "size 1000")) << o.Dump();
  EXPECT_TRUE(o.Has("commitlog/junk", 0, "not a 20-digit segment file")) << o.Dump();
}

// Index hash slots and chains (issue 13.3): what a query walks.
class StoreVerifierIndexChains : public StoreVerifierDamage {
 protected:
  void SetUp() override {
    StoreVerifierDamage::SetUp();
    if (IsSkipped()) return;
    auto files = ListIndexFiles(FileSystem::Default(), StorePaths{root_});
    ASSERT_TRUE(files.ok());
    files_ = *files;
    ASSERT_EQ(files_.size(), 5u);
  }
  IndexFileReader Reader(size_t i) {
    auto r = IndexFileReader::Open(FileSystem::Default(), files_[i]);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return std::move(*r);
  }
  // A used slot of file `i`, its head entry and that entry.
  struct Head {
    int32_t slot = -1;
    int32_t entry = 0;
    IndexEntry e;
  };
  Head FirstChainOfLength2(size_t i) {
    const IndexFileReader r = Reader(i);
    for (int32_t s = 0; s < r.geometry().max_hash_slot_num; ++s) {
      const int32_t n = *ReadIndexSlot(r.data(), r.geometry(), s);
      if (n == 0) continue;
      const IndexEntry e = *ReadIndexEntry(r.data(), r.geometry(), n);
      if (e.prev_index != 0) return Head{s, n, e};
    }
    ADD_FAILURE() << "no chain of two entries";
    return {};
  }
  static constexpr IndexGeometry kGolden{100, 400};
  std::vector<SegmentFile> files_;
};

TEST_F(StoreVerifierIndexChains, AllSlotsZeroedLeaveEveryEntryUnreachable) {
  const std::vector<uint8_t> zeros(4 * 100, 0);
  test::PatchFile(files_[1].path, 40, zeros.data(), zeros.size());
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has(files_[1].name, 460, "entries 1..399 (399) are reached from no hash slot")) << o.Dump();
  EXPECT_EQ(o.problems.size(), 1u) << o.Dump();
}

TEST_F(StoreVerifierIndexChains, AnEntryTakenOffItsChainIsUnreachable) {
  const Head h = FirstChainOfLength2(2);
  test::PatchI32(files_[2].path, static_cast<int64_t>(kGolden.SlotPosition(h.slot)), h.e.prev_index);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has(files_[2].name, static_cast<int64_t>(kGolden.EntryPosition(h.entry)),
                    "entry " + std::to_string(h.entry) + " is reached from no hash slot"))
      << o.Dump();
  EXPECT_EQ(o.problems.size(), 1u) << o.Dump();
}

TEST_F(StoreVerifierIndexChains, AChainThatLoopsOrLeavesTheFileIsReported) {
  const Head h = FirstChainOfLength2(0);
  const auto pos = static_cast<int64_t>(kGolden.EntryPosition(h.entry));
  test::PatchI32(files_[0].path, pos + 16, h.entry);  // prevIndex: itself
  test::PatchI32(files_[3].path, static_cast<int64_t>(kGolden.SlotPosition(7)), 4000);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has(files_[0].name, pos, "has prevIndex " + std::to_string(h.entry) + ", not an older entry"))
      << o.Dump();
  EXPECT_TRUE(o.Has(files_[0].name, static_cast<int64_t>(kGolden.EntryPosition(h.e.prev_index)),
                    "is reached from no hash slot"))
      << o.Dump() << "the rest of the chain is cut off";
  EXPECT_TRUE(o.Has(files_[3].name, static_cast<int64_t>(kGolden.SlotPosition(7)),
                    "hash slot 7 points at entry 4000, outside the file's entries 1..399"))
      << o.Dump();
}

TEST_F(StoreVerifierIndexChains, TwoChainsJoiningAreReported) {
  const Head h = FirstChainOfLength2(4);
  int32_t other = -1;  // another used slot
  const IndexFileReader r = Reader(4);
  for (int32_t s = 0; s < 100 && other < 0; ++s)
    if (s != h.slot && *ReadIndexSlot(r.data(), r.geometry(), s) != 0) other = s;
  ASSERT_GE(other, 0);
  const int32_t other_head = *ReadIndexSlot(r.data(), r.geometry(), other);
  test::PatchI32(files_[4].path, static_cast<int64_t>(kGolden.SlotPosition(other)), h.entry);
  const Outcome o = Verify(root_);
  // Slots are walked in order: whichever of the two comes second finds the
  // entry taken already.
  EXPECT_TRUE(o.Has(files_[4].name, static_cast<int64_t>(kGolden.EntryPosition(h.entry)),
                    "is reached again from hash slot " + std::to_string(std::max(h.slot, other)) + " (chains join)"))
      << o.Dump();
  EXPECT_TRUE(o.Has(files_[4].name, static_cast<int64_t>(kGolden.EntryPosition(other_head)),
                    "is reached from no hash slot"))
      << o.Dump();
}

// A lost middle file: the records it indexed lack their keys, though the
// files before and after it cover their offsets.
TEST_F(StoreVerifierIndexChains, KeysOfRecordsInAMissingMiddleFileAreReported) {
  const IndexFileReader r = Reader(2);
  const IndexEntry mid = *ReadIndexEntry(r.data(), r.geometry(), 200);
  std::filesystem::remove(files_[2].path);
  const Outcome o = Verify(root_);
  EXPECT_TRUE(o.Has("commitlog/", mid.phy_offset, "has no index entry, though the index files cover offsets"))
      << o.Dump();
  EXPECT_GT(o.report.index_keys, 0u);
}

TEST_F(StoreVerifierIndexChains, TheNewestFileMissingIsNoProblem) {
  std::filesystem::remove(files_[4].path);  // the index lags the log, as in a live store
  const Outcome o = Verify(root_);
  EXPECT_EQ(o.problems.size(), 0u) << o.Dump();
}

}  // namespace
}  // namespace mqstore
