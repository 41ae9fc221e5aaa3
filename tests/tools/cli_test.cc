// Every mqstore subcommand, run in-process.
#include "tools/cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "format/message_id.h"
#include "format/segment_name.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

using test::Cli;
using test::CliResult;

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* cmd : {"inspect", "dump", "verify", "query", "gen", "bench"}) {
    const CliResult r = Cli({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("usage: mqstore " + std::string(cmd)), std::string::npos) << cmd;
  }
  EXPECT_EQ(Cli({"--help"}).code, 0);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(Cli({}).code, 2);
  EXPECT_EQ(Cli({"frobnicate"}).code, 2);
  EXPECT_EQ(Cli({"inspect"}).code, 2);
  EXPECT_EQ(Cli({"inspect", "/no/such/root"}).code, 2);
  EXPECT_EQ(Cli({"verify", ".", "--bogus"}).code, 2);
  EXPECT_EQ(Cli({"verify", ".", "--commitlog-size", "12x"}).code, 2);
  EXPECT_EQ(Cli({"dump", "commitlog"}).code, 2);
  EXPECT_EQ(Cli({"dump", "nothing", "."}).code, 2);
  EXPECT_EQ(Cli({"query", "."}).code, 2) << "--topic and --key are required";
  EXPECT_EQ(Cli({"gen"}).code, 2);
  EXPECT_NE(Cli({"verify", ".", "--bogus"}).err.find("unknown option --bogus"), std::string::npos);
}

void ExpectDumpMatchesGolden(const std::string& set) {
  const std::string golden = test::GoldenDir() + "/" + set;
  const CliResult r = Cli({"dump", "commitlog", golden + "/store", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto got = r.Lines();
  const auto want = test::ReadJsonLines(golden + "/expected-commitlog.jsonl");
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(set + " line " + std::to_string(i));
    for (size_t k = 0; k < want[i].keys.size(); ++k) {
      const std::string& key = want[i].keys[k];
      const test::Json& value = want[i].values[k];
      ASSERT_TRUE(got[i].Has(key)) << key;
      const test::Json& g = got[i][key];
      if (key == "properties") {
        EXPECT_EQ(g.StringMap(), value.StringMap());
      } else {
        EXPECT_EQ(g.kind, value.kind) << key;
        EXPECT_EQ(g.i, value.i) << key;
        EXPECT_EQ(g.s, value.s) << key;
        EXPECT_EQ(g.b, value.b) << key;
      }
    }
    if (!want[i].Has("blank")) {
      auto host = SocketAddress::Parse(want[i]["storeHost"].s);
      ASSERT_TRUE(host.ok());
      EXPECT_EQ(got[i]["msgId"].s, OffsetMsgId(*host, want[i]["physicalOffset"].i));
      EXPECT_EQ(got[i].keys.size(), want[i].keys.size() + 1) << "only msgId is added";
    }
  }
}

TEST(Cli, DumpCommitLogJsonReproducesTheGoldenExpectations) {
  MQ_GOLDEN_OR_SKIP(golden);
  ExpectDumpMatchesGolden("rocketmq-4x-8k");
  ExpectDumpMatchesGolden("rocketmq-4.9.8-small");
}

TEST(Cli, DumpCommitLogFromAndLimit) {
  MQ_GOLDEN_OR_SKIP(golden);
  const CliResult r = Cli({"dump", "commitlog", golden + test::kSmallStore, "--from", "61820", "--limit", "2", "--json"});
  ASSERT_EQ(r.code, 0);
  const auto lines = r.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["commitLogOffset"].i, 61820);
  EXPECT_EQ(lines[0]["bornHost"].s, "[2001:db8::1]:40060");
  const CliResult table = Cli({"dump", "commitlog", golden + test::kSmallStore, "--limit", "3"});
  EXPECT_NE(table.out.find("order-0 customer-0"), std::string::npos);
}

TEST(Cli, DumpConsumeQueuesMatchTheGoldenUnits) {
  MQ_GOLDEN_OR_SKIP(golden);
  std::map<std::pair<std::string, int64_t>, std::vector<test::Json>> want;
  for (auto& u : test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-consumequeue.jsonl"))
    want[{u["topic"].s, u["queueId"].i}].push_back(u);
  ASSERT_EQ(want.size(), 8u);
  for (const auto& [queue, units] : want) {
    const CliResult r = Cli({"dump", "cq", golden + test::kSmallStore, queue.first, std::to_string(queue.second), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto got = r.Lines();
    ASSERT_EQ(got.size(), units.size()) << queue.first;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i]["queueOffset"].i, units[i]["queueOffset"].i);
      EXPECT_EQ(got[i]["commitLogOffset"].i, units[i]["commitLogOffset"].i);
      EXPECT_EQ(got[i]["size"].i, units[i]["size"].i);
      EXPECT_EQ(got[i]["tagsCode"].i, units[i]["tagsCode"].i);
    }
  }
  EXPECT_EQ(Cli({"dump", "cq", golden + test::kSmallStore, "NoSuchTopic", "0"}).code, 2);
}

