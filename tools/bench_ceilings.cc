// The ceiling measurements of `mqstore bench` (bench_ceilings.h): a scratch
// file per measurement, preallocated like a segment, written through
// RandomRWFile (or its writable mapping) and removed afterwards.
#include "tools/bench_ceilings.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "storage/log/latency_histogram.h"

namespace mqstore::cli::bench {
namespace {

constexpr size_t kMiB = 1 << 20;

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A preallocated scratch file under the directory, unlinked as soon as it
// is open: its blocks and pages go when it is closed, and a bench killed
// in the middle leaves nothing behind (fresh-page memcpy holds gigabytes
// of them at once).
class Scratch {
 public:
  static Result<std::unique_ptr<Scratch>> Create(const CeilingSetup& setup) {
    static std::atomic<uint64_t> created{0};  // numbered: several are open at once
    const std::string path = JoinPath(setup.dir, std::string(kScratchPrefix) + std::to_string(::getpid()) + "-" +
                                                     std::to_string(created.fetch_add(1)));
    auto file = setup.fs->OpenRandomRW(path, OpenMode::kCreateIfMissing);
    if (!file.ok()) return file.error();
    std::unique_ptr<Scratch> s(new Scratch(std::move(*file)));
    Status removed = setup.fs->Remove(path);
    (void)removed;  // best effort: a leftover scratch file is harmless
    MQ_RETURN_IF_ERROR(s->file_->Truncate(0));
    MQ_RETURN_IF_ERROR(s->file_->Preallocate(setup.scratch_bytes));
    return s;
  }
  RandomRWFile& file() { return *file_; }

 private:
  explicit Scratch(std::unique_ptr<RandomRWFile> file) : file_(std::move(file)) {}
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
    if (pos + block_size > setup.scratch_bytes) pos = 0;
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
// `kept`: where the file goes afterwards, still open and its pages cached
// (else it is closed at once, and its pages freed).
Status MemcpyIntoNewMapping(const CeilingSetup& setup, bool prefault, double budget, uint64_t& records,
                            double& secs, std::vector<std::unique_ptr<Scratch>>* kept = nullptr) {
  auto scratch = Scratch::Create(setup);
  if (!scratch.ok()) return scratch.error();
  auto mapping = (*scratch)->file().Map(setup.scratch_bytes, /*writable=*/true);
  if (!mapping.ok()) return mapping.error();
  if (prefault) (*mapping)->Populate(0, setup.scratch_bytes, /*for_write=*/true);
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
  mapping->reset();
  if (kept) kept->push_back(std::move(*scratch));
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
  // it touches first. Each full file stays until the end, as a store keeps
  // its segments in the page cache: closing it would free its pages for
  // the next file, which is then written in pages just backed, where a
  // store's next segment gets what the kernel has free. On a VM whose host
  // takes back guest memory left free (free page reporting), that is 3-4x
  // faster than the memory a store meets (1 KiB: 2.7 M/s reusing its pages,
  // 0.6-0.85 M/s keeping them; bench/RESULTS.md).
  // At most a quarter of memory kept: past it, the page cache would be reclaiming.
  std::vector<std::unique_ptr<Scratch>> kept;
  const uint64_t most = QuarterOfMemory().value_or(1ULL << 30);
  uint64_t records = 0;
  double secs = 0;
  do {
    MQ_RETURN_IF_ERROR(
        MemcpyIntoNewMapping(setup, /*prefault=*/false, setup.seconds - secs, records, secs, &kept));
  } while (secs < setup.seconds && (kept.size() + 1) * setup.scratch_bytes <= most);
  return secs > 0 ? static_cast<double>(records) / secs : 0.0;
}

std::optional<uint64_t> QuarterOfMemory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return std::nullopt;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 4;
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
  const auto most_rounds = static_cast<int64_t>(setup.scratch_bytes / kMiB);
  const auto secs = WriteRounds(setup, kMiB, false, 1, most_rounds, [](uint64_t) {}, &rounds);
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
  const size_t block = std::min<size_t>(RecordBytes(setup) * static_cast<size_t>(batch), setup.scratch_bytes);
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
