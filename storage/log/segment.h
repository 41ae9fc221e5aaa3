// Segment: one file of a segmented log (a commit-log or consume-queue file),
// `size` bytes long, named by the global offset of its first byte, kept
// preallocated and mapped shared for the whole of its life.
//
//   0 ........ flushed ........ committed ........ wrote ........ size
//   | durable  | in page cache, | in the writer's  | zeros /
//   |          | not yet synced | append buffer    | free
//
// Positions are relative to the file start and only grow (recovery sets them
// once before any writer runs). With the mmap backend `committed` follows
// `wrote` at once. Readers see [0, committed).
//
// A reader pins a segment by holding its shared_ptr (SegmentView): the file
// stays mapped, even after the log dropped it, until the last view is gone
// (or cleanup releases it forcibly: ReleaseForcibly, retired_files.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mqstore/message_view.h"  // SegmentView
#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore {

class Segment {
 public:
  // Creates `dir/<20-digit start>` at full size (fallocate) and maps it.
  static Result<std::shared_ptr<Segment>> Create(FileSystem& fs, const std::string& dir, int64_t start_offset,
                                                 int64_t size, bool writable_mapping);
  // Opens an existing file, which must be exactly `size` bytes.
  static Result<std::shared_ptr<Segment>> Open(FileSystem& fs, const std::string& path, int64_t start_offset,
                                               int64_t size, bool writable_mapping);

  const std::string& path() const { return file_->path(); }
  int64_t start_offset() const { return start_offset_; }
  int64_t size() const { return size_; }
  int64_t end_offset() const { return start_offset_ + size_; }
  bool Contains(int64_t offset) const { return offset >= start_offset_ && offset < end_offset(); }

  // The whole mapped file (writable only with a writable mapping).
  std::span<uint8_t> data() const { return mapping_->data(); }
  RandomRWFile& file() { return *file_; }
  FileMapping& mapping() { return *mapping_; }

  int64_t wrote() const { return wrote_.load(std::memory_order_acquire); }
  int64_t committed() const { return committed_.load(std::memory_order_acquire); }
  int64_t flushed() const { return flushed_.load(std::memory_order_acquire); }
  void set_wrote(int64_t pos) { wrote_.store(pos, std::memory_order_release); }
  void set_committed(int64_t pos) { committed_.store(pos, std::memory_order_release); }
  void set_flushed(int64_t pos) { flushed_.store(pos, std::memory_order_release); }
  // All three at once (recovery, before any writer or reader runs).
  void SetPositions(int64_t pos);
  bool IsFull() const { return wrote() == size_; }

  // Store time of the last record appended (for the checkpoint).
  int64_t last_store_timestamp() const { return last_store_timestamp_.load(std::memory_order_acquire); }
  void set_last_store_timestamp(int64_t t) { last_store_timestamp_.store(t, std::memory_order_release); }

  // fdatasync; on success `flushed` becomes `up_to` (a position the caller
  // read from `committed` before syncing).
  Status Flush(int64_t up_to);

  // For a file already unlinked that a reader still holds past the forcible
  // interval: the mapping becomes zero pages (readers holding views read
  // zeros, never fault) and the file is cut to 0 bytes, which frees its
  // blocks now instead of when the last reader lets go. Positional reads
  // then find the file empty.
  void ReleaseForcibly();

  // For [from, to) of the file, flushed and behind the writer: the mapping
  // lets go of its pages, then the page cache drops them
  // (FileMapping::DropPages, RandomRWFile::DropCache). Its bytes are on
  // disk; a reader of them faults or reads them in again. The range is
  // taken in whole pages: `from` rounded down, `to` down unless it is the
  // file's end.
  Status DropCache(int64_t from, int64_t to);

 private:
  Segment(std::unique_ptr<RandomRWFile> file, std::unique_ptr<FileMapping> mapping, int64_t start, int64_t size)
      : file_(std::move(file)), mapping_(std::move(mapping)), start_offset_(start), size_(size) {}
  static Result<std::shared_ptr<Segment>> MapFile(std::unique_ptr<RandomRWFile> file, int64_t start,
                                                  int64_t size, bool writable_mapping);

  std::unique_ptr<RandomRWFile> file_;
  std::unique_ptr<FileMapping> mapping_;
  const int64_t start_offset_;
  const int64_t size_;
  std::atomic<int64_t> wrote_{0};
  std::atomic<int64_t> committed_{0};
  std::atomic<int64_t> flushed_{0};
  std::atomic<int64_t> last_store_timestamp_{0};
};

}  // namespace mqstore
