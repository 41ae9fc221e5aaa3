// SettleStore: what `mqstore bench` does to a run's store once the run is
// over (each run of --dedup, the unreplicated run of --replica, and every
// put run before the ceilings measured after it), so that it weighs on
// what comes next neither as writeback nor as page cache. A store shut
// down cleanly has synced what it wrote, but not every page it dirtied:
// the zero pages prefaulted beyond its last record (a segment's unwritten
// tail, the next segment made ahead) are left for the kernel's flusher, a
// few hundred MB after a million puts, whose writeback would then run
// during the next run. And the run's files fill
// the page cache, so the next run would find less memory free than this
// one did. Every regular file under the root is synced (fdatasync) and its
// pages dropped from the page cache (POSIX_FADV_DONTNEED): the next run
// starts with nothing of this one dirty or cached. The files stay.
// kSyncOnly leaves the pages cached: the ceilings measured after a put run
// then find as much memory taken as the run itself did.
#pragma once

#include <string>

#include "mqstore/status.h"

namespace mqstore::cli::bench {

enum class Settle { kSyncAndDrop, kSyncOnly };

Status SettleStore(const std::string& root, Settle how = Settle::kSyncAndDrop);

}  // namespace mqstore::cli::bench
