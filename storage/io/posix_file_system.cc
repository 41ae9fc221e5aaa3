// The POSIX backend of FileSystem.
#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "storage/io/file_system.h"

namespace mqstore {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string m = what + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(m));
  if (err == ENOSPC || err == EDQUOT) return Status::NoSpace(std::move(m));
  return Status::IOError(std::move(m));
}

Status NotRegular(const std::string& path) { return Status::IOError(path + ": not a regular file"); }

// open(2) of a file the store reads or writes, refusing anything but a
// regular file. A FIFO would block the open (or the first read) until a
// writer came; a device or socket is never store data. The stat first keeps
// devices from being opened at all; O_NONBLOCK and the fstat after the open
// cover a file swapped for a FIFO in between (ENXIO: a socket, or a FIFO
// opened for writing with no reader). O_NONBLOCK is cleared again: io_uring
// would otherwise fail a regular file's reads with EAGAIN instead of waiting.
Result<int> OpenRegular(const std::string& path, int flags, mode_t mode = 0) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return NotRegular(path);
  const int fd = ::open(path.c_str(), flags | O_NONBLOCK | O_CLOEXEC, mode);
  if (fd < 0) return errno == ENXIO ? NotRegular(path) : ErrnoStatus("open", path, errno);
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return NotRegular(path);
  }
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("fcntl", path, err);
  }
  return fd;
}

class PosixMapping final : public ReadOnlyMapping {
 public:
  PosixMapping(std::string path, void* addr, size_t size)
      : ReadOnlyMapping(std::move(path)), addr_(addr), size_(size) {}
  ~PosixMapping() override {
    if (addr_ != nullptr) munmap(addr_, size_);
  }
  std::span<const uint8_t> data() const override {
    return {static_cast<const uint8_t*>(addr_), size_};
  }

 private:
  void* addr_;
  size_t size_;
};

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

class PosixFileMapping final : public FileMapping {
 public:
  PosixFileMapping(void* addr, size_t size) : addr_(static_cast<uint8_t*>(addr)), size_(size) {}
  ~PosixFileMapping() override {
    if (size_ > 0) munmap(addr_, size_);
  }
  std::span<uint8_t> data() const override { return {addr_, size_}; }

  void AdviseHugePages() override { (void)::madvise(addr_, size_, MADV_HUGEPAGE); }

  void DropPages(uint64_t offset, uint64_t len) override {
    if (offset >= size_) return;
    len = std::min<uint64_t>(len, size_ - offset);
    if (len > 0) (void)::madvise(addr_ + offset, len, MADV_DONTNEED);
  }

