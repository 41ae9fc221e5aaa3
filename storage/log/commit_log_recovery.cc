// CommitLog::Recover: where the log really ends after a clean stop or a
// crash (RocketMQ's recoverNormally / recoverAbnormally, made strict).
//
//   normal    (no abort file): check records from the third-last file on.
//   abnormal  (abort file):    check from the newest file whose first record
//             is valid and was stored at or before `floor_timestamp`: the
//             checkpoint's min(physic, logics) minus 3 s, before which the
//             log and the consume queues were both flushed.
//
// Every position is judged by the one rule of format/log_entry.h (decodes,
// BODYCRC when checkCRCOnRecover, PHYSICALOFFSET = position). Where the walk
// meets zeros or damage, what follows decides:
//
//   nothing follows (no valid entry later in that file, no byte of data in
//   a later file):
//     zeros   the end of the log.
//     damage  a torn tail, cut, if the store crashed (abort file) and the
//             damage is not before a record the checkpoint says was
//             flushed. After a clean stop everything was flushed: there is
//             no torn tail, the damage is corruption. A last record torn
//             inside its topic or properties (BODYCRC does not cover them)
//             decodes; it is a torn tail when it ends in a zero byte and was
//             stored after the checkpoint's flush time.
//   something follows: corruption, handled by the policy:
//     refuse    (default) fail with the file, offset, what is wrong and the
//               choices; the log is left as it is.
//     truncate  cut the log there (RocketMQ's behaviour), logged at ERROR.
//     skip      write damage fillers over the range (format/damage_filler.h)
//               and go on with the records after it, logged at ERROR.
//
// The cut is the end: the rest of its file is zeroed (stale bytes must never
// pass as records later) and later files are deleted.
#include <chrono>
#include <cstring>

#include "format/damage_filler.h"
#include "format/log_entry.h"
#include "format/sys_flag.h"
#include "storage/log/commit_log.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

using Segments = std::vector<std::shared_ptr<Segment>>;

LogEntry EntryAt(const Segment& segment, int64_t pos, const RecordDecodeOptions& options) {
  const auto bytes = std::span<const uint8_t>(segment.data()).subspan(static_cast<size_t>(pos));
  return ReadLogEntry(bytes, segment.start_offset() + pos, options);
}

void CountQueueOffset(QueueOffsetTable& table, const MessageRecordView& m) {
  if (sysflag::TakesQueueOffset(m.sys_flag)) table.Raise(m.topic, m.queue_id, m.queue_offset + 1);
}

// The first non-zero byte at or after `from` in `segment`, skipping what
// the file system knows to be holes (a preallocated spare file is scanned
// in no time).
std::optional<int64_t> FirstDataAt(Segment& segment, int64_t from) {
  const auto data = std::span<const uint8_t>(segment.data());
  auto ranges = segment.file().DataRanges(static_cast<uint64_t>(from));
  if (!ranges.ok()) ranges = std::vector<RandomRWFile::ByteRange>{{static_cast<uint64_t>(from), data.size()}};
  for (const RandomRWFile::ByteRange& r : *ranges) {
    const uint64_t begin = std::max<uint64_t>(r.begin, static_cast<uint64_t>(from));
    const uint64_t end = std::min<uint64_t>(r.end, data.size());
    if (begin >= end) continue;
    if (auto nz = FirstNonZero(data.subspan(begin, end - begin))) return static_cast<int64_t>(begin + *nz);
  }
  return std::nullopt;
}

// What follows a position where the walk met zeros or damage.
struct Follows {
  std::optional<int64_t> data_in_file;  // the first non-zero byte after the position in its file
  std::optional<int64_t> in_file;   // the next valid entry's position in the same file
  std::optional<size_t> later_file;  // else the first later file holding any data
  int64_t later_at = 0;              // its first non-zero byte (file position)

  bool any() const { return in_file || later_file; }
};

