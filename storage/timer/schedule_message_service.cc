#include "storage/timer/schedule_message_service.h"

#include <algorithm>

#include "format/java_number.h"
#include "mqstore/schedule_message.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

constexpr std::string_view kRealTopic = "REAL_TOPIC";
constexpr std::string_view kRealQueueId = "REAL_QID";
constexpr std::string_view kTransactionHalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC";

// The first ten of a kind, then each power of two: a level stuck on a
// failing put retries ten times a second.
bool WorthLogging(uint64_t n) { return n <= 10 || (n & (n - 1)) == 0; }

// Where a delayed record goes back to: REAL_TOPIC / REAL_QID, or why not.
struct Destination {
  std::string_view topic;
  int32_t queue_id = 0;
  std::string problem;
};

Destination RealDestination(const PropertiesView& props) {
  Destination d;
  d.topic = props.Get(kRealTopic).value_or("");
  const std::string_view qid = props.Get(kRealQueueId).value_or("");
  const std::optional<int32_t> queue_id = ParseJavaInteger<int32_t>(qid);
  d.queue_id = queue_id.value_or(-1);
  if (d.topic.empty()) {
    d.problem = "no REAL_TOPIC";
  } else if (d.queue_id < 0) {
    d.problem = "REAL_QID '" + std::string(qid) + "' is not a queue id";
  } else if (d.topic == kTransactionHalfTopic) {
    d.problem = "[BUG] its real topic is RMQ_SYS_TRANS_HALF_TOPIC";  // never deliver a half message (RocketMQ #1626)
  }
  return d;
}

}  // namespace

ScheduleMessageService::ScheduleMessageService(const CommitLog& log, const ConsumeQueueStore& queues, FileSystem& fs,
                                               Clock& clock, Options options, RePut reput, MakeDurable make_durable)
    : log_(log),
      queues_(queues),
      clock_(clock),
      options_(std::move(options)),
      reput_(std::move(reput)),
      make_durable_(std::move(make_durable)),
      table_(fs, clock, options_.table_path),
      lateness_(options_.delay_level_millis.size()) {}

ScheduleMessageService::~ScheduleMessageService() { (void)Stop(); }

Status ScheduleMessageService::Load() {
  Status st = table_.Load();
  if (!st.ok()) {
    StoreLog(LogLevel::kError, "delay levels: " + st.ToString());
    std::lock_guard lock(stats_mu_);
    error_ = st.ToString();
    return st;
  }
  for (int32_t level = 1; level <= max_level(); ++level) {
    const ConsumeQueue* q = queues_.Find(kScheduleTopicName, level - 1);
    if (q != nullptr) table_.Clamp(level, q->MinOffset(), q->MaxOffset());
  }
  loaded_ = true;
  return Status::Ok();
}

bool ScheduleMessageService::active() const { return options_.master && loaded_.load(std::memory_order_acquire); }

size_t ScheduleMessageService::DeliverDue() {
  if (!active()) return 0;
  std::lock_guard round(round_mu_);
  size_t delivered = 0;
  for (int32_t level = 1; level <= max_level(); ++level) delivered += DeliverLevel(level, clock_.WallMillis());
  return delivered;
}

// The level's units from its offset on, up to the first not due yet.
size_t ScheduleMessageService::DeliverLevel(int32_t level, int64_t now) {
  const ConsumeQueue* q = queues_.Find(kScheduleTopicName, level - 1);
  if (q == nullptr) return 0;
  // Cleanup may have taken units from under the offset since the last round.
  table_.Clamp(level, q->MinOffset(), q->MaxOffset());
  const int64_t level_delay = options_.delay_level_millis[static_cast<size_t>(level - 1)];
  size_t delivered = 0;
  for (int64_t offset = table_.Get(level); offset < q->MaxOffset(); ++offset) {
    const std::optional<ConsumeQueueUnit> unit = q->GetUnit(offset);
    if (!unit) break;  // its file went with cleanup: the next round clamps
    int64_t deliver_ts = unit->tags_code;
    if (deliver_ts > now + level_delay) deliver_ts = now;  // correctDeliverTimestamp
    if (deliver_ts > now) break;
    const Outcome outcome = DeliverUnit(level, *unit);
    if (outcome == Outcome::kRetry) break;
    table_.Set(level, offset + 1);
    if (outcome == Outcome::kDelivered) {
      ++delivered;
      std::lock_guard lock(stats_mu_);
      DelayLevelProgress& p = lateness_[static_cast<size_t>(level - 1)];
      p.lateness_last_ms = std::max<int64_t>(0, now - unit->tags_code);
      p.lateness_max_ms = std::max(p.lateness_max_ms, p.lateness_last_ms);
    }
  }
  return delivered;
}

