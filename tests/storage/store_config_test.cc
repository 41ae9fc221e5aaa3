#include "storage/store_config.h"

#include <gtest/gtest.h>

#include <fstream>

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
