#include "storage/io/read_only_file_system.h"

namespace mqstore {
namespace {

class ReadOnlyRandomRWFile final : public RandomRWFile {
 public:
  explicit ReadOnlyRandomRWFile(std::unique_ptr<RandomRWFile> base) : base_(std::move(base)) {}

  const std::string& path() const override { return base_->path(); }
  Result<size_t> Read(uint64_t offset, std::span<uint8_t> out) override { return base_->Read(offset, out); }
  Result<uint64_t> Size() override { return base_->Size(); }
  Result<std::vector<ByteRange>> DataRanges(uint64_t from) override { return base_->DataRanges(from); }
  Status Write(uint64_t, std::span<const uint8_t>) override { return ReadOnlyRefusal("write", path()); }
  Status Preallocate(uint64_t) override { return ReadOnlyRefusal("fallocate", path()); }
  Status Truncate(uint64_t) override { return ReadOnlyRefusal("truncate", path()); }
  Status Sync() override { return ReadOnlyRefusal("fdatasync", path()); }
  Status ZeroRange(uint64_t, uint64_t) override { return ReadOnlyRefusal("zero a range of", path()); }
  Status StartWriteback(uint64_t, uint64_t) override { return ReadOnlyRefusal("write back", path()); }
  // Opened OpenMode::kReadOnly: a writable mapping is copy-on-write.
  Result<std::unique_ptr<FileMapping>> Map(uint64_t size, bool writable) override {
    return base_->Map(size, writable);
  }

 private:
  std::unique_ptr<RandomRWFile> base_;
};

}  // namespace

Status ReadOnlyRefusal(const std::string& what, const std::string& path) {
  return Status::Unsupported("read-only: would " + what + " " + path);
}

Result<std::unique_ptr<SequentialFile>> ReadOnlyFileSystem::NewSequentialFile(const std::string& path) {
  return ReadOnlyRefusal("create", path);
}

Result<std::unique_ptr<RandomRWFile>> ReadOnlyFileSystem::OpenRandomRW(const std::string& path, OpenMode mode) {
  if (mode == OpenMode::kCreateIfMissing && !base_.Exists(path)) return ReadOnlyRefusal("create", path);
  auto file = base_.OpenRandomRW(path, OpenMode::kReadOnly);
  if (!file.ok()) return file.error();
  return std::unique_ptr<RandomRWFile>(new ReadOnlyRandomRWFile(std::move(*file)));
}

Status ReadOnlyFileSystem::CreateDirectories(const std::string& dir) {
  auto info = base_.Stat(dir);
  if (info.ok() && info->is_directory) return Status::Ok();
  return ReadOnlyRefusal("create directory", dir);
}

Status ReadOnlyFileSystem::RemoveAll(const std::string& path) { return ReadOnlyRefusal("remove", path); }
Status ReadOnlyFileSystem::Remove(const std::string& path) { return ReadOnlyRefusal("unlink", path); }
Status ReadOnlyFileSystem::Rename(const std::string& from, const std::string& to) {
  return ReadOnlyRefusal("rename", from + " -> " + to);
}
Status ReadOnlyFileSystem::SyncDirectory(const std::string& dir) { return ReadOnlyRefusal("fsync", dir); }
Result<std::unique_ptr<FileLock>> ReadOnlyFileSystem::LockFile(const std::string& path) {
  return ReadOnlyRefusal("lock", path);
}

}  // namespace mqstore
