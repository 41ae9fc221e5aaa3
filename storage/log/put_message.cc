#include "storage/log/put_message.h"

namespace mqstore {

MessageRecordFields RecordFieldsOf(const Message& m, bool auto_version) {
  MessageRecordFields f;
  f.topic = m.topic;
  f.queue_id = m.queue_id;
  f.flag = m.flag;
  f.sys_flag = m.sys_flag;
  f.born_timestamp = m.born_timestamp;
  f.born_host = m.born_host;
  f.store_host = m.store_host;
  f.reconsume_times = m.reconsume_times;
  f.prepared_transaction_offset = m.prepared_transaction_offset;
  f.body = m.body;
  f.properties = m.properties;
  f.version = auto_version ? VersionForTopic(m.topic) : MessageVersion::kV1;
  return f;
}

std::string_view PutStatusName(PutStatus s) {
  switch (s) {
    case PutStatus::kPutOk: return "PUT_OK";
    case PutStatus::kFlushDiskTimeout: return "FLUSH_DISK_TIMEOUT";
    case PutStatus::kFlushSlaveTimeout: return "FLUSH_SLAVE_TIMEOUT";
    case PutStatus::kSlaveNotAvailable: return "SLAVE_NOT_AVAILABLE";
    case PutStatus::kServiceNotAvailable: return "SERVICE_NOT_AVAILABLE";
    case PutStatus::kCreateMappedFileFailed: return "CREATE_MAPPED_FILE_FAILED";
    case PutStatus::kMessageIllegal: return "MESSAGE_ILLEGAL";
    case PutStatus::kPropertiesSizeExceeded: return "PROPERTIES_SIZE_EXCEEDED";
    case PutStatus::kOsPageCacheBusy: return "OS_PAGE_CACHE_BUSY";
    case PutStatus::kWheelTimerNotEnable: return "WHEEL_TIMER_NOT_ENABLE";
    case PutStatus::kWheelTimerMsgIllegal: return "WHEEL_TIMER_MSG_ILLEGAL";
    case PutStatus::kWheelTimerFlowControl: return "WHEEL_TIMER_FLOW_CONTROL";
    case PutStatus::kUnknownError: return "UNKNOWN_ERROR";
  }
  return "UNKNOWN_ERROR";
}

}  // namespace mqstore
