#include "storage/log/commit_log.h"

#include <algorithm>
#include <cstring>

#include "format/big_endian.h"
#include "format/segment_name.h"
#include "format/sys_flag.h"
#include "format/topic_name.h"
#include "storage/store_layout.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

constexpr int64_t kPageSize = 4096;

PutStatus StatusFor(EncodeErrc e) {
  return e == EncodeErrc::kPropertiesTooLong ? PutStatus::kPropertiesSizeExceeded : PutStatus::kMessageIllegal;
}

// The per-thread encode buffer: grows to the largest put a thread made and
// stays, so steady-state puts allocate nothing.
std::vector<uint8_t>& EncodeBuffer() {
  thread_local std::vector<uint8_t> buffer;
  return buffer;
}

}  // namespace

CommitLog::CommitLog(const Env& env, CommitLogOptions options)
    : fs_(env.fs()),
      clock_(env.clock()),
      options_(std::move(options)),
      allocator_(fs_, options_.dir,
                 {options_.segment_size, options_.backend == WriteBackend::kMmap, options_.warm,
                  options_.backend == WriteBackend::kMmap ? options_.prefault_ahead : 0}),
      segments_(options_.segment_size),
      put_mu_(options_.blocking_put_lock) {}

CommitLog::~CommitLog() { Stop(); }

void CommitLog::Start() { allocator_.Start(); }

void CommitLog::Stop() { allocator_.Stop(); }

// Called after a put, outside the put lock: the event wakes a thread, so
// only once per backlog (Commit() re-arms it).
void CommitLog::NoteCommitBacklog() {
  if (!events_) return;
  const int64_t backlog = WroteOffset() - ring_->committed();
  if (backlog < static_cast<int64_t>(ring_->capacity() / 4)) return;
  if (backlog_reported_.exchange(true, std::memory_order_acq_rel)) return;
  events_->OnCommitBacklog();
}

// The write backend's ring, made by Load (its memory refused is a Status).
Status CommitLog::MakeRing() {
  if (options_.backend != WriteBackend::kWrite || ring_) return Status::Ok();
  // Two of the largest records (and a blank's zero fill) must fit at once.
  const size_t floor = 2 * (static_cast<size_t>(options_.limits.max_record_size) + 4096);
  auto ring = AppendBuffer::Create(std::max(options_.append_buffer_bytes, floor));
  if (!ring.ok()) return ring.error();
  ring_ = std::move(*ring);
  inline_io_ = NewSyncIoQueue();
  return Status::Ok();
}

Status CommitLog::Load() {
  MQ_RETURN_IF_ERROR(MakeRing());
  MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, options_.dir));
  auto files = ListSegments(fs_, options_.dir);
  if (!files.ok()) return files.error();
  std::vector<std::shared_ptr<Segment>> loaded;
  for (size_t i = 0; i < files->size(); ++i) {
    const SegmentFile& f = (*files)[i];
    if (f.size == 0 && i + 1 == files->size()) {
      // A crash between creating and sizing the newest file (RocketMQ 5.1.3+).
      StoreLog(LogLevel::kWarn, "deleting empty last commit-log file " + f.path);
      MQ_RETURN_IF_ERROR(fs_.Remove(f.path));
      continue;
    }
    if (f.size < static_cast<uint64_t>(options_.segment_size) && i + 1 == files->size()) {
      // A crash while the newest file was being created: give it its size
      // back; recovery reads whatever records it holds.
      StoreLog(LogLevel::kWarn, "extending short last commit-log file " + f.path + " (" + std::to_string(f.size) +
                                    " bytes) to " + std::to_string(options_.segment_size));
      auto file = fs_.OpenRandomRW(f.path, OpenMode::kMustExist);
      if (!file.ok()) return file.error();
      MQ_RETURN_IF_ERROR((*file)->Preallocate(static_cast<uint64_t>(options_.segment_size)));
      MQ_RETURN_IF_ERROR((*file)->Sync());
    }
    if (!loaded.empty() && f.start_offset != loaded.back()->end_offset())
      return Status::Corruption(f.path + ": commit-log files are not contiguous (expected a file starting at " +
                                std::to_string(loaded.back()->end_offset()) + ")");
    auto segment =
        Segment::Open(fs_, f.path, f.start_offset, options_.segment_size, options_.backend == WriteBackend::kMmap);
    if (!segment.ok()) return segment.error();
    (*segment)->SetPositions(options_.segment_size);  // recovery sets the real end
    loaded.push_back(std::move(*segment));
  }
  segments_.Replace(std::move(loaded));
  return Status::Ok();
}

