// FileSystem: every byte the engine and the inspector read or write goes
// through this interface, so tests can replace it with a fault-injecting one
// (fault_injection_file_system.h). The POSIX backend is FileSystem::Default().
//
//   ReadOnlyMapping  a whole file mapped for reading (inspector, readers)
//   SequentialFile   written front to back (mqstore gen)
//   RandomRWFile     positioned reads and writes, preallocation, truncation,
//                    zeroing, fdatasync and shared mappings (segment,
//                    consume-queue, checkpoint files)
//   FileMapping      a shared mapping of [0, size) of a RandomRWFile
//   FileLock         an exclusive lock on a file, held until destroyed
//
// Every open of a file to read or write it refuses what is not a regular
// file (a FIFO, socket or device where a store file should be) with
// "<path>: not a regular file", without blocking.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mqstore/status.h"

namespace mqstore {

// A read-only mapping of a whole file; unmapped on destruction.
class ReadOnlyMapping {
 public:
  virtual ~ReadOnlyMapping() = default;
  virtual std::span<const uint8_t> data() const = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit ReadOnlyMapping(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

// A file written front to back.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  virtual Status Append(std::span<const uint8_t> data) = 0;
  virtual Status Sync() = 0;  // fdatasync
  // Sets the file's length (ftruncate): a longer file reads as zeros past the
  // data, which is how segment files are kept at their full size.
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Close() = 0;
};

// A shared mapping of the first `size` bytes of a file; unmapped on
// destruction. Stores through a writable mapping land in the page cache like
// a write(); RandomRWFile::Sync makes them durable.
class FileMapping {
 public:
  virtual ~FileMapping() = default;
  virtual std::span<uint8_t> data() const = 0;  // read-only pages unless mapped writable
  // Faults [offset, offset+len) in ahead of use (MADV_POPULATE_WRITE/READ, or
  // touching each page where the kernel lacks it) so the writer does not.
  virtual void Populate(uint64_t offset, uint64_t len, bool for_write) = 0;
  // Asks for the mapping to be backed by 2 MiB pages where the kernel and
  // file system can (MADV_HUGEPAGE; ext4 maps large folios by PMD on recent
  // kernels): for files read and written at random, where 4 KiB pages make
  // nearly every access a TLB miss. A hint: nothing fails without it. Call
  // before the pages are faulted in.
  virtual void AdviseHugePages() {}
  // Lets go of the pages this mapping has faulted in over [offset,
  // offset+len), page-aligned by the caller (MADV_DONTNEED): the file keeps
  // its bytes, and a later access faults them in again from the page cache
  // or the disk. Dirty pages stay dirty in the page cache. A hint: nothing
  // fails without it.
  virtual void DropPages(uint64_t offset, uint64_t len) {
    (void)offset;
    (void)len;
  }
  // Replaces the whole mapping, in place, with private zero pages and lets
  // go of the file's pages: a reader still holding a span into it reads
  // zeros instead of faulting, and the file's blocks can be freed. For a
  // file deleted while a reader would not let go (forced release).
  virtual void ReplaceWithZeros() = 0;
};

// A file read and written at explicit positions.
class RandomRWFile {
 public:
  virtual ~RandomRWFile() = default;
  virtual const std::string& path() const = 0;
  // pread: fills `out` unless the file ends first; returns the bytes read.
  virtual Result<size_t> Read(uint64_t offset, std::span<uint8_t> out) = 0;
  // pwrite of all of `data` (short writes are retried).
  virtual Status Write(uint64_t offset, std::span<const uint8_t> data) = 0;
  // Reserves [0, size) on disk (fallocate) so later writes cannot hit ENOSPC
  // and the file reads as zeros up to `size`.
  virtual Status Preallocate(uint64_t size) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Sync() = 0;  // fdatasync: written bytes are durable once it returns OK
  virtual Result<uint64_t> Size() = 0;
  // Makes [offset, offset+len) read as zeros while keeping it allocated. The
  // default writes zeros; backends may use fallocate(FALLOC_FL_ZERO_RANGE).
  virtual Status ZeroRange(uint64_t offset, uint64_t len);
  // Maps [0, size) shared; the file must already be at least `size` long.
  virtual Result<std::unique_ptr<FileMapping>> Map(uint64_t size, bool writable) = 0;
  // Starts write-back of [offset, offset+len) without waiting for it
  // (sync_file_range SYNC_FILE_RANGE_WRITE) so a later Sync has less to do.
  // Claims no durability; an empty range does nothing. The default does
  // nothing at all.
  virtual Status StartWriteback(uint64_t offset, uint64_t len) {
    (void)offset;
    (void)len;
    return Status::Ok();
  }
  // Asks the kernel to drop the clean pages of [offset, offset+len) from the
  // page cache (posix_fadvise POSIX_FADV_DONTNEED); pages mapped somewhere
  // or still dirty stay. Claims nothing about durability; an empty range
  // does nothing, and so does the default.
  virtual Status DropCache(uint64_t offset, uint64_t len) {
    (void)offset;
    (void)len;
    return Status::Ok();
  }
  // The ranges at or after `from` that may hold data, in order (lseek
  // SEEK_DATA and SEEK_HOLE); what lies between and after them (holes,
  // never-written preallocated ranges) reads as zeros. All are asked for
  // before the caller reads a byte: a read's readahead brings pages past it
  // into the page cache, and a cached page is data to SEEK_DATA, so asking
  // range by range while reading would walk a whole spare file. The default
  // claims data everywhere, so a caller scans.
  struct ByteRange {
    uint64_t begin = 0;
    uint64_t end = 0;
  };
  virtual Result<std::vector<ByteRange>> DataRanges(uint64_t from);
  // The OS file descriptor when this is a real POSIX file, which lets an
  // io_uring address it; -1 when I/O must go through this interface (the
  // fault-injecting file system's files).
  virtual int NativeHandle() const { return -1; }
};

// Held while it lives (see FileSystem::LockFile).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// kReadOnly: the file must exist and is opened for reading only: writes
// fail, and a writable Map is copy-on-write (stores stay in this process,
// the file never changes).
enum class OpenMode : uint8_t { kCreateIfMissing, kMustExist, kReadOnly };

// statvfs of a file system: bytes in all, free, and free to unprivileged
// users (what RocketMQ's getDiskPartitionSpaceUsedPercent reads).
struct DiskSpace {
  uint64_t total = 0;
  uint64_t free = 0;
  uint64_t available = 0;
};

struct FileInfo {
  uint64_t size = 0;
  int64_t mtime_ms = 0;
  bool is_directory = false;
  bool is_regular = false;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<std::unique_ptr<ReadOnlyMapping>> MapReadOnly(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDirectory(const std::string& dir) = 0;  // names, unsorted
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  // The space of the file system holding `path`.
  virtual Result<DiskSpace> SpaceOf(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Creates (or truncates) `path` for writing.
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) = 0;
  virtual Status CreateDirectories(const std::string& dir) = 0;
  virtual Status RemoveAll(const std::string& path) = 0;
  virtual Status Remove(const std::string& path) = 0;  // unlink one file
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // fsync of a directory: makes creations, renames and removals in it durable.
  virtual Status SyncDirectory(const std::string& dir) = 0;
  // Creates `path` if needed and locks it exclusively without waiting
  // (flock, plus an open-file-description lock on byte 0, which also excludes
  // a Java broker's FileChannel.tryLock). Busy if another holder has it, in
  // this process or another.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
  // Whether someone else holds the lock LockFile takes on `path` (or a Java
  // broker's FileChannel lock on its byte 0), asked without taking it,
  // waiting or creating the file: false when `path` does not exist. For
  // offline readers that want to warn that the store is live. The default
  // cannot tell (Unsupported).
  virtual Result<bool> IsLockedElsewhere(const std::string& path) {
    return Status::Unsupported("cannot probe the lock on " + path);
  }

  // The real POSIX file system.
  static FileSystem& Default();
};

// "a/b" joined without doubling the separator.
std::string JoinPath(const std::string& dir, const std::string& name);
// The directory holding `path`: "a/b/" and "a/b" -> "a", "/a" -> "/", "a" -> ".".
std::string ParentPath(std::string path);
// CreateDirectories, then a sync of the directory holding each directory it
// made: a new directory's name survives a power loss only once its parent is
// synced, and files synced inside a directory whose name is lost are lost
// with it. Does nothing (no sync) when `dir` exists.
Status CreateDirectoriesDurably(FileSystem& fs, const std::string& dir);

}  // namespace mqstore
