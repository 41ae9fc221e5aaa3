#include "storage/offline/store_verifier.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "format/damage_filler.h"
#include "format/delay_levels.h"
#include "format/properties.h"
#include "format/segment_name.h"
#include "format/sys_flag.h"
#include "format/topic_name.h"
#include "storage/offline/commit_log_reader.h"
#include "storage/offline/commit_log_scanner.h"
#include "storage/offline/consume_queue_reader.h"
#include "storage/dispatch/dispatch_request.h"
#include "storage/offline/index_file_reader.h"
#include "storage/offline/timer_verifier.h"

namespace mqstore {
namespace {

class Verifier {
  struct IndexFileSlot {
    SegmentFile file;
    std::optional<IndexFileReader> reader;  // nullopt: `error` says why it did not open
    std::string error;
  };
  struct KeyCursor {
    const IndexFileReader* reader = nullptr;
    int32_t next = 1;  // the first entry not yet passed by the log scan
  };

 public:
  Verifier(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options, const VerifyCallbacks& cb)
      : fs_(fs), paths_(paths), options_(options), cb_(cb) {
    delay_levels_ = options.delay_level_millis.empty() ? DefaultDelayLevels() : options.delay_level_millis;
  }

  Result<VerifyReport> Run() {
    std::vector<std::string> ignored;
    auto segments = ListSegments(fs_, paths_.CommitLogDir(), &ignored, &not_regular_);
    if (!segments.ok()) return segments.error();
    for (const std::string& name : ignored)
      Problem(JoinPath(paths_.CommitLogDir(), name), 0, "not a 20-digit segment file; ignored");
    for (const std::string& path : NonRegularRootFiles(fs_, paths_)) not_regular_.push_back(path);
    segments_ = std::move(*segments);
    CheckSegmentList();
    MQ_RETURN_IF_ERROR(OpenIndexFiles());  // the log scan checks each record's keys against them
    ScanCommitLog();
    CommitLogReader reader(fs_, segments_);
    MQ_RETURN_IF_ERROR(CheckConsumeQueues(reader));
    CheckIndexFiles(reader);
    MQ_RETURN_IF_ERROR(CheckTimerFiles(reader));
    // Never opened: a FIFO would block the reader, and none holds store data.
    for (const std::string& path : not_regular_) Problem(path, 0, "not a regular file");
    return report_;
  }

 private:
  void Problem(const std::string& file, int64_t offset, std::string what) {
    ++report_.problems;
    if (cb_.on_problem) cb_.on_problem(VerifyProblem{file, offset, std::move(what)});
  }

  Status CheckTimerFiles(CommitLogReader& reader) {
    auto counts = VerifyTimerFiles(
        fs_, paths_, options_, reader, [&](const VerifyProblem& p) { Problem(p.file, p.offset, p.what); },
        [&](const VerifyProblem& p) {
          ++report_.notes;
          if (cb_.on_note) cb_.on_note(p);
        });
    if (!counts.ok()) return counts.error();
    report_.timer_log_units = counts->units;
    return Status::Ok();
  }

  void CheckSegmentList() {
    segment_size_ = options_.commit_log_file_size > 0 ? options_.commit_log_file_size : InferSegmentSize(segments_);
    report_.segments = segments_.size();
    for (size_t i = 0; i < segments_.size(); ++i) {
      const SegmentFile& s = segments_[i];
      if (static_cast<int64_t>(s.size) != segment_size_)
        Problem(s.path, 0, "size " + std::to_string(s.size) + " differs from the segment size " +
                               std::to_string(segment_size_));
      if (segment_size_ > 0 && s.start_offset % segment_size_ != 0)
        Problem(s.path, 0, "start offset is not a multiple of the segment size");
      if (i > 0 && s.start_offset != segments_[i - 1].start_offset + segment_size_)
        Problem(s.path, 0, "does not follow " + segments_[i - 1].name + " (missing or misnamed segment)");
    }
  }

