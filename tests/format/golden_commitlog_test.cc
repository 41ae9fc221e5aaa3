// Every record of the golden RocketMQ stores decodes to exactly the expected
// fields and re-encodes to exactly the stored bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "format/delay_levels.h"
#include "format/message_record.h"
#include "format/segment_name.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

namespace fs = std::filesystem;

struct Segment {
  int64_t start;
  std::vector<uint8_t> bytes;
};

std::vector<Segment> LoadSegments(const std::string& dir) {
  std::vector<Segment> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto start = ParseSegmentFileName(e.path().filename().string());
    if (start) out.push_back({*start, test::ReadFileBytes(e.path().string())});
  }
  std::sort(out.begin(), out.end(), [](const Segment& a, const Segment& b) { return a.start < b.start; });
  return out;
}

void ExpectRecordMatches(const test::Json& want, const MessageRecordView& m) {
  const int64_t at = want["commitLogOffset"].i;
  SCOPED_TRACE("record at " + std::to_string(at));
  EXPECT_EQ(m.total_size, want["storeSize"].i);
  EXPECT_EQ(m.version == MessageVersion::kV2 ? "v2" : "v1", want["magic"].s);
  EXPECT_EQ(m.body_crc, want["bodyCRC"].i);
  EXPECT_EQ(m.BodyCrcMatches(), want["crcOk"].b);
  EXPECT_EQ(m.queue_id, want["queueId"].i);
  EXPECT_EQ(m.flag, want["flag"].i);
  EXPECT_EQ(m.queue_offset, want["queueOffset"].i);
  EXPECT_EQ(m.physical_offset, want["physicalOffset"].i);
  EXPECT_EQ(m.sys_flag, want["sysFlag"].i);
  EXPECT_EQ(m.born_timestamp, want["bornTimestamp"].i);
  EXPECT_EQ(m.born_host.ToString(), want["bornHost"].s);
  EXPECT_EQ(m.store_timestamp, want["storeTimestamp"].i);
  EXPECT_EQ(m.store_host.ToString(), want["storeHost"].s);
  EXPECT_EQ(m.reconsume_times, want["reconsumeTimes"].i);
  EXPECT_EQ(m.prepared_transaction_offset, want["preparedTransactionOffset"].i);
  EXPECT_EQ(static_cast<int64_t>(m.body.size()), want["bodyLength"].i);
  EXPECT_EQ(m.topic, want["topic"].s);
  std::map<std::string, std::string> props;
  for (const Property& p : m.properties().ToList()) props[std::string(p.name)] = std::string(p.value);
  EXPECT_EQ(props, want["properties"].StringMap());
}

// Walks one golden store's commit log, checks each record against the
// expected line and its byte-identical re-encoding; returns the tagsCode
// of every message by offset.
std::map<int64_t, int64_t> CheckGoldenCommitLog(const std::string& set) {
  const std::string root = test::GoldenDir() + "/" + set;
  const auto expected = test::ReadJsonLines(root + "/expected-commitlog.jsonl");
  const auto segments = LoadSegments(root + "/store/commitlog");
  std::map<int64_t, int64_t> tags;
  size_t line = 0;
  for (const Segment& seg : segments) {
    size_t pos = 0;
    while (pos + 4 <= seg.bytes.size()) {
      const auto rest = std::span<const uint8_t>(seg.bytes).subspan(pos);
      if (rest[0] == 0 && rest[1] == 0 && rest[2] == 0 && rest[3] == 0) break;  // zero tail
      auto rec = DecodeRecord(rest, {kDefaultMaxRecordSize, true});
      EXPECT_TRUE(rec.ok()) << set << " @" << seg.start + pos << ": " << (rec.ok() ? "" : rec.error().ToString());
      if (!rec.ok()) return tags;
      EXPECT_LT(line, expected.size());
      if (line >= expected.size()) return tags;
      const test::Json& want = expected[line++];
      EXPECT_EQ(want["commitLogOffset"].i, seg.start + static_cast<int64_t>(pos));
      if (rec->kind == RecordKind::kBlank) {
        EXPECT_TRUE(want.Has("blank"));
        EXPECT_EQ(rec->total_size, want["storeSize"].i);
        EXPECT_EQ(static_cast<size_t>(rec->total_size), seg.bytes.size() - pos) << "blank fills the rest of the file";
        uint8_t blank[8];
        EncodeBlankRecord(blank, rec->total_size);
        EXPECT_EQ(0, std::memcmp(blank, rest.data(), 8));
        break;
      }
      ExpectRecordMatches(want, rec->message);
      std::vector<uint8_t> again(static_cast<size_t>(rec->total_size));
      auto encoded = EncodeRecord(FieldsOf(rec->message), again);
      EXPECT_TRUE(encoded.ok());
      EXPECT_EQ(0, std::memcmp(again.data(), rest.data(), again.size()))
          << "re-encoding differs at " << seg.start + pos;
      tags[seg.start + static_cast<int64_t>(pos)] = RecordTagsCode(rec->message, DefaultDelayLevels());
      pos += static_cast<size_t>(rec->total_size);
    }
  }
  EXPECT_EQ(line, expected.size()) << "every expected record was found";
  return tags;
}

TEST(GoldenCommitLog, RocketMq4x8kDecodesAndReencodesByteForByte) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto tags = CheckGoldenCommitLog("rocketmq-4x-8k");
  EXPECT_EQ(tags.size(), 47u);
}

TEST(GoldenCommitLog, RocketMq498DecodesAndReencodesByteForByte) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto tags = CheckGoldenCommitLog("rocketmq-4.9.8-small");
  EXPECT_EQ(tags.size(), 943u);
}

TEST(GoldenCommitLog, TagsCodeOfEveryRecordMatchesItsConsumeQueueUnit) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto tags = CheckGoldenCommitLog("rocketmq-4.9.8-small");
  const auto units = test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-consumequeue.jsonl");
  ASSERT_EQ(units.size(), 941u);
  for (const test::Json& u : units) {
    auto it = tags.find(u["commitLogOffset"].i);
    ASSERT_NE(it, tags.end()) << u["commitLogOffset"].i;
    EXPECT_EQ(it->second, u["tagsCode"].i) << u["topic"].s << " @" << it->first;
  }
}

}  // namespace
}  // namespace mqstore
