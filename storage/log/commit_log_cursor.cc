#include "storage/log/commit_log_cursor.h"

namespace mqstore {
namespace {

// A decode reads a record's header and, past the body it skips, its topic
// and properties: a cache miss the hardware does not predict. Records of a
// log tend to be of one size, so the tails of the next four are guessed to
// end where this one's size says, and fetched while this one is handled.
void PrefetchAhead(std::span<const uint8_t> bytes, int32_t size) {
  for (size_t ahead = 2; ahead <= 5; ++ahead) {
    const size_t tail = ahead * static_cast<size_t>(size);
    if (tail > bytes.size() || tail < 128) return;
    __builtin_prefetch(bytes.data() + tail - 128);
    __builtin_prefetch(bytes.data() + tail - 64);
  }
}

}  // namespace

CommitLogCursor::CommitLogCursor(const CommitLog& log, int64_t from, RecordDecodeOptions options)
    : log_(log), options_(options), offset_(from) {}

CommitLogCursor::Entry CommitLogCursor::Next() {
  Entry e;
  while (true) {
    e.offset = offset_;
    if (!segment_ || !segment_->Contains(offset_)) segment_ = log_.SegmentFor(offset_);
    if (!segment_) return e;  // kCaughtUp: nothing there (yet)
    const int64_t pos = offset_ - segment_->start_offset();
    const int64_t readable = segment_->committed();
    if (pos >= readable) {
      if (readable == segment_->size() && log_.SegmentFor(segment_->end_offset())) {
        offset_ = segment_->end_offset();  // a full file ends exactly at its size
        continue;
      }
      return e;
    }
    auto bytes = std::span<const uint8_t>(segment_->data()).subspan(static_cast<size_t>(pos),
                                                                   static_cast<size_t>(readable - pos));
    auto decoded = DecodeRecord(bytes, options_);
    if (!decoded.ok()) {
      e.kind = Kind::kError;
      e.error = decoded.error().ToStatus(segment_->path(), static_cast<uint64_t>(pos));
      return e;
    }
    if (decoded->kind == RecordKind::kBlank) {
      offset_ = segment_->end_offset();
      continue;
    }
    if (decoded->message.physical_offset != offset_) {
      e.kind = Kind::kError;
      e.error = Status::Corruption(segment_->path() + " at " + std::to_string(pos) + ": PHYSICALOFFSET " +
                                   std::to_string(decoded->message.physical_offset) + " is not the record's position");
      return e;
    }
    e.kind = Kind::kMessage;
    e.size = decoded->total_size;
    e.message = decoded->message;
    offset_ += e.size;
    PrefetchAhead(bytes, e.size);
    return e;
  }
}

}  // namespace mqstore
