#include "storage/index/index_service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <utility>

#include "format/big_endian.h"
#include "format/properties.h"
#include "storage/offline/index_file_reader.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

constexpr size_t kFileNameDigits = 17;  // yyyyMMddHHmmssSSS
// Enough milliseconds to step past a clock that went back by an hour (a DST
// change) before giving up on finding a name.
constexpr int kMaxNameTries = 3'700'000;

bool IsIndexFileName(std::string_view name) {
  return name.size() == kFileNameDigits &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// UtilAll.timeMillisToHumanString: yyyyMMddHHmmssSSS in the local time zone.
std::string IndexFileName(int64_t ms) {
  int64_t secs = ms / 1000, milli = ms % 1000;
  if (milli < 0) secs -= 1, milli += 1000;
  const time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(milli));
  return buf;
}

// The milliseconds a name stands for (local time); nullopt if not a name.
std::optional<int64_t> ParseIndexFileName(std::string_view name) {
  if (!IsIndexFileName(name)) return std::nullopt;
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (name[i] - '0');
    return v;
  };
  struct tm tm {};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  tm.tm_isdst = -1;
  const time_t secs = mktime(&tm);
  if (secs == static_cast<time_t>(-1)) return std::nullopt;
  return int64_t{secs} * 1000 + num(14, 3);
}

}  // namespace

// One IndexFile mapped shared and writable. The header lives decoded in
// header_ and encoded in the mapping's first 40 bytes; every change writes
// both, as RocketMQ's header setters write into the mapped buffer. Guarded
// by IndexService::mu_ except rw_/map_ themselves, which never change.
class IndexService::File : public std::enable_shared_from_this<IndexService::File> {
 public:
  static Result<std::shared_ptr<File>> Create(FileSystem& fs, const std::string& dir, const std::string& name,
                                              const IndexGeometry& g, const IndexHeader& seed);
  static Result<std::shared_ptr<File>> Open(FileSystem& fs, const std::string& dir, const std::string& name,
                                            const IndexGeometry& g);
  // Writes the four seeded fields (spec 4.5), as RocketMQ's IndexFile
  // constructor: the counts stay 0 on disk until the first key.
  void Seed(const IndexHeader& seed) {
    uint8_t header[kIndexHeaderSize];
    EncodeIndexHeader(seed, header);
    std::memcpy(bytes(), header, 32);
    header_ = seed;
  }

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  // Renames the file on disk; the mapping stays.
  Status Rename(FileSystem& fs, const std::string& dir, const std::string& name) {
    const std::string to = JoinPath(dir, name);
    MQ_RETURN_IF_ERROR(fs.Rename(path_, to));
    name_ = name;
    path_ = to;
    return fs.SyncDirectory(dir);
  }
  const IndexHeader& header() const { return header_; }
  int32_t Entries() const { return std::max(header_.index_count - 1, 0); }
  bool Full() const { return header_.index_count >= geometry_.max_index_num; }
  // An empty file carrying the previous file's end (spec 4.5).
  bool Seeded() const { return Entries() == 0 && header_.end_phy_offset > 0; }
  IndexFileView View() const { return {map_->data(), geometry_, header_}; }

  // IndexFile.putKey; false when full.
  bool Put(int32_t key_hash, int64_t phy_offset, int64_t store_timestamp);
  void PrefetchSlot(int32_t key_hash) const {
    if (geometry_.max_hash_slot_num > 0)
      __builtin_prefetch(bytes() + geometry_.SlotPosition(key_hash % geometry_.max_hash_slot_num), 1);
  }
  // Unlinks the newest entries while they point at or past `phy_end`; true
  // if any was. Corruption when a chain does not start at the entry.
  Result<bool> UnlinkFrom(int64_t phy_end);
  Status Sync() { return rw_->Sync(); }

  // Durable and reported through FlushFullFiles (only full files need it).
  bool synced = false;
  Prefaulter* prefaulter = nullptr;  // set once, before the first Put
  uint64_t generation = 0;  // bumped by every change, so a sync knows what it covered