  void ReplaceWithZeros() override {
    if (size_ == 0) return;
    // MAP_FIXED swaps the pages atomically: no moment where the range is
    // unmapped and a reader's load would fault.
    void* addr = ::mmap(addr_, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (addr == MAP_FAILED) return;  // keeps the file mapping: still safe, the space comes back later
  }

  void Populate(uint64_t offset, uint64_t len, bool for_write) override {
    if (offset >= size_) return;
    len = std::min<uint64_t>(len, size_ - offset);
    const uint64_t page = 4096;
    const uint64_t begin = offset / page * page;
    const uint64_t end = std::min<uint64_t>((offset + len + page - 1) / page * page, size_);
    if (::madvise(addr_ + begin, end - begin, for_write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0) return;
    // Older kernels: touch one byte per page (a read fault; a write fault
    // would race with the writer's own stores, so writes are not simulated).
    volatile uint8_t sink = 0;
    for (uint64_t p = begin; p < end; p += page) sink = sink + addr_[p];
  }

 private:
  uint8_t* addr_;
  size_t size_;
};

// `copy_on_write`: a writable mapping whose stores stay in this process
// (MAP_PRIVATE), for a file opened read-only.
Result<std::unique_ptr<FileMapping>> MapFd(int fd, const std::string& path, uint64_t size, bool writable,
                                           bool copy_on_write = false) {
  void* addr = nullptr;
  if (size > 0) {
    addr = ::mmap(nullptr, size, PROT_READ | (writable ? PROT_WRITE : 0), copy_on_write ? MAP_PRIVATE : MAP_SHARED,
                  fd, 0);
    if (addr == MAP_FAILED) return ErrnoStatus("mmap", path, errno);
  }
  return std::unique_ptr<FileMapping>(new PosixFileMapping(addr, size));
}

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // closing releases both locks

 private:
  int fd_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::span<const uint8_t> data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus("truncate", path_, errno);
    return Status::Ok();
  }
  Status Close() override {
    const int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return ErrnoStatus("close", path_, errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixRandomRWFile final : public RandomRWFile {
 public:
  PosixRandomRWFile(std::string path, int fd, bool read_only)
      : path_(std::move(path)), fd_(fd), read_only_(read_only) {}
  ~PosixRandomRWFile() override { ::close(fd_); }
  const std::string& path() const override { return path_; }

  Result<size_t> Read(uint64_t offset, std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("read", path_, errno);
      }
      if (n == 0) break;  // end of file
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Status Write(uint64_t offset, std::span<const uint8_t> data) override {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status Preallocate(uint64_t size) override {
    const int err = ::posix_fallocate(fd_, 0, static_cast<off_t>(size));
    if (err != 0) return ErrnoStatus("fallocate", path_, err);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus("truncate", path_, errno);
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
    return Status::Ok();
  }

  Result<std::vector<ByteRange>> DataRanges(uint64_t from) override {
    auto size = Size();
    if (!size.ok()) return size.error();
    std::vector<ByteRange> out;
    for (uint64_t pos = from; pos < *size;) {
      const off_t data = ::lseek(fd_, static_cast<off_t>(pos), SEEK_DATA);
      if (data < 0 && errno == ENXIO) break;  // only a hole from `pos` to the end
      if (data < 0) return RandomRWFile::DataRanges(from);  // unsupported here: the caller scans
      const off_t hole = ::lseek(fd_, data, SEEK_HOLE);
      if (hole < 0) return RandomRWFile::DataRanges(from);
      out.push_back(ByteRange{static_cast<uint64_t>(data), std::min(static_cast<uint64_t>(hole), *size)});
      pos = static_cast<uint64_t>(hole);
    }
    return out;
  }

  Result<uint64_t> Size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status ZeroRange(uint64_t offset, uint64_t len) override {
    const auto off = static_cast<off_t>(offset);
    const auto n = static_cast<off_t>(len);
    if (len == 0 || ::fallocate(fd_, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, n) == 0) return Status::Ok();
    // tmpfs and some others only punch holes: punch, then allocate again so
    // that later writes into the range still cannot run out of space.
    if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, n) == 0) {
      if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, off, n) == 0) return Status::Ok();
      return ErrnoStatus("fallocate", path_, errno);
    }
    return RandomRWFile::ZeroRange(offset, len);
  }

  Result<std::unique_ptr<FileMapping>> Map(uint64_t size, bool writable) override {
    return MapFd(fd_, path_, size, writable, /*copy_on_write=*/writable && read_only_);
  }

  Status StartWriteback(uint64_t offset, uint64_t len) override {
    if (len == 0) return Status::Ok();  // 0 would mean "to the end of the file"
    const auto off = static_cast<off_t>(offset);
    if (::sync_file_range(fd_, off, static_cast<off_t>(len), SYNC_FILE_RANGE_WRITE) != 0)
      return ErrnoStatus("sync_file_range", path_, errno);
    return Status::Ok();
  }

  Status DropCache(uint64_t offset, uint64_t len) override {
    if (len == 0) return Status::Ok();  // 0 would mean "to the end of the file"
    const auto off = static_cast<off_t>(offset);
    if (const int err = ::posix_fadvise(fd_, off, static_cast<off_t>(len), POSIX_FADV_DONTNEED); err != 0)
      return ErrnoStatus("posix_fadvise(DONTNEED)", path_, err);
    return Status::Ok();
  }

  int NativeHandle() const override { return fd_; }

