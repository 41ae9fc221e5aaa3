#include "storage/queue/consume_queue.h"

#include <algorithm>
#include <cstring>

#include "format/segment_name.h"
#include "storage/store_layout.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

constexpr int64_t kUnit = kCqUnitSize;
constexpr int64_t kPrefetchAhead = 4 * 64;  // bytes ahead of the unit being written
constexpr int64_t kPopulateStretch = 256 << 10;
constexpr int64_t kPageSize = 4096;

ConsumeQueueUnit DecodeAt(std::span<const uint8_t> data, int64_t pos) {
  return DecodeCqUnit(data.subspan(static_cast<size_t>(pos), kCqUnitSize)).value();
}

// File position of the first invalid unit at or after `pos`, or the end of
// the last whole unit (what ConsumeQueue.recover and the inspector's
// ConsumeQueueReader take as the end of data).
int64_t EndOfValidUnits(std::span<const uint8_t> data, int64_t pos) {
  while (pos + kUnit <= static_cast<int64_t>(data.size()) && DecodeAt(data, pos).IsValid()) pos += kUnit;
  return pos;
}

bool AllZero(std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    if (word != 0) return false;
  }
  for (; i < bytes.size(); ++i)
    if (bytes[i] != 0) return false;
  return true;
}

}  // namespace

ConsumeQueueUnit ConsumeQueue::UnitsView::unit(size_t i) const { return DecodeAt(bytes, static_cast<int64_t>(i) * kUnit); }

ConsumeQueue::ConsumeQueue(FileSystem& fs, ConsumeQueueOptions options)
    : fs_(fs), options_(std::move(options)), files_(options_.file_size), tags_(options_.max_tags_tracked) {}

// --- files ------------------------------------------------------------------

Status ConsumeQueue::Load() {
  if (options_.file_size <= 0 || options_.file_size % kUnit != 0)
    return Status::InvalidArgument(options_.dir + ": consume-queue file size " + std::to_string(options_.file_size) +
                                   " is not a positive multiple of 20");
  std::vector<std::string> ignored;
  auto listed = ListSegments(fs_, options_.dir, &ignored);
  if (!listed.ok()) return listed.error();
  for (const std::string& name : ignored)
    StoreLog(LogLevel::kWarn, "consume queue " + options_.dir + ": ignoring " + name + " (not a 20-digit offset)");
  std::vector<std::shared_ptr<Segment>> loaded;
  for (const SegmentFile& f : *listed) {
    if (f.size == 0 && &f == &listed->back()) {
      // A crash between creating the last file and sizing it: it never held
      // a unit (RocketMQ 5.1.3+ drops such a file the same way).
      StoreLog(LogLevel::kWarn, "consume queue: removing the empty last file " + f.path);
      MQ_RETURN_IF_ERROR(fs_.Remove(f.path));
      continue;
    }
    if (f.start_offset % kUnit != 0)
      return Status::Corruption(f.path + ": consume-queue file name is not a multiple of 20");
    auto segment = Segment::Open(fs_, f.path, f.start_offset, options_.file_size, /*writable_mapping=*/true);
    if (!segment.ok()) return segment.error();
    (*segment)->SetPositions(options_.file_size);  // Recover sets the real end
    loaded.push_back(std::move(*segment));
  }
  const int64_t start = loaded.empty() ? 0 : loaded.front()->start_offset();
  max_logic_offset_.store(start, std::memory_order_release);  // nothing readable before Recover
  min_logic_offset_.store(start, std::memory_order_release);
  max_physic_offset_.store(-1, std::memory_order_release);
  created_first_file_ = false;
  last_file_ = loaded.empty() ? nullptr : loaded.back();
  files_.Replace(std::move(loaded));
  return Status::Ok();
}

Status ConsumeQueue::CreateQueueDirectory() {
  // consumequeue/<topic>/<queueId>, and consumequeue/ itself for the first
  // queue of a store: each new name synced into its parent.
  return CreateDirectoriesDurably(fs_, options_.dir);
}

