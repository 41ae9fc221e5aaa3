#include "storage/offline/commit_log_scanner.h"

#include "format/big_endian.h"
#include "format/log_entry.h"

namespace mqstore {

CommitLogScanner::CommitLogScanner(FileSystem& fs, std::vector<SegmentFile> segments, ScanOptions options)
    : fs_(fs), segments_(std::move(segments)), options_(options) {
  for (const SegmentFile& s : segments_) total_bytes_ += s.size;
  if (options_.from_offset >= 0) {
    // Skip whole segments that end at or before the start offset.
    while (next_segment_ < segments_.size() &&
           segments_[next_segment_].start_offset + static_cast<int64_t>(segments_[next_segment_].size) <=
               options_.from_offset) {
      bytes_before_current_ += segments_[next_segment_].size;
      ++next_segment_;
    }
  }
}

void CommitLogScanner::LeaveSegment() {
  if (current_ != nullptr) bytes_before_current_ += current_->size;
  current_ = nullptr;
  mapping_.reset();
  pos_ = 0;
}

bool CommitLogScanner::OpenNextSegment(ScanEvent& event) {
  LeaveSegment();
  if (next_segment_ >= segments_.size()) return false;
  current_ = &segments_[next_segment_++];
  auto mapping = fs_.MapReadOnly(current_->path);
  if (!mapping.ok()) {
    event = ScanEvent{};
    event.kind = ScanEventKind::kError;
    event.offset = current_->start_offset;
    event.segment = current_;
    event.error = mapping.error();
    LeaveSegment();
    return true;
  }
  mapping_ = std::move(*mapping);
  if (options_.from_offset > current_->start_offset)
    pos_ = static_cast<uint64_t>(options_.from_offset - current_->start_offset);
  return true;
}

bool CommitLogScanner::Next(ScanEvent& event) {
  while (true) {
    if (mapping_ == nullptr) {
      if (!OpenNextSegment(event)) return false;
      if (mapping_ == nullptr) return true;  // the segment could not be opened: event is the error
    }
    const std::span<const uint8_t> data = mapping_->data();
    event = ScanEvent{};
    event.segment = current_;
    event.offset = current_->start_offset + static_cast<int64_t>(pos_);
    event.bytes_left = static_cast<int64_t>(data.size()) - static_cast<int64_t>(pos_);
    if (pos_ >= data.size()) {  // filled to the last byte: nothing more here
      LeaveSegment();
      continue;
    }
    const std::span<const uint8_t> rest = data.subspan(pos_);
    if (rest.size() < 4 || LoadI32(rest.data()) == 0) {
      event.kind = ScanEventKind::kEndOfData;
      event.size = static_cast<int32_t>(std::min<uint64_t>(rest.size(), INT32_MAX));
      LeaveSegment();
      return true;
    }
    auto decoded = DecodeRecord(rest, options_.decode);
    if (!decoded.ok()) {
      event.kind = ScanEventKind::kError;
      event.error = decoded.error().ToStatus({}, pos_);  // offset within the file; the event names the file
      const std::optional<int64_t> next =
          options_.resync ? FindNextEntry(data, current_->start_offset, static_cast<int64_t>(pos_) + 1,
                                          static_cast<int64_t>(data.size()), options_.decode)
                          : std::nullopt;
      if (!next) {
        LeaveSegment();
        return true;
      }
      event.resume_offset = current_->start_offset + *next;
      pos_ = static_cast<uint64_t>(*next);
      return true;
    }
    event.size = decoded->total_size;
    if (decoded->kind == RecordKind::kBlank) {
      event.kind = ScanEventKind::kBlank;
      LeaveSegment();
      return true;
    }
    event.kind = ScanEventKind::kMessage;
    event.message = decoded->message;
    event.bytes = rest.first(static_cast<size_t>(decoded->total_size));
    pos_ += static_cast<uint64_t>(decoded->total_size);
    return true;
  }
}

}  // namespace mqstore
