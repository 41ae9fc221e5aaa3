#include "storage/timer/timer_checkpoint.h"

#include <array>

namespace mqstore {

Status TimerCheckpointFile::Load() {
  existed_ = fs_.Exists(path_);
  if (!existed_) {
    value_ = TimerCheckpoint{};
    return Status::Ok();
  }
  auto file = fs_.OpenRandomRW(path_, OpenMode::kMustExist);
  if (!file.ok()) return file.error();
  std::array<uint8_t, kTimerCheckpointUsedSize> bytes{};
  auto n = (*file)->Read(0, bytes);
  if (!n.ok()) return n.error();
  if (*n < bytes.size())
    return Status::Corruption(path_ + ": the timer checkpoint is " + std::to_string(*n) + " bytes, needs at least " +
                              std::to_string(kTimerCheckpointUsedSize));
  auto decoded = DecodeTimerCheckpoint(bytes);
  if (!decoded.ok()) return Status::Corruption(path_ + ": " + decoded.error().ToString());
  value_ = *decoded;
  file_ = std::move(*file);
  return Status::Ok();
}

Status TimerCheckpointFile::Flush() {
  if (!file_) {
    MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, ParentPath(path_)));
    const bool existed = fs_.Exists(path_);
    auto file = fs_.OpenRandomRW(path_, OpenMode::kCreateIfMissing);
    if (!file.ok()) return file.error();
    file_ = std::move(*file);
    auto size = file_->Size();
    if (!size.ok()) return size.error();
    if (*size < static_cast<uint64_t>(kTimerCheckpointFileSize))
      MQ_RETURN_IF_ERROR(file_->Truncate(kTimerCheckpointFileSize));
    if (!existed) {
      MQ_RETURN_IF_ERROR(file_->Sync());
      MQ_RETURN_IF_ERROR(fs_.SyncDirectory(ParentPath(path_)));
    }
  }
  std::array<uint8_t, kTimerCheckpointUsedSize> bytes{};
  EncodeTimerCheckpoint(value_, bytes.data());
  MQ_RETURN_IF_ERROR(file_->Write(0, bytes));
  return file_->Sync();
}

}  // namespace mqstore
