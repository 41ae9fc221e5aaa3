// FaultInjectionFileSystem: a FileSystem for tests that wraps a real one and
// can (1) fail the Nth mutating call with EIO or ENOSPC, (2) make the next
// positioned write short (a prefix lands, then the call fails), and (3)
// simulate power loss: Crash() drops every byte written through it since that
// file's last successful Sync, optionally leaving a torn prefix of the last
// unsynced write inside its first 4 KiB page, the way a disk can persist part
// of a page.
//
// Mutating calls: RandomRWFile Write / Preallocate / Truncate / ZeroRange /
// Sync and FileSystem Remove / Rename / SyncDirectory. Reads, listings,
// mappings and locks pass straight through; stores through a writable
// mapping are not seen, so crash tests use the `write` backend. Crash() rolls back file contents only: creations,
// renames and removals stay as they are (a file renamed while it held
// unsynced bytes keeps them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/io/file_system.h"

namespace mqstore {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  explicit FaultInjectionFileSystem(FileSystem& base) : base_(base) {}

  // The `n`th mutating call from now on (1 = the next) fails with `err`
  // (EIO -> IOError, ENOSPC -> NoSpace) and does nothing else.
  void FailNthMutatingCall(uint64_t n, int err);
  // Every mutating call fails with `err` until turned off: the disk is gone.
  // Lets a test drop a store without its shutdown writing anything, then
  // Crash() it.
  void FailAllMutatingCalls(bool on, int err = EIO);
  // The next RandomRWFile::Write writes only its first `bytes` bytes and fails.
  void ShortenNextWrite(size_t bytes);
  uint64_t mutating_calls() const;

  // Power loss: every file written through this object loses what was not
  // synced. With `tear_last_write`, a prefix (1 .. bytes left in its 4 KiB
  // page) of the newest unsynced write survives, chosen by `seed`.
  Status Crash(bool tear_last_write = false, uint64_t seed = 0);

  // FileSystem
  Result<std::unique_ptr<ReadOnlyMapping>> MapReadOnly(const std::string& path) override;
  Result<std::vector<std::string>> ListDirectory(const std::string& dir) override;
  Result<FileInfo> Stat(const std::string& path) override;
  Result<DiskSpace> SpaceOf(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override;
  Status CreateDirectories(const std::string& dir) override;
  Status RemoveAll(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDirectory(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  Result<bool> IsLockedElsewhere(const std::string& path) override;

 private:
  friend class FaultInjectionRandomRWFile;

  // What a write changed, to put back on Crash().
  struct Undo {
    uint64_t offset = 0;
    std::vector<uint8_t> old_bytes;  // the bytes the write covered, as they were
    uint64_t old_size = 0;           // the file size before the write
    std::vector<uint8_t> written;    // what was written (for tearing)
  };

  Status MaybeFail(const char* op, const std::string& path);
  void Record(const std::string& path, Undo undo);
  void MarkSynced(const std::string& path);
  size_t TakeShortWrite();

  FileSystem& base_;
  mutable std::mutex mu_;
  uint64_t calls_ = 0;
  uint64_t fail_at_ = 0;  // 0: off
  int fail_errno_ = 0;
  bool failing_ = false;  // FailAllMutatingCalls
  size_t short_write_ = SIZE_MAX;  // SIZE_MAX: off
  std::map<std::string, std::vector<Undo>> unsynced_;
};

}  // namespace mqstore
