// SegmentAllocator (RocketMQ's AllocateMappedFileService): one background
// thread that keeps the commit log's next segment file created, preallocated
// and mapped before the writer needs it, so that rolling to a new file never
// stalls producers on file creation. It also faults pages of the current
// segment in a window ahead of the writer (MADV_POPULATE_WRITE), so the put
// path does not pay first-touch page faults; with `warm` (warmMapedFileEnable)
// it faults in a whole new segment as soon as it is created.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/log/segment.h"

namespace mqstore {

class SegmentAllocator {
 public:
  struct Options {
    int64_t segment_size = 0;
    bool writable_mapping = false;  // mmap backend
    bool warm = false;              // warmMapedFileEnable
    int64_t prefault_ahead = 0;     // bytes faulted ahead of the writer; 0 = off
  };

  SegmentAllocator(FileSystem& fs, std::string dir, Options options);
  ~SegmentAllocator();  // stops the thread; a prepared, unused file stays (all zeros)

  void Start();
  void Stop();

  // The segment starting at `start`: the one prepared in the background if it
  // was, else created now. Then asks for the one after it.
  Result<std::shared_ptr<Segment>> Take(int64_t start);
  // Asks for `start` to be prepared (without waiting).
  void Prepare(int64_t start);
  // The writer reached `pos` (relative) in `segment`: keep the window ahead
  // of it faulted in. Cheap enough to call on every put.
  void WriterAt(const std::shared_ptr<Segment>& segment, int64_t pos);
  // `bytes` are about to be appended at `pos` in one burst (a timer slot
  // fired in bulk): fault in that much ahead as well, up to the segment's
  // end, so the burst does not take its page faults inside the put lock.
  void ExpectBurst(const std::shared_ptr<Segment>& segment, int64_t pos, int64_t bytes);
  // `segment` was synced up to `flushed`. A whole-file fdatasync (the sync
  // I/O queue's; io_uring's is ranged) wrote back the dirty pages past it
  // too, the faulted-in ones included, and a clean page faults again on the
  // next store: while a burst is expected, its pages are faulted in again
  // (cheap where they are still there).
  void Synced(const std::shared_ptr<Segment>& segment, int64_t flushed);

  // Held while pages behind the writer drop from the page cache
  // (commitLogCacheMb): no slice of the window is faulted in meanwhile, so
  // a slice is never faulted from a writer's position older than the drop
  // and read back from disk.
  std::unique_lock<std::mutex> PausePopulating() const { return std::unique_lock(populate_mu_); }

  uint64_t segments_created() const;
  // Bytes of the writer's segment faulted in ahead of it so far (the
  // window, bursts, and again after syncs).
  uint64_t bytes_faulted() const;

 private:
  void Run();
  bool HasWork() const;
  // Returns the bytes it faulted in.
  int64_t PopulateAheadOfWriter(Segment& segment, int64_t from, int64_t to) const;
  Result<std::shared_ptr<Segment>> CreateSegment(int64_t start);
  void FollowWriter(const std::shared_ptr<Segment>& segment, int64_t pos);

  FileSystem& fs_;
  const std::string dir_;
  const Options options_;

  mutable std::mutex mu_;
  mutable std::mutex populate_mu_;  // held for each slice faulted in (PopulateAheadOfWriter)
  std::condition_variable cv_;
  std::condition_variable prepared_cv_;
  bool stop_ = false;
  bool started_ = false;
  std::optional<int64_t> wanted_;  // start offset to prepare next
  bool preparing_ = false;
  std::optional<Result<std::shared_ptr<Segment>>> prepared_;
  std::shared_ptr<Segment> prefault_segment_;
  int64_t prefault_target_ = 0;  // fault in up to here (relative to prefault_segment_)
  int64_t prefaulted_ = 0;       // done up to here
  int64_t burst_until_ = 0;      // ExpectBurst's target, kept until the writer passes it
  uint64_t created_ = 0;
  uint64_t faulted_ = 0;
  std::atomic<int64_t> rearm_at_{0};  // global offset at which WriterAt wakes the thread again
  std::thread thread_;
};

}  // namespace mqstore
