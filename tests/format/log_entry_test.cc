#include "format/log_entry.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <vector>

#include "format/damage_filler.h"
#include "format/properties.h"

namespace mqstore {
namespace {

// A v1 record at `offset` with a body of `body` bytes.
std::vector<uint8_t> Record(int64_t offset, size_t body, std::string_view properties = "KEYS\x01k") {
  std::vector<uint8_t> b(body, 0x5a);
  MessageRecordFields f;
  f.topic = "TopicA";
  f.physical_offset = offset;
  f.store_timestamp = 1700000000000 + offset;
  f.body = b;
  f.properties = properties;
  std::vector<uint8_t> out;
  EXPECT_TRUE(EncodeRecordTo(f, out).ok());
  return out;
}

RecordDecodeOptions WithCrc() {
  RecordDecodeOptions o;
  o.check_crc = true;
  return o;
}

TEST(LogEntryTest, ARecordIsOneThatDecodesAtItsOwnPosition) {
  const auto r = Record(1000, 40);
  EXPECT_EQ(ReadLogEntry(r, 1000, WithCrc()).kind, LogEntryKind::kRecord);
  const LogEntry stale = ReadLogEntry(r, 2000, WithCrc());
  EXPECT_EQ(stale.kind, LogEntryKind::kDamaged);
  EXPECT_NE(stale.Why().find("stale"), std::string::npos);
  auto bad_crc = r;
  bad_crc[100] ^= 1;
  EXPECT_EQ(ReadLogEntry(bad_crc, 1000, WithCrc()).kind, LogEntryKind::kDamaged);
  EXPECT_EQ(ReadLogEntry(bad_crc, 1000, RecordDecodeOptions{}).kind, LogEntryKind::kRecord);
  const std::vector<uint8_t> zeros(16, 0);
  EXPECT_EQ(ReadLogEntry(zeros, 0, WithCrc()).kind, LogEntryKind::kEndOfData);
}

TEST(LogEntryTest, ANulInsidePropertiesIsStillARecord) {
  // A Java client may send "\u0000" as a property value.
  const auto r = Record(0, 8, std::string_view("KEYS\x01k\x02USER\x01\0\0", 14));
  EXPECT_EQ(ReadLogEntry(r, 0, WithCrc()).kind, LogEntryKind::kRecord);
}

TEST(LogEntryTest, FindNextEntrySkipsGarbageAndZerosToTheNextRecord) {
  std::vector<uint8_t> file(8192, 0);
  for (size_t i = 100; i < 300; ++i) file[i] = static_cast<uint8_t>(i * 7 + 1);  // garbage
  const auto r = Record(4000, 64);
  std::copy(r.begin(), r.end(), file.begin() + 4000);
  EXPECT_EQ(FindNextEntry(file, 0, 0, 8192, WithCrc()), 4000);
  EXPECT_EQ(FindNextEntry(file, 0, 4001, 8192, WithCrc()), std::nullopt);
  EXPECT_EQ(FindNextEntry(file, 0, 0, 3000, WithCrc()), std::nullopt);
  // The same bytes at another global position are stale, not a record.
  EXPECT_EQ(FindNextEntry(file, 8192, 0, 8192, WithCrc()), std::nullopt);
  // A blank that fills exactly the rest of the file counts; one that does not, not.
  EncodeBlankRecord(file.data() + 6000, 8192 - 6000);
  EXPECT_EQ(FindNextEntry(file, 0, 4001, 8192, WithCrc()), 6000);
  EncodeBlankRecord(file.data() + 6000, 100);
  EXPECT_EQ(FindNextEntry(file, 0, 4001, 8192, WithCrc()), std::nullopt);
}

TEST(LogEntryTest, FindNextEntryReadsZerosOnlyUpToItsWindow) {
  // Three pages, the last unreadable: a look past the window faults. A spare
  // segment's unwritten pages would be faulted in the same way.
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* m = ::mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  auto* bytes = static_cast<uint8_t*>(m);
  ASSERT_EQ(::mprotect(bytes + 2 * page, page, PROT_NONE), 0);
  const std::span<const uint8_t> file(bytes, 3 * page);
  const auto to = static_cast<int64_t>(2 * page) - 7;  // the last candidate's MAGICCODE ends at 2 * page
  EXPECT_EQ(FindNextEntry(file, 0, 0, to, WithCrc()), std::nullopt);
  for (size_t i = 100; i < 300; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);  // garbage, then zeros
  EXPECT_EQ(FindNextEntry(file, 0, 0, to, WithCrc()), std::nullopt);
  const auto r = Record(static_cast<int64_t>(page), 64);
  std::copy(r.begin(), r.end(), bytes + page);
  EXPECT_EQ(FindNextEntry(file, 0, 0, to, WithCrc()), static_cast<int64_t>(page));
  ::munmap(m, 3 * page);
}

TEST(LogEntryTest, FirstNonZeroFindsTheFirstDataByte) {
  std::vector<uint8_t> b(100, 0);
  EXPECT_EQ(FirstNonZero(b), std::nullopt);
  b[77] = 3;
  EXPECT_EQ(FirstNonZero(b), 77u);
  b[3] = 1;
  EXPECT_EQ(FirstNonZero(b), 3u);
}

TEST(DamageFillerTest, FillersCoverTheRangeExactlyAndDecodeAsRollbackRecords) {
  for (const size_t len : {91u, 92u, 105u, 106u, 400u, 5000u, 12345u}) {
    std::vector<uint8_t> damaged(len);
    for (size_t i = 0; i < len; ++i) damaged[i] = static_cast<uint8_t>(i * 13 + 5);
    auto fillers = EncodeDamageFillers(damaged, 70000, 1234, "BODYCRC mismatch", /*max_record_size=*/2048);
    ASSERT_TRUE(fillers.ok()) << len << ": " << fillers.error().ToString();
    ASSERT_EQ(fillers->size(), len);
    int64_t pos = 0;
    while (pos < static_cast<int64_t>(len)) {
      RecordDecodeOptions o = WithCrc();
      o.max_record_size = 2048;
      const LogEntry e = ReadLogEntry(std::span<const uint8_t>(*fillers).subspan(static_cast<size_t>(pos)),
                                      70000 + pos, o);
      ASSERT_EQ(e.kind, LogEntryKind::kRecord) << len << " at " << pos << ": " << e.Why();
      EXPECT_TRUE(IsDamageFiller(e.message));
      EXPECT_EQ(e.message.store_timestamp, 1234);
      EXPECT_EQ(e.message.queue_offset, 0);
      pos += e.size;
    }
    EXPECT_EQ(pos, static_cast<int64_t>(len));
  }
  EXPECT_FALSE(EncodeDamageFillers(std::vector<uint8_t>(90), 0, 0, "x", 4096).ok());
}

TEST(DamageFillerTest, AFillerKeepsTheDamagedBytesAsItsBodyAndNamesTheDamage) {
  std::vector<uint8_t> damaged(600);
  for (size_t i = 0; i < damaged.size(); ++i) damaged[i] = static_cast<uint8_t>(i);
  auto fillers = EncodeDamageFillers(damaged, 0, 1, "why it was skipped", 4096);
  ASSERT_TRUE(fillers.ok());
  const LogEntry e = ReadLogEntry(*fillers, 0, WithCrc());
  ASSERT_EQ(e.kind, LogEntryKind::kRecord);
  EXPECT_EQ(e.message.topic, kDamageFillerTopic);
  EXPECT_EQ(e.message.properties().Get(kDamageProperty), "why it was skipped");
  ASSERT_FALSE(e.message.body.empty());
  EXPECT_TRUE(std::equal(e.message.body.begin(), e.message.body.end(), damaged.begin() + 88));
}

}  // namespace
}  // namespace mqstore
