// CommitLog::Recover: where the log really ends after a clean stop or a
// crash (RocketMQ's recoverNormally / recoverAbnormally, made strict).
//
//   normal    (no abort file): check records from the third-last file on.
//   abnormal  (abort file):    check from the newest file whose first record
//             is valid and was stored at or before `floor_timestamp`: the
//             checkpoint's min(physic, logics) minus 3 s, before which the
//             log and the consume queues were both flushed.
//
// Checking a record = it decodes, its lengths add up to TOTALSIZE, BODYCRC
// matches (checkCRCOnRecover), its PHYSICALOFFSET is its position and its
// properties hold no zero byte (a tear BODYCRC cannot see). The
// first record that fails ends the log: the rest of its file is zeroed
// (stale bytes must never pass as records later) and later files deleted.
#include <chrono>
#include <cstring>

#include "format/sys_flag.h"
#include "storage/commit_log.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

enum class Step : uint8_t { kRecord, kBlank, kStop };

struct Checked {
  Step step = Step::kStop;
  int32_t size = 0;
  MessageRecordView message;
  std::string why;  // kStop
};

Checked CheckRecordAt(const Segment& segment, int64_t pos, const RecordDecodeOptions& options) {
  Checked c;
  const auto bytes = std::span<const uint8_t>(segment.data()).subspan(static_cast<size_t>(pos));
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "\0\0\0\0", 4) == 0) {
    c.why = "end of data (zeros)";
    return c;
  }
  auto decoded = DecodeRecord(bytes, options);
  if (!decoded.ok()) {
    c.why = decoded.error().ToStatus(segment.path(), static_cast<uint64_t>(pos)).ToString();
    return c;
  }
  if (decoded->kind == RecordKind::kBlank) {
    c.step = Step::kBlank;
    return c;
  }
  if (decoded->message.physical_offset != segment.start_offset() + pos) {
    c.why = segment.path() + " at " + std::to_string(pos) + ": PHYSICALOFFSET " +
            std::to_string(decoded->message.physical_offset) + " is not the record's position (stale bytes)";
    return c;
  }
  // Properties are the record's last field and BODYCRC does not cover them:
  // a write torn inside them leaves zeros where the rest of the string was,
  // which no producer writes (separators are 0x01 and 0x02).
  const std::string_view props = decoded->message.properties_raw;
  if (const size_t nul = props.find('\0'); nul != std::string_view::npos) {
    c.why = segment.path() + " at " + std::to_string(pos) + ": properties hold a zero byte at " +
            std::to_string(nul) + " (a write torn inside them)";
    return c;
  }
  c.step = Step::kRecord;
  c.size = decoded->total_size;
  c.message = decoded->message;
  return c;
}

void CountQueueOffset(QueueOffsetTable& table, const MessageRecordView& m) {
  if (sysflag::TakesQueueOffset(m.sys_flag)) table.Raise(m.topic, m.queue_id, m.queue_offset + 1);
}

// Bytes after `pos` up to the first all-zero 4 KiB page: the dirty tail a
// crash or torn write left, for the report.
uint64_t DirtyBytesAfter(const Segment& segment, int64_t pos) {
  const auto data = segment.data();
  auto at = static_cast<size_t>(pos);
  while (at < data.size()) {
    const size_t page_end = std::min(data.size(), (at / 4096 + 1) * 4096);
    bool zero = true;
    for (size_t i = at; i < page_end && zero; ++i) zero = data[i] == 0;
    if (zero) break;
    at = page_end;
  }
  return at - static_cast<size_t>(pos);
}

}  // namespace

std::string RecoveryReport::ToString() const {
  return std::string(abnormal ? "abnormal" : "normal") + " recovery: checked " + std::to_string(records_checked) +
         " records (" + std::to_string(bytes_checked) + " bytes) from offset " + std::to_string(start_offset) +
         ", log ends at " + std::to_string(end_offset) + " (" + stop_reason + "), zeroed " +
         std::to_string(bytes_truncated) + " dirty bytes, removed " + std::to_string(segments_removed) +
         " files, took " + std::to_string(took.count() / 1000) + " ms";
}