  // Bytes recovery made unreadable (recoveryCorruptionPolicy=skip): lost
  // data, so a problem every time; the queue offsets of what was lost are
  // gaps from here on.
  void ReportFiller(const ScanEvent& ev) {
    ++fillers_;
    const auto why = ev.message.properties().Get(kDamageProperty);
    Problem(ev.segment->path, ev.offset,
            std::to_string(ev.size) + " damaged bytes were skipped by recovery (recoveryCorruptionPolicy=skip)" +
                (why ? ": " + std::string(*why) : std::string()));
  }

  // A record that would get a unit but whose topic cannot name a directory
  // (written by another broker or an older build): the engine skips it for
  // consume queues. False for such a record.
  bool CheckTopic(const ScanEvent& ev) {
    const MessageRecordView& m = ev.message;
    if (!sysflag::TakesQueueOffset(m.sys_flag)) return true;
    const TopicProblem bad = CheckTopicAsFileName(m.topic);
    if (bad == TopicProblem::kNone) return true;
    Problem(ev.segment->path, ev.offset,
            DescribeTopicProblem(bad, m.topic, kMaxTopicFileNameBytes) +
                ": it cannot name a consume-queue directory, so the record has no unit");
    return false;
  }

  // Queue offsets must go up by one per topic/queue in physical order.
  void CheckQueueOffset(const ScanEvent& ev) {
    const MessageRecordView& m = ev.message;
    if (!sysflag::TakesQueueOffset(m.sys_flag)) return;
    key_ = QueueKey(m.topic, m.queue_id);
    auto it = next_queue_offset_.find(key_);
    if (it == next_queue_offset_.end()) {
      next_queue_offset_.emplace(key_, m.queue_offset + 1);
      return;
    }
    // Past a skipped damaged range a queue may jump: its record was lost
    // there, and that is reported once, at the range.
    const bool lost_before = fillers_ > 0 && m.queue_offset > it->second;
    if (m.queue_offset != it->second && !lost_before)
      Problem(ev.segment->path, ev.offset,
              "queue offset " + std::to_string(m.queue_offset) + " of " + std::string(m.topic) + "/" +
                  std::to_string(m.queue_id) + ", expected " + std::to_string(it->second));
    it->second = m.queue_offset + 1;
  }

  void ScanCommitLog() {
    ScanOptions scan;
    scan.decode.check_crc = false;  // checked below, so a bad body does not hide the records after it
    scan.decode.max_record_size = options_.max_record_size;
    scan.resync = true;  // what follows damage decides between a torn tail and lost data: check it too
    CommitLogScanner scanner(fs_, segments_, scan);
    ScanEvent ev;
    uint64_t next_progress = 0;
    while (scanner.Next(ev)) {
      if (cb_.on_progress && scanner.bytes_scanned() >= next_progress) {
        cb_.on_progress(scanner.bytes_scanned(), scanner.total_bytes());
        next_progress = scanner.bytes_scanned() + (64u << 20);
      }
      switch (ev.kind) {
        case ScanEventKind::kMessage:
          ReportEarlyEnd();
          ++report_.records;
          report_.record_bytes += static_cast<uint64_t>(ev.size);
          if (ev.message.physical_offset != ev.offset)
            Problem(ev.segment->path, ev.offset,
                    "PHYSICALOFFSET " + std::to_string(ev.message.physical_offset) + " differs from the position");
          if (!ev.message.BodyCrcMatches())
            Problem(ev.segment->path, ev.offset,
                    "BODYCRC " + std::to_string(ev.message.body_crc) + " does not match the body");
          if (IsDamageFiller(ev.message)) {
            ReportFiller(ev);
            break;
          }
          if (!CheckTopic(ev)) break;
          CheckQueueOffset(ev);
          CheckRecordKeys(ev);
          break;
        case ScanEventKind::kBlank:
          ReportEarlyEnd();
          ++report_.blanks;
          if (ev.size != ev.bytes_left)
            Problem(ev.segment->path, ev.offset,
                    "end-of-file blank TOTALSIZE " + std::to_string(ev.size) + " but " +
                        std::to_string(ev.bytes_left) + " bytes are left");
          break;
        case ScanEventKind::kEndOfData:
          // Reported once a later segment turns out to hold data: all-zero
          // segments after the end (pre-created by a live broker) are normal.
          if (!early_end_) early_end_ = EarlyEnd{ev.segment->path, ev.offset};
          break;
        case ScanEventKind::kError:
          ReportEarlyEnd();
          Problem(ev.segment->path, ev.offset,
                  "record does not decode: " + ev.error.message() +
                      (ev.resume_offset >= 0 ? "; valid records follow at " + std::to_string(ev.resume_offset)
                                             : "; nothing valid follows in this file"));
          // Queue offsets resume wherever scanning does (after the damage or
          // in the next segment), so stop expecting continuity.
          next_queue_offset_.clear();
          log_had_errors_ = true;
          break;
      }
    }
    if (cb_.on_progress) cb_.on_progress(scanner.total_bytes(), scanner.total_bytes());
  }

