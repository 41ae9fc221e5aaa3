// The mqstore command line: one binary, one subcommand per job.
//
// Exit codes: 0 success, 1 the data has problems, 2 usage error.
#pragma once

#include <ostream>

namespace mqstore::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDataProblem = 1;
inline constexpr int kExitUsage = 2;

// Runs `mqstore <argv...>` writing to `out` / `err`; returns the exit code.
int Run(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace mqstore::cli
