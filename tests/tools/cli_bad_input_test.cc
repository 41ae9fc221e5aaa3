// The CLI says what is wrong, with the right exit code: paths that are not
// store roots, FIFOs where store files should be, numbers out of range,
// --config that is not a file, --from that is not a record start, control
// bytes in text, a store another process has open, a truncated segment.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format/segment_name.h"
#include "storage/message_store.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/hang_guard.h"
#include "tests/tools/cli_store_fixture.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

using namespace std::chrono_literals;
using test::Cli;
using test::CliResult;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A generated store under a fresh temp dir.
class CliStore : public ::testing::Test {
 protected:
  void SetUp() override {
    test::WriteSmallStoreConf(conf_);
    test::GenStore(root_, conf_);
  }
  std::string Segment(int64_t start) const { return root_ + "/commitlog/" + SegmentFileName(start); }
  std::string CqFile(const std::string& topic, int queue) const {
    return root_ + "/consumequeue/" + topic + "/" + std::to_string(queue) + "/" + SegmentFileName(0);
  }
  std::string FirstIndexFile() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(root_ + "/index")) names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    return names.empty() ? std::string() : names.front();
  }
  // Replaces `path` with a FIFO.
  void MakeFifo(const std::string& path) {
    std::filesystem::remove(path);
    ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0) << path;
  }
  // Every record of the commit log, as `dump commitlog --json` prints it.
  std::vector<test::Json> Records() const { return Cli({"dump", "commitlog", root_, "--json"}).Lines(); }

  test::TempDir tmp_;
  std::string conf_ = tmp_.path() + "/broker.conf";
  std::string root_ = tmp_.path() + "/store";
};

// --- 1. a path that is not a store root ------------------------------------

// Every command that reads a store root, run on `root`.
std::vector<std::vector<std::string>> StoreCommands(const std::string& root) {
  return {{"inspect", root},
          {"inspect", root, "--json"},
          {"verify", root},
          {"verify", root, "--json"},
          {"dump", "commitlog", root},
          {"dump", "cq", root, "GenTopic0", "0"},
          {"dump", "checkpoint", root},
          {"query", root, "--topic", "GenTopic0", "--key", "key-0"}};
}

TEST_F(CliStore, APathThatIsNotAStoreRootIsAUsageErrorForEveryStoreCommand) {
  std::filesystem::create_directories(tmp_.path() + "/empty");
  const struct {
    std::string path, says;
  } cases[] = {
      {root_ + "/commitlog", "no commitlog/ under " + root_ + "/commitlog"},
      {root_ + "/consumequeue", "it lies inside the store root " + root_},
      {Segment(0), Segment(0) + " is not a directory"},
      {tmp_.path() + "/missing", tmp_.path() + "/missing does not exist"},
      {tmp_.path() + "/empty", "no commitlog/ under " + tmp_.path() + "/empty"},
  };
  for (const auto& c : cases) {
    for (const auto& cmd : StoreCommands(c.path)) {
      const CliResult r = Cli(cmd);
      SCOPED_TRACE(cmd[0] + " " + cmd[1] + " on " + c.path);
      EXPECT_EQ(r.code, 2) << r.out << r.err;
      EXPECT_TRUE(Contains(r.err, c.says)) << r.err;
      EXPECT_FALSE(Contains(r.out, "0 problem(s)")) << r.out;
    }
  }
}

TEST(CliStoreRoot, AnEmptyStoreRootMadeByTheEngineIsARoot) {
  test::TempDir tmp;
  const std::string root = tmp.path() + "/store";
  test::GenStore(root, test::WriteSmallStoreConf(tmp.path() + "/broker.conf"), 0);
  for (const auto& cmd : StoreCommands(root)) {
    if (cmd[1] == "cq") continue;  // no queue yet
    const CliResult r = Cli(cmd);
    EXPECT_EQ(r.code, 0) << cmd[0] << " " << cmd[1] << ": " << r.err;
  }
}