// The next valid entry after `from` in `segment`: FindNextEntry a window at
// a time, from where the file system says data may be. `first_data`: the
// first non-zero byte at or after `from`, if any.
std::optional<int64_t> NextEntryIn(Segment& segment, int64_t from, const RecordDecodeOptions& options,
                                   std::optional<int64_t>& first_data) {
  constexpr int64_t kWindow = 1 << 20;
  first_data.reset();
  for (int64_t pos = from; pos < segment.size();) {
    const std::optional<int64_t> data = FirstDataAt(segment, pos);
    if (!data) return std::nullopt;
    if (!first_data) first_data = data;
    const int64_t start = std::max(pos, *data - 7);  // a MAGICCODE byte may be the first non-zero one
    if (auto found = FindNextEntry(segment.data(), segment.start_offset(), start, start + kWindow, options))
      return found;
    pos = start + kWindow;
  }
  return std::nullopt;
}

Follows WhatFollows(const Segments& segments, size_t i, int64_t pos, const RecordDecodeOptions& options) {
  Follows f;
  f.in_file = NextEntryIn(*segments[i], pos + 1, options, f.data_in_file);
  if (f.in_file) return f;
  for (size_t j = i + 1; j < segments.size(); ++j) {
    if (auto at = FirstDataAt(*segments[j], 0)) {
      f.later_file = j;
      f.later_at = *at;
      return f;
    }
  }
  return f;
}

int64_t NextValidOffset(const Segments& segments, const Follows& f, size_t i) {
  if (f.in_file) return segments[i]->start_offset() + *f.in_file;
  if (f.later_file) return segments[*f.later_file]->start_offset() + f.later_at;
  return -1;
}

std::string FollowsText(const Segments& segments, const Follows& f, size_t i, bool abnormal) {
  if (!f.any())
    return abnormal ? "nothing valid follows, but a record the checkpoint says was flushed lies at or after it"
                    : "nothing valid follows, but the store was shut down cleanly, so everything before the end "
                      "was flushed and this is no torn write";
  if (f.in_file) return "a valid record follows at offset " + std::to_string(NextValidOffset(segments, f, i));
  const size_t later = segments.size() - *f.later_file;
  return std::to_string(later) + " later file(s) hold data, from offset " +
         std::to_string(NextValidOffset(segments, f, i));
}

std::string RefusalText(const LogDamage& d, const std::string& follows) {
  return "the commit log is damaged before data that must be kept: " + d.file + " at file position " +
         std::to_string(d.file_pos) + " (log offset " + std::to_string(d.offset) + "): " + d.why + "; " + follows +
         ". The log was left as it is. To open the store choose recoveryCorruptionPolicy=truncate (cut the log at " +
         std::to_string(d.offset) +
         ": everything after it is lost, as RocketMQ does) or recoveryCorruptionPolicy=skip (keep the records after "
         "it; the damaged bytes become unreadable), or run `mqstore repair ROOT --policy truncate|skip`; "
         "`mqstore verify ROOT` lists the damage";
}

// Bytes after `pos` up to the first all-zero 4 KiB page: the dirty tail a
// crash or torn write left, for the report.
uint64_t DirtyBytesAfter(const Segment& segment, int64_t pos) {
  const auto data = segment.data();
  auto at = static_cast<size_t>(pos);
  while (at < data.size()) {
    const size_t page_end = std::min(data.size(), (at / 4096 + 1) * 4096);
    if (!FirstNonZero(data.subspan(at, page_end - at))) break;
    at = page_end;
  }
  return at - static_cast<size_t>(pos);
}

// The walk over the checked files: where the log ends and what was met.
class RecoveryWalk {
 public:
  RecoveryWalk(const Segments& segments, const RecoveryOptions& options, const RecordDecodeOptions& strict,
               int32_t max_record_size, QueueOffsetTable& table, RecoveryReport& report)
      : segments_(segments), options_(options), strict_(strict), max_record_size_(max_record_size),
        table_(table), report_(report) {}