 private:
  std::string path_;
  int fd_;
  bool read_only_;  // OpenMode::kReadOnly
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<ReadOnlyMapping>> MapReadOnly(const std::string& path) override {
    auto opened = OpenRegular(path, O_RDONLY);
    if (!opened.ok()) return opened.error();
    const int fd = *opened;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoStatus("stat", path, err);
    }
    const auto size = static_cast<size_t>(st.st_size);
    void* addr = nullptr;
    if (size > 0) {
      addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (addr == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return ErrnoStatus("mmap", path, err);
      }
      // The inspector reads front to back: ask for aggressive read-ahead.
      ::madvise(addr, size, MADV_SEQUENTIAL);
    }
    ::close(fd);  // the mapping keeps the file
    return std::unique_ptr<ReadOnlyMapping>(new PosixMapping(path, addr, size));
  }

  Result<std::vector<std::string>> ListDirectory(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("opendir", dir, errno);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }

  Result<FileInfo> Stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    FileInfo info;
    info.size = static_cast<uint64_t>(st.st_size);
    info.mtime_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
    info.is_directory = S_ISDIR(st.st_mode);
    info.is_regular = S_ISREG(st.st_mode);
    return info;
  }

  Result<DiskSpace> SpaceOf(const std::string& path) override {
    struct statvfs vfs {};
    if (::statvfs(path.c_str(), &vfs) != 0) return ErrnoStatus("statvfs", path, errno);
    const uint64_t unit = vfs.f_frsize;
    return DiskSpace{vfs.f_blocks * unit, vfs.f_bfree * unit, vfs.f_bavail * unit};
  }

  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    auto fd = OpenRegular(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd.ok()) return fd.error();
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, *fd));
  }

  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override {
    const int flags = mode == OpenMode::kReadOnly ? O_RDONLY : O_RDWR | (mode == OpenMode::kCreateIfMissing ? O_CREAT : 0);
    auto fd = OpenRegular(path, flags, 0644);
    if (!fd.ok()) return fd.error();
    return std::unique_ptr<RandomRWFile>(new PosixRandomRWFile(path, *fd, mode == OpenMode::kReadOnly));
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    return Status::Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename", from + " -> " + to, errno);
    return Status::Ok();
  }

  Status SyncDirectory(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus("fsync", dir, err);
    return Status::Ok();
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    auto opened = OpenRegular(path, O_RDWR | O_CREAT, 0644);
    if (!opened.ok()) return opened.error();
    const int fd = *opened;
    auto busy = [&](const char* how) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK || err == EAGAIN || err == EACCES)
        return Status::Busy(path + " is locked by another process or store (" + how + "): is the store already open?");
      return ErrnoStatus(how, path, err);
    };
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return busy("flock");
    struct flock range {};
    range.l_type = F_WRLCK;
    range.l_whence = SEEK_SET;
    range.l_start = 0;
    range.l_len = 1;
    if (::fcntl(fd, F_OFD_SETLK, &range) != 0) return busy("fcntl lock");
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

  // F_OFD_GETLK on a read-only descriptor of its own: it reports a
  // conflicting OFD or POSIX record lock (what LockFile and Java's tryLock
  // take) without taking one. Closing this descriptor cannot drop anyone's
  // lock: the engine's locks belong to its own open file description.
  Result<bool> IsLockedElsewhere(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? Result<bool>(false) : ErrnoStatus("stat", path, errno);
    auto fd = OpenRegular(path, O_RDONLY);
    if (!fd.ok()) return fd.error();
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 0;
    probe.l_len = 1;
    const int rc = ::fcntl(*fd, F_OFD_GETLK, &probe);
    const int err = errno;
    ::close(*fd);
    if (rc != 0) return ErrnoStatus("fcntl lock probe", path, err);
    return probe.l_type != F_UNLCK;
  }

  Status CreateDirectories(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return ErrnoStatus("mkdir", dir, ec.value());
    return Status::Ok();
  }

  Status RemoveAll(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return ErrnoStatus("remove", path, ec.value());
    return Status::Ok();
  }
};

}  // namespace

FileSystem& FileSystem::Default() {
  static PosixFileSystem fs;
  return fs;
}

Result<std::vector<RandomRWFile::ByteRange>> RandomRWFile::DataRanges(uint64_t from) {
  auto size = Size();
  if (!size.ok()) return size.error();
  if (from >= *size) return std::vector<ByteRange>{};
  return std::vector<ByteRange>{{from, *size}};
}

Status RandomRWFile::ZeroRange(uint64_t offset, uint64_t len) {
  static const std::vector<uint8_t> zeros(1 << 20);
  while (len > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, zeros.size()));
    MQ_RETURN_IF_ERROR(Write(offset, std::span<const uint8_t>(zeros.data(), n)));
    offset += n;
    len -= n;
  }
  return Status::Ok();
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string ParentPath(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status CreateDirectoriesDurably(FileSystem& fs, const std::string& dir) {
  std::vector<std::string> made;  // the missing ones, deepest first
  for (std::string p = dir; !p.empty() && p != "/" && p != "." && !fs.Exists(p); p = ParentPath(p)) made.push_back(p);
  if (made.empty()) return Status::Ok();
  MQ_RETURN_IF_ERROR(fs.CreateDirectories(dir));
  for (const std::string& d : made) MQ_RETURN_IF_ERROR(fs.SyncDirectory(ParentPath(d)));
  return Status::Ok();
}

}  // namespace mqstore