TEST_F(CliStore, TheCommitLogIsWhereTheConfigsStorePathCommitLogPutIt) {
  const auto lines = Records();
  int64_t records = 0;
  for (const auto& r : lines) records += r.Has("blank") ? 0 : 1;
  // Moved out of the root, as storePathCommitLog lets a broker do.
  const std::string moved = tmp_.path() + "/ssd/commitlog-a";
  std::filesystem::create_directories(tmp_.path() + "/ssd");
  std::filesystem::rename(root_ + "/commitlog", moved);
  const CliResult lost = Cli({"verify", root_});
  EXPECT_EQ(lost.code, 2);
  EXPECT_TRUE(Contains(lost.err, "no commitlog/ under " + root_)) << lost.err;

  const std::string elsewhere = test::WriteSmallStoreConf(tmp_.path() + "/moved.conf", "storePathCommitLog=" + moved + "\n");
  const CliResult verify = Cli({"verify", root_, "--config", elsewhere});
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "0 problem(s)")) << verify.out;
  EXPECT_EQ(Cli({"inspect", root_, "--config", elsewhere, "--json"}).Lines()[0]["records"].i, records);
  EXPECT_EQ(Cli({"dump", "commitlog", root_, "--config", elsewhere, "--json"}).Lines().size(), lines.size())
      << "the same records, read where the config says";

  const std::string wrong = test::WriteSmallStoreConf(tmp_.path() + "/wrong.conf", "storePathCommitLog=/no/such/dir\n");
  const CliResult missing = Cli({"verify", root_, "--config", wrong});
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(Contains(missing.err, "no commit-log directory /no/such/dir")) << missing.err;

  // A commit log under the broker's own root moves with the root: the
  // store was copied elsewhere with its layout.
  std::filesystem::rename(moved, root_ + "/cl");
  const std::string under_root = test::WriteSmallStoreConf(
      tmp_.path() + "/under-root.conf", "storePathRootDir=/data/store\nstorePathCommitLog=/data/store/cl\n");
  const CliResult copied = Cli({"verify", root_, "--config", under_root});
  EXPECT_EQ(copied.code, 0) << copied.out << copied.err;
}

// --- 2. a FIFO where a store file should be ---------------------------------

TEST_F(CliStore, AFifoCheckpointIsReportedAndNeverOpened) {
  const std::string fifo = root_ + "/checkpoint";
  MakeFifo(fifo);
  const std::string says = fifo + ": not a regular file";
  // inspect and dump checkpoint used to block here forever.
  const CliResult inspect = test::FinishesWithin(5s, {fifo}, [&] { return Cli({"inspect", root_}); });
  EXPECT_EQ(inspect.code, 1);
  EXPECT_TRUE(Contains(inspect.out, says)) << inspect.out;
  const CliResult inspect_json = test::FinishesWithin(5s, {fifo}, [&] { return Cli({"inspect", root_, "--json"}); });
  EXPECT_EQ(inspect_json.code, 1);
  EXPECT_TRUE(Contains(inspect_json.out, "\"type\": \"notRegularFile\", \"file\": \"" + fifo + "\""))
      << inspect_json.out;
  const CliResult dump = test::FinishesWithin(5s, {fifo}, [&] { return Cli({"dump", "checkpoint", root_}); });
  EXPECT_EQ(dump.code, 1);
  EXPECT_TRUE(Contains(dump.err, says)) << dump.err;
  const CliResult verify = test::FinishesWithin(5s, {fifo}, [&] { return Cli({"verify", root_}); });
  EXPECT_EQ(verify.code, 1);
  EXPECT_TRUE(Contains(verify.out, fifo + " @0: not a regular file")) << verify.out;
}

