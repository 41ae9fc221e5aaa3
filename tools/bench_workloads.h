// The workloads of `mqstore bench` (tools/cmd_bench.cc parses the command
// line and prints; this runs one point of it):
//
//   put       N producer threads store M messages (or for S seconds) with
//             blocking Put, or PutAsync with at most `inflight` outstanding
//             per producer; latency per put from call to result/callback.
//   put-sync  the same with flushDiskType=SYNC_FLUSH (group commit).
//   read      writes a store with the put workload unless one is there,
//             reopens it and reads the whole log through a CommitLogCursor;
//             then pulls every queue with GetMessage (all, and tag "Rare"
//             through the tag bitmaps and by scanning units) and looks
//             sampled UNIQ_KEYs up with QueryMessage (bench_read.h).
//   dispatch  puts with dispatchOnOwnThread=false, then times
//             MessageStore::DispatchOnce over the whole log.
//   recover   writes a store unless one is there, leaves (or creates) the
//             abort file and opens it: abnormal recovery, timed by the engine.
//   timer     N timer messages through the timer wheel, against a binary
//             heap and an ordered set (bench_timer.h).
//
// Before the workload the ceilings (bench_ceilings.h) are measured in the
// store's directory; the group-commit ceiling, which needs the engine's
// group size, after it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mqstore/status.h"
#include "storage/log/commit_log.h"
#include "storage/log/latency_histogram.h"
#include "storage/store_config.h"
#include "tools/bench_thread_cpu.h"

