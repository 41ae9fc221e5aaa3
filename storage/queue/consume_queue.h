// ConsumeQueue: the units of one <topic>/<queueId> (RocketMQ's ConsumeQueue), written by the
// dispatcher only and read by any thread.
//
//   consumequeue/<topic>/<queueId>/<20-digit CQ byte offset>   file_size bytes each
//   unit n (queue offset n) at CQ byte n*20:  | phyOffset i64 | size i32 | tagsCode i64 |
//
// Files are Segments (segment.h) mapped shared and writable; a unit is a
// 20-byte memcpy into the mapping. One writer (the dispatcher's thread);
// readers see only units below MaxOffset(), which is published after the
// bytes are in place, so a reader never sees a half-written unit.
//
// Next to the units the queue keeps a TagBitmapIndex (tag_bitmap_index.h):
// the queue offsets of each tagsCode, so a filtered pull can jump to the
// next match instead of scanning units.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "format/consume_queue_unit.h"
#include "storage/io/file_system.h"
#include "storage/log/prefaulter.h"
#include "storage/log/segment.h"
#include "storage/log/segment_list.h"
#include "storage/queue/tag_bitmap_index.h"

namespace mqstore {

struct ConsumeQueueOptions {
  std::string dir;  // .../consumequeue/<topic>/<queueId>
  std::string topic;
  int32_t queue_id = 0;
  int64_t file_size = kDefaultCqFileSize;  // a multiple of 20
  size_t max_tags_tracked = 64;            // TagBitmapIndex bound
  Prefaulter* prefaulter = nullptr;        // faults files in ahead of the writer; nullptr: the writer does
};

class ConsumeQueue {
 public:
  ConsumeQueue(FileSystem& fs, ConsumeQueueOptions options);
  ConsumeQueue(const ConsumeQueue&) = delete;
  ConsumeQueue& operator=(const ConsumeQueue&) = delete;

  const std::string& topic() const { return options_.topic; }
  int32_t queue_id() const { return options_.queue_id; }
  const ConsumeQueueOptions& options() const { return options_; }

  // Maps the files of the directory (each must be file_size bytes; other
  // names are ignored). A missing directory is an empty queue. Nothing is
  // readable until Recover() finds where the units end.
  Status Load();
  // ConsumeQueue.recover: scans units from the third-last file on up to the
  // first invalid one; the rest of that file is zeroed (only when it is not
  // zero already) and later files are deleted. Sets MaxOffset,
  // MaxPhysicOffset, the flushed positions, MinOffset (the first file's
  // start, past any leading blank pads) and rebuilds the tag index.
  Status Recover();
  // truncateDirtyLogicFiles: drops every unit whose commit-log offset is >=
  // `phy_end` (files whose first unit is, or that hold no unit, then units
  // at the end of the last file), zeroing what it cuts (an improvement on
  // RocketMQ, which only moves positions and lets a later crash resurrect
  // the units). Rebuilds the tag index when it cut something.
  Status TruncateDirty(int64_t phy_end);
  // Drops the units from queue offset `queue_offset` on (zeroing them, as
  // TruncateDirty): a queue whose units there disagree with the log is cut
  // so that dispatch can write them again. No-op at or past MaxOffset.
  Status TruncateTo(int64_t queue_offset);
  // correctMinOffset (5.x rules): MinOffset becomes the first unit whose
  // commit-log offset is >= `commit_log_min_offset`, or MaxOffset when the
  // last unit points below it.
  void CorrectMinOffset(int64_t commit_log_min_offset);
  // Rebuilds the tag bitmaps from the units in [MinOffset, MaxOffset).
  void RebuildTagIndex();

  // ConsumeQueue.putMessagePositionInfo: writes the unit for queue offset
  // `cq_offset`. Already present (phy_offset + size <= MaxPhysicOffset, or
  // the unit's slot is below the write position) is OK and writes nothing.
  // The first unit of a queue created mid-stream pads its file with blank
  // units and sets MinOffset. A gap is not padded (logged, as RocketMQ).
  // `log_min_offset`: the commit log's min offset now, when known. With it,
  // a unit that arrives past a gap when every unit of the queue points
  // below the log's start (the dispatcher skipped records cleanup deleted
  // before it got to them) restarts the queue at its queue offset instead
  // of being appended out of place, as RocketMQ does ("logic queue order
  // maybe wrong").
  Status PutUnit(int64_t phy_offset, int32_t size, int64_t tags_code, int64_t cq_offset,
                 int64_t store_timestamp, std::optional<int64_t> log_min_offset = std::nullopt);
  // The same for a run of this queue's units in order, published together
  // (one tag-index lock). `taken`: how many went in (or were already there).
  struct UnitPut {
    int64_t phy_offset;
    int32_t size;
    int64_t tags_code;
    int64_t cq_offset;
    int64_t store_timestamp;
  };
  Status PutUnits(std::span<const UnitPut> units, size_t& taken,
                  std::optional<int64_t> log_min_offset = std::nullopt);

  int64_t MinOffset() const;          // minLogicOffset / 20
  int64_t MaxOffset() const;          // one past the last unit
  int64_t MaxPhysicOffset() const;    // end of the last unit's record; -1 when none (blank pads count as none)
  int64_t last_store_timestamp() const { return last_store_timestamp_.load(std::memory_order_acquire); }

