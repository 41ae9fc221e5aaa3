// CommitLog::AppendRecords: records encoded ahead (EncodedRecords), of any
// topics and queues, appended a bounded chunk per hold of the put lock.
#include <algorithm>

#include "format/big_endian.h"
#include "format/sys_flag.h"
#include "storage/log/commit_log.h"

namespace mqstore {

CommitLog::AppendRecordsResult CommitLog::AppendRecords(EncodedRecords& batch, size_t from, size_t count) {
  AppendRecordsResult out;
  from = std::min(from, batch.records.size());
  count = std::min(count, batch.records.size() - from);
  out.put.status = PutStatus::kPutOk;
  if (count == 0) return out;
  if (!writeable()) {
    out.put = Refuse(PutStatus::kServiceNotAvailable, "the commit log is not writeable after an I/O error");
    return out;
  }
  if (IsPageCacheBusy()) {
    out.put = Refuse(PutStatus::kOsPageCacheBusy, "the put lock is held too long");
    return out;
  }
  // This hold's share: bounded in records and bytes (and to a quarter of
  // the write ring, so a run always fits it once committed).
  const size_t byte_cap = ring_ ? std::min(kMaxBytesPerHold, ring_->capacity() / 4) : kMaxBytesPerHold;
  size_t end = from, bytes = 0;
  while (end < from + count && end - from < kMaxRecordsPerHold &&
         (end == from || bytes + batch.records[end].size <= byte_cap))
    bytes += batch.records[end++].size;

  bool rolled = false;
  AppendHold(batch, from, end, out, rolled);
  if (out.appended > 0) {
    int64_t appended_bytes = 0;
    for (size_t i = from; i < from + out.appended; ++i) appended_bytes += batch.records[i].size;
    out.put.wrote_offset = LoadI64(batch.bytes.data() + batch.records[from].at + record_pos::kPhysicalOffset);
    out.put.wrote_bytes = static_cast<int32_t>(appended_bytes);
    out.put.msg_count = static_cast<int32_t>(out.appended);
    if (ring_) NoteCommitBacklog();
  }
  if (rolled && events_) events_->OnSegmentsGrew();
  return out;
}

// The locked part of AppendRecords: records [from, end).
void CommitLog::AppendHold(EncodedRecords& batch, size_t from, size_t end, AppendRecordsResult& out, bool& rolled) {
  std::lock_guard lock(put_mu_);
  const int64_t now = clock_.WallMillis();
  begin_time_in_lock_.store(now, std::memory_order_relaxed);
  struct Release {
    std::atomic<int64_t>& t;
    ~Release() { t.store(0, std::memory_order_relaxed); }
  } release{begin_time_in_lock_};
  auto stop = [&](size_t at, PutStatus status, const std::string& why) {
    out.put = Refuse(status, why);
    out.appended = at - from;
  };
  if (!writeable()) return stop(from, PutStatus::kServiceNotAvailable, "the commit log is not writeable after an I/O error");
  if (!current_ || current_->IsFull()) {
    if (Status st = Roll(current_); !st.ok()) return stop(from, PutStatus::kCreateMappedFileFailed, st.ToString());
    rolled = true;
  }
  // Each queue's next offset, looked up once per hold (the table's entries
  // stay put while the lock is held).
  std::vector<int64_t*> next(batch.queues.size(), nullptr);
  auto counter = [&](const EncodedRecords::Record& r) -> int64_t* {
    if (!sysflag::TakesQueueOffset(LoadI32(batch.bytes.data() + r.at + record_pos::kSysFlag))) return nullptr;
    int64_t*& q = next[r.queue];
    if (q == nullptr) q = &queue_offsets_.At(batch.queues[r.queue].topic, batch.queues[r.queue].queue_id);
    return q;
  };
  int64_t pos = current_->wrote();
  size_t run = from;  // the first record not yet copied
  int64_t run_pos = pos;
  // Copies [run, i) and publishes it; on failure their queue offsets go back.
  auto copy_run = [&](size_t i) -> bool {
    if (i == run) return true;
    if (Status st = CopyRecords(batch, run, i, run_pos); !st.ok()) {
      for (size_t k = run; k < i; ++k)
        if (int64_t* q = counter(batch.records[k])) --*q;
      stop(run, PutStatus::kServiceNotAvailable, st.ToString());
      return false;
    }
    Publish(pos, now);
    return true;
  };
  for (size_t i = from; i < end; ++i) {
    const EncodedRecords::Record& r = batch.records[i];
    if (static_cast<int64_t>(r.size) + kEndFileMinBlankLength > options_.segment_size) {
      if (copy_run(i))
        stop(i, PutStatus::kMessageIllegal,
             std::to_string(r.size) + " bytes do not fit a " + std::to_string(options_.segment_size) + "-byte segment");
      return;
    }
    if (static_cast<int64_t>(r.size) + kEndFileMinBlankLength > current_->size() - pos) {
      // The segment's end, as Put: the blank record, then the next segment.
      if (!copy_run(i)) return;
      if (Status st = EndSegment(*current_, pos); !st.ok()) return stop(i, PutStatus::kUnknownError, st.ToString());
      if (Status st = Roll(current_); !st.ok()) return stop(i, PutStatus::kCreateMappedFileFailed, st.ToString());
      rolled = true;
      pos = run_pos = 0;
      run = i;
    }
    int64_t queue_offset = 0;
    if (int64_t* q = counter(r)) queue_offset = (*q)++;
    PatchAppendFields(batch.bytes.data() + r.at, queue_offset, current_->start_offset() + pos, now);
    pos += r.size;
  }
  if (!copy_run(end)) return;
  out.appended = end - from;
  out.put.store_timestamp = now;
}

// Records [from, to) to the current segment at `pos`, one copy per
// stretch that lies back to back in `batch`.
Status CommitLog::CopyRecords(EncodedRecords& batch, size_t from, size_t to, int64_t pos) {
  while (from < to) {
    const size_t at = batch.records[from].at;
    size_t len = 0, i = from;
    for (; i < to && batch.records[i].at == at + len; ++i) len += batch.records[i].size;
    MQ_RETURN_IF_ERROR(CopyIn(*current_, pos, std::span<const uint8_t>(batch.bytes.data() + at, len)));
    pos += static_cast<int64_t>(len);
    from = i;
  }
  return Status::Ok();
}

}  // namespace mqstore
