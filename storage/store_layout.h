// Where things live under a store root (StorePathConfigHelper), and listings
// of the segment files found there:
//
//   <root>/commitlog/<20 digits>
//   <root>/consumequeue/<topic>/<queueId>/<20 digits>
//   <root>/index/<yyyyMMddHHmmssSSS>
//   <root>/checkpoint, <root>/abort, <root>/lock
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/checkpoint_format.h"
#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore {

struct StorePaths {
  std::string root;
  // Where storePathCommitLog moved the commit log; empty: <root>/commitlog.
  std::string commit_log_dir = {};

  std::string CommitLogDir() const { return commit_log_dir.empty() ? JoinPath(root, "commitlog") : commit_log_dir; }
  std::string ConsumeQueueDir() const { return JoinPath(root, "consumequeue"); }
  std::string IndexDir() const { return JoinPath(root, "index"); }
  std::string CheckpointFile() const { return JoinPath(root, "checkpoint"); }
  std::string AbortFile() const { return JoinPath(root, "abort"); }
  std::string LockFile() const { return JoinPath(root, "lock"); }
};

// One segment file of a segmented queue.
struct SegmentFile {
  std::string path;
  std::string name;
  int64_t start_offset = 0;
  uint64_t size = 0;
  int64_t mtime_ms = 0;
};

// The files of `dir` named by a 20-digit offset, sorted by offset. Other
// names are returned in `ignored` (if given) so callers can report them.
// Entries that are not regular files (a FIFO, socket, device or directory)
// are never listed as segments, whatever their name: their paths go to
// `not_regular` when given, else their names to `ignored`.
// A missing directory is an empty list.
Result<std::vector<SegmentFile>> ListSegments(FileSystem& fs, const std::string& dir,
                                              std::vector<std::string>* ignored = nullptr,
                                              std::vector<std::string>* not_regular = nullptr);

struct ConsumeQueueLocation {
  std::string topic;
  int32_t queue_id = 0;
  std::string dir;
  std::vector<SegmentFile> segments;
};

// Every <topic>/<queueId> under consumequeue/, sorted by topic then queue id.
// Children whose names are not integers are skipped, as RocketMQ does.
// Queue files that are not regular files: as ListSegments.
Result<std::vector<ConsumeQueueLocation>> ListConsumeQueues(FileSystem& fs, const StorePaths& paths,
                                                            std::vector<std::string>* not_regular = nullptr);

// Index files sorted by name (= creation time); entries that are not regular
// files are left out, their paths added to `not_regular` if given.
Result<std::vector<SegmentFile>> ListIndexFiles(FileSystem& fs, const StorePaths& paths,
                                                std::vector<std::string>* not_regular = nullptr);

// The root's single files (checkpoint, abort, lock) that exist but are not
// regular files: a reader would block on a FIFO, and none is store data.
std::vector<std::string> NonRegularRootFiles(FileSystem& fs, const StorePaths& paths);

// The checkpoint file decoded; a missing file reads as all zeros.
Result<Checkpoint> ReadCheckpointFile(FileSystem& fs, const StorePaths& paths);

// The segment file size of a list: the size most of its files have
// (RocketMQ creates every segment at full size, so one truncated or
// overlong file is the odd one out, whichever it is); a tie goes to the
// size the names are spaced by, else to the largest. With no sizes, the
// spacing of the names; 0 when nothing tells.
int64_t InferSegmentSize(const std::vector<SegmentFile>& segments);

}  // namespace mqstore