  // The unit at a queue offset in [MinOffset, MaxOffset); nullopt otherwise.
  std::optional<ConsumeQueueUnit> GetUnit(int64_t queue_offset) const;
  // Units from `queue_offset` to the end of what is readable in that file,
  // pinned while the view lives. nullopt when the offset is outside
  // [MinOffset, MaxOffset) or its file is gone (OFFSET_FOUND_NULL).
  struct UnitsView {
    std::shared_ptr<Segment> pin;
    std::span<const uint8_t> bytes;  // whole units
    int64_t first_queue_offset = 0;
    size_t count() const { return bytes.size() / kCqUnitSize; }
    ConsumeQueueUnit unit(size_t i) const;
  };
  std::optional<UnitsView> ReadUnits(int64_t queue_offset) const;
  // Queue offset of the first unit at or after `from` whose tagsCode is
  // `tags_code`, below `limit`; nullopt when there is none. Unknown when the
  // tag is not tracked: the caller scans.
  TagBitmapIndex::Lookup NextWithTag(int64_t tags_code, int64_t from, int64_t limit) const {
    return tags_.NextWithTag(tags_code, from, limit);
  }
  const TagBitmapIndex& tag_index() const { return tags_; }
  // Start of the next CQ file, in queue offsets, after the one holding
  // `queue_offset` (nextBeginOffset for OFFSET_FOUND_NULL).
  int64_t RollNextFile(int64_t queue_offset) const;

  // fdatasyncs every file with at least `least_pages` 4 KiB pages written
  // and not yet synced (0: every file with anything unsynced). Returns true
  // when, afterwards, every unit written is durable.
  Result<bool> Flush(int least_pages);
  // Deletes every file (the log is empty, or an operator rebuild).
  Status Destroy();
  size_t file_count() const;
  // Cleanup (deleteExpiredFileByOffset): oldest first and never the last,
  // deletes each file whose last unit points below `commit_log_min_offset`
  // (the log's start after its own cleanup), up to the first that does
  // not. MinOffset moves to the new first file if it was before it. The
  // files are unlinked and handed back: readers may still hold them.
  Result<std::vector<std::shared_ptr<Segment>>> DeleteFilesBelow(int64_t commit_log_min_offset);

 private:
  Status NewFile(int64_t start, std::shared_ptr<Segment>& out);
  // Writes one unit (PutUnit's rules); its tag waits in unpublished_.
  Status WriteUnit(const UnitPut& u, std::optional<int64_t> log_min_offset);
  // Blank units up to `expect` (queue offsets with no record left).
  Status PadGap(int64_t expect, Segment*& seg);
  // For a unit a re-dispatch brings again: rewrites the copy in the file if
  // it is torn or disagrees with the record (see the definition);
  // `repaired` says it did.
  Status RepairUnit(const UnitPut& u, bool& repaired);
  // Adds the written units' tags, then moves MaxOffset past them.
  void PublishUnits();
  // Keeps the file's pages faulted in a stretch or more ahead of `pos`.
  void PrefaultAhead(Segment& seg, int64_t pos);
  // The 20 bytes at CQ byte `cq_byte`, whatever they hold; nullopt when no
  // file holds them.
  std::optional<ConsumeQueueUnit> UnitAt(int64_t cq_byte) const;
  // The first unit in [lo, hi) (CQ bytes) for which `pred` holds, `pred`
  // being false then true along the queue; hi when none.
  int64_t FirstUnitWhere(int64_t lo, int64_t hi, const std::function<bool(const ConsumeQueueUnit&)>& pred) const;
  // Makes `end` (a CQ byte offset) the end of the queue: files starting at
  // or after it are deleted, the one holding it gets its positions there and
  // whatever non-zero bytes follow it zeroed and synced.
  Status CutAt(int64_t end);
  // CutAt, then the positions, MaxPhysicOffset and tag index follow; `why`
  // is logged when units were dropped.
  Status TruncateAt(int64_t end, const std::string& why);
  // End (offset + size) of the unit just below MaxOffset; -1 if there is
  // none or it is a blank pad.
  int64_t LastRealUnitEnd() const;
  Status CreateQueueDirectory();
  // A unit for `cq_offset` past the end of a queue whose every unit points
  // below the log's start: the queue's files go and it starts again there
  // (as a queue created mid-stream). Writer thread.
  bool MustRestartAt(int64_t cq_offset, std::optional<int64_t> log_min_offset) const;
  Status Restart(int64_t cq_offset);
  Status RemoveIfThere(const std::string& path);  // unlink; gone already is fine

  FileSystem& fs_;
  const ConsumeQueueOptions options_;
  SegmentList<Segment> files_;  // file_size each; a gap is possible after Load
  // files_.Last(), the writer's copy: it reads it without the list's lock
  // while cleanup removes files from the front (DeleteFilesBelow). Writer
  // thread.
  std::shared_ptr<Segment> last_file_;
  // The last file was created by this object into an empty queue (the pad
  // rule, RocketMQ's isFirstCreateInQueue). Writer thread only.
  bool created_first_file_ = false;
  std::atomic<int64_t> min_logic_offset_{0};  // bytes
  std::atomic<int64_t> max_logic_offset_{0};  // bytes: end of the last unit
  std::atomic<int64_t> max_physic_offset_{-1};
  std::atomic<int64_t> last_store_timestamp_{0};
  TagBitmapIndex tags_;
  // Written by WriteUnit, not yet visible (writer thread only).
  std::vector<TagBitmapIndex::Tagged> unpublished_;
  int64_t unpublished_end_ = 0;  // CQ bytes: MaxOffset once they are published
  // How far WriteUnit had which file faulted in (writer thread only).
  const Segment* prefaulted_file_ = nullptr;
  int64_t prefaulted_ = 0;
};

}  // namespace mqstore
