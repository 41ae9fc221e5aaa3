#include "storage/queue/get_message.h"

#include <algorithm>
#include <optional>

namespace mqstore {
namespace {

using Status_ = GetMessageStatus;

// Hands out record bytes from the commit log, pinning each segment once.
class RecordPinner {
 public:
  RecordPinner(const CommitLog& log, GetMessageResult& out) : log_(log), out_(out) {}

  std::optional<std::span<const uint8_t>> Read(int64_t offset, int32_t size) {
    if (!current_ || !current_->Contains(offset)) {
      current_ = log_.SegmentFor(offset);
      if (!current_) return std::nullopt;
      out_.pins.push_back(current_);
    }
    const int64_t pos = offset - current_->start_offset();
    if (size <= 0 || pos + size > current_->committed()) return std::nullopt;
    return std::span<const uint8_t>(current_->data()).subspan(static_cast<size_t>(pos), static_cast<size_t>(size));
  }

 private:
  const CommitLog& log_;
  GetMessageResult& out_;
  std::shared_ptr<Segment> current_;
};

// One pull in progress: the limits and what was taken so far.
class Pull {
 public:
  Pull(const CommitLog& log, const GetMessageRequest& request, const ReadLimits& limits, GetMessageResult& out)
      : log_(log), request_(request), limits_(limits), out_(out), pinner_(log, out), log_max_(log.MaxOffset()) {}

  // isTheBatchFull: never before the first message.
  bool Full(const ConsumeQueueUnit& unit) {
    const int64_t taken = static_cast<int64_t>(out_.messages.size());
    if (taken == 0) return false;
    if (taken >= request_.max_msg_nums) return true;
    const bool in_disk = InDisk(unit);
    const int64_t max_bytes = in_disk ? limits_.max_bytes_on_disk : limits_.max_bytes_in_memory;
    const int64_t max_count = in_disk ? limits_.max_count_on_disk : limits_.max_count_in_memory;
    return out_.buffer_total_size + unit.size > max_bytes || taken >= max_count;
  }

  bool CountReached() const { return static_cast<int64_t>(out_.messages.size()) >= request_.max_msg_nums; }

  enum class Outcome : uint8_t { kTaken, kFiltered, kMissing };
  // Takes the unit's record if the filters pass.
  Outcome Offer(int64_t queue_offset, const ConsumeQueueUnit& unit) {
    out_.suggest_pulling_from_slave = InDisk(unit);
    const MessageFilter* filter = request_.filter;
    if (filter && !filter->IsMatchedByConsumeQueue(unit.tags_code)) return Miss(Status_::kNoMatchedMessage);
    auto bytes = pinner_.Read(unit.commit_log_offset, unit.size);
    if (!bytes) return Miss(Status_::kMessageWasRemoving, Outcome::kMissing);
    if (filter && !filter->IsMatchedByCommitLog(*bytes)) return Miss(Status_::kNoMatchedMessage);
    out_.messages.push_back(FoundMessage{queue_offset, unit.commit_log_offset, unit.tags_code, *bytes});
    out_.buffer_total_size += unit.size;
    out_.status = Status_::kFound;
    return Outcome::kTaken;
  }

  // rollNextFile of the commit log: where the segment after `phy` starts.
  int64_t NextSegmentStart(int64_t phy) const {
    const int64_t size = log_.options().segment_size;
    return phy + size - phy % size;
  }

 private:
  bool InDisk(const ConsumeQueueUnit& unit) const {
    return limits_.memory_bytes > 0 && log_max_ - unit.commit_log_offset > limits_.memory_bytes;
  }
  Outcome Miss(Status_ status, Outcome outcome = Outcome::kFiltered) {
    if (out_.messages.empty()) out_.status = status;
    return outcome;
  }

