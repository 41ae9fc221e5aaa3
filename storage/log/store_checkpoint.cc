#include "storage/log/store_checkpoint.h"

#include <array>

namespace mqstore {

Result<std::unique_ptr<StoreCheckpoint>> StoreCheckpoint::Open(FileSystem& fs, const std::string& path) {
  auto file = fs.OpenRandomRW(path, OpenMode::kCreateIfMissing);
  if (!file.ok()) return file.error();
  std::array<uint8_t, kCheckpointFileSize> page{};
  auto n = (*file)->Read(0, page);
  if (!n.ok()) return n.error();
  Checkpoint c;
  if (*n >= kCheckpointMinSize) {
    auto decoded = DecodeCheckpoint(std::span<const uint8_t>(page.data(), *n));
    if (!decoded.ok()) return decoded.error().ToStatus(path, 0);
    c = *decoded;
  }
  return std::unique_ptr<StoreCheckpoint>(new StoreCheckpoint(std::move(*file), c));
}

StoreCheckpoint::StoreCheckpoint(std::unique_ptr<RandomRWFile> file, const Checkpoint& c)
    : file_(std::move(file)),
      physic_(c.physic_msg_timestamp),
      logics_(c.logics_msg_timestamp),
      index_(c.index_msg_timestamp),
      master_flushed_offset_(c.master_flushed_offset),
      confirm_phy_offset_(c.confirm_phy_offset) {}

Checkpoint StoreCheckpoint::Get() const {
  Checkpoint c;
  c.physic_msg_timestamp = physic_.load(std::memory_order_relaxed);
  c.logics_msg_timestamp = logics_.load(std::memory_order_relaxed);
  c.index_msg_timestamp = index_.load(std::memory_order_relaxed);
  c.master_flushed_offset = master_flushed_offset_;
  c.confirm_phy_offset = confirm_phy_offset_;
  return c;
}

Status StoreCheckpoint::Flush() {
  std::lock_guard lock(flush_mu_);
  EncodeCheckpoint(Get(), page_.data());
  MQ_RETURN_IF_ERROR(file_->Write(0, page_));
  return file_->Sync();
}

Status StoreCheckpoint::Flush(IoQueue& io) {
  std::lock_guard lock(flush_mu_);
  EncodeCheckpoint(Get(), page_.data());
  MQ_RETURN_IF_ERROR(io.Wait(io.Write(*file_, 0, page_)));
  return io.Wait(io.DataSync(*file_));
}

}  // namespace mqstore
