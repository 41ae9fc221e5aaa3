// IndexService: the store's IndexFiles (one IndexFile each: index_file.h),
// written by the dispatcher (it is a dispatch sink) and queried by any
// thread (RocketMQ's IndexService; QueryMessage, query_message.h, reads the
// records the offsets name).
//
//   index/<yyyyMMddHHmmssSSS>   (local time of creation)
//   [ header 40 ][ slots maxHashSlotNum x 4 ][ entries maxIndexNum x 20 ]
//   (byte layout and insert/select algorithms: format/index_file_format.h)
//
// Each dispatched record is indexed under topic#UNIQ_KEY and topic#token for
// every KEYS token (not ROLLBACK records). The last file takes keys until it
// holds maxIndexNum - 1 entries; then a new file is created, its header
// seeded with the previous file's end, and the full file waits for
// FlushFullFiles(), which syncs it and reports its endTimestamp (the
// checkpoint's indexMsgTimestamp).
//
// One difference from RocketMQ, on purpose: a record at exactly the last
// file's endPhyOffset gets only the keys it does not have yet, so
// re-dispatch after a crash never duplicates entries nor loses the keys of
// a record that straddled two files.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format/index_file_format.h"
#include "storage/dispatch/dispatch_request.h"
#include "storage/dispatch/dispatch_sink.h"
#include "storage/index/index_file.h"
#include "storage/io/env.h"
#include "storage/io/file_system.h"
#include "storage/log/prefaulter.h"
#include "storage/log/segment_list.h"
#include "mqstore/stats.h"  // IndexStats

namespace mqstore {

struct IndexServiceOptions {
  std::string dir;  // <root>/index
  IndexGeometry geometry;  // maxHashSlotNum, maxIndexNum
  int32_t max_msgs_num_batch = 64;  // cap on offsets per query
  Prefaulter* prefaulter = nullptr;  // faults entries in ahead of the writer; nullptr: the writer does
};

// A dispatch sink: the dispatcher hands it every record (the index builder).
class IndexService final : public DispatchSink {
 public:
  // Files through env.fs(); new files are named by env.clock()'s wall time.
  IndexService(const Env& env, IndexServiceOptions options);
  ~IndexService();
  IndexService(const IndexService&) = delete;
  IndexService& operator=(const IndexService&) = delete;

  // Maps the files of the directory (IndexService.load). After an abnormal
  // exit (`last_exit_ok` false) only complete files are kept: oldest first,
  // each full (so it was synced before its successor took a key) with an
  // endTimestamp at or before `index_msg_timestamp` (the checkpoint's
  // indexMsgTimestamp: the last full file known synced). The first file
  // that is not, that does not open, and every file after it are deleted:
  // their pages may be torn, and a kept file after a gap would hide the
  // gap from re-dispatch (IndexedUpTo looks only at the newest).
  Status Load(bool last_exit_ok, int64_t index_msg_timestamp);
  // Removes what points at or past `phy_end` (the recovered commit-log
  // end, or the first range recovery skipped: dispatch rebuilds from it): files whose beginPhyOffset is >= phy_end are deleted, and the
  // newest entries of the last file are unlinked from their chains while
  // their offset is >= phy_end.
  Status TruncateDirty(int64_t phy_end);
  // Records at or below this commit-log offset are already indexed (the
  // last file's endPhyOffset); -1 when nothing is. Re-dispatch from here
  // makes the index complete.
  int64_t IndexedUpTo() const;
  // The record at IndexedUpTo() surely has all its keys here: the newest
  // file holding entries has room left (a record's keys go on into the
  // next file only when one is full). When false, re-dispatch must start
  // AT that record, not after it: its other keys may have been in a newer
  // file that is lost (deleted, or dropped by Load after a crash).
  bool LastRecordComplete() const;

  // IndexService.buildIndex for one record.
  Status BuildIndex(const DispatchRequest& request);
  // The same for a run of records in log order, the dispatcher's way: every
  // key is hashed first and its slot fetched into the cache then, the
  // batch's length before it is written (a slot is 4 random bytes of a
  // 20 MB table), and the lock is taken once per file used.
  // `taken`: the records whose keys all went in.
  Status BuildIndex(std::span<const DispatchRequest> batch, size_t& taken);
  // The index builder as a dispatch sink: BuildIndex.
  Status Dispatch(const DispatchRequest& request) override { return BuildIndex(request); }
  Status DispatchBatch(std::span<const DispatchRequest> batch, size_t& taken) override {
    return BuildIndex(batch, taken);
  }

