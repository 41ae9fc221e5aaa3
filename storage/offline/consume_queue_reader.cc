#include "storage/offline/consume_queue_reader.h"

namespace mqstore {

Result<ConsumeQueueReader> ConsumeQueueReader::Open(FileSystem& fs, const ConsumeQueueLocation& location,
                                                    int64_t file_size) {
  if (file_size <= 0) file_size = InferSegmentSize(location.segments);
  if (file_size <= 0) file_size = kDefaultCqFileSize;
  if (file_size % kCqUnitSize != 0)
    return Status::InvalidArgument(location.dir + ": consume-queue file size " + std::to_string(file_size) +
                                   " is not a multiple of 20");
  return ConsumeQueueReader(fs, location, file_size);
}

Status ConsumeQueueReader::ForEachUnit(
    const std::function<void(int64_t queue_offset, const ConsumeQueueUnit& unit)>& fn) {
  for (const SegmentFile& seg : location_.segments) {
    if (static_cast<int64_t>(seg.size) != file_size_)
      return Status::Corruption(seg.path + ": size " + std::to_string(seg.size) + ", expected " +
                                std::to_string(file_size_));
    auto mapping = fs_->MapReadOnly(seg.path);
    if (!mapping.ok()) return mapping.error();
    const auto data = (*mapping)->data();
    for (uint64_t pos = 0; pos + kCqUnitSize <= data.size(); pos += kCqUnitSize) {
      const ConsumeQueueUnit unit = DecodeCqUnit(data.subspan(pos)).value();
      if (!unit.IsValid()) return Status::Ok();  // end of data
      fn((seg.start_offset + static_cast<int64_t>(pos)) / kCqUnitSize, unit);
    }
  }
  return Status::Ok();
}

Result<ConsumeQueueReader::Range> ConsumeQueueReader::ComputeRange(int64_t min_commit_log_offset) {
  Range range;
  if (location_.segments.empty()) return range;
  const int64_t first_file_end = location_.segments.front().start_offset + file_size_;
  range.min_offset = location_.segments.front().start_offset / kCqUnitSize;
  range.max_offset = range.min_offset;
  bool min_found = false;
  Status st = ForEachUnit([&](int64_t queue_offset, const ConsumeQueueUnit& unit) {
    ++range.units;
    range.max_offset = queue_offset + 1;
    if (!min_found && queue_offset * kCqUnitSize < first_file_end &&
        unit.commit_log_offset >= min_commit_log_offset) {
      range.min_offset = queue_offset;
      min_found = true;
    }
  });
  if (!st.ok()) return st;
  return range;
}

}  // namespace mqstore
