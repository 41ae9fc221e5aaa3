// Helpers for tests that drive the engine: small-segment configs and
// messages that own their bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "format/log_entry.h"
#include "format/properties.h"
#include "format/sys_flag.h"
#include "storage/io/fault_injection_file_system.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/message_store.h"
#include "storage/offline/store_verifier.h"

namespace mqstore::test {

inline constexpr int64_t kSmallCqFileSize = 128 * 20;  // 128 units a file
inline constexpr int32_t kSmallIndexSlots = 64;

inline StoreConfig SmallStoreConfig(const std::string& root, bool write_backend = true,
                                    int64_t segment_size = 64 * 1024) {
  StoreConfig c;
  c.storePathRootDir = root;
  c.mappedFileSizeCommitLog = segment_size;
  c.writeWithoutMmap = write_backend;
  c.appendBufferSize = 64 << 10;
  c.prefaultAheadBytes = 16 << 10;
  c.maxMessageSize = 16 * 1024;
  c.flushIntervalCommitLog = 10;
  // Small consume-queue and index files, so tests roll them over and
  // leave no 420 MB index file behind (4 entries per slot: inferable).
  c.mappedFileSizeConsumeQueue = kSmallCqFileSize;
  c.maxHashSlotNum = kSmallIndexSlots;
  c.maxIndexNum = kSmallIndexSlots * 4;
  c.flushIntervalConsumeQueue = 10;
  return c;
}

// A message whose bytes it owns; `message()` views them.
struct OwnedMessage {
  std::string topic;
  int32_t queue_id = 0;
  std::vector<uint8_t> body;
  std::string properties;
  int32_t sys_flag = 0;

