// The IoQueue on io_uring: writes, fdatasync and sync_file_range as ring entries.
#include <fcntl.h>
#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "storage/io/io_queue.h"

namespace mqstore {
namespace {

enum class OpKind : uint8_t { kWrite, kDataSync, kWriteback };
enum class OpState : uint8_t { kFree, kRunning, kDone };

// err of a write the kernel completed with 0 bytes: no errno to report.
constexpr int kWroteNothing = -1;
// One ring entry writes at most this much; the rest continues like a short
// write (an entry's length is 32 bits, and the kernel caps a write at 2 GiB).
constexpr uint64_t kMaxWriteChunk = uint64_t{1} << 30;

// One queued operation, in a slot of a reused table. Its ticket is
// (sequence << 32 | slot): a ticket that was waited for, or never issued,
// finds a slot holding another ticket or none.
struct Op {
  uint64_t ticket = 0;
  RandomRWFile* file = nullptr;   // for the path in an error message
  const uint8_t* data = nullptr;  // write: the bytes not yet written
  uint64_t offset = 0;            // write: where they go
  uint64_t len = 0;               // write: bytes left; writeback: range length
  OpKind kind = OpKind::kWrite;
  OpState state = OpState::kFree;
  int err = 0;    // done by the ring: the errno it failed with, or kWroteNothing
  Status status;  // done through the file interface
};

const char* OpName(OpKind kind) {
  switch (kind) {
    case OpKind::kWrite: return "write";
    case OpKind::kDataSync: return "fdatasync";
    case OpKind::kWriteback: return "sync_file_range";
  }
  return "?";
}

// The Status of an operation the kernel failed (err > 0) or cut short.
Status RingError(const Op& op) {
  std::string m = std::string(OpName(op.kind)) + " " + op.file->path();
  if (op.kind != OpKind::kDataSync) m += " at offset " + std::to_string(op.offset);
  if (op.err == kWroteNothing) return Status::IOError(m + ": wrote 0 of " + std::to_string(op.len) + " bytes");
  m += ": ";
  m += std::strerror(op.err);
  if (op.err == ENOSPC || op.err == EDQUOT) return Status::NoSpace(std::move(m));
  return Status::IOError(std::move(m));
}

class UringIoQueue final : public IoQueue {
 public:
  static Result<std::unique_ptr<IoQueue>> Create(unsigned entries) {
    if (entries == 0) return Status::InvalidArgument("io_uring queue: entries must be at least 1");
    std::unique_ptr<UringIoQueue> q(new UringIoQueue());
    MQ_RETURN_IF_ERROR(q->Init(entries));
    return std::unique_ptr<IoQueue>(std::move(q));
  }

  // The caller's buffers stay in use until the kernel is done with them.
  ~UringIoQueue() override {
    if (!initialized_) return;
    while (broken_.ok() && Progress()) {
    }
    io_uring_queue_exit(&ring_);
  }

  uint64_t Write(RandomRWFile& file, uint64_t offset, std::span<const uint8_t> data) override {
    const uint32_t slot = NewOp(OpKind::kWrite, file, offset, data.size());
    Op& op = ops_[slot];
    op.data = data.data();
    if (data.empty()) {
      op.state = OpState::kDone;
    } else if (file.NativeHandle() < 0) {
      Finish(op, file.Write(offset, data));
    } else {
      Prepare(slot);
    }
    return ops_[slot].ticket;
  }

  uint64_t DataSync(RandomRWFile& file) override { return DataSyncRange(file, 0, 0); }

  // len 0: the whole file.
  uint64_t DataSyncRange(RandomRWFile& file, uint64_t offset, uint64_t len) override {
    if (len > UINT32_MAX) offset = len = 0;  // an entry's length is 32 bits
    const uint32_t slot = NewOp(OpKind::kDataSync, file, offset, len);
    if (file.NativeHandle() < 0) {
      Finish(ops_[slot], file.Sync());
    } else {
      Prepare(slot);
      Pump(0);  // starts now, so that the caller's next work overlaps with it
    }
    return ops_[slot].ticket;
  }

