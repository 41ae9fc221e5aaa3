// `mqstore bench`, run in-process with tiny workloads: the JSON it prints,
// the ack log against the store, sweeps and plots, and usage errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "storage/message_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/dir_snapshot.h"
#include "tests/support/golden.h"
#include "tests/tools/cli_test_util.h"
#include "tools/bench_workloads.h"
#include "tools/cli.h"

namespace mqstore {
namespace {

using test::Cli;
using test::CliResult;
using J = test::Json;

// `bench` with small segments and short ceilings, plus `extra`.
CliResult Bench(const std::string& workload, std::vector<std::string> extra) {
  std::vector<std::string> args = {"bench", "--workload", workload, "--msg-size", "128", "--ceiling-seconds", "0.02",
                                   "--set", "mappedFileSizeCommitLog=1048576", "--set", "flushIntervalCommitLog=10"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Cli(args);
}

// Index files of 84 KB instead of the default 420 MB.
std::vector<std::string> SmallIndex(std::vector<std::string> extra) {
  extra.insert(extra.end(), {"--set", "maxHashSlotNum=1000", "--set", "maxIndexNum=4000"});
  return extra;
}

J BenchJson(const std::string& workload, std::vector<std::string> extra) {
  extra.push_back("--json");
  const CliResult r = Bench(workload, extra);
  EXPECT_EQ(r.code, 0) << r.err << r.out;
  return test::ParseJson(r.out);
}

void ExpectCommonKeys(const J& j, double messages) {
  for (const char* key : {"workload", "flush", "backend", "io_engine", "producers", "msg_size", "messages", "seconds",
                          "msgs_per_sec", "mb_per_sec", "latency_us", "group_size_avg", "syncs", "failures",
                          "ceiling", "ratio_to_ceiling"})
    EXPECT_TRUE(j.Has(key)) << key;
  EXPECT_EQ(j["messages"].d, messages);
  EXPECT_EQ(j["failures"].d, 0);
  EXPECT_EQ(j["msg_size"].d, 128);
  EXPECT_GT(j["msgs_per_sec"].d, 0);
  EXPECT_GT(j["mb_per_sec"].d, 0);
  EXPECT_GT(j["seconds"].d, 0);
  EXPECT_TRUE(j["backend"].s == "mmap" || j["backend"].s == "write") << j["backend"].s;
  for (const char* p : {"p50", "p99", "p999", "max"}) EXPECT_TRUE(j["latency_us"].Has(p)) << p;
  EXPECT_LE(j["latency_us"]["p50"].d, j["latency_us"]["p99"].d);
  EXPECT_LE(j["latency_us"]["p99"].d, j["latency_us"]["max"].d);
  for (const char* c : {"memcpy_mapped_msgs_per_sec", "buffered_write_mb_per_sec", "fdatasync_p99_us"}) {
    EXPECT_TRUE(j["ceiling"].Has(c)) << c;
    EXPECT_GT(j["ceiling"][c].d, 0) << c;
  }
}

TEST(Bench, HelpListsEveryFlag) {
  const CliResult r = Cli({"bench", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: mqstore bench"), std::string::npos);
  for (const char* workload : {"put-sync", "read", "recover", "dispatch"})
    EXPECT_NE(r.out.find("  " + std::string(workload) + " "), std::string::npos) << workload;
  for (const char* flag : {"--workload", "--producers", "--msg-size", "--messages", "--seconds", "--topics", "--queues",
                           "--flush", "--backend", "--config", "--dir", "--keep", "--json", "--ack-log", "--inflight",
                           "--set", "--sweep", "--plot", "--ceiling-seconds", "--dedup", "--dup-fraction"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST(Bench, PutReportsThroughputLatencyAndTheMemcpyCeiling) {
  const J j = BenchJson("put", {"--messages", "2000", "--backend", "write"});
  ExpectCommonKeys(j, 2000);
  EXPECT_EQ(j["workload"].s, "put");
  EXPECT_EQ(j["flush"].s, "async");
  EXPECT_EQ(j["backend"].s, "write");
  EXPECT_EQ(j["producers"].d, 1);
  EXPECT_EQ(j["ratio_ceiling"].s, "fresh_page_memcpy_msgs_per_sec");
  EXPECT_GT(j["ratio_to_ceiling"].d, 0);
  EXPECT_GE(j["durable_mb_per_sec"].d, 0);
  EXPECT_FALSE(j.Has("durable_to_seq_write")) << "runs of 60 s and more only";
}

// The async ceiling is fresh-page memcpy measured around the run, in the
// memory state the engine ran in, and the run says which state that was.
TEST(Bench, AsyncPutsAreComparedWithFreshPageMemcpyMeasuredAroundTheRun) {
  const J j = BenchJson("put", {"--messages", "2000"});
  const J& c = j["ceiling"];
  for (const char* name : {"fresh_page_memcpy_msgs_per_sec", "fresh_page_memcpy_before_msgs_per_sec",
                           "fresh_page_memcpy_after_msgs_per_sec", "first_touch_before_mb_per_sec",
                           "first_touch_after_mb_per_sec", "memcpy_mapped_msgs_per_sec",
                           "memcpy_mapped_before_msgs_per_sec", "memcpy_mapped_after_msgs_per_sec",
                           "seq_write_mb_per_sec", "seq_write_before_mb_per_sec", "seq_write_after_mb_per_sec"}) {
    ASSERT_TRUE(c.Has(name)) << name;
    EXPECT_GT(c[name].d, 0) << name;
  }
  const double before = c["fresh_page_memcpy_before_msgs_per_sec"].d;
  const double after = c["fresh_page_memcpy_after_msgs_per_sec"].d;
  EXPECT_NEAR(c["fresh_page_memcpy_msgs_per_sec"].d, (before + after) / 2, 0.1) << "the mean of both";
  EXPECT_NEAR(c["seq_write_mb_per_sec"].d,
              (c["seq_write_before_mb_per_sec"].d + c["seq_write_after_mb_per_sec"].d) / 2, 0.1);
  EXPECT_NEAR(j["ratio_to_ceiling"].d, j["msgs_per_sec"].d / c["fresh_page_memcpy_msgs_per_sec"].d, 1e-3);
  const double touch = std::min(c["first_touch_before_mb_per_sec"].d, c["first_touch_after_mb_per_sec"].d);
  const auto record_bytes = cli::bench::BenchRecordSize(static_cast<int64_t>(j["msg_size"].d));
  const double fresh = std::min(before, after) * static_cast<double>(record_bytes) / 1e6;
  EXPECT_EQ(j["memory_state"].s, std::min(touch, fresh) < 1500 ? "cold" : "warm") << touch << " " << fresh;
  EXPECT_GT(j["warm_up_touch_mb_per_sec"].d, 0) << "memory is warmed just before the producers start";
  const CliResult text = Bench("put", {"--messages", "2000"});
  EXPECT_NE(text.out.find("run 1: memory "), std::string::npos) << text.out;
}

TEST(Bench, SyncPutsKeepTheirCeilingAndNoCeilingsMeanNoMemoryState) {
  const J j = BenchJson("put-sync", {"--messages", "200", "--producers", "2"});
  EXPECT_EQ(j["ratio_ceiling"].s, "group_commit_msgs_per_sec");
  EXPECT_TRUE(j["ceiling"].Has("fresh_page_memcpy_msgs_per_sec")) << "measured for every put run";
  const J none = BenchJson("put", {"--messages", "200", "--ceiling-seconds", "0"});
  EXPECT_FALSE(none.Has("memory_state")) << "no ceilings, no memory state";
}

TEST(Bench, PutSyncGroupCommitsAgainstTheGroupCommitCeiling) {
  const J j = BenchJson("put-sync", {"--messages", "2000", "--producers", "4"});
  ExpectCommonKeys(j, 2000);
  EXPECT_EQ(j["flush"].s, "sync");
  EXPECT_EQ(j["producers"].d, 4);
  EXPECT_GT(j["syncs"].d, 0);
  EXPECT_GE(j["group_size_avg"].d, 1);
  EXPECT_GT(j["ceiling"]["group_commit_msgs_per_sec"].d, 0);
  EXPECT_EQ(j["ratio_ceiling"].s, "group_commit_msgs_per_sec");
  EXPECT_GT(j["ratio_to_ceiling"].d, 0);
  EXPECT_FALSE(j.Has("p99_to_fdatasync_p99")) << "only for one producer";
}

// --replica: the same put-sync run unreplicated, then as SYNC_MASTER with
// an in-process slave; with --replica-root the slave's store is made in
// that directory (a disk of its own) and removed afterwards, or kept and
// named with --keep.
TEST(Bench, PutSyncReplicaComparesWithTheUnreplicatedRunAndPutsTheSlaveWhereAsked) {
  test::TempDir slaves;
  const J j = BenchJson("put-sync", SmallIndex({"--messages", "1000", "--producers", "4", "--replica",
                                                "--replica-root", slaves.path(), "--replica-nice", "7"}));
  ExpectCommonKeys(j, 1000);
  EXPECT_GT(j["unreplicated_msgs_per_s"].d, 0);
  EXPECT_GT(j["ratio_to_unreplicated"].d, 0);
  EXPECT_GT(j["p99_to_unreplicated_p99"].d, 0);
  EXPECT_TRUE(j.Has("replication_lag_max_bytes"));
  EXPECT_EQ(j["replica_nice"].d, 7);
  // The slave's flush, dispatch, cleanup and HA threads at least; none of the master's.
  EXPECT_GE(j["replica_threads_at_nice"].d, 4) << "the slave's threads run at the nice asked";
  EXPECT_TRUE(std::filesystem::is_empty(slaves.path())) << "the slave's store is removed with the run";

  const CliResult kept = Bench("put-sync", SmallIndex({"--messages", "200", "--producers", "2", "--replica",
                                                       "--replica-root", slaves.path(), "--keep"}));
  ASSERT_EQ(kept.code, 0) << kept.err;
  std::vector<std::string> made;
  for (const auto& e : std::filesystem::directory_iterator(slaves.path())) made.push_back(e.path().string());
  ASSERT_EQ(made.size(), 1u);
  EXPECT_NE(kept.err.find("slave store kept at " + made[0]), std::string::npos) << kept.err;
  EXPECT_TRUE(std::filesystem::is_directory(made[0] + "/commitlog")) << "the slave wrote its log there";
  // The master's temporary store, kept too: not left behind by the test.
  const std::string said = "bench: store kept at ";
  const auto at = kept.err.find(said);
  ASSERT_NE(at, std::string::npos) << kept.err;
  const std::string master = kept.err.substr(at + said.size(), kept.err.find('\n', at) - at - said.size());
  EXPECT_TRUE(std::filesystem::is_directory(master + "/master/commitlog")) << master;
  std::filesystem::remove_all(master);
}

TEST(Bench, PutSyncInflightAgainstTheRaw1MiBSyncCeiling) {
  const J j = BenchJson("put-sync", {"--messages", "2000", "--producers", "2", "--inflight", "8"});
  ExpectCommonKeys(j, 2000);
  EXPECT_EQ(j["inflight"].d, 8);
  EXPECT_GT(j["ceiling"]["raw_1mib_sync_msgs_per_sec"].d, 0);
  EXPECT_EQ(j["ratio_ceiling"].s, "raw_1mib_sync_msgs_per_sec");
  EXPECT_GT(j["ratio_to_ceiling"].d, 0);
}

TEST(Bench, ReadCountsWhatWasWrittenAndReusesAStore) {
  const J j = BenchJson("read", SmallIndex({"--messages", "2000", "--topics", "2", "--queues", "3"}));
  ExpectCommonKeys(j, 2000);
  EXPECT_EQ(j["read"]["written"].d, 2000);
  EXPECT_TRUE(j["read"]["count_ok"].b);
  const J& queues = j["read"]["queues"];
  ASSERT_EQ(queues.array.size(), 6u);
  double sum = 0;
  for (const J& q : queues.array) sum += q["messages"].d;
  EXPECT_EQ(sum, 2000);

  test::TempDir tmp;
  ASSERT_EQ(Bench("put", SmallIndex({"--messages", "500", "--dir", tmp.path()})).code, 0);
  const test::TreeSnapshot before = test::SnapshotTree(tmp.path());
  const J again = BenchJson("read", SmallIndex({"--dir", tmp.path()}));
  EXPECT_EQ(again["messages"].d, 500) << "an existing store is read, not written";
  EXPECT_EQ(again["read"]["written"].d, 0);
  EXPECT_EQ(again["read"]["consumed"].d, 500);
  test::ExpectSameTree(before, test::SnapshotTree(tmp.path()));
}

TEST(Bench, ReadRefusesADamagedStoreAndCutsNothing) {
  test::TempDir tmp;
  ASSERT_EQ(Bench("put", SmallIndex({"--messages", "500", "--dir", tmp.path()})).code, 0);
  // The first record's magic code, in a log that was shut down cleanly.
  test::PatchI32(tmp.path() + "/commitlog/00000000000000000000", 4, 0x12345678);
  const test::TreeSnapshot before = test::SnapshotTree(tmp.path());
  const CliResult r = Bench("read", SmallIndex({"--dir", tmp.path(), "--set", "recoveryCorruptionPolicy=truncate"}));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.err;
  test::ExpectSameTree(before, test::SnapshotTree(tmp.path()));
}

TEST(Bench, ReadPullsFiltersAndQueriesWhatWasWritten) {
  const J j = BenchJson("read", SmallIndex({"--messages", "5000", "--topics", "2", "--queues", "2"}));
  ExpectCommonKeys(j, 5000);
  const J& read = j["read"];
  EXPECT_TRUE(read["count_ok"].b);
  EXPECT_EQ(read["consumed"].d, 5000) << "GetMessage delivers every stored message";
  EXPECT_TRUE(read["consume_ok"].b) << read["first_problem"].s;
  // 1250 messages per queue: the 1st and the 1001st of each are tagged Rare.
  EXPECT_EQ(read["rare"].d, 8);
  EXPECT_EQ(read["filtered_bitmap"].d, 8);
  EXPECT_EQ(read["filtered_scan"].d, 8);
  EXPECT_TRUE(read["filtered_ok"].b);
  EXPECT_EQ(read["queries"].d, 5000) << "every key is sampled below 100000";
  EXPECT_EQ(read["query_misses"].d, 0);
  EXPECT_EQ(read["first_problem"].s, "");
  for (const char* key : {"get_message_msgs_per_s", "filtered_bitmap_msgs_per_s", "filtered_scan_msgs_per_s",
                          "bitmap_speedup", "query_p50_us", "query_p99_us"})
    EXPECT_GT(j[key].d, 0) << key;
  EXPECT_LE(j["query_p50_us"].d, j["query_p99_us"].d);

  const CliResult table = Bench("read", SmallIndex({"--messages", "300", "--queues", "1", "--ceiling-seconds", "0"}));
  ASSERT_EQ(table.code, 0) << table.err;
  for (const char* text : {"get_message_msgs_per_s", "bitmap_speedup", "query_p99_us",
                           "GetMessage delivered 300: count ok", "1 by bitmap, 1 by scan", "300 keys, 0 missed"})
    EXPECT_NE(table.out.find(text), std::string::npos) << text << "\n" << table.out;
}

TEST(Bench, DispatchTimesDispatchOnceAgainstThePutRate) {
  test::TempDir tmp;
  const std::vector<std::string> args = {"--messages", "3000", "--topics", "2", "--queues", "3", "--dir", tmp.path()};
  const J j = BenchJson("dispatch", SmallIndex(args));
  ExpectCommonKeys(j, 3000);
  EXPECT_EQ(j["workload"].s, "dispatch");
  EXPECT_EQ(j["flush"].s, "async");
  for (const char* key : {"put_msgs_per_s", "dispatch_msgs_per_s", "dispatch_to_put"}) EXPECT_GT(j[key].d, 0) << key;
  EXPECT_NEAR(j["dispatch_to_put"].d, j["dispatch_msgs_per_s"].d / j["put_msgs_per_s"].d,
              1e-3 * j["dispatch_to_put"].d);
  EXPECT_NEAR(j["msgs_per_sec"].d, j["dispatch_msgs_per_s"].d, 1) << "the run's rate is the dispatch's";
  const J& d = j["dispatch"];
  EXPECT_EQ(d["put"].d, 3000);
  EXPECT_EQ(d["dispatched"].d, 3000);
  EXPECT_EQ(d["queue_units"].d, 3000);
  EXPECT_EQ(d["index_keys"].d, 6000) << "UNIQ_KEY and KEYS";
  EXPECT_TRUE(d["count_ok"].b);

  // On the same store only what this run put counts; the table notes it.
  const CliResult again = Bench("dispatch", SmallIndex({"--messages", "500", "--dir", tmp.path(),
                                                        "--topics", "2", "--queues", "3", "--ceiling-seconds", "0"}));
  ASSERT_EQ(again.code, 0) << again.err << again.out;
  for (const char* text : {"dispatch_to_put", "dispatched 500 of 500 messages put: 500 consume-queue units, "
                                              "1000 index keys (expected 1000): counts ok"})
    EXPECT_NE(again.out.find(text), std::string::npos) << text << "\n" << again.out;
}

TEST(Bench, RecoverChecksEveryRecordAbnormally) {
  const J j = BenchJson("recover", {"--messages", "2000", "--producers", "2"});
  ExpectCommonKeys(j, 2000);
  const J& rec = j["recovery"];
  for (const char* key : {"records_checked", "bytes_checked", "took_ms", "mb_per_sec", "abnormal"})
    EXPECT_TRUE(rec.Has(key)) << key;
  EXPECT_EQ(rec["records_checked"].d, 2000);
  EXPECT_GT(rec["bytes_checked"].d, 2000 * 128);
  EXPECT_TRUE(rec["abnormal"].b);
  EXPECT_EQ(j["ratio_to_ceiling"].kind, J::Kind::kNull);
}

// Every acknowledged line names a stored message with that UNIQ_KEY.
void ExpectAckLogMatchesStore(const std::string& root, const std::string& ack_log, size_t lines_expected) {
  StoreConfig config;
  config.storePathRootDir = root;
  config.mappedFileSizeCommitLog = 1048576;
  auto store = MessageStore::Open(config);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  std::ifstream in(ack_log);
  std::string line;
  size_t lines = 0;
  std::set<std::string> keys;
  while (std::getline(in, line)) {
    ++lines;
    std::istringstream fields(line);
    int64_t offset = -1;
    std::string uniq;
    ASSERT_TRUE(fields >> offset >> uniq) << line;
    EXPECT_EQ(uniq.size(), 32u);
    keys.insert(uniq);
    auto view = (*store)->LookMessageByOffset(offset);
    ASSERT_TRUE(view.ok()) << line << ": " << view.error().ToString();
    EXPECT_EQ(view->message.properties().Get("UNIQ_KEY"), uniq) << line;
  }
  EXPECT_EQ(lines, lines_expected);
  EXPECT_EQ(keys.size(), lines_expected) << "unique keys";
  EXPECT_TRUE((*store)->Shutdown().ok());
}

TEST(Bench, AckLogNamesAcknowledgedMessages) {
  test::TempDir tmp;
  const std::string root = tmp.path() + "/store", ack = tmp.path() + "/acks.txt";
  ASSERT_EQ(Bench("put", {"--messages", "900", "--producers", "3", "--dir", root, "--ack-log", ack}).code, 0);
  ASSERT_EQ(Bench("put-sync", {"--messages", "300", "--producers", "2", "--inflight", "4", "--dir", root,
                               "--ack-log", ack, "--ceiling-seconds", "0"}).code, 0);
  ExpectAckLogMatchesStore(root, ack, 1200);
}

TEST(Bench, SweepGivesOnePointPerValueAndAPlot) {
  test::TempDir tmp;
  const std::string svg = tmp.path() + "/sweep.svg";
  const CliResult r = Bench("put-sync", {"--messages", "200", "--sweep", "producers=1,2", "--json", "--plot", svg});
  ASSERT_EQ(r.code, 0) << r.err;
  const J j = test::ParseJson(r.out);
  ASSERT_EQ(j.kind, J::Kind::kArray);
  ASSERT_EQ(j.array.size(), 2u);
  EXPECT_EQ(j.array[0]["sweep_value"].s, "1");
  EXPECT_EQ(j.array[1]["producers"].d, 2);
  EXPECT_GT(j.array[0]["p99_to_fdatasync_p99"].d, 0) << "one producer put-sync compares with fdatasync";
  std::ifstream in(svg);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("<svg", 0), 0u);
  EXPECT_NE(text.find("producers sweep"), std::string::npos);

  const CliResult table = Bench("put", {"--messages", "300", "--sweep", "queueing=1", "--ceiling-seconds", "0"});
  EXPECT_EQ(table.code, 2);
  EXPECT_NE(table.err.find("queueing"), std::string::npos) << table.err;
  const CliResult rows = Bench("put", {"--messages", "300", "--sweep", "backend=mmap,write", "--ceiling-seconds", "0"});
  ASSERT_EQ(rows.code, 0) << rows.err;
  EXPECT_NE(rows.out.find("\nmmap "), std::string::npos) << rows.out;
  EXPECT_NE(rows.out.find("\nwrite "), std::string::npos) << rows.out;
}

TEST(Bench, FailedPutsAreCountedByStatusAndTheRunGoesOn) {
  for (const char* inflight : {"0", "4"}) {
    std::vector<std::string> args = {"--messages", "50", "--set", "brokerRole=SLAVE", "--ceiling-seconds", "0",
                                     "--json"};
    if (std::string(inflight) != "0") args.insert(args.end(), {"--inflight", inflight});
    const CliResult r = Bench("put", args);
    EXPECT_EQ(r.code, 1) << "failed puts are a problem";
    const J j = test::ParseJson(r.out);
    EXPECT_EQ(j["messages"].d, 50) << inflight;
    EXPECT_EQ(j["failures"].d, 50);
    EXPECT_EQ(j["failures_by_status"]["SERVICE_NOT_AVAILABLE"].d, 50);
    EXPECT_NE(j["first_failure"].s.find("SERVICE_NOT_AVAILABLE: brokerRole is SLAVE"), std::string::npos)
        << j["first_failure"].s;
  }
  const CliResult table = Bench("put", {"--messages", "5", "--set", "brokerRole=SLAVE", "--ceiling-seconds", "0"});
  EXPECT_NE(table.out.find("5 failed put(s): SERVICE_NOT_AVAILABLE 5"), std::string::npos) << table.out;
}

TEST(Bench, SecondsBoundTheRun) {
  const J j = BenchJson("put", {"--seconds", "0.3", "--ceiling-seconds", "0"});
  EXPECT_GT(j["messages"].d, 0);
  EXPECT_GE(j["seconds"].d, 0.25);
  EXPECT_LT(j["seconds"].d, 3);
  EXPECT_EQ(j["ceiling"].keys.size(), 0u);
}

TEST(Bench, UsageErrorsNameTheProblem) {
  const auto expect = [](std::vector<std::string> args, const std::string& says) {
    args.insert(args.begin(), "bench");
    const CliResult r = Cli(args);
    EXPECT_EQ(r.code, 2) << says;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  };
  expect({"--workload", "frob"}, "unknown workload 'frob'");
  expect({}, "--workload is required");
  expect({"--workload", "put", "--plot", "x.svg"}, "--plot needs --sweep");
  expect({"--workload", "put", "--set", "bogusKey=1"}, "bogusKey");
  expect({"--workload", "put", "--set", "flushIntervalCommitLog=abc"}, "flushIntervalCommitLog");
  expect({"--workload", "put", "--set", "novalue"}, "key=value");
  expect({"--workload", "put", "--messages", "5", "--seconds", "1"}, "exclude each other");
  expect({"--workload", "put-sync", "--flush", "async"}, "contradicts");
  expect({"--workload", "put", "--backend", "disk"}, "--backend");
  expect({"--workload", "put", "--producers", "0"}, "--producers");
  expect({"--workload", "put", "--inflight", "0"}, "--inflight");
  expect({"--workload", "put", "--sweep", "producers="}, "--sweep");
  expect({"--workload", "put", "--bogus"}, "unknown option --bogus");
  expect({"--workload", "put", "--timers", "5"}, "--timers is for --workload timer");
  expect({"--workload", "timer", "--messages", "5"}, "counts --timers");
  expect({"--workload", "timer", "--precision-ms", "0"}, "timerPrecisionMs");
  expect({"--workload", "read", "--dedup"}, "--dedup is for --workload put or put-sync");
  expect({"--workload", "put", "--dup-fraction", "0.1"}, "--dup-fraction needs --dedup");
  expect({"--workload", "put-sync", "--replica-root", "."}, "--replica-root is for --replica");
  expect({"--workload", "put-sync", "--replica", "--replica-root", "/no/such/dir"}, "is not a directory");
  expect({"--workload", "put-sync", "--replica-nice", "5"}, "--replica-nice is for --replica");
  expect({"--workload", "put-sync", "--replica", "--replica-nice", "20"}, "--replica-nice must be an integer in [0, 19]");
  expect({"--workload", "put", "--dedup", "--dup-fraction", "1"}, "--dup-fraction must be a number in [0, 0.99]");
}

// --dedup: the same puts with duplicate suppression off and on, as four
// runs of half the messages in the order off, on, on, off (after a warm-up
// that is not counted). Two producers of
// 1500 puts, a fifth of each repeating an earlier message: 300 repeats
// each, 150 in each half, every one answered duplicate with dedup on and
// none off.
// A repeat resends a recent message (its original about 1000 puts back),
// not the producer's first: with a table too small for a run's keys, the
// recent originals are still there and every repeat is answered duplicate.
TEST(Bench, DedupRepeatsARecentMessageThatASmallTableStillHolds) {
  const J j = BenchJson("put", SmallIndex({"--messages", "10000", "--dedup", "--dup-fraction", "0.1", "--set",
                                           "dedupMaxEntries=2048"}));
  const J& d = j["dedup"];
  EXPECT_EQ(d["repeats_sent"].d, 1000);
  EXPECT_EQ(d["duplicates_answered"].d, 1000);
  EXPECT_GT(d["evictions"].d, 0) << "the table was full: keys of early puts went";
  EXPECT_TRUE(d["count_ok"].b);
}

TEST(Bench, DedupRunsOffOnOnOffAndCountsEveryDuplicateExactly) {
  test::TempDir tmp;
  const J j = BenchJson("put", SmallIndex({"--messages", "3000", "--producers", "2", "--dedup", "--dup-fraction",
                                           "0.2", "--dir", tmp.path()}));
  ExpectCommonKeys(j, 3000);
  ASSERT_TRUE(j.Has("dedup")) << "the dedup object";
  const J& d = j["dedup"];
  EXPECT_EQ(d["dup_fraction"].d, 0.2);
  EXPECT_EQ(d["repeats_sent"].d, 600);
  EXPECT_EQ(d["duplicates_answered"].d, 600);
  EXPECT_EQ(d["suppressed"].d, 600);
  EXPECT_EQ(d["off_duplicates_answered"].d, 0);
  EXPECT_EQ(d["entries"].d, 2400) << "one key per message stored, over both dedup-on runs";
  EXPECT_EQ(d["evictions"].d, 0);
  EXPECT_TRUE(d["count_ok"].b);
  ASSERT_EQ(d["runs"].array.size(), 4u) << "each run by itself";
  const char* order[] = {"dedup-off-1", "dedup-on-1", "dedup-on-2", "dedup-off-2"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(d["runs"].array[i]["store"].s, order[i]);
    EXPECT_GT(d["runs"].array[i]["msgs_per_sec"].d, 0) << order[i];
    EXPECT_GT(d["runs"].array[i]["producer_cpu_ns_per_put"].d, 0) << order[i];
    EXPECT_GT(d["runs"].array[i]["warm_up_touch_mb_per_sec"].d, 0) << order[i] << ": memory warmed before it";
  }
  ASSERT_TRUE(j.Has("dedup_off_msgs_per_s"));
  ASSERT_TRUE(j.Has("dedup_on_to_off"));
  EXPECT_GT(j["dedup_off_msgs_per_s"].d, 0);
  EXPECT_NEAR(j["dedup_on_to_off"].d, j["msgs_per_sec"].d / j["dedup_off_msgs_per_s"].d,
              1e-3 * j["dedup_on_to_off"].d);
  EXPECT_GT(j["producer_cpu_ns_per_put"].d, 0);
  EXPECT_NEAR(j["dedup_cpu_off_to_on"].d, j["dedup_off_producer_cpu_ns_per_put"].d / j["producer_cpu_ns_per_put"].d,
              1e-3 * j["dedup_cpu_off_to_on"].d);
  // Each run in its own store: with dedup off every put was stored, with
  // it on every message but the repeats; the stores' first records were
  // stored in the order off, on, on, off.
  struct Stored {
    int records = 0;
    int64_t first_store_time = 0;
  };
  const auto stored_in = [&](const std::string& sub) {
    StoreConfig c;
    c.storePathRootDir = tmp.path() + sub;
    c.mappedFileSizeCommitLog = 1048576;
    c.maxHashSlotNum = 1000;
    c.maxIndexNum = 4000;
    auto store = MessageStore::OpenReadOnly(c);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    Stored s;
    if (!store.ok()) return s;
    CommitLogCursor cursor = (*store)->NewCursor((*store)->GetMinPhyOffset());
    for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next())
      if (s.records++ == 0) s.first_store_time = e.message.store_timestamp;
    return s;
  };
  const Stored off1 = stored_in("/dedup-off-1"), on1 = stored_in("/dedup-on-1"), on2 = stored_in("/dedup-on-2"),
               off2 = stored_in("/dedup-off-2");
  EXPECT_EQ(off1.records, 1500);
  EXPECT_EQ(on1.records, 1200);
  EXPECT_EQ(on2.records, 1200);
  EXPECT_EQ(off2.records, 1500);
  EXPECT_LE(off1.first_store_time, on1.first_store_time);
  EXPECT_LE(on1.first_store_time, on2.first_store_time);
  EXPECT_LE(on2.first_store_time, off2.first_store_time);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/dedup-warm-up")) << "the warm-up's store is removed";
}

// Timers through the store's wheel, and the same pairs through a heap and a
// multimap: every timer is delivered, and every figure is there.
TEST(Bench, TimerDeliversEveryTimerAndComparesTheWheelWithAHeapAndASet) {
  const J j = BenchJson("timer", SmallIndex({"--timers", "3000", "--precision-ms", "100"}));
  EXPECT_EQ(j["workload"].s, "timer");
  EXPECT_EQ(j["messages"].d, 3000);
  EXPECT_EQ(j["failures"].d, 0) << j["first_failure"].s;
  for (const char* key : {"put_timers_per_sec", "enqueue_timers_per_sec", "deliver_timers_per_sec",
                          "heap_inserts_per_sec", "ordered_set_inserts_per_sec", "rss_mb"})
    EXPECT_GT(j[key].d, 0) << key;
  EXPECT_EQ(j["timerPrecisionMs"].d, 100);
  EXPECT_TRUE(j.Has("dispatch_behind_max_bytes"));
  EXPECT_GE(j["dispatch_caught_up_ms"].d, 0);
  EXPECT_EQ(j["pending_max"].d, 3000) << "all enqueued before the first came due";
  const J& late = j["lateness_ms"];
  EXPECT_GE(late["p50"].d, 100) << "a slot fires once its precision step has passed";
  EXPECT_LE(late["p50"].d, late["p99"].d);
  EXPECT_LE(late["p99"].d, late["max"].d);
}

}  // namespace
}  // namespace mqstore
