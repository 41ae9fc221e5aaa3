#include "storage/dedup/duplicate_filter.h"

#include <algorithm>
#include <vector>

#include "mqstore/commit_log_cursor.h"
#include "mqstore/sys_flag.h"
#include "storage/log/put_message.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

// Records that share a topic and key without being copies of one message: a
// PREPARED record and the COMMIT or ROLLBACK that decides it (store-level
// transactions, as brokers before 4.3 wrote them, carry the producer's
// UNIQ_KEY in all three). Each kind is deduplicated on its own; a plain
// message and a COMMIT are one kind, what consumers see.
int Kind(int32_t sys_flag) {
  switch (sysflag::TransactionType(sys_flag)) {
    case sysflag::kTransactionPreparedType: return 1;
    case sysflag::kTransactionRollbackType: return 2;
    default: return 0;
  }
}

}  // namespace

// A message of a batch that carries the key property.
struct DuplicateFilter::Keyed {
  size_t index = 0;  // in the batch
  uint64_t hash = 0;
  std::string_view key;
  bool duplicate = false;
};

// A lock and the keys it guards.
struct DuplicateFilter::Shard {
  explicit Shard(DedupTable t) : table(std::move(t)) {}
  std::mutex mu;
  DedupTable table;
};

// The shards of a batch's keys, locked in ascending order (so two batches
// never wait on each other crosswise) and released together.
class DuplicateFilter::StripeLocks {
 public:
  StripeLocks(const DuplicateFilter& filter, std::span<const Keyed> keyed) {
    shards_.reserve(keyed.size());
    for (const Keyed& k : keyed) shards_.push_back(&filter.ShardOf(k.hash));
    std::sort(shards_.begin(), shards_.end());
    shards_.erase(std::unique(shards_.begin(), shards_.end()), shards_.end());
    for (Shard* s : shards_) s->mu.lock();
  }
  ~StripeLocks() {
    for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) (*it)->mu.unlock();
  }
  StripeLocks(const StripeLocks&) = delete;
  StripeLocks& operator=(const StripeLocks&) = delete;

 private:
  std::vector<Shard*> shards_;
};

DuplicateFilter::DuplicateFilter(CommitLog& log, Clock& clock, DedupOptions options)
    : log_(log), clock_(clock), options_(std::move(options)) {}

// As many shards as keys allowed, up to kMaxShards (a power of two), each
// holding an equal share: together never more than max_entries.
Result<std::unique_ptr<DuplicateFilter>> DuplicateFilter::Open(CommitLog& log, Clock& clock, DedupOptions options) {
  std::unique_ptr<DuplicateFilter> filter(new DuplicateFilter(log, clock, std::move(options)));
  const DedupOptions& o = filter->options_;
  size_t n = 1;
  while (n * 2 <= std::min(kMaxShards, o.max_entries)) n *= 2;
  for (size_t i = 0; i < n; ++i) {
    auto table = DedupTable::Create(o.window_ms, o.max_entries / n);
    if (!table.ok())
      return table.error().WithContext("the duplicate table's shard " + std::to_string(i + 1) + " of " +
                                       std::to_string(n) + " (" + std::to_string(o.max_entries / n) + " keys each)");
    filter->shards_.push_back(std::make_unique<Shard>(std::move(*table)));
  }
  return filter;
}

DuplicateFilter::~DuplicateFilter() = default;

DuplicateFilter::Shard& DuplicateFilter::ShardOf(uint64_t hash) const {
  return *shards_[hash & (shards_.size() - 1)];  // low bits; the table's slot comes from the high ones
}

std::optional<std::string_view> DuplicateFilter::KeyOf(const Message& m) const {
  return FindDedupKey(m.properties, options_.key_property);
}

uint64_t DuplicateFilter::Hash(std::string_view topic, std::string_view key, int32_t sys_flag) const {
  const uint64_t h = options_.hash != nullptr ? options_.hash(topic, key) : DedupKeyHash(topic, key);
  return h ^ static_cast<uint64_t>(Kind(sys_flag)) * 0x9E3779B97F4A7C15ull;  // a plain message's hash unchanged
}

bool DuplicateFilter::Carries(const MessageRecordView& r, std::string_view topic, std::string_view key,
                              int32_t sys_flag) const {
  return r.topic == topic && Kind(r.sys_flag) == Kind(sys_flag) && r.properties().Get(options_.key_property) == key;
}

// A record appended but not yet committed is not readable (its segment's
// committed position is before it, even when a later segment has begun):
// the ring is committed and the record read again.
Result<MessageView> DuplicateFilter::ReadRecord(int64_t offset) {
  auto view = log_.LookMessage(offset);
  if (view.ok() || offset >= log_.WroteOffset()) return view;
  MQ_RETURN_IF_ERROR(log_.Commit());
  return log_.LookMessage(offset);
}