Result<RecoveryReport> CommitLog::Recover(bool abnormal, int64_t floor_timestamp) {
  const auto began = std::chrono::steady_clock::now();
  RecoveryReport report;
  report.abnormal = abnormal;
  std::vector<std::shared_ptr<Segment>> segments = Segments();
  RecordDecodeOptions strict;
  strict.max_record_size = options_.limits.max_record_size;
  strict.check_crc = options_.check_crc_on_recover;

  // Where checking starts.
  size_t first = segments.size() >= 3 ? segments.size() - 3 : 0;
  if (abnormal) {
    const int64_t floor = floor_timestamp;
    first = 0;
    for (size_t i = segments.size(); i-- > 0;) {
      const Checked c = CheckRecordAt(*segments[i], 0, strict);
      if (c.step == Step::kRecord && c.message.store_timestamp != 0 && c.message.store_timestamp <= floor) {
        first = i;
        break;
      }
    }
  }

  // Files before the start are trusted: read only for the queue-offset table.
  QueueOffsetTable table;
  RecordDecodeOptions loose;
  loose.max_record_size = options_.limits.max_record_size;
  for (size_t i = 0; i < first; ++i) {
    for (int64_t pos = 0; pos < segments[i]->size();) {
      const Checked c = CheckRecordAt(*segments[i], pos, loose);
      if (c.step != Step::kRecord) break;
      CountQueueOffset(table, c.message);
      pos += c.size;
    }
  }

  // Check from the start file on; the first failure is the end.
  size_t end_index = first;
  int64_t end_pos = 0;
  report.start_offset = segments.empty() ? 0 : segments[first]->start_offset();
  for (size_t i = first; i < segments.size(); ++i) {
    end_index = i;
    int64_t pos = 0;
    bool next_file = false;
    while (pos < segments[i]->size()) {
      const Checked c = CheckRecordAt(*segments[i], pos, strict);
      if (c.step == Step::kRecord) {
        CountQueueOffset(table, c.message);
        ++report.records_checked;
        pos += c.size;
        continue;
      }
      if (c.step == Step::kBlank && i + 1 < segments.size()) next_file = true;
      report.stop_reason = c.step == Step::kBlank ? "end-of-file blank in the last file" : c.why;
      break;
    }
    end_pos = pos;
    if (!next_file) break;
  }
  report.end_offset = segments.empty() ? 0 : segments[end_index]->start_offset() + end_pos;
  report.bytes_checked = static_cast<uint64_t>(report.end_offset - report.start_offset);
  if (report.stop_reason.empty()) report.stop_reason = "end of file";

  if (!segments.empty()) {
    Segment& last = *segments[end_index];
    report.bytes_truncated = DirtyBytesAfter(last, end_pos);
    // Zero the whole rest of the file, not only the dirty bytes: stale
    // records further on must never meet a future record boundary.
    if (end_pos < last.size()) {
      MQ_RETURN_IF_ERROR(last.file().ZeroRange(static_cast<uint64_t>(end_pos), static_cast<uint64_t>(last.size() - end_pos)));
      MQ_RETURN_IF_ERROR(last.file().Sync());
    }
    for (size_t i = segments.size(); i-- > end_index + 1;) {
      MQ_RETURN_IF_ERROR(fs_.Remove(segments[i]->path()));
      ++report.segments_removed;
    }
    if (report.segments_removed > 0) MQ_RETURN_IF_ERROR(fs_.SyncDirectory(options_.dir));
    segments.resize(end_index + 1);
    last.SetPositions(end_pos);
  }

  {
    std::unique_lock lock(segments_mu_);
    segments_ = segments;
  }
  {
    std::lock_guard lock(put_mu_);
    current_ = segments.empty() ? nullptr : segments.back();
    queue_offsets_ = std::move(table);
  }
  wrote_where_.store(report.end_offset, std::memory_order_release);
  flushed_where_.store(report.end_offset, std::memory_order_release);
  if (ring_) ring_->set_committed(report.end_offset);
  report.took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began);
  StoreLog(LogLevel::kInfo, "commit log " + report.ToString());
  return report;
}

}  // namespace mqstore
