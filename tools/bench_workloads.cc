// The workloads of `mqstore bench` (bench_workloads.h): the put runs (their
// producers are bench_producers.h), the read-back, dispatch, abnormal
// recovery, and the ceilings measured around them.
#include "tools/bench_workloads.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "storage/io/file_system.h"
#include "storage/message_store.h"
#include "storage/store_layout.h"
#include "tools/bench_ceilings.h"
#include "tools/bench_producers.h"
#include "tools/bench_read.h"
#include "tools/bench_settle.h"
#include "tools/bench_timer.h"

namespace mqstore::cli::bench {
namespace {

// How the store really ran.
void FillStoreFacts(const StoreStats& stats, const StoreConfig& config, BenchResult& r) {
  r.backend = !stats.backend.empty() ? stats.backend : (config.UsesWriteBackend() ? "write" : "mmap");
  r.io_engine = stats.flush.io_engine;
  r.flush = config.flushDiskType == FlushDiskType::kSyncFlush ? "sync" : "async";
  r.group_size_avg = stats.flush.group_size_avg();
  r.syncs = stats.flush.syncs;
  uint64_t deleted = 0;
  for (uint64_t n : stats.cleanup.segments_deleted) deleted += n;
  if (deleted > 0) r.values.push_back({kSegmentsDeleted, static_cast<double>(deleted)});
  if (r.dedup) {
    r.dedup->suppressed = stats.dedup.duplicates;
    r.dedup->entries = stats.dedup.entries;
    r.dedup->evictions = stats.dedup.evictions;
  }
}

Result<std::unique_ptr<MessageStore>> OpenStore(const StoreConfig& config) {
  auto opened = MessageStore::Open(config);
  if (!opened.ok()) return opened.error().WithContext("opening the store at " + config.storePathRootDir);
  return std::move(*opened);
}

// The most bytes the commit-log directory held, sampled every 10 ms on its
// own thread (what retention's maxStoreSizeBytes bounds); only with the
// limit set, so other runs pay nothing.
class CommitLogBytesSampler {
 public:
  explicit CommitLogBytesSampler(const StoreConfig& config) {
    if (config.maxStoreSizeBytes > 0) thread_ = std::thread([this, dir = config.CommitLogDir()] { Run(dir); });
  }
  ~CommitLogBytesSampler() { Stop(); }
  // Stops sampling; the most seen (0 when not sampled).
  int64_t Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return most_;
  }