 private:
  File(std::string name, const IndexGeometry& g, std::unique_ptr<RandomRWFile> rw, std::unique_ptr<FileMapping> map)
      : name_(std::move(name)), path_(rw->path()), geometry_(g), rw_(std::move(rw)), map_(std::move(map)) {}
  static Result<std::shared_ptr<File>> Map(const std::string& name, const IndexGeometry& g,
                                           std::unique_ptr<RandomRWFile> rw);
  uint8_t* bytes() const { return map_->data().data(); }
  // First-touch page faults cost more than the writes on a VM: the slots
  // (hit at random) are faulted in when the file is made, the entries
  // (written in order) a stretch at a time, at least a stretch ahead of the
  // writer (by the prefaulter's thread when there is one).
  static constexpr int32_t kEntriesPerPrefault = 1 << 16;
  void PrefaultSlots() { map_->Populate(0, geometry_.EntryPosition(0), /*for_write=*/true); }
  void PrefaultEntriesAhead();
  int32_t prefaulted_entries_ = 0;  // entries [0, this) are faulted in, or asked to be
  Status UnlinkEntry(int32_t n, const IndexEntry& e);
  void RecomputeEnd();

  std::string name_;
  std::string path_;
  IndexGeometry geometry_;
  std::unique_ptr<RandomRWFile> rw_;
  std::unique_ptr<FileMapping> map_;
  IndexHeader header_;
};

Result<std::shared_ptr<IndexService::File>> IndexService::File::Map(const std::string& name, const IndexGeometry& g,
                                                                    std::unique_ptr<RandomRWFile> rw) {
  auto map = rw->Map(g.FileSize(), /*writable=*/true);
  if (!map.ok()) return map.error();
  // Slots are hit at random over 20 MB (default geometry): with 2 MiB pages
  // that is a cache miss, with 4 KiB pages a TLB miss as well.
  (*map)->AdviseHugePages();
  return std::shared_ptr<File>(new File(name, g, std::move(rw), std::move(*map)));
}

Result<std::shared_ptr<IndexService::File>> IndexService::File::Create(FileSystem& fs, const std::string& dir,
                                                                       const std::string& name,
                                                                       const IndexGeometry& g,
                                                                       const IndexHeader& seed) {
  const std::string path = JoinPath(dir, name);
  auto rw = fs.OpenRandomRW(path, OpenMode::kCreateIfMissing);
  if (!rw.ok()) return rw.error();
  // Reserved blocks: a store into a sparse mapping on a full disk would be
  // SIGBUS instead of an error here.
  Status sized = (*rw)->Preallocate(g.FileSize());
  if (sized.ok()) sized = (*rw)->Sync();  // the size survives a crash, not a 0-byte file
  auto file = sized.ok() ? Map(name, g, std::move(*rw)) : Result<std::shared_ptr<File>>(sized);
  if (!file.ok()) {
    (void)fs.Remove(path);  // best effort: a short file would fail the next Load
    return file;
  }
  (*file)->Seed(seed);
  (*file)->PrefaultSlots();
  MQ_RETURN_IF_ERROR(fs.SyncDirectory(dir));
  return file;
}

Result<std::shared_ptr<IndexService::File>> IndexService::File::Open(FileSystem& fs, const std::string& dir,
                                                                     const std::string& name,
                                                                     const IndexGeometry& g) {
  const std::string path = JoinPath(dir, name);
  auto rw = fs.OpenRandomRW(path, OpenMode::kMustExist);
  if (!rw.ok()) return rw.error();
  auto size = (*rw)->Size();
  if (!size.ok()) return size.error();
  if (*size != g.FileSize())
    return Status::Corruption(path + ": size " + std::to_string(*size) + ", expected " +
                              std::to_string(g.FileSize()) + " for " + std::to_string(g.max_hash_slot_num) +
                              " slots and " + std::to_string(g.max_index_num) + " entries");
  auto file = Map(name, g, std::move(*rw));
  if (!file.ok()) return file;
  IndexHeader h = DecodeIndexHeader((*file)->map_->data()).value();  // the mapping is >= 40 bytes
  if (h.index_count <= 0) h.index_count = 1;  // as IndexHeader.load does
  if (auto bad = ValidateIndexHeader(h, g)) return bad->ToStatus(path);
  (*file)->header_ = h;
  (*file)->synced = (*file)->Full();  // a full file was synced before the next one was used
  return file;
}

