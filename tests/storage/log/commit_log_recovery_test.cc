// Recovery tells a torn tail from damage: only a provable torn tail is cut
// without asking; damage that valid data follows is refused by default and
// handled by recoveryCorruptionPolicy otherwise; what a clean shutdown
// flushed is never cut.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "format/damage_filler.h"
#include "format/segment_name.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "storage/offline/store_verifier.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CommitLogRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink([this](LogLevel level, std::string_view line) {
      std::lock_guard lock(errors_mu_);
      if (level == LogLevel::kError) errors_.push_back(std::string(line));
    });
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_);
  }
  void TearDown() override { SetLogSink({}); }

  // `n` records over several 64 KiB files, then a clean shutdown.
  std::vector<PutResult> Fill(int n) { return test::PutAndShutDown(config_, n); }
  std::string FileOf(int64_t offset) const {
    const int64_t seg = config_.mappedFileSizeCommitLog;
    return root_ + "/commitlog/" + SegmentFileName(offset / seg * seg);
  }
  // Flips body bytes of a record: its BODYCRC no longer matches.
  void DamageBody(const PutResult& victim) {
    test::PatchI32(FileOf(victim.wrote_offset), victim.wrote_offset % config_.mappedFileSizeCommitLog + 92,
                   0x7eadbeef);
  }
  void MarkCrashed() {
    auto f = FileSystem::Default().OpenRandomRW(root_ + "/abort", OpenMode::kCreateIfMissing);
    ASSERT_TRUE(f.ok());
  }
  std::map<std::string, std::string> LogFiles() const {
    std::map<std::string, std::string> files;
    auto list = ListSegments(FileSystem::Default(), root_ + "/commitlog");
    EXPECT_TRUE(list.ok());
    for (const SegmentFile& f : *list) files[f.name] = ReadAll(f.path);
    return files;
  }

  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
  std::mutex errors_mu_;
  std::vector<std::string> errors_;  // ERROR log lines (read once no thread logs)
};

TEST_F(CommitLogRecoveryTest, AfterACleanShutdownOneBadByteRefusesTheOpenAndChangesNothing) {
  const auto puts = Fill(400);
  const PutResult& victim = puts[puts.size() - 60];  // in one of the last three files
  DamageBody(victim);
  const auto before = LogFiles();

  auto store = MessageStore::Open(config_);
  ASSERT_FALSE(store.ok()) << "a damaged record followed by valid ones must not be cut silently";
  const std::string why = store.error().ToString();
  EXPECT_EQ(store.error().code(), StatusCode::kCorruption);
  EXPECT_NE(why.find(FileOf(victim.wrote_offset)), std::string::npos) << why;
  EXPECT_NE(why.find("log offset " + std::to_string(victim.wrote_offset)), std::string::npos) << why;
  EXPECT_NE(why.find("BODYCRC"), std::string::npos) << why;
  EXPECT_NE(why.find("recoveryCorruptionPolicy=truncate"), std::string::npos) << why;
  EXPECT_NE(why.find("mqstore repair"), std::string::npos) << why;
  EXPECT_EQ(LogFiles(), before) << "refusing changes no byte of the log";

  // verify names the same damage and what follows it.
  StoreReadOptions options;
  options.commit_log_file_size = config_.mappedFileSizeCommitLog;
  std::vector<std::string> problems;
  VerifyCallbacks cb;
  cb.on_problem = [&](const VerifyProblem& p) {
    if (p.offset == victim.wrote_offset) problems.push_back(p.what);
  };
  ASSERT_TRUE(VerifyStore(FileSystem::Default(), StorePaths{root_}, options, cb).ok());
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems.front().find("BODYCRC"), std::string::npos) << problems.front();
}

