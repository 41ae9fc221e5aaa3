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
#include <cstdlib>
#include <memory>
#include <span>

namespace mqstore {

class AppendBuffer {
 public:
  // `capacity` is rounded up to a power of two of at least 64 KiB; the
  // memory is 4 KiB aligned (a later O_DIRECT or registered-buffer write
  // needs that).
  explicit AppendBuffer(size_t capacity);

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
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  size_t Index(int64_t offset) const { return static_cast<size_t>(offset) & (capacity_ - 1); }

  size_t capacity_;
  std::unique_ptr<uint8_t, Free> ring_;
  std::atomic<int64_t> committed_{0};
};

}  // namespace mqstore