TEST_F(CliStore, AFifoWhereASegmentLockOrAbortShouldBeIsReportedAndNeverOpened) {
  const std::string segment = Segment(65536), cq = CqFile("GenTopic1", 0), index = FirstIndexFile();
  const std::string lock = root_ + "/lock", abort = root_ + "/abort";
  for (const std::string& fifo : {segment, cq, index, lock, abort}) {
    SCOPED_TRACE(fifo);
    MakeFifo(fifo);
    const CliResult verify = test::FinishesWithin(5s, {fifo}, [&] { return Cli({"verify", root_}); });
    EXPECT_EQ(verify.code, 1);
    EXPECT_TRUE(Contains(verify.out, fifo + " @0: not a regular file")) << verify.out;
    const CliResult inspect = test::FinishesWithin(5s, {fifo}, [&] { return Cli({"inspect", root_}); });
    EXPECT_EQ(inspect.code, 1);
    EXPECT_TRUE(Contains(inspect.out, fifo + ": not a regular file")) << inspect.out;
    std::filesystem::remove(fifo);
  }
  MakeFifo(segment);
  const CliResult dump = test::FinishesWithin(5s, {segment}, [&] { return Cli({"dump", "commitlog", root_}); });
  EXPECT_EQ(dump.code, 1);
  EXPECT_TRUE(Contains(dump.err, segment + ": not a regular file")) << dump.err;
  MakeFifo(cq);
  const CliResult dump_cq = test::FinishesWithin(5s, {cq}, [&] { return Cli({"dump", "cq", root_, "GenTopic1", "0"}); });
  EXPECT_EQ(dump_cq.code, 1);
  EXPECT_TRUE(Contains(dump_cq.err, cq + ": not a regular file")) << dump_cq.err;
  MakeFifo(index);
  const CliResult query = test::FinishesWithin(
      5s, {index}, [&] { return Cli({"query", root_, "--topic", "GenTopic0", "--key", "key-0"}); });
  EXPECT_EQ(query.code, 1);
  EXPECT_TRUE(Contains(query.err, index + ": not a regular file")) << query.err;
  const CliResult dump_index = test::FinishesWithin(5s, {index}, [&] { return Cli({"dump", "index", index}); });
  EXPECT_EQ(dump_index.code, 2);
  EXPECT_TRUE(Contains(dump_index.err, index + ": not a regular file")) << dump_index.err;
}

// --- 3. numeric flags and --config -----------------------------------------

