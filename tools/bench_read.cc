// The read side of `mqstore bench` (bench_read.h): the cursor pass,
// DispatchOnce timed over a whole log, GetMessage pulls with and without a
// tag filter, and QueryMessage latency.
#include "tools/bench_read.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "format/java_string_hash.h"
#include "format/properties.h"
#include "storage/queue/get_message.h"
#include "storage/log/latency_histogram.h"
#include "storage/queue/message_filter.h"

namespace mqstore::cli::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

uint64_t Nanos(Clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

double PerSecond(uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; }

// ---------------------------------------------------------------------------
// The cursor pass

class QueueCounter {
 public:
  void Add(std::string_view topic, int32_t queue_id, uint64_t bytes) {
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) it = by_topic_.emplace(std::string(topic), std::map<int32_t, QueueCount>{}).first;
    QueueCount& q = it->second[queue_id];
    ++q.messages;
    q.bytes += bytes;
  }
  std::vector<QueueCount> List() const {
    std::vector<QueueCount> out;
    for (const auto& [topic, queues] : by_topic_)
      for (const auto& [id, q] : queues) out.push_back({topic, id, q.messages, q.bytes});
    return out;
  }

 private:
  std::map<std::string, std::map<int32_t, QueueCount>, std::less<>> by_topic_;
};

// ---------------------------------------------------------------------------
// dispatch

// DispatchOnce until nothing is left; the records it dispatched.
Result<uint64_t> DispatchAll(MessageStore& store) {
  uint64_t records = 0;
  for (int64_t lag = store.DispatchBehindBytes(); lag > 0;) {
    auto n = store.DispatchOnce(kDispatchBytesPerCall);
    if (!n.ok()) return n.error().WithContext("dispatch");
    records += *n;
    const int64_t left = store.DispatchBehindBytes();
    if (left >= lag)
      return Status::Corruption("dispatch made no progress with " + std::to_string(left) + " bytes left");
    lag = left;
  }
  return records;
}

DispatchCheck CheckDispatch(const MessageStore& store, const BenchSpec& spec, const DispatchBaseline& before,
                            uint64_t put, uint64_t dispatched) {
  const DispatchBaseline after = TakeDispatchBaseline(store, spec);
  DispatchCheck c;
  c.put = put;
  c.dispatched = dispatched;
  c.queue_units = after.queue_units - before.queue_units;
  c.index_keys = after.index_keys - before.index_keys;
  c.index_keys_expected = store.config().messageIndexEnable ? 2 * put : 0;
  c.count_ok = dispatched == put && c.queue_units == put && c.index_keys == c.index_keys_expected;
  return c;
}

// ---------------------------------------------------------------------------
// Pulls

struct PullTally {
  uint64_t messages = 0;
  double seconds = 0;
  std::string error;  // a pull that did not move on
};

std::string Stuck(const GetMessageRequest& request, const GetMessageResult& got) {
  return "GetMessage " + std::string(request.topic) + "/" + std::to_string(request.queue_id) + " at offset " +
         std::to_string(request.offset) + ": " + std::string(ToString(got.status)) + ", nextBeginOffset " +
         std::to_string(got.next_begin_offset);
}

// One queue from offset 0 up to the max offset it had when the pull began;
// `visit` sees every result.
template <typename Visit>
void PullQueue(const MessageStore& store, GetMessageRequest request, GetMessageResult& got, PullTally& t,
               Visit&& visit) {
  const int64_t max = store.GetMaxOffsetInQueue(request.topic, request.queue_id);
  for (request.offset = 0; request.offset < max; request.offset = got.next_begin_offset) {
    store.GetMessage(request, got);
    t.messages += got.messages.size();
    visit(got);
    if (got.next_begin_offset <= request.offset) {
      if (t.error.empty()) t.error = Stuck(request, got);
      return;
    }
  }
}

// Every queue, one after the other, on this thread with one reused result.
template <typename Visit>
PullTally PullAll(const MessageStore& store, const std::vector<QueueCount>& queues, const MessageFilter* filter,
                  bool use_tag_bitmap, Visit&& visit) {
  GetMessageRequest request;
  request.group = "mqstore-bench";
  request.max_msg_nums = kPullBatch;
  request.filter = filter;
  request.use_tag_bitmap = use_tag_bitmap;
  GetMessageResult got;
  PullTally t;
  const auto start = Clock::now();
  for (size_t i = 0; i < queues.size(); ++i) {
    request.topic = queues[i].topic;
    request.queue_id = queues[i].queue_id;
    PullQueue(store, request, got, t, [&](const GetMessageResult& g) { visit(i, g); });
  }
  t.seconds = Seconds(Clock::now() - start);
  return t;
}