bool IndexService::File::Put(int32_t key_hash, int64_t phy_offset, int64_t store_timestamp) {
  if (header_.index_count + kEntriesPerPrefault > prefaulted_entries_) PrefaultEntriesAhead();
  // The entry a few ahead, into the cache for writing: entries fill fresh
  // lines in order, and each would otherwise be a read miss on first store.
  if (header_.index_count + 8 < geometry_.max_index_num)
    __builtin_prefetch(bytes() + geometry_.EntryPosition(header_.index_count + 8), 1);
  if (!IndexPutKey(map_->data(), geometry_, header_, key_hash, phy_offset, store_timestamp)) return false;
  synced = false;
  ++generation;
  return true;
}

void IndexService::File::PrefaultEntriesAhead() {
  // An opened file: from the writer's stretch on (earlier ones were written).
  if (prefaulted_entries_ == 0) prefaulted_entries_ = header_.index_count - header_.index_count % kEntriesPerPrefault;
  while (prefaulted_entries_ < geometry_.max_index_num &&
         header_.index_count + kEntriesPerPrefault > prefaulted_entries_) {
    const int32_t from = prefaulted_entries_;
    const int32_t to = std::min(geometry_.max_index_num, from + kEntriesPerPrefault);
    const uint64_t at = geometry_.EntryPosition(from);
    Prefaulter::FaultIn(prefaulter, shared_from_this(), *map_, at, geometry_.EntryPosition(to) - at);
    prefaulted_entries_ = to;
  }
}

Result<bool> IndexService::File::UnlinkFrom(int64_t phy_end) {
  bool changed = false;
  while (header_.index_count > 1) {
    const int32_t n = header_.index_count - 1;
    auto entry = ReadIndexEntry(map_->data(), geometry_, n);
    if (!entry.ok()) return entry.error().ToStatus(path());
    if (entry->phy_offset < phy_end) break;
    MQ_RETURN_IF_ERROR(UnlinkEntry(n, *entry));
    changed = true;
  }
  if (changed) {
    RecomputeEnd();
    EncodeIndexHeader(header_, bytes());
    ++generation;
  }
  return changed;
}

// Entry n is the newest, so it heads its slot's chain: the slot goes back to
// the entry before it, which is what putKey found there.
Status IndexService::File::UnlinkEntry(int32_t n, const IndexEntry& e) {
  if (e.key_hash < 0 || e.prev_index < 0 || e.prev_index >= n)
    return Status::Corruption(path() + ": index entry " + std::to_string(n) + " has keyHash " +
                              std::to_string(e.key_hash) + ", prevIndex " + std::to_string(e.prev_index));
  const int32_t slot = e.key_hash % geometry_.max_hash_slot_num;
  uint8_t* slot_ptr = bytes() + geometry_.SlotPosition(slot);
  if (LoadI32(slot_ptr) != n)
    return Status::Corruption(path() + ": hash slot " + std::to_string(slot) + " holds " +
                              std::to_string(LoadI32(slot_ptr)) + ", not its newest entry " + std::to_string(n));
  StoreI32(slot_ptr, e.prev_index);
  if (e.prev_index == 0) --header_.hash_slot_count;  // putKey counted the slot when it was empty
  std::memset(bytes() + geometry_.EntryPosition(n), 0, kIndexEntrySize);
  --header_.index_count;
  return Status::Ok();
}

// The end fields after unlinking: the last entry's offset, and its time to
// the second (entries keep no milliseconds). Entry 1's are the begin fields.
void IndexService::File::RecomputeEnd() {
  const int32_t last = header_.index_count - 1;
  auto entry = ReadIndexEntry(map_->data(), geometry_, last);
  if (last <= 1 || !entry.ok()) {
    header_.end_phy_offset = header_.begin_phy_offset;
    header_.end_timestamp = header_.begin_timestamp;
    return;
  }
  header_.end_phy_offset = entry->phy_offset;
  header_.end_timestamp = header_.begin_timestamp + int64_t{entry->time_diff} * 1000;
}

