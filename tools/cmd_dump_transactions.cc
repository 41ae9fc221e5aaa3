// mqstore dump transactions ROOT: every half message of
// RMQ_SYS_TRANS_HALF_TOPIC and the state of its transaction
// (storage/offline/transaction_reader.h). Reads only.
#include <string>

#include "storage/offline/transaction_reader.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/display_text.h"
#include "tools/dump_transactions.h"
#include "tools/json_writer.h"
#include "tools/table.h"

namespace mqstore::cli {

int RunDumpTransactions(const StoreCommand& cmd, Io io) {
  auto summary = ReadTransactions(FileSystem::Default(), cmd.paths, cmd.options);
  if (!summary.ok()) {
    io.err << "mqstore dump transactions: " << DisplayText(summary.error().message()) << "\n";
    return kExitDataProblem;
  }
  const TransactionSummary& s = *summary;
  const bool json = cmd.args.Has("json");
  Table table({"HALF_OFFSET", "QUEUE_OFFSET", "REAL_TOPIC", "QUEUE", "UNIQ_KEY", "CHECKS", "STATE", "LATEST"});
  size_t by_state[4] = {0, 0, 0, 0};
  for (const HalfRecordInfo& h : s.halves) {
    if (h.latest) ++by_state[static_cast<int>(h.state)];
    if (json) {
      JsonLine line;
      line.Int("halfOffset", h.half_offset).Int("queueOffset", h.queue_offset).Str("realTopic", h.real_topic)
          .Int("realQueueId", h.real_queue_id).Str("uniqKey", h.uniq_key).Int("checks", h.checks)
          .Str("state", TransactionStateName(h.state)).Bool("latest", h.latest);
      if (h.committed_offset >= 0) line.Int("committedOffset", h.committed_offset);
      io.out << line.Done() << '\n';
    } else {
      table.AddRow({std::to_string(h.half_offset), std::to_string(h.queue_offset), DisplayText(h.real_topic),
                    std::to_string(h.real_queue_id), DisplayText(h.uniq_key), std::to_string(h.checks),
                    TransactionStateName(h.state), h.latest ? "yes" : "no (checked again later)"});
    }
  }
  for (const std::string& p : s.problems) io.err << "mqstore dump transactions: " << DisplayText(p) << "\n";
  if (!json) {
    table.Print(io.out);
    auto progress = [](const std::optional<int64_t>& o) { return o ? std::to_string(*o) : std::string("none"); };
    io.out << s.halves.size() << " half record(s): transactions " << by_state[0] << " pending, " << by_state[1]
           << " committed, " << by_state[2] << " rolled back, " << by_state[3] << " discarded; " << s.op_records
           << " op record(s); check progress (CID_RMQ_SYS_TRANS) half " << progress(s.half_progress) << ", op "
           << progress(s.op_progress) << "\n";
  }
  return s.problems.empty() ? kExitOk : kExitDataProblem;
}

}  // namespace mqstore::cli