TEST_F(CliStore, NumericFlagsAreRangeCheckedNotWrapped) {
  const struct {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      // 2^32 + 1 became 1 slot (a cast to int32), and the index files "bad".
      {{"verify", root_, "--index-slots", "4294967297"}, "--index-slots must be in [1, 2147483647], not '4294967297'"},
      {{"verify", root_, "--index-entries", "4294967298"}, "--index-entries must be in [2, 2147483647]"},
      {{"verify", root_, "--index-slots", "0"}, "--index-slots must be in [1, 2147483647], not '0'"},
      {{"inspect", root_, "--cq-file-size", "8g"}, "--cq-file-size must be in [20, 2147483647]"},
      {{"inspect", root_, "--commitlog-size", "-65536"}, "--commitlog-size must be in [1, "},
      {{"query", root_, "--topic", "T", "--key", "k", "--max-message-size", "3g"}, "--max-message-size must be in"},
      {{"inspect", root_, "--now", "-1"}, "--now must be in [0, "},
      {{"dump", "commitlog", root_, "--from", "-5"}, "--from must be in [0, "},
      {{"dump", "commitlog", root_, "--limit", "-1"}, "--limit must be in [0, "},
      {{"query", root_, "--topic", "T", "--key", "k", "--max", "65"}, "--max must be in [1, 64], not '65'"},
      {{"query", root_, "--topic", "T", "--key", "k", "--begin", "-1"}, "--begin must be in [0, "},
      // 2^32 was queue 0; 1k was queue 1024.
      {{"dump", "cq", root_, "GenTopic0", "4294967296"}, "bad QUEUE_ID '4294967296'"},
      {{"dump", "cq", root_, "GenTopic0", "1k"}, "bad QUEUE_ID '1k'"},
      {{"dump", "cq", root_, "GenTopic0", "-1"}, "bad QUEUE_ID '-1'"},
      {{"dump", "cq", root_, "../../x", "0"}, "path separator"},
  };
  for (const auto& c : cases) {
    const CliResult r = Cli(c.args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.out << r.err;
    EXPECT_TRUE(Contains(r.err, c.says)) << r.err;
  }
  EXPECT_EQ(Cli({"verify", root_, "--index-slots", "1024", "--index-entries", "4096"}).code, 0);
}

TEST_F(CliStore, AConfigThatIsNotAFileIsAUsageError) {
  const std::string fifo = tmp_.path() + "/fifo.conf";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  for (const std::string& conf : {tmp_.path(), fifo, tmp_.path() + "/missing.conf"}) {
    for (auto cmd : StoreCommands(root_)) {
      cmd.insert(cmd.end(), {"--config", conf});
      const CliResult r = test::FinishesWithin(5s, {fifo}, [&] { return Cli(cmd); });
      EXPECT_EQ(r.code, 2) << cmd[0] << " --config " << conf << ": " << r.out;
      EXPECT_TRUE(Contains(r.err, "--config " + conf)) << r.err;
    }
    EXPECT_EQ(Cli({"gen", tmp_.path() + "/new", "--messages", "1", "--config", conf}).code, 2) << conf;
    EXPECT_EQ(Cli({"bench", "--workload", "put", "--messages", "1", "--config", conf}).code, 2) << conf;
    EXPECT_EQ(Cli({"dump", "index", FirstIndexFile(), "--config", conf}).code, 2) << conf;
  }
  const CliResult dir = Cli({"verify", root_, "--config", tmp_.path()});
  EXPECT_TRUE(Contains(dir.err, "a directory, not a broker .properties file")) << dir.err;
}

TEST_F(CliStore, KeysOfTheBrokerNotTheStoreAreListedByEveryCommandThatTakesConfig) {
  const std::string conf = test::WriteSmallStoreConf(
      tmp_.path() + "/full.conf", "brokerName=broker-a\nnamesrvAddr=127.0.0.1:9876\nflushIntervalCommitLog=10\n");
  const std::string says = conf + ": not store settings, left to the broker: brokerName, namesrvAddr\n";
  std::vector<std::vector<std::string>> commands = StoreCommands(root_);
  commands.push_back({"dump", "index", FirstIndexFile()});
  commands.push_back({"gen", root_, "--messages", "10", "--body-size", "10", "--segment-size", "64k"});
  // The bench reads the file once, however many points it sweeps.
  commands.push_back({"bench", "--workload", "put", "--messages", "20", "--ceiling-seconds", "0", "--sweep",
                      "producers=1,2"});
  for (auto cmd : commands) {
    cmd.insert(cmd.end(), {"--config", conf});
    const CliResult r = Cli(cmd);
    SCOPED_TRACE(cmd[0] + " " + cmd[1]);
    EXPECT_EQ(r.code, 0) << r.err;
    const size_t at = r.err.find(says);
    EXPECT_NE(at, std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(says, at + 1), std::string::npos) << "listed once: " << r.err;
  }
}

// --- 4. --from, display of control bytes, a live store ---------------------

TEST_F(CliStore, DumpFromAnOffsetThatIsNotARecordStartSaysSoAndNamesTheRecordsAroundIt) {
  const auto records = Records();
  ASSERT_GT(records.size(), 10u);
  const int64_t a = records[5]["commitLogOffset"].i, b = records[6]["commitLogOffset"].i;
  const CliResult inside = Cli({"dump", "commitlog", root_, "--from", std::to_string(a + 1)});
  EXPECT_EQ(inside.code, 2) << inside.out;
  EXPECT_TRUE(Contains(inside.err, "--from " + std::to_string(a + 1) + " is not a record start: the records around it "
                                   "start at " + std::to_string(a) + " and " + std::to_string(b)))
      << inside.err;
  EXPECT_TRUE(inside.out.empty()) << "nothing is dumped from a wrong offset: " << inside.out;

  const CliResult at = Cli({"dump", "commitlog", root_, "--from", std::to_string(b), "--limit", "1", "--json"});
  ASSERT_EQ(at.code, 0) << at.err;
  EXPECT_EQ(at.Lines().at(0)["commitLogOffset"].i, b);

  // Inside a blank record, past the data, outside the files.
  int64_t blank = -1, last_end = 0;
  for (const auto& r : records) {
    if (r.Has("blank") && blank < 0) blank = r["commitLogOffset"].i;
    if (!r.Has("blank")) last_end = r["commitLogOffset"].i + r["storeSize"].i;
  }
  ASSERT_GE(blank, 0);
  EXPECT_TRUE(Contains(Cli({"dump", "commitlog", root_, "--from", std::to_string(blank + 3)}).err,
                       "is inside the end-of-file blank record at " + std::to_string(blank)));
  const CliResult past = Cli({"dump", "commitlog", root_, "--from", std::to_string(last_end + 8)});
  EXPECT_EQ(past.code, 2);
  EXPECT_TRUE(Contains(past.err, "is past the end of the data")) << past.err;
  EXPECT_EQ(Cli({"dump", "commitlog", root_, "--from", std::to_string(last_end)}).code, 0) << "where the data ends";
  const CliResult outside = Cli({"dump", "commitlog", root_, "--from", "1g"});
  EXPECT_EQ(outside.code, 2);
  EXPECT_TRUE(Contains(outside.err, "is outside the commit log's files [0, ")) << outside.err;

  // In the gap a missing file leaves.
  std::filesystem::rename(Segment(65536), tmp_.path() + "/moved-away");
  const CliResult gap = Cli({"dump", "commitlog", root_, "--from", "70000"});
  EXPECT_EQ(gap.code, 2);
  EXPECT_TRUE(Contains(gap.err, "--from 70000 is in no segment file: " + SegmentFileName(0) + " ends at 65536"))
      << gap.err;
  std::filesystem::rename(tmp_.path() + "/moved-away", Segment(65536));

  // Damage before X: X is accepted if the record there names itself.
  test::PatchI32(Segment(0), a + 4, 0x01020304);  // record 5's MAGICCODE
  const CliResult after_damage = Cli({"dump", "commitlog", root_, "--from", std::to_string(b), "--json"});
  EXPECT_EQ(after_damage.code, 0) << after_damage.err;
  EXPECT_EQ(after_damage.Lines().at(0)["commitLogOffset"].i, b);
  const CliResult beyond_damage = Cli({"dump", "commitlog", root_, "--from", std::to_string(b + 1)});
  EXPECT_EQ(beyond_damage.code, 2);
  EXPECT_TRUE(Contains(beyond_damage.err, "cannot be followed past " + std::to_string(a))) << beyond_damage.err;
}

// Strict UTF-8 (no overlong forms, surrogates or stray bytes), and no raw
// control byte but the newlines that end lines.
bool CleanText(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || (c >= 0x20 && c < 0x7F)) {
      ++i;
      continue;
    }
    if (c < 0xC2 || c > 0xF4) return false;
    const size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + n > s.size()) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) || (c == 0xF0 && second < 0x90) ||
        (c == 0xF4 && second > 0x8F))
      return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    if (c == 0xC2 && second < 0xA0) return false;  // a C1 control
    i += n;
  }
  return true;
}

