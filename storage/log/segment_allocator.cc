#include "storage/log/segment_allocator.h"

#include <algorithm>

#include "storage/store_log.h"

namespace mqstore {
namespace {
constexpr int64_t kPrefaultStep = 4 << 20;  // one turn of the thread's loop; the lock is not held during it
}

SegmentAllocator::SegmentAllocator(FileSystem& fs, std::string dir, Options options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

SegmentAllocator::~SegmentAllocator() { Stop(); }

void SegmentAllocator::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] {
    NameThisThread("mq-allocate");
    Run();
  });
}

void SegmentAllocator::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  prepared_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t SegmentAllocator::segments_created() const {
  std::lock_guard lock(mu_);
  return created_;
}

uint64_t SegmentAllocator::bytes_faulted() const {
  std::lock_guard lock(mu_);
  return faulted_;
}

Result<std::shared_ptr<Segment>> SegmentAllocator::CreateSegment(int64_t start) {
  auto segment = Segment::Create(fs_, dir_, start, options_.segment_size, options_.writable_mapping);
  if (segment.ok() && options_.warm)
    (*segment)->mapping().Populate(0, static_cast<uint64_t>(options_.segment_size), options_.writable_mapping);
  else if (segment.ok() && options_.writable_mapping && options_.prefault_ahead > 0)
    // The writer's first window, so a roll does not start with page faults.
    (*segment)->mapping().Populate(0, static_cast<uint64_t>(options_.prefault_ahead), true);
  return segment;
}

void SegmentAllocator::Prepare(int64_t start) {
  {
    std::lock_guard lock(mu_);
    if (prepared_ && prepared_->ok() && (**prepared_)->start_offset() == start) return;
    wanted_ = start;
  }
  cv_.notify_one();
}

Result<std::shared_ptr<Segment>> SegmentAllocator::Take(int64_t start) {
  std::optional<Result<std::shared_ptr<Segment>>> ready;
  {
    std::unique_lock lock(mu_);
    // Wait for a preparation of this very file already under way.
    prepared_cv_.wait(lock, [&] { return stop_ || !preparing_ || wanted_ != start; });
    if (prepared_ && prepared_->ok() && (**prepared_)->start_offset() == start) ready = std::move(prepared_);
    prepared_.reset();
    // Made here, then: the thread, not woken yet, must not make it as well
    // (two creations of one file, the second one's work thrown away).
    if (!ready && wanted_ == start) wanted_.reset();
  }
  Result<std::shared_ptr<Segment>> segment = ready ? std::move(*ready) : CreateSegment(start);
  if (segment.ok()) {
    if (!ready) {
      std::lock_guard lock(mu_);
      ++created_;
    }
    Prepare(start + options_.segment_size);  // the roll after this one will not wait
  }
  return segment;
}

void SegmentAllocator::WriterAt(const std::shared_ptr<Segment>& segment, int64_t pos) {
  if (options_.prefault_ahead <= 0) return;
  // Fast path, no lock: re-arm only each quarter window (a wake-up is a syscall).
  if (segment->start_offset() + pos < rearm_at_.load(std::memory_order_relaxed)) return;
  {
    std::lock_guard lock(mu_);
    FollowWriter(segment, pos);
    prefault_target_ = std::min(std::max(pos + options_.prefault_ahead, burst_until_), segment->size());
    rearm_at_.store(segment->start_offset() + pos + options_.prefault_ahead / 4, std::memory_order_relaxed);
  }
  cv_.notify_one();
}

void SegmentAllocator::ExpectBurst(const std::shared_ptr<Segment>& segment, int64_t pos, int64_t bytes) {
  if (options_.prefault_ahead <= 0 || bytes <= 0) return;
  {
    std::lock_guard lock(mu_);
    FollowWriter(segment, pos);
    burst_until_ = std::min(pos + bytes + options_.prefault_ahead, segment->size());
    prefault_target_ = std::max(prefault_target_, burst_until_);
  }
  cv_.notify_one();
}

void SegmentAllocator::Synced(const std::shared_ptr<Segment>& segment, int64_t flushed) {
  {
    std::lock_guard lock(mu_);
    if (segment != prefault_segment_ || burst_until_ <= flushed || prefaulted_ <= flushed) return;
    prefaulted_ = flushed;
  }
  cv_.notify_one();
}

// Under mu_: the window follows the writer into a new segment.
void SegmentAllocator::FollowWriter(const std::shared_ptr<Segment>& segment, int64_t pos) {
  if (prefault_segment_ == segment) return;
  prefault_segment_ = segment;
  prefaulted_ = pos;
  burst_until_ = 0;
}

// In slices, each from no earlier than the writer: pages the writer has
// passed are mapped by its own stores, and a page it passed that was flushed
// and dropped (commitLogCacheMb) would be read back from disk. A window that
// fell behind the writer (a slow allocator) thus skips ahead. Each slice
// reads the writer's position and faults its pages under populate_mu_, which
// a drop holds (PausePopulating): a drop cannot land between the two.
int64_t SegmentAllocator::PopulateAheadOfWriter(Segment& segment, int64_t from, int64_t to) const {
  constexpr int64_t kSlice = 256 << 10;
  int64_t populated = 0;
  for (int64_t at = from; at < to; at += kSlice) {
    std::lock_guard pause(populate_mu_);
    at = std::max(at, segment.wrote() / 4096 * 4096);
    if (at >= to) break;
    const int64_t len = std::min(kSlice, to - at);
    segment.mapping().Populate(static_cast<uint64_t>(at), static_cast<uint64_t>(len), options_.writable_mapping);
    populated += len;
  }
  return populated;
}

bool SegmentAllocator::HasWork() const {
  return stop_ || (wanted_ && !preparing_) || (prefault_segment_ && prefaulted_ < prefault_target_);
}

void SegmentAllocator::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return HasWork(); });
    if (stop_) return;
    if (wanted_ && !(prepared_ && prepared_->ok() && (**prepared_)->start_offset() == *wanted_)) {
      const int64_t start = *wanted_;
      preparing_ = true;
      lock.unlock();
      auto segment = CreateSegment(start);
      lock.lock();
      preparing_ = false;
      if (segment.ok()) ++created_;
      prepared_ = std::move(segment);
      if (wanted_ == start) wanted_.reset();
      prepared_cv_.notify_all();
      continue;
    }
    wanted_.reset();
    if (prefault_segment_ && prefaulted_ < prefault_target_) {
      auto segment = prefault_segment_;
      const int64_t from = prefaulted_;
      const int64_t len = std::min(kPrefaultStep, prefault_target_ - from);
      lock.unlock();
      const int64_t populated = PopulateAheadOfWriter(*segment, from, from + len);
      lock.lock();
      faulted_ += static_cast<uint64_t>(populated);
      if (prefault_segment_ == segment) prefaulted_ = std::max(prefaulted_, from + len);
    }
  }
}

}  // namespace mqstore