ScheduleMessageService::Outcome ScheduleMessageService::DeliverUnit(int32_t level, const ConsumeQueueUnit& unit) {
  auto where = [&] {
    return "delay level " + std::to_string(level) + ": record at " + std::to_string(unit.commit_log_offset);
  };
  auto view = log_.LookMessage(unit.commit_log_offset);
  if (!view.ok()) {
    // Gone with cleanup (or unreadable): RocketMQ skips it too.
    const uint64_t n = skipped_.fetch_add(1) + 1;
    if (WorthLogging(n)) StoreLog(LogLevel::kWarn, where() + " skipped: " + view.error().ToString());
    return Outcome::kSkipped;
  }
  const MessageRecordView& r = view->message;
  const Destination to = RealDestination(r.properties());
  if (!to.problem.empty()) {
    skipped_.fetch_add(1);
    StoreLog(LogLevel::kError, where() + " skipped: " + to.problem);
    return Outcome::kSkipped;
  }

  Message m;
  m.topic = to.topic;
  m.queue_id = to.queue_id;
  m.flag = r.flag;
  m.body = r.body;
  m.properties = r.properties_raw;  // as stored: DELAY, REAL_TOPIC, REAL_QID stay in the bytes
  m.sys_flag = r.sys_flag;
  m.born_timestamp = r.born_timestamp;
  m.born_host = r.born_host;
  m.store_host = r.store_host;
  m.reconsume_times = r.reconsume_times;
  m.flush_wait = FlushWait::kNoWait;  // waitStoreMsgOK=false
  const PutResult put = reput_(m);
  if (put.ok()) {
    delivered_.fetch_add(1, std::memory_order_relaxed);
    return Outcome::kDelivered;
  }
  const uint64_t n = put_failures_.fetch_add(1) + 1;
  if (WorthLogging(n))
    StoreLog(LogLevel::kWarn, where() + " to " + std::string(to.topic) + "/" + std::to_string(to.queue_id) + ": " +
                                  std::string(PutStatusName(put.status)) + (put.reason.empty() ? "" : " (" + put.reason + ")") +
                                  "; retried");
  return Outcome::kRetry;
}

Status ScheduleMessageService::Persist() {
  if (!active()) return Status::Ok();  // a slave's or a damaged table is never written
  if (table_.dirty() && make_durable_) {
    Status st = make_durable_();
    if (!st.ok()) return st.WithContext("delay levels: flushing the commit log before persisting " + table_.path());
  }
  return table_.Persist();
}

void ScheduleMessageService::Start() {
  if (!active()) return;
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

Status ScheduleMessageService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return Status::Ok();
    running_ = false;
  }
  cv_.notify_all();
  thread_.join();
  return Persist();
}

void ScheduleMessageService::Run() {
  NameThisThread("mq-delay");
  int64_t next_persist_ms = clock_.MonotonicMillis() + options_.persist_interval_ms;
  std::unique_lock lock(mu_);
  while (running_) {
    const int64_t deadline_ns = clock_.MonotonicNanos() + kPollIntervalMs * 1000000;
    clock_.WaitUntil(cv_, lock, deadline_ns, [this] { return !running_; });
    if (!running_) break;
    lock.unlock();
    DeliverDue();
    if (clock_.MonotonicMillis() >= next_persist_ms) {
      next_persist_ms = clock_.MonotonicMillis() + options_.persist_interval_ms;
      Status st = Persist();
      if (!st.ok()) StoreLog(LogLevel::kError, "delay levels: " + st.ToString());
    }
    lock.lock();
  }
}

DelayLevelStats ScheduleMessageService::Stats() const {
  DelayLevelStats s;
  {
    std::lock_guard lock(stats_mu_);
    s.error = error_;
    s.levels = lateness_;
  }
  {
    std::lock_guard lock(mu_);
    s.delivering = running_;
  }
  s.delivered = delivered_.load(std::memory_order_relaxed);
  s.skipped = skipped_.load(std::memory_order_relaxed);
  s.put_failures = put_failures_.load(std::memory_order_relaxed);
  for (int32_t level = 1; level <= max_level(); ++level) {
    DelayLevelProgress& p = s.levels[static_cast<size_t>(level - 1)];
    p.offset = table_.Get(level);
    const ConsumeQueue* q = queues_.Find(kScheduleTopicName, level - 1);
    p.pending = q ? std::max<int64_t>(0, q->MaxOffset() - p.offset) : 0;
  }
  return s;
}

}  // namespace mqstore