TEST(Cli, DumpIndexAndCheckpoint) {
  MQ_GOLDEN_OR_SKIP(golden);
  const CliResult index = Cli({"dump", "index", golden + test::kSmallStore + "/index/20261125004953249", "--json"});
  ASSERT_EQ(index.code, 0) << index.err;
  const auto lines = index.Lines();
  ASSERT_EQ(lines.size(), 400u) << "the header and 399 live entries";
  EXPECT_EQ(lines[0]["indexCount"].i, 400);
  EXPECT_EQ(lines[0]["maxHashSlotNum"].i, 100);
  EXPECT_EQ(lines[1]["entry"].i, 1);
  EXPECT_EQ(lines[1]["phyOffset"].i, 0);

  const CliResult cp = Cli({"dump", "checkpoint", golden + test::kSmallStore, "--json"});
  ASSERT_EQ(cp.code, 0);
  const auto want = test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-checkpoint.json")[0];
  const auto got = cp.Lines()[0];
  for (const char* k : {"physicMsgTimestamp", "logicsMsgTimestamp", "indexMsgTimestamp"}) EXPECT_EQ(got[k].i, want[k].i);
  EXPECT_NE(Cli({"dump", "checkpoint", golden + test::kSmallStore}).out.find("2026-11-25T00:49:56.609Z"),
            std::string::npos);
}

TEST(Cli, QueryFindsWhatRocketMqFound) {
  MQ_GOLDEN_OR_SKIP(golden);
  for (const auto& q : test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-queries.jsonl")) {
    const std::string full = q["query"].s;
    const size_t hash = full.find('#');
    const CliResult r =
        Cli({"query", golden + test::kSmallStore, "--topic", full.substr(0, hash), "--key", full.substr(hash + 1), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<int64_t> got, want;
    for (const auto& line : r.Lines()) got.push_back(line["commitLogOffset"].i);
    for (const auto& v : q["commitLogOffsets"].array) want.push_back(v.i);
    EXPECT_EQ(got, want) << full;
  }
  const CliResult none = Cli({"query", golden + test::kSmallStore, "--topic", "TopicA", "--key", "no-such-key"});
  EXPECT_EQ(none.code, 0);
  EXPECT_NE(none.out.find("0 message(s)"), std::string::npos);
}

TEST(Cli, InspectAndVerifyGolden) {
  MQ_GOLDEN_OR_SKIP(golden);
  const CliResult inspect = Cli({"inspect", golden + test::kSmallStore, "--json"});
  ASSERT_EQ(inspect.code, 0) << inspect.err;
  const auto store = inspect.Lines()[0];
  EXPECT_EQ(store["type"].s, "store");
  EXPECT_EQ(store["records"].i, 943);
  EXPECT_EQ(store["minPhyOffset"].i, 0);
  EXPECT_EQ(store["maxPhyOffset"].i, 383282);
  EXPECT_FALSE(store["abort"].b);
  const CliResult text = Cli({"inspect", golden + test::kSmallStore});
  EXPECT_NE(text.out.find("blank 1909"), std::string::npos);
  EXPECT_NE(text.out.find("abort file: absent"), std::string::npos);

  const CliResult verify = Cli({"verify", golden + test::kSmallStore});
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_NE(verify.out.find("0 problem(s)"), std::string::npos);
}

TEST(Cli, VerifyAndInspectReportDamageWithFileAndOffset) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::TempDir tmp;
  const std::string root = tmp.path() + "/store";
  test::CopyTree(golden + test::kSmallStore, root);
  test::PatchI32(root + test::kSegment2, 4, 0x01020304);
  const CliResult verify = Cli({"verify", root, "--json"});
  EXPECT_EQ(verify.code, 1);
  bool found = false;
  for (const auto& line : verify.Lines())
    found = found || (line["type"].s == "problem" && line["offset"].i == 131072 &&
                      line["file"].s == root + test::kSegment2);
  EXPECT_TRUE(found) << verify.out;
  EXPECT_EQ(Cli({"inspect", root}).code, 1);
  const CliResult dump = Cli({"dump", "commitlog", root, "--json"});
  EXPECT_EQ(dump.code, 1);
  EXPECT_NE(dump.out.find("{\"commitLogOffset\": 131072, \"error\": "), std::string::npos);
  EXPECT_NE(dump.out.find("\"commitLogOffset\": 196608"), std::string::npos) << "the dump goes on with the next file";
}

TEST(Cli, BrokerConfDescribesTheStoreLayout) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::TempDir tmp;
  const std::string good = tmp.path() + "/good.conf", wrong = tmp.path() + "/wrong.conf", bad = tmp.path() + "/bad.conf";
  std::ofstream(good) << "brokerName=broker-a\nmappedFileSizeCommitLog=65536\nmappedFileSizeConsumeQueue=6000\n"
                         "maxHashSlotNum=100\nmaxIndexNum=400\nflushDiskType=SYNC_FLUSH\n";
  std::ofstream(wrong) << "maxHashSlotNum=1000\n";
  std::ofstream(bad) << "maxIndexNum=lots\n";
  EXPECT_EQ(Cli({"verify", golden + test::kSmallStore, "--config", good}).code, 0);
  const CliResult w = Cli({"verify", golden + test::kSmallStore, "--config", wrong});
  EXPECT_EQ(w.code, 1) << "index files do not match the configured geometry";
  EXPECT_NE(w.out.find("expected 400004040 for 1000 slots"), std::string::npos) << w.out;
  // A key the file leaves out is RocketMQ's default (1 GiB segments), as it
  // was for the broker; flags override the file.
  EXPECT_EQ(Cli({"verify", golden + test::kSmallStore, "--config", wrong, "--index-slots", "100", "--index-entries",
                 "400", "--commitlog-size", "64k", "--cq-file-size", "6000"})
                .code,
            0);
  const CliResult b = Cli({"inspect", golden + test::kSmallStore, "--config", bad});
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("bad.conf:1: maxIndexNum"), std::string::npos) << b.err;
}

