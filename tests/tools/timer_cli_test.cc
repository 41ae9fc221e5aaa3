// mqstore dump timerlog|timerwheel|timercheck|timers, verify and inspect
// over RocketMQ 5.3.3's timer stores (golden timer-clean and timer-roll)
// and damaged copies of them.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "format/big_endian.h"
#include "tests/support/dir_snapshot.h"
#include "tests/support/golden.h"
#include "tests/support/golden_tar.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

using test::Cli;
using test::CliResult;
using test::Json;

const char kClean[] = "rocketmq-5.3.3-timer/timer-clean";
const char kRoll[] = "rocketmq-5.3.3-timer/timer-roll";
const char kFirstLog[] = "/timerlog/00000000000000000000";

void WriteAt(const std::string& path, int64_t offset, const uint8_t* bytes, size_t n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(offset);
  f.write(reinterpret_cast<const char*>(bytes), static_cast<std::streamsize>(n));
}

void WriteI32At(const std::string& path, int64_t offset, int32_t v) {
  uint8_t b[4];
  StoreI32(b, v);
  WriteAt(path, offset, b, 4);
}

void WriteI64At(const std::string& path, int64_t offset, int64_t v) {
  uint8_t b[8];
  StoreI64(b, v);
  WriteAt(path, offset, b, 8);
}

class TimerCli : public ::testing::TestWithParam<const char*> {};

TEST_P(TimerCli, DumpTimerlogJsonIsTheGoldenDecoding) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const CliResult r = Cli({"dump", "timerlog", store.root(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<Json> expected = test::ReadJsonLines(store_set + "/expected-timerlog.jsonl");
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Json& a, const Json& b) { return a["timerLogOffset"].i < b["timerLogOffset"].i; });
  const std::vector<Json> got = r.Lines();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    for (const std::string& key : got[i].keys) {
      const Json& want = expected[i][key];
      if (want.kind == Json::Kind::kBool) EXPECT_EQ(got[i][key].b, want.b) << key;
      else if (want.kind == Json::Kind::kString) EXPECT_EQ(got[i][key].s, want.s) << key;
      else EXPECT_EQ(got[i][key].i, want.i) << key;
    }
  }
}

TEST_P(TimerCli, DumpTimerwheelJsonIsTheGoldenDecoding) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const CliResult r = Cli({"dump", "timerwheel", store.root(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<Json> expected = test::ReadJsonLines(store_set + "/expected-timerwheel.jsonl");
  const std::vector<Json> got = r.Lines();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    for (const char* key : {"index", "fileOffset", "timeValue", "timeMs", "firstPos", "lastPos", "num", "magic"})
      EXPECT_EQ(got[i][key].i, expected[i][key].i) << i << " " << key;
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i]["pending"].b, expected[i]["pending"].b) << i;
}

