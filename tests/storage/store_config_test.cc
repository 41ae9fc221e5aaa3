#include "storage/store_config.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "tests/support/golden.h"

namespace mqstore {
namespace {

TEST(StoreConfig, DefaultsAreRocketMqs) {
  const StoreConfig c;
  EXPECT_EQ(c.mappedFileSizeCommitLog, 1073741824);
  EXPECT_EQ(c.ConsumeQueueFileSize(), 6000000);
  EXPECT_EQ(c.maxHashSlotNum, 5000000);
  EXPECT_EQ(c.maxIndexNum, 20000000);
  EXPECT_EQ(c.maxMessageSize, 4194304);
  EXPECT_EQ(c.flushDiskType, FlushDiskType::kAsyncFlush);
  EXPECT_EQ(c.flushIntervalCommitLog, 500);
  EXPECT_EQ(c.flushCommitLogLeastPages, 4);
  EXPECT_EQ(c.flushCommitLogThoroughInterval, 10000);
  EXPECT_EQ(c.syncFlushTimeout, 5000);
  EXPECT_EQ(c.flushIntervalConsumeQueue, 1000);
  EXPECT_EQ(c.flushConsumeQueueLeastPages, 2);
  EXPECT_EQ(c.flushConsumeQueueThoroughInterval, 60000);
  EXPECT_EQ(c.fileReservedTime, 72);
  EXPECT_EQ(c.deleteWhen, "04");
  EXPECT_EQ(c.diskMaxUsedSpaceRatio, 75);
  EXPECT_TRUE(c.checkCRCOnRecover);
  EXPECT_FALSE(c.transientStorePoolEnable);
  EXPECT_EQ(c.CommitLogDir(), c.storePathRootDir + "/commitlog");
}

TEST(StoreConfig, LoadsABrokerConfAndListsTheBrokerOnlyKeys) {
  const std::string conf =
      "# broker.conf\n"
      "brokerClusterName = DefaultCluster\n"
      "brokerName=broker-a\n"
      "! another comment\n"
      "storePathRootDir=/data/rocketmq/store\n"
      "mappedFileSizeCommitLog : 65536\n"
      "mappedFileSizeConsumeQueue=6001\n"
      "flushDiskType=SYNC_FLUSH\n"
      "brokerRole=SYNC_MASTER\n"
      "checkCRCOnRecover=FALSE\n"
      "deleteWhen=04;16\n"
      "messageDelayLevel=1s 5s \\\n"
      "    10s\n"
      "maxHashSlotNum   100\n";
  StoreConfig c;
  std::vector<std::string> ignored;
  ASSERT_TRUE(c.LoadProperties(conf, "broker.conf", &ignored).ok());
  EXPECT_EQ(ignored, (std::vector<std::string>{"brokerClusterName", "brokerName"}));
  EXPECT_EQ(c.storePathRootDir, "/data/rocketmq/store");
  EXPECT_EQ(c.CommitLogDir(), "/data/rocketmq/store/commitlog");
  EXPECT_EQ(c.mappedFileSizeCommitLog, 65536);
  EXPECT_EQ(c.ConsumeQueueFileSize(), 6020) << "rounded up to whole units";
  EXPECT_EQ(c.flushDiskType, FlushDiskType::kSyncFlush);
  EXPECT_EQ(c.brokerRole, BrokerRole::kSyncMaster);
  EXPECT_FALSE(c.checkCRCOnRecover);
  EXPECT_EQ(c.deleteWhen, "04;16");
  EXPECT_EQ(c.messageDelayLevel, "1s 5s 10s");
  EXPECT_EQ(c.maxHashSlotNum, 100);
}

TEST(StoreConfig, ABadValueNamesTheLineAndKeyAndChangesNothing) {
  StoreConfig c;
  Status st = c.LoadProperties("mappedFileSizeCommitLog=65536\n\nflushIntervalCommitLog=fast\n", "b.conf");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("b.conf:3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("flushIntervalCommitLog"), std::string::npos);
  EXPECT_EQ(c.mappedFileSizeCommitLog, 1073741824) << "all or nothing";
  EXPECT_FALSE(c.Set("flushDiskType", "SOMETIMES").ok());
  EXPECT_FALSE(c.Set("checkCRCOnRecover", "yes").ok());
  EXPECT_FALSE(c.Set("maxHashSlotNum", "99999999999").ok()) << "out of int range";
  EXPECT_EQ(c.Set("noSuchKnob", "1").code(), StatusCode::kNotFound);
  EXPECT_TRUE(c.Set("maxIndexNum", " 400 ").ok());
  EXPECT_EQ(c.maxIndexNum, 400);
}

TEST(StoreConfig, LoadsAFile) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/broker.conf";
  std::ofstream(path) << "maxMessageSize=1048576\n";
  StoreConfig c;
  ASSERT_TRUE(c.LoadPropertiesFile(path).ok());
  EXPECT_EQ(c.maxMessageSize, 1048576);
  EXPECT_EQ(c.LoadPropertiesFile(tmp.path() + "/missing.conf").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mqstore

namespace mqstore {
namespace {

TEST(StoreConfigBackendTest, WriteBackendFollowsFlushDiskTypeUnlessSet) {
  StoreConfig c;
  EXPECT_FALSE(c.UsesWriteBackend()) << "ASYNC_FLUSH: the mapping";
  ASSERT_TRUE(c.Set("flushDiskType", "SYNC_FLUSH").ok());
  EXPECT_TRUE(c.UsesWriteBackend()) << "SYNC_FLUSH: explicit writes";
  ASSERT_TRUE(c.Set("writeWithoutMmap", "false").ok());
  EXPECT_FALSE(c.UsesWriteBackend()) << "an operator's explicit choice wins";
  ASSERT_TRUE(c.Set("transientStorePoolEnable", "true").ok());
  EXPECT_TRUE(c.UsesWriteBackend()) << "the transient store pool is the write backend";
  EXPECT_FALSE(c.Set("writeWithoutMmap", "maybe").ok());
}

}  // namespace
}  // namespace mqstore

namespace mqstore {
namespace {

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The table is complete only if every knob has a range that refuses
// something: a knob added without one fails here.
TEST(StoreConfigKnobs, EveryKnobRefusesValuesOutsideItsRangeNamingKnobValueAndRange) {
  ASSERT_GE(StoreConfig::Knobs().size(), 60u);  // the whole table, not a few rows
  for (const KnobInfo& k : StoreConfig::Knobs()) {
    SCOPED_TRACE(std::string(k.name));
    ASSERT_FALSE(k.range.empty());
    ASSERT_FALSE(k.refused.empty()) << "every knob needs values outside its range";
    const std::string before = StoreConfig().Get(k.name).value();
    bool a_field_can_hold_one = false;
    for (const std::string& bad : k.refused) {
      const std::string named = std::string(k.name) + "=" + bad;
      // By name, as --set and --config do.
      StoreConfig by_set;
      const Status st = by_set.Set(k.name, bad);
      ASSERT_FALSE(st.ok()) << named << " was accepted by Set";
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
      EXPECT_TRUE(Contains(st.message(), named)) << st.message();
      EXPECT_TRUE(Contains(st.message(), k.range)) << st.message();
      EXPECT_EQ(by_set.Get(k.name).value(), before) << "a refused value changes nothing";
      // As an embedder's code assigns a field; MessageStore::Open validates.
      StoreConfig assigned;
      if (!assigned.Assign(k.name, bad).ok()) continue;  // no field of this type can hold it
      a_field_can_hold_one = true;
      const Status v = assigned.Validate();
      ASSERT_FALSE(v.ok()) << named << " passed Validate";
      EXPECT_EQ(v.code(), StatusCode::kInvalidArgument) << v.ToString();
      EXPECT_TRUE(Contains(v.message(), named)) << v.message();
      EXPECT_TRUE(Contains(v.message(), k.range)) << v.message();
    }
    // The only exceptions: a bool holds nothing but true and false, and an
    // enum's text names only its values (a cast is the next test's).
    if (k.kind == KnobInfo::Kind::kInteger || k.kind == KnobInfo::Kind::kText) {
      EXPECT_TRUE(a_field_can_hold_one) << "Validate is never tried on a bad value of this knob";
    }
  }
}

// "[min, max]" of an integer knob.
std::pair<int64_t, int64_t> Bounds(const KnobInfo& k) {
  int64_t lo = 0, hi = 0;
  EXPECT_EQ(std::sscanf(k.range.c_str(), "[%" SCNd64 ", %" SCNd64 "]", &lo, &hi), 2) << k.range;
  return {lo, hi};
}

TEST(StoreConfigKnobs, BothEndsOfEveryIntegerRangeAreAccepted) {
  for (const KnobInfo& k : StoreConfig::Knobs()) {
    if (k.kind != KnobInfo::Kind::kInteger) continue;
    SCOPED_TRACE(std::string(k.name));
    const auto [lo, hi] = Bounds(k);
    EXPECT_LT(lo, hi);
    for (const int64_t v : {lo, hi}) {
      StoreConfig c;
      ASSERT_TRUE(c.Set(k.name, std::to_string(v)).ok()) << v;
      EXPECT_EQ(c.Get(k.name).value(), std::to_string(v));
      EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
    }
  }
}

TEST(StoreConfigKnobs, TheDefaultsAreInRange) {
  const Status st = StoreConfig().Validate();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST(StoreConfigKnobs, AnEnumCastOutsideItsValuesIsRefused) {
  StoreConfig c;
  c.flushDiskType = static_cast<FlushDiskType>(7);
  c.recoveryCorruptionPolicy = static_cast<RecoveryCorruptionPolicy>(9);
  const Status st = c.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "flushDiskType=7 is not one of ASYNC_FLUSH|SYNC_FLUSH")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "recoveryCorruptionPolicy=9")) << "every bad knob is listed: " << st.message();
}

TEST(StoreConfigKnobs, TheReportedValuesAreRefusedWithTheirRange) {
  StoreConfig c;
  EXPECT_EQ(c.Set("appendBufferSize", "-1").message(), "appendBufferSize=-1 is out of range [65536, 1073741824]");
  EXPECT_EQ(c.Set("appendBufferSize", "99999999999999999999").message(),
            "appendBufferSize=99999999999999999999 is out of range [65536, 1073741824]");
  EXPECT_FALSE(c.Set("mappedFileSizeConsumeQueue", "0").ok());
  EXPECT_FALSE(c.Set("mappedFileSizeConsumeQueue", "-20").ok());
  EXPECT_FALSE(c.Set("maxHashSlotNum", "2147483647").ok());
  EXPECT_EQ(c.Set("fileReservedTime", "-5").message(), "fileReservedTime=-5 is out of range [0, 876000]");
  EXPECT_EQ(c.Set("flushIntervalCommitLog", "fast").message(),
            "flushIntervalCommitLog=fast is not an integer in [1, 86400000]");
  EXPECT_TRUE(Contains(c.Set("deleteWhen", "4;25").message(), "deleteWhen=4;25 is not hours 0-23 separated by ';'"));
  EXPECT_TRUE(c.Validate().ok()) << "nothing refused was kept";
}

TEST(StoreConfigKnobs, LoadPropertiesNamesFileLineKnobAndValue) {
  StoreConfig c;
  const Status st = c.LoadProperties("maxIndexNum=400\nfileReservedTime = -5\n", "broker.conf");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "broker.conf:2: fileReservedTime=-5 is out of range [0, 876000]");
  EXPECT_EQ(c.maxIndexNum, 20000000) << "all or nothing";
}

TEST(StoreConfigKnobs, ValuesAreShownPrintable) {
  StoreConfig c;
  c.storePathRootDir = std::string("/data\0/x", 8);
  c.storePathCommitLog = "/a,/b";
  const Status st = c.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "storePathRootDir=/data\\x00/x is not a non-empty path")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "storePathCommitLog=/a,/b")) << st.message();
}

