#include "storage/log/segment.h"

#include "format/segment_name.h"

namespace mqstore {

Result<std::shared_ptr<Segment>> Segment::Create(FileSystem& fs, const std::string& dir, int64_t start_offset,
                                                 int64_t size, bool writable_mapping) {
  const std::string path = JoinPath(dir, SegmentFileName(start_offset));
  auto file = fs.OpenRandomRW(path, OpenMode::kCreateIfMissing);
  if (!file.ok()) return file.error();
  // fallocate keeps later appends from meeting ENOSPC halfway through a file;
  // syncing the size and the name now (off the put path: the allocator
  // thread does this) means a crash never leaves a short or missing file
  // under data that a later fdatasync made durable.
  MQ_RETURN_IF_ERROR((*file)->Preallocate(static_cast<uint64_t>(size)));
  MQ_RETURN_IF_ERROR((*file)->Sync());
  MQ_RETURN_IF_ERROR(fs.SyncDirectory(dir));
  return MapFile(std::move(*file), start_offset, size, writable_mapping);
}

Result<std::shared_ptr<Segment>> Segment::Open(FileSystem& fs, const std::string& path, int64_t start_offset,
                                               int64_t size, bool writable_mapping) {
  auto file = fs.OpenRandomRW(path, OpenMode::kMustExist);
  if (!file.ok()) return file.error();
  auto actual = (*file)->Size();
  if (!actual.ok()) return actual.error();
  if (static_cast<int64_t>(*actual) != size)
    return Status::Corruption(path + ": segment file is " + std::to_string(*actual) + " bytes, expected " +
                              std::to_string(size));
  return MapFile(std::move(*file), start_offset, size, writable_mapping);
}

Result<std::shared_ptr<Segment>> Segment::MapFile(std::unique_ptr<RandomRWFile> file, int64_t start, int64_t size,
                                                  bool writable_mapping) {
  auto mapping = file->Map(static_cast<uint64_t>(size), writable_mapping);
  if (!mapping.ok()) return mapping.error();
  return std::shared_ptr<Segment>(new Segment(std::move(file), std::move(*mapping), start, size));
}

void Segment::SetPositions(int64_t pos) {
  set_wrote(pos);
  set_committed(pos);
  set_flushed(pos);
}

Status Segment::Flush(int64_t up_to) {
  if (up_to <= flushed()) return Status::Ok();
  MQ_RETURN_IF_ERROR(file_->Sync());
  set_flushed(up_to);
  return Status::Ok();
}

Status Segment::DropCache(int64_t from, int64_t to) {
  // Whole pages: the one holding `from` has nothing after it that is kept
  // (the caller drops front to back), the one holding `to` has.
  constexpr int64_t kPage = 4096;
  from &= ~(kPage - 1);
  if (to < size_) to &= ~(kPage - 1);
  if (to <= from) return Status::Ok();
  const auto offset = static_cast<uint64_t>(from);
  const auto len = static_cast<uint64_t>(to - from);
  mapping_->DropPages(offset, len);  // a mapped page cannot leave the page cache
  return file_->DropCache(offset, len);
}

void Segment::ReleaseForcibly() {
  mapping_->ReplaceWithZeros();
  (void)file_->Truncate(0);  // a failure keeps the blocks until the last reader lets go
}

}  // namespace mqstore