TEST_F(CommitLogRecoveryTest, VerifyChecksTheRecordsAfterARecordThatDoesNotDecode) {
  const auto puts = Fill(400);
  const PutResult& victim = puts[puts.size() - 60];
  test::PatchI32(FileOf(victim.wrote_offset), victim.wrote_offset % config_.mappedFileSizeCommitLog + 4, 0x0badcafe);
  StoreReadOptions options;
  options.commit_log_file_size = config_.mappedFileSizeCommitLog;
  std::vector<std::string> problems;
  VerifyCallbacks cb;
  cb.on_problem = [&](const VerifyProblem& p) { problems.push_back(std::to_string(p.offset) + ": " + p.what); };
  auto report = VerifyStore(FileSystem::Default(), StorePaths{root_}, options, cb);
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems.front().find("valid records follow at " + std::to_string(victim.wrote_offset + victim.wrote_bytes)),
            std::string::npos)
      << problems.front();
  EXPECT_EQ(report->records, puts.size() - 1) << "every record but the damaged one was checked";
}

TEST_F(CommitLogRecoveryTest, AfterACleanShutdownADamagedLastRecordIsNoTornTail) {
  const auto puts = Fill(50);
  DamageBody(puts.back());  // nothing follows it, but it was flushed
  auto store = MessageStore::Open(config_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("shut down cleanly"), std::string::npos) << store.error().ToString();
}

TEST_F(CommitLogRecoveryTest, TruncatePolicyCutsAtTheDamageAsRocketMqDoesAndSaysSoAtError) {
  const auto puts = Fill(400);
  const PutResult& victim = puts[puts.size() - 60];
  DamageBody(victim);
  config_.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kTruncate;
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), victim.wrote_offset);
  const RecoveryReport& rep = (*store)->recovery();
  ASSERT_EQ(rep.damage.size(), 1u) << rep.ToString();
  EXPECT_EQ(rep.damage[0].action, LogDamage::Action::kTruncated);
  EXPECT_EQ(rep.damage[0].offset, victim.wrote_offset);
  EXPECT_EQ(rep.damage[0].next_valid, victim.wrote_offset + victim.wrote_bytes);
  ASSERT_FALSE(errors_.empty()) << "a cut is logged at ERROR";
  EXPECT_NE(errors_.front().find("truncate"), std::string::npos);
  ASSERT_TRUE((*store)->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

TEST_F(CommitLogRecoveryTest, SkipPolicyKeepsEveryRecordAfterTheDamage) {
  const auto puts = Fill(400);
  const size_t v = puts.size() - 60;
  DamageBody(puts[v]);
  config_.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kSkip;
  {
    auto store = MessageStore::Open(config_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    MessageStore& s = **store;
    EXPECT_EQ(s.GetMaxPhyOffset(), puts.back().wrote_offset + puts.back().wrote_bytes);
    const RecoveryReport& rep = s.recovery();
    ASSERT_EQ(rep.damage.size(), 1u) << rep.ToString();
    EXPECT_EQ(rep.damage[0].action, LogDamage::Action::kSkipped);
    EXPECT_EQ(rep.damage[0].length, puts[v].wrote_bytes);
    ASSERT_FALSE(errors_.empty()) << "a skip is logged at ERROR";
    // Every record but the damaged one reads back at its offset.
    for (size_t i = 0; i < puts.size(); ++i) {
      auto view = s.LookMessageByOffset(puts[i].wrote_offset);
      ASSERT_TRUE(view.ok()) << i;
      if (i == v) {
        EXPECT_TRUE(IsDamageFiller(view->message));
      } else {
        EXPECT_EQ(view->message.properties().Get("UNIQ_KEY"), "k" + std::to_string(i));
      }
    }
    // Consumers of the victim's queue get every other message, each at its
    // own queue offset; the lost one is a gap, not a shift.
    const int32_t q = static_cast<int32_t>(v % 3);
    int64_t offset = 0, got = 0;
    while (true) {
      const GetMessageResult r = s.GetMessage("g", "TopicA", q, offset, 32);
      for (const FoundMessage& f : r.messages) {
        auto m = DecodeRecord(f.bytes);
        ASSERT_TRUE(m.ok());
        EXPECT_EQ(m->message.queue_offset, f.queue_offset);
        EXPECT_NE(f.phy_offset, puts[v].wrote_offset);
        ++got;
      }
      if (r.next_begin_offset == offset) break;
      offset = r.next_begin_offset;
    }
    int64_t expected = 0;
    for (size_t i = 0; i < puts.size(); ++i) expected += (i % 3 == static_cast<size_t>(q) && i != v);
    EXPECT_EQ(got, expected);
    const PutResult after = s.Put(test::OwnedMessage("TopicA", q, 10, "after").message());
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after.queue_offset, expected + 1) << "queue offsets go on after the lost one";
    ASSERT_TRUE(s.Shutdown().ok());
  }
  // The fillers make the log whole: the next open needs no policy.
  config_.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kRefuse;
  auto again = MessageStore::Open(config_);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_TRUE((*again)->recovery().damage.empty());
}

TEST_F(CommitLogRecoveryTest, SkipPolicyBlanksAFileWithNoValidRecordLeftAndGoesOnInTheNext) {
  const auto puts = Fill(400);
  const int64_t seg = config_.mappedFileSizeCommitLog;
  const int64_t file_start = puts.back().wrote_offset / seg * seg - seg;  // the file before the last
  // Damage from a record near the start of that file to its end: no valid
  // record follows in it, the next file holds data.
  const std::string file = FileOf(file_start);
  for (int64_t at = 300; at < seg; at += 256) test::PatchI64(file, at, 0x0102030405060708);
  config_.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kSkip;
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), puts.back().wrote_offset + puts.back().wrote_bytes);
  ASSERT_EQ((*store)->recovery().damage.size(), 1u);
  auto last = (*store)->LookMessageByOffset(puts.back().wrote_offset);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->message.properties().Get("UNIQ_KEY"), "k" + std::to_string(puts.size() - 1));
  // A cursor from the start reaches the end: the blank steps over the rest.
  CommitLogCursor cursor = (*store)->NewCursor(0);
  CommitLogCursor::Entry e;
  while ((e = cursor.Next()).kind == CommitLogCursor::Kind::kMessage) {
  }
  EXPECT_EQ(e.kind, CommitLogCursor::Kind::kCaughtUp) << e.error.ToString();
  EXPECT_EQ(cursor.offset(), (*store)->GetMaxPhyOffset());
}