TEST(Cli, GenWritesAStoreThatVerifies) {
  test::TempDir tmp;
  const std::string root = tmp.path() + "/gen", conf = tmp.path() + "/broker.conf";
  // RocketMQ's default index geometry makes a 420 MB index file; a
  // broker.conf with a small one keeps the test fast (4 entries a slot: the
  // readers infer it).
  std::ofstream(conf) << "maxHashSlotNum=1024\nmaxIndexNum=4096\n";
  const CliResult gen = Cli({"gen", root, "--messages", "3000", "--body-size", "100", "--topics", "3", "--queues", "2",
                             "--segment-size", "64k", "--config", conf});
  ASSERT_EQ(gen.code, 0) << gen.err;
  const CliResult verify = Cli({"verify", root});
  EXPECT_EQ(verify.code, 0) << verify.out;

  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(root + "/commitlog")) {
    EXPECT_EQ(e.path().filename().string().size(), 20u);
    EXPECT_EQ(std::filesystem::file_size(e.path()), 65536u) << "segments are full size";
    ++files;
  }
  const CliResult inspect = Cli({"inspect", root, "--json"});
  ASSERT_EQ(inspect.code, 0);
  const auto lines = inspect.Lines();
  EXPECT_EQ(lines[0]["records"].i, 3000);
  EXPECT_EQ(static_cast<size_t>(lines[0]["segments"].i), files);
  size_t blanks = 0;
  for (const auto& l : lines)
    if (l["type"].s == "segment" && l["tail"].s == "blank") {
      ++blanks;
      EXPECT_EQ(l["dataEnd"].i + l["tailSize"].i, *ParseSegmentFileName(l["file"].s) + 65536);
    }
  // Every segment but the one being written ends in a blank record; the
  // engine also keeps the next one created (all zeros).
  EXPECT_GE(blanks + 2, files);
  EXPECT_GE(blanks, 3u);

  std::map<std::pair<std::string, int64_t>, int64_t> next;
  int64_t last_time = 0;
  for (const auto& r : Cli({"dump", "commitlog", root, "--json"}).Lines()) {
    if (r.Has("blank")) continue;
    int64_t& n = next[{r["topic"].s, r["queueId"].i}];
    EXPECT_EQ(r["queueOffset"].i, n++);
    EXPECT_GE(r["storeTimestamp"].i, last_time);
    last_time = r["storeTimestamp"].i;
    EXPECT_TRUE(r["crcOk"].b);
  }
  EXPECT_EQ(next.size(), 6u);

  const CliResult again =
      Cli({"gen", root, "--messages", "500", "--body-size", "100", "--segment-size", "64k", "--config", conf});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(Cli({"inspect", root, "--json"}).Lines()[0]["records"].i, 3500) << "an existing store is appended to";
  EXPECT_EQ(Cli({"verify", root}).code, 0);
  EXPECT_EQ(Cli({"gen", tmp.path() + "/empty", "--messages", "0"}).code, 0);
  EXPECT_EQ(Cli({"gen", tmp.path() + "/x", "--segment-size", "1"}).code, 2);
}

}  // namespace
}  // namespace mqstore