TEST_P(TimerCli, DumpTimercheckJsonIsTheGoldenDecoding) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const CliResult r = Cli({"dump", "timercheck", store.root(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto text = test::ReadFileBytes(store_set + "/expected-timercheck.json");
  const Json want = test::ParseJson(std::string(text.begin(), text.end()));
  const Json got = test::ParseJson(r.out);
  ASSERT_EQ(got.keys.size(), 7u);
  for (const std::string& key : got.keys) EXPECT_EQ(got[key].i, want[key].i) << key;
}

TEST_P(TimerCli, DumpTimersListsThePendingTimersRocketMQHolds) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const CliResult r = Cli({"dump", "timers", store.root(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  using Key = std::tuple<std::string, std::string, int64_t, int64_t, bool>;
  std::set<Key> got, want;
  for (const Json& j : r.Lines())
    got.insert({j["realTopic"].s, j["uniqKey"].s, j["realQueueId"].i, j["deliverMs"].i, j["cancellationPending"].b});
  for (const Json& e : test::ReadJsonLines(store_set + "/expected-timer-pending.jsonl"))
    want.insert({e["realTopic"].s, e["uniqKey"].s, e["realQueueId"].i, e["deliverMs"].i, e["cancellationPending"].b});
  EXPECT_EQ(r.Lines().size(), 107u);
  EXPECT_EQ(got, want);
  const CliResult text = Cli({"dump", "timers", store.root()});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("107 timer(s)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("7 cancelled by a recall marker"), std::string::npos);
  EXPECT_NE(text.out.find("100 will fire"), std::string::npos);
}

TEST_P(TimerCli, VerifyFindsTheGoldenTimerFilesClean) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const CliResult r = Cli({"verify", store.root(), "--json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  const Json summary = r.Lines().back();
  EXPECT_EQ(summary["problems"].i, 0);
  EXPECT_EQ(summary["notes"].i, 0);
  const auto text = test::ReadFileBytes(store_set + "/expected-summary.json");
  EXPECT_EQ(summary["timerLogUnits"].i, test::ParseJson(std::string(text.begin(), text.end()))["timerLogUnits"].i);
}

TEST_P(TimerCli, TimerCommandsChangeNothing) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const auto before = test::SnapshotTree(store.root());
  for (const char* kind : {"timerlog", "timerwheel", "timercheck", "timers"}) {
    EXPECT_EQ(Cli({"dump", kind, store.root()}).code, 0) << kind;
    EXPECT_EQ(Cli({"dump", kind, store.root(), "--json"}).code, 0) << kind;
  }
  EXPECT_EQ(Cli({"inspect", store.root(), "--json"}).code, 0);
  test::ExpectSameTree(before, test::SnapshotTree(store.root()));
}

INSTANTIATE_TEST_SUITE_P(Sets, TimerCli, ::testing::Values(kClean, kRoll),
                         [](const auto& info) { return std::string(info.param) == kRoll ? "Roll" : "Clean"; });

TEST(TimerCliDamage, FlippedMagicIsReportedWithFileAndOffsetByDumpAndVerify) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  const uint8_t bad = 0x41;
  WriteAt(store.root() + kFirstLog, 3 * 52 + 15, &bad, 1);  // unit 3's magic becomes 0x41
  const CliResult dump = Cli({"dump", "timerlog", store.root(), "--json"});
  EXPECT_EQ(dump.code, 1);
  const Json last = dump.Lines().back();
  EXPECT_EQ(last["fileOffset"].i, 156);
  EXPECT_NE(last["error"].s.find("00000000000000000000"), std::string::npos) << last["error"].s;
  EXPECT_NE(last["error"].s.find("magic"), std::string::npos) << last["error"].s;
  EXPECT_EQ(dump.Lines().size(), 4u);  // units 0..2, then the error ending the only file

  const CliResult verify = Cli({"verify", store.root()});
  EXPECT_EQ(verify.code, 1);
  EXPECT_NE(verify.out.find("timerlog/00000000000000000000 @156: "), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("1 problem(s)"), std::string::npos) << verify.out;
}

TEST(TimerCliDamage, VerifyReportsUnitsThatDisagreeWithTheirRecords) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  const std::string log = store.root() + kFirstLog;
  WriteI32At(log, 0 * 52 + 36, 291);          // unit 0: sizePy 291, the record is 290 bytes
  WriteI32At(log, 1 * 52 + 40, 12345);        // unit 1: topicHash no REAL_TOPIC has
  WriteI64At(log, 2 * 52 + 28, 291);          // unit 2: commitLogOffset inside a record
  const CliResult r = Cli({"verify", store.root(), "--json"});
  EXPECT_EQ(r.code, 1);
  std::vector<std::string> problems;
  for (const Json& j : r.Lines())
    if (j["type"].s == "problem") problems.push_back(std::to_string(j["offset"].i) + " " + j["problem"].s);
  ASSERT_EQ(problems.size(), 3u) << r.out;
  EXPECT_NE(problems[0].find("0 unit's commitLogOffset 0: sizePy 291, but the record is 290 bytes"), std::string::npos)
      << problems[0];
  EXPECT_NE(problems[1].find("52 unit's commitLogOffset 290: topicHash 12345, but REAL_TOPIC 'TopicA' hashes to"),
            std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("104 unit's commitLogOffset 291: "), std::string::npos) << problems[2];
}

TEST(TimerCliDamage, UnitWhoseRecordIsBelowTheCommitLogIsANoteNotAProblem) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  WriteI64At(store.root() + kFirstLog, 28, -1);  // below the first segment's offset 0
  const CliResult r = Cli({"verify", store.root()});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("note: unit's record at commit-log offset -1 was cleaned up"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 problem(s), 1 note(s)"), std::string::npos) << r.out;
}

// Due times of the 100 timers that will fire, after lastReadTimeMs: one
// under a minute, 28 within ten, 5 within the hour, 27 within the day, 39
// beyond (the golden scenario's groups; the 7 recalled are left out).
TEST(TimerCliInspect, ShowsPendingTimersAndDelayLevelsByDueTime) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  const std::string now = "1796508487000";  // the run's base: every delay-level message is due within a minute
  const CliResult r = Cli({"inspect", store.root(), "--json", "--now", now});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<Json> timers, levels;
  for (const Json& j : r.Lines()) {
    if (j["type"].s == "timers") timers.push_back(j);
    if (j["type"].s == "delayLevelQueue") levels.push_back(j);
  }
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0]["pending"].i, 107);
  EXPECT_EQ(timers[0]["recalled"].i, 7);
  EXPECT_EQ(timers[0]["slots"].i, 39);
  const Json& due = timers[0]["due"];
  EXPECT_EQ(due["overdue"].i, 0);
  EXPECT_EQ(due["lt1m"].i, 1);
  EXPECT_EQ(due["lt10m"].i, 28);
  EXPECT_EQ(due["lt1h"].i, 5);
  EXPECT_EQ(due["lt1d"].i, 27);
  EXPECT_EQ(due["ge1d"].i, 39);
  ASSERT_EQ(levels.size(), 4u);  // SCHEDULE_TOPIC_XXXX queues 0..3: levels 1..4
  int64_t messages = 0;
  for (const Json& q : levels) {
    messages += q["messages"].i;
    EXPECT_EQ(q["due"]["lt1m"].i, q["messages"].i) << q["queueId"].i;
  }
  EXPECT_EQ(messages, 5);
  const CliResult text = Cli({"inspect", store.root(), "--now", now});
  ASSERT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("timers (5.x wheel): 107 pending in 39 slot(s), 7 of them recalled"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("  >=1d        39  ##############################"), std::string::npos) << text.out;
}