PullTally PullAll(const MessageStore& store, const std::vector<QueueCount>& queues, const MessageFilter* filter,
                  bool use_tag_bitmap) {
  return PullAll(store, queues, filter, use_tag_bitmap, [](size_t, const GetMessageResult&) {});
}

// A stored message picked for queryMessage: its queue (an index into the
// ReadCheck's queues) and commit-log offset.
struct Sample {
  size_t queue = 0;
  int64_t phy_offset = 0;
};

// What the first unfiltered pass also does: counts kRareTag and picks
// every `every`-th message for queryMessage.
class FirstPassVisitor {
 public:
  explicit FirstPassVisitor(uint64_t stored)
      : every_(std::max<uint64_t>(1, (stored + kMaxQuerySamples - 1) / kMaxQuerySamples)),
        rare_code_(TagsCode(kRareTag)) {}

  void operator()(size_t queue, const GetMessageResult& got) {
    for (const FoundMessage& m : got.messages) {
      if (m.tags_code == rare_code_) ++rare_;
      if (seen_++ % every_ == 0 && samples_.size() < kMaxQuerySamples) samples_.push_back({queue, m.phy_offset});
    }
  }
  uint64_t rare() const { return rare_; }
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  const uint64_t every_;
  const int64_t rare_code_;
  uint64_t seen_ = 0, rare_ = 0;
  std::vector<Sample> samples_;
};

void Problem(ReadCheck& c, const std::string& what) {
  if (c.first_problem.empty()) c.first_problem = what;
}

// Twice over everything; the second pass is reported.
std::vector<Sample> Unfiltered(const MessageStore& store, BenchResult& r) {
  ReadCheck& c = *r.read;
  FirstPassVisitor first(r.ok);
  const PullTally warm = PullAll(store, c.queues, nullptr, true, first);
  const PullTally again = PullAll(store, c.queues, nullptr, true);
  c.consumed = again.messages;
  c.rare = first.rare();
  c.consume_ok = warm.error.empty() && again.error.empty() && warm.messages == r.ok && again.messages == r.ok;
  for (const std::string& e : {warm.error, again.error})
    if (!e.empty()) Problem(c, e);
  if (warm.messages != r.ok || again.messages != r.ok)
    Problem(c, "GetMessage delivered " + std::to_string(warm.messages) + " then " + std::to_string(again.messages) +
                   " messages, the cursor read " + std::to_string(r.ok));
  r.values.push_back({kGetMessageMsgsPerS, PerSecond(again.messages, again.seconds)});
  return first.samples();
}

// kRareTag through the tag bitmaps, then by scanning units.
void Filtered(const MessageStore& store, BenchResult& r) {
  ReadCheck& c = *r.read;
  const TagFilter rare = TagFilter::Parse(kRareTag);
  const PullTally bitmap = PullAll(store, c.queues, &rare, true);
  const PullTally scan = PullAll(store, c.queues, &rare, false);
  c.filtered_bitmap = bitmap.messages;
  c.filtered_scan = scan.messages;
  c.filtered_ok = bitmap.error.empty() && scan.error.empty() && bitmap.messages == c.rare && scan.messages == c.rare;
  for (const std::string& e : {bitmap.error, scan.error})
    if (!e.empty()) Problem(c, e);
  if (!c.filtered_ok)
    Problem(c, std::string("tag ") + kRareTag + ": bitmap pulls delivered " + std::to_string(bitmap.messages) +
                   ", scanning pulls " + std::to_string(scan.messages) + ", the unfiltered pass saw " +
                   std::to_string(c.rare));
  const double by_bitmap = PerSecond(bitmap.messages, bitmap.seconds), by_scan = PerSecond(scan.messages, scan.seconds);
  r.values.push_back({kFilteredBitmapMsgsPerS, by_bitmap});
  r.values.push_back({kFilteredScanMsgsPerS, by_scan});
  if (by_bitmap > 0 && by_scan > 0) r.values.push_back({kBitmapSpeedup, by_bitmap / by_scan});
}

// ---------------------------------------------------------------------------
// Queries

struct QueryKey {
  std::string_view topic;
  std::string key;
  int64_t phy_offset = 0;
};