 private:
  void Run(const std::string& dir) {
    while (!stop_.load()) {
      auto files = ListSegments(FileSystem::Default(), dir);
      int64_t bytes = 0;
      if (files.ok())
        for (const SegmentFile& f : *files) bytes += static_cast<int64_t>(f.size);
      most_ = std::max(most_, bytes);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::atomic<bool> stop_{false};
  int64_t most_ = 0;  // the sampling thread's until Stop joins it
  std::thread thread_;
};

// The memory warmed before a put run (WarmMemory): what the run is about
// to fill (its records and a quarter more, plus 128 MiB) or, for a timed
// run, one segment; at most a quarter of the machine's memory.
size_t WarmUpBytes(const BenchSpec& s) {
  constexpr size_t kMiB = 1 << 20;
  const size_t per_record = static_cast<size_t>(s.msg_size) + 256;
  const size_t wanted = s.seconds > 0 ? static_cast<size_t>(s.config.mappedFileSizeCommitLog)
                                      : static_cast<size_t>(s.messages) * per_record * 5 / 4 + 128 * kMiB;
  return std::min<size_t>(wanted, QuarterOfMemory().value_or(wanted));
}

// Writes and frees as much memory as the run is about to fill, just before
// it: the first-touch MB/s. On a VM whose host takes freed guest memory
// back after a while (free page reporting), a run that starts on such
// memory pays the host's faults in its page cache's first touches: 2-3x
// slower runs, and the ceilings measured just before (which allocate and
// free a few hundred MB) left the memory an engine run then met in that
// state. Memory written and freed just before is backed again.
double WarmMemory(const BenchSpec& spec) { return TouchAndFree(WarmUpBytes(spec)); }

Result<BenchResult> RunPut(const BenchSpec& spec, std::ostream& err, const std::string& label) {
  auto store = OpenStore(spec.config);
  if (!store.ok()) return store.error();
  auto ack = OpenAckLog(spec);
  if (!ack.ok()) return ack.error();
  CommitLogBytesSampler sampler(spec.config);
  const int64_t flushed_before = (*store)->Stats().flushed_offset;
  const double warmed = WarmMemory(spec);
  auto r = RunProducers(spec, **store, ack->get(), err, label);
  if (r.ok()) r->values.push_back({kWarmUpTouchMbPerSec, warmed});
  const int64_t most_bytes = sampler.Stop();
  if (r.ok() && most_bytes > 0) r->values.push_back({kMaxCommitLogMiB, static_cast<double>(most_bytes) / (1 << 20)});
  if (r.ok() && r->seconds > 0) {
    const auto durable = static_cast<double>((*store)->Stats().flushed_offset - flushed_before);
    r->values.push_back({kDurableMbPerSec, durable / 1e6 / r->seconds});
  }
  if (r.ok()) FillStoreFacts((*store)->Stats(), spec.config, *r);
  Status st = (*store)->Shutdown();
  if (r.ok() && !st.ok()) return st.WithContext("shutdown");
  return r;
}

// Where the in-process slave keeps its store: <store>/slave, or a new
// directory in --replica-root, removed when the run ends unless kept.
class SlaveRootDir {
 public:
  SlaveRootDir(std::string path, bool remove, std::ostream& err) : path(std::move(path)), remove_(remove), err_(err) {}
  ~SlaveRootDir() {
    if (!remove_) return;
    if (Status st = FileSystem::Default().RemoveAll(path); !st.ok()) err_ << "mqstore bench: " << st.ToString() << "\n";
  }
  SlaveRootDir(const SlaveRootDir&) = delete;
  SlaveRootDir& operator=(const SlaveRootDir&) = delete;
  const std::string path;

 private:
  const bool remove_;
  std::ostream& err_;
};

Result<std::unique_ptr<SlaveRootDir>> SlaveRoot(const BenchSpec& spec, std::ostream& err) {
  if (spec.replica_root.empty())
    return std::make_unique<SlaveRootDir>(JoinPath(spec.config.storePathRootDir, "slave"), false, err);
  std::string tmpl = JoinPath(spec.replica_root, "mqstore-slave-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr)
    return Status::IOError("--replica-root: mkdtemp " + tmpl + ": " + std::strerror(errno));
  if (spec.keep_stores) err << "mqstore bench: slave store kept at " << tmpl << "\n";
  return std::make_unique<SlaveRootDir>(tmpl, !spec.keep_stores, err);
}

// Opens a store from a thread running at `nice`: the threads the store
// starts inherit it (Linux keeps a nice value per thread), the caller's
// own priority is untouched.
Result<std::unique_ptr<MessageStore>> OpenStoreAtNice(const StoreConfig& config, int nice) {
  Result<std::unique_ptr<MessageStore>> opened = Status::IOError("the slave store was not opened");
  std::thread opener([&] {
    if (nice != 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice) != 0) {
      opened = Status::IOError(std::string("setpriority(nice ") + std::to_string(nice) + "): " + std::strerror(errno));
      return;
    }
    opened = OpenStore(config);
  });
  opener.join();
  return opened;
}

// The threads of this process running at `nice` (/proc/self/task/*/stat,
// the 19th field), -1 if unreadable: what shows that the slave's threads
// took the priority they were opened at.
int ThreadsAtNice(int nice) {
  constexpr size_t kNiceField = 19 - 3;  // ThreadStat::fields starts at field 3
  const auto threads = ReadThreadStats();
  if (!threads) return -1;
  const std::string wanted = std::to_string(nice);
  return static_cast<int>(std::count_if(threads->begin(), threads->end(), [&](const ThreadStat& t) {
    return t.fields.size() > kNiceField && t.fields[kNiceField] == wanted;
  }));
}

// put-sync --replica: the workload first without a replica, then with
// brokerRole=SYNC_MASTER and a slave store over loopback, each in its own
// directory under the run's root; every put waits for its group commit and
// for the slave's ack. The unreplicated store is settled (bench_settle.h)
// before the replicated run: its shutdown leaves prefaulted pages dirty,
// whose writeback would otherwise run beside the replicated run's fdatasyncs.
Result<BenchResult> RunPutReplicated(const BenchSpec& spec, std::ostream& err) {
  const std::string root = spec.config.storePathRootDir;
  BenchSpec plain = spec;
  plain.config.storePathRootDir = JoinPath(root, "unreplicated");
  auto base = RunPut(plain, err, "put-sync unreplicated");
  if (!base.ok()) return base.error();
  MQ_RETURN_IF_ERROR(SettleStore(plain.config.storePathRootDir));

  BenchSpec master_spec = spec;
  master_spec.config.storePathRootDir = JoinPath(root, "master");
  master_spec.config.brokerRole = BrokerRole::kSyncMaster;
  master_spec.config.haListenPort = 0;
  auto master = OpenStore(master_spec.config);
  if (!master.ok()) return master.error();
  StoreConfig slave_config = spec.config;
  auto slave_root = SlaveRoot(spec, err);
  if (!slave_root.ok()) return slave_root.error();
  slave_config.storePathRootDir = (*slave_root)->path;
  slave_config.brokerRole = BrokerRole::kSlave;
  slave_config.haMasterAddress = "127.0.0.1:" + std::to_string((*master)->ha_port());
  auto slave = OpenStoreAtNice(slave_config, spec.replica_nice);
  if (!slave.ok()) return slave.error();
  const int threads_at_nice = ThreadsAtNice(spec.replica_nice);
  for (int i = 0; i < 1000 && (*master)->Stats().replication.slaves == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if ((*master)->Stats().replication.slaves == 0) return Status::IOError("the in-process slave did not connect in 10 s");
  auto ack = OpenAckLog(master_spec);
  if (!ack.ok()) return ack.error();
  std::atomic<bool> stop{false};
  int64_t lag_max = 0;
  std::thread lag([&] {
    while (!stop.load()) {
      lag_max = std::max(lag_max, (*master)->Stats().replication.lag_bytes);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  const double warmed = WarmMemory(master_spec);
  auto r = RunProducers(master_spec, **master, ack->get(), err, "put-sync replicated");
  if (r.ok()) r->values.push_back({kWarmUpTouchMbPerSec, warmed});
  stop = true;
  lag.join();
  if (r.ok()) {
    FillStoreFacts((*master)->Stats(), master_spec.config, *r);
    const double base_rate = base->msgs_per_sec();
    const auto base_p99 = static_cast<double>(base->latency_us.Percentile(0.99));
    r->values.push_back({kUnreplicatedMsgsPerS, base_rate});
    if (base_rate > 0) r->values.push_back({kRatioToUnreplicated, r->msgs_per_sec() / base_rate});
    r->values.push_back({kUnreplicatedP99Us, base_p99});
    if (base_p99 > 0)
      r->values.push_back({kP99ToUnreplicatedP99, static_cast<double>(r->latency_us.Percentile(0.99)) / base_p99});
    r->values.push_back({kReplicationLagMaxBytes, static_cast<double>(lag_max)});
    r->values.push_back({kReplicaNice, static_cast<double>(spec.replica_nice)});
    r->values.push_back({kReplicaThreadsAtNice, static_cast<double>(threads_at_nice)});
  }
  Status st = (*master)->Shutdown();
  if (st.ok()) st = (*slave)->Shutdown();
  if (r.ok() && !st.ok()) return st.WithContext("shutdown");
  return r;
}

// ---------------------------------------------------------------------------
// put --dedup: the same puts with duplicate suppression off and on, as four
// runs of half the messages (or half the seconds) each, in the order off,
// on, on, off after a warm-up, each in a store of its own, and each store
// settled (bench_settle.h) before the next run starts. A drift over the whole (the
// machine's load, its memory warming or cooling) weighs on both modes
// alike, and no run pays for the writeback or the page cache of the run
// before it. Each mode's two runs are pooled: the result is the dedup-on
// runs', with the dedup-off rate and on / off among its values, and the
// duplicates counted against the repeats the producers sent.

struct DedupRun {
  bool on;
  bool second;  // the mode's second run: the other half of the messages
  const char* dir;
  bool counted = true;
};
// The warm-up is a dedup-off run like the first, not counted, whose store
// is settled and removed: the first counted run then starts, as every
// other does, just after a run's page cache was dropped (on a VM whose host
// takes idle memory back, a run writing into memory freed long ago ran
// slower, whatever its mode).
constexpr DedupRun kDedupOrder[] = {{false, false, "dedup-warm-up", false},
                                    {false, false, "dedup-off-1"},
                                    {true, false, "dedup-on-1"},
                                    {true, true, "dedup-on-2"},
                                    {false, true, "dedup-off-2"}};

BenchSpec DedupRunSpec(const BenchSpec& spec, const DedupRun& run) {
  BenchSpec s = spec;
  s.config.storePathRootDir = JoinPath(spec.config.storePathRootDir, run.dir);
  if (spec.seconds > 0) {
    s.seconds = spec.seconds / 2;
  } else {
    s.messages = run.second ? spec.messages - spec.messages / 2 : spec.messages / 2;
  }
  if (!run.on) {
    s.config.dedupWindowSeconds = 0;
  } else if (s.config.dedupWindowSeconds == 0) {
    s.config.dedupWindowSeconds = kBenchDedupWindowSeconds;
  }
  if (!run.on || !run.second) s.ack_log.clear();  // the acknowledged puts of the last dedup-on store only
  return s;
}

void SetValue(BenchResult& r, const char* name, double value) {
  for (NamedValue& v : r.values)
    if (v.name == name) {
      v.value = value;
      return;
    }
  r.values.push_back({name, value});
}

// Each name's cores over both runs' seconds (a name one run lacks used none there).
std::vector<CoresUsed> PoolCores(const std::vector<CoresUsed>& a, double a_secs, const std::vector<CoresUsed>& b,
                                 double b_secs) {
  if (a_secs + b_secs <= 0) return b;
  std::vector<CoresUsed> out = b;
  for (auto& c : out) c.cores *= b_secs;
  for (const auto& c : a) {
    auto it = std::find_if(out.begin(), out.end(), [&](const CoresUsed& o) { return o.name == c.name; });
    if (it == out.end()) it = out.insert(out.end(), {c.name, 0});
    it->cores += c.cores * a_secs;
  }
  for (auto& c : out) c.cores /= a_secs + b_secs;
  return out;
}

// Two runs of one mode as one: messages, successes, failures, bytes and
// seconds summed (the rate is both runs' messages over both runs'
// seconds), latencies merged, the producer CPU per put, the group size and
// the durable MB/s and the cores used taken over both, the dedup counts
// summed; any other figure is the later run's.
BenchResult Pool(const BenchResult& a, BenchResult b) {
  const auto cpu_ns = [](const BenchResult& r) {
    return r.Value(kProducerCpuNsPerPut).value_or(0) * static_cast<double>(r.messages);
  };
  const auto durable_mb = [](const BenchResult& r) { return r.Value(kDurableMbPerSec).value_or(0) * r.seconds; };
  const double cpu = cpu_ns(a) + cpu_ns(b), mb = durable_mb(a) + durable_mb(b);
  const double grouped = a.group_size_avg * static_cast<double>(a.syncs) + b.group_size_avg * static_cast<double>(b.syncs);
  b.cpu_cores = PoolCores(a.cpu_cores, a.seconds, b.cpu_cores, b.seconds);
  b.messages += a.messages;
  b.ok += a.ok;
  b.failures += a.failures;
  b.bytes += a.bytes;
  b.seconds += a.seconds;
  b.syncs += a.syncs;
  if (b.syncs > 0) b.group_size_avg = grouped / static_cast<double>(b.syncs);
  b.latency_us.Merge(a.latency_us);
  for (const auto& [status, n] : a.failures_by_status) b.failures_by_status[status] += n;
  if (!a.first_failure.empty()) b.first_failure = a.first_failure;
  if (b.messages > 0 && (a.Value(kProducerCpuNsPerPut) || b.Value(kProducerCpuNsPerPut)))
    SetValue(b, kProducerCpuNsPerPut, cpu / static_cast<double>(b.messages));
  if (b.seconds > 0 && b.Value(kDurableMbPerSec)) SetValue(b, kDurableMbPerSec, mb / b.seconds);
  if (a.dedup && b.dedup) {
    b.dedup->repeats_sent += a.dedup->repeats_sent;
    b.dedup->duplicates_answered += a.dedup->duplicates_answered;
    b.dedup->suppressed += a.dedup->suppressed;
    b.dedup->entries += a.dedup->entries;
    b.dedup->evictions += a.dedup->evictions;
  }
  return b;
}

Result<BenchResult> DedupPutWorkload(const BenchSpec& spec, std::ostream& err, const std::string& label) {
  std::optional<BenchResult> on, off, warm_up;
  std::vector<DedupRunFigures> runs;
  for (const DedupRun& run : kDedupOrder) {
    const BenchSpec s = DedupRunSpec(spec, run);
    auto r = RunPut(s, err, label + " " + run.dir);
    if (!r.ok()) return r.error();
    MQ_RETURN_IF_ERROR(SettleStore(s.config.storePathRootDir));
    if (!run.counted) {
      MQ_RETURN_IF_ERROR(FileSystem::Default().RemoveAll(s.config.storePathRootDir));
      warm_up = std::move(*r);
      continue;
    }
    runs.push_back({run.dir, r->msgs_per_sec(), r->Value(kProducerCpuNsPerPut).value_or(0),
                    r->Value(kWarmUpTouchMbPerSec).value_or(0)});
    std::optional<BenchResult>& pooled = run.on ? on : off;
    pooled = pooled ? Pool(*pooled, std::move(*r)) : std::move(*r);
  }
  BenchResult& r = *on;
  const BenchResult& without = *off;
  DedupCheck& c = *r.dedup;
  c.off_duplicates_answered = without.dedup->duplicates_answered;
  c.count_ok = c.duplicates_answered == c.repeats_sent && c.suppressed == c.repeats_sent &&
               c.off_duplicates_answered == 0;
  c.runs = std::move(runs);
  const double off_rate = without.msgs_per_sec();
  r.values.push_back({kDedupOffMsgsPerS, off_rate});
  if (off_rate > 0) r.values.push_back({kDedupOnToOff, r.msgs_per_sec() / off_rate});
  const auto off_cpu = without.Value(kProducerCpuNsPerPut);
  const auto on_cpu = r.Value(kProducerCpuNsPerPut);
  if (off_cpu) r.values.push_back({kDedupOffProducerCpuNsPerPut, *off_cpu});
  if (off_cpu && on_cpu && *on_cpu > 0) r.values.push_back({kDedupCpuOffToOn, *off_cpu / *on_cpu});
  const BenchResult& warm = *warm_up;
  for (const BenchResult* other : {&without, &warm}) {  // failures wherever they came
    r.failures += other->failures;
    for (const auto& [status, n] : other->failures_by_status) r.failures_by_status[status] += n;
    if (r.first_failure.empty()) r.first_failure = other->first_failure;
  }
  return std::move(r);
}

// ---------------------------------------------------------------------------
// read

// A store this run wrote is reopened as a broker would; one that was
// already there is only read: opened read-only, not a byte changes.
Result<BenchResult> ReadBack(const BenchSpec& spec, std::optional<uint64_t> written) {
  auto store = written ? OpenStore(spec.config) : MessageStore::OpenReadOnly(spec.config);
  if (!store.ok()) return store.error();
  BenchResult r;
  ReadCheck check;
  ReadLog(**store, r, check);
  check.written = written.value_or(0);
  check.count_ok = !written || r.ok == *written;
  r.read = std::move(check);
  RunConsumerPasses(**store, r);
  FillStoreFacts((*store)->Stats(), spec.config, r);
  MQ_RETURN_IF_ERROR((*store)->Shutdown());
  return r;
}

bool HasCommitLog(const StoreConfig& config) {
  auto segments = ListSegments(FileSystem::Default(), config.CommitLogDir());
  return segments.ok() && !segments->empty();
}

// Writes the store `read` and `recover` work on, unless there is one.
Result<std::optional<BenchResult>> WriteIfEmpty(const BenchSpec& spec, std::ostream& err) {
  if (HasCommitLog(spec.config)) return std::optional<BenchResult>();
  auto wrote = RunPut(spec, err, "write");
  if (!wrote.ok()) return wrote.error();
  return std::optional<BenchResult>(std::move(*wrote));
}

void CarryWriteFailures(const std::optional<BenchResult>& wrote, BenchResult& r) {
  if (!wrote) return;
  r.failures = wrote->failures;
  r.failures_by_status = wrote->failures_by_status;
  r.first_failure = wrote->first_failure;
}

Result<BenchResult> ReadWorkload(const BenchSpec& spec, std::ostream& err) {
  auto wrote = WriteIfEmpty(spec, err);
  if (!wrote.ok()) return wrote.error();
  auto r = ReadBack(spec, *wrote ? std::optional<uint64_t>((*wrote)->ok) : std::nullopt);
  if (r.ok()) CarryWriteFailures(*wrote, *r);
  return r;
}

// ---------------------------------------------------------------------------
// dispatch: the puts with dispatchOnOwnThread=false, then DispatchOnce timed
// over what they wrote (bench_read.h).

Result<BenchResult> DispatchWorkload(BenchSpec spec, std::ostream& err) {
  spec.config.dispatchOnOwnThread = false;
  auto store = OpenStore(spec.config);
  if (!store.ok()) return store.error();
  auto ack = OpenAckLog(spec);
  if (!ack.ok()) return ack.error();
  const DispatchBaseline before = TakeDispatchBaseline(**store, spec);
  auto r = RunProducers(spec, **store, ack->get(), err, "put");
  Status st = r.ok() ? TimeDispatch(**store, spec, before, *r) : Status::Ok();
  if (r.ok() && st.ok()) FillStoreFacts((*store)->Stats(), spec.config, *r);
  Status shutdown = (*store)->Shutdown();
  if (!r.ok()) return r;
  if (!st.ok()) return st;
  if (!shutdown.ok()) return shutdown.WithContext("shutdown");
  return r;
}

// ---------------------------------------------------------------------------
// recover

Result<BenchResult> RecoverWorkload(const BenchSpec& spec, std::ostream& err) {
  auto wrote = WriteIfEmpty(spec, err);
  if (!wrote.ok()) return wrote.error();
  const StorePaths paths{spec.config.storePathRootDir};
  // The abort file forces the abnormal path (as after a crash).
  auto abort = FileSystem::Default().OpenRandomRW(paths.AbortFile(), OpenMode::kCreateIfMissing);
  if (!abort.ok()) return abort.error();
  abort->reset();
  auto store = OpenStore(spec.config);
  if (!store.ok()) return store.error();
  const RecoveryReport& report = (*store)->recovery();
  BenchResult r;
  r.messages = r.ok = report.records_checked;
  r.bytes = report.bytes_checked;
  r.seconds = static_cast<double>(std::max<int64_t>(report.took.count(), 1)) / 1e6;
  r.recovery = report;
  CarryWriteFailures(*wrote, r);
  FillStoreFacts((*store)->Stats(), spec.config, r);
  MQ_RETURN_IF_ERROR((*store)->Shutdown());
  return r;
}

// ---------------------------------------------------------------------------
// Ceilings and ratios

bool IsPut(const BenchSpec& spec) { return spec.workload == Workload::kPut || spec.workload == Workload::kPutSync; }
bool IsSyncFlush(const BenchSpec& spec) { return spec.config.flushDiskType == FlushDiskType::kSyncFlush; }

Result<std::vector<NamedValue>> BasicCeilings(const CeilingSetup& setup, CeilingCache& cache) {
  if (auto it = cache.basic.find(setup.record_size); it != cache.basic.end()) return it->second;
  std::vector<NamedValue> out;
  for (const auto& [name, measure] : {std::pair{kMemcpyMapped, &MeasureMemcpyMapped},
                                      std::pair{kBufferedWrite, &MeasureBufferedWrite},
                                      std::pair{kFdatasyncP99, &MeasureFdatasyncP99}}) {
    auto v = measure(setup);
    if (!v.ok()) return v.error().WithContext(std::string("ceiling ") + name);
    out.push_back({name, *v});
  }
  cache.basic[setup.record_size] = out;
  return out;
}

// The ceilings that need the run: group commit at the engine's group size.
Status LaterCeilings(const BenchSpec& spec, const CeilingSetup& setup, CeilingCache& cache, BenchResult& r) {
  if (!IsPut(spec)) return Status::Ok();
  if (IsSyncFlush(spec)) {
    const auto batch = std::max<int64_t>(1, std::llround(r.group_size_avg));
    auto v = MeasureGroupCommit(setup, batch);
    if (!v.ok()) return v.error().WithContext(std::string("ceiling ") + kGroupCommit);
    r.ceilings.push_back({kGroupCommit, *v});
  }
  if (spec.inflight > 0) {
    if (!cache.raw_1mib_sync.count(setup.record_size)) {
      auto v = MeasureRaw1MiBSync(setup);
      if (!v.ok()) return v.error().WithContext(std::string("ceiling ") + kRaw1MiBSync);
      cache.raw_1mib_sync[setup.record_size] = *v;
    }
    r.ceilings.push_back({kRaw1MiBSync, cache.raw_1mib_sync[setup.record_size]});
  }
  return Status::Ok();
}

void AddRatios(const BenchSpec& spec, BenchResult& r) {
  if (!IsPut(spec)) return;
  const char* name = !IsSyncFlush(spec) ? kFreshPageMemcpy : spec.inflight > 0 ? kRaw1MiBSync : kGroupCommit;
  if (auto c = r.Ceiling(name); c && *c > 0) {
    r.ratio_ceiling = name;
    r.ratios.push_back({kRatioToCeiling, r.msgs_per_sec() / *c});
  }
  if (spec.seconds >= kSustainedSeconds)
    if (auto seq = r.Ceiling(kSeqWrite), durable = r.Value(kDurableMbPerSec); seq && durable && *seq > 0)
      r.ratios.push_back({kDurableToSeqWrite, *durable / *seq});
  if (IsSyncFlush(spec) && spec.producers == 1)
    if (auto c = r.Ceiling(kFdatasyncP99); c && *c > 0)
      r.ratios.push_back({kP99ToFdatasyncP99, static_cast<double>(r.latency_us.Percentile(0.99)) / *c});
}

// What the machine allows, measured just before and just after a put run,
// in the state the engine ran in (a VM's lazily backed memory swings an
// async put's rate several times over): each reported as <base>_before and
// <base>_after; those with a `mean` name also as their mean, the ceiling a
// ratio is taken against.
struct AroundRun {
  const char* base;
  const char* unit;
  const char* mean;  // nullptr: before and after only
  Result<double> (*measure)(const CeilingSetup&);
};
const AroundRun kAroundRun[] = {
    {"fresh_page_memcpy", "_msgs_per_sec", kFreshPageMemcpy, &MeasureFreshPageMemcpy},
    {"memcpy_mapped", "_msgs_per_sec", nullptr, &MeasureMemcpyMapped},
    {"seq_write", "_mb_per_sec", kSeqWrite, &MeasureSeqWrite},
    {"first_touch", "_mb_per_sec", nullptr, [](const CeilingSetup&) -> Result<double> { return MeasureFirstTouch(); }},
};

Result<std::vector<double>> MeasureAroundRun(const CeilingSetup& setup) {
  std::vector<double> out;
  for (const AroundRun& a : kAroundRun) {
    auto v = a.measure(setup);
    if (!v.ok()) return v.error().WithContext(std::string("ceiling ") + a.base);
    out.push_back(*v);
  }
  return out;
}

// Cold when memory was given out slowly around the run: anonymous pages
// (the first-touch rate) or the page cache's (fresh-page memcpy, in MB/s).
// Both count: on a VM returning free memory to its host, anonymous pages
// can come warm while a file's new pages come cold (bench/RESULTS.md).
std::string MemoryState(const BenchResult& r, int64_t record_bytes) {
  const double touch = std::min(*r.Ceiling(kFirstTouchBefore), *r.Ceiling(kFirstTouchAfter));
  const double fresh = std::min(*r.Ceiling(kFreshPageMemcpyBefore), *r.Ceiling(kFreshPageMemcpyAfter)) *
                       static_cast<double>(record_bytes) / 1e6;
  return std::min(touch, fresh) < kColdFirstTouchMbPerSec ? "cold" : "warm";
}

void AddAroundRun(const std::vector<double>& before, const std::vector<double>& after, int64_t record_bytes,
                  BenchResult& r) {
  for (size_t i = 0; i < std::size(kAroundRun); ++i) {
    const AroundRun& a = kAroundRun[i];
    if (a.mean) r.ceilings.push_back({a.mean, (before[i] + after[i]) / 2});
    r.ceilings.push_back({std::string(a.base) + "_before" + a.unit, before[i]});
    r.ceilings.push_back({std::string(a.base) + "_after" + a.unit, after[i]});
  }
  r.memory_state = MemoryState(r, record_bytes);
}

Result<BenchResult> RunWorkload(const BenchSpec& spec, std::ostream& err) {
  switch (spec.workload) {
    case Workload::kRead: return ReadWorkload(spec, err);
    case Workload::kRecover: return RecoverWorkload(spec, err);
    case Workload::kDispatch: return DispatchWorkload(spec, err);
    case Workload::kTimer: return TimerWorkload(spec, err);
    case Workload::kPut:
    case Workload::kPutSync: break;
  }
  if (spec.replica) return RunPutReplicated(spec, err);
  const std::string label(WorkloadName(spec.workload));
  return spec.dedup ? DedupPutWorkload(spec, err, label) : RunPut(spec, err, label);
}

}  // namespace

std::string_view WorkloadName(Workload w) {
  switch (w) {
    case Workload::kPut: return "put";
    case Workload::kPutSync: return "put-sync";
    case Workload::kRead: return "read";
    case Workload::kRecover: return "recover";
    case Workload::kDispatch: return "dispatch";
    case Workload::kTimer: return "timer";
  }
  return "?";
}

std::optional<Workload> ParseWorkload(std::string_view name) {
  for (const Workload w :
       {Workload::kPut, Workload::kPutSync, Workload::kRead, Workload::kRecover, Workload::kDispatch, Workload::kTimer})
    if (WorkloadName(w) == name) return w;
  return std::nullopt;
}

namespace {
std::optional<double> Find(const std::vector<NamedValue>& values, std::string_view name) {
  for (const NamedValue& v : values)
    if (v.name == name) return v.value;
  return std::nullopt;
}
}  // namespace

std::optional<double> BenchResult::Ceiling(std::string_view name) const { return Find(ceilings, name); }
std::optional<double> BenchResult::Ratio(std::string_view name) const { return Find(ratios, name); }
std::optional<double> BenchResult::Value(std::string_view name) const { return Find(values, name); }

std::string BenchTopic(int index) { return "BenchTopic" + std::to_string(index); }

Result<BenchResult> RunBenchPoint(const BenchSpec& spec, CeilingCache& cache, std::ostream& err) {
  MQ_RETURN_IF_ERROR(FileSystem::Default().CreateDirectories(spec.config.storePathRootDir));
  CeilingSetup setup;
  setup.dir = spec.config.storePathRootDir;
  setup.record_size = BenchRecordSize(spec.msg_size);
  setup.seconds = spec.ceiling_seconds;
  std::vector<NamedValue> ceilings;
  if (spec.ceiling_seconds > 0) {
    auto basic = BasicCeilings(setup, cache);
    if (!basic.ok()) return basic.error();
    ceilings = *basic;
  }
  const bool around = spec.ceiling_seconds > 0 && IsPut(spec);
  Result<std::vector<double>> before = around ? MeasureAroundRun(setup) : std::vector<double>{};
  if (!before.ok()) return before.error();
  auto result = RunWorkload(spec, err);
  if (!result.ok()) return result.error();
  BenchResult& r = *result;
  r.ceilings = std::move(ceilings);
  if (around) {
    // The store is synced first: the pages it left dirty (prefaulted
    // beyond its last record) are written back now rather than during the
    // ceilings, whose page faults on a new file otherwise queue behind
    // that writeback in the file system's journal (a fifth of the ceiling
    // after an 8 s run of 1 KiB puts; bench/RESULTS.md). Its pages stay
    // cached until the ceilings are measured: dropped, they would give the
    // ceilings gigabytes of memory just freed, which a VM backs at once and
    // the run never had.
    MQ_RETURN_IF_ERROR(SettleStore(spec.config.storePathRootDir, Settle::kSyncOnly));
    auto after = MeasureAroundRun(setup);
    if (!after.ok()) return after.error();
    MQ_RETURN_IF_ERROR(SettleStore(spec.config.storePathRootDir));
    AddAroundRun(*before, *after, setup.record_size, r);
  }
  if (spec.ceiling_seconds > 0) MQ_RETURN_IF_ERROR(LaterCeilings(spec, setup, cache, r));
  AddRatios(spec, r);
  r.workload = std::string(WorkloadName(spec.workload));
  r.store_dir = spec.config.storePathRootDir;
  r.producers = spec.producers;
  r.inflight = spec.inflight;
  r.msg_size = spec.msg_size;
  return result;
}

}  // namespace mqstore::cli::bench
