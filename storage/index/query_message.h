// QueryMessage: the records stored under a key (RocketMQ's
// DefaultMessageStore.queryMessage over IndexService.queryOffset): the
// index gives candidate commit-log offsets, the log gives the records, and
// only those whose real keys match are kept (the index holds key hashes, so
// a candidate may be a hash collision).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "format/message_record.h"
#include "mqstore/query_message.h"
#include "storage/index/index_service.h"
#include "storage/log/commit_log.h"

namespace mqstore {

// Records of `topic` stored in [begin, end] whose KEYS token or UNIQ_KEY is
// `key` (hash collisions dropped), at most min(max_num, maxMsgsNumBatch).
QueryMessageResult QueryMessage(const IndexService& index, const CommitLog& log, std::string_view topic,
                                std::string_view key, int32_t max_num, int64_t begin, int64_t end);

// The record is of `topic` and has `key` as its UNIQ_KEY or a KEYS token.
bool KeyMatches(const MessageRecordView& m, std::string_view topic, std::string_view key);

}  // namespace mqstore
