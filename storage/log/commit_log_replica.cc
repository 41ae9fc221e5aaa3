// CommitLog::AppendReplica: the HA slave's way into the log (RocketMQ's
// CommitLog.appendData). The bytes are the master's, byte for byte, so the
// slave's log equals the master's; its own dispatcher builds queues and
// index from them.
#include <string>

#include "storage/log/commit_log.h"

namespace mqstore {

Status CommitLog::AppendReplica(int64_t offset, std::span<const uint8_t> bytes, int64_t store_timestamp) {
  std::lock_guard lock(put_mu_);
  if (!writeable()) return Status::IOError("commit log is not writeable after an earlier I/O error");
  const auto size = static_cast<int64_t>(bytes.size());
  const int64_t segment_size = options_.segment_size;
  if (!current_ && segments_.size() == 0) {
    // An empty replica begins where its master's transfer starts: the
    // start of a commit-log file (HAConnection's first-file rule).
    if (offset % segment_size != 0)
      return Status::InvalidArgument("replica append at " + std::to_string(offset) +
                                     ": an empty log can only begin at a multiple of the segment size " +
                                     std::to_string(segment_size));
    auto first = allocator_.Take(offset);
    if (!first.ok()) return first.error();
    (*first)->SetPositions(0);
    segments_.Append(*first);
    current_ = std::move(*first);
    wrote_where_.store(offset, std::memory_order_release);
    flushed_where_.store(offset, std::memory_order_release);
    if (ring_) ring_->set_committed(offset);  // the committer starts here too
  }
  if (offset != WroteOffset())
    return Status::InvalidArgument("replica append at " + std::to_string(offset) + ", but the log ends at " +
                                   std::to_string(WroteOffset()));
  if (!current_ || current_->IsFull()) MQ_RETURN_IF_ERROR(Roll(current_));
  const int64_t pos = offset - current_->start_offset();
  if (size > current_->size() - pos)
    return Status::InvalidArgument("replica append of " + std::to_string(size) + " bytes at " +
                                   std::to_string(offset) + " runs past the end of segment " + current_->path());
  if (size == 0) return Status::Ok();
  if (Status st = CopyIn(*current_, pos, bytes); !st.ok()) {
    MarkNotWriteable(st);
    return st;
  }
  current_->set_wrote(pos + size);
  if (!ring_) current_->set_committed(pos + size);
  wrote_where_.store(offset + size, std::memory_order_release);
  if (store_timestamp > 0) {
    // After the positions, as Publish does: a flusher that sees the time
    // also sees the bytes of its record.
    current_->set_last_store_timestamp(store_timestamp);
    last_store_timestamp_.store(store_timestamp, std::memory_order_release);
  }
  allocator_.WriterAt(current_, pos + size);
  return Status::Ok();
}

}  // namespace mqstore
