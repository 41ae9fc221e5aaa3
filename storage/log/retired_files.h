// RetiredFiles: segment files cleanup has deleted (unlinked, out of their
// log) that readers may still hold. A file nobody else holds is let go at
// once, on the cleanup thread, so the unmap and the freeing of its blocks
// never land on a reader or the put path. One still held after
// destroyMapedFileIntervalForcibly is released forcibly
// (Segment::ReleaseForcibly: its reader reads zeros from then on, and the
// disk space comes back) — RocketMQ's forced shutdown of a MappedFile's
// reference count, without the crash a forced munmap would be.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/log/segment.h"

namespace mqstore {

class RetiredFiles {
 public:
  explicit RetiredFiles(int64_t force_after_ms) : force_after_ms_(force_after_ms) {}

  // Takes files already unlinked, retired at `now_ms`.
  void Add(std::vector<std::shared_ptr<Segment>> files, int64_t now_ms);
  void Add(std::shared_ptr<Segment> file, int64_t now_ms);

  struct SweepResult {
    size_t released = 0;  // nobody held them: unmapped and closed
    size_t forced = 0;    // held past the interval: released forcibly
  };
  // Lets go of every file only this list holds; releases forcibly those
  // held longer than the interval (each once).
  SweepResult Sweep(int64_t now_ms);
  // Files still held by a reader.
  size_t held() const;

 private:
  struct Entry {
    std::shared_ptr<Segment> file;
    int64_t retired_ms;
    bool forced;
  };
  const int64_t force_after_ms_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace mqstore
