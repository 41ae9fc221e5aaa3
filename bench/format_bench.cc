// Micro-benchmarks of the format/ codecs: record decode and encode, CRC,
// String.hashCode, property lookup, CQ unit decode. Results: bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "format/consume_queue_unit.h"
#include "format/crc32.h"
#include "format/java_string_hash.h"
#include "format/message_record.h"

namespace mqstore {
namespace {

const std::string& Props() {
  static const std::string p = std::string("KEYS\x01order-12345 customer-42\x02UNIQ_KEY\x01") +
                               "7F0000010A2B18B4AAC27E5E8C1B0000\x02TAGS\x01TagA\x02WAIT\x01true\x02" + "CLUSTER\x01" +
                               "DefaultCluster";
  return p;
}

std::vector<uint8_t> Record(size_t body_size) {
  static std::vector<uint8_t> body;
  body.assign(body_size, 'x');
  MessageRecordFields f;
  f.topic = "BenchTopic0";
  f.queue_id = 3;
  f.born_timestamp = 1700000000000;
  f.born_host = SocketAddress::V4(10, 0, 0, 1, 50000);
  f.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
  f.body = body;
  f.properties = Props();
  std::vector<uint8_t> out;
  (void)EncodeRecordTo(f, out);
  PatchAppendFields(out.data(), 12345, 1 << 30, 1700000000123);
  return out;
}

void BM_DecodeRecord(benchmark::State& state) {
  const auto rec = Record(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto d = DecodeRecord(rec);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(rec.size()));
}
BENCHMARK(BM_DecodeRecord)->Arg(1024)->Arg(64 * 1024);

void BM_DecodeRecordWithCrc(benchmark::State& state) {
  const auto rec = Record(static_cast<size_t>(state.range(0)));
  const RecordDecodeOptions options{kDefaultMaxRecordSize, true};
  for (auto _ : state) {
    auto d = DecodeRecord(rec, options);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(rec.size()));
}
BENCHMARK(BM_DecodeRecordWithCrc)->Arg(1024)->Arg(64 * 1024);

void BM_EncodeRecord(benchmark::State& state) {
  std::vector<uint8_t> body(static_cast<size_t>(state.range(0)), 'x');
  MessageRecordFields f;
  f.topic = "BenchTopic0";
  f.born_host = SocketAddress::V4(10, 0, 0, 1, 50000);
  f.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
  f.body = body;
  f.properties = Props();
  std::vector<uint8_t> out(static_cast<size_t>(*EncodedRecordSize(f)));
  for (auto _ : state) {
    auto r = EncodeRecord(f, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_EncodeRecord)->Arg(1024)->Arg(64 * 1024);

void BM_PatchAppendFields(benchmark::State& state) {
  auto rec = Record(1024);
  int64_t n = 0;
  for (auto _ : state) {
    PatchAppendFields(rec.data(), n, n * 1100, 1700000000000 + n);
    benchmark::DoNotOptimize(rec.data());
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PatchAppendFields);

void BM_BodyCrc(benchmark::State& state) {
  std::vector<uint8_t> body(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(BodyCrc(body));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BodyCrc)->Arg(1024)->Arg(64 * 1024);

void BM_JavaStringHashCode(benchmark::State& state, std::string text) {
  for (auto _ : state) benchmark::DoNotOptimize(JavaStringHashCode(text));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK_CAPTURE(BM_JavaStringHashCode, tag, std::string("TagA"));
BENCHMARK_CAPTURE(BM_JavaStringHashCode, ascii_1k, std::string(1024, 'k'));
BENCHMARK_CAPTURE(BM_JavaStringHashCode, cjk_1k, [] {
  std::string s;
  while (s.size() + 3 <= 1024) s += "\xE4\xB8\xAD";
  return s;
}());

void BM_PropertyGetUniqKey(benchmark::State& state) {
  const PropertiesView view(Props());
  for (auto _ : state) benchmark::DoNotOptimize(view.Get("UNIQ_KEY"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PropertyGetUniqKey);

void BM_DecodeCqUnit(benchmark::State& state) {
  uint8_t buf[kCqUnitSize];
  EncodeCqUnit({1 << 30, 1100, 2598919}, buf);
  for (auto _ : state) {
    auto u = DecodeCqUnit(buf);
    benchmark::DoNotOptimize(u);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeCqUnit);

}  // namespace
}  // namespace mqstore
