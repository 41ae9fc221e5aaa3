// MessageStore is public: include/mqstore/message_store.h. This internal
// header adds the definitions of the parts it holds, for the code that
// reaches them (message_store.cc; tests, the bench and the CLI through
// commit_log(), consume_queues() and cleanup()).
#pragma once

#include "mqstore/message_store.h"
#include "storage/cleanup/cleanup_service.h"
#include "storage/dedup/duplicate_filter.h"
#include "storage/dispatch/dispatcher.h"
#include "storage/ha/ha_client.h"
#include "storage/ha/ha_service.h"
#include "storage/ha/replica_waiter.h"
#include "storage/index/index_service.h"
#include "storage/index/query_message.h"
#include "storage/io/env.h"
#include "storage/io/file_system.h"
#include "storage/log/commit_log.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/log/flush_service.h"
#include "storage/log/prefaulter.h"
#include "storage/log/store_checkpoint.h"
#include "storage/queue/consume_queue_flush_service.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/queue/get_message.h"
#include "storage/store_config.h"
#include "storage/store_layout.h"
#include "storage/timer/timer_message_store.h"
#include "storage/timer/schedule_message_service.h"
#include "storage/transaction/transaction_service.h"

namespace mqstore {
// WAIT=false among a message's properties (PROPERTY_WAIT_STORE_MSG_OK):
// the producer does not wait for the flush nor the slave.
bool PropertiesSayNoWait(std::string_view properties);
}  // namespace mqstore