struct IndexService::SyncTarget {
  std::shared_ptr<File> file;
  uint64_t generation = 0;
  int64_t end_timestamp = 0;
};

struct IndexService::Spare {
  std::mutex mu;
  std::condition_variable done;
  bool pending = false;  // a job is queued or running
  std::shared_ptr<File> file;
};

IndexService::IndexService(const Env& env, IndexServiceOptions options)
    : fs_(env.fs()), clock_(env.clock()), options_(std::move(options)), spare_(std::make_shared<Spare>()) {}

IndexService::~IndexService() = default;

Result<std::vector<std::string>> IndexService::ListFileNames() const {
  std::vector<std::string> names;
  if (!fs_.Exists(options_.dir)) return names;  // created with the first file
  auto listed = fs_.ListDirectory(options_.dir);
  if (!listed.ok()) return listed.error();
  for (std::string& name : *listed)
    if (IsIndexFileName(name)) names.push_back(std::move(name));
  std::sort(names.begin(), names.end());  // = creation order
  return names;
}

Status IndexService::Load(bool last_exit_ok, int64_t index_msg_timestamp) {
  const IndexGeometry& g = options_.geometry;
  if (g.max_hash_slot_num <= 0 || g.max_index_num < 2)
    return Status::InvalidArgument("index geometry needs maxHashSlotNum > 0 and maxIndexNum > 1, not " +
                                   std::to_string(g.max_hash_slot_num) + " and " +
                                   std::to_string(g.max_index_num));
  std::unique_lock lock(mu_);
  files_.clear();
  auto names = ListFileNames();
  if (!names.ok()) return names.error();
  for (size_t i = 0; i < names->size(); ++i) {
    auto file = File::Open(fs_, options_.dir, (*names)[i], options_.geometry);
    if (file.ok()) {
      (*file)->prefaulter = options_.prefaulter;
      files_.push_back(std::move(*file));
      continue;
    }
    // After a crash a file may be short or its header torn: it and the
    // newer files go, and what they held is re-dispatched. After a clean
    // stop it is an error to look at.
    if (last_exit_ok || file.error().code() != StatusCode::kCorruption) return file.error();
    StoreLog(LogLevel::kWarn, "index: removing " + (*names)[i] + " and the " + std::to_string(names->size() - i - 1) +
                                  " newer file(s) after an abnormal exit: " + file.error().ToString());
    for (size_t j = names->size(); j-- > i;) MQ_RETURN_IF_ERROR(fs_.Remove(JoinPath(options_.dir, (*names)[j])));
    MQ_RETURN_IF_ERROR(fs_.SyncDirectory(options_.dir));
    break;
  }
  if (!last_exit_ok) MQ_RETURN_IF_ERROR(KeepCompleteFiles(index_msg_timestamp));
  MQ_RETURN_IF_ERROR(RemoveUnusedSpare());
  lock.unlock();
  if (files_.empty() || files_.back()->Full()) PrepareSpare();  // the first key's file, ready before it
  return Status::Ok();
}

// Only a full file was synced for sure (FlushFullFiles, before its endTimestamp
// went into the checkpoint); the newest one is written until it is full and
// its pages may be lost in a crash. Milliseconds are coarse: full files after
// the synced one can end in its millisecond too, so of the full files ending
// exactly at the checkpoint's indexMsgTimestamp only the first is trusted.
// The kept files are a run from the oldest (a gap would never be refilled:
// re-dispatch starts at the newest file's end); the rest go newest first, so
// an interrupted removal still leaves a run of complete files.
Status IndexService::KeepCompleteFiles(int64_t index_msg_timestamp) {
  auto why_untrusted = [&](size_t i) -> std::string {  // "" for a file known synced
    const File& f = *files_[i];
    const int64_t end = f.header().end_timestamp;
    if (!f.Full()) return f.name() + " is not full (never synced for sure)";
    if (end > index_msg_timestamp)
      return f.name() + "'s endTimestamp " + std::to_string(end) + " is after the checkpoint's indexMsgTimestamp " +
             std::to_string(index_msg_timestamp);
    if (end == index_msg_timestamp && i > 0 && files_[i - 1]->header().end_timestamp == end)
      return f.name() + " ends in the millisecond of the checkpoint's indexMsgTimestamp " + std::to_string(end) +
             " like an older file (only the first of those is known synced)";
    return "";
  };
  size_t keep = 0;
  std::string why;
  while (keep < files_.size() && (why = why_untrusted(keep)).empty()) ++keep;
  while (files_.size() > keep) MQ_RETURN_IF_ERROR(RemoveFile(files_.size() - 1, "abnormal exit and " + why));
  return Status::Ok();
}

