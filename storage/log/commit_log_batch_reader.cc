#include "storage/log/commit_log_batch_reader.h"

#include <algorithm>
#include <string>

#include "format/big_endian.h"

namespace mqstore {

CommitLogBatchReader::CommitLogBatchReader(const CommitLog& log, int64_t from, RecordDecodeOptions options,
                                           size_t buffer_bytes, size_t max_records)
    : log_(log), options_(options), max_records_(std::max<size_t>(max_records, 1)), offset_(from) {
  buffer_.resize(std::max<size_t>(buffer_bytes, 4096));
  records_.reserve(max_records_);
}

void CommitLogBatchReader::Seek(int64_t offset) {
  offset_ = offset;
  buffer_len_ = 0;
}

Status CommitLogBatchReader::Fill(int64_t limit) {
  const int64_t len = std::min<int64_t>(static_cast<int64_t>(buffer_.size()), limit - offset_);
  const int64_t pos = offset_ - segment_->start_offset();
  auto n = segment_->file().Read(static_cast<uint64_t>(pos), std::span<uint8_t>(buffer_.data(), static_cast<size_t>(len)));
  buffer_offset_ = offset_;
  buffer_len_ = 0;
  if (!n.ok()) return n.error().WithContext("reading " + segment_->path() + " at " + std::to_string(pos));
  if (*n == 0) return Status::IOError(segment_->path() + ": nothing read at " + std::to_string(pos) + ", below the end");
  buffer_len_ = static_cast<int64_t>(*n);
  return Status::Ok();
}

Status CommitLogBatchReader::DecodeBuffered(int64_t limit, int64_t max_bytes) {
  const int64_t readable = segment_->start_offset() + segment_->committed();
  const int64_t first = offset_;
  bool refilled = false;
  while (records_.size() < max_records_ && offset_ < limit && offset_ - first < max_bytes) {
    if (!Buffered(offset_)) {
      if (!records_.empty()) return Status::Ok();  // the batch's views point into the buffer
      MQ_RETURN_IF_ERROR(Fill(limit));
      refilled = true;
    }
    const int64_t pos = offset_ - buffer_offset_;
    const int64_t avail = std::min(buffer_offset_ + buffer_len_, limit) - offset_;
    // Decoded in place, into the batch (the view is not copied).
    Record& r = records_.emplace_back();
    r.offset = offset_;
    const std::optional<DecodeError> error =
        DecodeRecordInto(std::span<const uint8_t>(buffer_.data() + pos, static_cast<size_t>(avail)), options_, r.decoded);
    const bool blank = !error && r.decoded.kind == RecordKind::kBlank;
    const int64_t said = r.decoded.message.physical_offset;
    const int32_t size = r.decoded.total_size;
    if (error || blank || said != offset_) records_.pop_back();  // `r` is gone from here
    if (error && error->code == DecodeErrc::kTruncated) {
      if (buffer_offset_ + buffer_len_ < limit) {  // the record goes on past the buffer
        if (!records_.empty()) return Status::Ok();  // the next call reads from it
        const size_t whole = avail >= 4 ? static_cast<size_t>(std::max(LoadI32(buffer_.data() + pos), 0)) : 0;
        if (refilled && whole <= buffer_.size())
          return Status::IOError(segment_->path() + ": short read at " +
                                 std::to_string(offset_ - segment_->start_offset()));
        if (whole > buffer_.size()) buffer_.resize(whole);  // DecodeRecord bounded it by max_record_size
        buffer_len_ = 0;
        continue;
      }
      if (limit < readable) return Status::Ok();  // written, not yet below `end` (flushed)
    }
    if (error) return error->ToStatus(segment_->path(), static_cast<uint64_t>(offset_ - segment_->start_offset()));
    if (blank) {  // the segment ends here
      offset_ = segment_->end_offset();
      return Status::Ok();
    }
    if (said != offset_)
      return Status::Corruption(segment_->path() + " at " + std::to_string(offset_ - segment_->start_offset()) +
                                ": PHYSICALOFFSET " + std::to_string(said) + " is not the record's position");
    offset_ += size;
  }
  return Status::Ok();
}

CommitLogBatchReader::Batch CommitLogBatchReader::Next(int64_t end, int64_t max_bytes) {
  records_.clear();
  Batch batch;
  while (records_.empty() && offset_ < end) {
    if (!segment_ || !segment_->Contains(offset_)) {
      segment_ = log_.SegmentFor(offset_);
      buffer_len_ = 0;
    }
    if (!segment_) break;  // nothing there (yet)
    const int64_t readable = segment_->start_offset() + segment_->committed();
    if (offset_ >= readable) {
      // A full file ends exactly at its size: go on in the next one.
      if (readable != segment_->end_offset() || !log_.SegmentFor(readable)) break;
      offset_ = readable;
      continue;
    }
    const int64_t before = offset_;
    batch.error = DecodeBuffered(std::min(end, readable), std::max<int64_t>(max_bytes, 1));
    if (!batch.error.ok() || offset_ == before) break;  // stopped, or caught up mid-record
  }
  if (!batch.error.ok()) {
    buffer_len_ = 0;  // the next call reads the bad record again
    if (!records_.empty()) batch.error = Status::Ok();  // reported when it is reached
  }
  batch.records = records_;
  return batch;
}

}  // namespace mqstore
