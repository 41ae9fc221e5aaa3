#include "storage/ha/ha_client.h"

#include <algorithm>
#include <chrono>

#include "format/big_endian.h"
#include "format/message_record.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int kConnectTimeoutMs = 3000;
constexpr int kPollMs = 100;

}  // namespace

HaClient::HaClient(CommitLog& log, HaSlaveOptions options, std::function<void()> on_append)
    : log_(log), options_(std::move(options)), on_append_(std::move(on_append)), peer_(options_.master_address) {}

HaClient::~HaClient() { Stop(); }

void HaClient::Start() {
  caught_up_ms_.store(NowMs(), std::memory_order_release);
  thread_ = std::thread([this] { Run(); });
}

void HaClient::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
  wake_.Wake();
  if (thread_.joinable()) thread_.join();
}

void HaClient::SetError(const std::string& why) {
  std::lock_guard lock(mu_);
  error_ = why;
}

void HaClient::Pause(int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(std::memory_order_acquire); });
}

void HaClient::Run() {
  NameThisThread("mq-ha-client");
  while (!stop_.load(std::memory_order_acquire) && !diverged()) {
    auto fd = ConnectTcp(options_.master_address, kConnectTimeoutMs, options_.send_buffer_bytes);
    if (!fd.ok()) {
      SetError(fd.error().ToString());
      Pause(options_.reconnect_wait_ms);
      continue;
    }
    connects_.fetch_add(1, std::memory_order_relaxed);
    connected_.store(true, std::memory_order_release);
    Status st = Session(*fd);
    connected_.store(false, std::memory_order_release);
    fd->Close();
    if (stop_.load(std::memory_order_acquire)) break;
    StoreLog(diverged() ? LogLevel::kError : LogLevel::kWarn, "HA slave: " + st.ToString());
    SetError(st.ToString());
    if (diverged()) OnDiverged();
    if (!diverged()) Pause(options_.reconnect_wait_ms);
  }
}

void HaClient::OnDiverged() {
  if (!options_.cut_diverged) return;  // refuse: replication stays stopped
  const int64_t from = log_.WroteOffset();
  Status st = options_.cut_diverged(master_log_end_);
  if (!st.ok()) {
    StoreLog(LogLevel::kError, "HA slave: cutting the log from " + std::to_string(from) + " back to the master's end " +
                                   std::to_string(master_log_end_) + " failed: " + st.ToString());
    SetError(st.ToString());
    return;  // stays diverged: stopped
  }
  StoreLog(LogLevel::kError, "HA slave: haDivergencePolicy=truncate cut this slave's log from " +
                                 std::to_string(from) + " back to the master's end " +
                                 std::to_string(master_log_end_) + "; following again");
  cuts_.fetch_add(1, std::memory_order_relaxed);
  master_end_.store(master_log_end_, std::memory_order_release);
  diverged_.store(false, std::memory_order_release);
}

// One connection: report, then take frames until something is wrong.
Status HaClient::Session(Fd& fd) {
  in_.clear();
  pending_.clear();
  blank_left_ = 0;
  pending_at_ = log_.WroteOffset();
  reported_ = -1;
  last_read_ms_ = NowMs();
  frame_started_ms_ = -1;
  claimed_end_ = -1;
  session_frames_ = 0;
  MQ_RETURN_IF_ERROR(Report(fd, pending_at_));
  while (!stop_.load(std::memory_order_acquire)) {
    auto polled = PollFd(fd, false, wake_.get(), kPollMs);
    if (!polled.ok()) return polled.error();
    if (polled->readable) MQ_RETURN_IF_ERROR(TakeFrames(fd));
    const int64_t now = NowMs();
    if (now - last_read_ms_ > options_.housekeeping_interval_ms)
      return Status::IOError("HA master " + peer_ + " sent nothing for " + std::to_string(now - last_read_ms_) +
                             " ms (haHousekeepingInterval=" + std::to_string(options_.housekeeping_interval_ms) +
                             " ms)");
    MQ_RETURN_IF_ERROR(CheckFrameDeadline());
    if (claimed_end_ >= 0) continue;  // the master said where its log ends and is closing: no more reports
    const int64_t end = log_.WroteOffset();
    if (end > reported_ || now - last_report_ms_ >= options_.heartbeat_interval_ms) MQ_RETURN_IF_ERROR(Report(fd, end));
  }
  return Status::Ok();
}

// Bytes keep coming (heartbeats) while the body of a frame does not: stale
// bytes of an old connection that read as a header announcing megabytes
// would otherwise hold the connection forever.
Status HaClient::CheckFrameDeadline() const {
  if (frame_started_ms_ < 0) return Status::Ok();
  const int64_t waited = options_.clock->MonotonicMillis() - frame_started_ms_;
  if (waited <= options_.housekeeping_interval_ms) return Status::Ok();
  const size_t arrived = in_.size() - kHaHeaderSize;  // in_ starts with the open frame's header
  return Status::IOError("HA master " + peer_ + ": frame announced " + std::to_string(open_frame_.size) +
                         " body bytes at master offset " + std::to_string(open_frame_.offset) + "; only " +
                         std::to_string(arrived) + " arrived within haHousekeepingInterval=" +
                         std::to_string(options_.housekeeping_interval_ms) + " ms");
}