  // Walks from file `first`; sets end_index() / end_pos().
  Status Run(size_t first) {
    size_t i = first;
    int64_t pos = 0;
    while (true) {
      Segment& s = *segments_[i];
      const bool last = i + 1 == segments_.size();
      // Filled to the last byte, or (never left by a writer) fewer zero
      // bytes than a blank record needs.
      if (pos >= s.size() ||
          (s.size() - pos < kEndFileMinBlankLength && !FirstNonZero(s.data().subspan(static_cast<size_t>(pos))))) {
        if (last) return End(i, pos, "end of the last file");
        ++i, pos = 0;
        continue;
      }
      const LogEntry e = EntryAt(s, pos, strict_);
      if (e.kind == LogEntryKind::kRecord && IsTornLastRecord(e, i, pos))
        return TornTail(i, pos, "the record's last byte is zero (a write torn inside its topic or properties)");
      if (e.kind == LogEntryKind::kRecord) {
        CountQueueOffset(table_, e.message);
        last_timestamp_ = e.message.store_timestamp;
        ++report_.records_checked;
        pos += e.size;
        continue;
      }
      if (e.kind == LogEntryKind::kBlank) {
        if (last) return End(i, pos, "end-of-file blank in the last file");
        ++i, pos = 0;
        continue;
      }
      const Follows follows = WhatFollows(segments_, i, pos, strict_);
      const std::string why = e.kind == LogEntryKind::kEndOfData ? "zeros (nothing written) where a record must be"
                                                                 : e.Why();
      if (!follows.any()) {
        if (e.kind == LogEntryKind::kEndOfData) {
          zeros_after_end_ = !follows.data_in_file;  // (the byte at `pos` itself is zero too)
          return End(i, pos, "end of data (zeros)");
        }
        if (IsTornTail()) return TornTail(i, pos, why);
      }
      LogDamage d = Damage(i, pos, why, follows);
      auto next = Corruption(std::move(d), follows, i, pos);
      if (!next.ok()) return next.error();
      if (end_set_) return Status::Ok();
      i = next->first;
      pos = next->second;
    }
  }

  size_t end_index() const { return end_index_; }
  int64_t end_pos() const { return end_pos_; }
  // The walk saw that only zeros follow the end in its file.
  bool zeros_after_end() const { return zeros_after_end_; }
  const std::vector<std::shared_ptr<Segment>>& touched() const { return touched_; }

 private:
  Status End(size_t i, int64_t pos, std::string reason) {
    end_index_ = i;
    end_pos_ = pos;
    end_set_ = true;
    report_.stop_reason = std::move(reason);
    return Status::Ok();
  }

  // Damage with nothing after it is a torn write only if the store crashed
  // and no record known durable lies at or after it (the last valid record
  // before it was stored no earlier than the checkpoint's flush time).
  bool IsTornTail() const {
    if (!options_.abnormal) return false;
    return !(last_timestamp_ > 0 && last_timestamp_ < options_.flushed_timestamp);
  }

  // A record that decodes but ends like a torn write (format/log_entry.h),
  // after a crash, stored after the checkpoint's flush time (so certainly
  // never flushed) and with nothing after it.
  bool IsTornLastRecord(const LogEntry& e, size_t i, int64_t pos) const {
    return options_.abnormal && EndsLikeATornWrite(e.message) &&
           e.message.store_timestamp > options_.flushed_timestamp &&
           !WhatFollows(segments_, i, pos + e.size - 1, strict_).any();
  }

  Status TornTail(size_t i, int64_t pos, const std::string& why) {
    LogDamage d = Damage(i, pos, why, Follows{});
    d.action = LogDamage::Action::kTornTail;
    d.length = segments_[i]->size() - pos;
    // ERROR, as every cut: the bytes were never acknowledged as durable, but
    // they are data the log held, and an operator should see them go.
    StoreLog(LogLevel::kError, "commit log: torn tail cut: " + d.ToString());
    report_.damage.push_back(std::move(d));
    return End(i, pos, "torn tail: " + why);
  }

  LogDamage Damage(size_t i, int64_t pos, const std::string& why, const Follows& follows) const {
    LogDamage d;
    d.offset = segments_[i]->start_offset() + pos;
    d.file = segments_[i]->path();
    d.file_pos = pos;
    d.next_valid = NextValidOffset(segments_, follows, i);
    d.why = why;
    return d;
  }

