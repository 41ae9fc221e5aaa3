// FaultInjectionFileSystem: a FileSystem for tests that wraps a real one and
// can (1) fail the Nth mutating call with EIO or ENOSPC, (2) make the next
// positioned write short (a prefix lands, then the call fails), and (3)
// simulate power loss with Crash(), in the spirit of RocksDB's
// FaultInjectionTestFS:
//  - File contents. Each file written through this object (pwrite,
//    fallocate, truncate, or a store through a writable mapping) keeps the
//    image it had at its last successful Sync. Crash() writes that image back
//    through the file (never through a mapping, which may be gone) and cuts
//    the file to its synced size. Stores through a mapping are seen because
//    a sync reads the file with pread, which sees the shared page cache.
//    With `tear_last_write` one page of each changed file keeps a prefix of
//    its new bytes, the way a disk can persist part of a page.
//  - Directory entries. A file or directory created, renamed or removed
//    stays so through a crash only once the directory holding the entry was
//    synced (SyncDirectory) after the change; Crash() undoes the rest, newest
//    first: created entries are removed, renames are reversed, removed ones
//    come back with their contents. Removal therefore renames the entry into
//    a hidden trash name in its directory (never listed) and unlinks it for
//    real when that directory is synced.
//
// Mutating calls (counted, and failed on demand): RandomRWFile Write /
// Preallocate / Truncate / ZeroRange / Sync, SequentialFile Append / Truncate
// / Sync, and FileSystem Remove / Rename / SyncDirectory. Opening, creating
// directories, reads, listings, mappings and locks are not counted.
//
// Syncs record the durable state here and are not passed to the real disk,
// which never loses power (fdatasync would only cost the tests time).
// Entries made outside this object (by the test, or before it existed) are
// taken as durable. A crash forgets every file: handles opened before it are
// not watched afterwards, so drop the store first and reopen it after.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

  // Power loss: directory changes not covered by a directory sync are
  // undone, and every file loses what its last successful sync did not
  // cover. With `tear_last_write`, one page of each changed file keeps a
  // prefix (1 .. the changed bytes left in that page) of its new content,
  // chosen by `seed`: the page of the newest unsynced pwrite when there is
  // one, else the first changed page (a store through a mapping).
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

  // The prefix of the hidden names removed entries wait under.
  static constexpr const char* kTrashPrefix = ".faultfs-trash-";

 private:
  friend class FaultInjectionRandomRWFile;
  friend class FaultInjectionSequentialFile;

  // What one file (an inode: it follows renames) holds durably.
  struct FileState {
    std::mutex mu;
    bool known = false;            // `durable` is set (taken at the first change)
    std::vector<uint8_t> durable;  // the whole file as of its last successful sync
    // The newest pwrite since that sync, for tearing: its offset and length.
    std::optional<std::pair<uint64_t, uint64_t>> last_write;
  };

  // A directory change that no directory sync has made durable yet.
  struct DirOp {
    enum class Kind : uint8_t { kCreate, kRemove, kRename };
    Kind kind;
    std::string path;  // created / removed / renamed-to entry
    std::string from;  // kRemove: where it waits (trash); kRename: its old name
    std::string dir;   // the directory whose sync makes it durable
  };

  Status MaybeFail(const char* op, const std::string& path);
  size_t TakeShortWrite();
  // Takes the durable image of a file not changed through this object yet.
  static Status EnsureKnown(FileState& state, RandomRWFile& file);
  void AddOp(DirOp op);
  // Moves the states of `from` and of everything under it to `to`.
  void MoveStatesLocked(const std::string& from, const std::string& to);
  void DropStatesLocked(const std::string& path);
  // Whether the newest pending change of the name `path` created it.
  bool CreatedSinceDirSyncLocked(const std::string& path) const;
  // Renames `path` (a file or a directory tree) to a trash name in its
  // directory and records the removal; removes it at once when its creation
  // is itself still pending.
  Status MoveToTrash(const std::string& path);
  Status UndoLocked(const DirOp& op);

  FileSystem& base_;
  mutable std::mutex mu_;
  uint64_t calls_ = 0;
  uint64_t fail_at_ = 0;  // 0: off
  int fail_errno_ = 0;
  bool failing_ = false;  // FailAllMutatingCalls
  size_t short_write_ = SIZE_MAX;  // SIZE_MAX: off
  uint64_t trash_seq_ = 0;
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by current path
  std::vector<DirOp> pending_;                                 // oldest first
};

}  // namespace mqstore
