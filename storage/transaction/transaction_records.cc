#include "storage/transaction/transaction_records.h"

#include "format/java_number.h"
#include "format/property_map.h"
#include "mqstore/sys_flag.h"
#include "mqstore/transaction.h"

namespace mqstore {
namespace {

int32_t WithTransactionType(int32_t sys_flag, int32_t type) {
  return (sys_flag & ~sysflag::kTransactionMask) | type;
}

// The parts of a stored record every rebuilt message keeps.
Message FromRecord(const MessageRecordView& r) {
  Message m;
  m.queue_id = r.queue_id;
  m.flag = r.flag;
  m.body = r.body;
  m.sys_flag = r.sys_flag;
  m.born_timestamp = r.born_timestamp;
  m.born_host = r.born_host;
  m.store_host = r.store_host;
  m.reconsume_times = r.reconsume_times;
  return m;
}

}  // namespace

std::string OpRecordProperties(TrailingSeparator trailing) {
  // HashMap buckets of a 16-slot table: "WAIT" hashes to 13, "TAGS" to 14.
  std::string s = "WAIT\x01true\x02TAGS\x01";
  s += kTransOpRemoveTag;
  if (trailing == TrailingSeparator::kAppend) s += '\x02';
  return s;
}

Result<BuiltMessage> BuildHalf(const Message& m) {
  PropertyMap props = PropertyMap::Parse(m.properties);
  props.Erase(property::kDelay);
  if (props.Get(property::kTransactionPrepared) != "true") props.Set(property::kTransactionPrepared, "true");
  if (auto uniq = props.Get(property::kUniqKey)) {
    const std::string id(*uniq);  // Set may move the pairs the view points into
    props.Set(property::kTransactionId, id);
  }
  props.Set(property::kRealTopic, m.topic);
  props.Set(property::kRealQueueId, std::to_string(m.queue_id));
  auto raw = props.Serialize();
  if (!raw.ok()) return raw.error().WithContext("half message properties");
  BuiltMessage out;
  out.topic = kTransHalfTopic;
  out.properties = std::move(*raw);
  out.message = m;
  out.message.queue_id = 0;
  out.message.sys_flag = WithTransactionType(m.sys_flag, sysflag::kTransactionNotType);
  return out;
}

Result<BuiltMessage> BuildCommit(const MessageRecordView& half) {
  const std::string at = "the record at " + std::to_string(half.physical_offset);
  if (half.topic != kTransHalfTopic)
    return Status::InvalidArgument(at + " is not a half message (topic " + std::string(half.topic) + ")");
  const PropertiesView props = half.properties();
  const std::string_view topic = props.Get(property::kRealTopic).value_or("");
  const std::string_view qid = props.Get(property::kRealQueueId).value_or("");
  const std::optional<int32_t> queue_id = ParseJavaInteger<int32_t>(qid);
  if (topic.empty()) return Status::InvalidArgument(at + " has no REAL_TOPIC");
  if (!queue_id || *queue_id < 0)
    return Status::InvalidArgument(at + ": REAL_QID '" + std::string(qid) + "' is not a queue id");
  BuiltMessage out;
  out.topic = topic;
  out.properties = half.properties_raw;  // as stored: REAL_TOPIC, REAL_QID, TRAN_MSG stay
  out.message = FromRecord(half);
  out.message.queue_id = *queue_id;
  out.message.sys_flag = WithTransactionType(half.sys_flag, sysflag::kTransactionCommitType);
  out.message.prepared_transaction_offset = half.physical_offset;
  return out;
}

BuiltMessage BuildOp(std::string body, const SocketAddress& broker, int64_t now_ms, TrailingSeparator trailing) {
  BuiltMessage out;
  out.topic = kTransOpHalfTopic;
  out.properties = OpRecordProperties(trailing);
  out.message.queue_id = 0;  // the half queue's id: RocketMQ has one half queue
  out.message.born_timestamp = now_ms;
  out.message.born_host = broker;
  out.message.store_host = broker;
  out.message.flush_wait = FlushWait::kNoWait;
  out.owned_body = std::move(body);
  return out;
}

Result<BuiltMessage> BuildRenewedHalf(const MessageRecordView& half, std::optional<int32_t> check_times,
                                      std::optional<int64_t> prepared_queue_offset) {
  PropertyMap props = PropertyMap::Parse(half.properties_raw);
  if (check_times) props.Set(property::kTransactionCheckTimes, std::to_string(*check_times));
  if (prepared_queue_offset) props.Set(property::kTransactionPreparedQueueOffset, std::to_string(*prepared_queue_offset));
  auto raw = props.Serialize();
  if (!raw.ok()) return raw.error().WithContext("renewing the half at " + std::to_string(half.physical_offset));
  BuiltMessage out;
  out.topic = half.topic;
  out.properties = std::move(*raw);
  out.message = FromRecord(half);
  out.message.flag = 0;
  out.message.reconsume_times = 0;
  out.message.flush_wait = FlushWait::kNoWait;
  return out;
}

BuiltMessage BuildDiscarded(const MessageRecordView& half) {
  BuiltMessage out;
  out.topic = kTransCheckMaxTimeTopic;
  out.properties = half.properties_raw;
  out.message = FromRecord(half);
  out.message.queue_id = 0;  // a random queue of TCMT_QUEUE_NUMS = 1
  out.message.flush_wait = FlushWait::kNoWait;
  return out;
}

}  // namespace mqstore