// The UNIQ_KEY of each sample (a record without one is skipped).
std::vector<QueryKey> SampleKeys(const MessageStore& store, const std::vector<Sample>& samples, ReadCheck& c) {
  std::vector<QueryKey> keys;
  keys.reserve(samples.size());
  for (const Sample& s : samples) {
    auto view = store.LookMessageByOffset(s.phy_offset);
    if (!view.ok()) {
      ++c.query_misses;
      Problem(c, "the sampled record at " + std::to_string(s.phy_offset) + ": " + view.error().ToString());
      continue;
    }
    if (auto uniq = view->message.properties().Get(property::kUniqKey))
      keys.push_back({c.queues[s.queue].topic, std::string(*uniq), s.phy_offset});
  }
  return keys;
}

bool Returns(const QueryMessageResult& got, int64_t phy_offset) {
  return std::any_of(got.messages.begin(), got.messages.end(),
                     [&](const MessageView& v) { return v.message.physical_offset == phy_offset; });
}

void Queries(const MessageStore& store, const std::vector<Sample>& samples, BenchResult& r) {
  ReadCheck& c = *r.read;
  const std::vector<QueryKey> keys = SampleKeys(store, samples, c);
  LatencyHistogram ns;
  for (const QueryKey& k : keys) {
    const auto start = Clock::now();
    const QueryMessageResult got = store.QueryMessage(k.topic, k.key, kPullBatch, 0, INT64_MAX);
    ns.Record(Nanos(Clock::now() - start));
    ++c.queries;
    if (Returns(got, k.phy_offset)) continue;
    ++c.query_misses;
    Problem(c, "QueryMessage " + std::string(k.topic) + " " + k.key + " did not return the record at " +
                   std::to_string(k.phy_offset));
  }
  if (c.queries == 0) return;
  const LatencyHistogram::Snapshot s = ns.Take();
  r.values.push_back({kQueryP50Us, static_cast<double>(s.Percentile(0.50)) / 1e3});
  r.values.push_back({kQueryP99Us, static_cast<double>(s.Percentile(0.99)) / 1e3});
}

}  // namespace

void ReadLog(const MessageStore& store, BenchResult& r, ReadCheck& check) {
  CommitLogCursor cursor = store.NewCursor(store.GetMinPhyOffset());
  QueueCounter counter;
  const auto start = Clock::now();
  for (;;) {
    CommitLogCursor::Entry e = cursor.Next();
    if (e.kind == CommitLogCursor::Kind::kCaughtUp) break;
    if (e.kind == CommitLogCursor::Kind::kError) {
      ++check.errors;
      check.first_error = e.error.ToString();
      break;  // the cursor cannot step over a record it cannot size
    }
    counter.Add(e.message.topic, e.message.queue_id, static_cast<uint64_t>(e.size));
    ++r.ok;
    r.bytes += static_cast<uint64_t>(e.size);
  }
  r.seconds = Seconds(Clock::now() - start);
  r.messages = r.ok;
  check.queues = counter.List();
}

DispatchBaseline TakeDispatchBaseline(const MessageStore& store, const BenchSpec& spec) {
  DispatchBaseline b;
  for (int t = 0; t < spec.topics; ++t) {
    const std::string topic = BenchTopic(t);
    for (int q = 0; q < spec.queues; ++q) b.queue_units += static_cast<uint64_t>(store.GetMaxOffsetInQueue(topic, q));
  }
  b.index_keys = store.Stats().index.keys_added;
  return b;
}

Status TimeDispatch(MessageStore& store, const BenchSpec& spec, const DispatchBaseline& before, BenchResult& r) {
  // Flushed first, so the timing is the dispatcher's own and not shared
  // with the kernel writing the put phase's gigabyte back (which also makes
  // the write backend's records readable).
  MQ_RETURN_IF_ERROR(store.Flush());
  const double put_rate = r.msgs_per_sec();
  const int64_t bytes = store.DispatchBehindBytes();
  const auto start = Clock::now();
  auto records = DispatchAll(store);
  const double seconds = Seconds(Clock::now() - start);
  if (!records.ok()) return records.error();
  r.dispatch = CheckDispatch(store, spec, before, r.ok, *records);
  r.messages = r.ok = *records;
  r.bytes = static_cast<uint64_t>(bytes);
  r.seconds = seconds;
  const double rate = r.msgs_per_sec();
  r.values.push_back({kPutMsgsPerS, put_rate});
  r.values.push_back({kDispatchMsgsPerS, rate});
  r.values.push_back({kDispatchToPut, put_rate > 0 ? rate / put_rate : 0.0});
  return Status::Ok();
}

void RunConsumerPasses(const MessageStore& store, BenchResult& r) {
  const std::vector<Sample> samples = Unfiltered(store, r);
  Filtered(store, r);
  Queries(store, samples, r);
}

}  // namespace mqstore::cli::bench
