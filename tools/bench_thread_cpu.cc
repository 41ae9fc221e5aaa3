#include "tools/bench_thread_cpu.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mqstore::cli::bench {
namespace {

// utime and stime: fields 14 and 15.
constexpr size_t kUtimeField = 14 - 3, kStimeField = 15 - 3;

double ProcessCpuSeconds() {
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  const auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// utime + stime of a parsed stat line, in seconds; negative when either is
// missing or not a number.
double CpuSecondsOf(const ThreadStat& t, double ticks_per_second) {
  if (t.fields.size() <= kStimeField || ticks_per_second <= 0) return -1;
  double ticks = 0;
  for (const size_t i : {kUtimeField, kStimeField}) {
    const std::string& field = t.fields[i];
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), n);
    if (ec != std::errc() || end != field.data() + field.size()) return -1;
    ticks += static_cast<double>(n);
  }
  return ticks / ticks_per_second;
}

}  // namespace

std::optional<ThreadStat> ParseStatLine(std::string_view line) {
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ThreadStat t;
  std::from_chars(line.data(), line.data() + open, t.tid);  // "<tid> (": 0 if not a number
  t.name = std::string(line.substr(open + 1, close - open - 1));
  std::istringstream fields{std::string(line.substr(close + 1))};
  for (std::string field; fields >> field;) t.fields.push_back(std::move(field));
  return t;
}

std::optional<std::vector<ThreadStat>> ReadThreadStats() {
  std::error_code ec;
  std::vector<ThreadStat> threads;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "stat");
    const std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto t = ParseStatLine(line)) threads.push_back(std::move(*t));  // no file: it just ended
  }
  if (ec) return std::nullopt;
  return threads;
}

double StatLineCpuSeconds(std::string_view line, double ticks_per_second) {
  const auto t = ParseStatLine(line);
  return t ? CpuSecondsOf(*t, ticks_per_second) : -1;
}

std::string ThreadGroupName(std::string_view name) {
  const auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  size_t end = name.size();
  while (end > 0 && is_digit(name[end - 1])) --end;
  if (end == 0 || end == name.size()) return std::string(name);  // all digits, or no number
  while (end > 1 && (name[end - 1] == '-' || name[end - 1] == '_')) --end;
  return std::string(name.substr(0, end));
}

ThreadCpuSample SampleThreadCpu() {
  ThreadCpuSample s;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (const ThreadStat& t : ReadThreadStats().value_or(std::vector<ThreadStat>{})) {
    const double cpu = CpuSecondsOf(t, ticks);
    if (cpu >= 0) s.threads[t.tid] = {t.name, cpu};
  }
  s.process_seconds = ProcessCpuSeconds();
  return s;
}

std::vector<CoresUsed> CoresBetween(const ThreadCpuSample& before, const ThreadCpuSample& after, double wall_seconds,
                                    const std::vector<std::pair<std::string, double>>& ended_known) {
  std::vector<CoresUsed> out;
  if (wall_seconds <= 0) return out;
  std::map<std::string, double> by_group;
  double accounted = 0;
  for (const auto& [tid, thread] : after.threads) {
    const auto was = before.threads.find(tid);
    // A tid seen before under the same name is taken for that thread;
    // otherwise it started during the run and all its CPU is the run's.
    const double earlier = was != before.threads.end() && was->second.first == thread.first ? was->second.second : 0;
    const double used = std::max(0.0, thread.second - earlier);
    by_group[ThreadGroupName(thread.first)] += used;
    accounted += used;
  }
  for (const auto& [name, secs] : ended_known) {
    by_group[name] += secs;
    accounted += secs;
  }
  const double process = std::max(0.0, after.process_seconds - before.process_seconds);
  out.push_back({"process", process / wall_seconds});
  std::vector<CoresUsed> groups;
  for (const auto& [name, secs] : by_group)
    if (secs > 0) groups.push_back({name, secs / wall_seconds});
  std::sort(groups.begin(), groups.end(), [](const CoresUsed& a, const CoresUsed& b) { return a.cores > b.cores; });
  out.insert(out.end(), groups.begin(), groups.end());
  // Ticks and getrusage round differently: a few ticks' difference is not an ended thread.
  if (process - accounted > 0.02 * wall_seconds) out.push_back({"ended", (process - accounted) / wall_seconds});
  return out;
}

}  // namespace mqstore::cli::bench