  // Damage that data follows. Returns where the walk goes on (skip), or
  // sets the end (truncate), or fails (refuse, or a skip that cannot be).
  Result<std::pair<size_t, int64_t>> Corruption(LogDamage d, const Follows& follows, size_t i, int64_t pos) {
    const std::string follows_text = FollowsText(segments_, follows, i, options_.abnormal);
    switch (options_.policy) {
      case RecoveryCorruptionPolicy::kRefuse:
        return Status::Corruption(RefusalText(d, follows_text));
      case RecoveryCorruptionPolicy::kTruncate: {
        d.action = LogDamage::Action::kTruncated;
        d.length = segments_.back()->end_offset() - d.offset;
        StoreLog(LogLevel::kError, "commit log: recoveryCorruptionPolicy=truncate cuts the log: " + d.ToString() +
                                       "; " + follows_text + " and is lost");
        report_.damage.push_back(std::move(d));
        MQ_RETURN_IF_ERROR(End(i, pos, "cut at damage (recoveryCorruptionPolicy=truncate)"));
        return std::make_pair(i, pos);
      }
      case RecoveryCorruptionPolicy::kSkip:
        break;
    }
    Segment& s = *segments_[i];
    const int64_t until = follows.in_file ? *follows.in_file : s.size();
    d.action = LogDamage::Action::kSkipped;
    d.length = until - pos;
    MQ_RETURN_IF_ERROR(Fill(s, pos, until, follows.in_file.has_value(), d));
    StoreLog(LogLevel::kError, "commit log: recoveryCorruptionPolicy=skip: " + d.ToString() +
                                   " made unreadable; " + follows_text + " and is kept");
    report_.damage.push_back(std::move(d));
    if (follows.in_file) return std::make_pair(i, *follows.in_file);
    if (i + 1 < segments_.size()) return std::make_pair(i + 1, int64_t{0});
    MQ_RETURN_IF_ERROR(End(i, s.size(), "damage at the end skipped (recoveryCorruptionPolicy=skip)"));
    return std::make_pair(i, s.size());
  }

  // Fillers over [pos, until), or an end-of-file blank at pos when no valid
  // record follows in this file.
  Status Fill(Segment& s, int64_t pos, int64_t until, bool records_follow, const LogDamage& d) {
    std::vector<uint8_t> bytes;
    if (records_follow) {
      const auto range = std::span<const uint8_t>(s.data()).subspan(static_cast<size_t>(pos),
                                                                    static_cast<size_t>(until - pos));
      auto fillers = EncodeDamageFillers(range, d.offset, last_timestamp_, d.why, max_record_size_);
      if (!fillers.ok())
        return Status::Corruption(d.file + " at " + std::to_string(pos) + ": recoveryCorruptionPolicy=skip: " +
                                  fillers.error().message());
      bytes = std::move(*fillers);
    } else {
      if (until - pos < kEndFileMinBlankLength)
        return Status::Corruption(d.file + " at " + std::to_string(pos) + ": recoveryCorruptionPolicy=skip: " +
                                  std::to_string(until - pos) + " damaged bytes at the end of a file cannot be skipped");
      bytes.resize(kEndFileMinBlankLength);
      EncodeBlankRecord(bytes.data(), static_cast<int32_t>(until - pos));
    }
    MQ_RETURN_IF_ERROR(s.file().Write(static_cast<uint64_t>(pos), bytes));
    for (const auto& t : touched_)
      if (t.get() == &s) return Status::Ok();
    for (const auto& seg : segments_)
      if (seg.get() == &s) touched_.push_back(seg);
    return Status::Ok();
  }

  const Segments& segments_;
  const RecoveryOptions& options_;
  const RecordDecodeOptions& strict_;
  const int32_t max_record_size_;
  QueueOffsetTable& table_;
  RecoveryReport& report_;
  int64_t last_timestamp_ = 0;
  size_t end_index_ = 0;
  int64_t end_pos_ = 0;
  bool end_set_ = false;
  bool zeros_after_end_ = false;
  std::vector<std::shared_ptr<Segment>> touched_;  // files the skip policy wrote
};

