// Fuzzes crash recovery: the input, cut into 8 KiB segment files, is a
// commit log after a crash (abort file present, checkpoint zero). Recovery
// must succeed, and afterwards the log must read cleanly from start to end
// (nothing undecodable before the end, zeros after it) and take a new put.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz/fuzz_files.h"
#include "storage/commit_log.h"
#include "storage/commit_log_cursor.h"
#include "storage/store_log.h"

namespace {

constexpr int64_t kSegment = 8192;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  static const bool silenced = (SetLogSink({}), true);
  (void)silenced;
  const std::string& root = fuzz::ScratchDir();
  FileSystem& fs = FileSystem::Default();
  const std::string dir = root + "/commitlog";
  if (!fs.RemoveAll(dir).ok() || !fs.CreateDirectories(dir).ok()) __builtin_trap();
  fuzz::WriteSegmentFiles(dir, kSegment, data, size);

  CommitLogOptions options;
  options.dir = dir;
  options.segment_size = kSegment;
  options.backend = WriteBackend::kWrite;
  options.append_buffer_bytes = 64 << 10;
  options.limits.max_message_size = 4096;
  options.limits.max_record_size = 4096 + 1024;
  CommitLog log(fs, options);
  if (!log.Load().ok()) __builtin_trap();
  auto report = log.Recover(/*abnormal=*/true, /*floor_timestamp=*/0);
  if (!report.ok()) __builtin_trap();

  // Everything below the end reads back; the end is where reading stops.
  RecordDecodeOptions decode;
  decode.max_record_size = options.limits.max_record_size;
  CommitLogCursor cursor(log, log.MinOffset(), decode);
  CommitLogCursor::Entry e;
  while ((e = cursor.Next()).kind == CommitLogCursor::Kind::kMessage) {
  }
  if (e.kind == CommitLogCursor::Kind::kError || cursor.offset() != log.MaxOffset()) __builtin_trap();
  // The rest of the file holding the end is zeros: no stale bytes survive.
  if (auto last = log.SegmentFor(log.MaxOffset())) {
    for (uint8_t b : last->data().subspan(static_cast<size_t>(log.MaxOffset() - last->start_offset())))
      if (b != 0) __builtin_trap();
  }

  // A put lands exactly at the end and reads back.
  Message m;
  m.topic = "FuzzTopic";
  const uint8_t body[3] = {1, 2, 3};
  m.body = body;
  const int64_t end = log.MaxOffset();
  const PutResult r = log.Put(m);
  if (!r.ok() || !log.Commit().ok()) __builtin_trap();
  if (r.wrote_offset != end && r.wrote_offset % kSegment != 0) __builtin_trap();
  if (!log.LookMessage(r.wrote_offset).ok()) __builtin_trap();
  return 0;
}
