#include "storage/log/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mqstore {

// Values below 16 get a bucket each; above, the octave (bit width) picks a
// group of 16 buckets and the next four bits below the top one pick within.
int LatencyHistogram::BucketOf(uint64_t value) {
  constexpr uint64_t kLinear = uint64_t{1} << kSubBits;
  if (value < kLinear) return static_cast<int>(value);
  const int width = std::bit_width(value);  // >= kSubBits + 1
  const int octave = std::min(width - kSubBits, kOctaves);
  if (width - kSubBits > kOctaves) return kBuckets - 1;
  const auto sub = static_cast<int>((value >> (width - kSubBits - 1)) & (kLinear - 1));
  return (octave << kSubBits) + sub;
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  constexpr int kLinear = 1 << kSubBits;
  if (bucket < kLinear) return static_cast<uint64_t>(bucket);
  const int octave = bucket >> kSubBits;
  const auto sub = static_cast<uint64_t>(bucket & (kLinear - 1));
  const int shift = octave - 1;
  // Bucket covers [(16 + sub) << shift, (17 + sub) << shift).
  return ((uint64_t{kLinear} + sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t value) {
  counts_[static_cast<size_t>(BucketOf(value))].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  uint64_t seen = max_.load(std::memory_order_relaxed);
  while (value > seen && !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

namespace {
void AddFromOwner(std::atomic<uint64_t>& a, uint64_t by) {
  a.store(a.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}
}  // namespace

void LatencyHistogram::RecordFromOwner(uint64_t value) {
  AddFromOwner(counts_[static_cast<size_t>(BucketOf(value))], 1);
  AddFromOwner(count_, 1);
  AddFromOwner(sum_, value);
  if (value > max_.load(std::memory_order_relaxed)) max_.store(value, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::Take() const {
  Snapshot s;
  for (size_t i = 0; i < counts_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.max = max_.load(std::memory_order_relaxed);
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

void LatencyHistogram::Reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::Snapshot::Percentile(double q) const {
  if (count == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count))));
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts[static_cast<size_t>(b)];
    if (seen >= rank) return std::min(BucketUpperBound(b), max);
  }
  return max;
}

void LatencyHistogram::Snapshot::Merge(const Snapshot& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  count += other.count;
  sum += other.sum;
  max = std::max(max, other.max);
}

}  // namespace mqstore