Status ConsumeQueue::NewFile(int64_t start, std::shared_ptr<Segment>& out) {
  if (options_.file_size <= 0 || options_.file_size % kUnit != 0)
    return Status::InvalidArgument(options_.dir + ": consume-queue file size " + std::to_string(options_.file_size) +
                                   " is not a positive multiple of 20");
  const bool first = last_file_ == nullptr;
  if (first) MQ_RETURN_IF_ERROR(CreateQueueDirectory());
  const std::string path = JoinPath(options_.dir, SegmentFileName(start));
  if (fs_.Exists(path)) {
    // Left behind (a failed delete, a file this object never loaded): its
    // old units must not show through behind the new ones.
    StoreLog(LogLevel::kWarn, "consume queue: replacing stale file " + path);
    MQ_RETURN_IF_ERROR(fs_.Remove(path));
  }
  auto segment = Segment::Create(fs_, options_.dir, start, options_.file_size, /*writable_mapping=*/true);
  if (!segment.ok()) return segment.error();
  created_first_file_ = first;
  out = *segment;
  last_file_ = *segment;
  files_.Append(std::move(*segment));
  return Status::Ok();
}

std::optional<ConsumeQueueUnit> ConsumeQueue::UnitAt(int64_t cq_byte) const {
  const std::shared_ptr<Segment> seg = files_.Find(cq_byte);
  if (!seg || cq_byte + kUnit > seg->end_offset()) return std::nullopt;
  return DecodeAt(seg->data(), cq_byte - seg->start_offset());
}

int64_t ConsumeQueue::FirstUnitWhere(int64_t lo, int64_t hi,
                                     const std::function<bool(const ConsumeQueueUnit&)>& pred) const {
  int64_t first = lo / kUnit;
  int64_t last = hi / kUnit;  // the answer lies in [first, last]
  while (first < last) {
    const int64_t mid = first + (last - first) / 2;
    const auto unit = UnitAt(mid * kUnit);
    if (unit && pred(*unit)) {
      last = mid;
    } else {
      first = mid + 1;
    }
  }
  return first * kUnit;
}

int64_t ConsumeQueue::LastRealUnitEnd() const {
  const int64_t max = max_logic_offset_.load(std::memory_order_acquire);
  if (max < kUnit) return -1;
  const auto unit = UnitAt(max - kUnit);
  if (!unit || !unit->IsValid() || unit->IsBlankPad()) return -1;  // only pads before it
  // A unit read from disk may be garbage near INT64_MAX: saturate, and the
  // log's recovery cuts it (it points past any real log end).
  if (unit->commit_log_offset > INT64_MAX - unit->size) return INT64_MAX;
  return unit->commit_log_offset + unit->size;
}

Status ConsumeQueue::CutAt(int64_t end) {
  // Readers stop before what is cut before it changes under them.
  if (max_logic_offset_.load(std::memory_order_relaxed) > end) max_logic_offset_.store(end, std::memory_order_release);
  for (const auto& seg : files_.Snapshot()) {
    if (seg->end_offset() <= end || seg->start_offset() >= end) continue;
    const int64_t pos = end - seg->start_offset();
    // Bytes past `wrote` are zero while this object writes the file; after
    // Load `wrote` is the file size, so recovery looks at the whole rest.
    const int64_t old_end = std::max(seg->wrote(), pos);
    seg->SetPositions(pos);
    const auto rest = seg->data().subspan(static_cast<size_t>(pos), static_cast<size_t>(old_end - pos));
    if (!AllZero(rest)) {
      // fallocate(ZERO_RANGE) or a pwrite of zeros: either shows through the
      // shared mapping at once.
      MQ_RETURN_IF_ERROR(seg->file().ZeroRange(static_cast<uint64_t>(pos), rest.size()));
      MQ_RETURN_IF_ERROR(seg->file().Sync());
      StoreLog(LogLevel::kInfo, "consume queue: zeroed " + std::to_string(rest.size()) + " bytes after position " +
                                    std::to_string(pos) + " of " + seg->path());
    }
  }
  // The files starting at or after the end are the last ones.
  std::vector<std::shared_ptr<Segment>> doomed =
      files_.RemoveBackWhile([end](const Segment& seg) { return seg.start_offset() >= end; });
  if (doomed.empty()) return Status::Ok();
  std::reverse(doomed.begin(), doomed.end());  // deleted oldest first
  last_file_ = files_.Last();
  if (!last_file_) created_first_file_ = false;
  for (const auto& seg : doomed) {
    StoreLog(LogLevel::kInfo, "consume queue: deleting " + seg->path());
    MQ_RETURN_IF_ERROR(fs_.Remove(seg->path()));
  }
  return fs_.SyncDirectory(options_.dir);
}

