// Helpers for tests that read whole store roots: patching bytes of copied
// golden files, the golden store's paths, and its expected records.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "format/big_endian.h"
#include "storage/io/file_system.h"
#include "storage/store_layout.h"
#include "tests/support/golden.h"

namespace mqstore::test {

// Overwrites bytes of a file in place (the file must exist and be writable).
inline void PatchFile(const std::string& path, int64_t offset, const void* data, size_t size) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << "cannot open " << path << " for patching";
  f.seekp(offset);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  ASSERT_TRUE(f.good()) << "cannot patch " << path << " at " << offset;
}
inline void PatchI32(const std::string& path, int64_t offset, int32_t v) {
  uint8_t b[4];
  StoreI32(b, v);
  PatchFile(path, offset, b, 4);
}
inline void PatchI64(const std::string& path, int64_t offset, int64_t v) {
  uint8_t b[8];
  StoreI64(b, v);
  PatchFile(path, offset, b, 8);
}

// The golden 4.9.8 set (relative to GoldenDir()) and files in its store root.
inline constexpr const char* kSmallSet = "/rocketmq-4.9.8-small";
inline constexpr const char* kSmallStore = "/rocketmq-4.9.8-small/store";
inline constexpr const char* kOldStore = "/rocketmq-4x-8k/store";
inline constexpr const char* kSegment0 = "/commitlog/00000000000000000000";
inline constexpr const char* kSegment1 = "/commitlog/00000000000000065536";
inline constexpr const char* kSegment2 = "/commitlog/00000000000000131072";
inline constexpr const char* kSegment3 = "/commitlog/00000000000000196608";
inline constexpr const char* kFirstIndexFile = "/index/20261125004953249";
inline constexpr const char* kLastIndexFile = "/index/20261125004955651";
inline constexpr int64_t kSmallSegmentSize = 65536;
inline constexpr int64_t kSmallDataEnd = 383282;  // after the last record

// One line of expected-commitlog.jsonl, the fields the storage tests use.
struct ExpectedRecord {
  int64_t offset = 0;
  int32_t size = 0;  // storeSize (blank: its TOTALSIZE)
  bool blank = false;
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int32_t sys_flag = 0;
  int64_t store_timestamp = 0;
  int64_t body_length = 0;
};

inline std::vector<ExpectedRecord> ReadExpectedRecords(const std::string& set_dir) {
  std::vector<ExpectedRecord> out;
  for (const Json& r : ReadJsonLines(set_dir + "/expected-commitlog.jsonl")) {
    ExpectedRecord e;
    e.offset = r["commitLogOffset"].i;
    e.size = static_cast<int32_t>(r["storeSize"].i);
    e.blank = r.Has("blank");
    if (!e.blank) {
      e.topic = r["topic"].s;
      e.queue_id = static_cast<int32_t>(r["queueId"].i);
      e.queue_offset = r["queueOffset"].i;
      e.sys_flag = static_cast<int32_t>(r["sysFlag"].i);
      e.store_timestamp = r["storeTimestamp"].i;
      e.body_length = r["bodyLength"].i;
    }
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<SegmentFile> ListCommitLog(const std::string& root) {
  auto segments = ListSegments(FileSystem::Default(), StorePaths{root}.CommitLogDir());
  EXPECT_TRUE(segments.ok()) << segments.error().ToString();
  return segments.ok() ? *segments : std::vector<SegmentFile>{};
}

// A copy of a golden store root in a fresh temp dir, every file writable.
class StoreCopy {
 public:
  explicit StoreCopy(const std::string& golden_store) : root_(tmp_.path() + "/store") {
    CopyTree(golden_store, root_);
  }
  const std::string& root() const { return root_; }
  std::string At(const std::string& relative) const { return root_ + relative; }
  const std::string& dir() const { return tmp_.path(); }

 private:
  TempDir tmp_;
  std::string root_;
};

// The real file system; tests override the one call they want to change.
class ForwardingFileSystem : public FileSystem {
 public:
  Result<std::unique_ptr<ReadOnlyMapping>> MapReadOnly(const std::string& path) override {
    return base().MapReadOnly(path);
  }
  Result<std::vector<std::string>> ListDirectory(const std::string& dir) override { return base().ListDirectory(dir); }
  Result<FileInfo> Stat(const std::string& path) override { return base().Stat(path); }
  Result<DiskSpace> SpaceOf(const std::string& path) override { return base().SpaceOf(path); }
  bool Exists(const std::string& path) override { return base().Exists(path); }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    return base().NewSequentialFile(path);
  }
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override {
    return base().OpenRandomRW(path, mode);
  }
  Status CreateDirectories(const std::string& dir) override { return base().CreateDirectories(dir); }
  Status RemoveAll(const std::string& path) override { return base().RemoveAll(path); }
  Status Remove(const std::string& path) override { return base().Remove(path); }
  Status Rename(const std::string& from, const std::string& to) override { return base().Rename(from, to); }
  Status SyncDirectory(const std::string& dir) override { return base().SyncDirectory(dir); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override { return base().LockFile(path); }

 protected:
  static FileSystem& base() { return FileSystem::Default(); }
};

// Mapping the files named in `unreadable` fails with an I/O error (an
// unreadable file, even for root).
class UnreadableFileSystem final : public ForwardingFileSystem {
 public:
  explicit UnreadableFileSystem(std::set<std::string> unreadable) : unreadable_(std::move(unreadable)) {}
  Result<std::unique_ptr<ReadOnlyMapping>> MapReadOnly(const std::string& path) override {
    if (unreadable_.count(path)) return Status::IOError("open " + path + ": Permission denied");
    return base().MapReadOnly(path);
  }

 private:
  std::set<std::string> unreadable_;
};

}  // namespace mqstore::test
