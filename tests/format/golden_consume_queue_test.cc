// The golden consume queues decode unit by unit to expected-consumequeue.jsonl
// and re-encode to the same 20 bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

#include "format/consume_queue_unit.h"
#include "format/segment_name.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

namespace fs = std::filesystem;

TEST(GoldenConsumeQueue, EveryUnitMatchesAndQueuesEndWhereExpected) {
  MQ_GOLDEN_OR_SKIP(golden);
  const std::string set = golden + "/rocketmq-4.9.8-small";
  // (topic, queue, queue offset) -> expected unit
  std::map<std::tuple<std::string, int64_t, int64_t>, test::Json> want;
  for (auto& u : test::ReadJsonLines(set + "/expected-consumequeue.jsonl"))
    want[{u["topic"].s, u["queueId"].i, u["queueOffset"].i}] = u;
  std::map<std::pair<std::string, int64_t>, int64_t> max_offset;

  size_t seen = 0;
  for (const auto& topic : fs::directory_iterator(set + "/store/consumequeue")) {
    for (const auto& queue : fs::directory_iterator(topic.path())) {
      const std::string name = topic.path().filename().string();
      const int64_t queue_id = std::stoll(queue.path().filename().string());
      std::vector<fs::path> files;
      for (const auto& f : fs::directory_iterator(queue.path())) files.push_back(f.path());
      std::sort(files.begin(), files.end());
      bool ended = false;
      for (const fs::path& f : files) {
        const auto start = ParseSegmentFileName(f.filename().string());
        ASSERT_TRUE(start.has_value()) << f;
        const auto bytes = test::ReadFileBytes(f.string());
        ASSERT_EQ(bytes.size(), 6000u) << "300 units per file";
        for (size_t pos = 0; pos + kCqUnitSize <= bytes.size() && !ended; pos += kCqUnitSize) {
          auto unit = DecodeCqUnit(std::span<const uint8_t>(bytes).subspan(pos));
          ASSERT_TRUE(unit.ok());
          if (!unit->IsValid()) {
            EXPECT_TRUE(unit->IsEndOfData()) << f << " @" << pos;
            ended = true;
            break;
          }
          const int64_t n = (*start + static_cast<int64_t>(pos)) / kCqUnitSize;
          auto it = want.find({name, queue_id, n});
          ASSERT_NE(it, want.end()) << name << "/" << queue_id << " unit " << n;
          EXPECT_EQ(unit->commit_log_offset, it->second["commitLogOffset"].i);
          EXPECT_EQ(unit->size, it->second["size"].i);
          EXPECT_EQ(unit->tags_code, it->second["tagsCode"].i);
          uint8_t again[kCqUnitSize];
          EncodeCqUnit(*unit, again);
          EXPECT_EQ(0, std::memcmp(again, bytes.data() + pos, kCqUnitSize));
          max_offset[{name, queue_id}] = n + 1;
          ++seen;
        }
      }
    }
  }
  EXPECT_EQ(seen, 941u);
  EXPECT_EQ(seen, want.size());
  for (auto& q : test::ReadJsonLines(set + "/expected-queues.jsonl")) {
    EXPECT_EQ((max_offset[{q["queue"].s, q["queueId"].i}]), q["maxOffset"].i) << q["queue"].s;
  }
}

}  // namespace
}  // namespace mqstore
