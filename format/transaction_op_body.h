// The body of a transaction op record (RMQ_SYS_TRANS_OP_HALF_TOPIC, tag
// "d"): which half messages a commit or rollback settled, as ASCII decimal
// queue offsets of RMQ_SYS_TRANS_HALF_TOPIC.
//
//   4.x (one op per decision) ........ "1234"
//   5.1.0+ (TransactionalOpBatchService) "12,13,15,"   (trailing comma)
//
// RocketMQ 5.x reads both by splitting on ',' and ignoring empty tokens; a
// 4.9 broker parses the whole body as one Long, so it cannot read the
// batched form. Each token is Java's Long.parseLong. No I/O here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mqstore/status.h"

namespace mqstore {

// A body longer than this is not one RocketMQ writes (5.x flushes at
// transactionOpMsgMaxSize, 4096 by default; the knob's bound is 1 MiB).
inline constexpr size_t kMaxOpBodyBytes = 4u << 20;

// The half queue offsets the body names, in order (duplicates kept). An
// empty token is skipped as RocketMQ skips it; any other token that is not
// a Java long is Corruption naming the byte and the token. An empty body
// names nothing.
Result<std::vector<int64_t>> ParseOpBody(std::string_view body);

// The 4.x form: the offset alone.
std::string OpBodySingle(int64_t half_queue_offset);
// Appends one offset in the 5.x form ("<offset>,").
void AppendOpBodyOffset(std::string& body, int64_t half_queue_offset);

}  // namespace mqstore