bool CommitLog::IsPageCacheBusy() const {
  const int64_t begin = begin_time_in_lock_.load(std::memory_order_relaxed);
  if (begin == 0) return false;
  const int64_t held = clock_.WallMillis() - begin;
  return held > options_.os_page_cache_busy_timeout_ms && held < 10000000;
}

PutResult CommitLog::Refuse(PutStatus status, std::string reason) const {
  PutResult r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

PutResult CommitLog::Put(const Message& message) { return PutBatch({&message, 1}); }

PutResult CommitLog::PutBatch(std::span<const Message> batch, PutGate* gate) {
  if (batch.empty()) return Refuse(PutStatus::kMessageIllegal, "empty batch");
  if (!writeable()) return Refuse(PutStatus::kServiceNotAvailable, "the commit log is not writeable after an I/O error");
  if (IsPageCacheBusy()) return Refuse(PutStatus::kOsPageCacheBusy, "the put lock is held too long");
  const Message& first = batch.front();
  // A topic becomes a directory name: refused here, before it is stored.
  if (const TopicProblem bad = CheckTopicForPut(first.topic, options_.max_topic_length); bad != TopicProblem::kNone)
    return Refuse(PutStatus::kMessageIllegal, DescribeTopicProblem(bad, first.topic, options_.max_topic_length));
  std::vector<uint8_t>& buffer = EncodeBuffer();
  buffer.clear();
  for (const Message& m : batch) {
    if (batch.size() > 1) {
      if (m.topic != first.topic || m.queue_id != first.queue_id)
        return Refuse(PutStatus::kMessageIllegal, "a batch must hold one topic and queue");
      if (sysflag::TransactionType(m.sys_flag) != sysflag::kTransactionNotType)
        return Refuse(PutStatus::kMessageIllegal, "a batch cannot hold transaction messages");
    }
    if (PutResult r = EncodeOne(m, buffer); !r.ok()) return r;
  }
  if (static_cast<int64_t>(buffer.size()) + kEndFileMinBlankLength > options_.segment_size)
    return Refuse(PutStatus::kMessageIllegal, std::to_string(buffer.size()) + " bytes do not fit a " +
                                                  std::to_string(options_.segment_size) + "-byte segment");
  if (gate != nullptr)
    if (auto answer = gate->BeforeAppend()) return std::move(*answer);
  bool rolled = false;
  PutResult result = Append(buffer, static_cast<int32_t>(batch.size()), first, rolled);
  if (ring_ && result.ok()) NoteCommitBacklog();
  if (rolled && events_) events_->OnSegmentsGrew();
  return result;
}

// What PutBatch checks and encodes per message.
PutResult CommitLog::EncodeOne(const Message& m, std::vector<uint8_t>& out) const {
  if (m.queue_id < 0) return Refuse(PutStatus::kMessageIllegal, "queue id " + std::to_string(m.queue_id) + " < 0");
  if (!options_.auto_message_version && m.topic.size() > 127)
    return Refuse(PutStatus::kMessageIllegal, "topic longer than 127 bytes needs autoMessageVersionOnTopicLen");
  auto size = EncodeRecordTo(RecordFieldsOf(m, options_.auto_message_version), out, options_.limits);
  if (!size.ok()) return Refuse(StatusFor(size.error().code), size.error().ToString());
  PutResult r;
  r.status = PutStatus::kPutOk;
  return r;
}

PutResult CommitLog::EncodeTo(const Message& message, std::vector<uint8_t>& out) const {
  if (const TopicProblem bad = CheckTopicForPut(message.topic, options_.max_topic_length); bad != TopicProblem::kNone)
    return Refuse(PutStatus::kMessageIllegal, DescribeTopicProblem(bad, message.topic, options_.max_topic_length));
  const size_t at = out.size();
  PutResult r = EncodeOne(message, out);
  if (!r.ok()) {
    out.resize(at);
    return r;
  }
  const auto size = static_cast<int64_t>(out.size() - at);
  if (size + kEndFileMinBlankLength > options_.segment_size) {
    out.resize(at);
    return Refuse(PutStatus::kMessageIllegal, std::to_string(size) + " bytes do not fit a " +
                                                  std::to_string(options_.segment_size) + "-byte segment");
  }
  return r;
}

PutResult CommitLog::Append(std::span<uint8_t> records, int32_t count, const Message& first, bool& rolled) {
  const auto total = static_cast<int64_t>(records.size());
  std::lock_guard lock(put_mu_);
  const int64_t now = clock_.WallMillis();
  const LockHeldSince held(begin_time_in_lock_, now);
  if (!writeable()) return Refuse(PutStatus::kServiceNotAvailable, "the commit log is not writeable after an I/O error");

  if (!current_ || current_->IsFull()) {
    if (Status st = Roll(current_); !st.ok()) return Refuse(PutStatus::kCreateMappedFileFailed, st.ToString());
    rolled = true;
  }
  int64_t pos = current_->wrote();
  if (total + kEndFileMinBlankLength > current_->size() - pos) {
    if (Status st = EndSegment(*current_, pos); !st.ok()) return Refuse(PutStatus::kUnknownError, st.ToString());
    if (Status st = Roll(current_); !st.ok()) return Refuse(PutStatus::kCreateMappedFileFailed, st.ToString());
    rolled = true;
    pos = 0;
  }

  const bool takes_offset = sysflag::TakesQueueOffset(first.sys_flag);
  int64_t* next_queue_offset = takes_offset ? &queue_offsets_.At(first.topic, first.queue_id) : nullptr;
  const int64_t first_queue_offset = takes_offset ? *next_queue_offset : 0;
  const int64_t wrote_offset = current_->start_offset() + pos;
  for (int64_t at = 0, i = 0; at < total; ++i) {
    uint8_t* record = records.data() + at;
    PatchAppendFields(record, takes_offset ? first_queue_offset + i : 0, wrote_offset + at, now);
    at += static_cast<int64_t>(LoadI32(record));
  }
  if (Status st = CopyIn(*current_, pos, records); !st.ok())
    return Refuse(PutStatus::kServiceNotAvailable, st.ToString());
  if (takes_offset) *next_queue_offset += count;
  Publish(pos + total, now);

  PutResult r;
  r.status = PutStatus::kPutOk;
  r.wrote_offset = wrote_offset;
  r.wrote_bytes = static_cast<int32_t>(total);
  r.queue_offset = first_queue_offset;
  r.msg_count = count;
  r.store_timestamp = now;
  r.store_host = first.store_host;
  return r;
}

void CommitLog::Publish(int64_t end, int64_t now) {
  current_->set_wrote(end);
  if (!ring_) current_->set_committed(end);
  wrote_where_.store(current_->start_offset() + end, std::memory_order_release);
  // Published after the positions: a flusher that sees this time also sees
  // the bytes of the record it belongs to.
  current_->set_last_store_timestamp(now);
  last_store_timestamp_.store(now, std::memory_order_release);
  allocator_.WriterAt(current_, end);
}

Status CommitLog::Roll(std::shared_ptr<Segment>& segment) {
  const int64_t start = segments_.NextStart();
  if (segment && segment->end_offset() != start)
    return Status::Corruption("commit log: the current segment is not the last one");
  auto next = allocator_.Take(start);
  if (!next.ok()) {
    StoreLog(LogLevel::kError, "cannot create commit-log file at " + std::to_string(start) + ": " + next.error().ToString());
    return next.error();
  }
  (*next)->SetPositions(0);
  segments_.Append(*next);
  segment = std::move(*next);
  return Status::Ok();
}

// The blank record that ends a segment: TOTALSIZE = bytes left, then the
// blank magic. The rest of the file stays as it is (zeros).
Status CommitLog::EndSegment(Segment& segment, int64_t pos) {
  const int64_t left = segment.size() - pos;
  uint8_t blank[kEndFileMinBlankLength];
  EncodeBlankRecord(blank, static_cast<int32_t>(left));
  MQ_RETURN_IF_ERROR(CopyIn(segment, pos, blank));
  if (ring_) {
    // The committer writes whole segments out of the ring: give it zeros for
    // the tail, so it never writes stale ring bytes into the file.
    const int64_t at = segment.start_offset() + pos + kEndFileMinBlankLength;
    const auto zeros = static_cast<size_t>(left - kEndFileMinBlankLength);
    if (!ring_->Fits(at, zeros)) MQ_RETURN_IF_ERROR(Commit());
    ring_->PutZeros(at, zeros);
  }
  segment.set_wrote(segment.size());
  if (!ring_) segment.set_committed(segment.size());
  wrote_where_.store(segment.end_offset(), std::memory_order_release);
  return Status::Ok();
}

// The mapping's cache lines up to kPrefetchAhead past the writer are asked
// for (for writing) as the writer comes near them: the records of the next
// puts land there, and fetching their lines now overlaps with the rest of
// this put and the making of the next ones, where the copy would otherwise
// stall on memory (new pages of the log are in no cache). Each put asks
// only for the lines its bytes brought into reach.
void CommitLog::PrefetchAhead(const Segment& segment, int64_t end) {
  constexpr int64_t kLine = 64;
  const int64_t base = segment.start_offset();
  const int64_t from = std::max(prefetched_to_, base + end) & ~(kLine - 1);
  const int64_t to = std::min(base + end + kPrefetchAhead, segment.end_offset());
  const uint8_t* data = segment.data().data();
  for (int64_t at = from; at < to; at += kLine) __builtin_prefetch(data + (at - base), /*rw=*/1, /*locality=*/3);
  prefetched_to_ = std::max(prefetched_to_, to);
}

Status CommitLog::CopyIn(Segment& segment, int64_t pos, std::span<const uint8_t> bytes) {
  if (!ring_) {
    std::memcpy(segment.data().data() + pos, bytes.data(), bytes.size());
    PrefetchAhead(segment, pos + static_cast<int64_t>(bytes.size()));
    return Status::Ok();
  }
  const int64_t at = segment.start_offset() + pos;
  if (!ring_->Fits(at, bytes.size())) {
    // The ring is full: commit from this thread rather than wait for the
    // flusher (the put lock is held; the committer never takes it).
    MQ_RETURN_IF_ERROR(Commit());
  }
  ring_->Put(at, bytes);
  return Status::Ok();
}

Status CommitLog::Commit() {
  if (!ring_) return writeable() ? Status::Ok() : Status::IOError("commit log is not writeable after an earlier I/O error");
  auto range = Commit(*inline_io_);
  return range.ok() ? Status::Ok() : range.error();
}

Result<CommitLog::CommitRange> CommitLog::Commit(IoQueue& io) {
  // After a failed write or sync nothing more is written or claimed durable:
  // the kernel may have dropped the failed pages and reports an error once.
  if (!writeable()) return Status::IOError("commit log is not writeable after an earlier I/O error");
  if (!ring_) return CommitRange{};
  Result<CommitRange> range = CommitRange{};
  {
    std::lock_guard lock(commit_mu_);
    backlog_reported_.store(false, std::memory_order_release);
    range = CommitLocked(io);
  }
  if (!range.ok()) MarkNotWriteable(range.error());
  else if (range->to > range->from && events_) events_->OnCommitted();
  return range;
}

// Queues one write per contiguous piece of the ring and segment, waits for
// all of them (the ring's bytes must stay put until then), and only then
// moves `committed` and frees the ring space.
Result<CommitLog::CommitRange> CommitLog::CommitLocked(IoQueue& io) {
  std::vector<CommitPiece>& pieces = commit_pieces_;
  std::vector<uint64_t>& tickets = commit_tickets_;
  pieces.clear();
  tickets.clear();
  const int64_t from = ring_->committed();
  int64_t at = from;
  while (true) {
    std::shared_ptr<Segment> segment = SegmentFor(at);
    if (!segment) break;
    const int64_t end = segment->start_offset() + segment->wrote();
    if (at < end) {
      const AppendBuffer::Parts parts = ring_->Get(at, static_cast<size_t>(end - at));
      const auto pos = static_cast<uint64_t>(at - segment->start_offset());
      tickets.push_back(io.Write(segment->file(), pos, parts.first));
      if (!parts.second.empty()) tickets.push_back(io.Write(segment->file(), pos + parts.first.size(), parts.second));
      pieces.push_back({segment, end - segment->start_offset()});
      at = end;
    }
    if (at != segment->end_offset()) break;
  }
  Status first_error;
  for (uint64_t t : tickets) {
    Status st = io.Wait(t);
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  if (!first_error.ok()) return first_error;
  for (const CommitPiece& p : pieces) p.segment->set_committed(p.end);
  pieces.clear();  // drops the segment references
  ring_->set_committed(at);
  return CommitRange{from, at};
}

CommitLog::WriteMark CommitLog::MarkNow() const {
  WriteMark mark;
  // The time first: it is published after the position of its record.
  mark.store_timestamp = last_store_timestamp();
  mark.wrote = WroteOffset();
  return mark;
}

void CommitLog::PlanSync(const WriteMark& mark, int least_pages, SyncPlan& plan) const {
  plan.files.clear();
  plan.store_timestamp = 0;
  int64_t at = FlushedOffset();
  plan.target = at;
  while (true) {
    std::shared_ptr<Segment> segment = SegmentFor(at);
    if (!segment) break;
    const int64_t committed = segment->committed();
    const int64_t flushed = at - segment->start_offset();
    if (committed > flushed) {
      const bool full = committed == segment->size();
      if (least_pages > 0 && !full && committed / kPageSize - flushed / kPageSize < least_pages) break;
      plan.files.push_back({segment, committed});
      plan.target = segment->start_offset() + committed;
    }
    if (committed != segment->size()) break;
    at = plan.target = segment->end_offset();
  }
  if (plan.target >= mark.wrote) plan.store_timestamp = mark.store_timestamp;
}

void CommitLog::SyncDone(const SyncPlan& plan) {
  bool segment_done = false;
  for (const SyncPlan::File& f : plan.files) {
    f.segment->set_flushed(f.position);
    allocator_.Synced(f.segment, f.position);
    segment_done |= f.position == f.segment->size();
  }
  if (plan.target > FlushedOffset()) flushed_where_.store(plan.target, std::memory_order_release);
  DropCacheBehind(FlushedOffset());
  if (segment_done && events_) events_->OnSegmentsGrew();
}

// Inside a file a drop ends on a kFolioBytes boundary: the page cache keeps
// a file in folios of up to that size, aligned to it, and lets go only of a
// folio that lies wholly inside the range, so a drop that ended inside one
// would leave it, and the next drop (which starts inside it) leave it too.
// Files start at multiples of the segment size.
int64_t CommitLog::FolioFloor(int64_t offset) const {
  return offset - offset % options_.segment_size % kFolioBytes;
}

void CommitLog::DropCacheBehind(int64_t flushed) {
  if (options_.cache_behind < 0) return;
  // In steps of a quarter file, at most 32 MiB: each is two system calls on
  // the flush thread.
  const int64_t step = std::clamp<int64_t>(options_.segment_size / 4, 4096, 32 << 20);
  const int64_t end = FolioFloor(std::max<int64_t>(0, flushed - options_.cache_behind));
  if (end - cache_dropped_to_ < step) return;
  const auto pause = allocator_.PausePopulating();
  // Only flushed bytes: what the page cache holds of them is clean and on
  // disk, and nothing writes them again.
  for (int64_t at = std::max(cache_dropped_to_, MinOffset()); at < end;) {
    std::shared_ptr<Segment> segment = SegmentFor(at);
    if (!segment) break;
    const int64_t start = segment->start_offset();
    const int64_t to = std::min(end, segment->end_offset());
    if (Status st = segment->DropCache(at - start, to - start); !st.ok()) {
      StoreLog(LogLevel::kWarn, "commit log: dropping cached pages: " + st.ToString());
      break;
    }
    cache_dropped_to_ = at = to;
  }
}

void CommitLog::MarkNotWriteable(const Status& why) {
  if (writeable_.exchange(false))
    StoreLog(LogLevel::kError, "commit log is no longer writeable: " + why.ToString());
}

int64_t CommitLog::MinOffset() const { return segments_.MinOffset(); }

int64_t CommitLog::MaxOffset() const {
  return segments_.Read([](std::span<const std::shared_ptr<Segment>> s) {
    return s.empty() ? int64_t{0} : s.back()->start_offset() + s.back()->committed();
  });
}

std::shared_ptr<Segment> CommitLog::SegmentFor(int64_t offset) const { return segments_.Find(offset); }

std::vector<std::shared_ptr<Segment>> CommitLog::Segments() const { return segments_.Snapshot(); }

std::shared_ptr<Segment> CommitLog::OldestSegment() const { return segments_.First(); }

size_t CommitLog::SegmentCount() const { return segments_.size(); }

Result<std::shared_ptr<Segment>> CommitLog::RemoveOldestSegment(int64_t start) {
  std::string busy;
  std::vector<std::shared_ptr<Segment>> removed = segments_.RemoveFrontWhile(
      [&](const Segment& oldest) {
        if (oldest.start_offset() != start) return false;
        // Durability is claimed front to back (FlushedOffset): a segment goes
        // only once all of it is written and synced.
        if (oldest.flushed() != oldest.wrote()) {
          busy = "commit log: segment " + oldest.path() + " is not flushed yet";
          return false;
        }
        return true;
      },
      /*max=*/1);
  if (removed.empty())
    return Status::Busy(!busy.empty() ? busy
                                      : "commit log: " + std::to_string(start) +
                                            " is not the start of the oldest segment, or that segment is the newest");
  MQ_RETURN_IF_ERROR(fs_.Remove(removed.front()->path()));
  return std::move(removed.front());
}

Result<SegmentView> CommitLog::Read(int64_t offset, int64_t size) const {
  std::shared_ptr<Segment> segment = SegmentFor(offset);
  if (!segment) return Status::NotFound("commit-log offset " + std::to_string(offset) + " is outside the log");
  const int64_t pos = offset - segment->start_offset();
  const int64_t readable = segment->committed() - pos;
  if (readable <= 0)
    return Status::NotFound("commit-log offset " + std::to_string(offset) + " is past the readable end " +
                            std::to_string(segment->start_offset() + segment->committed()));
  const int64_t n = std::min(size, readable);
  SegmentView view{segment, segment->data().subspan(static_cast<size_t>(pos), static_cast<size_t>(n)), offset};
  return view;
}

Result<MessageView> CommitLog::LookMessage(int64_t offset) const {
  auto view = Read(offset, options_.segment_size);
  if (!view.ok()) return view.error();
  RecordDecodeOptions decode;
  decode.max_record_size = options_.limits.max_record_size;
  auto record = DecodeRecord(view->bytes, decode);
  if (!record.ok()) return record.error().ToStatus(view->segment->path(), static_cast<uint64_t>(offset - view->segment->start_offset()));
  if (record->kind != RecordKind::kMessage)
    return Status::NotFound("commit-log offset " + std::to_string(offset) + " holds the end-of-file blank record");
  if (record->message.physical_offset != offset)
    return Status::Corruption(view->segment->path() + ": the record at " + std::to_string(offset) +
                              " says PHYSICALOFFSET " + std::to_string(record->message.physical_offset));
  view->bytes = view->bytes.first(static_cast<size_t>(record->total_size));
  return MessageView{std::move(*view), record->message};
}

int64_t CommitLog::NextQueueOffset(std::string_view topic, int32_t queue_id) const {
  std::lock_guard lock(put_mu_);
  return queue_offsets_.Get(topic, queue_id);
}

std::vector<QueueOffsetTable::Entry> CommitLog::QueueOffsets() const {
  std::lock_guard lock(put_mu_);
  return queue_offsets_.Entries();
}

void CommitLog::RaiseNextQueueOffset(std::string_view topic, int32_t queue_id, int64_t next) {
  std::lock_guard lock(put_mu_);
  queue_offsets_.Raise(topic, queue_id, next);
}

}  // namespace mqstore
