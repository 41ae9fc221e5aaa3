// AppendBuffer: the `write` backend's user-space ring. The put-lock holder
// copies encoded records in at their global commit-log offsets; a committer
// later hands [committed, wrote) to pwrite (Step 3: io_uring) and frees it.
//
//   ring index = global offset mod capacity
//   free space = capacity - (wrote - committed)
//
// One writer (under the put lock) and one committer (under the commit lock)
// share it; `committed` is published with release/acquire so the writer never
// overwrites bytes the committer has not written out yet.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "mqstore/status.h"
#include "storage/io/mapped_array.h"

namespace mqstore {

class AppendBuffer {
 public:
  // `capacity` rounded up to a power of two of at least 64 KiB, in a
  // mapping of its own (page aligned, as a later O_DIRECT or
  // registered-buffer write needs; resident at once, since the writer goes
  // round all of it). A mapping refused is the error, naming the bytes.
  static Result<std::unique_ptr<AppendBuffer>> Create(size_t capacity);

  size_t capacity() const { return capacity_; }
  // Global offset up to which bytes have left the ring (set by the committer).
  int64_t committed() const { return committed_.load(std::memory_order_acquire); }
  void set_committed(int64_t offset) { committed_.store(offset, std::memory_order_release); }
  // Whether `len` bytes at `offset` fit without overwriting uncommitted ones.
  bool Fits(int64_t offset, size_t len) const {
    return static_cast<uint64_t>(offset + static_cast<int64_t>(len) - committed()) <= capacity_;
  }
  // Copies `bytes` (or zeros) to the ring at `offset`; the caller checked Fits.
  void Put(int64_t offset, std::span<const uint8_t> bytes);
  void PutZeros(int64_t offset, size_t len);
  // The ring bytes of [offset, offset+len) as one or two spans (wrap-around).
  struct Parts {
    std::span<const uint8_t> first, second;
  };
  Parts Get(int64_t offset, size_t len) const;

 private:
  explicit AppendBuffer(MappedArray<uint8_t> ring) : capacity_(ring.size()), ring_(std::move(ring)) {}
  size_t Index(int64_t offset) const { return static_cast<size_t>(offset) & (capacity_ - 1); }

  const size_t capacity_;
  MappedArray<uint8_t> ring_;
  std::atomic<int64_t> committed_{0};
};

}  // namespace mqstore