  uint64_t StartWriteback(RandomRWFile& file, uint64_t offset, uint64_t len) override {
    const uint32_t slot = NewOp(OpKind::kWriteback, file, offset, len);
    if (len == 0) {
      ops_[slot].state = OpState::kDone;  // an empty range; 0 would mean "to the end of the file"
    } else if (file.NativeHandle() < 0) {
      Finish(ops_[slot], file.StartWriteback(offset, len));
    } else {
      Prepare(slot);
      Pump(0);
    }
    return ops_[slot].ticket;
  }

  Status Wait(uint64_t ticket) override {
    if (Find(ticket) == nullptr)
      return Status::InvalidArgument("io queue (io_uring): ticket " + std::to_string(ticket) +
                                     " is unknown or was already waited for");
    const uint32_t slot = SlotOf(ticket);
    while (ops_[slot].state == OpState::kRunning) {
      if (broken_.ok() && Progress()) continue;
      if (ops_[slot].state != OpState::kRunning) break;
      Release(slot);  // a late completion finds the slot no longer holds its ticket
      return broken_.ok() ? Status::IOError("io queue (io_uring): ticket " + std::to_string(ticket) + " was lost")
                          : broken_;
    }
    if (io_uring_sq_ready(&ring_) > 0) Pump(0);  // what is queued starts even when `ticket` was done
    return Take(slot);
  }

  std::string_view name() const override { return "io_uring"; }

 private:
  UringIoQueue() = default;

  Status Init(unsigned entries) {
    // CLAMP: more entries than the kernel allows get its maximum.
    int rc = io_uring_queue_init(entries, &ring_, IORING_SETUP_CLAMP | IORING_SETUP_COOP_TASKRUN);
    if (rc == -EINVAL) rc = io_uring_queue_init(entries, &ring_, IORING_SETUP_CLAMP);  // kernels before 5.19
    if (rc < 0) return Status::Unsupported(std::string("io_uring unavailable: ") + std::strerror(-rc));
    initialized_ = true;
    MQ_RETURN_IF_ERROR(CheckOpcodes());
    max_in_flight_ = ring_.cq.ring_entries;
    ops_.reserve(max_in_flight_);
    free_.reserve(max_in_flight_);
    requeue_.reserve(max_in_flight_);
    return Status::Ok();
  }

  Status CheckOpcodes() {
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    if (probe == nullptr) return Status::Unsupported("io_uring unavailable: the kernel cannot list its operations");
    const char* missing = nullptr;
    if (!io_uring_opcode_supported(probe, IORING_OP_WRITE)) missing = "IORING_OP_WRITE";
    else if (!io_uring_opcode_supported(probe, IORING_OP_FSYNC)) missing = "IORING_OP_FSYNC";
    else if (!io_uring_opcode_supported(probe, IORING_OP_SYNC_FILE_RANGE)) missing = "IORING_OP_SYNC_FILE_RANGE";
    io_uring_free_probe(probe);
    if (missing != nullptr) return Status::Unsupported(std::string("io_uring unavailable: the kernel lacks ") + missing);
    return Status::Ok();
  }

  static uint32_t SlotOf(uint64_t ticket) { return static_cast<uint32_t>(ticket); }

  Op* Find(uint64_t ticket) {
    const uint32_t slot = SlotOf(ticket);
    if (ticket == 0 || slot >= ops_.size() || ops_[slot].ticket != ticket) return nullptr;
    return &ops_[slot];
  }

  uint32_t NewOp(OpKind kind, RandomRWFile& file, uint64_t offset, uint64_t len) {
    uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<uint32_t>(ops_.size());
      ops_.emplace_back();
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    if (++seq_ == 0) seq_ = 1;  // ticket 0 is never issued
    Op& op = ops_[slot];
    op.ticket = (uint64_t{seq_} << 32) | slot;
    op.file = &file;
    op.data = nullptr;
    op.offset = offset;
    op.len = len;
    op.kind = kind;
    op.state = OpState::kRunning;
    op.err = 0;
    op.status = Status::Ok();
    return slot;
  }

  static void Finish(Op& op, Status st) {
    op.status = std::move(st);
    op.state = OpState::kDone;
  }

  void Release(uint32_t slot) {
    ops_[slot].ticket = 0;
    ops_[slot].state = OpState::kFree;
    free_.push_back(slot);
  }

