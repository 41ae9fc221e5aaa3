// SegmentList: the ordered files of one segmented log (RocketMQ's
// MappedFileQueue, Redpanda's segment_set): the commit log's and a consume
// queue's Segments, the index service's IndexFiles (and a timer log's).
//
//   [ oldest ... newest ]    appended at the back by the one writer,
//                            taken off the front by cleanup, cut at the
//                            back by recovery, looked up by any thread
//
// The list guards its own vector with a shared mutex, never the files'
// bytes: readers on other threads look a file up while the writer appends
// and cleanup removes from the front, and a file they got stays mapped for
// as long as they hold it (shared_ptr), whatever the list does meanwhile.
// No lock is held while a caller's function runs except in Read() and in
// the predicates of RemoveFrontWhile/RemoveBackWhile, which must not call
// back into the list.
//
// Geometry (files that know their offsets, as Segment does: start_offset(),
// end_offset(), Contains()): every file is `segment_size` bytes and named by
// the offset of its first byte, so an offset's file is found by arithmetic
// when the files are contiguous (always so for the commit log) and by a
// search when they are not (a consume queue's files as found on disk).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <utility>
#include <vector>

namespace mqstore {

// The start of the segment of `segment_size` bytes that holds `offset`
// (offset - offset % segment_size): where the first file of a log that
// starts mid-stream goes.
int64_t SegmentStartOf(int64_t offset, int64_t segment_size);
// Index of `offset`'s segment in a contiguous run of `segment_size`-byte
// segments whose first starts at `first_start` (offset >= first_start).
size_t SegmentIndexOf(int64_t offset, int64_t first_start, int64_t segment_size);

// A file addressed by offsets (Segment); index files are addressed by name
// and time and get only the list, not the geometry.
template <class F>
concept OffsetAddressed = requires(const F& f, int64_t offset) {
  { f.start_offset() } -> std::convertible_to<int64_t>;
  { f.end_offset() } -> std::convertible_to<int64_t>;
  { f.Contains(offset) } -> std::convertible_to<bool>;
};

template <class File>
class SegmentList {
 public:
  using Ptr = std::shared_ptr<File>;

  // `segment_size`: the size of every file (0 for files without offsets).
  explicit SegmentList(int64_t segment_size = 0) : segment_size_(segment_size) {}
  SegmentList(const SegmentList&) = delete;
  SegmentList& operator=(const SegmentList&) = delete;

  // --- the list ------------------------------------------------------------

  size_t size() const {
    std::shared_lock lock(mu_);
    return files_.size();
  }
  bool empty() const { return size() == 0; }
  // The oldest / newest file; nullptr when there is none.
  Ptr First() const {
    std::shared_lock lock(mu_);
    return files_.empty() ? nullptr : files_.front();
  }
  Ptr Last() const {
    std::shared_lock lock(mu_);
    return files_.empty() ? nullptr : files_.back();
  }
  // A copy of the list, oldest first (the files stay pinned while it lives).
  std::vector<Ptr> Snapshot() const {
    std::shared_lock lock(mu_);
    return files_;
  }
  // Runs fn(std::span<const Ptr>) under the shared lock and returns what it
  // returns: a look at several files (or at one file's fields) without
  // copying the list or touching the files' reference counts, which every
  // reader thread would otherwise bounce between cores.
  template <class Fn>
  decltype(auto) Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return std::forward<Fn>(fn)(std::span<const Ptr>(files_));
  }

  // --- changes ---------------------------------------------------------------

