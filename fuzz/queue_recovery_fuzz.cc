// Fuzzes the recovery of consume queues and index files: the input's first
// part, cut into 320-byte files, is a consume queue after a crash; the rest
// fills one index file of 8 slots and 32 entries. Loading and recovering
// must succeed (an index file the header of which is out of range may be
// refused, never crash), the last unit must be valid, truncation must
// leave no last unit at or past its offset, and both must take a new unit / key.
// The first input byte also feeds the tag-expression parser.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_files.h"
#include "storage/queue/consume_queue.h"
#include "storage/index/index_service.h"
#include "storage/io/fake_clock.h"
#include "storage/queue/message_filter.h"
#include "storage/store_log.h"

namespace {

constexpr int64_t kCqFile = 16 * 20;
constexpr mqstore::IndexGeometry kGeometry{8, 32};

void FuzzConsumeQueue(const std::string& dir, const uint8_t* data, size_t size) {
  using namespace mqstore;
  fuzz::WriteSegmentFiles(dir, kCqFile, data, size);
  ConsumeQueueOptions o;
  o.dir = dir;
  o.topic = "T";
  o.file_size = kCqFile;
  o.max_tags_tracked = 4;
  ConsumeQueue q(FileSystem::Default(), o);
  if (!q.Load().ok() || !q.Recover().ok()) __builtin_trap();
  // Files before the third-last are trusted unscanned, as RocketMQ does, so
  // only the scanned tail is sure to hold valid units; every offset in
  // [min, max) must still be readable.
  for (int64_t n = q.MinOffset(); n < q.MaxOffset(); ++n) {
    const auto unit = q.GetUnit(n);
    if (!unit) __builtin_trap();
    (void)q.NextWithTag(unit->tags_code, n, q.MaxOffset());
  }
  if (q.MaxOffset() > q.MinOffset() && !q.GetUnit(q.MaxOffset() - 1)->IsValid()) __builtin_trap();
  if (auto view = q.ReadUnits(q.MinOffset()); view && view->count() == 0) __builtin_trap();
  const int64_t cut = q.MaxPhysicOffset() / 2;
  if (!q.TruncateDirty(cut).ok()) __builtin_trap();
  // Units rise with the log in a real queue; from garbage only the end is
  // sure to be cut.
  if (q.MaxOffset() > q.MinOffset()) {
    const auto last = q.GetUnit(q.MaxOffset() - 1);
    if (!last || (!last->IsBlankPad() && last->commit_log_offset >= cut)) __builtin_trap();
  }
  q.CorrectMinOffset(cut / 2);
  const int64_t next = std::max<int64_t>(cut, q.MaxPhysicOffset());
  if (!q.PutUnit(next, 10, 7, q.MaxOffset(), 1).ok() || q.MaxPhysicOffset() != next + 10) __builtin_trap();
}

void FuzzIndex(const std::string& dir, const uint8_t* data, size_t size) {
  using namespace mqstore;
  fuzz::WriteFile(JoinPath(dir, "20260101000000000"), static_cast<int64_t>(kGeometry.FileSize()), data,
            std::min<size_t>(size, kGeometry.FileSize()));
  IndexServiceOptions o;
  o.dir = dir;
  o.geometry = kGeometry;
  FakeClock clock(1767225600000);  // new files' names do not depend on when the fuzzer runs
  IndexService index(Env(FileSystem::Default(), clock), o);
  if (!index.Load(/*last_exit_ok=*/true, 0).ok()) return;  // a header out of range is refused
  (void)index.QueryOffsets("T", "k", 64, 0, INT64_MAX);
  const int64_t cut = std::max<int64_t>(0, index.IndexedUpTo() / 2);
  if (!index.TruncateDirty(cut).ok()) __builtin_trap();
  for (int64_t off : index.QueryOffsets("T", "k", 64, 0, INT64_MAX))
    if (off >= cut) __builtin_trap();
  DispatchRequest r;
  r.topic = "T";
  r.uniq_key = "k";
  r.commit_log_offset = std::max<int64_t>(cut, index.IndexedUpTo() + 1);
  r.store_timestamp = 1767225600000;
  if (!index.BuildIndex(r).ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  static const bool silenced = (SetLogSink({}), true);
  (void)silenced;
  const std::string cq_dir = fuzz::ScratchDir() + "/cq", index_dir = fuzz::ScratchDir() + "/index";
  FileSystem& fs = FileSystem::Default();
  if (!fs.RemoveAll(cq_dir).ok() || !fs.RemoveAll(index_dir).ok() || !fs.CreateDirectories(cq_dir).ok() ||
      !fs.CreateDirectories(index_dir).ok())
    __builtin_trap();
  const size_t cq_bytes = std::min<size_t>(size, 4 * kCqFile);
  FuzzConsumeQueue(cq_dir, data, cq_bytes);
  FuzzIndex(index_dir, data + cq_bytes, size - cq_bytes);
  (void)TagFilter::Parse(std::string_view(reinterpret_cast<const char*>(data), std::min<size_t>(size, 64)));
  return 0;
}
