#include "storage/offline/commit_log_reader.h"

#include <algorithm>

namespace mqstore {

CommitLogReader::CommitLogReader(FileSystem& fs, std::vector<SegmentFile> segments)
    : fs_(fs), segments_(std::move(segments)), mappings_(segments_.size()) {}

Result<MessageRecordView> CommitLogReader::ReadMessage(int64_t offset, const RecordDecodeOptions& options) {
  // The last segment whose start is <= offset.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](int64_t off, const SegmentFile& s) { return off < s.start_offset; });
  if (it == segments_.begin())
    return Status::NotFound("commit-log offset " + std::to_string(offset) + " is below the first segment");
  --it;
  const auto index = static_cast<size_t>(it - segments_.begin());
  const int64_t pos = offset - it->start_offset;
  if (pos >= static_cast<int64_t>(it->size))
    return Status::NotFound("commit-log offset " + std::to_string(offset) + " is past the end of " + it->path);
  if (mappings_[index] == nullptr) {
    auto mapping = fs_.MapReadOnly(it->path);
    if (!mapping.ok()) return mapping.error();
    mappings_[index] = std::move(*mapping);
  }
  const auto file = mappings_[index]->data();
  if (static_cast<uint64_t>(pos) >= file.size())  // the file shrank after it was listed
    return Status::NotFound("commit-log offset " + std::to_string(offset) + " is past the end of " + it->path +
                            " (" + std::to_string(file.size()) + " bytes)");
  const auto data = file.subspan(static_cast<size_t>(pos));
  auto decoded = DecodeRecord(data, options);
  if (!decoded.ok()) return decoded.error().ToStatus(it->path, static_cast<uint64_t>(pos));
  if (decoded->kind != RecordKind::kMessage)
    return Status::Corruption(it->path + ": offset " + std::to_string(pos) + " holds the end-of-file blank record");
  if (decoded->message.physical_offset != offset)
    return Status::Corruption(it->path + ": record at offset " + std::to_string(pos) + " stores PHYSICALOFFSET " +
                              std::to_string(decoded->message.physical_offset) + ", expected " +
                              std::to_string(offset));
  return decoded->message;
}

}  // namespace mqstore
