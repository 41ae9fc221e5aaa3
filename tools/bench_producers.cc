// The producers of the put workloads (bench_producers.h): N threads, each
// making its own messages and putting them with blocking Put or PutAsync,
// their latencies in per-thread histograms, the live progress line, and the
// --ack-log of acknowledged puts.
#include "tools/bench_producers.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "format/properties.h"
#include "storage/io/clock.h"
#include "storage/store_log.h"

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
    props_.reserve(128);
  }

  // `born_ms`: the producer's wall-clock time of the put, in milliseconds.
  const Message& Make(int64_t seq, int64_t born_ms) {
    const int64_t index = seq * producers_ + producer_;
    char uniq[33];
    FormatUniqKey(run_id_, producer_, seq, uniq);
    char keys[24] = {'k'};
    const char* keys_end = std::to_chars(keys + 1, keys + sizeof keys, index).ptr;
    // UNIQ_KEY, KEYS and TAGS in the writer's form, written directly: the
    // values hold no separator bytes and none is empty, so the checks of
    // AppendProperties (a visible share of a 128-byte put) have nothing to
    // find.
    props_.clear();
    AppendProperty(property::kUniqKey, std::string_view(uniq, 32), /*first=*/true);
    AppendProperty(property::kKeys, std::string_view(keys, static_cast<size_t>(keys_end - keys)));
    AppendProperty(property::kTags, IsRare(index) ? kRareTag : kCommonTag);
    const auto topics = static_cast<int64_t>(topics_.size());
    message_.topic = topics_[static_cast<size_t>(index % topics)];
    message_.queue_id = static_cast<int32_t>((index / topics) % queues_);
    message_.properties = props_;
    message_.born_timestamp = born_ms;
    return message_;
  }
  // The UNIQ_KEY of the message Make returned last.
  std::string_view uniq() const { return std::string_view(props_).substr(property::kUniqKey.size() + 1, 32); }

 private:
  void AppendProperty(std::string_view name, std::string_view value, bool first = false) {
    if (!first) props_ += kPropertySeparator;
    props_ += name;
    props_ += kNameValueSeparator;
    props_ += value;
  }
  // The message's place in its queue is index / (topics x queues).
  bool IsRare(int64_t index) const {
    return index / (static_cast<int64_t>(topics_.size()) * queues_) % kRareEvery == 0;
  }

  const std::vector<std::string>& topics_;
  const int queues_, producers_;
  const uint32_t run_id_;
  const int producer_;
  std::string props_;
  Message message_;
};

// Wall-clock milliseconds from the producer's steady clock: one clock read
// a put gives both its born time and its latency. The two clocks drift
// apart by NTP's slew at most, parts per million of a run.
class BornClock {
 public:
  BornClock() : steady0_(Clock::now()), wall0_ms_(mqstore::Clock::System().WallMillis()) {}
  int64_t WallMillis(Clock::time_point t) const {
    return wall0_ms_ + std::chrono::duration_cast<std::chrono::milliseconds>(t - steady0_).count();
  }

 private:
  const Clock::time_point steady0_;
  const int64_t wall0_ms_;
};

std::vector<std::string> TopicNames(int n) {
  std::vector<std::string> topics;
  for (int t = 0; t < n; ++t) topics.push_back(BenchTopic(t));
  return topics;
}

// --dedup: a producer's put number `seq` repeats an earlier message of the
// same producer when floor(seq x F) steps there (repeats spread evenly, a
// share F of all puts; F in parts per million). It repeats the nearest
// original (a put that was no repeat) kRepeatDistance or more puts back:
// the same topic, queue, keys and body, as a producer's retry is. Each
// repeat has an original of its own: with repeats evenly spread, the put
// exactly kRepeatDistance back is itself a repeat whenever
// kRepeatDistance x F is whole, and following those back once sent every
// repeat to put 0 (one key, always in cache: not what retries look like).
constexpr int64_t kRepeatDistance = 1000;

bool IsRepeat(int64_t seq, int64_t ppm) {
  return ppm > 0 && seq > 0 && (seq + 1) * ppm / 1000000 > seq * ppm / 1000000;
}

int64_t OriginalOf(int64_t seq, int64_t ppm) {
  seq -= std::min(seq, kRepeatDistance);
  while (IsRepeat(seq, ppm)) --seq;  // put 0 is no repeat
  return seq;
}

std::vector<uint8_t> Body(int64_t size) {
  std::vector<uint8_t> body(static_cast<size_t>(size));
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>('a' + i % 26);
  return body;
}

}  // namespace

// ---------------------------------------------------------------------------
// --ack-log

Result<std::unique_ptr<AckLog>> AckLog::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("--ack-log " + path + ": " + std::strerror(errno));
  return std::unique_ptr<AckLog>(new AckLog(fd));
}

AckLog::~AckLog() { ::close(fd_); }

