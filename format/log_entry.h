// What lies at one position of a commit-log file: the one rule that
// recovery, the readers, the dispatcher and `verify` share.
//
//   kRecord     a message record that decodes (DecodeRecord: lengths add up
//               to TOTALSIZE, BODYCRC matches when asked) and whose
//               PHYSICALOFFSET is its own position. Its property bytes are
//               not judged: a NUL inside a property value is a record.
//   kBlank      the end-of-file blank record
//   kEndOfData  TOTALSIZE reads 0: nothing was ever written here
//   kDamaged    anything else; `why` says what (decode error, or a record
//               whose PHYSICALOFFSET names another position: stale bytes)
//
// Recovery also needs to know whether anything valid follows a damaged
// position (a torn tail has nothing after it); FindNextEntry looks.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "format/message_record.h"

namespace mqstore {

enum class LogEntryKind : uint8_t { kRecord, kBlank, kEndOfData, kDamaged };

struct LogEntry {
  LogEntryKind kind = LogEntryKind::kEndOfData;
  int32_t size = 0;            // kRecord, kBlank: TOTALSIZE
  MessageRecordView message;   // kRecord
  std::optional<DecodeError> error;  // kDamaged by a decode error (offset relative to the position)
  int64_t stale_offset = -1;   // kDamaged by a PHYSICALOFFSET that is not the position

  // kDamaged: what is wrong, e.g. "BODYCRC mismatch at offset 8 (...)".
  std::string Why() const;
};

// A record whose last byte is zero. Writers end a record with a non-zero
// byte (the 0x02 after every property pair, or the topic's last character),
// so such a record was most likely torn by a crash inside its topic or
// properties, which BODYCRC does not cover. It is still a record; recovery
// cuts it only where a torn tail may be cut (the last record after a crash,
// stored after the checkpoint's flush time).
bool EndsLikeATornWrite(const MessageRecordView& record);

// The entry at the start of `rest`, which is the bytes of a file from global
// commit-log offset `offset` to the file's end.
LogEntry ReadLogEntry(std::span<const uint8_t> rest, int64_t offset, const RecordDecodeOptions& options);

// The first position p in [from, to) where ReadLogEntry finds a kRecord,
// or a kBlank whose TOTALSIZE is exactly the bytes left (so written by a
// writer, not a chance match); nullopt when there is none. `file` is a
// whole file whose first byte is global offset `file_start` (an entry found
// may run past `to`). Linear: runs of zeros are skipped eight bytes at a
// time and a position is decoded only when its MAGICCODE is a known one.
// Zeros are looked at only up to to + 7 (the last candidate's MAGICCODE), so
// a window over a mapped, mostly unwritten file faults in only its pages.
std::optional<int64_t> FindNextEntry(std::span<const uint8_t> file, int64_t file_start, int64_t from, int64_t to,
                                     const RecordDecodeOptions& options);

// The position of the first non-zero byte of `bytes`, or nullopt.
std::optional<size_t> FirstNonZero(std::span<const uint8_t> bytes);

}  // namespace mqstore