const char* ActionName(LogDamage::Action a) {
  switch (a) {
    case LogDamage::Action::kTornTail: return "torn tail cut";
    case LogDamage::Action::kTruncated: return "log cut";
    case LogDamage::Action::kSkipped: return "skipped";
  }
  return "?";
}

}  // namespace

std::string LogDamage::ToString() const {
  std::string s = std::string(ActionName(action)) + " at offset " + std::to_string(offset) + " (" + file +
                  " position " + std::to_string(file_pos) + ", " + std::to_string(length) + " bytes): " + why;
  if (next_valid >= 0) s += "; valid data follows at " + std::to_string(next_valid);
  return s;
}

std::string RecoveryReport::ToString() const {
  std::string s = std::string(abnormal ? "abnormal" : "normal") + " recovery: checked " +
                  std::to_string(records_checked) + " records (" + std::to_string(bytes_checked) +
                  " bytes) from offset " + std::to_string(start_offset) + ", log ends at " +
                  std::to_string(end_offset) + " (" + stop_reason + "), zeroed " + std::to_string(bytes_truncated) +
                  " dirty bytes, removed " + std::to_string(segments_removed) + " files, took " +
                  std::to_string(took.count() / 1000) + " ms";
  for (const LogDamage& d : damage) s += "; " + d.ToString();
  return s;
}

std::optional<int64_t> RecoveryReport::FirstSkipped() const {
  for (const LogDamage& d : damage)
    if (d.action == LogDamage::Action::kSkipped) return d.offset;
  return std::nullopt;
}

// The end is the end: the rest of its file reads as zeros and later files
// go. The whole rest of the file is zeroed, not only the dirty bytes, so a
// stale record further on never meets a future record boundary; a rest
// that holds no data already (`zeros_after`: the walk saw it) is left
// untouched, so a clean open writes nothing. Read-only: nothing changes, the
// later files only leave the log.
Status CommitLog::CutAfter(const std::vector<std::shared_ptr<Segment>>& segments, size_t end_index, int64_t end_pos,
                           bool zeros_after, bool read_only, RecoveryReport& report) {
  Segment& last = *segments[end_index];
  report.bytes_truncated = zeros_after ? 0 : DirtyBytesAfter(last, end_pos);
  last.SetPositions(end_pos);
  if (read_only) return Status::Ok();
  if (!zeros_after && end_pos < last.size() && FirstDataAt(last, end_pos)) {
    MQ_RETURN_IF_ERROR(last.file().ZeroRange(static_cast<uint64_t>(end_pos), static_cast<uint64_t>(last.size() - end_pos)));
    MQ_RETURN_IF_ERROR(last.file().Sync());
  }
  for (size_t i = segments.size(); i-- > end_index + 1;) {
    MQ_RETURN_IF_ERROR(fs_.Remove(segments[i]->path()));
    ++report.segments_removed;
  }
  if (report.segments_removed > 0) MQ_RETURN_IF_ERROR(fs_.SyncDirectory(options_.dir));
  return Status::Ok();
}

Status CommitLog::TruncateReplicaTo(int64_t end) {
  std::vector<std::shared_ptr<Segment>> segments = Segments();
  if (segments.empty() || end < MinOffset() || end > WroteOffset())
    return Status::InvalidArgument("cannot cut the commit log to " + std::to_string(end) + ": it holds [" +
                                   std::to_string(MinOffset()) + ", " + std::to_string(WroteOffset()) + ")");
  size_t index = segments.size() - 1;
  while (index > 0 && segments[index]->start_offset() > end) --index;
  // The cut must fall on a record boundary of its file.
  RecordDecodeOptions loose;
  loose.max_record_size = options_.limits.max_record_size;
  const int64_t end_pos = end - segments[index]->start_offset();
  int64_t pos = 0;
  while (pos < end_pos) {
    const LogEntry e = EntryAt(*segments[index], pos, loose);
    if (e.kind != LogEntryKind::kRecord && e.kind != LogEntryKind::kBlank) break;
    pos += e.size;
  }
  if (pos != end_pos)
    return Status::Corruption("cannot cut the commit log to " + std::to_string(end) + ": not a record boundary of " +
                              segments[index]->path() + " (a record spans it, or the bytes before it are damaged)");
  RecoveryReport report;
  MQ_RETURN_IF_ERROR(CutAfter(segments, index, end_pos, false, false, report));
  const int64_t kept_start = segments[index]->start_offset();
  segments_.RemoveBackWhile([&](const Segment& s) { return s.start_offset() > kept_start; });
  StoreLog(LogLevel::kError, "commit log cut from " + std::to_string(WroteOffset()) + " back to " +
                                 std::to_string(end) + ": " + std::to_string(report.bytes_truncated) +
                                 " bytes zeroed, " + std::to_string(report.segments_removed) + " files removed");
  // Recovery finds the new end and rebuilds positions and the table.
  auto recovered = Recover(RecoveryOptions{});
  if (!recovered.ok()) return recovered.error();
  if (recovered->end_offset != end)
    return Status::Corruption("the commit log cut to " + std::to_string(end) + " recovers to " +
                              std::to_string(recovered->end_offset));
  return Status::Ok();
}

