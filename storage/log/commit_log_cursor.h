// Moved to the public header include/mqstore/commit_log_cursor.h; this
// internal name stays for the code that includes it (with the CommitLog the
// cursor reads).
#pragma once

#include "mqstore/commit_log_cursor.h"
#include "storage/log/commit_log.h"
