// DuplicateFilter: idempotent puts (dedupWindowSeconds > 0). A message
// carrying the key property (dedupKeyProperty, UNIQ_KEY by default) whose
// topic and key were already stored within the window is not stored again:
// the put is answered PUT_OK with the first record's offsets and
// `duplicate` set (docs/engine.md, "Duplicate suppression").
//
// Where the check sits: before the commit log's put lock, under the lock of
// one of up to 16 shards chosen by the key's hash, held from the lookup
// until the record is appended and remembered. A single put looks up once
// its message is checked and encoded (CommitLog::PutGate), so the table's
// cache miss, prefetched before, overlaps the encoding; a put the log
// refuses is refused then even if its key was stored. Two producers putting the
// same key at once take the same shard, so the second sees the first's
// record; puts of other keys run in parallel as before, and the put lock's
// critical section does not grow. Each shard has its own table (a share of
// dedupMaxEntries, its oldest evicted first), so a put takes no lock that
// every put takes besides the put lock itself.
//
// A 64-bit match is confirmed against the record at the remembered offset
// (its topic and key value) before the answer "duplicate"; a record that
// holds another key (a hash collision) or is gone (cleanup) means the
// message is stored. The table is rebuilt at open from the log's records of
// the window (Rebuild): no file of its own.
//
// The store's own re-puts (delay-level and timer deliveries) do not come
// through here: they are deliveries of a record already admitted.
#pragma once

#include <vector>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mqstore/message.h"
#include "mqstore/stats.h"
#include "mqstore/status.h"
#include "storage/dedup/dedup_key.h"
#include "storage/dedup/dedup_table.h"
#include "storage/io/clock.h"
#include "storage/log/commit_log.h"

namespace mqstore {

struct DedupOptions {
  int64_t window_ms = 0;
  size_t max_entries = 1000000;
  std::string key_property = "UNIQ_KEY";
  DedupHashFn hash = nullptr;  // nullptr: DedupKeyHash (XXH3-64)
};

class DuplicateFilter {
 public:
  // Reads and appends through `log`; "now" (the window's end) is `clock`'s
  // wall time, the scale STORETIMESTAMP is written in. Maps every shard's
  // table for its share of max_entries: an error naming the shard, the
  // bytes asked for and errno's text when a mapping is refused.
  static Result<std::unique_ptr<DuplicateFilter>> Open(CommitLog& log, Clock& clock, DedupOptions options);
  ~DuplicateFilter();

  // Remembers the keys of the records stored within the window before now:
  // the log is read from the start of the newest segment whose first record
  // is older than the window (or from its start) to its end. At open,
  // before any put.
  void Rebuild();

  // Stores the messages of `batch` that are not duplicates through `append`
  // (one call, as one batch; not at all when every one is a duplicate) and
  // remembers their keys. A message repeating the key of an earlier one of
  // the same batch is a duplicate too. The result is append's, with
  // `duplicates` set; or, when every message was a duplicate, PUT_OK with
  // `duplicate` and the first message's original record. `append` must ask
  // the gate it is given, if any, before it appends, and return its answer
  // instead when it gives one (CommitLog::PutBatch does): a single put
  // looks its key up there, after the encoding.
  using AppendFn = std::function<PutResult(std::span<const Message>, CommitLog::PutGate*)>;
  PutResult Put(std::span<const Message> batch, const AppendFn& append);

  DedupStats Stats() const;

 private:
  static constexpr size_t kMaxShards = 16;
  DuplicateFilter(CommitLog& log, Clock& clock, DedupOptions options);
  struct Keyed;
  class StripeLocks;
  struct Shard;
  Shard& ShardOf(uint64_t hash) const;

  std::optional<std::string_view> KeyOf(const Message& m) const;
  // The table's key: the hash of topic and key, apart for each transaction
  // kind (a PREPARED record and its COMMIT share topic and key).
  uint64_t Hash(std::string_view topic, std::string_view key, int32_t sys_flag) const;
  class OriginalGate;
  PutResult PutOne(const Message& m, std::string_view key, const AppendFn& append);
  PutResult PutMany(std::span<const Message> batch, std::span<Keyed> keyed, const AppendFn& append);
  // Marks the keyed messages that repeat the topic and key of an earlier
  // one of the same batch.
  static void MarkRepeatsWithinBatch(std::span<const Message> batch, std::span<Keyed> keyed);
  // The first record of m's topic, kind and `key` if the table remembers
  // one within the window and that record really carries them; counts a
  // collision.
  // The clock is read only when the table has an entry for the hash.
  std::optional<PutResult> FindOriginal(uint64_t hash, const Message& m, std::string_view key);
  // The record at `offset`, committed first if it is still in the write
  // backend's ring (a duplicate put right after its original).
  Result<MessageView> ReadRecord(int64_t offset);
  bool Carries(const MessageRecordView& r, std::string_view topic, std::string_view key, int32_t sys_flag) const;
  // Remembers the keyed messages of a stored batch at their offsets.
  void RememberStored(std::span<const Message> stored, std::span<const Keyed> keyed, const PutResult& r);

  CommitLog& log_;
  Clock& clock_;
  const DedupOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;  // a power of two
  std::atomic<uint64_t> duplicates_{0}, false_matches_{0}, rebuilt_{0};
};

}  // namespace mqstore
