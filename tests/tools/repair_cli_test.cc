// mqstore repair: what a normal open refuses (damage that valid records
// follow), cut or skipped offline, with queues and index rebuilt.
#include <gtest/gtest.h>

#include "format/damage_filler.h"
#include "format/segment_name.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

class RepairCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_);
    puts_ = test::PutAndShutDown(config_, 400);
    ASSERT_EQ(puts_.size(), 400u);
    victim_ = puts_[puts_.size() - 60];
  }
  void DamageVictim() {
    const int64_t seg = config_.mappedFileSizeCommitLog;
    test::PatchI32(root_ + "/commitlog/" + SegmentFileName(victim_.wrote_offset / seg * seg),
                   victim_.wrote_offset % seg + 92, 0x7eadbeef);
  }
  test::CliResult Verify() { return test::Cli({"verify", root_, "--index-slots", "64", "--index-entries", "256"}); }

  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
  std::vector<PutResult> puts_;
  PutResult victim_;
};

TEST_F(RepairCliTest, SkipKeepsTheRecordsAfterTheDamageAndVerifyReportsTheSkippedRange) {
  DamageVictim();
  ASSERT_FALSE(MessageStore::Open(config_).ok()) << "a normal open refuses";
  const test::CliResult r = test::Cli({"repair", root_, "--policy", "skip"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("skipped at offset " + std::to_string(victim_.wrote_offset)), std::string::npos) << r.out;

  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  for (const PutResult& p : puts_) {
    auto view = (*store)->LookMessageByOffset(p.wrote_offset);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(IsDamageFiller(view->message), p.wrote_offset == victim_.wrote_offset) << p.wrote_offset;
  }
  test::ExpectQueuesAndIndexMatchLog(**store);
  ASSERT_TRUE((*store)->Shutdown().ok());

  const test::CliResult v = Verify();
  EXPECT_EQ(v.code, 1) << "a store that lost a record says so: " << v.out;
  EXPECT_NE(v.out.find("damaged bytes were skipped by recovery"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("\n1 problem(s)"), std::string::npos) << "nothing else: " << v.out;
}

TEST_F(RepairCliTest, TruncateCutsAtTheDamageAndLeavesAStoreThatVerifies) {
  DamageVictim();
  const test::CliResult r = test::Cli({"repair", root_, "--policy", "truncate"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("log cut at offset " + std::to_string(victim_.wrote_offset)), std::string::npos) << r.out;
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), victim_.wrote_offset);
  ASSERT_TRUE((*store)->Shutdown().ok());
  const test::CliResult v = Verify();
  EXPECT_EQ(v.code, 0) << v.out;
}

TEST_F(RepairCliTest, AHealthyStoreIsLeftAsItIs) {
  const test::CliResult r = test::Cli({"repair", root_, "--policy", "skip"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("no damage found"), std::string::npos) << r.out;
  EXPECT_EQ(Verify().code, 0);
}

TEST_F(RepairCliTest, ThePolicyIsRequiredAndChecked) {
  EXPECT_EQ(test::Cli({"repair", root_}).code, 2);
  const test::CliResult bad = test::Cli({"repair", root_, "--policy", "refuse"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("truncate or skip"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace mqstore