Status HaClient::Report(const Fd& fd, int64_t offset) {
  uint8_t report[kHaReportSize];
  EncodeHaReport(offset, report);
  // 8 bytes into an empty-enough socket buffer: a short write means the
  // master stopped reading; the connection is dropped.
  auto n = WriteSome(fd, report, peer_);
  if (!n.ok()) return n.error();
  if (*n != kHaReportSize) return Status::IOError("HA master " + peer_ + " does not read this slave's reports");
  reported_ = offset;
  last_report_ms_ = NowMs();
  return Status::Ok();
}

Status HaClient::TakeFrames(const Fd& fd) {
  uint8_t buf[64 * 1024];
  while (!stop_.load(std::memory_order_acquire)) {
    auto n = ReadSome(fd, buf, peer_);
    // The master closed right after saying where its log ends: that end is real.
    if (!n.ok()) return claimed_end_ >= 0 && in_.empty() ? Diverged(claimed_end_) : n.error();
    if (*n == 0) return Status::Ok();
    last_read_ms_ = NowMs();
    in_.insert(in_.end(), buf, buf + *n);
    buffered_peak_.store(std::max(buffered_peak_.load(std::memory_order_relaxed), in_.size() + pending_.size()),
                         std::memory_order_relaxed);
    size_t at = 0;
    while (true) {
      if (claimed_end_ >= 0 && in_.size() > at) return NotADivergenceNotice(claimed_end_, "more bytes followed it");
      if (in_.size() - at < kHaHeaderSize) break;
      auto header = DecodeHaHeader(std::span<const uint8_t>(in_).subspan(at), options_.max_frame_body);
      if (!header.ok()) return Status::Corruption("HA master " + peer_ + ": bad frame header: " + header.error().ToString());
      // Judged on its header, before its body is waited for.
      MQ_RETURN_IF_ERROR(CheckFrameStart(*header));
      const size_t whole = kHaHeaderSize + static_cast<size_t>(header->size);
      if (in_.size() - at < whole) {
        if (frame_started_ms_ < 0) frame_started_ms_ = options_.clock->MonotonicMillis();
        open_frame_ = *header;
        break;
      }
      frame_started_ms_ = -1;
      MQ_RETURN_IF_ERROR(Apply(*header, std::span<const uint8_t>(in_).subspan(at + kHaHeaderSize, header->size)));
      ++session_frames_;
      at += whole;
      // The ack: once per frame that grew the log (HAClient's reportSlaveMaxOffsetPlus).
      if (log_.WroteOffset() > reported_) MQ_RETURN_IF_ERROR(Report(fd, log_.WroteOffset()));
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(at));
  }
  return Status::Ok();
}

// Where a frame must start: where the replica's bytes end, or, for a
// brand-new empty replica, at a commit-log file start. A heartbeat below
// the replica's end is let through: Apply judges it as a divergence notice.
Status HaClient::CheckFrameStart(const HaFrameHeader& header) const {
  const int64_t log_end = log_.WroteOffset();
  if (header.size == 0 && header.offset < log_end) return Status::Ok();
  const int64_t expected = pending_at_ + static_cast<int64_t>(pending_.size());
  if (Fresh()) {
    if (header.offset != expected && header.offset % log_.options().segment_size != 0)
      return Status::Corruption("HA master " + peer_ + " starts an empty slave at " + std::to_string(header.offset) +
                                ", not at a commit-log file start");
    return Status::Ok();
  }
  if (header.offset != expected)
    return Status::Corruption("HA master " + peer_ + " pushed offset " + std::to_string(header.offset) +
                              " but this slave's log ends at " + std::to_string(expected));
  return Status::Ok();
}

bool HaClient::Fresh() const { return log_.WroteOffset() == 0 && log_.SegmentCount() == 0 && pending_.empty(); }

// A whole frame whose start CheckFrameStart accepted.
Status HaClient::Apply(const HaFrameHeader& header, std::span<const uint8_t> body) {
  if (header.size == 0 && header.offset < log_.WroteOffset()) {
    // An mqstore master that closes on a diverged report first sends this,
    // alone, as the connection's first bytes; it counts once the
    // connection then ends (TakeFrames). Anything else that reads as one
    // is stale or garbage bytes.
    if (session_frames_ > 0) return NotADivergenceNotice(header.offset, "frames came before it");
    claimed_end_ = header.offset;
    return Status::Ok();
  }
  if (Fresh()) pending_at_ = header.offset;
  if (body.empty()) return Status::Ok();
  pending_.insert(pending_.end(), body.begin(), body.end());
  // On an error the connection is dropped and pending_ with it: only the
  // records checked before the bad one went into the log.
  MQ_RETURN_IF_ERROR(AppendWhole());
  frames_.fetch_add(1, std::memory_order_relaxed);
  master_end_.store(std::max(master_end_.load(), header.offset + header.size), std::memory_order_release);
  if (log_.WroteOffset() >= master_end_.load()) caught_up_ms_.store(NowMs(), std::memory_order_release);
  return Status::Ok();
}

