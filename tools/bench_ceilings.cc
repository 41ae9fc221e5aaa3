// The ceiling measurements of `mqstore bench` (bench_ceilings.h): a scratch
// file per measurement, preallocated like a segment, written through
// RandomRWFile (or its writable mapping) and removed afterwards.
#include "tools/bench_ceilings.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "storage/log/latency_histogram.h"

namespace mqstore::cli::bench {
namespace {

constexpr uint64_t kScratchSize = 256ULL << 20;
constexpr size_t kMiB = 1 << 20;

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A preallocated scratch file under the directory, removed when destroyed.
class Scratch {
 public:
  static Result<std::unique_ptr<Scratch>> Create(const CeilingSetup& setup) {
    const std::string path = JoinPath(setup.dir, ".mqstore-bench-ceiling-" + std::to_string(::getpid()));
    auto file = setup.fs->OpenRandomRW(path, OpenMode::kCreateIfMissing);
    if (!file.ok()) return file.error();
    std::unique_ptr<Scratch> s(new Scratch(*setup.fs, path, std::move(*file)));
    MQ_RETURN_IF_ERROR(s->file_->Truncate(0));
    MQ_RETURN_IF_ERROR(s->file_->Preallocate(kScratchSize));
    return s;
  }
  ~Scratch() {
    file_.reset();
    Status st = fs_.Remove(path_);
    (void)st;  // best effort: a leftover scratch file is harmless
  }
  RandomRWFile& file() { return *file_; }

 private:
  Scratch(FileSystem& fs, std::string path, std::unique_ptr<RandomRWFile> file)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)) {}
  FileSystem& fs_;
  std::string path_;
  std::unique_ptr<RandomRWFile> file_;
};

std::vector<uint8_t> Pattern(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 131 + 7);
  return bytes;
}

// Writes `block` at successive positions (wrapping at the scratch size),
// with an fdatasync after each when `sync`, until the budget is spent or
// `max_rounds` is reached (after `min_rounds`). Calls `each(us)` per round.
template <typename Each>
Result<double> WriteRounds(const CeilingSetup& setup, size_t block_size, bool sync, int64_t min_rounds,
                           int64_t max_rounds, Each each, int64_t* rounds_out) {
  auto scratch = Scratch::Create(setup);
  if (!scratch.ok()) return scratch.error();
  RandomRWFile& file = (*scratch)->file();
  const std::vector<uint8_t> block = Pattern(block_size);
  uint64_t pos = 0;
  int64_t rounds = 0;
  const auto start = Clock::now();
  while (rounds < max_rounds && (rounds < min_rounds || Since(start) < setup.seconds)) {
    if (pos + block_size > kScratchSize) pos = 0;
    const auto t0 = Clock::now();
    MQ_RETURN_IF_ERROR(file.Write(pos, block));
    if (sync) MQ_RETURN_IF_ERROR(file.Sync());
    each(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
    pos += block_size;
    ++rounds;
  }
  *rounds_out = rounds;
  return Since(start);
}

size_t RecordBytes(const CeilingSetup& setup) { return static_cast<size_t>(std::max<int64_t>(setup.record_size, 1)); }

// Records memcpy'd into one new scratch file's mapping until it is full or
// `budget` seconds are spent; adds to `records` and `secs` (the copies
// only: the file's creation is not timed). `prefault`: its pages faulted in
// before timing, as the engine's allocator does ahead of the writer.
Status MemcpyIntoNewMapping(const CeilingSetup& setup, bool prefault, double budget, uint64_t& records,
                            double& secs) {
  auto scratch = Scratch::Create(setup);
  if (!scratch.ok()) return scratch.error();
  auto mapping = (*scratch)->file().Map(kScratchSize, /*writable=*/true);
  if (!mapping.ok()) return mapping.error();
  if (prefault) (*mapping)->Populate(0, kScratchSize, /*for_write=*/true);
  const std::span<uint8_t> dst = (*mapping)->data();
  const size_t rsize = RecordBytes(setup);
  const std::vector<uint8_t> record = Pattern(rsize);
  size_t pos = 0;
  const auto start = Clock::now();
  while (pos + rsize <= dst.size()) {
    std::memcpy(dst.data() + pos, record.data(), rsize);
    pos += rsize;
    if ((++records & 255) == 0 && Since(start) >= budget) break;
  }
  secs += Since(start);
  return Status::Ok();
}

}  // namespace

