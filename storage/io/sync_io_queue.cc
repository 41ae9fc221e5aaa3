// The IoQueue that runs each operation through RandomRWFile when it is queued.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "storage/io/io_queue.h"

namespace mqstore {
namespace {

class SyncIoQueue final : public IoQueue {
 public:
  uint64_t Write(RandomRWFile& file, uint64_t offset, std::span<const uint8_t> data) override {
    return Record(file.Write(offset, data));
  }
  uint64_t DataSync(RandomRWFile& file) override { return Record(file.Sync()); }
  uint64_t StartWriteback(RandomRWFile& file, uint64_t offset, uint64_t len) override {
    return Record(file.StartWriteback(offset, len));
  }

  Status Wait(uint64_t ticket) override {
    auto it = std::find_if(results_.begin(), results_.end(), [&](const auto& r) { return r.first == ticket; });
    if (it == results_.end())
      return Status::InvalidArgument("io queue (sync): ticket " + std::to_string(ticket) +
                                     " is unknown or was already waited for");
    Status st = std::move(it->second);
    *it = std::move(results_.back());
    results_.pop_back();
    return st;
  }

  std::string_view name() const override { return "sync"; }

 private:
  uint64_t Record(Status st) {
    const uint64_t ticket = next_ticket_++;
    results_.emplace_back(ticket, std::move(st));
    return ticket;
  }

  uint64_t next_ticket_ = 1;
  // Done, not yet waited for: a handful at a time, so a vector (which,
  // once grown, puts allocate nothing) beats a map.
  std::vector<std::pair<uint64_t, Status>> results_;
};

}  // namespace

std::unique_ptr<IoQueue> NewSyncIoQueue() { return std::make_unique<SyncIoQueue>(); }

}  // namespace mqstore
