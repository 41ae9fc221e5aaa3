// Fuzzes crash recovery and its corruption policies. The input, cut into
// 8 KiB segment files, is a commit log; its last byte picks the policy
// (refuse, truncate, skip) and whether the store crashed (abort file) or was
// shut down cleanly. Then:
//   refuse    recovery succeeds, or fails with Corruption and has changed
//             no byte of any file;
//   truncate  recovery succeeds;
//   skip      recovery succeeds (or fails with Corruption when a damaged
//             range is too short to fill), and every record it kept that is
//             not a damage filler is byte for byte what the input held there.
// After a success the log reads cleanly from start to end (nothing
// undecodable before the end, zeros after it in its file) and takes a put.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "format/damage_filler.h"
#include "fuzz/fuzz_files.h"
#include "storage/log/commit_log.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/store_layout.h"
#include "storage/store_log.h"

namespace {

constexpr int64_t kSegment = 8192;

using namespace mqstore;

std::vector<uint8_t> ReadFiles(const std::string& dir) {
  std::vector<uint8_t> all;
  auto files = ListSegments(FileSystem::Default(), dir);
  if (!files.ok()) __builtin_trap();
  for (const SegmentFile& f : *files) {
    auto m = FileSystem::Default().MapReadOnly(f.path);
    if (!m.ok()) __builtin_trap();
    all.insert(all.end(), (*m)->data().begin(), (*m)->data().end());
  }
  return all;
}

// Every kept record that is not a filler is the files' bytes at its offset:
// the input, then the zeros that pad the last file (a record may end in
// them: zeros in its properties do not make it less of a record).
void CheckKeptRecords(CommitLog& log, const RecordDecodeOptions& decode, const uint8_t* data, size_t size) {
  CommitLogCursor cursor(log, log.MinOffset(), decode);
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next()) {
    if (IsDamageFiller(e.message)) continue;
    const auto at = static_cast<size_t>(e.offset);
    const auto len = static_cast<size_t>(e.size);
    std::vector<uint8_t> expected(len, 0);
    if (at < size) std::memcpy(expected.data(), data + at, std::min(len, size - at));
    auto read = log.Read(e.offset, e.size);
    if (!read.ok() || std::memcmp(read->bytes.data(), expected.data(), len) != 0) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool silenced = (SetLogSink({}), true);
  (void)silenced;
  const std::string& root = fuzz::ScratchDir();
  FileSystem& fs = FileSystem::Default();
  const std::string dir = root + "/commitlog";
  if (!fs.RemoveAll(dir).ok() || !fs.CreateDirectories(dir).ok()) __builtin_trap();
  fuzz::WriteSegmentFiles(dir, kSegment, data, size);
  const uint8_t mode = size > 0 ? data[size - 1] : 0;
  RecoveryOptions recovery;
  recovery.policy = static_cast<RecoveryCorruptionPolicy>(mode % 3);
  recovery.abnormal = (mode & 4) == 0;

  CommitLogOptions options;
  options.dir = dir;
  options.segment_size = kSegment;
  options.backend = WriteBackend::kWrite;
  options.append_buffer_bytes = 64 << 10;
  options.limits.max_message_size = 4096;
  options.limits.max_record_size = 4096 + 1024;
  CommitLog log(Env(fs), options);
  if (!log.Load().ok()) __builtin_trap();
  const std::vector<uint8_t> before = ReadFiles(dir);
  auto report = log.Recover(recovery);
  if (!report.ok()) {
    if (report.error().code() != StatusCode::kCorruption) __builtin_trap();
    if (recovery.policy == RecoveryCorruptionPolicy::kTruncate) __builtin_trap();
    if (recovery.policy == RecoveryCorruptionPolicy::kRefuse && ReadFiles(dir) != before) __builtin_trap();
    return 0;
  }

  // Everything below the end reads back; the end is where reading stops.
  RecordDecodeOptions decode;
  decode.max_record_size = options.limits.max_record_size;
  CommitLogCursor cursor(log, log.MinOffset(), decode);
  CommitLogCursor::Entry e;
  while ((e = cursor.Next()).kind == CommitLogCursor::Kind::kMessage) {
  }
  if (e.kind == CommitLogCursor::Kind::kError || cursor.offset() != log.MaxOffset()) __builtin_trap();
  if (recovery.policy == RecoveryCorruptionPolicy::kSkip) CheckKeptRecords(log, decode, data, size);
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
