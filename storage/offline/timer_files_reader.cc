#include "storage/offline/timer_files_reader.h"

#include <algorithm>
#include <cstring>

namespace mqstore {
namespace {

bool AllZero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

std::string At(const SegmentFile& f, int64_t file_offset) {
  return f.path + ": offset " + std::to_string(file_offset) + ": ";
}

}  // namespace

int64_t TimerUnitSlotTime(const TimerLogUnit& u) {
  int64_t t = 0;
  return __builtin_add_overflow(u.write_time_ms, int64_t{u.delay_ms}, &t) ? INT64_MIN : t;
}

std::string TimerLogDir(const StorePaths& paths) { return JoinPath(paths.root, "timerlog"); }
std::string TimerWheelFile(const StorePaths& paths) { return JoinPath(paths.root, "timerwheel"); }
std::string TimerCheckFile(const StorePaths& paths) { return JoinPath(JoinPath(paths.root, "config"), "timercheck"); }

Result<TimerFilesReader> TimerFilesReader::Open(FileSystem& fs, const StorePaths& paths,
                                                const StoreReadOptions& options) {
  if (options.timer_precision_ms <= 0)
    return Status::InvalidArgument("timerPrecisionMs " + std::to_string(options.timer_precision_ms) +
                                   ": must be positive");
  TimerFilesReader r(fs, paths, options.timer_precision_ms);
  auto files = ListSegments(fs, TimerLogDir(paths), &r.ignored_, &r.not_regular_);
  if (!files.ok()) return files.error();
  r.files_ = std::move(*files);
  r.file_size_ = options.timer_log_file_size > 0 ? options.timer_log_file_size : InferSegmentSize(r.files_);
  r.mappings_.resize(r.files_.size());
  return r;
}

bool TimerFilesReader::HasTimerFiles() const {
  return !files_.empty() || fs_->Exists(TimerWheelFile(paths_)) || fs_->Exists(TimerCheckFile(paths_));
}

Result<std::span<const uint8_t>> TimerFilesReader::FileData(size_t index) {
  if (mappings_[index] == nullptr) {
    auto mapping = fs_->MapReadOnly(files_[index].path);
    if (!mapping.ok()) return mapping.error();
    mappings_[index] = std::move(*mapping);
  }
  return mappings_[index]->data();
}

bool TimerFilesReader::FileStartsWithData(size_t index) {
  auto data = FileData(index);
  if (!data.ok()) return true;  // unreadable: not proof of an empty file
  return !AllZero(data->first(std::min<size_t>(data->size(), kTimerLogUnitSize)));
}

Status TimerFilesReader::ForEachLogEntry(const std::function<void(const TimerLogEvent&)>& fn, int64_t from) {
  for (size_t i = 0; i < files_.size(); ++i) {
    if (files_[i].start_offset + static_cast<int64_t>(files_[i].size) <= from) continue;
    auto data = FileData(i);
    if (!data.ok()) return data.error();
    WalkFile(i, *data, fn);
  }
  return Status::Ok();
}

// The entries of file `index` up to its filler, the end of data or damage.
void TimerFilesReader::WalkFile(size_t index, std::span<const uint8_t> data,
                                const std::function<void(const TimerLogEvent&)>& fn) {
  const SegmentFile& f = files_[index];
  TimerLogEvent ev;
  ev.file = &f;
  auto emit_error = [&](int64_t pos, const std::string& what) {
    ev.kind = TimerLogEventKind::kError;
    ev.file_offset = pos;
    ev.offset = f.start_offset + pos;
    ev.error = Status::Corruption(At(f, pos) + what);
    fn(ev);
  };
  const auto size = static_cast<int64_t>(data.size());
  if (file_size_ > 0 && size != file_size_)
    return emit_error(0, "file size " + std::to_string(size) + ", expected mappedFileSizeTimerLog " +
                             std::to_string(file_size_) + " (RocketMQ does not load such a file)");
  for (int64_t pos = 0; pos < size;) {
    const auto rest = data.subspan(static_cast<size_t>(pos));
    if (AllZero(rest.first(std::min<size_t>(rest.size(), kTimerLogUnitSize)))) {
      if (index + 1 < files_.size() && FileStartsWithData(index + 1))
        return emit_error(pos, "zeros where a unit should be, and " + files_[index + 1].name +
                                   " follows with data (RocketMQ's recovery stops here and drops the rest)");
      ev.kind = TimerLogEventKind::kEndOfData;
      ev.file_offset = pos;
      ev.offset = f.start_offset + pos;
      return fn(ev);
    }
    auto entry = DecodeTimerLogEntry(rest);
    if (!entry.ok()) return emit_error(pos, entry.error().ToString());
    ev.file_offset = pos;
    ev.offset = f.start_offset + pos;
    if (const auto* blank = std::get_if<TimerLogBlank>(&*entry)) {
      if (blank->size != size - pos)
        return emit_error(pos, "filler size " + std::to_string(blank->size) + ", but " + std::to_string(size - pos) +
                                   " bytes are left in the file");
      ev.kind = TimerLogEventKind::kBlank;
      ev.blank_size = blank->size;
      return fn(ev);
    }
    ev.kind = TimerLogEventKind::kUnit;
    ev.unit = std::get<TimerLogUnit>(*entry);
    fn(ev);
    pos += kTimerLogUnitSize;
  }
}

Result<TimerLogUnit> TimerFilesReader::ReadUnit(int64_t offset) {
  auto it = std::upper_bound(files_.begin(), files_.end(), offset,
                             [](int64_t off, const SegmentFile& s) { return off < s.start_offset; });
  if (offset < 0 || it == files_.begin())
    return Status::NotFound("timer-log offset " + std::to_string(offset) + " is below the first timerlog file");
  --it;
  const auto index = static_cast<size_t>(it - files_.begin());
  auto data = FileData(index);
  if (!data.ok()) return data.error();
  const int64_t pos = offset - it->start_offset;
  if (pos >= static_cast<int64_t>(data->size()))
    return Status::NotFound("timer-log offset " + std::to_string(offset) + " is past the end of " + it->path);
  auto entry = DecodeTimerLogEntry(data->subspan(static_cast<size_t>(pos)));
  if (!entry.ok()) return entry.error().ToStatus(it->path, static_cast<uint64_t>(pos));
  if (!std::holds_alternative<TimerLogUnit>(*entry))
    return Status::Corruption(At(*it, pos) + "the end-of-file filler, not a unit");
  return std::get<TimerLogUnit>(*entry);
}

Status TimerFilesReader::ForEachWheelSlot(const std::function<void(int64_t index, const TimerWheelSlot& slot)>& fn) {
  const std::string path = TimerWheelFile(paths_);
  if (!fs_->Exists(path)) return Status::Ok();
  auto mapping = fs_->MapReadOnly(path);
  if (!mapping.ok()) return mapping.error();
  const std::span<const uint8_t> data = (*mapping)->data();
  if (static_cast<int64_t>(data.size()) != kTimerWheelFileSize)
    return Status::Corruption(path + ": " + std::to_string(data.size()) + " bytes, expected " +
                              std::to_string(kTimerWheelFileSize) + " (1,209,600 slots of 32 bytes)");
  // Most of a wheel is zeros: test each slot as four words, not 32 bytes.
  for (int64_t i = 0; i < kTimerWheelSlots; ++i) {
    uint64_t words[4];
    std::memcpy(words, data.data() + i * kTimerWheelSlotSize, sizeof words);
    if ((words[0] | words[1] | words[2] | words[3]) == 0) continue;
    auto slot = DecodeTimerWheelSlot(data.subspan(static_cast<size_t>(i * kTimerWheelSlotSize)));
    if (slot.ok()) fn(i, *slot);
  }
  return Status::Ok();
}

Result<std::optional<TimerCheckpoint>> TimerFilesReader::ReadCheckpoint() {
  const std::string path = TimerCheckFile(paths_);
  if (!fs_->Exists(path)) return std::optional<TimerCheckpoint>();
  auto mapping = fs_->MapReadOnly(path);
  if (!mapping.ok()) return mapping.error();
  auto c = DecodeTimerCheckpoint((*mapping)->data());
  if (!c.ok()) return c.error().ToStatus(path);
  return std::optional<TimerCheckpoint>(*c);
}

}  // namespace mqstore
