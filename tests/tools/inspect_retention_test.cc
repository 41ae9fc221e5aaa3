// `mqstore inspect`: per-segment age and expiry under RocketMQ's time-based
// retention (MappedFileQueue.deleteExpiredFileByTime), judged at a fixed --now.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/golden.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

using test::Cli;
using test::CliResult;

constexpr int64_t kNow = 1800000000000;  // 2027-01-15T08:00:00.000Z
constexpr int64_t kHour = 3600 * 1000, kMinute = 60 * 1000;

// A store of six 64 KiB segments (the last one pre-created, all zeros).
class InspectRetention : public testing::Test {
 protected:
  void SetUp() override {
    conf_ = tmp_.path() + "/broker.conf";
    root_ = tmp_.path() + "/store";
    std::ofstream(conf_) << "maxHashSlotNum=1024\nmaxIndexNum=4096\n";  // a small index file
    const CliResult gen = Cli({"gen", root_, "--messages", "1000", "--body-size", "100", "--topics", "1", "--queues",
                               "1", "--segment-size", "64k", "--config", conf_});
    ASSERT_EQ(gen.code, 0) << gen.err;
    for (const auto& e : std::filesystem::directory_iterator(root_ + "/commitlog")) segments_.push_back(e.path());
    std::sort(segments_.begin(), segments_.end());
    ASSERT_EQ(segments_.size(), 6u);
  }

  // Sets each segment's mtime to kNow minus the given age, oldest file first.
  void SetAges(const std::vector<int64_t>& ages_ms) {
    ASSERT_EQ(ages_ms.size(), segments_.size());
    for (size_t i = 0; i < ages_ms.size(); ++i) {
      ASSERT_TRUE(test::SetFileMtime(segments_[i], kNow - ages_ms[i])) << segments_[i];
    }
  }

  CliResult Inspect(std::vector<std::string> extra) {
    std::vector<std::string> args = {"inspect", root_, "--now", std::to_string(kNow)};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args);
  }

  std::vector<test::Json> SegmentLines(const CliResult& r) {
    std::vector<test::Json> v;
    for (const auto& l : r.Lines())
      if (l["type"].s == "segment") v.push_back(l);
    return v;
  }

  // AGE, EXPIRES and STATE of segment i in the text table (cells are
  // separated by two or more spaces and hold no double space).
  std::vector<std::string> RetentionCells(const CliResult& r, size_t i) {
    std::istringstream in(r.out);
    const std::string name = segments_[i].filename().string();
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name, 0) != 0) continue;
      std::vector<std::string> cells;
      for (size_t pos = 0; pos < line.size();) {
        const size_t gap = line.find("  ", pos);
        cells.push_back(line.substr(pos, gap - pos));
        pos = gap == std::string::npos ? line.size() : line.find_first_not_of(' ', gap);
      }
      if (cells.size() < 3) break;
      return {cells.end() - 3, cells.end()};
    }
    ADD_FAILURE() << "no row for " << name << " in\n" << r.out;
    return {"", "", ""};
  }

  test::TempDir tmp_;
  std::string conf_, root_;
  std::vector<std::filesystem::path> segments_;
};

