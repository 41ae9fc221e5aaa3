// Fuzzes crash recovery: the input, cut into 8 KiB segment files, is a
// commit log after a crash (abort file present, checkpoint zero). Recovery
// must succeed, and afterwards the log must read cleanly from start to end
// (nothing undecodable before the end, zeros after it) and take a new put.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "format/segment_name.h"
#include "storage/commit_log.h"
#include "storage/commit_log_cursor.h"
#include "storage/store_log.h"

namespace {

constexpr int64_t kSegment = 8192;

const std::string& TempRoot();

std::string MakeTempDir() {
  char tmpl[] = "/tmp/mqstore-recovery-fuzz-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) __builtin_trap();
  std::atexit([] { (void)mqstore::FileSystem::Default().RemoveAll(TempRoot()); });
  return dir;
}

const std::string& TempRoot() {
  static const std::string* root = new std::string(MakeTempDir());  // never destroyed: used at exit
  return *root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  static const bool silenced = (SetLogSink({}), true);
  (void)silenced;
  const std::string& root = TempRoot();
  FileSystem& fs = FileSystem::Default();
  const std::string dir = root + "/commitlog";
  if (!fs.RemoveAll(dir).ok() || !fs.CreateDirectories(dir).ok()) __builtin_trap();
  for (size_t start = 0; start < size || start == 0; start += kSegment) {
    auto f = fs.OpenRandomRW(JoinPath(dir, SegmentFileName(static_cast<int64_t>(start))), OpenMode::kCreateIfMissing);
    if (!f.ok() || !(*f)->Truncate(kSegment).ok()) __builtin_trap();
    const size_t n = start < size ? std::min<size_t>(kSegment, size - start) : 0;
    if (n > 0 && !(*f)->Write(0, std::span<const uint8_t>(data + start, n)).ok()) __builtin_trap();
  }

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