TEST_F(CommitLogRecoveryTest, AfterACrashATornTailIsCutWithoutAsking) {
  const auto puts = Fill(100);
  const int64_t end = puts.back().wrote_offset + puts.back().wrote_bytes;
  const int64_t seg = config_.mappedFileSizeCommitLog;
  test::PatchI32(FileOf(end), end % seg, 500);  // half a record
  test::PatchI32(FileOf(end), end % seg + 4, static_cast<int32_t>(kMagicV1));
  MarkCrashed();
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), end);
  ASSERT_EQ((*store)->recovery().damage.size(), 1u);
  EXPECT_EQ((*store)->recovery().damage[0].action, LogDamage::Action::kTornTail);
  ASSERT_EQ(errors_.size(), 1u) << "a cut is logged at ERROR, a torn tail's too";
  EXPECT_NE(errors_.front().find("torn tail cut"), std::string::npos) << errors_.front();
}

TEST_F(CommitLogRecoveryTest, AfterACrashDamageBeforeValidRecordsIsStillRefused) {
  const auto puts = Fill(400);
  DamageBody(puts[puts.size() - 60]);
  MarkCrashed();
  auto store = MessageStore::Open(config_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kCorruption);
}

TEST_F(CommitLogRecoveryTest, AHoleOfZerosBeforeDataInALaterFileIsRefused) {
  const auto puts = Fill(400);
  const int64_t seg = config_.mappedFileSizeCommitLog;
  // The pages holding a file's last records and its blank were lost; the
  // next file's were not.
  const int64_t file_start = puts.back().wrote_offset / seg * seg - seg;
  const std::vector<uint8_t> zeros(static_cast<size_t>(seg / 2), 0);
  test::PatchFile(FileOf(file_start), seg / 2, zeros.data(), zeros.size());
  MarkCrashed();
  auto store = MessageStore::Open(config_);
  ASSERT_FALSE(store.ok()) << "records in a later file must not be deleted silently";
  EXPECT_NE(store.error().message().find("later file(s) hold data"), std::string::npos) << store.error().ToString();
}