Status IndexService::RemoveFile(size_t i, const std::string& why) {
  const std::shared_ptr<File> file = std::move(files_[i]);
  files_.erase(files_.begin() + static_cast<std::ptrdiff_t>(i));
  StoreLog(LogLevel::kWarn, "index: removing " + file->path() + ": " + why);
  MQ_RETURN_IF_ERROR(fs_.Remove(file->path()));
  return fs_.SyncDirectory(options_.dir);
}

Result<size_t> IndexService::DeleteFilesBelow(int64_t commit_log_min_offset) {
  std::vector<std::shared_ptr<File>> doomed;
  {
    std::unique_lock lock(mu_);
    size_t n = 0;
    while (n + 1 < files_.size() && files_[n]->header().end_phy_offset < commit_log_min_offset) ++n;
    doomed.assign(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
    files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  // Unlinked (and unmapped, unless a sync holds one) outside the lock: the
  // dispatcher's writer does not wait for the file system.
  for (const auto& f : doomed) {
    StoreLog(LogLevel::kInfo, "index: deleting " + f->path() + ": its endPhyOffset " +
                                  std::to_string(f->header().end_phy_offset) + " is below the commit log's min offset " +
                                  std::to_string(commit_log_min_offset));
    MQ_RETURN_IF_ERROR(fs_.Remove(f->path()));
  }
  if (!doomed.empty()) MQ_RETURN_IF_ERROR(fs_.SyncDirectory(options_.dir));
  return doomed.size();
}

Status IndexService::TruncateDirty(int64_t phy_end) {
  std::unique_lock lock(mu_);
  while (!files_.empty()) {
    File& last = *files_.back();
    const int64_t begin = last.header().begin_phy_offset;
    if ((last.Entries() > 0 || last.Seeded()) && begin >= phy_end) {
      MQ_RETURN_IF_ERROR(RemoveFile(files_.size() - 1, "it begins at commit-log offset " + std::to_string(begin) +
                                                           ", at or past the recovered end " +
                                                           std::to_string(phy_end)));
      continue;
    }
    auto unlinked = last.UnlinkFrom(phy_end);
    if (!unlinked.ok()) {  // a broken chain cannot be unwound: drop the file
      MQ_RETURN_IF_ERROR(RemoveFile(files_.size() - 1, unlinked.error().message()));
      continue;
    }
    if (*unlinked) {
      StoreLog(LogLevel::kInfo, "index: " + last.path() + " truncated to " + std::to_string(last.Entries()) +
                                    " entries below commit-log offset " + std::to_string(phy_end));
      MQ_RETURN_IF_ERROR(last.Sync());
    }
    break;
  }
  return Status::Ok();
}

int64_t IndexService::IndexedUpTo() const {
  std::shared_lock lock(mu_);
  return IndexedUpToLocked();
}

// The newest file that says where indexing got to: one with entries, or one
// seeded with its predecessor's end. Entries are tested by count, not by
// endPhyOffset > 0, because the first record of a store is at offset 0.
int64_t IndexService::IndexedUpToLocked() const {
  for (auto it = files_.rbegin(); it != files_.rend(); ++it)
    if ((*it)->Entries() > 0 || (*it)->Seeded()) return (*it)->header().end_phy_offset;
  return -1;
}

bool IndexService::LastRecordComplete() const {
  std::shared_lock lock(mu_);
  for (auto it = files_.rbegin(); it != files_.rend(); ++it)
    if ((*it)->Entries() > 0 || (*it)->Seeded()) return (*it)->Entries() > 0 && !(*it)->Full();
  return false;
}

Status IndexService::BuildIndex(const DispatchRequest& request) {
  size_t taken = 0;
  return BuildIndex(std::span<const DispatchRequest>(&request, 1), taken);
}

Status IndexService::BuildIndex(std::span<const DispatchRequest> batch, size_t& taken) {
  CollectKeys(batch);
  return PutKeys(batch, taken);
}

void IndexService::CollectKeys(std::span<const DispatchRequest> batch) {
  pending_.clear();
  int64_t indexed = -1;
  const File* last = nullptr;  // stays alive: cleanup never removes the last file
  {
    std::shared_lock lock(mu_);  // cleanup may take files off the front meanwhile
    indexed = IndexedUpToLocked();
    // Each slot is fetched as soon as its hash is known, the batch's whole
    // length before it is written.
    if (!files_.empty() && !files_.back()->Full()) last = files_.back().get();
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const DispatchRequest& r = batch[i];
    if (!r.IsIndexed() || r.commit_log_offset < indexed) continue;
    // The record at exactly the end may have got only some of its keys in
    // before a crash (its keys straddled a full file and a lost new one):
    // put each key that is not there yet. A key may repeat (KEYS equal to
    // UNIQ_KEY is common): count entries.
    const bool boundary = r.commit_log_offset == indexed;
    std::vector<std::pair<int32_t, int>> present;  // key hash -> entries not yet matched (boundary only)
    const uint32_t topic_hash = IndexKeyPrefixHash(r.topic);
    auto add = [&](std::string_view key) {
      const int32_t hash = IndexKeyHashAfter(topic_hash, key);
      if (boundary) {
        auto it = std::find_if(present.begin(), present.end(), [&](const auto& p) { return p.first == hash; });
        if (it == present.end()) it = present.insert(present.end(), {hash, CountEntries(hash, r.commit_log_offset)});
        if (it->second > 0) {
          --it->second;
          return;
        }
      }
      pending_.push_back(PendingKey{hash, static_cast<uint32_t>(i)});
      if (last) last->PrefetchSlot(hash);
    };
    if (!r.uniq_key.empty()) add(r.uniq_key);
    ForEachKey(r.keys, add);
  }
}

Status IndexService::PutKeys(std::span<const DispatchRequest> batch, size_t& taken) {
  size_t k = 0;
  while (k < pending_.size()) {
    auto file = LastWritableFile();  // creates a file outside the lock when the last is full
    if (!file.ok()) {
      taken = pending_[k].request;
      return file.error();
    }
    File& f = **file;
    std::unique_lock lock(mu_);
    for (; k < pending_.size() && !f.Full(); ++k) {
      const DispatchRequest& r = batch[pending_[k].request];
      // LastWritableFile left room, and Load validated the header: a
      // refusal means the bytes changed under us.
      if (!f.Put(pending_[k].hash, r.commit_log_offset, r.store_timestamp)) {
        taken = pending_[k].request;
        return Status::Corruption(f.path() + ": the index header refuses a key");
      }
      ++keys_added_;
    }
    lock.unlock();
    if (&f != spare_asked_after_ && f.header().index_count >= options_.geometry.max_index_num / 2) {
      spare_asked_after_ = &f;
      PrepareSpare();
    }
  }
  taken = batch.size();
  return Status::Ok();
}

// Entries of `key_hash` for `phy_offset` in the newest two files (a record
// straddles at most two); being the newest, they lead their chains.
int IndexService::CountEntries(int32_t key_hash, int64_t phy_offset) const {
  std::shared_lock lock(mu_);
  std::vector<int64_t> found;
  for (size_t i = files_.size(); i-- > 0 && i + 2 >= files_.size();) {
    const IndexFileView v = files_[i]->View();
    IndexSelectPhyOffsets(v.data, v.geometry, key_hash, 0, INT64_MAX, found.size() + 16, found);
  }
  return static_cast<int>(std::count(found.begin(), found.end(), phy_offset));
}

// Only the writer thread adds files and changes the headers, so the file
// found or created is still the last one when the key goes in; the lock is
// shared because cleanup may take files off the front meanwhile.
Result<IndexService::File*> IndexService::LastWritableFile() {
  IndexHeader seed;
  std::string last_name;
  {
    std::shared_lock lock(mu_);
    if (!files_.empty()) {
      const File& last = *files_.back();
      if (!last.Full()) return files_.back().get();
      const IndexHeader& h = last.header();
      if (h.end_phy_offset > 0) seed.begin_phy_offset = seed.end_phy_offset = h.end_phy_offset;
      if (h.end_timestamp > 0) seed.begin_timestamp = seed.end_timestamp = h.end_timestamp;
      last_name = last.name();
    }
  }
  std::shared_ptr<File> file = TakeSpare(seed);
  if (!file) {
    auto created = CreateFile(last_name, seed);  // no lock: queries go on meanwhile
    if (!created.ok()) return created.error();
    file = std::move(*created);
  }
  std::unique_lock lock(mu_);
  files_.push_back(std::move(file));
  return files_.back().get();
}

void IndexService::PrepareSpare() {
  if (!options_.prefaulter) return;
  {
    std::lock_guard lock(spare_->mu);
    if (spare_->pending || spare_->file) return;
    spare_->pending = true;
  }
  // Named now, on the writer's thread, so no other name is chosen while it
  // is made: the writer waits for a pending spare rather than make a file.
  auto name = NewFileName(LastFileName());
  if (!name.ok()) {
    std::lock_guard lock(spare_->mu);
    spare_->pending = false;
    return;
  }
  options_.prefaulter->Submit([spare = spare_, fs = &fs_, dir = options_.dir, g = options_.geometry,
                               prefaulter = options_.prefaulter, name = *name] {
    Status st = CreateDirectoriesDurably(*fs, dir);
    auto file = st.ok() ? File::Create(*fs, dir, name, g, IndexHeader{}) : Result<std::shared_ptr<File>>(st);
    if (file.ok()) {
      (*file)->prefaulter = prefaulter;
      StoreLog(LogLevel::kInfo, "index: made " + (*file)->path() + " ahead of need");
    } else {
      StoreLog(LogLevel::kWarn, "index: making the next file ahead failed (the writer makes it): " +
                                    file.error().ToString());
    }
    std::lock_guard lock(spare->mu);
    if (file.ok()) spare->file = std::move(*file);
    spare->pending = false;
    spare->done.notify_all();
  });
}

std::string IndexService::LastFileName() const {
  std::shared_lock lock(mu_);
  return files_.empty() ? std::string() : files_.back()->name();
}

std::shared_ptr<IndexService::File> IndexService::WaitForSpare() {
  std::unique_lock lock(spare_->mu);
  spare_->done.wait(lock, [this] { return !spare_->pending; });
  return std::exchange(spare_->file, nullptr);
}

std::shared_ptr<IndexService::File> IndexService::TakeSpare(const IndexHeader& seed) {
  std::shared_ptr<File> file = WaitForSpare();
  if (!file) return file;
  // Named for the moment it becomes the newest file, as RocketMQ names a
  // file when the first key needs it.
  auto name = NewFileName(LastFileName(), file->name());
  if (name.ok() && *name != file->name()) {
    if (Status st = file->Rename(fs_, options_.dir, *name); !st.ok())
      StoreLog(LogLevel::kWarn, "index: keeping the name " + file->name() + ": " + st.ToString());
  }
  file->Seed(seed);
  return file;
}

Status IndexService::RemoveSpare() {
  std::shared_ptr<File> file = WaitForSpare();
  if (!file) return Status::Ok();
  const std::string path = file->path();
  file.reset();  // unmapped before the unlink
  MQ_RETURN_IF_ERROR(fs_.Remove(path));
  return fs_.SyncDirectory(options_.dir);
}

Status IndexService::RemoveUnusedSpare() {
  if (files_.size() < 2) return Status::Ok();
  const File& last = *files_.back();
  if (last.Entries() > 0 || last.Seeded() || last.header().begin_timestamp > 0) return Status::Ok();
  return RemoveFile(files_.size() - 1, "made ahead of need and never used");
}

Result<std::shared_ptr<IndexService::File>> IndexService::CreateFile(const std::string& last_name,
                                                                    const IndexHeader& seed) {
  MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, options_.dir));
  auto name = NewFileName(last_name);
  if (!name.ok()) return name.error();
  auto file = File::Create(fs_, options_.dir, *name, options_.geometry, seed);
  if (!file.ok()) return file;
  (*file)->prefaulter = options_.prefaulter;
  StoreLog(LogLevel::kInfo, "index: created " + (*file)->path());
  return file;
}

