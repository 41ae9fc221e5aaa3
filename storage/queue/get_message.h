// GetMessage: a consumer's pull from one queue (RocketMQ's
// DefaultMessageStore.getMessage), zero-copy. The request, the
// result and the statuses are public: include/mqstore/get_message.h, which
// tells how a pull reads.
#pragma once

#include <cstdint>

#include "mqstore/get_message.h"
#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue.h"
#include "storage/queue/message_filter.h"

namespace mqstore {

// The transfer limits (MessageStoreConfig), and where "in memory" ends.
struct ReadLimits {
  int32_t max_bytes_in_memory = 256 * 1024;  // maxTransferBytesOnMessageInMemory
  int32_t max_count_in_memory = 32;          // maxTransferCountOnMessageInMemory
  int32_t max_bytes_on_disk = 64 * 1024;     // maxTransferBytesOnMessageInDisk
  int32_t max_count_on_disk = 8;             // maxTransferCountOnMessageInDisk
  int64_t memory_bytes = 0;                  // RAM x accessMessageInMemoryMaxRatio / 100
  int32_t max_filter_bytes = 16000;          // units scanned per pull: max(this, n x 20)
};

// Fills `out` (cleared first). `queue` is nullptr when the queue does not exist.
void GetMessage(const CommitLog& log, const ConsumeQueue* queue, const GetMessageRequest& request,
                const ReadLimits& limits, GetMessageResult& out);

}  // namespace mqstore