namespace mqstore::cli::bench {

enum class Workload : uint8_t { kPut, kPutSync, kRead, kRecover, kDispatch, kTimer };
std::string_view WorkloadName(Workload w);
std::optional<Workload> ParseWorkload(std::string_view name);

// One run (one point of a sweep).
struct BenchSpec {
  Workload workload = Workload::kPut;
  int producers = 1;
  int64_t msg_size = 1024;       // body bytes
  int64_t messages = 100000;     // when seconds == 0
  double seconds = 0;            // > 0: produce for this long instead
  int topics = 1;                // BenchTopic0..T-1
  int queues = 8;                // queue ids 0..Q-1
  int inflight = 0;              // > 0: PutAsync, at most this many outstanding per producer
  std::string ack_log;           // "offset uniqKey" per PUT_OK; "" = none
  double ceiling_seconds = 1.0;  // budget per ceiling; 0 = measure none
  bool live_progress = false;    // redraw a progress line on the error stream
  bool replica = false;          // put-sync --replica: SYNC_MASTER with an in-process slave
  // --replica-root DIR: the slave's store in a fresh directory made in DIR
  // (a slave has a disk of its own: here another file system), removed
  // after the run unless keep_stores. "": <store>/slave, on the master's disk.
  std::string replica_root;
  // --replica-nice N: the in-process slave's threads run at this nice value
  // (0-19, default 10): a real slave has CPUs of its own, this
  // one takes what the master leaves of the machine's.
  int replica_nice = 10;
  bool keep_stores = false;      // --keep or --dir: stores outside the run's root stay too
  // --dedup (put, put-sync): duplicate suppression off and on
  // (dedupWindowSeconds, kBenchDedupWindowSeconds unless set) as four runs
  // of half the messages or seconds each, off, on, on, off (after an
  // uncounted dedup-off warm-up), in
  // <store>/dedup-off-1, dedup-on-1, dedup-on-2 and dedup-off-2, each store
  // settled (bench_settle.h) before the next run; each mode's two runs
  // pooled. The same messages in each: a share `dup_fraction` of each
  // producer's puts repeat one of its earlier messages (bench_producers.h).
  bool dedup = false;
  double dup_fraction = 0.1;
  StoreConfig config;            // storePathRootDir is the store
};

inline constexpr int32_t kBenchDedupWindowSeconds = 3600;

// Names of the ratios: msgs/s over the workload's ceiling, and for one
// producer under SYNC_FLUSH the put p99 over the fdatasync p99.
inline constexpr char kRatioToCeiling[] = "ratio_to_ceiling";
// put-sync --replica: the unreplicated run of the same workload, and the
// replicated run's rate and p99 over it; the most bytes the slave was behind.
inline constexpr char kUnreplicatedMsgsPerS[] = "unreplicated_msgs_per_s";
inline constexpr char kRatioToUnreplicated[] = "ratio_to_unreplicated";
inline constexpr char kUnreplicatedP99Us[] = "unreplicated_p99_us";
inline constexpr char kP99ToUnreplicatedP99[] = "p99_to_unreplicated_p99";
inline constexpr char kReplicationLagMaxBytes[] = "replication_lag_max_bytes";
// The slave's threads' nice value, and how many threads of the process run
// at it once the slave is open (with nice 0, the master's count too).
inline constexpr char kReplicaNice[] = "replica_nice";
inline constexpr char kReplicaThreadsAtNice[] = "replica_threads_at_nice";
inline constexpr char kP99ToFdatasyncP99[] = "p99_to_fdatasync_p99";
// A put run of at least kSustainedSeconds: the bytes made durable per
// second over the disk's sequential write ceiling (bench_ceilings.h).
inline constexpr char kDurableToSeqWrite[] = "durable_to_seq_write";
inline constexpr double kSustainedSeconds = 60;
// Put runs: bytes the flush made durable during the run, per second.
inline constexpr char kDurableMbPerSec[] = "durable_mb_per_sec";
// Put runs: just before the producers start, as much memory as the run
// will fill is written and freed (bench_workloads.cc, WarmMemory); its
// first-touch rate says how cold memory was then.
inline constexpr char kWarmUpTouchMbPerSec[] = "warm_up_touch_mb_per_sec";
// Put runs measure fresh-page memcpy, prefaulted memcpy, sequential write
// and the first-touch rate just before and just after the workload, each
// reported as <name>_before_<unit> and <name>_after_<unit>; the mean of
// fresh-page memcpy is kFreshPageMemcpy (the async ceiling), of sequential
// write kSeqWrite. Both first-touch rates and both fresh-page rates (in
// MB/s) decide memory_state.
inline constexpr char kFirstTouchBefore[] = "first_touch_before_mb_per_sec";
inline constexpr char kFirstTouchAfter[] = "first_touch_after_mb_per_sec";
inline constexpr char kFreshPageMemcpyBefore[] = "fresh_page_memcpy_before_msgs_per_sec";
inline constexpr char kFreshPageMemcpyAfter[] = "fresh_page_memcpy_after_msgs_per_sec";

// Names of the values the dispatch and read workloads report
// (BenchResult::values): rates in messages per second, ratios, and
// queryMessage latency percentiles in microseconds.
inline constexpr char kPutMsgsPerS[] = "put_msgs_per_s";
inline constexpr char kDispatchMsgsPerS[] = "dispatch_msgs_per_s";
inline constexpr char kDispatchToPut[] = "dispatch_to_put";
inline constexpr char kGetMessageMsgsPerS[] = "get_message_msgs_per_s";
inline constexpr char kFilteredBitmapMsgsPerS[] = "filtered_bitmap_msgs_per_s";
inline constexpr char kFilteredScanMsgsPerS[] = "filtered_scan_msgs_per_s";
inline constexpr char kBitmapSpeedup[] = "bitmap_speedup";
inline constexpr char kQueryP50Us[] = "query_p50_us";
// Commit-log segments cleanup deleted during the run (any reason); shown
// only when it deleted some (a run with --set maxStoreSizeBytes=...).
inline constexpr char kSegmentsDeleted[] = "segments_deleted";
// With maxStoreSizeBytes set: the most the commit-log directory held during
// the run, in MiB (sampled every 10 ms).
inline constexpr char kMaxCommitLogMiB[] = "max_commit_log_mib";
// Put latency split by whether a cleanup round was deleting when the put
// began or ended (CleanupService::deleting), and how many puts were.
inline constexpr char kPutsDuringCleanup[] = "puts_during_cleanup";
inline constexpr char kP99DuringCleanupUs[] = "p99_during_cleanup_us";
inline constexpr char kP99OutsideCleanupUs[] = "p99_outside_cleanup_us";
inline constexpr char kQueryP99Us[] = "query_p99_us";
// --dedup: the put rate of the runs with dedup off (both runs' messages
// over both runs' seconds), and on / off (the dedup-on runs' likewise).
inline constexpr char kDedupOffMsgsPerS[] = "dedup_off_msgs_per_s";
inline constexpr char kDedupOnToOff[] = "dedup_on_to_off";
// --dedup: the producer threads' CPU time per put (CLOCK_THREAD_CPUTIME_ID;
// on a shared machine a steadier measure of what a put costs than the
// rate), the dedup-off runs', and off / on (comparable with on / off rates).
inline constexpr char kProducerCpuNsPerPut[] = "producer_cpu_ns_per_put";
inline constexpr char kDedupOffProducerCpuNsPerPut[] = "dedup_off_producer_cpu_ns_per_put";
inline constexpr char kDedupCpuOffToOn[] = "dedup_cpu_off_to_on";

// TAGS of the put workload's messages: kRareTag on the first of every
// kRareEvery messages of each queue, kCommonTag on the others.
inline constexpr char kRareTag[] = "Rare";
inline constexpr char kCommonTag[] = "Common";
inline constexpr int64_t kRareEvery = 1000;

struct NamedValue {
  std::string name;
  double value = 0;
};

struct QueueCount {
  std::string topic;
  int32_t queue_id = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
};

// What `read` found.
struct ReadCheck {
  std::vector<QueueCount> queues;
  uint64_t written = 0;    // messages this run wrote first; 0 = an existing store was read
  bool count_ok = true;    // read == written (when written)
  uint64_t errors = 0;     // records that did not decode
  std::string first_error;
  // The consumer passes over the queues above (bench_read.h).
  uint64_t consumed = 0;         // messages GetMessage delivered in the reported pass
  bool consume_ok = true;        // every pass delivered as many as the cursor read
  uint64_t rare = 0;             // of them, tagged kRareTag (by tagsCode)
  uint64_t filtered_bitmap = 0;  // delivered by the kRareTag pulls through the tag bitmaps
  uint64_t filtered_scan = 0;    // and by scanning units
  bool filtered_ok = true;       // both == rare
  uint64_t queries = 0;          // QueryMessage calls
  uint64_t query_misses = 0;     // of which did not return the sampled record
  std::string first_problem;     // the first pull or query that went wrong
  bool ok() const { return count_ok && errors == 0 && consume_ok && filtered_ok && query_misses == 0; }
};

// What `dispatch` built.
struct DispatchCheck {
  uint64_t put = 0;                  // messages stored (PUT_OK)
  uint64_t dispatched = 0;           // records DispatchOnce reported
  uint64_t queue_units = 0;          // growth of the sum of the queues' max offsets
  uint64_t index_keys = 0;           // growth of Stats().index.keys_added
  uint64_t index_keys_expected = 0;  // 2 per message (UNIQ_KEY, one KEYS token); 0 without an index
  bool count_ok = true;              // dispatched == queue_units == put, index_keys == expected
};

// One of the four runs of --dedup, as it ran by itself.
struct DedupRunFigures {
  std::string store;  // its directory under the store root: dedup-off-1, ...
  double msgs_per_sec = 0;
  double producer_cpu_ns_per_put = 0;
  // The first-touch rate of the memory warmed just before the run (how
  // cold memory was then; below kColdFirstTouchMbPerSec: cold).
  double warm_up_touch_mb_per_sec = 0;
};

// What a --dedup run sent and what came back (the dedup-on runs', summed).
struct DedupCheck {
  double dup_fraction = 0;
  uint64_t repeats_sent = 0;         // puts that repeated an earlier message
  uint64_t duplicates_answered = 0;  // puts answered PutResult::duplicate
  uint64_t suppressed = 0;           // the store's Stats().dedup.duplicates
  uint64_t entries = 0;              // keys in its tables at the end of each run
  uint64_t evictions = 0;
  uint64_t off_duplicates_answered = 0;  // the dedup-off runs': must be 0
  bool count_ok = true;  // answered == suppressed == repeats_sent, and 0 with dedup off
  std::vector<DedupRunFigures> runs{};  // all four, in the order they ran
};

struct BenchResult {
  std::string workload, flush, backend, io_engine, store_dir;
  int producers = 0;
  int inflight = 0;
  int64_t msg_size = 0;
  uint64_t messages = 0;   // puts attempted / records read / records checked
  uint64_t ok = 0;         // of which succeeded
  uint64_t failures = 0;   // puts not PUT_OK
  uint64_t bytes = 0;      // record bytes stored / read / checked
  double seconds = 0;
  LatencyHistogram::Snapshot latency_us;
  double group_size_avg = 0;
  uint64_t syncs = 0;
  std::map<std::string, uint64_t> failures_by_status;
  std::string first_failure;
  std::vector<NamedValue> ceilings;
  std::string ratio_ceiling;       // the ceiling msgs/s is compared with; "" = none
  std::string memory_state;  // put runs: "warm" or "cold" (first-touch and fresh-page rates); "" = not measured
  std::vector<NamedValue> ratios;  // kRatioToCeiling, kP99ToFdatasyncP99 where they apply
  std::optional<RecoveryReport> recovery;
  std::optional<ReadCheck> read;
  std::optional<DispatchCheck> dispatch;
  std::vector<NamedValue> values;  // kDispatchToPut, kGetMessageMsgsPerS, ... where they apply
  std::optional<LatencyHistogram::Snapshot> timer_lateness_ms;  // the timer workload's
  std::optional<DedupCheck> dedup;  // --dedup
  // Put runs: the cores the process and each kind of its threads used
  // while the producers ran (bench_thread_cpu.h), and the machine's count.
  std::vector<CoresUsed> cpu_cores;
  unsigned cpus = 0;

  double msgs_per_sec() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0.0; }
  double mb_per_sec() const { return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0; }
  std::optional<double> Ceiling(std::string_view name) const;
  std::optional<double> Ratio(std::string_view name) const;
  std::optional<double> Value(std::string_view name) const;
  bool has_problems() const {
    return failures > 0 || (read && !read->ok()) || (dispatch && !dispatch->count_ok) || (dedup && !dedup->count_ok);
  }
};

// Ceilings already measured in this process, by record size: a sweep does
// not measure the same thing again for every point.
struct CeilingCache {
  std::map<int64_t, std::vector<NamedValue>> basic;
  std::map<int64_t, double> raw_1mib_sync;
};

// Runs one point on spec.config.storePathRootDir (created if missing).
// `err` gets the live progress line when spec.live_progress.
Result<BenchResult> RunBenchPoint(const BenchSpec& spec, CeilingCache& cache, std::ostream& err);

// The put workload's topic number `index`: BenchTopic<index>.
std::string BenchTopic(int index);

// Bytes of the record the put workload stores for a body of `msg_size`.
int64_t BenchRecordSize(int64_t msg_size);

}  // namespace mqstore::cli::bench
