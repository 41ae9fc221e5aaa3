// mqstore verify ROOT: check everything, report every problem.
#include <chrono>
#include <cstdio>
#include <string>

#include "storage/offline/store_verifier.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/display_text.h"
#include "tools/json_writer.h"
#include "tools/progress.h"

namespace mqstore::cli {
namespace {

const std::string kHelp = std::string(
    "usage: mqstore verify ROOT [--json] [store layout options]\n"
    "\n"
    "Checks every commit-log record (magic, lengths, BODYCRC, PHYSICALOFFSET\n"
    "equal to its position, queue offsets going up by one per queue, blank\n"
    "records filling exactly the bytes left), every consume-queue unit against\n"
    "the record it points to (topic, queue, queue offset, size, tagsCode), every\n"
    "index entry (points at a record start carrying a key with its hash), every\n"
    "index hash slot's chain (inside the file, newer to older, only its slot's\n"
    "hashes; an entry no chain reaches is one no query finds) and every key of\n"
    "every record the index files cover (UNIQ_KEY and KEYS tokens: each needs its\n"
    "entry), and every timer-log unit (decodes; points at the start of an\n"
    "rmq_sys_wheel_timer record of exactly sizePy bytes whose REAL_TOPIC hashes\n"
    "to topicHash; a record already cleaned up from the commit log is a note,\n"
    "not a problem). A FIFO, socket or device where a store file should be is reported\n"
    "as not a regular file and never opened. Prints each problem with file and\n"
    "offset and a final count; exit 1 on any problem. When another process has\n"
    "the store open (its lock is held), says so first on stderr: the end of the\n"
    "log may be a write in flight.\n"
    "\n"
    "  --set timerPrecisionMs=MS, --set mappedFileSizeTimerLog=BYTES: the timer\n"
    "           settings the store was written with (default: --config's, else\n"
    "           1000 ms and the timer-log files' size)\n\n") + kStoreFlagsHelp;

}  // namespace

int RunVerify(const std::vector<std::string>& argv, Io io) {
  StoreCommand cmd;
  int code = 0;
  if (!ParseStoreCommand("verify", argv, {"set"}, {"json"}, kHelp, io, cmd, code)) return code;
  if (Status st = ApplyTimerSetFlags(cmd.args, cmd.config, cmd.options); !st.ok()) {
    io.err << "mqstore verify: " << st.message() << "\n";
    return kExitUsage;
  }
  const bool json = cmd.args.Has("json");
  ProgressBar bar(io.err, "verify");
  VerifyCallbacks cb;
  cb.on_problem = [&](const VerifyProblem& p) {
    if (json)
      io.out << JsonLine().Str("type", "problem").Str("file", p.file).Int("offset", p.offset).Str("problem", p.what).Done()
             << '\n';
    else
      io.out << DisplayText(p.file) << " @" << p.offset << ": " << DisplayText(p.what) << '\n';
  };
  cb.on_note = [&](const VerifyProblem& p) {
    if (json)
      io.out << JsonLine().Str("type", "note").Str("file", p.file).Int("offset", p.offset).Str("note", p.what).Done()
             << '\n';
    else
      io.out << DisplayText(p.file) << " @" << p.offset << ": note: " << DisplayText(p.what) << '\n';
  };
  cb.on_progress = [&](uint64_t done, uint64_t total) { bar.Update(done, total); };
  const auto start = std::chrono::steady_clock::now();
  auto report = VerifyStore(FileSystem::Default(), cmd.paths, cmd.options, cb);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.ok()) {
    io.err << "mqstore verify: " << report.error().message() << "\n";
    return kExitDataProblem;
  }
  const VerifyReport& r = *report;
  if (json) {
    io.out << JsonLine().Str("type", "summary").UInt("segments", r.segments).UInt("records", r.records)
                  .UInt("blanks", r.blanks).UInt("recordBytes", r.record_bytes).UInt("consumeQueues", r.consume_queues)
                  .UInt("cqUnits", r.cq_units).UInt("indexFiles", r.index_files).UInt("indexEntries", r.index_entries)
                  .UInt("indexKeys", r.index_keys).UInt("timerLogUnits", r.timer_log_units).UInt("notes", r.notes)
                  .UInt("problems", r.problems).Int("elapsedMicros", static_cast<int64_t>(secs * 1e6)).Done()
           << '\n';
  } else {
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.2f s, %.0f MB/s", secs, secs > 0 ? r.record_bytes / 1e6 / secs : 0.0);
    io.out << "verified " << r.segments << " segment(s), " << r.records << " records (" << r.record_bytes
           << " bytes), " << r.blanks << " blank(s); " << r.consume_queues << " consume queue(s), " << r.cq_units
           << " units; " << r.index_files << " index file(s), " << r.index_entries << " entries, " << r.index_keys
           << " record keys checked";
    if (r.timer_log_units > 0) io.out << "; " << r.timer_log_units << " timer-log unit(s) checked";
    io.out << " in " << rate
           << "\n" << r.problems << " problem(s)";
    if (r.notes > 0) io.out << ", " << r.notes << " note(s)";
    io.out << "\n";
  }
  return r.problems == 0 ? kExitOk : kExitDataProblem;
}

}  // namespace mqstore::cli