Result<RecoveryReport> CommitLog::Recover(const RecoveryOptions& options) {
  const int64_t began_ns = clock_.MonotonicNanos();
  RecoveryReport report;
  report.abnormal = options.abnormal;
  std::vector<std::shared_ptr<Segment>> segments = Segments();
  RecordDecodeOptions strict;
  strict.max_record_size = options_.limits.max_record_size;
  strict.check_crc = options_.check_crc_on_recover;

  // Where checking starts.
  size_t first = segments.size() >= 3 ? segments.size() - 3 : 0;
  if (options.abnormal) {
    first = 0;
    for (size_t i = segments.size(); i-- > 0;) {
      const LogEntry e = EntryAt(*segments[i], 0, strict);
      if (e.kind == LogEntryKind::kRecord && e.message.store_timestamp != 0 &&
          e.message.store_timestamp <= options.floor_timestamp) {
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
      const LogEntry e = EntryAt(*segments[i], pos, loose);
      if (e.kind != LogEntryKind::kRecord) break;
      CountQueueOffset(table, e.message);
      pos += e.size;
    }
  }

  report.start_offset = segments.empty() ? 0 : segments[first]->start_offset();
  size_t end_index = 0;
  int64_t end_pos = 0;
  bool zeros_after_end = false;
  if (!segments.empty()) {
    RecoveryWalk walk(segments, options, strict, options_.limits.max_record_size, table, report);
    MQ_RETURN_IF_ERROR(walk.Run(first));
    for (const auto& touched : walk.touched()) MQ_RETURN_IF_ERROR(touched->file().Sync());
    end_index = walk.end_index();
    end_pos = walk.end_pos();
    zeros_after_end = walk.zeros_after_end();
  }
  report.end_offset = segments.empty() ? 0 : segments[end_index]->start_offset() + end_pos;
  report.bytes_checked = static_cast<uint64_t>(report.end_offset - report.start_offset);
  if (report.stop_reason.empty()) report.stop_reason = "end of file";

  if (!segments.empty()) {
    MQ_RETURN_IF_ERROR(CutAfter(segments, end_index, end_pos, zeros_after_end, options.read_only, report));
    segments.resize(end_index + 1);
  }

  segments_.Replace(segments);
  {
    std::lock_guard lock(put_mu_);
    current_ = segments.empty() ? nullptr : segments.back();
    queue_offsets_ = std::move(table);
  }
  wrote_where_.store(report.end_offset, std::memory_order_release);
  flushed_where_.store(report.end_offset, std::memory_order_release);
  // What recovery read before the end stays cached, the kernel's to reclaim;
  // drops start at a folio boundary of the last file (DropCacheBehind).
  cache_dropped_to_ = FolioFloor(report.end_offset);
  if (ring_) ring_->set_committed(report.end_offset);
  report.took = std::chrono::microseconds((clock_.MonotonicNanos() - began_ns) / 1000);
  StoreLog(LogLevel::kInfo, "commit log " + report.ToString());
  return report;
}

}  // namespace mqstore