std::optional<PutResult> DuplicateFilter::FindOriginal(uint64_t hash, const Message& m, std::string_view key) {
  const DedupTable& table = ShardOf(hash).table;
  const auto entry = table.FindAny(hash);
  if (!entry || !table.Inside(*entry, clock_.WallMillis())) return std::nullopt;
  auto view = ReadRecord(entry->offset);
  if (!view.ok()) return std::nullopt;  // gone (cleanup deleted its segment): store the message
  const MessageRecordView& first = view->message;
  if (!Carries(first, m.topic, key, m.sys_flag)) {
    false_matches_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  PutResult r;
  r.status = PutStatus::kPutOk;
  r.wrote_offset = entry->offset;
  r.wrote_bytes = first.total_size;  // a wait for durability waits for the original's end
  r.queue_offset = first.queue_offset;
  r.msg_count = 0;
  r.store_timestamp = first.store_timestamp;
  r.store_host = first.store_host;
  r.duplicate = true;
  r.duplicates = 1;
  return r;
}

PutResult DuplicateFilter::Put(std::span<const Message> batch, const AppendFn& append) {
  // A failed log refuses the put: no "duplicate" is answered for a record
  // whose sync may have failed.
  if (!log_.writeable()) return append(batch, nullptr);
  if (batch.size() == 1) {
    const auto key = KeyOf(batch.front());
    return key ? PutOne(batch.front(), *key, append) : append(batch, nullptr);
  }
  std::vector<Keyed> keyed;
  for (size_t i = 0; i < batch.size(); ++i)
    if (const auto key = KeyOf(batch[i])) keyed.push_back({i, Hash(batch[i].topic, *key, batch[i].sys_flag), *key});
  if (keyed.empty()) return append(batch, nullptr);
  return PutMany(batch, keyed, append);
}

// The lookup of a single put, asked by the append once the message is
// encoded: the table's slot, prefetched before, has had the encoding's time
// to arrive.
class DuplicateFilter::OriginalGate final : public CommitLog::PutGate {
 public:
  OriginalGate(DuplicateFilter& filter, uint64_t hash, const Message& m, std::string_view key)
      : filter_(filter), hash_(hash), m_(m), key_(key) {}
  std::optional<PutResult> BeforeAppend() override { return filter_.FindOriginal(hash_, m_, key_); }

 private:
  DuplicateFilter& filter_;
  const uint64_t hash_;
  const Message& m_;
  const std::string_view key_;
};

PutResult DuplicateFilter::PutOne(const Message& m, std::string_view key, const AppendFn& append) {
  const uint64_t hash = Hash(m.topic, key, m.sys_flag);
  Shard& shard = ShardOf(hash);
  shard.table.Prefetch(hash);
  std::lock_guard lock(shard.mu);
  OriginalGate gate(*this, hash, m, key);
  PutResult r = append({&m, 1}, &gate);
  if (r.duplicate) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    return r;
  }
  if (r.ok()) shard.table.Remember(hash, {r.wrote_offset, r.store_timestamp}, r.store_timestamp);
  return r;
}

PutResult DuplicateFilter::PutMany(std::span<const Message> batch, std::span<Keyed> keyed, const AppendFn& append) {
  StripeLocks locks(*this, keyed);
  MarkRepeatsWithinBatch(batch, keyed);
  int32_t duplicates = 0;
  std::optional<PutResult> first_original;
  for (Keyed& k : keyed) {
    if (!k.duplicate) {
      auto original = FindOriginal(k.hash, batch[k.index], k.key);
      if (!original) continue;
      if (k.index == 0) first_original = std::move(original);
      k.duplicate = true;
    }
    ++duplicates;
  }
  if (duplicates == 0) {
    PutResult r = append(batch, nullptr);
    if (r.ok()) RememberStored(batch, keyed, r);
    return r;
  }
  // Every message a duplicate: the first is not a repeat within the batch,
  // so it was found in the table.
  if (static_cast<size_t>(duplicates) == batch.size() && first_original) {
    duplicates_.fetch_add(static_cast<uint64_t>(duplicates), std::memory_order_relaxed);
    first_original->duplicates = duplicates;
    return std::move(*first_original);
  }
  std::vector<Message> kept;
  std::vector<Keyed> kept_keyed;
  size_t next = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const bool is_keyed = next < keyed.size() && keyed[next].index == i;
    if (is_keyed && keyed[next].duplicate) {
      ++next;
      continue;
    }
    if (is_keyed) {
      kept_keyed.push_back(keyed[next++]);
      kept_keyed.back().index = kept.size();
    }
    kept.push_back(batch[i]);
  }
  PutResult r = append(kept, nullptr);
  r.duplicates = duplicates;
  if (r.ok()) {
    duplicates_.fetch_add(static_cast<uint64_t>(duplicates), std::memory_order_relaxed);
    RememberStored(kept, kept_keyed, r);
  }
  return r;
}