  // The writer's roll: `file` becomes the newest.
  void Append(Ptr file) {
    std::unique_lock lock(mu_);
    files_.push_back(std::move(file));
  }
  // Load and recovery: the list becomes `files` (oldest first).
  void Replace(std::vector<Ptr> files) {
    std::unique_lock lock(mu_);
    files_ = std::move(files);
  }
  // Empties the list; returns what it held (a destroy unlinks them).
  std::vector<Ptr> Clear() {
    std::vector<Ptr> out;
    std::unique_lock lock(mu_);
    out.swap(files_);
    return out;
  }
  // Cleanup: takes files off the front, oldest first, while
  // keep_going(const File&) says so, at most `max`, and never the newest
  // (the writer's). The predicate runs under the exclusive lock, so what it
  // looked at is what goes. Returns the files taken, oldest first: they
  // are the caller's to unlink, and readers holding them keep them.
  template <class Pred>
  std::vector<Ptr> RemoveFrontWhile(Pred&& keep_going, size_t max = SIZE_MAX) {
    std::unique_lock lock(mu_);
    size_t n = 0;
    while (n < max && n + 1 < files_.size() && keep_going(static_cast<const File&>(*files_[n]))) ++n;
    std::vector<Ptr> out(std::make_move_iterator(files_.begin()),
                         std::make_move_iterator(files_.begin() + static_cast<std::ptrdiff_t>(n)));
    files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
  }
  // Recovery and truncation: takes files off the back, newest first, while
  // keep_going(const File&) says so (the newest may go too). Returns them
  // newest first.
  template <class Pred>
  std::vector<Ptr> RemoveBackWhile(Pred&& keep_going) {
    std::vector<Ptr> out;
    std::unique_lock lock(mu_);
    while (!files_.empty() && keep_going(static_cast<const File&>(*files_.back()))) {
      out.push_back(std::move(files_.back()));
      files_.pop_back();
    }
    return out;
  }
  // The newest file, taken off the list; nullptr when there is none.
  Ptr RemoveLast() {
    std::unique_lock lock(mu_);
    if (files_.empty()) return nullptr;
    Ptr last = std::move(files_.back());
    files_.pop_back();
    return last;
  }

  // --- geometry (offset-addressed files) -------------------------------------

  int64_t segment_size() const { return segment_size_; }
  // SegmentStartOf for this list's size.
  int64_t StartOf(int64_t offset) const
    requires OffsetAddressed<File>
  {
    return SegmentStartOf(offset, segment_size_);
  }
  // The first file's start: where the log begins (0 when empty).
  int64_t MinOffset() const
    requires OffsetAddressed<File>
  {
    std::shared_lock lock(mu_);
    return files_.empty() ? 0 : files_.front()->start_offset();
  }
  // The newest file's end: where the next file starts (0 when empty).
  int64_t NextStart() const
    requires OffsetAddressed<File>
  {
    std::shared_lock lock(mu_);
    return files_.empty() ? 0 : files_.back()->end_offset();
  }
  // Position in the list of the file holding `offset`; -1 when none does.
  int64_t IndexOf(int64_t offset) const
    requires OffsetAddressed<File>
  {
    std::shared_lock lock(mu_);
    return IndexOfLocked(offset);
  }
  // The file holding `offset`; nullptr when none does (before the first,
  // past the last, or in a gap).
  Ptr Find(int64_t offset) const
    requires OffsetAddressed<File>
  {
    std::shared_lock lock(mu_);
    const int64_t i = IndexOfLocked(offset);
    return i < 0 ? nullptr : files_[static_cast<size_t>(i)];
  }

 private:
  int64_t IndexOfLocked(int64_t offset) const
    requires OffsetAddressed<File>
  {
    if (files_.empty() || offset < files_.front()->start_offset() || offset >= files_.back()->end_offset())
      return -1;
    // Files of one size, contiguous: index arithmetic, no search.
    if (segment_size_ > 0) {
      const size_t i = SegmentIndexOf(offset, files_.front()->start_offset(), segment_size_);
      if (i < files_.size() && files_[i]->Contains(offset)) return static_cast<int64_t>(i);
    }
    // A gap before `offset`: the last file starting at or before it.
    auto it = std::upper_bound(files_.begin(), files_.end(), offset,
                               [](int64_t v, const Ptr& f) { return v < f->start_offset(); });
    --it;  // files_.front() starts at or before `offset`
    return (*it)->Contains(offset) ? static_cast<int64_t>(it - files_.begin()) : -1;
  }

  const int64_t segment_size_;
  mutable std::shared_mutex mu_;  // guards files_ (not the files)
  std::vector<Ptr> files_;        // oldest first
};

}  // namespace mqstore
