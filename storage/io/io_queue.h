// IoQueue: file operations submitted now and completed later, the form the
// flush service drives its I/O in (Step 3). One thread owns a queue: it
// queues operations, each of which gets a ticket, and waits for tickets;
// completions are plain data (a result per ticket), never callbacks.
//
//   IoQueue& io = ...;
//   uint64_t w = io.Write(file, pos, bytes);      // queued, not yet running
//   MQ_RETURN_IF_ERROR(io.Wait(w));               // submits, waits for w
//   uint64_t s = io.DataSync(file);               // covers w: w completed first
//   ... other work overlaps with the sync ...
//   MQ_RETURN_IF_ERROR(io.Wait(s));
//
// Queued operations may run concurrently and complete in any order: a sync
// covers only writes that completed before it was queued, so callers wait
// for their writes first. Memory handed to Write must stay untouched until
// its ticket completed.
//
// Two implementations:
//   io_uring  (uring_io_queue.cc) IORING_OP_WRITE, IORING_OP_FSYNC with
//             IORING_FSYNC_DATASYNC, IORING_OP_SYNC_FILE_RANGE; files the
//             ring cannot address (no descriptor: the fault-injecting file
//             system's) run through the file interface instead.
//   sync      (sync_io_queue.cc) runs each operation through RandomRWFile
//             when it is queued: the fallback when io_uring is unavailable,
//             and what tests with the fault-injecting file system use.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore {

class IoQueue {
 public:
  virtual ~IoQueue() = default;

  // pwrite of all of `data` at `offset` (short writes are continued).
  virtual uint64_t Write(RandomRWFile& file, uint64_t offset, std::span<const uint8_t> data) = 0;
  // fdatasync.
  virtual uint64_t DataSync(RandomRWFile& file) = 0;
  // fdatasync of [offset, offset+len) (len < 4 GiB): only that range's
  // dirty pages are written back, then the metadata and the disk's cache
  // as fdatasync does (io_uring's ranged fsync: vfs_fsync_range). Pages
  // outside it stay dirty: a mapped file's pages faulted in ahead of its
  // writer are not written out as zeros and left to fault again. Where a
  // ranged sync is not available, the whole file (DataSync).
  virtual uint64_t DataSyncRange(RandomRWFile& file, uint64_t offset, uint64_t len) {
    (void)offset;
    (void)len;
    return DataSync(file);
  }
  // Starts write-back of [offset, offset+len) without waiting for it
  // (sync_file_range SYNC_FILE_RANGE_WRITE), so a later DataSync has less
  // left to do. Durability is claimed only by DataSync.
  virtual uint64_t StartWriteback(RandomRWFile& file, uint64_t offset, uint64_t len) = 0;

  // Submits what is queued and waits until `ticket` completed: its error, if
  // it failed. Each ticket is waited for at most once; completions of other
  // tickets that arrive meanwhile are kept for their own Wait.
  virtual Status Wait(uint64_t ticket) = 0;

  // "io_uring" or "sync".
  virtual std::string_view name() const = 0;
};

// Runs every operation through the file interface when it is queued.
std::unique_ptr<IoQueue> NewSyncIoQueue();

// An io_uring with room for `entries` operations in flight, or the reason
// the kernel refused one (too old, disabled by policy or seccomp).
Result<std::unique_ptr<IoQueue>> NewUringIoQueue(unsigned entries = 256);

}  // namespace mqstore
