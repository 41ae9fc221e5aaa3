#include "storage/io/fault_injection_file_system.h"

#include <cerrno>
#include <cstring>
#include <random>

namespace mqstore {

class FaultInjectionRandomRWFile final : public RandomRWFile {
 public:
  FaultInjectionRandomRWFile(FaultInjectionFileSystem& fs, std::unique_ptr<RandomRWFile> base)
      : fs_(fs), base_(std::move(base)) {}

  const std::string& path() const override { return base_->path(); }
  Result<size_t> Read(uint64_t offset, std::span<uint8_t> out) override { return base_->Read(offset, out); }
  Result<uint64_t> Size() override { return base_->Size(); }

  Status Write(uint64_t offset, std::span<const uint8_t> data) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("write", path()));
    auto undo = Capture(offset, data.size());
    if (!undo.ok()) return undo.error();
    undo->written.assign(data.begin(), data.end());
    const size_t short_len = fs_.TakeShortWrite();
    const bool shortened = short_len < data.size();
    const std::span<const uint8_t> part = shortened ? data.first(short_len) : data;
    Status st = base_->Write(offset, part);
    undo->written.resize(part.size());
    fs_.Record(path(), std::move(*undo));
    if (!st.ok()) return st;
    if (shortened)
      return Status::IOError("write " + path() + ": injected short write (" + std::to_string(short_len) + " of " +
                             std::to_string(data.size()) + " bytes)");
    return Status::Ok();
  }

  Status Preallocate(uint64_t size) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("fallocate", path()));
    auto old = base_->Size();
    if (!old.ok()) return old.error();
    if (size > *old) fs_.Record(path(), {*old, {}, *old, {}});
    return base_->Preallocate(size);
  }

  Status Truncate(uint64_t size) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("truncate", path()));
    auto old = base_->Size();
    if (!old.ok()) return old.error();
    if (size < *old) {
      auto undo = Capture(size, *old - size);
      if (!undo.ok()) return undo.error();
      fs_.Record(path(), std::move(*undo));
    } else {
      fs_.Record(path(), {*old, {}, *old, {}});
    }
    return base_->Truncate(size);
  }

  // ZeroRange: the base class writes zeros through Write, so it is recorded
  // (and can fail or be torn) like any other write. StartWriteback and
  // NativeHandle keep the base class's defaults (nothing, -1): an IoQueue then
  // runs every operation on this file through Write and Sync, where faults
  // are injected and undo records are kept.
  Result<std::unique_ptr<FileMapping>> Map(uint64_t size, bool writable) override {
    return base_->Map(size, writable);
  }

  Status Sync() override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("fdatasync", path()));
    Status st = base_->Sync();
    if (st.ok()) fs_.MarkSynced(path());
    return st;
  }

 private:
  Result<FaultInjectionFileSystem::Undo> Capture(uint64_t offset, size_t len) {
    auto size = base_->Size();
    if (!size.ok()) return size.error();
    FaultInjectionFileSystem::Undo undo{offset, {}, *size, {}};
    if (offset < *size) {
      undo.old_bytes.resize(static_cast<size_t>(std::min<uint64_t>(len, *size - offset)));
      auto n = base_->Read(offset, undo.old_bytes);
      if (!n.ok()) return n.error();
      undo.old_bytes.resize(*n);
    }
    return undo;
  }

  FaultInjectionFileSystem& fs_;
  std::unique_ptr<RandomRWFile> base_;
};

void FaultInjectionFileSystem::FailNthMutatingCall(uint64_t n, int err) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_ = n == 0 ? 0 : calls_ + n;
  fail_errno_ = err;
}

void FaultInjectionFileSystem::FailAllMutatingCalls(bool on, int err) {
  std::lock_guard<std::mutex> lock(mu_);
  failing_ = on;
  fail_errno_ = err;
}

void FaultInjectionFileSystem::ShortenNextWrite(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  short_write_ = bytes;
}

uint64_t FaultInjectionFileSystem::mutating_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

Status FaultInjectionFileSystem::MaybeFail(const char* op, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
  if (!failing_ && (fail_at_ == 0 || calls_ != fail_at_)) return Status::Ok();
  fail_at_ = 0;
  std::string m = std::string(op) + " " + path + ": injected " + std::strerror(fail_errno_);
  return fail_errno_ == ENOSPC ? Status::NoSpace(std::move(m)) : Status::IOError(std::move(m));
}