// Two expired, a live one that stops cleanup, two expired behind it, and an
// old newest segment that is kept anyway.
TEST_F(InspectRetention, LiveSegmentStopsTheDeletableRunAndNewestIsKept) {
  SetAges({3 * kHour, 1 * kHour, 20 * kMinute, 50 * kHour, 2 * kHour, 240 * kHour});

  const CliResult json = Inspect({"--set", "fileReservedTime=1", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const test::Json store = json.Lines()[0];
  EXPECT_EQ(store["fileReservedTime"].i, 1);
  EXPECT_EQ(store["now"].i, kNow);
  EXPECT_EQ(store["deletableSegments"].i, 2);
  EXPECT_EQ(store["deletableBytes"].i, 2 * 65536);
  const auto segs = SegmentLines(json);
  ASSERT_EQ(segs.size(), 6u);
  const bool expired[] = {true, true, false, true, true, true};
  const bool deletable[] = {true, true, false, false, false, false};
  for (size_t i = 0; i < segs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(segs[i]["ageMs"].i, kNow - segs[i]["mtime"].i);
    EXPECT_EQ(segs[i]["expiresAt"].i, segs[i]["mtime"].i + kHour);
    EXPECT_EQ(segs[i]["expired"].b, expired[i]);
    EXPECT_EQ(segs[i]["deletable"].b, deletable[i]);
  }
  EXPECT_EQ(segs[1]["expiresAt"].i, kNow) << "expiry is inclusive: mtime + reserved <= now";

  const CliResult text = Inspect({"--set", "fileReservedTime=1"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("deletable by expiry now: 2 segment(s), 131072 bytes (fileReservedTime 1h, now "
                          "2027-01-15T08:00:00.000Z)"),
            std::string::npos)
      << text.out;
  using V = std::vector<std::string>;
  EXPECT_EQ(RetentionCells(text, 0), (V{"3h 0m", "2027-01-15T06:00:00.000Z", "expired"}));
  EXPECT_EQ(RetentionCells(text, 1), (V{"1h 0m", "2027-01-15T08:00:00.000Z", "expired"}));
  EXPECT_EQ(RetentionCells(text, 2), (V{"20m", "2027-01-15T08:40:00.000Z", "expires in 40m"}));
  EXPECT_EQ(RetentionCells(text, 3), (V{"2d 2h", "2027-01-13T07:00:00.000Z", "expired, blocked"}));
  EXPECT_EQ(RetentionCells(text, 4), (V{"2h 0m", "2027-01-15T07:00:00.000Z", "expired, blocked"}));
  EXPECT_EQ(RetentionCells(text, 5), (V{"10d 0h", "2027-01-05T09:00:00.000Z", "newest, kept"}));
}

TEST_F(InspectRetention, EveryFileOldLeavesTheNewest) {
  SetAges({100 * kHour, 100 * kHour, 100 * kHour, 100 * kHour, 100 * kHour, 100 * kHour});
  const CliResult r = Inspect({"--json"});  // the default fileReservedTime, 72 hours
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.Lines()[0]["fileReservedTime"].i, 72);
  EXPECT_EQ(r.Lines()[0]["deletableSegments"].i, 5);
  EXPECT_EQ(r.Lines()[0]["deletableBytes"].i, 5 * 65536);
  const auto segs = SegmentLines(r);
  EXPECT_TRUE(segs.back()["expired"].b);
  EXPECT_FALSE(segs.back()["deletable"].b);
}

TEST_F(InspectRetention, ConfigThenSetGiveTheReservedTime) {
  SetAges({100 * kHour, 100 * kHour, 100 * kHour, 100 * kHour, 100 * kHour, 100 * kHour});
  std::ofstream(conf_, std::ios::app) << "fileReservedTime=200\n";
  const CliResult from_conf = Inspect({"--config", conf_, "--json"});
  ASSERT_EQ(from_conf.code, 0) << from_conf.err;
  EXPECT_EQ(from_conf.Lines()[0]["fileReservedTime"].i, 200);
  EXPECT_EQ(from_conf.Lines()[0]["deletableSegments"].i, 0);
  EXPECT_EQ(RetentionCells(Inspect({"--config", conf_}), 0)[2], "expires in 4d 4h");
  const CliResult overridden = Inspect({"--config", conf_, "--set", "fileReservedTime=99", "--json"});
  ASSERT_EQ(overridden.code, 0) << overridden.err;
  EXPECT_EQ(overridden.Lines()[0]["deletableSegments"].i, 5);
}

TEST_F(InspectRetention, BadSetOrNowIsAUsageError) {
  EXPECT_EQ(Inspect({"--set", "fileReservedTime=soon"}).code, 2);
  EXPECT_EQ(Inspect({"--set", "fileReservedTime"}).code, 2);
  const CliResult other = Inspect({"--set", "mappedFileSizeCommitLog=1024"});
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("inspect only reads fileReservedTime"), std::string::npos) << other.err;
  EXPECT_EQ(Cli({"inspect", root_, "--now", "yesterday"}).code, 2);
  EXPECT_NE(Cli({"inspect", "--help"}).out.find("--now MS"), std::string::npos);
}

}  // namespace
}  // namespace mqstore
