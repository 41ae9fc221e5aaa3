// FileSystem: every byte the engine and the inspector read or write goes
// through this interface, so tests can replace it with a fault-injecting one.
// Step 1 needs read-only mappings, directory listings and a sequential writer
// (mqstore gen); the engine's positioned writes, preallocation and syncs join
// it in Step 2.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "format/status.h"

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
  virtual bool Exists(const std::string& path) = 0;
  // Creates (or truncates) `path` for writing.
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual Status CreateDirectories(const std::string& dir) = 0;
  virtual Status RemoveAll(const std::string& path) = 0;

  // The real POSIX file system.
  static FileSystem& Default();
};

// "a/b" joined without doubling the separator.
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace mqstore