void FaultInjectionFileSystem::Record(const std::string& path, Undo undo) {
  std::lock_guard<std::mutex> lock(mu_);
  unsynced_[path].push_back(std::move(undo));
}

void FaultInjectionFileSystem::MarkSynced(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  unsynced_.erase(path);
}

size_t FaultInjectionFileSystem::TakeShortWrite() {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = short_write_;
  short_write_ = SIZE_MAX;
  return n;
}

Status FaultInjectionFileSystem::Crash(bool tear_last_write, uint64_t seed) {
  std::map<std::string, std::vector<Undo>> lost;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lost.swap(unsynced_);
  }
  std::mt19937_64 rng(seed);
  for (auto& [path, undos] : lost) {
    if (undos.empty() || !base_.Exists(path)) continue;  // removed since: nothing to put back
    auto file = base_.OpenRandomRW(path, OpenMode::kMustExist);
    if (!file.ok()) return file.error();
    for (auto it = undos.rbegin(); it != undos.rend(); ++it)
      if (!it->old_bytes.empty()) MQ_RETURN_IF_ERROR((*file)->Write(it->offset, it->old_bytes));
    MQ_RETURN_IF_ERROR((*file)->Truncate(undos.front().old_size));  // the size at the last sync
    const Undo& last = undos.back();
    if (tear_last_write && !last.written.empty()) {
      // Part of one page reached the disk: 1 .. (bytes to the page end) bytes.
      const size_t in_page = 4096 - static_cast<size_t>(last.offset % 4096);
      const size_t max = std::min(in_page, last.written.size());
      const size_t keep = 1 + static_cast<size_t>(rng() % max);
      MQ_RETURN_IF_ERROR((*file)->Write(last.offset, std::span<const uint8_t>(last.written.data(), keep)));
    }
    MQ_RETURN_IF_ERROR((*file)->Sync());
  }
  return Status::Ok();
}

Result<std::unique_ptr<ReadOnlyMapping>> FaultInjectionFileSystem::MapReadOnly(const std::string& path) {
  return base_.MapReadOnly(path);
}
Result<std::vector<std::string>> FaultInjectionFileSystem::ListDirectory(const std::string& dir) {
  return base_.ListDirectory(dir);
}
Result<FileInfo> FaultInjectionFileSystem::Stat(const std::string& path) { return base_.Stat(path); }
Result<DiskSpace> FaultInjectionFileSystem::SpaceOf(const std::string& path) { return base_.SpaceOf(path); }
bool FaultInjectionFileSystem::Exists(const std::string& path) { return base_.Exists(path); }
Result<std::unique_ptr<SequentialFile>> FaultInjectionFileSystem::NewSequentialFile(const std::string& path) {
  return base_.NewSequentialFile(path);
}
Status FaultInjectionFileSystem::CreateDirectories(const std::string& dir) { return base_.CreateDirectories(dir); }
Status FaultInjectionFileSystem::RemoveAll(const std::string& path) { return base_.RemoveAll(path); }

Result<std::unique_ptr<RandomRWFile>> FaultInjectionFileSystem::OpenRandomRW(const std::string& path, OpenMode mode) {
  auto file = base_.OpenRandomRW(path, mode);
  if (!file.ok()) return file.error();
  return std::unique_ptr<RandomRWFile>(new FaultInjectionRandomRWFile(*this, std::move(*file)));
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  MQ_RETURN_IF_ERROR(MaybeFail("unlink", path));
  Status st = base_.Remove(path);
  if (st.ok()) MarkSynced(path);  // nothing left to put back
  return st;
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  MQ_RETURN_IF_ERROR(MaybeFail("rename", from));
  return base_.Rename(from, to);
}

Status FaultInjectionFileSystem::SyncDirectory(const std::string& dir) {
  MQ_RETURN_IF_ERROR(MaybeFail("fsync", dir));
  return base_.SyncDirectory(dir);
}

Result<std::unique_ptr<FileLock>> FaultInjectionFileSystem::LockFile(const std::string& path) {
  return base_.LockFile(path);
}

Result<bool> FaultInjectionFileSystem::IsLockedElsewhere(const std::string& path) {
  return base_.IsLockedElsewhere(path);
}

}  // namespace mqstore