// --- recovery ---------------------------------------------------------------

Status ConsumeQueue::Recover() {
  int64_t end = 0;
  const std::vector<std::shared_ptr<Segment>> files = files_.Snapshot();
  if (!files.empty()) {
    // From file `i` on: a full file continues into the next.
    auto end_from = [&files](size_t i) {
      int64_t at = files[i]->start_offset();
      for (; i < files.size(); ++i) {
        const Segment& seg = *files[i];
        const int64_t pos = EndOfValidUnits(seg.data(), 0);
        at = seg.start_offset() + pos;
        if (pos < seg.size()) break;
      }
      return at;
    };
    size_t start = files.size() > 3 ? files.size() - 3 : 0;
    end = end_from(start);
    // A start file holding no unit says nothing about the file before it (a
    // crash can leave an older file short): check from that one too.
    while (start > 0 && end == files[start]->start_offset()) end = end_from(--start);
    MQ_RETURN_IF_ERROR(CutAt(end));
  }
  if (files_.empty()) {
    end = 0;
    min_logic_offset_.store(0, std::memory_order_release);
  } else {
    // Blank pads of a queue re-created mid-stream are not units to read.
    const int64_t first = files_.MinOffset();
    min_logic_offset_.store(
        first < end ? FirstUnitWhere(first, end, [](const ConsumeQueueUnit& u) { return !u.IsBlankPad(); }) : first,
        std::memory_order_release);
  }
  max_logic_offset_.store(end, std::memory_order_release);
  max_physic_offset_.store(LastRealUnitEnd(), std::memory_order_release);
  RebuildTagIndex();
  return Status::Ok();
}

Status ConsumeQueue::TruncateDirty(int64_t phy_end) {
  // From the last file back: a file whose first unit is cut (or holds no
  // unit) goes whole; in the first one kept, units stay up to the first
  // invalid one or the first at or past phy_end.
  const std::vector<std::shared_ptr<Segment>> files = files_.Snapshot();
  int64_t end = files_.MinOffset();
  for (size_t k = files.size(); k-- > 0;) {
    const Segment& seg = *files[k];
    const ConsumeQueueUnit first = DecodeAt(seg.data(), 0);
    if (!first.IsValid() || first.commit_log_offset >= phy_end) continue;
    int64_t pos = 0;
    while (pos + kUnit <= seg.size()) {
      const ConsumeQueueUnit u = DecodeAt(seg.data(), pos);
      if (!u.IsValid() || u.commit_log_offset >= phy_end) break;
      pos += kUnit;
    }
    end = seg.start_offset() + pos;
    break;
  }
  return TruncateAt(end, "commit log ends at " + std::to_string(phy_end));
}

Status ConsumeQueue::TruncateTo(int64_t queue_offset) {
  if (queue_offset < 0 || queue_offset >= MaxOffset()) return Status::Ok();
  int64_t end = queue_offset * kUnit;
  if (!files_.empty()) end = std::max(end, files_.MinOffset());
  return TruncateAt(end, "its units from there on disagree with the commit log");
}