TEST_F(CommitLogRecoveryTest, AfterACrashDamageBeforeWhatTheCheckpointCallsFlushedIsNoTornTail) {
  const auto puts = Fill(100);
  DamageBody(puts.back());  // nothing valid follows ...
  // ... but the checkpoint says a record stored later than the one before
  // the damage was flushed: the damage is inside durable data.
  auto checkpoint = ReadCheckpointFile(FileSystem::Default(), StorePaths{root_});
  ASSERT_TRUE(checkpoint.ok());
  test::PatchI64(root_ + "/checkpoint", 0, checkpoint->physic_msg_timestamp + 60000);
  MarkCrashed();
  auto store = MessageStore::Open(config_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("checkpoint"), std::string::npos) << store.error().ToString();
}

// Topic and properties are not covered by BODYCRC: a write torn inside them
// leaves a record that decodes, ending in zeros where a writer puts a
// non-zero byte. As the last record after a crash, stored after the
// checkpoint's flush time, it is a torn tail.
TEST_F(CommitLogRecoveryTest, AfterACrashALastRecordTornInsideItsPropertiesIsCut) {
  const auto puts = Fill(100);
  const PutResult& last = puts.back();
  const uint8_t zeros[5] = {};
  test::PatchFile(FileOf(last.wrote_offset), (last.wrote_offset + last.wrote_bytes - 5) % config_.mappedFileSizeCommitLog,
                  zeros, sizeof zeros);
  test::PatchI64(root_ + "/checkpoint", 0, last.store_timestamp - 1);  // it was never flushed
  MarkCrashed();
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), last.wrote_offset);
  ASSERT_EQ((*store)->recovery().damage.size(), 1u);
  EXPECT_EQ((*store)->recovery().damage[0].action, LogDamage::Action::kTornTail);
  EXPECT_NE((*store)->recovery().damage[0].why.find("last byte is zero"), std::string::npos);
  EXPECT_EQ((*store)->NextQueueOffset("TopicA", 99 % 3), 33) << "its queue offset is given again";
}

// The same bytes in a record the checkpoint may call flushed are kept: it
// may be a writer's property value that ends in a NUL.
TEST_F(CommitLogRecoveryTest, AfterACrashALastRecordEndingInAZeroThatWasFlushedIsKept) {
  const auto puts = Fill(100);
  const PutResult& last = puts.back();
  const uint8_t zero = 0;
  test::PatchFile(FileOf(last.wrote_offset), (last.wrote_offset + last.wrote_bytes - 1) % config_.mappedFileSizeCommitLog,
                  &zero, 1);
  MarkCrashed();
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), last.wrote_offset + last.wrote_bytes);
  EXPECT_TRUE((*store)->recovery().damage.empty()) << (*store)->recovery().ToString();
}

TEST_F(CommitLogRecoveryTest, ANulInAPropertyValueSurvivesACleanReopen) {
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok());
  std::vector<PutResult> puts;
  for (int i = 0; i < 300; ++i) {
    test::OwnedMessage m("TopicA", 0, 100, "k" + std::to_string(i));
    // A Java client's user property "\u0000", serialised as one zero byte.
    m.properties += std::string("\x02" "USER\x01", 6) + std::string(1, '\0');
    puts.push_back((*store)->Put(m.message()));
    ASSERT_TRUE(puts.back().ok()) << puts.back().reason;
  }
  ASSERT_TRUE((*store)->Shutdown().ok());
  store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), puts.back().wrote_offset + puts.back().wrote_bytes);
  EXPECT_EQ((*store)->NextQueueOffset("TopicA", 0), 300);
  EXPECT_TRUE((*store)->recovery().damage.empty());
  ASSERT_TRUE((*store)->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

}  // namespace
}  // namespace mqstore