// Names must sort in creation order (Load relies on it), so a name never
// goes back past the last file's, whatever the clock does, and two files in
// one millisecond take the next free one.
Result<std::string> IndexService::NewFileName(const std::string& last_name, const std::string& own_name) const {
  int64_t ms = clock_.WallMillis();
  if (auto last_ms = ParseIndexFileName(last_name)) ms = std::max(ms, *last_ms + 1);
  for (int tries = 0; tries < kMaxNameTries; ++tries, ++ms) {
    std::string name = IndexFileName(ms);
    if (name > last_name && (name == own_name || !fs_.Exists(JoinPath(options_.dir, name)))) return name;
  }
  return Status::InvalidArgument(options_.dir + ": no free index file name after " + last_name);
}

std::vector<int64_t> IndexService::QueryOffsets(std::string_view topic, std::string_view key, size_t max_num,
                                                int64_t begin, int64_t end) const {
  max_num = std::min(max_num, static_cast<size_t>(std::max(options_.max_msgs_num_batch, 0)));
  std::shared_lock lock(mu_);  // held while the walk reads the mappings
  std::vector<IndexFileView> views;
  views.reserve(files_.size());
  for (const auto& file : files_) views.push_back(file->View());
  return QueryIndexFileViews(views, topic, key, max_num, begin, end);
}