Status ConsumeQueue::TruncateAt(int64_t end, const std::string& why) {
  const int64_t old_max = max_logic_offset_.load(std::memory_order_acquire);
  MQ_RETURN_IF_ERROR(CutAt(end));
  const int64_t max = files_.empty() ? 0 : end;
  max_logic_offset_.store(max, std::memory_order_release);
  if (min_logic_offset_.load(std::memory_order_relaxed) > max) min_logic_offset_.store(max, std::memory_order_release);
  max_physic_offset_.store(LastRealUnitEnd(), std::memory_order_release);
  if (max < old_max) {
    StoreLog(LogLevel::kInfo, "consume queue " + options_.topic + "/" + std::to_string(options_.queue_id) +
                                  ": truncated to queue offset " + std::to_string(max / kUnit) + " (" + why + ")");
    RebuildTagIndex();
  }
  return Status::Ok();
}

void ConsumeQueue::CorrectMinOffset(int64_t commit_log_min_offset) {
  const int64_t min = min_logic_offset_.load(std::memory_order_acquire);
  const int64_t max = max_logic_offset_.load(std::memory_order_acquire);
  if (min >= max) return;
  const auto kept = [commit_log_min_offset](const ConsumeQueueUnit& u) {
    return u.IsValid() && !u.IsBlankPad() && u.commit_log_offset >= commit_log_min_offset;
  };
  int64_t new_min = max;  // the last unit points below: logically empty
  const auto last = UnitAt(max - kUnit);
  if (last && kept(*last)) {
    // MinOffset is 0 when there is no file, and min >= 0.
    new_min = FirstUnitWhere(std::max(min, files_.MinOffset()), max - kUnit, kept);
  }
  if (new_min <= min) return;
  min_logic_offset_.store(new_min, std::memory_order_release);
  tags_.TrimBelow(new_min / kUnit);
}

void ConsumeQueue::RebuildTagIndex() {
  const int64_t min = min_logic_offset_.load(std::memory_order_acquire);
  const int64_t max = max_logic_offset_.load(std::memory_order_acquire);
  tags_.Reset(min / kUnit);
  for (const auto& seg : files_.Snapshot()) {
    const int64_t from = std::max(min, seg->start_offset());
    const int64_t to = std::min(max, seg->end_offset());
    for (int64_t at = from; at < to; at += kUnit) {
      const ConsumeQueueUnit u = DecodeAt(seg->data(), at - seg->start_offset());
      if (!u.IsBlankPad()) tags_.Add(at / kUnit, u.tags_code);
    }
  }
}

// --- writing ----------------------------------------------------------------

Status ConsumeQueue::PutUnit(int64_t phy_offset, int32_t size, int64_t tags_code, int64_t cq_offset,
                             int64_t store_timestamp, std::optional<int64_t> log_min_offset) {
  const UnitPut unit{phy_offset, size, tags_code, cq_offset, store_timestamp};
  size_t taken = 0;
  return PutUnits(std::span<const UnitPut>(&unit, 1), taken, log_min_offset);
}

Status ConsumeQueue::PutUnits(std::span<const UnitPut> units, size_t& taken, std::optional<int64_t> log_min_offset) {
  Status st;
  for (taken = 0; taken < units.size() && st.ok(); ++taken) st = WriteUnit(units[taken], log_min_offset);
  if (!st.ok()) --taken;
  PublishUnits();
  return st;
}

// Faulting pages in a stretch at a time is far cheaper than a fault per
// 4 KiB page on the dispatcher's path, and the prefaulter's thread does it
// a stretch ahead; a stretch, not the whole file, so a store with many
// quiet queues does not fault in 6 MB for each.
void ConsumeQueue::PrefaultAhead(Segment& seg, int64_t pos) {
  if (&seg != prefaulted_file_) {
    prefaulted_file_ = &seg;
    prefaulted_ = pos - pos % kPopulateStretch;
  }
  const std::shared_ptr<Segment>& owner = last_file_;  // `seg`
  while (prefaulted_ < seg.size() && pos + kPopulateStretch > prefaulted_) {
    const int64_t len = std::min(kPopulateStretch, seg.size() - prefaulted_);
    Prefaulter::FaultIn(options_.prefaulter, owner, seg.mapping(), static_cast<uint64_t>(prefaulted_),
                        static_cast<uint64_t>(len));
    prefaulted_ += len;
  }
}

