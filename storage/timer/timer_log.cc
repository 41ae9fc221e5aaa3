#include "storage/timer/timer_log.h"

#include <algorithm>
#include <cstring>

#include "storage/store_layout.h"
#include "storage/store_log.h"

namespace mqstore {

TimerLog::TimerLog(FileSystem& fs, std::string dir, int64_t file_size)
    : fs_(fs), dir_(std::move(dir)), file_size_(file_size), files_(file_size) {}

Status TimerLog::Load() {
  if (file_size_ < kTimerLogUnitSize + kTimerLogBlankSize)
    return Status::InvalidArgument("mappedFileSizeTimerLog=" + std::to_string(file_size_) +
                                   ": a timer-log file must hold at least one 52-byte unit and the 16-byte filler");
  std::vector<std::string> ignored;
  auto listed = ListSegments(fs_, dir_, &ignored);
  if (!listed.ok()) return listed.error();
  for (const std::string& name : ignored)
    StoreLog(LogLevel::kWarn, "timer log " + dir_ + ": ignoring " + name + " (not a 20-digit offset)");
  std::vector<std::shared_ptr<Segment>> loaded;
  for (const SegmentFile& f : *listed) {
    if (f.start_offset % file_size_ != 0)
      return Status::Corruption(f.path + ": timer-log file name is not a multiple of mappedFileSizeTimerLog=" +
                                std::to_string(file_size_));
    auto segment = Segment::Open(fs_, f.path, f.start_offset, file_size_, /*writable_mapping=*/true);
    if (!segment.ok()) return segment.error().WithContext("mappedFileSizeTimerLog=" + std::to_string(file_size_));
    (*segment)->SetPositions(file_size_);  // recovery sets the real end
    if (!loaded.empty() && loaded.back()->end_offset() != f.start_offset)
      return Status::Corruption(f.path + ": timer-log files are not contiguous (the previous one ends at " +
                                std::to_string(loaded.back()->end_offset()) + ")");
    loaded.push_back(std::move(*segment));
  }
  files_.Replace(std::move(loaded));
  return Status::Ok();
}

Status TimerLog::NewFile(int64_t start) {
  MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, dir_));
  auto segment = Segment::Create(fs_, dir_, start, file_size_, /*writable_mapping=*/true);
  if (!segment.ok()) return segment.error();
  files_.Append(std::move(*segment));
  return Status::Ok();
}

Result<int64_t> TimerLog::Append(const TimerLogUnit& unit) {
  std::shared_ptr<Segment> last = files_.Last();
  if (!last) {
    MQ_RETURN_IF_ERROR(NewFile(0));
    last = files_.Last();
  }
  if (kTimerLogUnitSize + kTimerLogBlankSize > file_size_ - last->wrote()) {
    // The filler closes the file (if there is room for one; a full file has none).
    const int64_t pos = last->wrote();
    if (pos < file_size_) {
      EncodeTimerLogBlank(static_cast<int32_t>(file_size_ - pos), last->data().data() + pos);
      last->set_wrote(file_size_);
      last->set_committed(file_size_);
    }
    MQ_RETURN_IF_ERROR(NewFile(last->end_offset()));
    last = files_.Last();
  }
  const int64_t pos = last->wrote();
  EncodeTimerLogUnit(unit, last->data().data() + pos);
  last->set_wrote(pos + kTimerLogUnitSize);
  last->set_committed(pos + kTimerLogUnitSize);
  return last->start_offset() + pos;
}

Result<TimerLogEntry> TimerLog::Read(int64_t offset) const {
  std::shared_ptr<Segment> file = files_.Find(offset);
  if (!file) return Status::NotFound(dir_ + ": no timer-log file holds offset " + std::to_string(offset));
  const int64_t pos = offset - file->start_offset();
  if (pos >= file->wrote())
    return Status::NotFound(dir_ + ": offset " + std::to_string(offset) + " is past the timer log's end");
  const auto bytes = std::span<const uint8_t>(file->data()).subspan(static_cast<size_t>(pos),
                                                                    static_cast<size_t>(file->wrote() - pos));
  auto entry = DecodeTimerLogEntry(bytes);
  if (!entry.ok())
    return Status::Corruption(file->path() + " at " + std::to_string(pos) + ": " + entry.error().ToString());
  return *entry;
}

Result<TimerLogUnit> TimerLog::ReadUnit(int64_t offset) const {
  auto entry = Read(offset);
  if (!entry.ok()) return entry.error();
  if (const auto* unit = std::get_if<TimerLogUnit>(&*entry)) return *unit;
  return Status::Corruption(dir_ + ": offset " + std::to_string(offset) + " holds the end-of-file filler, not a unit");
}

Status TimerLog::Flush() {
  for (const auto& file : files_.Snapshot()) {
    const int64_t wrote = file->wrote();
    if (file->flushed() < wrote) MQ_RETURN_IF_ERROR(file->Flush(wrote));
  }
  return Status::Ok();
}

int64_t TimerLog::MaxOffset() const {
  std::shared_ptr<Segment> last = files_.Last();
  return last ? last->start_offset() + last->wrote() : 0;
}

int64_t TimerLog::FlushedWhere() const {
  // The end of the synced prefix: the first file not synced to its end.
  for (const auto& file : files_.Snapshot())
    if (file->flushed() < file->size()) return file->start_offset() + file->flushed();
  return files_.NextStart();
}

Status TimerLog::TruncateTo(int64_t end) {
  auto dropped = files_.RemoveBackWhile([&](const Segment& f) { return f.start_offset() >= end && end > 0; });
  if (end == 0) dropped = files_.Clear();
  for (const auto& f : dropped) {
    StoreLog(LogLevel::kWarn, "timer log: removing " + f->path() + ", past the last valid unit at " + std::to_string(end));
    MQ_RETURN_IF_ERROR(fs_.Remove(f->path()));
  }
  std::shared_ptr<Segment> last = files_.Last();
  if (!last) return Status::Ok();
  const int64_t pos = end - last->start_offset();
  auto bytes = last->data();
  const auto tail = bytes.subspan(static_cast<size_t>(pos));
  const auto nonzero = std::find_if(tail.rbegin(), tail.rend(), [](uint8_t b) { return b != 0; });
  if (nonzero != tail.rend()) {
    const auto len = static_cast<size_t>(tail.rend() - nonzero);
    std::memset(tail.data(), 0, len);
    MQ_RETURN_IF_ERROR(last->file().Sync());
  }
  for (const auto& f : files_.Snapshot()) f->SetPositions(f.get() == last.get() ? pos : f->size());
  return Status::Ok();
}

Result<size_t> TimerLog::RemoveFilesWhile(const std::function<bool(const Segment&)>& drop) {
  auto gone = files_.RemoveFrontWhile(drop);
  for (const auto& f : gone) MQ_RETURN_IF_ERROR(fs_.Remove(f->path()));
  return gone.size();
}

}  // namespace mqstore