std::vector<IndexService::SyncTarget> IndexService::FilesToSync(bool full_only) const {
  std::shared_lock lock(mu_);
  std::vector<SyncTarget> targets;
  for (const auto& file : files_)
    if (!full_only || (file->Full() && !file->synced))
      targets.push_back({file, file->generation, file->header().end_timestamp});
  return targets;
}

Status IndexService::SyncFiles(const std::vector<SyncTarget>& targets, bool mark_synced) {
  for (const SyncTarget& t : targets) {
    MQ_RETURN_IF_ERROR(t.file->Sync());
    if (!mark_synced) continue;
    std::unique_lock lock(mu_);
    // A change made while the sync ran may have missed it.
    if (t.file->generation == t.generation) t.file->synced = true;
  }
  return Status::Ok();
}

Status IndexService::FlushFullFiles(const std::function<void(int64_t end_timestamp)>& on_full_file_synced) {
  const std::vector<SyncTarget> targets = FilesToSync(/*full_only=*/true);
  if (targets.empty()) return Status::Ok();
  MQ_RETURN_IF_ERROR(SyncFiles(targets, /*mark_synced=*/true));
  if (on_full_file_synced) on_full_file_synced(targets.back().end_timestamp);  // oldest first: back is newest
  return Status::Ok();
}

// Not marked: `synced` means "reported by FlushFullFiles", so a full file
// synced here still advances indexMsgTimestamp there.
Status IndexService::FlushAll() { return SyncFiles(FilesToSync(/*full_only=*/false), /*mark_synced=*/false); }

IndexStats IndexService::Stats() const {
  std::shared_lock lock(mu_);
  IndexStats stats;
  stats.files = files_.size();
  for (const auto& file : files_) stats.entries += static_cast<uint64_t>(file->Entries());
  stats.keys_added = keys_added_;
  if (!files_.empty()) {
    stats.last_update_timestamp = files_.back()->header().end_timestamp;
    stats.last_update_phy_offset = files_.back()->header().end_phy_offset;
  }
  return stats;
}

}  // namespace mqstore
