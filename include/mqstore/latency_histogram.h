// LatencyHistogram: counts of values (microseconds, by convention) in
// log-linear buckets: 16 linear sub-buckets per power of two, so a reported
// percentile is within 1/16 (6.25 %) of the true value, from 0 to 2^40.
// Record() is lock-free and may be called from any thread; readers take a
// Snapshot. RecordFromOwner() is the same for a histogram that one thread
// alone records into (readers may still take snapshots at any time): plain
// loads and stores instead of locked read-modify-writes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace mqstore {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 4;                 // 16 sub-buckets per octave
  static constexpr int kOctaves = 41;                // values up to 2^40
  static constexpr int kBuckets = (kOctaves + 1) << kSubBits;

  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};
    uint64_t count = 0;
    uint64_t max = 0;
    uint64_t sum = 0;
    // The value at quantile q (0..1): the upper bound of the bucket holding
    // it, capped at the largest value recorded. 0 when empty.
    uint64_t Percentile(double q) const;
    double Mean() const { return count == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(count); }
    void Merge(const Snapshot& other);
  };

  void Record(uint64_t value);
  void RecordFromOwner(uint64_t value);
  Snapshot Take() const;
  void Reset();

  static int BucketOf(uint64_t value);
  static uint64_t BucketUpperBound(int bucket);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> max_{0};
  std::atomic<uint64_t> sum_{0};
};

}  // namespace mqstore