  const CommitLog& log_;
  const GetMessageRequest& request_;
  const ReadLimits& limits_;
  GetMessageResult& out_;
  RecordPinner pinner_;
  const int64_t log_max_;
};

// RocketMQ's way: read units one by one from the pull offset, within one CQ
// file and at most max(16000 bytes, n units). Returns nextBeginOffset.
int64_t ScanUnits(const ConsumeQueue::UnitsView& view, const GetMessageRequest& request, const ReadLimits& limits,
                  Pull& pull) {
  const int64_t max_units =
      std::max<int64_t>(limits.max_filter_bytes, int64_t{request.max_msg_nums} * kCqUnitSize) / kCqUnitSize;
  const int64_t n = std::min<int64_t>(static_cast<int64_t>(view.count()), max_units);
  int64_t skip_below = -1;  // units in a commit-log segment found missing
  int64_t i = 0;
  for (; i < n; ++i) {
    const ConsumeQueueUnit unit = view.unit(static_cast<size_t>(i));
    if (unit.IsBlankPad()) continue;  // a queue offset whose record was lost (ConsumeQueue::PadGap)
    if (unit.commit_log_offset < skip_below) continue;
    if (pull.Full(unit)) break;
    if (pull.Offer(view.first_queue_offset + i, unit) == Pull::Outcome::kMissing)
      skip_below = pull.NextSegmentStart(unit.commit_log_offset);
  }
  return view.first_queue_offset + i;
}

// The next queue offset in [from, limit) carrying one of `codes`; nullopt
// for none. Unknown (a tag not tracked) is reported through `unknown`.
std::optional<int64_t> NextTagged(const ConsumeQueue& queue, std::span<const int64_t> codes, int64_t from,
                                  int64_t limit, bool& unknown) {
  std::optional<int64_t> best;
  for (int64_t code : codes) {
    const TagBitmapIndex::Lookup l = queue.NextWithTag(code, from, best.value_or(limit));
    if (l.kind == TagBitmapIndex::Lookup::Kind::kUnknown) {
      unknown = true;
      return std::nullopt;
    }
    if (l.kind == TagBitmapIndex::Lookup::Kind::kFound) best = l.queue_offset;
  }
  return best;
}

// The bitmap way: jump from match to match. Returns nextBeginOffset, or
// nullopt when the bitmaps cannot answer (the caller scans instead).
std::optional<int64_t> JumpToTagged(const ConsumeQueue& queue, const GetMessageRequest& request, int64_t max,
                                    Pull& pull) {
  const std::span<const int64_t> codes = request.filter->TagCodes();
  int64_t from = request.offset;
  bool unknown = false;
  while (from < max && !pull.CountReached()) {
    const std::optional<int64_t> next = NextTagged(queue, codes, from, max, unknown);
    if (unknown) {
      if (from == request.offset) return std::nullopt;
      return from;
    }
    if (!next) return max;
    const std::optional<ConsumeQueueUnit> unit = queue.GetUnit(*next);
    if (!unit || pull.Full(*unit)) return *next;
    pull.Offer(*next, *unit);
    from = *next + 1;
  }
  return from;
}

}  // namespace

std::string_view ToString(GetMessageStatus s) {
  switch (s) {
    case Status_::kFound: return "FOUND";
    case Status_::kNoMatchedMessage: return "NO_MATCHED_MESSAGE";
    case Status_::kMessageWasRemoving: return "MESSAGE_WAS_REMOVING";
    case Status_::kOffsetFoundNull: return "OFFSET_FOUND_NULL";
    case Status_::kOffsetOverflowBadly: return "OFFSET_OVERFLOW_BADLY";
    case Status_::kOffsetOverflowOne: return "OFFSET_OVERFLOW_ONE";
    case Status_::kOffsetTooSmall: return "OFFSET_TOO_SMALL";
    case Status_::kNoMatchedLogicQueue: return "NO_MATCHED_LOGIC_QUEUE";
    case Status_::kNoMessageInQueue: return "NO_MESSAGE_IN_QUEUE";
    case Status_::kServiceNotAvailable: return "SERVICE_NOT_AVAILABLE";
  }
  return "UNKNOWN";
}

void GetMessageResult::Clear() {
  status = Status_::kNoMessageInQueue;
  next_begin_offset = min_offset = max_offset = buffer_total_size = 0;
  suggest_pulling_from_slave = false;
  messages.clear();
  pins.clear();
}

void GetMessage(const CommitLog& log, const ConsumeQueue* queue, const GetMessageRequest& request,
                const ReadLimits& limits, GetMessageResult& out) {
  out.Clear();
  const int64_t offset = request.offset;
  if (queue == nullptr) {
    out.status = Status_::kNoMatchedLogicQueue;
    return;
  }
  const int64_t min = queue->MinOffset();
  const int64_t max = queue->MaxOffset();
  out.min_offset = min;
  out.max_offset = max;
  out.next_begin_offset = offset;
  if (max == 0) {
    out.status = Status_::kNoMessageInQueue;
    out.next_begin_offset = 0;
  } else if (offset < min) {
    out.status = Status_::kOffsetTooSmall;
    out.next_begin_offset = min;
  } else if (offset == max) {
    out.status = Status_::kOffsetOverflowOne;
  } else if (offset > max) {
    out.status = Status_::kOffsetOverflowBadly;
    out.next_begin_offset = max;
  } else {
    // From here the status is what the scan found; nothing at all taken or
    // filtered leaves NO_MESSAGE_IN_QUEUE as in RocketMQ.
    Pull pull(log, request, limits, out);
    const bool by_bitmap = request.use_tag_bitmap && request.filter && !request.filter->TagCodes().empty();
    std::optional<int64_t> next = by_bitmap ? JumpToTagged(*queue, request, max, pull) : std::nullopt;
    if (next) {
      if (out.messages.empty() && out.status == Status_::kNoMessageInQueue) out.status = Status_::kNoMatchedMessage;
      out.next_begin_offset = *next;
      return;
    }
    const std::optional<ConsumeQueue::UnitsView> view = queue->ReadUnits(offset);
    if (!view) {
      out.status = Status_::kOffsetFoundNull;
      out.next_begin_offset = queue->RollNextFile(offset);
      return;
    }
    out.next_begin_offset = ScanUnits(*view, request, limits, pull);
  }
}

}  // namespace mqstore