// Sorted by hash, so only equal hashes are compared.
void DuplicateFilter::MarkRepeatsWithinBatch(std::span<const Message> batch, std::span<Keyed> keyed) {
  std::vector<size_t> by_hash(keyed.size());
  for (size_t i = 0; i < by_hash.size(); ++i) by_hash[i] = i;
  std::sort(by_hash.begin(), by_hash.end(), [&](size_t a, size_t b) {
    return keyed[a].hash != keyed[b].hash ? keyed[a].hash < keyed[b].hash : a < b;
  });
  for (size_t run = 0; run < by_hash.size();) {
    size_t end = run + 1;
    while (end < by_hash.size() && keyed[by_hash[end]].hash == keyed[by_hash[run]].hash) ++end;
    for (size_t i = run + 1; i < end; ++i) {
      Keyed& later = keyed[by_hash[i]];
      for (size_t j = run; j < i && !later.duplicate; ++j) {
        const Keyed& earlier = keyed[by_hash[j]];
        // Equal hashes of one kind (a batch holds no transaction types).
        later.duplicate = earlier.key == later.key && batch[earlier.index].topic == batch[later.index].topic;
      }
    }
    run = end;
  }
}

// Records of one batch are consecutive from wrote_offset, each as long as
// its encoding (what the log wrote).
void DuplicateFilter::RememberStored(std::span<const Message> stored, std::span<const Keyed> keyed,
                                     const PutResult& r) {
  const int64_t now = r.store_timestamp;  // the time of the append: no clock read
  int64_t at = r.wrote_offset;
  size_t next = 0;
  for (size_t i = 0; i < stored.size() && next < keyed.size(); ++i) {
    if (keyed[next].index == i) {
      const uint64_t hash = keyed[next++].hash;
      ShardOf(hash).table.Remember(hash, {at, r.store_timestamp}, now);
    }
    if (next == keyed.size()) break;
    const CommitLogOptions& o = log_.options();
    const auto size = EncodedRecordSize(RecordFieldsOf(stored[i], o.auto_message_version), o.limits);
    if (!size.ok()) return;  // cannot happen: the log has just encoded it
    at += *size;
  }
}

// ---------------------------------------------------------------------------
// Rebuild at open

namespace {

// Where the window's records begin, to a segment: the start of the newest
// segment whose first record was stored before the window (store times
// never decrease in log order), else the log's start.
int64_t WindowStart(const CommitLog& log, int64_t since) {
  const auto segments = log.Segments();
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    const auto first = log.LookMessage((*it)->start_offset());
    if (first.ok() && first->message.store_timestamp <= since) return (*it)->start_offset();
  }
  return log.MinOffset();
}

}  // namespace

void DuplicateFilter::Rebuild() {
  const int64_t now = clock_.WallMillis();
  RecordDecodeOptions decode;
  decode.max_record_size = log_.options().limits.max_record_size;
  CommitLogCursor cursor(log_, WindowStart(log_, now - options_.window_ms), decode);
  for (;;) {
    const CommitLogCursor::Entry e = cursor.Next();
    if (e.kind == CommitLogCursor::Kind::kCaughtUp) break;
    if (e.kind == CommitLogCursor::Kind::kError) {
      // Recovery let it stand (recoveryCorruptionPolicy=skip): the rest of
      // its segment is not read, and its keys are not remembered.
      const std::shared_ptr<Segment> segment = log_.SegmentFor(e.offset);
      StoreLog(LogLevel::kWarn, "duplicate suppression: the rest of a segment is not read at open: " + e.error.ToString());
      if (!segment || segment->end_offset() >= log_.MaxOffset()) break;
      cursor.Seek(segment->end_offset());
      continue;
    }
    const MessageRecordView& m = e.message;
    if (now - m.store_timestamp >= options_.window_ms) continue;
    const auto key = m.properties().Get(options_.key_property);
    if (!key || key->empty()) continue;
    const uint64_t hash = Hash(m.topic, *key, m.sys_flag);
    Shard& shard = ShardOf(hash);
    std::lock_guard lock(shard.mu);  // no put runs yet; the lock keeps the rule simple
    if (const auto kept = shard.table.Find(hash, now)) {
      const auto first = log_.LookMessage(kept->offset);
      if (first.ok() && Carries(first->message, m.topic, *key, m.sys_flag)) continue;  // the first stays the answer
    }
    shard.table.Remember(hash, {e.offset, m.store_timestamp}, now);
    rebuilt_.fetch_add(1, std::memory_order_relaxed);
  }
}

DedupStats DuplicateFilter::Stats() const {
  DedupStats s;
  s.enabled = true;
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    s.entries += shard->table.size();
    s.evictions += shard->table.evictions();
  }
  s.false_matches = false_matches_.load(std::memory_order_relaxed);
  s.rebuilt = rebuilt_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace mqstore
