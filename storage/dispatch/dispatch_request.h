// MakeDispatchRequest: a decoded record as the dispatcher (dispatcher.h)
// hands it to every sink. DispatchRequest itself is public:
// include/mqstore/dispatch.h.
#pragma once

#include <span>

#include "format/message_record.h"
#include "mqstore/dispatch.h"  // DispatchRequest

namespace mqstore {

// Builds the request for a decoded record. `delay_level_millis` are the
// messageDelayLevel levels (delay_levels.h), for SCHEDULE_TOPIC_XXXX tagsCode.
DispatchRequest MakeDispatchRequest(const MessageRecordView& m, std::span<const int64_t> delay_level_millis);

}  // namespace mqstore