void ConsumeQueue::PublishUnits() {
  if (unpublished_.empty()) return;
  tags_.AddAll(unpublished_);  // before the units are visible: a lookup never misses one
  max_logic_offset_.store(unpublished_end_, std::memory_order_release);
  unpublished_.clear();
}

Status ConsumeQueue::WriteUnit(const UnitPut& u, std::optional<int64_t> log_min_offset) {
  if (u.phy_offset < 0 || u.size <= 0 || u.cq_offset < 0)
    return Status::InvalidArgument("consume queue " + options_.topic + "/" + std::to_string(options_.queue_id) +
                                   ": bad unit (offset " + std::to_string(u.phy_offset) + ", size " +
                                   std::to_string(u.size) + ", queue offset " + std::to_string(u.cq_offset) + ")");
  // 0. Brought again over a copy that disagrees with it: rewritten in place.
  bool repaired = false;
  MQ_RETURN_IF_ERROR(RepairUnit(u, repaired));
  if (repaired) return Status::Ok();
  // 1. Already dispatched (a re-dispatch after recovery).
  if (u.phy_offset + u.size <= max_physic_offset_.load(std::memory_order_relaxed)) return Status::Ok();
  const int64_t expect = u.cq_offset * kUnit;
  // The writer's own copy of the last file: cleanup may take files off the
  // front of files_ meanwhile, never the last.
  Segment* seg = last_file_.get();
  // 4 (checked first so that a unit already there never creates a file).
  if (seg && u.cq_offset != 0 && expect < seg->start_offset() + seg->wrote()) return Status::Ok();
  if (seg && MustRestartAt(u.cq_offset, log_min_offset)) {
    MQ_RETURN_IF_ERROR(Restart(u.cq_offset));
    seg = nullptr;
  }
  // 2. The last file, or a new one.
  if (!seg || seg->IsFull()) {
    const int64_t start = seg ? seg->end_offset() : files_.StartOf(expect);
    std::shared_ptr<Segment> created;
    MQ_RETURN_IF_ERROR(NewFile(start, created));
    seg = created.get();
  }
  // 3. A queue created mid-stream: blank units up to the first one.
  if (created_first_file_ && u.cq_offset != 0 && seg->wrote() == 0 && seg->Contains(expect)) {
    PublishUnits();  // none are pending (the file is empty); kept in order regardless
    const int64_t pad_end = expect - seg->start_offset();
    uint8_t blank[kCqUnitSize];
    EncodeCqUnit(ConsumeQueueUnit{0, kCqBlankPadSize, 0}, blank);
    uint8_t* data = seg->data().data();
    for (int64_t pos = 0; pos < pad_end; pos += kUnit) std::memcpy(data + pos, blank, kCqUnitSize);
    seg->set_wrote(pad_end);
    seg->set_committed(pad_end);
    min_logic_offset_.store(expect, std::memory_order_release);
    max_logic_offset_.store(expect, std::memory_order_release);
    tags_.Reset(u.cq_offset);
  }
  if (u.cq_offset != 0 && expect > seg->start_offset() + seg->wrote()) MQ_RETURN_IF_ERROR(PadGap(expect, seg));
  const int64_t pos = seg->wrote();
  const int64_t current = seg->start_offset() + pos;
  if (seg != prefaulted_file_ || pos + kPopulateStretch > prefaulted_) PrefaultAhead(*seg, pos);
  if (u.cq_offset != 0 && expect != current)
    StoreLog(LogLevel::kError, "consume queue " + options_.topic + "/" + std::to_string(options_.queue_id) +
                                   ": logic queue order maybe wrong, expected queue offset " +
                                   std::to_string(u.cq_offset) + " but the queue is at " +
                                   std::to_string(current / kUnit) + "; appending there");
  // 5. The unit, then what makes it visible (PublishUnits).
  // A few units ahead into the cache for writing (fresh lines, filled in order).
  if (pos + kPrefetchAhead < seg->size()) __builtin_prefetch(seg->data().data() + pos + kPrefetchAhead, 1);
  EncodeCqUnit(ConsumeQueueUnit{u.phy_offset, u.size, u.tags_code}, seg->data().data() + pos);
  seg->set_wrote(pos + kUnit);
  seg->set_committed(pos + kUnit);
  max_physic_offset_.store(u.phy_offset + u.size, std::memory_order_release);
  last_store_timestamp_.store(u.store_timestamp, std::memory_order_release);
  unpublished_.push_back(TagBitmapIndex::Tagged{current / kUnit, u.tags_code});
  unpublished_end_ = current + kUnit;
  return Status::Ok();
}