  // Candidate commit-log offsets of topic#key stored in [begin, end], newest
  // file first, at most min(max_num, max_msgs_num_batch), sorted ascending.
  // Hash collisions included: the caller checks the records' keys.
  std::vector<int64_t> QueryOffsets(std::string_view topic, std::string_view key, size_t max_num,
                                    int64_t begin, int64_t end) const;

  // Syncs every full file not yet synced, then calls `on_full_file_synced`
  // with the newest such file's endTimestamp (0 calls when none).
  Status FlushFullFiles(const std::function<void(int64_t end_timestamp)>& on_full_file_synced);
  // Syncs every file (shutdown).
  Status FlushAll();
  // Deletes the next file if it was made ahead of need and not taken, so a
  // clean stop leaves only files in use, as RocketMQ's. No writer running.
  Status RemoveSpare();

  // Cleanup (IndexService.deleteExpiredFile): deletes the files, oldest
  // first and never the last, whose endPhyOffset is below
  // `commit_log_min_offset`; they index only records cleanup removed. The
  // spare made ahead is not among them. Returns how many went.
  Result<size_t> DeleteFilesBelow(int64_t commit_log_min_offset);

  IndexStats Stats() const;

 private:
  using Files = std::span<const std::shared_ptr<IndexFile>>;  // a look at the list (SegmentList::Read)
  struct SyncTarget;  // a file to sync outside the lock, and its state then

  // The last file if it has room, else a new one seeded from its end.
  Result<IndexFile*> LastWritableFile();
  int CountEntries(int32_t key_hash, int64_t phy_offset) const;
  Result<std::shared_ptr<IndexFile>> CreateFile(const std::string& last_name, const IndexHeader& seed);
  // The next file made ahead of need on the prefaulter's thread (named,
  // sized, its slots faulted in: ~70 ms of page zeroing for the default
  // geometry), asked for at open and when the last file is half full, and
  // seeded when the writer takes it. Writer thread.
  struct Spare;
  void PrepareSpare();
  // The spare, seeded; nullptr when there is none (the writer makes one).
  std::shared_ptr<IndexFile> TakeSpare(const IndexHeader& seed);
  // The spare once no job is making it, moved out; nullptr when none.
  std::shared_ptr<IndexFile> WaitForSpare();
  // A spare left by the last run: the newest file, empty and unseeded,
  // after another one. Removed: it would be taken without its seed.
  Status RemoveUnusedSpare();

  // A free name after `last_name`, from the wall clock (bumped a millisecond at a time).
  // `own_name` counts as free (a spare being renamed).
  Result<std::string> NewFileName(const std::string& last_name, const std::string& own_name = {}) const;
  Result<std::vector<std::string>> ListFileNames() const;
  std::string LastFileName() const;  // "" when there is no file
  struct PendingKey {
    int32_t hash;
    uint32_t request;  // index into the batch
  };
  // The keys of `batch` not indexed yet, into pending_.
  void CollectKeys(std::span<const DispatchRequest> batch);
  Status PutKeys(std::span<const DispatchRequest> batch, size_t& taken);
  int64_t IndexedUpToLocked() const;  // mu_ held
  // Unmaps and unlinks the newest file, saying why in the log; mu_ held
  // exclusively.
  Status RemoveLastFile(const std::string& why);
  // After an abnormal exit: keeps the complete files (Load), mu_ held exclusively.
  Status KeepCompleteFiles(int64_t index_msg_timestamp);
  // Full unsynced files, or all. Synced with mu_ released, so the writer is
  // not held up by fdatasync.
  std::vector<SyncTarget> FilesToSync(bool full_only) const;
  Status SyncFiles(const std::vector<SyncTarget>& targets, bool mark_synced);

  FileSystem& fs_;
  Clock& clock_;
  IndexServiceOptions options_;
  // Guards the files' headers and bytes, and orders changes to files_ with
  // them: always taken before the list's own lock, never after it. Readers
  // hold it shared while they walk the mappings.
  mutable std::shared_mutex mu_;
  // Oldest first. shared_ptr: a sync outside mu_ keeps its file alive.
  SegmentList<IndexFile> files_;
  uint64_t keys_added_ = 0;
  std::vector<PendingKey> pending_;  // the writer's, reused batch to batch
  std::shared_ptr<Spare> spare_;      // shared with its job, which may outlive this
  const IndexFile* spare_asked_after_ = nullptr;  // the file whose successor was asked for (writer only)
};

}  // namespace mqstore