bool AckLog::Append(int64_t offset, std::string_view uniq) {
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

namespace {

// ---------------------------------------------------------------------------
// Producers

struct alignas(64) ProducerState {
  LatencyHistogram latency;
  LatencyHistogram during_cleanup, outside_cleanup;  // the same puts, split
  std::atomic<uint64_t> ok{0}, bytes{0};
  std::atomic<uint64_t> repeats{0}, duplicates{0};  // --dedup: repeats sent, answered duplicate
  int64_t cpu_ns = 0;  // the producer thread's CPU time (its puts, and their callbacks run inline)
  std::array<std::atomic<uint64_t>, kStatuses> failed{};
  Clock::time_point end;
};
using States = std::vector<std::unique_ptr<ProducerState>>;

// At most N outstanding asynchronous puts of one producer.
class Slots {
 public:
  explicit Slots(int n) : n_(n), free_(n) {}
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  // Notifies under the lock: once WaitFree returns nothing touches *this.
  // Only when a waiter can have been waiting for this very release: the
  // producer waits for one free slot, WaitFree for all of them. A group
  // commit answers a producer's puts one after another on the flush
  // thread, and a futex wake for each (microseconds on a VM) would make
  // the bench's producers, not the store, what the flush thread spends
  // its time on.
  void Release() {
    std::lock_guard lock(mu_);
    ++free_;
    if (free_ == 1 || free_ == n_) cv_.notify_all();
  }
  void WaitFree(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ == n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int n_;
  int free_;
};

// What the producers of one run share.
struct PutRun {
  PutRun(const BenchSpec& s, MessageStore& st, AckLog* a)
      : spec(s), store(st), ack(a), topics(TopicNames(s.topics)), body(Body(s.msg_size)),
        run_id(static_cast<uint32_t>(std::random_device{}())),
        dup_ppm(s.dedup ? static_cast<int64_t>(std::llround(s.dup_fraction * 1e6)) : 0) {}
  const BenchSpec& spec;
  MessageStore& store;
  AckLog* ack;
  const std::vector<std::string> topics;
  const std::vector<uint8_t> body;
  const uint32_t run_id;
  const int64_t dup_ppm;  // --dedup: the share of repeated puts, per million
  std::atomic<bool> stop{false};
  std::atomic<bool> ack_failed{false};
  std::mutex mu;  // guards finished and first_failure
  std::condition_variable cv;
  int finished = 0;
  std::string first_failure;
};

// Counts a put into its producer's state. A blocking producer accounts for
// its own puts alone (`owner`): plain stores, no locked instructions on the
// put path's every turn; PutAsync's callbacks may run on the flush thread
// and on the producer's at once.
void Add(std::atomic<uint64_t>& counter, uint64_t by, bool owner) {
  if (owner) counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  else counter.fetch_add(by, std::memory_order_relaxed);
}

void Record(LatencyHistogram& h, uint64_t us, bool owner) {
  if (owner) h.RecordFromOwner(us);
  else h.Record(us);
}

void Account(PutRun& run, ProducerState& st, const PutResult& r, std::string_view uniq, uint64_t us,
             bool cleanup_began, bool repeat, bool owner) {
  Record(st.latency, us, owner);
  Record(cleanup_began || run.store.cleanup().deleting() ? st.during_cleanup : st.outside_cleanup, us, owner);
  if (repeat) Add(st.repeats, 1, owner);
  if (r.ok()) {
    Add(st.ok, 1, owner);
    if (r.duplicate) Add(st.duplicates, 1, owner);
    else Add(st.bytes, static_cast<uint64_t>(r.wrote_bytes), owner);
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

// A blocking producer's latency runs from one answer to the next: the
// making and accounting of a put (tens of nanoseconds) count in it, so
// that one clock read a put serves as the end of one and the start of the
// next.
void ProduceBlocking(PutRun& run, int producer, ProducerState& st) {
  MessageMaker maker = MakerFor(run, producer);
  const BornClock born;
  const int64_t quota = Quota(run.spec, producer);
  auto t0 = Clock::now();
  for (int64_t seq = 0; More(run, quota, seq); ++seq) {
    const bool repeat = IsRepeat(seq, run.dup_ppm);
    const Message& m = maker.Make(repeat ? OriginalOf(seq, run.dup_ppm) : seq, born.WallMillis(t0));
    const bool cleaning = run.store.cleanup().deleting();
    const PutResult r = run.store.Put(m);
    const auto t1 = Clock::now();
    Account(run, st, r, maker.uniq(), Micros(t1 - t0), cleaning, repeat, /*owner=*/true);
    t0 = t1;
  }
}

void ProduceAsync(PutRun& run, int producer, ProducerState& st) {
  MessageMaker maker = MakerFor(run, producer);
  const BornClock born;
  const int64_t quota = Quota(run.spec, producer);
  Slots slots(run.spec.inflight);
  for (int64_t seq = 0; More(run, quota, seq); ++seq) {
    slots.Acquire();
    const bool repeat = IsRepeat(seq, run.dup_ppm);
    const int64_t key_seq = repeat ? OriginalOf(seq, run.dup_ppm) : seq;
    const bool cleaning = run.store.cleanup().deleting();
    const auto t0 = Clock::now();
    const Message& m = maker.Make(key_seq, born.WallMillis(t0));
    run.store.PutAsync(m, [&run, &st, &slots, t0, producer, key_seq, cleaning, repeat](PutResult r) {
      char uniq[33];
      FormatUniqKey(run.run_id, producer, key_seq, uniq);
      Account(run, st, r, std::string_view(uniq, 32), Micros(Clock::now() - t0), cleaning, repeat, /*owner=*/false);
      slots.Release();
    });
  }
  slots.WaitFree(run.spec.inflight);
}

// The calling thread's CPU time: what a put costs the producer, whatever
// else the machine runs (--dedup compares it between off and on).
int64_t ThreadCpuNanos() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void Produce(PutRun& run, int producer, ProducerState& st) {
  NameThisThread("bench-producer");  // its share of the machine is reported by this name
  const int64_t cpu0 = ThreadCpuNanos();
  if (run.spec.inflight > 0) {
    ProduceAsync(run, producer, st);
  } else {
    ProduceBlocking(run, producer, st);
  }
  st.end = Clock::now();
  st.cpu_ns = ThreadCpuNanos() - cpu0;
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
  int64_t cpu_ns = 0;
  if (run.spec.dedup) r.dedup = DedupCheck{.dup_fraction = run.spec.dup_fraction};
  for (const auto& s : states) {
    r.latency_us.Merge(s->latency.Take());
    during.Merge(s->during_cleanup.Take());
    outside.Merge(s->outside_cleanup.Take());
    r.ok += s->ok.load();
    r.bytes += s->bytes.load();
    if (r.dedup) {
      r.dedup->repeats_sent += s->repeats.load();
      r.dedup->duplicates_answered += s->duplicates.load();
    }
    for (size_t i = 0; i < kStatuses; ++i)
      if (const uint64_t n = s->failed[i].load(); n > 0) {
        r.failures += n;
        r.failures_by_status[std::string(PutStatusName(static_cast<PutStatus>(i)))] += n;
      }
    end = std::max(end, s->end);
    cpu_ns += s->cpu_ns;
  }
  if (r.ok + r.failures > 0)
    r.values.push_back({kProducerCpuNsPerPut, static_cast<double>(cpu_ns) / static_cast<double>(r.ok + r.failures)});
  r.messages = r.ok + r.failures;
  r.seconds = Seconds(end - start);
  r.first_failure = run.first_failure;
  if (during.count > 0) {
    r.values.push_back({kPutsDuringCleanup, static_cast<double>(during.count)});
    r.values.push_back({kP99DuringCleanupUs, static_cast<double>(during.Percentile(0.99))});
    r.values.push_back({kP99OutsideCleanupUs, static_cast<double>(outside.Percentile(0.99))});
  }
}

}  // namespace

Result<BenchResult> RunProducers(const BenchSpec& spec, MessageStore& store, AckLog* ack, std::ostream& err,
                                 const std::string& label) {
  PutRun run(spec, store, ack);
  States states;
  for (int p = 0; p < spec.producers; ++p) states.push_back(std::make_unique<ProducerState>());
  ProgressLine line(err, spec.live_progress, label);
  const ThreadCpuSample cpu_before = SampleThreadCpu();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < spec.producers; ++p)
    threads.emplace_back(Produce, std::ref(run), p, std::ref(*states[static_cast<size_t>(p)]));
  WaitForProducers(run, states, line, start);
  for (auto& t : threads) t.join();
  const ThreadCpuSample cpu_after = SampleThreadCpu();
  BenchResult r;
  Collect(run, states, start, r);
  double producers_cpu = 0;  // measured by each producer, whose thread has ended by now
  for (const auto& st : states) producers_cpu += static_cast<double>(st->cpu_ns) / 1e9;
  r.cpu_cores = CoresBetween(cpu_before, cpu_after, Seconds(Clock::now() - start), {{"bench-producer", producers_cpu}});
  r.cpus = std::thread::hardware_concurrency();
  if (run.ack_failed) return Status::IOError("--ack-log " + spec.ack_log + ": a write failed");
  return r;
}

// --ack-log, or nullptr when none is asked for.
Result<std::unique_ptr<AckLog>> OpenAckLog(const BenchSpec& spec) {
  if (spec.ack_log.empty()) return std::unique_ptr<AckLog>();
  return AckLog::Open(spec.ack_log);
}

// The record size of a typical bench message (bench_workloads.h).
int64_t BenchRecordSize(int64_t msg_size) {
  const std::vector<std::string> topics = TopicNames(1);
  const std::vector<uint8_t> body = Body(msg_size);
  MessageMaker maker(topics, 1, 1, body, 0, 0);
  const Message& m = maker.Make(100001, /*born_ms=*/0);  // a typical KEYS length, TAGS kCommonTag
  auto size = EncodedRecordSize(RecordFieldsOf(m));
  return size.ok() ? *size : msg_size;
}

}  // namespace mqstore::cli::bench
