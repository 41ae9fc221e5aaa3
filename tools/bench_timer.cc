// The timer workload (bench_timer.h).
#include "tools/bench_timer.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "format/property_map.h"
#include "storage/message_store.h"

namespace mqstore::cli::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// A deterministic shuffle source (xorshift64*): the store and the in-process
// structures see the same due times in the same order.
class DueTimes {
 public:
  DueTimes(int64_t start_ms, int64_t window_ms) : start_(start_ms), window_(std::max<int64_t>(window_ms, 1)) {}
  int64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return start_ + static_cast<int64_t>((state_ * 2685821657736338717ULL) % static_cast<uint64_t>(window_));
  }

 private:
  int64_t start_, window_;
  uint64_t state_ = 0x9E3779B97F4A7C15ULL;
};

// Peak resident memory of this process so far (VmHWM), in MiB.
double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// N / 200k s, and at least two slots.
int64_t WindowMs(const BenchSpec& spec) {
  return std::max<int64_t>(2 * int64_t{spec.config.timerPrecisionMs}, spec.messages * 1000 / kTimersDuePerSecond);
}

// The wheel should hold everything by then: puts at >= 100k/s and enqueue
// at >= 500k/s on a small machine, plus half a second.
int64_t WindowStartMs(int64_t now_ms, int64_t timers) { return now_ms + 500 + timers / 100 + timers / 500; }

struct Phases {
  double put_seconds = 0, enqueue_seconds = 0, deliver_seconds = 0;
  uint64_t put_ok = 0, enqueued = 0, fired = 0;
  int64_t pending_max = 0;
  // Consumers see a re-put only once it is dispatched: how far dispatch
  // fell behind while timers fired, and how long after the last one it
  // caught up.
  int64_t dispatch_behind_max_bytes = 0;
  double dispatch_caught_up_ms = 0;
  LatencyHistogram::Snapshot lateness_ms;
};

Result<std::unique_ptr<MessageStore>> Open(const StoreConfig& config) {
  auto store = MessageStore::Open(config);
  if (!store.ok()) return store.error().WithContext("opening the store at " + config.storePathRootDir);
  return std::move(*store);
}

// Phase 1: N timer messages, due in [start, start + window).
Status PutTimers(const BenchSpec& spec, int64_t start_ms, Phases& p, BenchResult& r) {
  StoreConfig config = spec.config;
  config.timerStopEnqueue = true;
  config.timerStopDequeue = true;
  auto store = Open(config);
  if (!store.ok()) return store.error();
  DueTimes due(start_ms, WindowMs(spec));
  std::vector<uint8_t> body(static_cast<size_t>(spec.msg_size), 'x');
  const auto t0 = SteadyClock::now();
  for (int64_t i = 0; i < spec.messages; ++i) {
    PropertyMap props;
    props.Set(property::kUniqKey, "TIMER" + std::to_string(i));
    props.Set(property::kTimerDeliverMs, std::to_string(due.Next()));
    const std::string raw = *props.Serialize();
    Message m;
    m.topic = "BenchTimerTopic";
    m.queue_id = static_cast<int32_t>(i % spec.queues);
    m.body = body;
    m.properties = raw;
    const PutResult put = (*store)->Put(m);
    if (put.ok()) {
      ++p.put_ok;
    } else {
      ++r.failures;
      ++r.failures_by_status[std::string(PutStatusName(put.status))];
      if (r.first_failure.empty()) r.first_failure = put.reason;
    }
  }
  p.put_seconds = SecondsSince(t0);
  return (*store)->Shutdown();
}