TEST_F(CliStore, ControlBytesInTopicsKeysAndTagsAreEscapedInTablesAndJsonStaysValid) {
  // Record 0 as another broker could have written it: ESC in its topic, a
  // BEL, a UTF-16 surrogate and a stray byte in its keys, a C1 control in
  // its tag, and Unicode text (kept as it is).
  std::ifstream in(Segment(0), std::ios::binary);
  std::string bytes(4096, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const size_t topic = bytes.find("GenTopic0"), keys = bytes.find("key-0 group-0"), tags = bytes.find("TagA");
  ASSERT_NE(topic, std::string::npos);
  ASSERT_NE(keys, std::string::npos);
  ASSERT_NE(tags, std::string::npos);
  test::PatchFile(Segment(0), static_cast<int64_t>(topic + 3), "\x1b[2J", 4);          // Gen ESC [2J c0
  test::PatchFile(Segment(0), static_cast<int64_t>(keys), "\x07\xed\xa0\x80\xff", 5);   // key-0 -> BEL, a surrogate, 0xFF
  test::PatchFile(Segment(0), static_cast<int64_t>(keys + 8), "\xc3\xa9", 2);           // group-0 -> gr\u00e9p-0
  test::PatchFile(Segment(0), static_cast<int64_t>(tags), "T\xc2\x9b" "A", 4);           // TagA -> T CSI A

  for (const auto& cmd : std::vector<std::vector<std::string>>{{"dump", "commitlog", root_, "--limit", "2"},
                                                                {"inspect", root_},
                                                                {"verify", root_}}) {
    const CliResult r = Cli(cmd);
    SCOPED_TRACE(cmd[0]);
    EXPECT_TRUE(CleanText(r.out)) << r.out;
    EXPECT_TRUE(Contains(r.out, "Gen\\x1b[2Jc0")) << r.out;
  }
  const CliResult table = Cli({"dump", "commitlog", root_, "--limit", "1"});
  EXPECT_TRUE(Contains(table.out, "\\x07\\xed\\xa0\\x80\\xff gr\xc3\xa9p-0")) << table.out;
  EXPECT_TRUE(Contains(table.out, "T\\xc2\\x9bA")) << table.out;

  const CliResult json = Cli({"dump", "commitlog", root_, "--limit", "1", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_TRUE(CleanText(json.out)) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"topic\": \"Gen\\u001b[2Jc0\"")) << json.out;
  const auto line = json.Lines().at(0);
  EXPECT_EQ(line["topic"].s, "Gen\x1b[2Jc0");
  EXPECT_EQ(line["properties"]["TAGS"].s, "T\xc2\x9b" "A") << "written as \\u009b";
  EXPECT_EQ(line["properties"]["KEYS"].s, "\x07\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd gr\xc3\xa9p-0")
      << "each byte that is not UTF-8 reads as U+FFFD";
}

TEST(MessageStoreLiveCli, VerifyOnAStoreAnotherProcessHasOpenSaysSoFirst) {
  test::TempDir tmp;
  const std::string root = tmp.path() + "/store";
  const std::string warning = root + " is open in another process";
  {
    auto store = MessageStore::Open(test::SmallStoreConfig(root));
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE((*store)->Put(test::OwnedMessage("TopicA", 0, 100, "k" + std::to_string(i)).message()).ok());
    test::WaitDispatched(**store);
    // The engine's OFD lock conflicts with the probe's own description even
    // in this process, as it would for a reader in another.
    const CliResult verify = Cli({"verify", root});
    EXPECT_EQ(verify.err.rfind("mqstore verify: " + warning, 0), 0u) << "said first: " << verify.err;
    EXPECT_TRUE(Contains(Cli({"inspect", root}).err, warning));
    auto second = MessageStore::Open(test::SmallStoreConfig(root));
    ASSERT_FALSE(second.ok()) << "the probe did not take the lock from its holder";
    EXPECT_EQ(second.error().code(), StatusCode::kBusy);
    ASSERT_TRUE((*store)->Shutdown().ok());
  }
  const CliResult closed = Cli({"verify", root});
  EXPECT_EQ(closed.code, 0) << closed.out;
  EXPECT_FALSE(Contains(closed.err, "open in another process")) << closed.err;
  auto reopened = MessageStore::Open(test::SmallStoreConfig(root));
  ASSERT_TRUE(reopened.ok()) << "no lock left behind: " << reopened.error().ToString();
  ASSERT_TRUE((*reopened)->Shutdown().ok());
}

// --- 5. the segment size comes from most files ------------------------------

TEST_F(CliStore, ATruncatedFirstSegmentIsTheOneBlamed) {
  ASSERT_GE(test::ListCommitLog(root_).size(), 4u);
  std::filesystem::resize_file(Segment(0), 1000);
  const CliResult verify = Cli({"verify", root_, "--json"});
  EXPECT_EQ(verify.code, 1);
  size_t size_problems = 0;
  for (const auto& line : verify.Lines()) {
    if (line["type"].s != "problem" || !Contains(line["problem"].s, "differs from the segment size")) continue;
    ++size_problems;
    EXPECT_EQ(line["file"].s, Segment(0));
    EXPECT_EQ(line["problem"].s, "size 1000 differs from the segment size 65536");
  }
  EXPECT_EQ(size_problems, 1u) << verify.out;
  const CliResult inspect = Cli({"inspect", root_, "--json"});
  EXPECT_EQ(inspect.Lines().at(0)["segmentSize"].i, 65536);
}

}  // namespace
}  // namespace mqstore
