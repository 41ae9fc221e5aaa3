// The encoding side of a put: the record fields a Message becomes. The
// producer's types (Message, PutStatus, PutResult, PutCallback) are public:
// include/mqstore/message.h.
#pragma once

#include "format/message_record.h"
#include "mqstore/message.h"

namespace mqstore {

// The record fields of a message as the store encodes them (it patches
// offsets and store time in later). `auto_version`: v2 for topics over 127
// bytes (autoMessageVersionOnTopicLen), else always v1.
MessageRecordFields RecordFieldsOf(const Message& m, bool auto_version = true);

}  // namespace mqstore