// Phases 2 and 3 on the reopened store.
Status EnqueueAndDeliver(const BenchSpec& spec, int64_t start_ms, Phases& p) {
  auto store = Open(spec.config);
  if (!store.ok()) return store.error();
  const auto t0 = SteadyClock::now();
  const auto budget = std::chrono::seconds(60) + std::chrono::milliseconds(spec.messages / 50);
  while (SteadyClock::now() - t0 < budget) {
    const TimerStats t = (*store)->Stats().timer;
    p.pending_max = std::max(p.pending_max, t.pending);
    if (p.enqueue_seconds == 0 && t.enqueued >= p.put_ok) p.enqueue_seconds = SecondsSince(t0);
    if (t.fired > 0)
      p.dispatch_behind_max_bytes = std::max(p.dispatch_behind_max_bytes, (*store)->DispatchBehindBytes());
    if (t.fired >= p.put_ok) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // Stats() is not free: the store has two cores at most
  }
  const auto fired_at = SteadyClock::now();
  while ((*store)->DispatchBehindBytes() > 0 && SteadyClock::now() - fired_at < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  p.dispatch_caught_up_ms = SecondsSince(fired_at) * 1000;
  const TimerStats t = (*store)->Stats().timer;
  p.enqueued = t.enqueued;
  p.fired = t.fired;
  p.lateness_ms = t.lateness_ms;
  // From the first due time to the last delivery.
  p.deliver_seconds = static_cast<double>(std::max<int64_t>(Clock::System().WallMillis() - start_ms, 1)) / 1000.0;
  return (*store)->Shutdown();
}

}  // namespace

OrderedStructureRates MeasureOrderedStructures(int64_t n, int64_t window_ms) {
  OrderedStructureRates rates;
  {
    DueTimes due(0, window_ms);
    std::priority_queue<std::pair<int64_t, int64_t>, std::vector<std::pair<int64_t, int64_t>>, std::greater<>> heap;
    const auto t0 = SteadyClock::now();
    for (int64_t i = 0; i < n; ++i) heap.emplace(due.Next(), i);
    rates.heap_inserts_per_sec = static_cast<double>(n) / std::max(SecondsSince(t0), 1e-9);
  }
  {
    DueTimes due(0, window_ms);
    std::multimap<int64_t, int64_t> set;
    const auto t0 = SteadyClock::now();
    for (int64_t i = 0; i < n; ++i) set.emplace(due.Next(), i);
    rates.ordered_set_inserts_per_sec = static_cast<double>(n) / std::max(SecondsSince(t0), 1e-9);
  }
  return rates;
}

Result<BenchResult> TimerWorkload(const BenchSpec& spec, std::ostream& /*err*/) {
  BenchResult r;
  Phases p;
  const int64_t start_ms = WindowStartMs(Clock::System().WallMillis(), spec.messages);
  MQ_RETURN_IF_ERROR(PutTimers(spec, start_ms, p, r));
  MQ_RETURN_IF_ERROR(EnqueueAndDeliver(spec, start_ms, p));
  const double rss = PeakRssMiB();
  const OrderedStructureRates ordered = MeasureOrderedStructures(spec.messages, WindowMs(spec));
  r.messages = static_cast<uint64_t>(spec.messages);
  r.ok = p.fired;
  r.seconds = p.deliver_seconds;
  r.values.push_back({"put_timers_per_sec", static_cast<double>(p.put_ok) / std::max(p.put_seconds, 1e-9)});
  r.values.push_back({"enqueue_timers_per_sec",
                      p.enqueue_seconds > 0 ? static_cast<double>(p.enqueued) / p.enqueue_seconds : 0.0});
  r.values.push_back({"deliver_timers_per_sec", static_cast<double>(p.fired) / std::max(p.deliver_seconds, 1e-9)});
  r.values.push_back({"timerPrecisionMs", static_cast<double>(spec.config.timerPrecisionMs)});
  r.values.push_back({"heap_inserts_per_sec", ordered.heap_inserts_per_sec});
  r.values.push_back({"ordered_set_inserts_per_sec", ordered.ordered_set_inserts_per_sec});
  r.values.push_back({"pending_max", static_cast<double>(p.pending_max)});
  r.values.push_back({"rss_mb", rss});
  r.values.push_back({"dispatch_behind_max_bytes", static_cast<double>(p.dispatch_behind_max_bytes)});
  r.values.push_back({"dispatch_caught_up_ms", p.dispatch_caught_up_ms});
  r.timer_lateness_ms = p.lateness_ms;
  if (p.fired < p.put_ok) {
    r.failures += p.put_ok - p.fired;
    if (r.first_failure.empty())
      r.first_failure = std::to_string(p.put_ok - p.fired) + " timers were not delivered in time";
  }
  return r;
}

}  // namespace mqstore::cli::bench
