// The transactions kind of `mqstore dump` (tools/cmd_dump_transactions.cc).
#pragma once

#include "tools/commands.h"

namespace mqstore::cli {

// `mqstore dump transactions ROOT [--json]`, `cmd` prepared.
int RunDumpTransactions(const StoreCommand& cmd, Io io);

}  // namespace mqstore::cli