// Walks pending_ from its front: blank bytes and whole records go into the
// log, one run per commit-log file; a record's head waits for its tail.
Status HaClient::AppendWhole() {
  const int64_t segment_size = log_.options().segment_size;
  RecordDecodeOptions decode;
  decode.max_record_size = log_.options().limits.max_record_size;
  size_t done = 0, run = 0;  // pending_[done, done + run) is checked and not yet appended
  int64_t run_timestamp = 0;
  auto flush_run = [&]() -> Status {
    if (run == 0) return Status::Ok();
    MQ_RETURN_IF_ERROR(log_.AppendReplica(pending_at_ + static_cast<int64_t>(done),
                                          std::span<const uint8_t>(pending_).subspan(done, run), run_timestamp));
    done += run;
    run = 0;
    if (on_append_) on_append_();
    return Status::Ok();
  };
  while (done + run < pending_.size()) {
    const size_t at = done + run;
    const int64_t offset = pending_at_ + static_cast<int64_t>(at);
    const int64_t left_in_file = segment_size - offset % segment_size;
    const auto avail = static_cast<int64_t>(pending_.size() - at);
    if (blank_left_ > 0) {  // the zeros that follow a blank record's header
      const int64_t take = std::min(blank_left_, avail);
      run += static_cast<size_t>(take);
      blank_left_ -= take;
      if (blank_left_ == 0) MQ_RETURN_IF_ERROR(flush_run());  // the file ends here
      continue;
    }
    auto record = DecodeRecord(std::span<const uint8_t>(pending_).subspan(at), decode);
    if (!record.ok() && record.error().code == DecodeErrc::kTruncated) break;  // the tail comes in a later frame
    if (!record.ok())
      return record.error().ToStatus("HA frame from " + peer_, static_cast<uint64_t>(offset));
    if (record->kind == RecordKind::kBlank) {
      if (record->total_size != left_in_file)
        return Status::Corruption("HA frame from " + peer_ + ": the blank record at " + std::to_string(offset) +
                                  " says " + std::to_string(record->total_size) + " bytes, but its file has " +
                                  std::to_string(left_in_file) + " left (another mappedFileSizeCommitLog?)");
      blank_left_ = record->total_size;
      continue;
    }
    if (record->message.physical_offset != offset)
      return Status::Corruption("HA frame from " + peer_ + ": the record at " + std::to_string(offset) +
                                " says PHYSICALOFFSET " + std::to_string(record->message.physical_offset));
    if (record->total_size > left_in_file)
      return Status::Corruption("HA frame from " + peer_ + ": the record at " + std::to_string(offset) +
                                " runs past the end of its commit-log file");
    run += static_cast<size_t>(record->total_size);
    run_timestamp = record->message.store_timestamp;
  }
  MQ_RETURN_IF_ERROR(flush_run());
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
  pending_at_ += static_cast<int64_t>(done);
  return Status::Ok();
}

Status HaClient::Diverged(int64_t master_end) {
  master_log_end_ = master_end;
  const int64_t log_end = log_.WroteOffset();
  Status st = Status::Corruption("HA master " + peer_ + "'s log ends at " + std::to_string(master_end) +
                                 " but this slave's log goes on to " + std::to_string(log_end) +
                                 (options_.cut_diverged ? ": the logs diverged (haDivergencePolicy=truncate)"
                                                        : ": the logs diverged; replication stopped (nothing was cut; "
                                                          "haDivergencePolicy=truncate would cut it)"));
  SetError(st.ToString());  // before the flag: whoever sees `diverged` sees why
  diverged_.store(true, std::memory_order_release);
  return st;
}

Status HaClient::NotADivergenceNotice(int64_t offset, const std::string& why) const {
  return Status::Corruption("HA master " + peer_ + " sent a heartbeat at " + std::to_string(offset) +
                            ", below this slave's end " + std::to_string(log_.WroteOffset()) + ", but " + why +
                            ": stale or garbage bytes, not a divergence notice (nothing was cut)");
}

ReplicationStats HaClient::Stats() const {
  ReplicationStats s;
  s.role = "slave";
  s.connected = connected_.load(std::memory_order_acquire);
  s.applied_offset = log_.WroteOffset();
  s.lag_bytes = std::max<int64_t>(0, master_end_.load(std::memory_order_acquire) - s.applied_offset);
  s.lag_millis = s.lag_bytes == 0 ? 0 : std::max<int64_t>(0, NowMs() - caught_up_ms_.load(std::memory_order_acquire));
  s.frames_applied = frames_.load(std::memory_order_relaxed);
  const uint64_t connects = connects_.load(std::memory_order_relaxed);
  s.reconnects = connects > 0 ? connects - 1 : 0;
  s.diverged = diverged();
  std::lock_guard lock(mu_);
  s.error = error_;
  return s;
}

}  // namespace mqstore
