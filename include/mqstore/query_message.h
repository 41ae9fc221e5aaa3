// QueryMessageResult: what MessageStore::QueryMessage returns (RocketMQ's
// QueryMessageResult): the records whose real keys match, ascending by
// offset, and where the index had got to.
#pragma once

#include <cstdint>
#include <vector>

#include "mqstore/message_view.h"

namespace mqstore {

// queryMessage: records whose real keys match, ascending by offset.
struct QueryMessageResult {
  std::vector<MessageView> messages;
  int64_t index_last_update_timestamp = 0;
  int64_t index_last_update_phyoffset = 0;
};

}  // namespace mqstore
