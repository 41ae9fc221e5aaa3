// The workloads of `mqstore bench` (bench_workloads.h): producer threads
// over MessageStore, the read-back through a cursor, abnormal recovery, and
// the ceilings measured around them.
#include "tools/bench_workloads.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "format/message_record.h"
#include "format/properties.h"
#include "storage/message_store.h"
#include "storage/store_layout.h"
#include "storage/io/clock.h"
#include "tools/bench_ceilings.h"
#include "tools/bench_read.h"

namespace mqstore::cli::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kStatuses = static_cast<size_t>(PutStatus::kUnknownError) + 1;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

uint64_t Micros(Clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

void PutHex(char* out, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[i] = kHex[v & 15];
}

// 32 hex digits: run, producer, sequence (unique across runs on one store).
// Hand-formatted: snprintf would be a visible share of a put.
void FormatUniqKey(uint32_t run_id, int producer, int64_t seq, char (&out)[33]) {
  PutHex(out, run_id, 8);
  PutHex(out + 8, static_cast<uint32_t>(producer), 8);
  PutHex(out + 16, static_cast<uint64_t>(seq), 16);
  out[32] = '\0';
}

// ---------------------------------------------------------------------------
// Messages

// The messages of one producer: topic and queue round-robin by global index
// (seq * producers + producer), a shared body, properties rebuilt in place.
// The first of every kRareEvery messages of a queue is tagged kRareTag.
class MessageMaker {
 public:
  MessageMaker(const std::vector<std::string>& topics, int queues, int producers, std::span<const uint8_t> body,
               uint32_t run_id, int producer)
      : topics_(topics), queues_(queues), producers_(producers), run_id_(run_id), producer_(producer) {
    message_.body = body;
    message_.born_host = SocketAddress::V4(10, 0, 0, 1, 50000 + producer % 10000);
    message_.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
    list_ = {{property::kUniqKey, ""}, {property::kKeys, ""}, {property::kTags, ""}};
  }

  const Message& Make(int64_t seq) {
    const int64_t index = seq * producers_ + producer_;
    FormatUniqKey(run_id_, producer_, seq, uniq_);
    keys_[0] = 'k';
    const char* keys_end = std::to_chars(keys_ + 1, keys_ + sizeof keys_, index).ptr;
    list_[0].value = uniq();
    list_[1].value = std::string_view(keys_, static_cast<size_t>(keys_end - keys_));
    list_[2].value = IsRare(index) ? kRareTag : kCommonTag;
    props_.clear();
    Status st = AppendProperties(props_, list_);  // cannot fail: no separator bytes, nothing empty
    (void)st;
    const auto topics = static_cast<int64_t>(topics_.size());
    message_.topic = topics_[static_cast<size_t>(index % topics)];
    message_.queue_id = static_cast<int32_t>((index / topics) % queues_);
    message_.properties = props_;
    message_.born_timestamp = mqstore::Clock::System().WallMillis();
    return message_;
  }
  std::string_view uniq() const { return {uniq_, 32}; }

 private:
  // The message's place in its queue is index / (topics x queues).
  bool IsRare(int64_t index) const {
    return index / (static_cast<int64_t>(topics_.size()) * queues_) % kRareEvery == 0;
  }

  const std::vector<std::string>& topics_;
  const int queues_, producers_;
  const uint32_t run_id_;
  const int producer_;
  char uniq_[33] = {};
  char keys_[24] = {};
  std::vector<Property> list_;
  std::string props_;
  Message message_;
};

std::vector<std::string> TopicNames(int n) {
  std::vector<std::string> topics;
  for (int t = 0; t < n; ++t) topics.push_back(BenchTopic(t));
  return topics;
}

std::vector<uint8_t> Body(int64_t size) {
  std::vector<uint8_t> body(static_cast<size_t>(size));
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>('a' + i % 26);
  return body;
}

// ---------------------------------------------------------------------------
// --ack-log: one "offset uniqKey\n" per acknowledged put, written with
// write(2) before the producer goes on, so a SIGKILL never leaves a line
// for a put that was not acknowledged.
class AckLog {
 public:
  static Result<std::unique_ptr<AckLog>> Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError("--ack-log " + path + ": " + std::strerror(errno));
    return std::unique_ptr<AckLog>(new AckLog(fd));
  }
  ~AckLog() { ::close(fd_); }

  bool Append(int64_t offset, std::string_view uniq) {
    char line[96];
    const int n = std::snprintf(line, sizeof line, "%lld %.*s\n", static_cast<long long>(offset),
                                static_cast<int>(uniq.size()), uniq.data());
    std::lock_guard lock(mu_);
    for (int done = 0; done < n;) {
      const ssize_t w = ::write(fd_, line + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      done += static_cast<int>(w);
    }
    return true;
  }

 private:
  explicit AckLog(int fd) : fd_(fd) {}
  int fd_;
  std::mutex mu_;
};

// ---------------------------------------------------------------------------
// Producers

struct alignas(64) ProducerState {
  LatencyHistogram latency;
  LatencyHistogram during_cleanup, outside_cleanup;  // the same puts, split
  std::atomic<uint64_t> ok{0}, bytes{0};
  std::array<std::atomic<uint64_t>, kStatuses> failed{};
  Clock::time_point end;
};
using States = std::vector<std::unique_ptr<ProducerState>>;

// At most N outstanding asynchronous puts of one producer.
class Slots {
 public:
  explicit Slots(int n) : free_(n) {}
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  // Notifies under the lock: once WaitFree returns nothing touches *this.
  void Release() {
    std::lock_guard lock(mu_);
    ++free_;
    cv_.notify_all();
  }
  void WaitFree(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ == n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

// What the producers of one run share.
struct PutRun {
  PutRun(const BenchSpec& s, MessageStore& st, AckLog* a)
      : spec(s), store(st), ack(a), topics(TopicNames(s.topics)), body(Body(s.msg_size)),
        run_id(static_cast<uint32_t>(std::random_device{}())) {}
  const BenchSpec& spec;
  MessageStore& store;
  AckLog* ack;
  const std::vector<std::string> topics;
  const std::vector<uint8_t> body;
  const uint32_t run_id;
  std::atomic<bool> stop{false};
  std::atomic<bool> ack_failed{false};
  std::mutex mu;  // guards finished and first_failure
  std::condition_variable cv;
  int finished = 0;
  std::string first_failure;
};

void Account(PutRun& run, ProducerState& st, const PutResult& r, std::string_view uniq, uint64_t us,
             bool cleanup_began) {
  st.latency.Record(us);
  (cleanup_began || run.store.cleanup().deleting() ? st.during_cleanup : st.outside_cleanup).Record(us);
  if (r.ok()) {
    st.ok.fetch_add(1, std::memory_order_relaxed);
    st.bytes.fetch_add(static_cast<uint64_t>(r.wrote_bytes), std::memory_order_relaxed);
    if (run.ack != nullptr && !run.ack->Append(r.wrote_offset, uniq)) run.ack_failed = true;
    return;
  }
  st.failed[std::min(static_cast<size_t>(r.status), kStatuses - 1)].fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(run.mu);
  if (run.first_failure.empty()) run.first_failure = std::string(PutStatusName(r.status)) + ": " + r.reason;
}

int64_t Quota(const BenchSpec& spec, int producer) {
  const int64_t n = spec.producers;
  return spec.messages / n + (producer < spec.messages % n ? 1 : 0);
}

bool More(const PutRun& run, int64_t quota, int64_t seq) {
  return run.spec.seconds > 0 ? !run.stop.load(std::memory_order_relaxed) : seq < quota;
}

MessageMaker MakerFor(const PutRun& run, int producer) {
  return MessageMaker(run.topics, run.spec.queues, run.spec.producers, run.body, run.run_id, producer);
}

void ProduceBlocking(PutRun& run, int producer, ProducerState& st) {
  MessageMaker maker = MakerFor(run, producer);
  const int64_t quota = Quota(run.spec, producer);
  for (int64_t seq = 0; More(run, quota, seq); ++seq) {
    const Message& m = maker.Make(seq);
    const bool cleaning = run.store.cleanup().deleting();
    const auto t0 = Clock::now();
    const PutResult r = run.store.Put(m);
    Account(run, st, r, maker.uniq(), Micros(Clock::now() - t0), cleaning);
  }
}

void ProduceAsync(PutRun& run, int producer, ProducerState& st) {
  MessageMaker maker = MakerFor(run, producer);
  const int64_t quota = Quota(run.spec, producer);
  Slots slots(run.spec.inflight);
  for (int64_t seq = 0; More(run, quota, seq); ++seq) {
    slots.Acquire();
    const Message& m = maker.Make(seq);
    const bool cleaning = run.store.cleanup().deleting();
    const auto t0 = Clock::now();
    run.store.PutAsync(m, [&run, &st, &slots, t0, producer, seq, cleaning](PutResult r) {
      char uniq[33];
      FormatUniqKey(run.run_id, producer, seq, uniq);
      Account(run, st, r, std::string_view(uniq, 32), Micros(Clock::now() - t0), cleaning);
      slots.Release();
    });
  }
  slots.WaitFree(run.spec.inflight);
}

void Produce(PutRun& run, int producer, ProducerState& st) {
  if (run.spec.inflight > 0) {
    ProduceAsync(run, producer, st);
  } else {
    ProduceBlocking(run, producer, st);
  }
  st.end = Clock::now();
  std::lock_guard lock(run.mu);
  ++run.finished;
  run.cv.notify_all();
}

// ---------------------------------------------------------------------------
// The live progress line: messages, MB/s and the p99 of the last interval.
class ProgressLine {
 public:
  ProgressLine(std::ostream& err, bool enabled, std::string label)
      : err_(err), enabled_(enabled), label_(std::move(label)) {}
  ~ProgressLine() {
    if (drawn_) err_ << "\r\033[K" << std::flush;
  }

  void Draw(const States& states, double secs) {
    if (!enabled_ || secs <= 0) return;
    LatencyHistogram::Snapshot now;
    uint64_t bytes = 0;
    for (const auto& s : states) {
      now.Merge(s->latency.Take());
      bytes += s->bytes.load(std::memory_order_relaxed);
    }
    LatencyHistogram::Snapshot interval = now;
    for (size_t i = 0; i < interval.counts.size(); ++i) interval.counts[i] -= prev_.counts[i];
    interval.count -= prev_.count;
    prev_ = now;
    char line[200];
    std::snprintf(line, sizeof line, "\r%s: %llu msgs  %.1f MB/s  p99 %llu us\033[K", label_.c_str(),
                  static_cast<unsigned long long>(now.count), static_cast<double>(bytes) / 1e6 / secs,
                  static_cast<unsigned long long>(interval.Percentile(0.99)));
    err_ << line << std::flush;
    drawn_ = true;
  }

 private:
  std::ostream& err_;
  const bool enabled_;
  const std::string label_;
  bool drawn_ = false;
  LatencyHistogram::Snapshot prev_;
};

// Redraws the progress line about 4 times a second until every producer is
// done; in --seconds mode tells them to stop at the deadline.
void WaitForProducers(PutRun& run, const States& states, ProgressLine& line, Clock::time_point start) {
  const bool timed = run.spec.seconds > 0;
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run.spec.seconds));
  std::unique_lock lock(run.mu);
  while (run.finished < run.spec.producers) {
    auto wake = Clock::now() + std::chrono::milliseconds(250);
    if (timed && !run.stop) wake = std::min(wake, deadline);
    run.cv.wait_until(lock, wake);
    if (timed && Clock::now() >= deadline) run.stop = true;
    lock.unlock();
    line.Draw(states, Seconds(Clock::now() - start));
    lock.lock();
  }
}

void Collect(const PutRun& run, const States& states, Clock::time_point start, BenchResult& r) {
  Clock::time_point end = start;
  LatencyHistogram::Snapshot during, outside;
  for (const auto& s : states) {
    r.latency_us.Merge(s->latency.Take());
    during.Merge(s->during_cleanup.Take());
    outside.Merge(s->outside_cleanup.Take());
    r.ok += s->ok.load();
    r.bytes += s->bytes.load();
    for (size_t i = 0; i < kStatuses; ++i)
      if (const uint64_t n = s->failed[i].load(); n > 0) {
        r.failures += n;
        r.failures_by_status[std::string(PutStatusName(static_cast<PutStatus>(i)))] += n;
      }
    end = std::max(end, s->end);
  }
  r.messages = r.ok + r.failures;
  r.seconds = Seconds(end - start);
  r.first_failure = run.first_failure;
  if (during.count > 0) {
    r.values.push_back({kPutsDuringCleanup, static_cast<double>(during.count)});
    r.values.push_back({kP99DuringCleanupUs, static_cast<double>(during.Percentile(0.99))});
    r.values.push_back({kP99OutsideCleanupUs, static_cast<double>(outside.Percentile(0.99))});
  }
}

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
}

