// The timer log checked against the commit log (part of StoreVerifier):
// every unit decodes (else a problem at its timerlog file and offset) and
// points at the start of a record of topic rmq_sys_wheel_timer of exactly
// sizePy bytes whose REAL_TOPIC has the Java String.hashCode topicHash.
// A unit whose record lies below the commit log's first offset was cleaned
// up with its segment: a note, not damage (RocketMQ drops such a timer when
// its slot fires). Also: the wheel's size, timercheck's length, and files
// in timerlog/ that are not 20-digit regular files.
#pragma once

#include <cstdint>
#include <functional>

#include "storage/io/file_system.h"
#include "storage/offline/commit_log_reader.h"
#include "storage/offline/store_options.h"
#include "storage/offline/store_verifier.h"
#include "storage/store_layout.h"

namespace mqstore {

struct TimerVerifyCounts {
  uint64_t units = 0;
  uint64_t fillers = 0;
};

using VerifyReportFn = std::function<void(const VerifyProblem&)>;

// Reports through `problem` and `note`; fails only when a file cannot be
// listed or mapped.
Result<TimerVerifyCounts> VerifyTimerFiles(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                           CommitLogReader& log, const VerifyReportFn& problem,
                                           const VerifyReportFn& note);

}  // namespace mqstore