// docs/knobs.md has one row per knob, with its default and range as the
// table has them, and no row for a knob that is gone.
TEST(StoreConfigKnobs, DocsListEveryKnobWithItsDefaultAndRange) {
  std::ifstream in(std::string(MQSTORE_SOURCE_DIR) + "/docs/knobs.md");
  ASSERT_TRUE(in) << "docs/knobs.md under " << MQSTORE_SOURCE_DIR;
  std::map<std::string, std::string> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const size_t end = line.find('`', 3);
    ASSERT_NE(end, std::string::npos) << line;
    rows[line.substr(3, end - 3)] = line;
  }
  const StoreConfig defaults;
  std::set<std::string> knobs;
  for (const KnobInfo& k : StoreConfig::Knobs()) {
    const std::string name(k.name);
    knobs.insert(name);
    SCOPED_TRACE(name);
    ASSERT_TRUE(rows.count(name)) << "no row for " << name << " in docs/knobs.md";
    std::string range;  // a table cell escapes '|'
    for (const char ch : k.range) range += ch == '|' ? std::string("\\|") : std::string(1, ch);
    EXPECT_TRUE(Contains(rows[name], "`" + range + "`")) << rows[name];
    // The root's default depends on $HOME; an unset writeWithoutMmap has no text.
    const std::string def = defaults.Get(k.name).value();
    if (name != "storePathRootDir" && !def.empty()) {
      EXPECT_TRUE(Contains(rows[name], "`" + def + "`")) << rows[name];
    }
  }
  for (const auto& [name, line] : rows) EXPECT_TRUE(knobs.count(name)) << "docs/knobs.md lists " << name;
}

}  // namespace
}  // namespace mqstore