Result<std::unique_ptr<MessageStore>> OpenStore(const StoreConfig& config) {
  auto opened = MessageStore::Open(config);
  if (!opened.ok()) return opened.error().WithContext("opening the store at " + config.storePathRootDir);
  return std::move(*opened);
}

Result<BenchResult> RunProducers(const BenchSpec& spec, MessageStore& store, AckLog* ack, std::ostream& err,
                                 const std::string& label) {
  PutRun run(spec, store, ack);
  States states;
  for (int p = 0; p < spec.producers; ++p) states.push_back(std::make_unique<ProducerState>());
  ProgressLine line(err, spec.live_progress, label);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < spec.producers; ++p)
    threads.emplace_back(Produce, std::ref(run), p, std::ref(*states[static_cast<size_t>(p)]));
  WaitForProducers(run, states, line, start);
  for (auto& t : threads) t.join();
  BenchResult r;
  Collect(run, states, start, r);
  if (run.ack_failed) return Status::IOError("--ack-log " + spec.ack_log + ": a write failed");
  return r;
}

// --ack-log, or nullptr when none is asked for.
Result<std::unique_ptr<AckLog>> OpenAckLog(const BenchSpec& spec) {
  if (spec.ack_log.empty()) return std::unique_ptr<AckLog>();
  return AckLog::Open(spec.ack_log);
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

Result<BenchResult> RunPut(const BenchSpec& spec, std::ostream& err, const std::string& label) {
  auto store = OpenStore(spec.config);
  if (!store.ok()) return store.error();
  auto ack = OpenAckLog(spec);
  if (!ack.ok()) return ack.error();
  CommitLogBytesSampler sampler(spec.config);
  auto r = RunProducers(spec, **store, ack->get(), err, label);
  const int64_t most_bytes = sampler.Stop();
  if (r.ok() && most_bytes > 0) r->values.push_back({kMaxCommitLogMiB, static_cast<double>(most_bytes) / (1 << 20)});
  if (r.ok()) FillStoreFacts((*store)->Stats(), spec.config, *r);
  Status st = (*store)->Shutdown();
  if (r.ok() && !st.ok()) return st.WithContext("shutdown");
  return r;
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
  const char* name = !IsSyncFlush(spec) ? kMemcpyMapped : spec.inflight > 0 ? kRaw1MiBSync : kGroupCommit;
  if (auto c = r.Ceiling(name); c && *c > 0) {
    r.ratio_ceiling = name;
    r.ratios.push_back({kRatioToCeiling, r.msgs_per_sec() / *c});
  }
  if (IsSyncFlush(spec) && spec.producers == 1)
    if (auto c = r.Ceiling(kFdatasyncP99); c && *c > 0)
      r.ratios.push_back({kP99ToFdatasyncP99, static_cast<double>(r.latency_us.Percentile(0.99)) / *c});
}

Result<BenchResult> RunWorkload(const BenchSpec& spec, std::ostream& err) {
  switch (spec.workload) {
    case Workload::kRead: return ReadWorkload(spec, err);
    case Workload::kRecover: return RecoverWorkload(spec, err);
    case Workload::kDispatch: return DispatchWorkload(spec, err);
    case Workload::kPut:
    case Workload::kPutSync: break;
  }
  return RunPut(spec, err, std::string(WorkloadName(spec.workload)));
}

}  // namespace

std::string_view WorkloadName(Workload w) {
  switch (w) {
    case Workload::kPut: return "put";
    case Workload::kPutSync: return "put-sync";
    case Workload::kRead: return "read";
    case Workload::kRecover: return "recover";
    case Workload::kDispatch: return "dispatch";
  }
  return "?";
}

std::optional<Workload> ParseWorkload(std::string_view name) {
  for (const Workload w :
       {Workload::kPut, Workload::kPutSync, Workload::kRead, Workload::kRecover, Workload::kDispatch})
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

int64_t BenchRecordSize(int64_t msg_size) {
  const std::vector<std::string> topics = TopicNames(1);
  const std::vector<uint8_t> body = Body(msg_size);
  MessageMaker maker(topics, 1, 1, body, 0, 0);
  const Message& m = maker.Make(100001);  // a typical KEYS length, TAGS kCommonTag
  auto size = EncodedRecordSize(RecordFieldsOf(m));
  return size.ok() ? *size : msg_size;
}

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
  auto result = RunWorkload(spec, err);
  if (!result.ok()) return result.error();
  BenchResult& r = *result;
  r.ceilings = std::move(ceilings);
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
