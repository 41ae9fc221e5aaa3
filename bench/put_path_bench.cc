// The put path's per-message budget, stage by stage (issue 18): each stage
// alone, at the sizes the bench harness puts (128 B and 1 KiB bodies), and
// the whole MessageStore::Put beside them, so the remainder (the lock, the
// positions, the stats, the wake-ups) is the whole minus the stages.
// Results: bench/RESULTS.md ("Step 11 ... per-message budget").
//
//   BM_ClockRead/<clock>        one clock_gettime: what each timestamp costs
//   BM_ProducerProperties       UNIQ_KEY, KEYS and TAGS encoded by the
//                               checking encoder (AppendProperties), as a
//                               client library would for every message;
//                               `mqstore bench` writes its three known-clean
//                               properties directly and pays less
//   BM_PutChecks                the topic check and the delay/timer scan
//                               every put passes before it is encoded
//   BM_EncodeRecordTo/<body>    the record appended to the thread's buffer:
//                               size, fields, properties, body copy, CRC
//   BM_BodyCrc/<body>           the body CRC alone (part of the encode)
//   BM_QueueOffsetLookup        the (topic, queue) → next offset table
//   BM_CopyIntoPrefaulted/<body> the record's copy into populated pages of a
//                               mapped file (the append itself)
//   BM_StorePut/<body>          the whole MessageStore::Put, one producer,
//                               ASYNC_FLUSH, mmap backend, dispatcher running
//
// CPU time per message is what the budget adds up (the default of Google
// Benchmark); BM_StorePut also reports real time, since a put that waits for
// a page the prefault thread has not reached yet spends it off the CPU.
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "format/crc32.h"
#include "format/message_record.h"
#include "format/properties.h"
#include "format/topic_name.h"
#include "storage/log/put_message.h"
#include "storage/log/queue_offset_table.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "mqstore/schedule_message.h"

namespace mqstore {
namespace {

void Check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "put_path_bench: %s\n", what.c_str());
  std::exit(1);
}

// Messages as `mqstore bench` makes them: a 32-hex UNIQ_KEY, KEYS k<n>,
// TAGS, one topic, queues in turn; a pool cycled so nothing is allocated
// per put.
class Pool {
 public:
  Pool(size_t body_size, size_t n) : body_(body_size, 'x'), props_(n), messages_(n) {
    for (size_t i = 0; i < n; ++i) {
      char uniq[40];
      std::snprintf(uniq, sizeof uniq, "7F0000010A2B18B4AAC2%012zX", i);
      const std::string keys = "k" + std::to_string(i);
      const std::vector<Property> list = {{property::kUniqKey, uniq}, {property::kKeys, keys}, {property::kTags, "TagA"}};
      Check(AppendProperties(props_[i], list).ok(), "properties");
      Message& m = messages_[i];
      m.topic = "BenchTopic0";
      m.queue_id = static_cast<int32_t>(i % 8);
      m.body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body_.data()), body_.size());
      m.properties = props_[i];
      m.born_timestamp = 1700000000000;
      m.born_host = SocketAddress::V4(10, 0, 0, 1, 50000);
      m.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
    }
  }
  const Message& operator[](size_t i) const { return messages_[i % messages_.size()]; }
  size_t size() const { return messages_.size(); }

 private:
  std::string body_;
  std::vector<std::string> props_;
  std::vector<Message> messages_;
};

constexpr size_t kPoolSize = 4096;

