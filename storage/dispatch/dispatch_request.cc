#include "storage/dispatch/dispatch_request.h"

#include "format/java_string_hash.h"
#include "format/properties.h"

namespace mqstore {

bool DispatchRequest::GoesToConsumeQueue() const { return sysflag::TakesQueueOffset(sys_flag); }

bool DispatchRequest::IsIndexed() const { return transaction_type() != sysflag::kTransactionRollbackType; }

DispatchRequest MakeDispatchRequest(const MessageRecordView& m, std::span<const int64_t> delay_level_millis) {
  DispatchRequest r;
  r.topic = m.topic;
  r.queue_id = m.queue_id;
  r.commit_log_offset = m.physical_offset;
  r.size = m.total_size;
  r.store_timestamp = m.store_timestamp;
  r.queue_offset = m.queue_offset;
  r.sys_flag = m.sys_flag;
  r.prepared_transaction_offset = m.prepared_transaction_offset;
  r.properties = m.properties_raw;
  r.message = &m;
  // One pass over the properties for the three the sinks need; the last
  // pair of a name wins, as in RocketMQ's map.
  std::string_view tags;
  m.properties().ForEach([&](const Property& p) {
    if (p.name == property::kTags) tags = p.value;
    else if (p.name == property::kKeys) r.keys = p.value;
    else if (p.name == property::kUniqKey) r.uniq_key = p.value;
  });
  r.tags_code = m.topic == kScheduleTopic ? RecordTagsCode(m, delay_level_millis) : TagsCode(tags);
  return r;
}

}  // namespace mqstore
