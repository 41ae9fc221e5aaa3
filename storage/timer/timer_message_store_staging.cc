// TimerMessageStore: firing a slot in bulk (timer_message_store.h, "Firing
// in bulk"). The slot's outgoing records are built ahead (StageOnce) or
// when it fires, then appended a chunk per hold of the commit log's put
// lock; what cannot be built takes Deliver, the one-by-one path, in its
// place in append order.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "format/properties.h"
#include "storage/store_log.h"
#include "storage/timer/fired_timer.h"
#include "storage/timer/timer_message_store.h"

namespace mqstore {
namespace {

// The staged records' bytes at most; the units past it take the one-by-one
// path. One second of 200,000 timers/s (the bench's rate) with 100-byte
// bodies is about 80 MB; a slot of bigger records or a denser second
// simply fires part of itself one by one.
constexpr size_t kMaxStagedBytes = size_t{128} << 20;
// Units StageOnce builds per call: a slot that comes due waits at most this
// many (a few ms) before the thread looks again.
constexpr size_t kStageUnitsPerStep = 2048;
// How far StageOnce looks for the next slot with timers: this many slots,
// or a second's worth when that is more.
constexpr int64_t kStageLookaheadSlots = 10;
// A staging buffer larger than this is given back once a slot used less
// than a quarter of it (after a burst).
constexpr size_t kKeepStagingBytes = size_t{16} << 20;

// TIMER_DEQUEUE_MS is written at staging and rewritten in place when the
// slot fires: both must have the same width, 13 digits (epoch ms from
// 2001-09-09 to 2286-11-20).
constexpr size_t kDequeueDigits = 13;
bool ThirteenDigits(int64_t ms) { return ms >= 1000000000000 && ms < 10000000000000; }

constexpr int32_t kCancelledTimer = -2;  // StagedTimer::record of a cancelled one

// Where TIMER_DEQUEUE_MS's value starts in a record whose fired properties
// were appended (FiredPropertiesAppend): properties come last in a record,
// and end with "<13 digits>" and the pair separator.
size_t DequeueDigitsAt(const EncodedRecords::Record& r) { return r.at + r.size - 1 - kDequeueDigits; }

}  // namespace

bool TimerMessageStore::CanStage(int64_t now_ms) const { return append_records_ && ThirteenDigits(now_ms); }

void TimerMessageStore::ResetStaging(int64_t slot_ms) {
  Staging& s = staging_;
  if (s.records.bytes.capacity() > kKeepStagingBytes && s.records.bytes.size() < s.records.bytes.capacity() / 4)
    std::vector<uint8_t>().swap(s.records.bytes);
  s.slot_ms = slot_ms;
  s.walked_to = -1;
  s.walked.clear();
  s.built = 0;
  s.timers.clear();
  s.deletes.clear();
  s.records.Clear();
}

bool TimerMessageStore::StageOnce() {
  std::lock_guard lock(mu_);
  if (options_.stop_dequeue || !options_.master || !has_files() || !overdue_.empty()) return false;
  if (!CanStage(clock_.WallMillis())) return false;
  // The first slot with units from the read time on (the thread stages
  // only when nothing is due, so that is the slot to fire next), looked for
  // a second or ten slots ahead.
  const int64_t read = curr_read_time_ms_.load(std::memory_order_relaxed);
  const int64_t p = options_.precision_ms;
  const int64_t ahead = std::max<int64_t>(kStageLookaheadSlots, 1000 / p);
  int64_t next = -1;
  for (int64_t t = read; t < read + ahead * p && next < 0; t += p) {
    const TimerWheelSlot slot = wheel_->GetSlot(t);
    if (slot.time_units != 0 && slot.last_pos >= 0) next = t;
  }
  if (next < 0) return false;
  if (staging_.slot_ms != next) ResetStaging(next);
  const size_t walked = WalkNewUnits();
  return walked + BuildStaged(kStageUnitsPerStep) > 0;
}

// The chain from the slot's newest unit back to the newest one read before
// (units are appended in order, so that is where the new ones end).
size_t TimerMessageStore::WalkNewUnits() {
  const TimerWheelSlot slot = wheel_->GetSlot(staging_.slot_ms);
  if (slot.time_units == 0 || slot.last_pos < 0 || slot.last_pos <= staging_.walked_to) return 0;
  const size_t first = staging_.walked.size();
  for (int64_t pos = slot.last_pos; pos > staging_.walked_to;) {
    if (pos < log_->MinOffset()) break;  // cleanup took the file (see Cleanup)
    auto unit = log_->ReadUnit(pos);
    if (!unit.ok()) {
      StoreLog(LogLevel::kError,
               "timer store: slot " + std::to_string(staging_.slot_ms) + ": " + unit.error().ToString());
      break;
    }
    staging_.walked.push_back(*unit);
    if (unit->prev_pos >= pos) break;  // damage: a chain only goes back
    pos = unit->prev_pos;
  }
  staging_.walked_to = slot.last_pos;
  std::reverse(staging_.walked.begin() + static_cast<ptrdiff_t>(first), staging_.walked.end());
  return staging_.walked.size() - first;
}

size_t TimerMessageStore::BuildStaged(size_t max) {
  const int64_t now = clock_.WallMillis();
  size_t n = 0;
  for (; staging_.built < staging_.walked.size() && (max == 0 || n < max); ++n)
    StageUnit(staging_.walked[staging_.built++], now);
  return n;
}

// A marker gives its key; a timer gets its outgoing record when it is a
// plain first firing whose record reads and encodes (what Deliver would
// put), and otherwise is left to Deliver.
void TimerMessageStore::StageUnit(const TimerLogUnit& unit, int64_t now_ms) {
  if (unit.deletes() && !unit.roll()) {  // a marker is never put (FireUnits)
    auto record = commit_log_.LookMessage(unit.offset_py);
    if (!record.ok()) return;
    if (auto key = record->message.properties().Get(property::kTimerDelUniqKey)) staging_.deletes.emplace(*key);
    return;
  }
  staging_.timers.push_back(StagedTimer{unit.offset_py, unit.size_py, unit.magic, unit.write_time_ms, -1, -1});
  EncodedRecords& records = staging_.records;
  if (unit.roll() || records.bytes.size() >= kMaxStagedBytes) return;
  auto record = commit_log_.LookMessage(unit.offset_py);
  if (!record.ok()) return;
  const MessageRecordView& m = record->message;
  const PropertiesView props = m.properties();
  const FiredTimerProperties f = FiredTimerProperties::Of(props);
  if (f.del_key || !FiredPropertiesAppend(props, f, /*roll=*/false)) return;
  const auto real_qid = ParseTimerLong(f.real_qid);
  if (f.real_topic.empty() || !real_qid) return;
  if (!BuildFiredProperties(props, f, unit.write_time_ms, now_ms, /*roll=*/false, reput_properties_)) return;
  const Message out = FiredMessage(m, f, /*roll=*/false, static_cast<int32_t>(*real_qid), reput_properties_);
  const size_t at = records.bytes.size();
  if (!commit_log_.EncodeTo(out, records.bytes).ok()) return;  // Deliver gets the same refusal and logs it
  records.AddRecord(at, out.topic, out.queue_id);
  // The stamp must be where DequeueDigitsAt says: checked, not assumed.
  char digits[kDequeueDigits];
  std::to_chars(digits, digits + kDequeueDigits, now_ms);
  const size_t d = DequeueDigitsAt(records.records.back());
  if (records.bytes.back() != static_cast<uint8_t>(kPropertySeparator) ||
      std::memcmp(records.bytes.data() + d, digits, kDequeueDigits) != 0) {
    records.records.pop_back();
    records.bytes.resize(at);
    return;
  }
  staging_.timers.back().record = static_cast<int32_t>(records.records.size() - 1);
  staging_.timers.back().out_ms = ParseTimerLong(f.out_ms).value_or(-1);
}

bool TimerMessageStore::FireStaged() {
  WalkNewUnits();  // enqueued into the slot since it was staged
  BuildStaged(0);
  CancelStaged();
  std::vector<StagedTimer>& timers = staging_.timers;
  for (size_t i = 0; i < timers.size();) {
    if (timers[i].record == kCancelledTimer) {
      ++i;
      continue;
    }
    if (timers[i].record < 0) {
      if (DeliverStaged(i++) == Outcome::kGaveUp) return false;
      continue;
    }
    size_t j = i + 1;
    while (j < timers.size() && timers[j].record >= 0) ++j;
    if (!AppendStagedRun(i, j)) return false;
    i = j;
  }
  ResetStaging(-1);
  return true;
}

TimerMessageStore::Outcome TimerMessageStore::DeliverStaged(size_t i) {
  const StagedTimer& t = staging_.timers[i];
  const Outcome o = Deliver(Request{t.offset_py, t.size_py, t.enqueue_time_ms, t.magic}, &staging_.deletes);
  if (o == Outcome::kGaveUp) {
    StoreLog(LogLevel::kWarn, "timer store: slot " + std::to_string(staging_.slot_ms) +
                                  " stopped before all its timers were re-put; it fires again");
    ResetStaging(-1);
  }
  return o;
}

// As Deliver: a timer whose REAL_TOPIC+UNIQ_KEY a marker of its slot names
// is counted cancelled and never put. Cancelled records leave the staged
// bytes, so the rest stay back to back.
void TimerMessageStore::CancelStaged() {
  if (staging_.deletes.empty()) return;
  std::string key;
  bool any = false;
  for (StagedTimer& t : staging_.timers) {
    if (t.record < 0) continue;
    auto record = commit_log_.LookMessage(t.offset_py);
    if (!record.ok()) continue;
    const FiredTimerProperties f = FiredTimerProperties::Of(record->message.properties());
    key.assign(f.real_topic);
    key += '+';
    key += f.uniq;
    if (staging_.deletes.count(key) == 0) continue;
    metrics_->Add(f.real_topic, -1, clock_.WallMillis());
    cancelled_.fetch_add(1, std::memory_order_relaxed);
    t.record = kCancelledTimer;
    any = true;
  }
  if (!any) return;
  std::vector<bool> keep(staging_.records.records.size(), false);
  for (const StagedTimer& t : staging_.timers)
    if (t.record >= 0) keep[static_cast<size_t>(t.record)] = true;
  staging_.records.RetainIf([&](size_t i) { return keep[i]; });
  int32_t next = 0;
  for (StagedTimer& t : staging_.timers)
    if (t.record >= 0) t.record = next++;
}

// The records of timers [first, last) (consecutive in the staged bytes), a
// chunk per hold of the put lock, each chunk's TIMER_DEQUEUE_MS the time it
// is appended. A refused chunk's first timer goes the one-by-one way (its
// retries, drop or give-up as there), then bulk again.
bool TimerMessageStore::AppendStagedRun(size_t first, size_t last) {
  EncodedRecords& records = staging_.records;
  const size_t base = static_cast<size_t>(staging_.timers[first].record);
  size_t from = base;
  const size_t to = base + (last - first);
  std::vector<uint32_t>& per_queue = staging_.topic_counts;
  while (from < to) {
    const int64_t now = clock_.WallMillis();
    char digits[kDequeueDigits];
    std::to_chars(digits, digits + kDequeueDigits, now);
    const size_t n = std::min(to - from, CommitLog::kMaxRecordsPerHold);
    for (size_t k = from; k < from + n; ++k)
      std::memcpy(records.bytes.data() + DequeueDigitsAt(records.records[k]), digits, kDequeueDigits);
    const CommitLog::AppendRecordsResult r = append_records_(records, from, n);
    const int64_t stored = clock_.WallMillis();
    per_queue.assign(records.queues.size(), 0);
    for (size_t k = from; k < from + r.appended; ++k) {
      per_queue[records.records[k].queue]++;
      const int64_t out_ms = staging_.timers[first + (k - base)].out_ms;
      if (out_ms >= 0) lateness_ms_.Record(static_cast<uint64_t>(std::max<int64_t>(0, stored - out_ms)));
    }
    for (size_t q = 0; q < per_queue.size(); ++q)
      if (per_queue[q] > 0) metrics_->Add(records.queues[q].topic, -static_cast<int64_t>(per_queue[q]), now);
    fired_.fetch_add(r.appended, std::memory_order_relaxed);
    from += r.appended;
    if (r.appended < n && (!r.put.ok() || r.appended == 0)) {
      if (DeliverStaged(first + (from - base)) == Outcome::kGaveUp) return false;
      ++from;
    }
  }
  return true;
}

}  // namespace mqstore