void BM_ClockRead(benchmark::State& state, clockid_t id) {
  timespec ts{};
  for (auto _ : state) {
    ::clock_gettime(id, &ts);
    benchmark::DoNotOptimize(ts);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ClockRead, monotonic, CLOCK_MONOTONIC);
BENCHMARK_CAPTURE(BM_ClockRead, realtime, CLOCK_REALTIME);
BENCHMARK_CAPTURE(BM_ClockRead, realtime_coarse, CLOCK_REALTIME_COARSE);

void BM_ProducerProperties(benchmark::State& state) {
  std::string out;
  std::vector<Property> list = {{property::kUniqKey, "7F0000010A2B18B4AAC27E5E8C1B0000"},
                                {property::kKeys, "k1234567"},
                                {property::kTags, "TagA"}};
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(AppendProperties(out, list));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProducerProperties);

void BM_PutChecks(benchmark::State& state) {
  const Pool pool(1024, kPoolSize);
  size_t i = 0;
  for (auto _ : state) {
    const Message& m = pool[i++];
    benchmark::DoNotOptimize(CheckTopicForPut(m.topic));
    benchmark::DoNotOptimize(MayNeedScheduleRewrite(m));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PutChecks);

void BM_EncodeRecordTo(benchmark::State& state) {
  const Pool pool(static_cast<size_t>(state.range(0)), kPoolSize);
  std::vector<uint8_t> out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    auto r = EncodeRecordTo(RecordFieldsOf(pool[i++], true), out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_EncodeRecordTo)->ArgName("body")->Arg(128)->Arg(1024);

void BM_BodyCrc(benchmark::State& state) {
  std::vector<uint8_t> body(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(BodyCrc(body));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BodyCrc)->ArgName("body")->Arg(128)->Arg(1024);

void BM_QueueOffsetLookup(benchmark::State& state) {
  QueueOffsetTable table;
  const Pool pool(16, 64);
  for (size_t i = 0; i < pool.size(); ++i) table.At(pool[i].topic, pool[i].queue_id);
  size_t i = 0;
  for (auto _ : state) {
    const Message& m = pool[i++];
    ++table.At(m.topic, m.queue_id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QueueOffsetLookup);

// The copy of encoded records into pages already populated (64 MiB, so the
// pages stay resident and only the copy is timed).
void BM_CopyIntoPrefaulted(benchmark::State& state) {
  const Pool pool(static_cast<size_t>(state.range(0)), 1);
  std::vector<uint8_t> record;
  Check(EncodeRecordTo(RecordFieldsOf(pool[0], true), record).ok(), "encode");
  constexpr size_t kArea = size_t{64} << 20;
  void* p = ::mmap(nullptr, kArea, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  Check(p != MAP_FAILED, "mmap");
  auto* area = static_cast<uint8_t*>(p);
  size_t pos = 0;
  for (auto _ : state) {
    if (pos + record.size() > kArea) pos = 0;
    std::memcpy(area + pos, record.data(), record.size());
    benchmark::ClobberMemory();
    pos += record.size();
  }
  ::munmap(p, kArea);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(record.size()));
}
BENCHMARK(BM_CopyIntoPrefaulted)->ArgName("body")->Arg(128)->Arg(1024);

// The whole put. 1,000,000 puts per run: about 1.1 GB at 1 KiB, one roll.
void BM_StorePut(benchmark::State& state) {
  SetLogSink({});
  const Pool pool(static_cast<size_t>(state.range(0)), kPoolSize);
  const std::string root =
      (std::filesystem::temp_directory_path() / ("put_path_bench." + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(root);
  StoreConfig config;
  config.storePathRootDir = root;
  {
    auto store = MessageStore::Open(config);
    Check(store.ok(), "MessageStore::Open: " + (store.ok() ? std::string() : store.error().ToString()));
    Check((*store)->Put(pool[0]).ok(), "warm-up put");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the prefault window is ahead
    size_t i = 1;
    uint64_t failed = 0;
    for (auto _ : state) failed += !(*store)->Put(pool[i++]).ok();
    state.counters["failed"] = static_cast<double>(failed);
    Check((*store)->Shutdown().ok(), "Shutdown");
  }
  std::filesystem::remove_all(root);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StorePut)->ArgName("body")->Arg(128)->Arg(1024)->Iterations(1'000'000)->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace mqstore