// A unit brought again (a re-dispatch after recovery) is compared with the
// copy at its queue offset. Two kinds of copy there are this record's and
// are rewritten to agree with it, then synced (the queue's flushed position
// may already be past them):
//  - a torn copy: a power loss wrote its first bytes and the rest reads as
//    the zeros the file held. It can still decode as a valid unit with a
//    short size or a wrong tagsCode, which Recover cannot tell from a good
//    one, and the re-dispatch would skip it as already there (or, at queue
//    offset 0 with a short size, append after it);
//  - a copy naming the same commit-log offset with another size or tagsCode:
//    a crash can tear a record inside its properties (not covered by
//    BODYCRC) after its unit was written from the whole record, and such a
//    record is still a record (format/log_entry.h).
// Anything else there is left alone. A unit past the end, the dispatcher's
// usual case, costs two loads.
Status ConsumeQueue::RepairUnit(const UnitPut& u, bool& repaired) {
  repaired = false;
  const int64_t at = u.cq_offset * kUnit;
  if (at >= max_logic_offset_.load(std::memory_order_acquire) || at < min_logic_offset_.load(std::memory_order_acquire))
    return Status::Ok();
  const std::shared_ptr<Segment> seg = files_.Find(at);
  if (!seg || at + kUnit > seg->end_offset()) return Status::Ok();
  uint8_t want[kCqUnitSize];
  EncodeCqUnit(ConsumeQueueUnit{u.phy_offset, u.size, u.tags_code}, want);
  uint8_t* stored = seg->data().data() + (at - seg->start_offset());
  size_t same = 0;
  while (same < kCqUnitSize && stored[same] == want[same]) ++same;
  if (same == kCqUnitSize) return Status::Ok();
  const ConsumeQueueUnit old = DecodeAt(seg->data(), at - seg->start_offset());
  const bool torn = AllZero(std::span<const uint8_t>(stored + same, kCqUnitSize - same));
  if (!torn && old.commit_log_offset != u.phy_offset) return Status::Ok();
  StoreLog(LogLevel::kWarn, "consume queue " + options_.topic + "/" + std::to_string(options_.queue_id) + ": unit " +
                                std::to_string(u.cq_offset) + " rewritten to match its record at " +
                                std::to_string(u.phy_offset) +
                                (torn ? " (torn: only its first " + std::to_string(same) + " bytes reached the disk)"
                                      : " (size " + std::to_string(old.size) + " -> " + std::to_string(u.size) +
                                            ", tagsCode " + std::to_string(old.tags_code) + " -> " +
                                            std::to_string(u.tags_code) + ")"));
  std::memcpy(stored, want, kCqUnitSize);
  MQ_RETURN_IF_ERROR(seg->file().Sync());
  // A torn last unit may have said less; units written after it say more.
  max_physic_offset_.store(std::max(max_physic_offset_.load(std::memory_order_relaxed), LastRealUnitEnd()),
                           std::memory_order_release);
  tags_.Add(u.cq_offset, u.tags_code);  // a stale bit only costs a look; a missing one would hide the unit
  repaired = true;
  return Status::Ok();
}

