// IoQueue: batches of 1 KiB record writes, each batch made durable by one
// fdatasync, through the sync and the io_uring queue. Results: bench/RESULTS.md.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "storage/io/io_queue.h"

namespace mqstore {
namespace {

constexpr size_t kRecord = 1024;
constexpr uint64_t kFileSize = 64 << 20;  // writes wrap around inside it

std::string TempDirPath() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/io_queue_bench.XXXXXX";
  return mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
}

void BM_WriteDataSync(benchmark::State& state, const char* kind) {
  const size_t batch = static_cast<size_t>(state.range(0));
  std::unique_ptr<IoQueue> io = NewSyncIoQueue();
  if (std::string(kind) == "uring") {
    auto q = NewUringIoQueue(256);
    if (!q.ok()) return state.SkipWithError(q.error().ToString().c_str());
    io = std::move(*q);
  }
  const std::string dir = TempDirPath();
  FileSystem& fs = FileSystem::Default();
  auto file = fs.OpenRandomRW(dir + "/log", OpenMode::kCreateIfMissing);
  if (dir.empty() || !file.ok() || !(*file)->Preallocate(kFileSize).ok())
    return state.SkipWithError("cannot create the temp file");
  RandomRWFile& f = **file;
  const std::vector<uint8_t> records(batch * kRecord, 'r');
  std::vector<uint64_t> tickets(batch);
  uint64_t pos = 0;
  for (auto _ : state) {
    if (pos + records.size() > kFileSize) pos = 0;
    for (size_t i = 0; i < batch; ++i)
      tickets[i] = io->Write(f, pos + i * kRecord, std::span<const uint8_t>(records).subspan(i * kRecord, kRecord));
    bool ok = true;
    for (uint64_t t : tickets) ok = io->Wait(t).ok() && ok;  // every ticket is waited for
    if (!ok || !io->Wait(io->DataSync(f)).ok()) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    pos += records.size();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(records.size()));
  file->reset();
  (void)fs.RemoveAll(dir);
}
BENCHMARK_CAPTURE(BM_WriteDataSync, sync, "sync")->Arg(16)->Arg(64)->Arg(256)->UseRealTime();
BENCHMARK_CAPTURE(BM_WriteDataSync, uring, "uring")->Arg(16)->Arg(64)->Arg(256)->UseRealTime();

}  // namespace
}  // namespace mqstore
