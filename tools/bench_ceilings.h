// Ceilings for `mqstore bench`: what the machine itself does with the same
// record size on the same directory, measured in the same process through
// the file interface (storage/io/file_system.h), so that an engine number
// can be read as a fraction of what the hardware and kernel allow.
//
//   memcpy_mapped_msgs_per_sec  records memcpy'd into a freshly created,
//                               preallocated and mapped (writable) 256 MiB file,
//                               its pages faulted in before timing (as the
//                               engine's allocator does ahead of the writer)
//   fresh_page_memcpy_msgs_per_sec
//                               the same into files whose pages are touched
//                               first by the copy (the first-touch faults
//                               timed), a new file each time one is full and
//                               every one kept until the end, as a store
//                               keeps its segments: what an async put must
//                               at least pay
//   first_touch_mb_per_sec      anonymous pages written first, one byte a page:
//                               how fast this machine gives out memory now
//                               (a VM whose host backs idle memory lazily is
//                               "cold" and several times slower)
//   seq_write_mb_per_sec        write + fdatasync of 1 MiB blocks, in MB/s
//   buffered_write_mb_per_sec   pwrite of 1 MiB blocks, no sync
//   fdatasync_p99_us            p99 of one record's write + fdatasync (the whole budget, >= 200 rounds)
//   group_commit_msgs_per_sec   write + fdatasync of batches of B records
//   raw_1mib_sync_msgs_per_sec  write + fdatasync of 1 MiB blocks, counted in records
//
// Each runs for about `seconds` (bounded by the 256 MiB scratch file, which
// is preallocated like a segment and unlinked once open; fresh-page memcpy
// also by a quarter of the machine's memory in kept files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore::cli::bench {

inline constexpr char kMemcpyMapped[] = "memcpy_mapped_msgs_per_sec";
inline constexpr char kBufferedWrite[] = "buffered_write_mb_per_sec";
inline constexpr char kFdatasyncP99[] = "fdatasync_p99_us";
inline constexpr char kGroupCommit[] = "group_commit_msgs_per_sec";
inline constexpr char kRaw1MiBSync[] = "raw_1mib_sync_msgs_per_sec";
inline constexpr char kFreshPageMemcpy[] = "fresh_page_memcpy_msgs_per_sec";
inline constexpr char kFirstTouch[] = "first_touch_mb_per_sec";
inline constexpr char kSeqWrite[] = "seq_write_mb_per_sec";

// Scratch files are named this plus the process id and a number, and
// unlinked as soon as they are open.
inline constexpr char kScratchPrefix[] = ".mqstore-bench-ceiling-";

// Below this first-touch rate memory is reported "cold": this project's
// 2-core VM gives out 4-5 GB/s warm and about 0.5 GB/s cold.
inline constexpr double kColdFirstTouchMbPerSec = 1500;

struct CeilingSetup {
  FileSystem* fs = &FileSystem::Default();
  std::string dir;           // where the scratch file goes (the store's root)
  int64_t record_size = 0;   // bytes of one stored record
  double seconds = 1.0;      // time budget of each measurement
  uint64_t scratch_bytes = 256ULL << 20;  // the size of each scratch file
};

Result<double> MeasureMemcpyMapped(const CeilingSetup& setup);
Result<double> MeasureBufferedWrite(const CeilingSetup& setup);
Result<double> MeasureFdatasyncP99(const CeilingSetup& setup);
// `batch` records per write + fdatasync (at least 1).
Result<double> MeasureGroupCommit(const CeilingSetup& setup, int64_t batch);
Result<double> MeasureRaw1MiBSync(const CeilingSetup& setup);
Result<double> MeasureFreshPageMemcpy(const CeilingSetup& setup);
double MeasureFirstTouch();
// A quarter of the machine's physical memory (nullopt: unknown), the most
// a bench fills with its own files or warm-up.
std::optional<uint64_t> QuarterOfMemory();
// Writes `bytes` of fresh anonymous memory one byte a page, then frees it:
// the first-touch MB/s. The pages go back to the kernel's free lists,
// where what is allocated next finds them backed by the host (--dedup
// warms memory so before each run).
double TouchAndFree(size_t bytes);
Result<double> MeasureSeqWrite(const CeilingSetup& setup);

}  // namespace mqstore::cli::bench
