// CommitLogBatchReader over a small-segment commit log (mmap backend, so
// records are readable as soon as they are put).
#include "storage/log/commit_log_batch_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int64_t kSegment = 64 * 1024;

class CommitLogBatchReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    CommitLogOptions o;
    o.dir = tmp_.path() + "/commitlog";
    o.segment_size = kSegment;
    o.backend = WriteBackend::kMmap;
    o.prefault_ahead = 0;
    o.limits.max_record_size = 32 * 1024;
    log_ = std::make_unique<CommitLog>(Env::Default(), o);
    ASSERT_TRUE(log_->Load().ok());
    ASSERT_TRUE(log_->Recover(false, 0).ok());
  }

  // Puts `n` records with bodies of `body` bytes; returns their offsets.
  std::vector<int64_t> Put(int n, size_t body) {
    std::vector<int64_t> offsets;
    for (int i = 0; i < n; ++i) {
      test::OwnedMessage m("T", i % 3, body, "k" + std::to_string(offsets_.size()));
      const PutResult r = log_->Put(m.message());
      EXPECT_TRUE(r.ok()) << r.reason;
      offsets.push_back(r.wrote_offset);
      offsets_.push_back(r.wrote_offset);
    }
    return offsets;
  }

  // Every record the reader returns up to `end`, batch by batch.
  std::vector<int64_t> ReadAll(CommitLogBatchReader& reader, int64_t end, size_t* batches = nullptr) {
    std::vector<int64_t> seen;
    for (size_t n = 0;; ++n) {
      auto batch = reader.Next(end);
      EXPECT_TRUE(batch.error.ok()) << batch.error.ToString();
      if (batch.records.empty()) {
        if (batches) *batches = n;
        return seen;
      }
      for (const auto& r : batch.records) {
        EXPECT_EQ(r.message().physical_offset, r.offset);
        EXPECT_EQ(r.message().properties().Get("UNIQ_KEY"), "k" + std::to_string(seen.size() + skipped_));
        seen.push_back(r.offset);
      }
    }
  }

  test::TempDir tmp_;
  std::unique_ptr<CommitLog> log_;
  std::vector<int64_t> offsets_;
  size_t skipped_ = 0;
};

TEST_F(CommitLogBatchReaderTest, ReadsEveryRecordInOrderInBatchesAcrossSegments) {
  const std::vector<int64_t> put = Put(300, 700);  // ~ 240 KB: four segments, blank records between
  ASSERT_GT(log_->MaxOffset(), 3 * kSegment);
  CommitLogBatchReader reader(*log_, 0, RecordDecodeOptions{}, 8 * 1024, 16);
  size_t batches = 0;
  EXPECT_EQ(ReadAll(reader, log_->MaxOffset(), &batches), put);
  EXPECT_GE(batches, put.size() / 16) << "no batch holds more than max_records";
  EXPECT_EQ(reader.offset(), log_->MaxOffset());
  // Caught up: nothing more, until more is put.
  EXPECT_TRUE(reader.Next(log_->MaxOffset()).records.empty());
  skipped_ = put.size();
  const std::vector<int64_t> more = Put(5, 10);
  EXPECT_EQ(ReadAll(reader, log_->MaxOffset()), more);
}

TEST_F(CommitLogBatchReaderTest, AnEndInsideARecordReturnsOnlyTheWholeOnesBeforeIt) {
  const std::vector<int64_t> put = Put(10, 100);
  CommitLogBatchReader reader(*log_, 0, RecordDecodeOptions{});
  auto batch = reader.Next(put[4] + 7);  // as a flushed offset inside record 4
  ASSERT_TRUE(batch.error.ok()) << batch.error.ToString();
  ASSERT_EQ(batch.records.size(), 4u);
  EXPECT_EQ(reader.offset(), put[4]);
  EXPECT_TRUE(reader.Next(put[4] + 7).records.empty()) << "record 4 is not whole below the end";
  skipped_ = 4;
  EXPECT_EQ(ReadAll(reader, log_->MaxOffset()), std::vector<int64_t>(put.begin() + 4, put.end()));
}

TEST_F(CommitLogBatchReaderTest, ARecordLargerThanTheBufferIsReadWhole) {
  Put(2, 100);
  const std::vector<int64_t> big = Put(1, 20000);  // the buffer is 4 KiB
  Put(2, 100);
  CommitLogBatchReader reader(*log_, 0, RecordDecodeOptions{}, 4096);
  const std::vector<int64_t> seen = ReadAll(reader, log_->MaxOffset());
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[2], big[0]);
}

TEST_F(CommitLogBatchReaderTest, MaxBytesEndsABatchAfterAtLeastOneRecord) {
  const std::vector<int64_t> put = Put(10, 100);
  CommitLogBatchReader reader(*log_, 0, RecordDecodeOptions{});
  EXPECT_EQ(reader.Next(log_->MaxOffset(), 1).records.size(), 1u);
  const int64_t two = put[3] - put[1];
  EXPECT_EQ(reader.Next(log_->MaxOffset(), two).records.size(), 2u);
  EXPECT_EQ(reader.offset(), put[3]);
}

TEST_F(CommitLogBatchReaderTest, ABadRecordStopsAfterTheGoodOnesWithItsFileAndOffset) {
  const std::vector<int64_t> put = Put(6, 100);
  std::span<uint8_t> bytes = log_->SegmentFor(put[3])->data();
  bytes[static_cast<size_t>(put[3]) + 4] ^= 0xFF;  // MAGICCODE
  CommitLogBatchReader reader(*log_, 0, RecordDecodeOptions{});
  auto batch = reader.Next(log_->MaxOffset());
  ASSERT_TRUE(batch.error.ok());
  EXPECT_EQ(batch.records.size(), 3u);
  for (int i = 0; i < 2; ++i) {  // and again: it repeats until Seek
    batch = reader.Next(log_->MaxOffset());
    EXPECT_TRUE(batch.records.empty());
    ASSERT_FALSE(batch.error.ok());
    EXPECT_NE(batch.error.ToString().find("00000000000000000000"), std::string::npos) << batch.error.ToString();
    EXPECT_NE(batch.error.ToString().find("MAGICCODE"), std::string::npos) << batch.error.ToString();
    EXPECT_EQ(reader.offset(), put[3]);
  }
  reader.Seek(put[4]);
  skipped_ = 4;
  EXPECT_EQ(ReadAll(reader, log_->MaxOffset()), std::vector<int64_t>(put.begin() + 4, put.end()));
}

}  // namespace
}  // namespace mqstore