  // A running store pre-creates the next segment: zeros where data ends are
  // normal, as long as only all-zero segments follow. Data after them means
  // the segment where it first ended was cut short.
  void ReportEarlyEnd() {
    if (!early_end_) return;
    Problem(early_end_->file, early_end_->offset, "data ends inside a segment that is not the last one");
    early_end_.reset();
  }

  Status CheckConsumeQueues(CommitLogReader& reader) {
    auto queues = ListConsumeQueues(fs_, paths_, &not_regular_);
    if (!queues.ok()) return queues.error();
    const int64_t cl_min = reader.MinOffset();
    for (const ConsumeQueueLocation& loc : *queues) {
      ++report_.consume_queues;
      auto cq = ConsumeQueueReader::Open(fs_, loc, options_.consume_queue_file_size);
      if (!cq.ok()) {
        Problem(loc.dir, 0, cq.error().message());
        continue;
      }
      const int64_t file_size = cq->file_size();
      int64_t& units_end = cq_end_[QueueKey(loc.topic, loc.queue_id)];
      Status st = cq->ForEachUnit([&](int64_t n, const ConsumeQueueUnit& unit) {
        ++report_.cq_units;
        units_end = n + 1;
        if (unit.IsBlankPad() || unit.commit_log_offset < cl_min) return;  // pad, or expired record
        const int64_t cq_byte = n * kCqUnitSize;
        const std::string file = JoinPath(loc.dir, SegmentFileName(cq_byte - cq_byte % file_size));
        const int64_t pos = cq_byte % file_size;
        CheckUnit(reader, loc, file, pos, n, unit);
      });
      if (!st.ok()) Problem(loc.dir, 0, st.message());
    }
    CheckEveryRecordHasAUnit();
    return Status::Ok();
  }

  // The other direction: a record whose queue lacks its unit was never
  // dispatched (or its unit was lost). Only judged when the whole log
  // decoded, so queue offsets are known.
  void CheckEveryRecordHasAUnit() {
    // A commit log copied without its queues (no consumequeue/ at all) is
    // only a log; judge completeness only where queues exist.
    if (log_had_errors_ || cq_end_.empty()) return;
    for (const auto& [key, next] : next_queue_offset_) {
      auto it = cq_end_.find(key);
      const int64_t units = it == cq_end_.end() ? 0 : it->second;
      if (units >= next) continue;
      const std::string queue = key.substr(0, key.find('\0')) + "/" + key.substr(key.find('\0') + 1);
      Problem(JoinPath(paths_.ConsumeQueueDir(), queue), units * kCqUnitSize,
              "consume queue " + queue + " ends at unit " + std::to_string(units) +
                  " but the commit log has its records up to queue offset " + std::to_string(next - 1));
    }
  }