  OwnedMessage(std::string t, int32_t q, size_t body_size, const std::string& uniq_key, int32_t flag = 0)
      : topic(std::move(t)), queue_id(q), body(body_size), sys_flag(flag) {
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>(i * 31 + body_size);
    auto props = SerializeProperties({{"UNIQ_KEY", uniq_key}, {"TAGS", "TagA"}, {"KEYS", uniq_key}});
    properties = props.ok() ? *props : std::string();
  }
  Message message() const {
    Message m;
    m.topic = topic;
    m.queue_id = queue_id;
    m.body = body;
    m.properties = properties;
    m.sys_flag = sys_flag;
    m.born_timestamp = 1700000000000;
    m.born_host = SocketAddress::V4(10, 0, 0, 1, 50000);
    m.store_host = SocketAddress::V4(10, 0, 0, 2, 10911);
    return m;
  }
};

// Opens a store, puts `n` records of TopicA (queue i % 3, 200 to 900-byte
// bodies, UNIQ_KEY and KEYS "k<i>") and shuts it down cleanly: a store to
// damage, repair or read. Returns each put's result.
inline std::vector<PutResult> PutAndShutDown(const StoreConfig& config, int n) {
  std::vector<PutResult> out;
  auto store = MessageStore::Open(config);
  EXPECT_TRUE(store.ok()) << store.error().ToString();
  if (!store.ok()) return out;
  for (int i = 0; i < n; ++i) {
    out.push_back((*store)->Put(OwnedMessage("TopicA", i % 3, 200 + (i * 13) % 700, "k" + std::to_string(i)).message()));
    EXPECT_TRUE(out.back().ok()) << out.back().reason;
  }
  EXPECT_TRUE((*store)->Shutdown().ok());
  return out;
}

// `mqstore verify` over a store root: no problems, and the report.
inline VerifyReport VerifyClean(const std::string& root, int64_t segment_size) {
  StoreReadOptions options;
  options.commit_log_file_size = segment_size;
  options.consume_queue_file_size = kSmallCqFileSize;
  options.index_geometry = IndexGeometry{kSmallIndexSlots, kSmallIndexSlots * 4};
  std::vector<std::string> problems;
  VerifyCallbacks cb;
  cb.on_problem = [&](const VerifyProblem& p) { problems.push_back(p.file + " @" + std::to_string(p.offset) + ": " + p.what); };
  auto report = VerifyStore(FileSystem::Default(), StorePaths{root}, options, cb);
  EXPECT_TRUE(report.ok()) << report.error().ToString();
  for (const auto& p : problems) ADD_FAILURE() << p;
  return report.ok() ? *report : VerifyReport{};
}

// Waits until the dispatcher has taken everything appended (the write
// backend shows records to readers once the flush service commits them).
inline void WaitDispatched(MessageStore& store) {
  for (int i = 0; i < 10000; ++i) {
    const StoreStats s = store.Stats();
    if (s.dispatch.reput_offset >= s.wrote_offset) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  FAIL() << "dispatch did not catch up with the writer in 10 s: " << store.Stats().dispatch.error;
}

// The one record a power loss may leave with bytes nobody put: the last in
// the log, past what was flushed, torn inside its properties or topic (not
// covered by BODYCRC, so it decodes). Recovery cuts it when it was stored
// after the checkpoint's flush time; in that very millisecond it may be a
// flushed record, so it stays (docs/engine.md, "Recovery").
inline bool IsTornLastRecord(const CommitLogCursor::Entry& e, int64_t log_end, int64_t durable_end) {
  return e.offset + e.size == log_end && e.offset >= durable_end && EndsLikeATornWrite(e.message);
}

// Consume queues and index agree with the log exactly: every NOT/COMMIT
// record has the unit at its QUEUEOFFSET and nothing more is in any queue;
// every key of every indexed record finds it; the index holds no entry
// twice. Call with no puts running (Open has caught dispatch up).
inline void ExpectQueuesAndIndexMatchLog(MessageStore& store) {
  std::map<std::pair<std::string, int32_t>, int64_t> next;  // per queue: units the log calls for
  uint64_t keys = 0;
  uint64_t torn = 0;  // records whose properties end in zeros a tear left
  CommitLogCursor cursor = store.NewCursor(store.GetMinPhyOffset());
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next()) {
    const MessageRecordView& m = e.message;
    const int32_t type = sysflag::TransactionType(m.sys_flag);
    if (sysflag::TakesQueueOffset(m.sys_flag)) {
      next[{std::string(m.topic), m.queue_id}] = m.queue_offset + 1;
      ASSERT_EQ(store.GetCommitLogOffsetInQueue(m.topic, m.queue_id, m.queue_offset), e.offset)
          << m.topic << "/" << m.queue_id << " unit " << m.queue_offset;
    }
    if (type == sysflag::kTransactionRollbackType) continue;
    const auto uniq = m.properties().Get(property::kUniqKey);
    if (uniq) {
      ++keys;
      const QueryMessageResult found = store.QueryMessage(m.topic, *uniq, 64, 0, INT64_MAX);
      bool hit = false;
      for (const MessageView& v : found.messages) hit = hit || v.message.physical_offset == e.offset;
      EXPECT_TRUE(hit) << "UNIQ_KEY " << *uniq << " does not find the record at " << e.offset;
    }
    if (auto k = m.properties().Get(property::kKeys)) ForEachKey(*k, [&](std::string_view) { ++keys; });
    // A power loss may tear a record inside its properties (not covered by
    // BODYCRC) after its keys were indexed from the whole record: it keeps
    // its index entries for the keys it lost (QueryMessage checks the key
    // on the record, so they cost a look). Test messages never carry a NUL.
    if (m.properties_raw.find('\0') != std::string_view::npos) ++torn;
  }
  EXPECT_EQ(cursor.offset(), store.GetMaxPhyOffset());
  for (const auto& [queue, n] : next)
    EXPECT_EQ(store.GetMaxOffsetInQueue(queue.first, queue.second), n) << queue.first << "/" << queue.second;
  size_t non_empty = 0;  // a queue whose every unit was cut stays, empty
  for (const ConsumeQueue* q : store.consume_queues().All()) non_empty += q->MaxOffset() > 0;
  EXPECT_EQ(non_empty, next.size());
  if (store.config().messageIndexEnable) {
    // Two keys per test message (UNIQ_KEY and KEYS): a torn one may keep both old entries.
    EXPECT_GE(store.Stats().index.entries, keys) << "index entries vs keys";
    EXPECT_LE(store.Stats().index.entries, keys + 2 * torn) << "index entries vs keys (" << torn << " torn records)";
  }
}

// Opens a store after a simulated power loss. Unflushed pages may reach the
// disk out of order and leave damage before data that survived; recovery
// then refuses to open (docs/engine.md, "Recovery"). A test accepts that only where
// nothing flushed is at stake: it reopens with
// recoveryCorruptionPolicy=truncate, as an operator would, and checks that
// every cut lies at or past `durable_end`.
// The power goes under a store opened on `fs`: nothing the dropped store
// would still write reaches the disk, and what no sync covered is lost.
inline void PowerCut(FaultInjectionFileSystem& fs, std::unique_ptr<MessageStore> store) {
  fs.FailAllMutatingCalls(true);
  store.reset();
  fs.FailAllMutatingCalls(false);
  ASSERT_TRUE(fs.Crash().ok());
}

inline Result<std::unique_ptr<MessageStore>> OpenAfterPowerLoss(StoreConfig config, FileSystem& fs,
                                                                int64_t durable_end) {
  auto store = MessageStore::Open(config, Env(fs));
  if (store.ok() || store.error().code() != StatusCode::kCorruption) return store;
  config.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kTruncate;
  auto cut = MessageStore::Open(config, Env(fs));
  if (!cut.ok()) return cut;
  for (const LogDamage& d : (*cut)->recovery().damage)
    EXPECT_GE(d.offset, durable_end) << "refused over damage inside flushed data: " << store.error().ToString();
  return cut;
}

}  // namespace mqstore::test
