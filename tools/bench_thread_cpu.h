// Where a bench run's CPU went, by thread. On a machine of few cores the
// producers share them with the engine's own threads (dispatch, the
// allocator's page faults, flushes, io_uring's workers), and a rate read
// against a ceiling means little without knowing how much of the machine
// the producers had. A sample reads each thread's CPU time from
// /proc/self/task/<tid>/stat (utime + stime, clock ticks: 10 ms
// resolution, enough for runs of seconds) and the whole process's from
// getrusage (threads that ended during the run included). Two samples
// give the cores each kind of thread used between them, threads grouped by
// name with a trailing number dropped ("iou-wrk-1234" -> "iou-wrk").
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mqstore::cli::bench {

// One thread's /proc/self/task/<tid>/stat: its name (between the first '('
// and the last ')': a name may hold either, and spaces) and the fields after
// it, fields[0] being field 3 (the state), fields[16] field 19 (nice).
struct ThreadStat {
  pid_t tid = 0;
  std::string name;
  std::vector<std::string> fields;
};

// nullopt when `line` is not a stat line (no name in parentheses).
std::optional<ThreadStat> ParseStatLine(std::string_view line);
// Every thread of this process; nullopt when /proc/self/task cannot be read.
// A thread that ends while it is read is left out.
std::optional<std::vector<ThreadStat>> ReadThreadStats();

struct ThreadCpuSample {
  std::map<pid_t, std::pair<std::string, double>> threads;  // tid -> (name, CPU seconds)
  double process_seconds = 0;                                // user + system, every thread ever run
};

ThreadCpuSample SampleThreadCpu();

// "iou-wrk-1234" -> "iou-wrk", "mq-flush" -> "mq-flush", "worker7" -> "worker".
std::string ThreadGroupName(std::string_view name);

// The CPU seconds in a /proc/<pid>/task/<tid>/stat line (utime + stime, at
// `ticks_per_second`), or a negative value when the line is not one.
double StatLineCpuSeconds(std::string_view line, double ticks_per_second);

struct CoresUsed {
  std::string name;  // a thread group, "process", or "ended" (threads gone by `after`)
  double cores = 0;  // CPU seconds / wall seconds
};

// The process first, then each group by cores used (most first), then
// "ended": the process's CPU no thread alive at `after` accounts for.
// `ended_known`: CPU seconds of threads that ended before `after` but
// measured their own (CLOCK_THREAD_CPUTIME_ID), as groups of their own.
std::vector<CoresUsed> CoresBetween(const ThreadCpuSample& before, const ThreadCpuSample& after, double wall_seconds,
                                    const std::vector<std::pair<std::string, double>>& ended_known = {});

}  // namespace mqstore::cli::bench
