#include "storage/ha/ha_connection.h"

#include <algorithm>
#include <chrono>

#include "format/ha_frame.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

// Network timing is real time: the slave's clock is not ours to fake.
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int kIdleWaitMs = 100;  // HAConnection's WaitNotifyObject wait
constexpr int kFirstReportWaitMs = 10;

}  // namespace

HaConnection::HaConnection(Fd fd, std::string peer, const CommitLog& log, const HaMasterOptions& options,
                           std::function<void(int64_t)> on_ack)
    : fd_(std::move(fd)), peer_(std::move(peer)), log_(log), options_(options), on_ack_(std::move(on_ack)) {}

HaConnection::~HaConnection() { Stop(); }

void HaConnection::Start() { thread_ = std::thread([this] { Run(); }); }

// All four steps are seq_cst, so either the thread's look at `wakes_`
// comes after this bump (it sends at once) or its `idle_` comes before this
// exchange (the eventfd wakes it). No fence: GCC's ThreadSanitizer has none.
void HaConnection::Wake() const {
  wakes_.fetch_add(1, std::memory_order_seq_cst);  // after the caller's append
  if (idle_.exchange(false, std::memory_order_seq_cst)) wake_.Wake();
}

int HaConnection::SleepMs() {
  if (next_ < 0) return kFirstReportWaitMs;
  idle_.store(true, std::memory_order_seq_cst);
  const uint64_t wakes = wakes_.load(std::memory_order_seq_cst);
  if (wakes == wakes_seen_) return kIdleWaitMs;
  wakes_seen_ = wakes;  // woken since the last look: bytes may have come after the last frame
  return 0;
}

void HaConnection::Stop() {
  stop_.store(true, std::memory_order_release);
  wake_.Wake();
  if (thread_.joinable()) thread_.join();
}

std::string HaConnection::error() const {
  std::lock_guard lock(error_mu_);
  return error_;
}

void HaConnection::Run() {
  NameThisThread("mq-ha-conn");
  Status st = Loop();
  if (!st.ok() && !stop_.load(std::memory_order_acquire)) {
    if (slave_left_) StoreLog(LogLevel::kInfo, "HA: slave " + peer_ + " disconnected");  // closed between reports
    else StoreLog(LogLevel::kWarn, "HA: dropping slave " + peer_ + ": " + st.ToString());
  }
  {
    std::lock_guard lock(error_mu_);
    error_ = st.ok() ? "stopped" : st.ToString();
  }
  fd_.Close();
  done_.store(true, std::memory_order_release);
}

Status HaConnection::Loop() {
  last_read_ms_ = last_write_ms_ = NowMs();
  while (!stop_.load(std::memory_order_acquire)) {
    const bool pending = out_done_ < out_.size();
    auto polled = PollFd(fd_, pending, wake_.get(), pending ? kIdleWaitMs : SleepMs());
    idle_.store(false, std::memory_order_relaxed);
    if (!polled.ok()) return polled.error();
    const int64_t now = NowMs();
    if (polled->readable) MQ_RETURN_IF_ERROR(ReadReports());
    if (now - last_read_ms_ > options_.housekeeping_interval_ms)
      return Status::IOError("HA slave " + peer_ + " sent nothing for " + std::to_string(now - last_read_ms_) +
                             " ms (haHousekeepingInterval " + std::to_string(options_.housekeeping_interval_ms) + ")");
    // Write until the socket is full, a frame at a time.
    while (!stop_.load(std::memory_order_acquire)) {
      if (out_done_ == out_.size()) {
        out_.clear();
        out_done_ = 0;
        NextFrame(now);
        if (out_.empty()) break;
      }
      auto n = WriteSome(fd_, std::span<const uint8_t>(out_).subspan(out_done_), peer_);
      if (!n.ok()) return n.error();
      if (*n == 0) break;
      out_done_ += *n;
      last_write_ms_ = now;
    }
  }
  return Status::Ok();
}

Status HaConnection::ReadReports() {
  uint8_t buf[4096];
  while (true) {
    bool closed = false;
    auto n = ReadSome(fd_, buf, peer_, &closed);
    if (!n.ok()) {
      slave_left_ = closed && in_.empty();  // not in the middle of a report
      return n.error();
    }
    if (*n == 0) return Status::Ok();
    last_read_ms_ = NowMs();
    in_.insert(in_.end(), buf, buf + *n);
    const HaReports reports = DecodeHaReports(in_);
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(reports.consumed));
    if (!reports.last) continue;
    const int64_t offset = *reports.last;
    const int64_t max = log_.MaxOffset();
    if (offset < 0 || offset > max) {
      diverged_.store(offset > max, std::memory_order_release);
      // Tell an mqstore slave where this log ends before closing (a 4.9.8
      // slave sees an offset it does not hold and reconnects, as it would
      // after the close).
      uint8_t hb[kHaHeaderSize];
      EncodeHaHeader({max, 0}, hb);
      if (out_done_ == out_.size()) (void)WriteSome(fd_, hb, peer_);
      return Status::Corruption("HA slave " + peer_ + " reports offset " + std::to_string(offset) +
                                " but this master's log ends at " + std::to_string(max) +
                                ": the slave's log diverged from the master's");
    }
    if (requested_ < 0) {
      requested_ = offset;
      next_ = StartOffset(offset);
      StoreLog(LogLevel::kInfo, "HA: slave " + peer_ + " reported " + std::to_string(offset) + ", transfer starts at " +
                                    std::to_string(next_));
    }
    ack_.store(offset, std::memory_order_release);
    if (on_ack_) on_ack_(offset);
  }
}

int64_t HaConnection::StartOffset(int64_t requested) const {
  if (requested != 0) return requested;
  if (options_.whole_history) return log_.MinOffset();
  const int64_t max = log_.MaxOffset();
  return max - max % log_.options().segment_size;
}

void HaConnection::NextFrame(int64_t now) {
  if (next_ < 0) return;
  int32_t size = 0;
  if (auto view = log_.Read(next_, options_.transfer_batch_size); view.ok() && !view->bytes.empty()) {
    size = static_cast<int32_t>(view->bytes.size());
    out_.resize(kHaHeaderSize + static_cast<size_t>(size));
    std::copy(view->bytes.begin(), view->bytes.end(), out_.begin() + kHaHeaderSize);
  } else if (now - last_write_ms_ >= options_.heartbeat_interval_ms) {
    out_.resize(kHaHeaderSize);
  } else {
    return;
  }
  EncodeHaHeader({next_, size}, out_.data());
  next_ += size;
}

}  // namespace mqstore