// Queue offsets the log holds no record for (records lost in a damaged
// range that recovery skipped): blank units keep every later unit at its
// own queue offset, so a consumer sees a gap, not a shift. A gap longer
// than a file of units is not a lost record but a QUEUEOFFSET gone wrong:
// left to the caller's "order maybe wrong" append, as RocketMQ does.
Status ConsumeQueue::PadGap(int64_t expect, Segment*& seg) {
  const int64_t gap = expect - (seg->start_offset() + seg->wrote());
  if (gap > options_.file_size) return Status::Ok();
  StoreLog(LogLevel::kWarn, "consume queue " + options_.topic + "/" + std::to_string(options_.queue_id) +
                                ": no record for queue offsets " +
                                std::to_string((seg->start_offset() + seg->wrote()) / kUnit) + " .. " +
                                std::to_string(expect / kUnit - 1) + " (lost in a skipped damaged range); blank units");
  uint8_t blank[kCqUnitSize];
  EncodeCqUnit(ConsumeQueueUnit{0, kCqBlankPadSize, 0}, blank);
  while (seg->start_offset() + seg->wrote() < expect) {
    if (seg->IsFull()) {
      std::shared_ptr<Segment> created;
      MQ_RETURN_IF_ERROR(NewFile(seg->end_offset(), created));
      seg = created.get();
      continue;
    }
    std::memcpy(seg->data().data() + seg->wrote(), blank, kCqUnitSize);
    seg->set_wrote(seg->wrote() + kUnit);
    seg->set_committed(seg->wrote());
  }
  return Status::Ok();
}

// Cleanup's DeleteFilesBelow and the writer's Restart may both unlink a file.
Status ConsumeQueue::RemoveIfThere(const std::string& path) {
  Status st = fs_.Remove(path);
  return st.code() == StatusCode::kNotFound ? Status::Ok() : st;
}

bool ConsumeQueue::MustRestartAt(int64_t cq_offset, std::optional<int64_t> log_min_offset) const {
  if (!log_min_offset || cq_offset == 0) return false;
  const Segment& last = *last_file_;
  if (cq_offset * kUnit <= last.start_offset() + last.wrote()) return false;  // no gap
  return max_physic_offset_.load(std::memory_order_relaxed) <= *log_min_offset;
}

Status ConsumeQueue::Restart(int64_t cq_offset) {
  StoreLog(LogLevel::kWarn, "consume queue " + options_.topic + "/" + std::to_string(options_.queue_id) +
                                ": its units end at queue offset " + std::to_string(MaxOffset()) +
                                " and point below the commit log's start; the next is " + std::to_string(cq_offset) +
                                " (the records between were deleted before dispatch): starting the queue there");
  PublishUnits();  // none are pending before a gap; kept in order regardless
  return Destroy();  // the next unit creates the first file, padded up to it
}

// --- reading ----------------------------------------------------------------

int64_t ConsumeQueue::MinOffset() const { return min_logic_offset_.load(std::memory_order_acquire) / kUnit; }

int64_t ConsumeQueue::MaxOffset() const { return max_logic_offset_.load(std::memory_order_acquire) / kUnit; }

int64_t ConsumeQueue::MaxPhysicOffset() const { return max_physic_offset_.load(std::memory_order_acquire); }

std::optional<ConsumeQueueUnit> ConsumeQueue::GetUnit(int64_t queue_offset) const {
  // max first: the unit bytes below it are in place (release/acquire).
  const int64_t max = max_logic_offset_.load(std::memory_order_acquire);
  const int64_t min = min_logic_offset_.load(std::memory_order_acquire);
  if (queue_offset < min / kUnit || queue_offset >= max / kUnit) return std::nullopt;
  return UnitAt(queue_offset * kUnit);
}

