#include "storage/offline/transaction_reader.h"

#include <map>
#include <set>

#include "format/consumer_offset_json.h"
#include "format/java_number.h"
#include "format/transaction_op_body.h"
#include "mqstore/sys_flag.h"
#include "mqstore/transaction.h"
#include "storage/io/config_file.h"
#include "storage/offline/commit_log_scanner.h"

namespace mqstore {
namespace {

// What settles transactions, collected in one pass.
struct Settlements {
  std::set<int64_t> op_named;                 // half queue offsets named by ops
  std::map<int64_t, int64_t> committed;       // half commit-log offset -> real message offset
  std::set<std::string> discarded_keys;
};

void ReadProgress(FileSystem& fs, const StorePaths& paths, TransactionSummary& out) {
  const std::string path = JoinPath(JoinPath(paths.root, "config"), "consumerOffset.json");
  auto text = ReadConfigFile(fs, path, 256u << 20, "a consumer offset table");
  if (!text.ok()) {
    out.problems.push_back(text.error().ToString());
    return;
  }
  if (!text->has_value()) return;
  auto parsed = ParseConsumerOffsetJson(**text);
  if (!parsed.ok()) {
    out.problems.push_back(path + ": " + parsed.error().message());
    return;
  }
  auto get = [&](std::string_view topic) -> std::optional<int64_t> {
    auto it = parsed->offset_table.find(ConsumerOffsetKey(topic, kTransSysGroup));
    if (it == parsed->offset_table.end() || it->second.count(0) == 0) return std::nullopt;
    return it->second.at(0);
  };
  out.half_progress = get(kTransHalfTopic);
  out.op_progress = get(kTransOpHalfTopic);
}

void Collect(const ScanEvent& ev, TransactionSummary& out, Settlements& s,
             std::vector<std::optional<int64_t>>& prepared) {
  const MessageRecordView& m = ev.message;
  const PropertiesView props = m.properties();
  if (m.topic == kTransHalfTopic) {
    HalfRecordInfo h;
    h.half_offset = ev.offset;
    h.queue_offset = m.queue_offset;
    h.store_timestamp = m.store_timestamp;
    h.real_topic = props.Get(property::kRealTopic).value_or("");
    h.real_queue_id = ParseJavaInteger<int32_t>(props.Get(property::kRealQueueId).value_or("")).value_or(-1);
    h.uniq_key = props.Get(property::kUniqKey).value_or("");
    h.checks = ParseJavaInteger<int32_t>(props.Get(property::kTransactionCheckTimes).value_or("")).value_or(0);
    out.halves.push_back(std::move(h));
    prepared.push_back(ParseJavaInteger<int64_t>(props.Get(property::kTransactionPreparedQueueOffset).value_or("")));
  } else if (m.topic == kTransOpHalfTopic) {
    ++out.op_records;
    if (props.Get(property::kTags) != kTransOpRemoveTag) return;
    auto offsets = ParseOpBody(std::string_view(reinterpret_cast<const char*>(m.body.data()), m.body.size()));
    if (!offsets.ok()) {
      out.problems.push_back("op record at " + std::to_string(ev.offset) + ": " + offsets.error().message());
      return;
    }
    s.op_named.insert(offsets->begin(), offsets->end());
  } else if (m.topic == kTransCheckMaxTimeTopic) {
    ++out.discarded_records;
    if (auto key = props.Get(property::kUniqKey)) s.discarded_keys.emplace(*key);
  } else if (sysflag::TransactionType(m.sys_flag) == sysflag::kTransactionCommitType &&
             props.Get(property::kTransactionPrepared).has_value()) {
    // A broker's commit keeps the half's TRAN_MSG (built before its removal);
    // a COMMIT record written directly (pre-4.3) has none and names no half.
    ++out.commit_records;
    s.committed.emplace(m.prepared_transaction_offset, ev.offset);
  }
}

// Each transaction's state, given to every one of its half records.
void Resolve(TransactionSummary& out, const Settlements& s, const std::vector<std::optional<int64_t>>& prepared) {
  std::map<std::string, std::vector<size_t>> chains;
  for (size_t i = 0; i < out.halves.size(); ++i) {
    const HalfRecordInfo& h = out.halves[i];
    chains[h.uniq_key.empty() ? "@" + std::to_string(h.half_offset) : h.uniq_key].push_back(i);
  }
  for (const auto& [key, members] : chains) {
    TransactionState state = TransactionState::kPending;
    int64_t committed = -1;
    bool rolled_back = false;
    for (size_t i : members) {
      const HalfRecordInfo& h = out.halves[i];
      if (auto c = s.committed.find(h.half_offset); c != s.committed.end()) committed = c->second;
      rolled_back |= s.op_named.count(h.queue_offset) > 0 || (prepared[i] && s.op_named.count(*prepared[i]) > 0);
    }
    if (committed >= 0) state = TransactionState::kCommitted;
    else if (rolled_back) state = TransactionState::kRolledBack;
    else if (!out.halves[members.front()].uniq_key.empty() && s.discarded_keys.count(key)) state = TransactionState::kDiscarded;
    for (size_t i : members) {
      out.halves[i].state = state;
      out.halves[i].committed_offset = committed;
      out.halves[i].latest = i == members.back();
    }
  }
}

}  // namespace

const char* TransactionStateName(TransactionState s) {
  switch (s) {
    case TransactionState::kPending: return "pending";
    case TransactionState::kCommitted: return "committed";
    case TransactionState::kRolledBack: return "rolled_back";
    case TransactionState::kDiscarded: return "discarded";
  }
  return "?";
}

Result<TransactionSummary> ReadTransactions(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options) {
  auto segments = ListSegments(fs, paths.CommitLogDir());
  if (!segments.ok()) return segments.error();
  ScanOptions scan;
  scan.decode.max_record_size = options.max_record_size;
  scan.resync = true;
  CommitLogScanner scanner(fs, std::move(*segments), scan);
  TransactionSummary out;
  Settlements settlements;
  std::vector<std::optional<int64_t>> prepared;
  ScanEvent ev;
  while (scanner.Next(ev)) {
    if (ev.kind == ScanEventKind::kError) out.problems.push_back(ev.error.ToString());
    if (ev.kind == ScanEventKind::kMessage) Collect(ev, out, settlements, prepared);
  }
  Resolve(out, settlements, prepared);
  ReadProgress(fs, paths, out);
  return out;
}

}  // namespace mqstore