Result<double> MeasureMemcpyMapped(const CeilingSetup& setup) {
  uint64_t records = 0;
  double secs = 0;
  MQ_RETURN_IF_ERROR(MemcpyIntoNewMapping(setup, /*prefault=*/true, setup.seconds, records, secs));
  return secs > 0 ? static_cast<double>(records) / secs : 0.0;
}

Result<double> MeasureFreshPageMemcpy(const CeilingSetup& setup) {
  // A new file each time one is full: every page the copy reaches is one
  // it touches first.
  uint64_t records = 0;
  double secs = 0;
  do {
    MQ_RETURN_IF_ERROR(MemcpyIntoNewMapping(setup, /*prefault=*/false, setup.seconds - secs, records, secs));
  } while (secs < setup.seconds);
  return secs > 0 ? static_cast<double>(records) / secs : 0.0;
}

double TouchAndFree(size_t bytes) {
  constexpr size_t kPage = 4096;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0.0;
  auto* touched = static_cast<volatile uint8_t*>(p);
  const auto start = Clock::now();
  for (size_t at = 0; at < bytes; at += kPage) touched[at] = 1;
  const double secs = Since(start);
  ::munmap(p, bytes);
  return secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0;
}

double MeasureFirstTouch() { return TouchAndFree(256 * kMiB); }

Result<double> MeasureSeqWrite(const CeilingSetup& setup) {
  int64_t rounds = 0;
  const auto secs = WriteRounds(setup, kMiB, true, 3, INT64_MAX, [](uint64_t) {}, &rounds);
  if (!secs.ok()) return secs.error();
  return *secs > 0 ? static_cast<double>(rounds) * static_cast<double>(kMiB) / 1e6 / *secs : 0.0;
}

Result<double> MeasureBufferedWrite(const CeilingSetup& setup) {
  int64_t rounds = 0;
  const auto secs = WriteRounds(setup, kMiB, false, 1, kScratchSize / kMiB, [](uint64_t) {}, &rounds);
  if (!secs.ok()) return secs.error();
  return *secs > 0 ? static_cast<double>(rounds) * static_cast<double>(kMiB) / 1e6 / *secs : 0.0;
}

Result<double> MeasureFdatasyncP99(const CeilingSetup& setup) {
  LatencyHistogram hist;
  int64_t rounds = 0;
  // As many rounds as the budget allows (at least 200): this disk's sync
  // latency is bimodal, so a p99 from a few hundred samples swings by 10x.
  const auto secs = WriteRounds(setup, RecordBytes(setup), true, 200, INT64_MAX,
                                [&](uint64_t us) { hist.Record(us); }, &rounds);
  if (!secs.ok()) return secs.error();
  return static_cast<double>(hist.Take().Percentile(0.99));
}

Result<double> MeasureGroupCommit(const CeilingSetup& setup, int64_t batch) {
  batch = std::max<int64_t>(batch, 1);
  const size_t block = std::min<size_t>(RecordBytes(setup) * static_cast<size_t>(batch), kScratchSize);
  int64_t rounds = 0;
  const auto secs = WriteRounds(setup, block, true, 3, INT64_MAX, [](uint64_t) {}, &rounds);
  if (!secs.ok()) return secs.error();
  return *secs > 0 ? static_cast<double>(rounds * batch) / *secs : 0.0;
}

Result<double> MeasureRaw1MiBSync(const CeilingSetup& setup) {
  auto mb_per_sec = MeasureSeqWrite(setup);
  if (!mb_per_sec.ok()) return mb_per_sec.error();
  return *mb_per_sec * 1e6 / static_cast<double>(RecordBytes(setup));
}

}  // namespace mqstore::cli::bench
