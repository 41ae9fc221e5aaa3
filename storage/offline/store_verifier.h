// StoreVerifier: checks a store root offline, trusting nothing.
//   commit log:  segment names contiguous and sizes equal; every record
//                decodes with its CRC; PHYSICALOFFSET equals its position;
//                per-queue queue offsets go up by one; blank records fill
//                exactly the bytes left; no segment ends early unless only
//                all-zero (pre-created) segments follow.
//   consume queues: every unit points at a record of its topic/queue whose
//                QUEUEOFFSET, TOTALSIZE and tagsCode match, and every record
//                that takes a queue offset has its unit.
//   index files: header counts in range; every entry points at a record
//                start carrying a key with the entry's hash; every hash
//                slot's chain stays inside the file, runs to older entries
//                and holds only its slot's hashes, and every entry is on
//                one (else no query finds it); every key of every record
//                the files cover (UNIQ_KEY and KEYS tokens, not ROLLBACK)
//                has its entry. Linear in the files; one bit per entry.
//   timer files: every timer-log unit points at its rmq_sys_wheel_timer
//                record (timer_verifier.h); a record cleaned up with its
//                segment is a note, not a problem.
//   every file:  a regular file (a FIFO, socket or device where a segment,
//                the checkpoint, abort or lock should be is reported, never
//                opened).
// Each problem is reported with file and offset; nothing stops the walk.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "storage/io/file_system.h"
#include "storage/store_layout.h"
#include "storage/offline/store_options.h"

namespace mqstore {

struct VerifyProblem {
  std::string file;
  int64_t offset = 0;  // byte offset within `file` (commit log: global offset)
  std::string what;
};

struct VerifyReport {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t blanks = 0;
  uint64_t record_bytes = 0;
  uint64_t consume_queues = 0;
  uint64_t cq_units = 0;
  uint64_t index_files = 0;
  uint64_t index_entries = 0;
  uint64_t index_keys = 0;  // record keys checked against the index files
  uint64_t timer_log_units = 0;
  uint64_t problems = 0;
  uint64_t notes = 0;  // facts worth knowing that are not damage
};

struct VerifyCallbacks {
  std::function<void(const VerifyProblem&)> on_problem;
  std::function<void(const VerifyProblem&)> on_note;
  std::function<void(uint64_t done, uint64_t total)> on_progress;  // commit-log bytes
};

Result<VerifyReport> VerifyStore(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                 const VerifyCallbacks& callbacks);

}  // namespace mqstore
