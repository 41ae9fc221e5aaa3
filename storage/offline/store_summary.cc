#include "storage/offline/store_summary.h"

#include "format/sys_flag.h"
#include "storage/offline/commit_log_scanner.h"
#include "storage/offline/consume_queue_reader.h"
#include "storage/offline/index_file_reader.h"

namespace mqstore {
namespace {

void SummarizeCommitLog(FileSystem& fs, const StoreReadOptions& options,
                        const std::function<void(uint64_t, uint64_t)>& on_progress, StoreSummary& out,
                        std::vector<SegmentFile> segments) {
  out.segment_size = options.commit_log_file_size > 0 ? options.commit_log_file_size : InferSegmentSize(segments);
  for (const SegmentFile& s : segments) {
    SegmentSummary seg;
    seg.file = s;
    seg.data_end = s.start_offset;
    out.segments.push_back(std::move(seg));
  }
  if (!segments.empty()) out.min_phy_offset = out.max_phy_offset = segments.front().start_offset;

  ScanOptions scan;
  scan.decode.max_record_size = options.max_record_size;
  CommitLogScanner scanner(fs, std::move(segments), scan);
  ScanEvent ev;
  uint64_t next_progress = 0;
  while (scanner.Next(ev)) {
    if (on_progress && scanner.bytes_scanned() >= next_progress) {
      on_progress(scanner.bytes_scanned(), scanner.total_bytes());
      next_progress = scanner.bytes_scanned() + (64u << 20);
    }
    SegmentSummary& seg = out.segments[static_cast<size_t>(ev.segment - scanner.segments().data())];
    switch (ev.kind) {
      case ScanEventKind::kMessage: {
        ++seg.records;
        ++out.records;
        if (seg.first_record_offset < 0) seg.first_record_offset = ev.offset;
        seg.last_record_offset = ev.offset;
        seg.data_end = ev.offset + ev.size;
        out.max_phy_offset = seg.data_end;
        const MessageRecordView& m = ev.message;
        if (!sysflag::TakesQueueOffset(m.sys_flag)) {
          ++out.transaction_half_or_rollback;
          break;
        }
        QueueLogSummary& q = out.queues[{std::string(m.topic), m.queue_id}];
        ++q.messages;
        if (q.min_queue_offset < 0 || m.queue_offset < q.min_queue_offset) q.min_queue_offset = m.queue_offset;
        if (m.queue_offset > q.max_queue_offset) q.max_queue_offset = m.queue_offset;
        break;
      }
      case ScanEventKind::kBlank:
        seg.tail = SegmentSummary::Tail::kBlank;
        seg.tail_size = ev.size;
        break;
      case ScanEventKind::kEndOfData:
        seg.tail = SegmentSummary::Tail::kZeros;
        seg.tail_size = ev.bytes_left;
        break;
      case ScanEventKind::kError:
        seg.tail = SegmentSummary::Tail::kError;
        seg.error = ev.segment->path + ": " + ev.error.message();
        break;
    }
  }
  if (on_progress) on_progress(scanner.total_bytes(), scanner.total_bytes());
}

void SummarizeConsumeQueues(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                            StoreSummary& out) {
  auto queues = ListConsumeQueues(fs, paths, &out.not_regular);
  if (!queues.ok()) return;
  for (const ConsumeQueueLocation& loc : *queues) {
    ConsumeQueueSummary s{loc.topic, loc.queue_id, loc.segments.size(), 0, 0, {}};
    auto cq = ConsumeQueueReader::Open(fs, loc, options.consume_queue_file_size);
    if (cq.ok()) {
      auto range = cq->ComputeRange(out.min_phy_offset);
      if (range.ok()) {
        s.min_offset = range->min_offset;
        s.max_offset = range->max_offset;
      } else {
        s.error = range.error().message();
      }
    } else {
      s.error = cq.error().message();
    }
    out.consume_queues.push_back(std::move(s));
  }
}

void SummarizeIndexFiles(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                         StoreSummary& out) {
  auto files = ListIndexFiles(fs, paths, &out.not_regular);
  if (!files.ok()) return;
  for (const SegmentFile& f : *files) {
    IndexFileSummary s{f, {}, {}, {}};
    auto index = IndexFileReader::Open(fs, f, options.index_geometry);
    if (index.ok()) {
      s.header = index->header();
      s.geometry = index->geometry();
    } else {
      s.error = index.error().message();
    }
    out.index_files.push_back(std::move(s));
  }
}

}  // namespace

Result<StoreSummary> SummarizeStore(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                    const std::function<void(uint64_t, uint64_t)>& on_progress) {
  auto info = fs.Stat(paths.root);
  if (!info.ok()) return info.error();
  if (!info->is_directory) return Status::InvalidArgument(paths.root + " is not a directory");
  StoreSummary out;
  auto segments = ListSegments(fs, paths.CommitLogDir(), nullptr, &out.not_regular);
  if (!segments.ok()) return segments.error();

  SummarizeCommitLog(fs, options, on_progress, out, std::move(*segments));
  SummarizeConsumeQueues(fs, paths, options, out);
  SummarizeIndexFiles(fs, paths, options, out);
  const std::vector<std::string> odd_root_files = NonRegularRootFiles(fs, paths);
  out.not_regular.insert(out.not_regular.end(), odd_root_files.begin(), odd_root_files.end());
  out.checkpoint_present = fs.Exists(paths.CheckpointFile());
  auto cp = ReadCheckpointFile(fs, paths);
  if (cp.ok()) out.checkpoint = *cp;
  else out.checkpoint_error = cp.error().message();
  out.abort_present = fs.Exists(paths.AbortFile());
  out.lock_present = fs.Exists(paths.LockFile());
  return out;
}

}  // namespace mqstore