  Status Take(uint32_t slot) {
    Op& op = ops_[slot];
    Status st = op.err != 0 ? RingError(op) : std::move(op.status);
    Release(slot);
    return st;
  }

  // Puts the operation in `slot` (running, not in the kernel) on the ring.
  void Prepare(uint32_t slot) {
    io_uring_sqe* sqe = GetSqe();
    Op& op = ops_[slot];
    if (sqe == nullptr) return Finish(op, broken_);
    const int fd = op.file->NativeHandle();
    switch (op.kind) {
      case OpKind::kWrite:
        io_uring_prep_write(sqe, fd, op.data, static_cast<unsigned>(std::min(op.len, kMaxWriteChunk)), op.offset);
        break;
      case OpKind::kDataSync:
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        sqe->off = op.offset;  // with len 0: from offset to the end of the file
        sqe->len = static_cast<uint32_t>(op.len);
        break;
      case OpKind::kWriteback:
        // An entry's length is 32 bits; a longer range starts write-back to
        // the end of the file (length 0), which claims nothing more.
        io_uring_prep_sync_file_range(sqe, fd, op.len > UINT32_MAX ? 0 : static_cast<unsigned>(op.len), op.offset,
                                      SYNC_FILE_RANGE_WRITE);
        break;
    }
    io_uring_sqe_set_data64(sqe, op.ticket);
    ++in_flight_;
  }

  // A free submission entry, once the kernel has room for another operation;
  // nullptr once the ring is broken.
  io_uring_sqe* GetSqe() {
    while (broken_.ok() && in_flight_ >= max_in_flight_) Pump(1);
    while (broken_.ok()) {
      if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
      Pump(0);  // hands the queued entries to the kernel, which frees them
      if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
      Pump(1);  // the kernel took none: wait for a completion
    }
    return nullptr;
  }

  // Submits what is queued and, with wait_nr 1, waits for a completion; then
  // takes every completion there is.
  void Pump(unsigned wait_nr) {
    const int rc = wait_nr > 0 ? io_uring_submit_and_wait(&ring_, wait_nr) : io_uring_submit(&ring_);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
      broken_ = Status::IOError(std::string("io_uring_enter: ") + std::strerror(-rc));
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      Complete(io_uring_cqe_get_data64(cqe), cqe->res);
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
  }

  void Complete(uint64_t ticket, int res) {
    --in_flight_;
    Op* op = Find(ticket);
    if (op == nullptr || op->state != OpState::kRunning) return;  // given up on by Wait
    if (res == -EINTR) return requeue_.push_back(ticket);
    if (op->kind == OpKind::kWrite && res > 0 && static_cast<uint64_t>(res) < op->len) {
      op->data += res;  // a short write: the rest goes in again under the same ticket
      op->offset += static_cast<uint64_t>(res);
      op->len -= static_cast<uint64_t>(res);
      return requeue_.push_back(ticket);
    }
    if (res < 0) op->err = -res;
    else if (op->kind == OpKind::kWrite && res == 0) op->err = kWroteNothing;
    op->state = OpState::kDone;
  }

  // Moves the operations waiting to go in again onto the ring and waits for
  // a completion: false when nothing is in flight, so nothing can complete.
  bool Progress() {
    for (size_t i = 0; i < requeue_.size(); ++i) {  // Prepare may append
      if (Find(requeue_[i]) != nullptr) Prepare(SlotOf(requeue_[i]));
    }
    requeue_.clear();
    if (in_flight_ == 0) return false;
    Pump(1);
    return true;
  }

  io_uring ring_{};
  bool initialized_ = false;
  unsigned max_in_flight_ = 0;  // the completion ring's size
  unsigned in_flight_ = 0;      // entries prepared and not yet completed
  uint32_t seq_ = 0;
  std::vector<Op> ops_;
  std::vector<uint32_t> free_;       // slots of ops_ to reuse
  std::vector<uint64_t> requeue_;    // tickets whose write continues or retries
  Status broken_;                    // the ring failed: nothing more can be submitted
};

}  // namespace

Result<std::unique_ptr<IoQueue>> NewUringIoQueue(unsigned entries) { return UringIoQueue::Create(entries); }

}  // namespace mqstore