  static std::string QueueKey(std::string_view topic, int32_t queue_id) {
    std::string key(topic);
    key.push_back('\0');
    key.append(std::to_string(queue_id));
    return key;
  }

  void CheckUnit(CommitLogReader& reader, const ConsumeQueueLocation& loc, const std::string& file, int64_t pos,
                 int64_t n, const ConsumeQueueUnit& unit) {
    auto rec = reader.ReadMessage(unit.commit_log_offset, {options_.max_record_size, false});
    const std::string at = "unit " + std::to_string(n) + " -> commit-log offset " +
                           std::to_string(unit.commit_log_offset) + ": ";
    if (!rec.ok()) return Problem(file, pos, at + rec.error().message());
    const MessageRecordView& m = *rec;
    if (m.topic != loc.topic || m.queue_id != loc.queue_id)
      return Problem(file, pos, at + "record belongs to " + std::string(m.topic) + "/" + std::to_string(m.queue_id));
    if (m.queue_offset != n) Problem(file, pos, at + "record QUEUEOFFSET is " + std::to_string(m.queue_offset));
    if (m.total_size != unit.size)
      Problem(file, pos, at + "unit size " + std::to_string(unit.size) + ", record TOTALSIZE " +
                             std::to_string(m.total_size));
    const int64_t tags = RecordTagsCode(m, delay_levels_);
    if (tags != unit.tags_code)
      Problem(file, pos, at + "tagsCode " + std::to_string(unit.tags_code) + ", record gives " + std::to_string(tags));
  }

  // Every index file is mapped before the log scan (a failure is reported
  // with the other index checks, after the queues'). The files holding
  // entries are the key check's, in creation order (names sort so).
  Status OpenIndexFiles() {
    auto files = ListIndexFiles(fs_, paths_, &not_regular_);
    if (!files.ok()) return files.error();
    for (const SegmentFile& f : *files) {
      auto index = IndexFileReader::Open(fs_, f, options_.index_geometry);
      if (!index.ok()) {
        index_files_.push_back({f, std::nullopt, index.error().message()});
        continue;
      }
      index_files_.push_back({f, std::move(*index), {}});
    }
    for (const IndexFileSlot& slot : index_files_)
      if (slot.reader && slot.reader->header().index_count > 1) key_files_.push_back(KeyCursor{&*slot.reader});
    return Status::Ok();
  }

  void CheckIndexFiles(CommitLogReader& reader) {
    const int64_t cl_min = reader.MinOffset();
    for (const IndexFileSlot& slot : index_files_) {
      ++report_.index_files;
      if (!slot.reader) {
        Problem(slot.file.path, 0, slot.error);
        continue;
      }
      const IndexFileReader& index = *slot.reader;
      index.ForEachEntry([&](int32_t n, const IndexEntry& e) {
        ++report_.index_entries;
        if (e.phy_offset < cl_min) return;  // the record expired
        CheckIndexEntry(reader, slot.file.path, static_cast<int64_t>(index.geometry().EntryPosition(n)), e);
      });
      CheckIndexChains(index);
    }
  }

  // Walks the chain of every hash slot, as a query does: each entry must
  // be on exactly one chain, the one of its hash's slot, and chains must
  // run from newer to older entries inside the file. One bit per entry.
  void CheckIndexChains(const IndexFileReader& index) {
    const int32_t count = index.header().index_count;  // entries 1 .. count-1
    if (index.geometry().max_hash_slot_num <= 0) return;
    reached_.assign(static_cast<size_t>(std::max(count, 1)), false);
    for (int32_t s = 0; s < index.geometry().max_hash_slot_num; ++s) WalkSlotChain(index, s);
    ReportUnreachedEntries(index);
  }

