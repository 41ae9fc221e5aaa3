// ReadOnlyFileSystem: a FileSystem that lets every read through and refuses
// every change with a Status naming it ("read-only: would unlink PATH").
// What opens a store through it (MessageStore::OpenReadOnly) can read
// everything and change no byte: a step that would write fails loudly
// instead. Files open only if they exist, for reading (OpenMode::kReadOnly);
// a writable mapping of one is copy-on-write, so the file never changes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/io/file_system.h"

namespace mqstore {

class ReadOnlyFileSystem final : public FileSystem {
 public:
  explicit ReadOnlyFileSystem(FileSystem& base) : base_(base) {}

  Result<std::unique_ptr<ReadOnlyMapping>> MapReadOnly(const std::string& path) override {
    return base_.MapReadOnly(path);
  }
  Result<std::vector<std::string>> ListDirectory(const std::string& dir) override { return base_.ListDirectory(dir); }
  Result<FileInfo> Stat(const std::string& path) override { return base_.Stat(path); }
  Result<DiskSpace> SpaceOf(const std::string& path) override { return base_.SpaceOf(path); }
  bool Exists(const std::string& path) override { return base_.Exists(path); }
  Result<bool> IsLockedElsewhere(const std::string& path) override { return base_.IsLockedElsewhere(path); }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override;
  // An existing directory is no change.
  Status CreateDirectories(const std::string& dir) override;
  Status RemoveAll(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDirectory(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

 private:
  FileSystem& base_;
};

// The error every refused change returns.
Status ReadOnlyRefusal(const std::string& what, const std::string& path);

}  // namespace mqstore
