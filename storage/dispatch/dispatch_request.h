// DispatchRequest: what the dispatcher (dispatcher.h) hands to every sink for
// one commit-log record (RocketMQ's DispatchRequest, from CommitLog.checkMessageAndReturnSize), decoded once.
//
// Every view points into the commit-log segment the dispatcher holds pinned;
// it is valid only during the sink's call. A sink that keeps something must
// copy it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "format/message_record.h"
#include "format/sys_flag.h"

namespace mqstore {

struct DispatchRequest {
  std::string_view topic;
  int32_t queue_id = 0;
  int64_t commit_log_offset = 0;  // PHYSICALOFFSET
  int32_t size = 0;               // TOTALSIZE
  int64_t tags_code = 0;          // tagsString2tagsCode (delivery time for SCHEDULE_TOPIC_XXXX)
  int64_t store_timestamp = 0;
  int64_t queue_offset = 0;       // QUEUEOFFSET
  std::string_view keys;          // KEYS, "" when absent
  std::string_view uniq_key;      // UNIQ_KEY, "" when absent
  int32_t sys_flag = 0;
  int64_t prepared_transaction_offset = 0;
  std::string_view properties;    // the raw properties string
  const MessageRecordView* message = nullptr;  // the whole decoded record

  int32_t transaction_type() const { return sysflag::TransactionType(sys_flag); }
  // Only NOT and COMMIT records get a consume-queue unit (CommitLogDispatcherBuildConsumeQueue).
  bool GoesToConsumeQueue() const;
  // Everything but ROLLBACK is indexed (IndexService.buildIndex).
  bool IsIndexed() const;
};

// Builds the request for a decoded record. `delay_level_millis` are the
// messageDelayLevel levels (delay_levels.h), for SCHEDULE_TOPIC_XXXX tagsCode.
DispatchRequest MakeDispatchRequest(const MessageRecordView& m, std::span<const int64_t> delay_level_millis);

}  // namespace mqstore