  void WalkSlotChain(const IndexFileReader& index, int32_t s) {
    const std::string& path = index.file().path;
    const IndexGeometry& g = index.geometry();
    const int32_t count = index.header().index_count;
    auto head = ReadIndexSlot(index.data(), g, s);
    if (!head.ok() || *head == 0) return;
    int32_t cur = *head;
    if (cur < 0 || cur >= count)
      return Problem(path, static_cast<int64_t>(g.SlotPosition(s)),
                     "hash slot " + std::to_string(s) + " points at entry " + std::to_string(cur) +
                         (count > 1 ? ", outside the file's entries 1.." + std::to_string(count - 1)
                                    : ", but the file holds no entry"));
    while (cur != 0) {
      const auto pos = static_cast<int64_t>(g.EntryPosition(cur));
      const std::string entry = "entry " + std::to_string(cur);
      if (reached_[static_cast<size_t>(cur)])
        return Problem(path, pos, entry + " is reached again from hash slot " + std::to_string(s) + " (chains join)");
      reached_[static_cast<size_t>(cur)] = true;
      auto e = ReadIndexEntry(index.data(), g, cur);
      if (!e.ok()) return;  // cannot be: cur < count <= maxIndexNum
      if (e->key_hash < 0 || e->key_hash % g.max_hash_slot_num != s)
        Problem(path, pos, entry + " is on the chain of hash slot " + std::to_string(s) + " but its keyHash " +
                               std::to_string(e->key_hash) +
                               (e->key_hash < 0 ? " is negative"
                                                : " belongs to slot " + std::to_string(e->key_hash % g.max_hash_slot_num)));
      if (e->prev_index < 0 || e->prev_index >= cur)
        return Problem(path, pos, entry + " has prevIndex " + std::to_string(e->prev_index) +
                                      ", not an older entry (a loop, or a pointer out of the chain)");
      cur = e->prev_index;
    }
  }

  // Runs of entries no chain reached, one problem each.
  void ReportUnreachedEntries(const IndexFileReader& index) {
    const int32_t count = index.header().index_count;
    for (int32_t n = 1; n < count;) {
      if (reached_[static_cast<size_t>(n)]) {
        ++n;
        continue;
      }
      int32_t end = n;
      while (end < count && !reached_[static_cast<size_t>(end)]) ++end;
      Problem(index.file().path, static_cast<int64_t>(index.geometry().EntryPosition(n)),
              end - n == 1 ? "entry " + std::to_string(n) + " is reached from no hash slot: no query finds it"
                           : "entries " + std::to_string(n) + ".." + std::to_string(end - 1) + " (" +
                                 std::to_string(end - n) + ") are reached from no hash slot: no query finds them");
      n = end;
    }
  }

  // Every key the index builder puts for a record (UNIQ_KEY and each KEYS
  // token of every record but ROLLBACK, dispatch_request.h) must have an
  // entry at the record's offset when the index files cover that offset
  // (first file's beginPhyOffset .. last file's endPhyOffset). Entries are
  // written in log order, so one cursor per file walks them alongside the
  // log scan: linear, nothing held per record.
  void CheckRecordKeys(const ScanEvent& ev) {
    if (key_files_.empty()) return;
    const int64_t x = ev.offset;
    if (x < key_files_.front().reader->header().begin_phy_offset ||
        x > key_files_.back().reader->header().end_phy_offset)
      return;
    const DispatchRequest r = MakeDispatchRequest(ev.message, delay_levels_);
    if (!r.IsIndexed() || (r.uniq_key.empty() && r.keys.empty())) return;
    while (key_file_ < key_files_.size() && key_files_[key_file_].reader->header().end_phy_offset < x) ++key_file_;
    hashes_at_.clear();
    for (size_t i = key_file_; i < key_files_.size() && key_files_[i].reader->header().begin_phy_offset <= x; ++i)
      EntriesAt(key_files_[i], x, hashes_at_);
    const uint32_t prefix = IndexKeyPrefixHash(r.topic);
    auto check = [&](std::string_view key) {
      ++report_.index_keys;
      const int32_t hash = IndexKeyHashAfter(prefix, key);
      if (std::find(hashes_at_.begin(), hashes_at_.end(), hash) != hashes_at_.end()) return;
      Problem(ev.segment->path, x,
              "key '" + EscapeForDisplay(key) + "' of topic " + EscapeForDisplay(r.topic) + " (keyHash " +
                  std::to_string(hash) + ") has no index entry, though the index files cover offsets " +
                  std::to_string(key_files_.front().reader->header().begin_phy_offset) + ".." +
                  std::to_string(key_files_.back().reader->header().end_phy_offset));
    };
    if (!r.uniq_key.empty()) check(r.uniq_key);
    ForEachKey(r.keys, check);
  }