std::optional<ConsumeQueue::UnitsView> ConsumeQueue::ReadUnits(int64_t queue_offset) const {
  const int64_t max = max_logic_offset_.load(std::memory_order_acquire);
  const int64_t min = min_logic_offset_.load(std::memory_order_acquire);
  if (queue_offset < min / kUnit || queue_offset >= max / kUnit) return std::nullopt;
  const int64_t at = queue_offset * kUnit;
  std::shared_ptr<Segment> seg = files_.Find(at);
  if (!seg) return std::nullopt;
  const int64_t from = at - seg->start_offset();
  const int64_t to = std::min(max, seg->end_offset()) - seg->start_offset();
  UnitsView view;
  view.bytes = std::span<const uint8_t>(seg->data().data() + from, static_cast<size_t>(to - from));
  view.pin = std::move(seg);
  view.first_queue_offset = queue_offset;
  return view;
}

int64_t ConsumeQueue::RollNextFile(int64_t queue_offset) const {
  return ::mqstore::RollNextFile(queue_offset, options_.file_size / kUnit);
}

Result<std::vector<std::shared_ptr<Segment>>> ConsumeQueue::DeleteFilesBelow(int64_t commit_log_min_offset) {
  std::vector<std::shared_ptr<Segment>> removed = files_.RemoveFrontWhile([&](const Segment& f) {
    return DecodeAt(f.data(), f.size() - kUnit).commit_log_offset < commit_log_min_offset;
  });
  if (removed.empty()) return removed;
  const int64_t first_kept = files_.MinOffset();
  if (min_logic_offset_.load(std::memory_order_acquire) < first_kept) {
    min_logic_offset_.store(first_kept, std::memory_order_release);
    tags_.TrimBelow(first_kept / kUnit);
  }
  for (const auto& f : removed) MQ_RETURN_IF_ERROR(RemoveIfThere(f->path()));
  return removed;
}

size_t ConsumeQueue::file_count() const { return files_.size(); }

// --- flush and destroy ----------------------------------------------------

Result<bool> ConsumeQueue::Flush(int least_pages) {
  bool all_flushed = true;
  for (const auto& seg : files_.Snapshot()) {
    const int64_t committed = seg->committed();
    const int64_t flushed = seg->flushed();
    if (committed <= flushed) continue;
    // MappedFile.isAbleToFlush: full, or enough 4 KiB pages touched since.
    const bool due = least_pages <= 0 || committed == seg->size() ||
                     committed / kPageSize - flushed / kPageSize >= least_pages;
    if (!due) {
      all_flushed = false;
      continue;
    }
    Status st = seg->Flush(committed);
    if (!st.ok()) return st.WithContext("consume queue flush");
    if (seg->committed() > committed) all_flushed = false;  // the writer went on meanwhile
  }
  return all_flushed;
}

Status ConsumeQueue::Destroy() {
  max_logic_offset_.store(0, std::memory_order_release);
  min_logic_offset_.store(0, std::memory_order_release);
  std::vector<std::shared_ptr<Segment>> files = files_.Clear();
  last_file_ = nullptr;
  max_physic_offset_.store(-1, std::memory_order_release);
  last_store_timestamp_.store(0, std::memory_order_release);
  created_first_file_ = false;
  tags_.Reset(0);
  // What this object mapped, and any 20-digit file it did not (never loaded).
  auto listed = ListSegments(fs_, options_.dir);
  if (!listed.ok()) return listed.error();
  for (const SegmentFile& f : *listed) MQ_RETURN_IF_ERROR(RemoveIfThere(f.path));
  files.clear();
  if (!fs_.Exists(options_.dir)) return Status::Ok();
  auto left = fs_.ListDirectory(options_.dir);
  if (!left.ok()) return left.error();
  if (!left->empty()) return fs_.SyncDirectory(options_.dir);
  MQ_RETURN_IF_ERROR(fs_.RemoveAll(options_.dir));
  return fs_.SyncDirectory(ParentPath(options_.dir));
}

}  // namespace mqstore
