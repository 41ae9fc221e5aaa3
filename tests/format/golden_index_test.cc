// The golden index files: geometry, headers, slot counts, the key queries
// RocketMQ answered, and a rebuild from the commit log that reproduces the
// files byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

#include "format/index_file_format.h"
#include "format/message_record.h"
#include "format/segment_name.h"
#include "format/sys_flag.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<uint8_t>> LoadIndexFiles(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  std::vector<std::vector<uint8_t>> out;
  for (const auto& n : names) out.push_back(test::ReadFileBytes(n));
  return out;
}

TEST(GoldenIndex, GeometryIsInferredFromTheFileSize) {
  auto g = IndexGeometry::Infer(8440);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->max_hash_slot_num, 100);
  EXPECT_EQ(g->max_index_num, 400);
  EXPECT_EQ(IndexGeometry::Infer(IndexGeometry{}.FileSize())->max_hash_slot_num, kDefaultMaxHashSlotNum);
  EXPECT_FALSE(IndexGeometry::Infer(8441).has_value());
}

TEST(GoldenIndex, HeadersCountUsedSlotsAndLiveEntries) {
  MQ_GOLDEN_OR_SKIP(golden);
  const IndexGeometry g{100, 400};
  const auto files = LoadIndexFiles(golden + "/rocketmq-4.9.8-small/store/index");
  ASSERT_EQ(files.size(), 5u);
  for (const auto& f : files) {
    ASSERT_EQ(f.size(), g.FileSize());
    auto h = DecodeIndexHeader(f);
    ASSERT_TRUE(h.ok());
    EXPECT_FALSE(ValidateIndexHeader(*h, g).has_value());
    int32_t used = 0;
    for (int32_t s = 0; s < g.max_hash_slot_num; ++s) used += *ReadIndexSlot(f, g, s) != 0;
    EXPECT_EQ(used, h->hash_slot_count);
    EXPECT_EQ(*ReadIndexEntry(f, g, 0), IndexEntry{}) << "entry 0 is never used";
    uint8_t again[kIndexHeaderSize];
    EncodeIndexHeader(*h, again);
    EXPECT_EQ(0, std::memcmp(again, f.data(), kIndexHeaderSize));
  }
  EXPECT_EQ(DecodeIndexHeader(files[0])->index_count, 400) << "a full file stores maxIndexNum";
}

TEST(GoldenIndex, QueriesReproduceRocketMqAnswers) {
  MQ_GOLDEN_OR_SKIP(golden);
  const IndexGeometry g{100, 400};
  const auto files = LoadIndexFiles(golden + "/rocketmq-4.9.8-small/store/index");
  const auto queries = test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-queries.jsonl");
  ASSERT_FALSE(queries.empty());
  for (const test::Json& q : queries) {
    std::vector<int64_t> got;
    const int32_t hash = IndexKeyHash(q["query"].s);
    for (auto it = files.rbegin(); it != files.rend(); ++it)
      IndexSelectPhyOffsets(*it, g, hash, 0, std::numeric_limits<int64_t>::max(), 64, got);
    std::sort(got.begin(), got.end());
    std::vector<int64_t> want;
    for (const test::Json& v : q["commitLogOffsets"].array) want.push_back(v.i);
    EXPECT_EQ(got, want) << q["query"].s;
  }
}

TEST(GoldenIndex, RebuildingFromTheCommitLogReproducesTheFilesByteForByte) {
  MQ_GOLDEN_OR_SKIP(golden);
  const IndexGeometry g{100, 400};
  const std::string set = golden + "/rocketmq-4.9.8-small/store";
  const auto want = LoadIndexFiles(set + "/index");

  std::vector<std::vector<uint8_t>> built;
  auto new_file = [&] {
    std::vector<uint8_t> f(g.FileSize(), 0);
    if (!built.empty()) {  // seeded from the previous file's end (IndexService.getAndCreateLastIndexFile)
      const IndexHeader prev = *DecodeIndexHeader(built.back());
      IndexHeader h;
      h.begin_phy_offset = h.end_phy_offset = prev.end_phy_offset;
      h.begin_timestamp = h.end_timestamp = prev.end_timestamp;
      EncodeIndexHeader(h, f.data());
    }
    built.push_back(std::move(f));
  };
  auto put = [&](std::string_view topic, std::string_view key, int64_t offset, int64_t time) {
    if (built.empty()) new_file();
    if (!IndexPutKey(built.back(), g, IndexKeyHash(topic, key), offset, time)) {
      new_file();
      ASSERT_TRUE(IndexPutKey(built.back(), g, IndexKeyHash(topic, key), offset, time));
    }
  };
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(set + "/commitlog")) segments.push_back(e.path().string());
  std::sort(segments.begin(), segments.end());
  for (const auto& path : segments) {
    const auto bytes = test::ReadFileBytes(path);
    size_t pos = 0;
    while (pos + 8 <= bytes.size()) {
      auto rec = DecodeRecord(std::span<const uint8_t>(bytes).subspan(pos));
      if (!rec.ok() || rec->kind == RecordKind::kBlank) break;
      const MessageRecordView& m = rec->message;
      if (sysflag::TransactionType(m.sys_flag) != sysflag::kTransactionRollbackType) {
        const PropertiesView props = m.properties();
        if (auto uniq = props.Get("UNIQ_KEY")) put(m.topic, *uniq, m.physical_offset, m.store_timestamp);
        if (auto keys = props.Get("KEYS"))
          ForEachKey(*keys, [&](std::string_view k) { put(m.topic, k, m.physical_offset, m.store_timestamp); });
      }
      pos += static_cast<size_t>(rec->total_size);
    }
  }
  ASSERT_EQ(built.size(), want.size());
  for (size_t i = 0; i < built.size(); ++i) EXPECT_TRUE(built[i] == want[i]) << "index file #" << i << " differs";
}

}  // namespace
}  // namespace mqstore