// Delivery progress: delayOffset.json's next offsets (its .bak when the
// file does not parse); only the units from there on are pending.
TEST(TimerCliInspect, DelayLevelsShowTheirDeliveryProgress) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  const std::string config = store.root() + "/config";
  std::filesystem::create_directories(config);
  // Level 3 (queue 2) holds 2 units: one delivered.
  std::ofstream(config + "/delayOffset.json") << "{\n\t\"offsetTable\":{1:0,3:1\n\t}\n}";
  const auto levels_of = [&](int code) {
    const CliResult r = Cli({"inspect", store.root(), "--json", "--now", "1796508487000"});
    EXPECT_EQ(r.code, code) << r.err;
    std::map<int64_t, Json> levels;
    for (const Json& j : r.Lines())
      if (j["type"].s == "delayLevelQueue") levels[j["level"].i] = j;
    return levels;
  };
  auto levels = levels_of(0);
  ASSERT_EQ(levels.count(3), 1u);
  EXPECT_EQ(levels[3]["messages"].i, 2);
  EXPECT_EQ(levels[3]["deliveredTo"].i, 1);
  EXPECT_EQ(levels[3]["pending"].i, 1);
  EXPECT_EQ(levels[3]["due"]["lt1m"].i, 1) << "only the pending unit is counted by due time";
  EXPECT_EQ(levels[3]["progress"].s, "config/delayOffset.json");
  EXPECT_EQ(levels[1]["pending"].i, levels[1]["messages"].i);
  // A damaged file: the .bak's progress, and the damage is a problem (exit 1).
  std::filesystem::rename(config + "/delayOffset.json", config + "/delayOffset.json.bak");
  std::ofstream(config + "/delayOffset.json") << "{\"offsetTable\":{3:";
  levels = levels_of(1);
  EXPECT_EQ(levels[3]["deliveredTo"].i, 1);
  EXPECT_EQ(levels[3]["progress"].s, "config/delayOffset.json.bak");
  const CliResult text = Cli({"inspect", store.root(), "--now", "1796508487000"});
  EXPECT_NE(text.out.find("delivered up to config/delayOffset.json.bak"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("timer problem: "), std::string::npos) << text.out;
}

TEST(TimerCliUsage, StoreWithoutTimerFilesIsAUsageError) {
  MQ_GOLDEN_OR_SKIP(golden);
  const CliResult r = Cli({"dump", "timerlog", golden + "/rocketmq-4.9.8-small/store"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no timer files"), std::string::npos) << r.err;
}

TEST(TimerCliUsage, SetTakesOnlyTheTimerKnobs) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kRoll);
  const CliResult bad = Cli({"dump", "timerlog", store.root(), "--set", "fileReservedTime=1"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("reads only timerPrecisionMs, mappedFileSizeTimerLog"), std::string::npos) << bad.err;
  // The roll store's files are 4096 bytes: another file size is reported.
  const CliResult wrong = Cli({"dump", "timerlog", store.root(), "--set", "mappedFileSizeTimerLog=8192"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.out.find("expected mappedFileSizeTimerLog 8192"), std::string::npos) << wrong.out;
  EXPECT_EQ(Cli({"dump", "timerlog", store.root(), "--set", "mappedFileSizeTimerLog=4096"}).code, 0);
  EXPECT_EQ(Cli({"dump", "cq", store.root(), "TopicA", "0", "--set", "timerPrecisionMs=10"}).code, 2);
}

}  // namespace
}  // namespace mqstore
