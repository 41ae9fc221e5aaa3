#include "tools/bench_settle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/io/file_system.h"

namespace mqstore::cli::bench {
namespace {

Status Errno(const char* what, const std::string& path) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Synced before it is dropped: POSIX_FADV_DONTNEED leaves dirty pages.
Status SettleFile(const std::string& path, Settle how) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  Status st;
  if (::fdatasync(fd) != 0) st = Errno("fdatasync", path);
  if (st.ok() && how == Settle::kSyncAndDrop) {
    const int err = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (err != 0) st = Status::IOError("posix_fadvise " + path + ": " + std::strerror(err));
  }
  ::close(fd);
  return st;
}

}  // namespace

Status SettleStore(const std::string& root, Settle how) {
  FileSystem& fs = FileSystem::Default();
  auto names = fs.ListDirectory(root);
  if (!names.ok()) return names.error().WithContext("settling the store");
  for (const std::string& name : *names) {
    const std::string path = JoinPath(root, name);
    auto info = fs.Stat(path);
    if (!info.ok()) return info.error().WithContext("settling the store");
    if (info->is_directory) {
      MQ_RETURN_IF_ERROR(SettleStore(path, how));
    } else if (info->is_regular) {
      MQ_RETURN_IF_ERROR(SettleFile(path, how));
    }
  }
  return Status::Ok();
}

}  // namespace mqstore::cli::bench