  // Adds the hashes of the file's entries at commit-log offset `x` and
  // moves its cursor past them. An entry pointing further than the one
  // after it is off the file's log order (CheckIndexEntry reports it) and
  // is stepped over, so it does not hold the cursor back.
  static void EntriesAt(KeyCursor& c, int64_t x, std::vector<int32_t>& out) {
    const IndexFileReader& f = *c.reader;
    const int32_t count = f.header().index_count;
    while (c.next < count) {
      auto e = ReadIndexEntry(f.data(), f.geometry(), c.next);
      if (!e.ok()) return;
      if (e->phy_offset > x) {
        auto after = c.next + 1 < count ? ReadIndexEntry(f.data(), f.geometry(), c.next + 1) : e;
        if (!after.ok() || after->phy_offset >= e->phy_offset) return;
      } else if (e->phy_offset == x) {
        out.push_back(e->key_hash);
      }
      ++c.next;
    }
  }

  void CheckIndexEntry(CommitLogReader& reader, const std::string& file, int64_t pos, const IndexEntry& e) {
    auto rec = reader.ReadMessage(e.phy_offset, {options_.max_record_size, false});
    const std::string at = "index entry -> commit-log offset " + std::to_string(e.phy_offset) + ": ";
    if (!rec.ok()) return Problem(file, pos, at + rec.error().message());
    bool matched = false;
    const PropertiesView props = rec->properties();
    if (auto uniq = props.Get("UNIQ_KEY")) matched = IndexKeyHash(rec->topic, *uniq) == e.key_hash;
    if (!matched) {
      if (auto keys = props.Get("KEYS")) {
        ForEachKey(*keys, [&](std::string_view k) { matched = matched || IndexKeyHash(rec->topic, k) == e.key_hash; });
      }
    }
    if (!matched) Problem(file, pos, at + "no key of the record hashes to " + std::to_string(e.key_hash));
  }

  FileSystem& fs_;
  const StorePaths& paths_;
  const StoreReadOptions& options_;
  const VerifyCallbacks& cb_;
  std::vector<int64_t> delay_levels_;
  std::vector<SegmentFile> segments_;
  std::vector<std::string> not_regular_;  // paths of FIFOs, sockets, ... where store files should be
  int64_t segment_size_ = 0;
  struct EarlyEnd {
    std::string file;
    int64_t offset;
  };
  std::optional<EarlyEnd> early_end_;  // where data first stopped before a segment's end
  std::unordered_map<std::string, int64_t> next_queue_offset_;
  std::unordered_map<std::string, int64_t> cq_end_;  // per queue: one past its last valid unit
  bool log_had_errors_ = false;
  uint64_t fillers_ = 0;  // damage fillers seen so far
  std::string key_;
  std::vector<IndexFileSlot> index_files_;
  std::vector<KeyCursor> key_files_;  // the files holding entries
  size_t key_file_ = 0;               // the first that may cover the record being scanned
  std::vector<int32_t> hashes_at_;    // entries' hashes at that record (reused)
  std::vector<bool> reached_;         // per entry of the file whose chains are walked
  VerifyReport report_;
};

}  // namespace

Result<VerifyReport> VerifyStore(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                 const VerifyCallbacks& callbacks) {
  return Verifier(fs, paths, options, callbacks).Run();
}

}  // namespace mqstore
