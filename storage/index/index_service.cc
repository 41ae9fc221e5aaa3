#include "storage/index/index_service.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <utility>

#include "format/properties.h"
#include "storage/io/clock.h"
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
  const std::tm tm = LocalTimeOf(secs);
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
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  const auto secs = EpochSecondsOfLocal(tm);
  if (!secs) return std::nullopt;
  return *secs * 1000 + num(14, 3);
}

}  // namespace

struct IndexService::SyncTarget {
  std::shared_ptr<IndexFile> file;
  uint64_t generation = 0;
  int64_t end_timestamp = 0;
};

struct IndexService::Spare {
  std::mutex mu;
  std::condition_variable done;
  bool pending = false;  // a job is queued or running
  std::shared_ptr<IndexFile> file;
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
  files_.Clear();
  auto names = ListFileNames();
  if (!names.ok()) return names.error();
  for (size_t i = 0; i < names->size(); ++i) {
    auto file = IndexFile::Open(fs_, options_.dir, (*names)[i], options_.geometry);
    if (file.ok()) {
      (*file)->prefaulter = options_.prefaulter;
      files_.Append(std::move(*file));
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
  if (const auto last = files_.Last(); !last || last->Full()) PrepareSpare();  // the first key's file, ready before it
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
  const std::vector<std::shared_ptr<IndexFile>> files = files_.Snapshot();
  auto why_untrusted = [&](size_t i) -> std::string {  // "" for a file known synced
    const IndexFile& f = *files[i];
    const int64_t end = f.header().end_timestamp;
    if (!f.Full()) return f.name() + " is not full (never synced for sure)";
    if (end > index_msg_timestamp)
      return f.name() + "'s endTimestamp " + std::to_string(end) + " is after the checkpoint's indexMsgTimestamp " +
             std::to_string(index_msg_timestamp);
    if (end == index_msg_timestamp && i > 0 && files[i - 1]->header().end_timestamp == end)
      return f.name() + " ends in the millisecond of the checkpoint's indexMsgTimestamp " + std::to_string(end) +
             " like an older file (only the first of those is known synced)";
    return "";
  };
  size_t keep = 0;
  std::string why;
  while (keep < files.size() && (why = why_untrusted(keep)).empty()) ++keep;
  while (files_.size() > keep) MQ_RETURN_IF_ERROR(RemoveLastFile("abnormal exit and " + why));
  return Status::Ok();
}

Status IndexService::RemoveLastFile(const std::string& why) {
  const std::shared_ptr<IndexFile> file = files_.RemoveLast();
  StoreLog(LogLevel::kWarn, "index: removing " + file->path() + ": " + why);
  MQ_RETURN_IF_ERROR(fs_.Remove(file->path()));
  return fs_.SyncDirectory(options_.dir);
}

Result<size_t> IndexService::DeleteFilesBelow(int64_t commit_log_min_offset) {
  std::vector<std::shared_ptr<IndexFile>> doomed;
  {
    std::unique_lock lock(mu_);  // the headers looked at are the writer's too
    doomed = files_.RemoveFrontWhile(
        [&](const IndexFile& f) { return f.header().end_phy_offset < commit_log_min_offset; });
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
  while (const std::shared_ptr<IndexFile> newest = files_.Last()) {
    IndexFile& last = *newest;
    const int64_t begin = last.header().begin_phy_offset;
    if ((last.Entries() > 0 || last.Seeded()) && begin >= phy_end) {
      MQ_RETURN_IF_ERROR(RemoveLastFile("it begins at commit-log offset " + std::to_string(begin) +
                                        ", at or past " + std::to_string(phy_end) +
                                        ", where the index is rebuilt from the log"));
      continue;
    }
    auto unlinked = last.UnlinkFrom(phy_end);
    if (!unlinked.ok()) {  // a broken chain cannot be unwound: drop the file
      MQ_RETURN_IF_ERROR(RemoveLastFile(unlinked.error().message()));
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
  return files_.Read([](Files files) {
    for (auto it = files.rbegin(); it != files.rend(); ++it)
      if ((*it)->Entries() > 0 || (*it)->Seeded()) return (*it)->header().end_phy_offset;
    return int64_t{-1};
  });
}

bool IndexService::LastRecordComplete() const {
  std::shared_lock lock(mu_);
  return files_.Read([](Files files) {
    for (auto it = files.rbegin(); it != files.rend(); ++it)
      if ((*it)->Entries() > 0 || (*it)->Seeded()) return (*it)->Entries() > 0 && !(*it)->Full();
    return false;
  });
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
  const IndexFile* last = nullptr;  // stays alive: cleanup never removes the last file
  {
    std::shared_lock lock(mu_);  // cleanup may take files off the front meanwhile
    indexed = IndexedUpToLocked();
    // Each slot is fetched as soon as its hash is known, the batch's whole
    // length before it is written.
    if (const auto newest = files_.Last(); newest && !newest->Full()) last = newest.get();
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
    IndexFile& f = **file;
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
  files_.Read([&](Files files) {
    for (size_t i = files.size(); i-- > 0 && i + 2 >= files.size();) {
      const IndexFileView v = files[i]->View();
      IndexSelectPhyOffsets(v.data, v.geometry, key_hash, 0, INT64_MAX, found.size() + 16, found);
    }
  });
  return static_cast<int>(std::count(found.begin(), found.end(), phy_offset));
}

// Only the writer thread adds files and changes the headers, so the file
// found or created is still the last one when the key goes in; the lock is
// shared because cleanup may take files off the front meanwhile.
Result<IndexFile*> IndexService::LastWritableFile() {
  IndexHeader seed;
  std::string last_name;
  {
    std::shared_lock lock(mu_);
    if (const std::shared_ptr<IndexFile> newest = files_.Last()) {
      const IndexFile& last = *newest;
      if (!last.Full()) return newest.get();
      const IndexHeader& h = last.header();
      if (h.end_phy_offset > 0) seed.begin_phy_offset = seed.end_phy_offset = h.end_phy_offset;
      if (h.end_timestamp > 0) seed.begin_timestamp = seed.end_timestamp = h.end_timestamp;
      last_name = last.name();
    }
  }
  std::shared_ptr<IndexFile> file = TakeSpare(seed);
  if (!file) {
    auto created = CreateFile(last_name, seed);  // no lock: queries go on meanwhile
    if (!created.ok()) return created.error();
    file = std::move(*created);
  }
  std::unique_lock lock(mu_);
  IndexFile* taken = file.get();
  files_.Append(std::move(file));
  return taken;
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
    auto file = st.ok() ? IndexFile::Create(*fs, dir, name, g, IndexHeader{}) : Result<std::shared_ptr<IndexFile>>(st);
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
  const std::shared_ptr<IndexFile> newest = files_.Last();
  return newest ? newest->name() : std::string();
}

std::shared_ptr<IndexFile> IndexService::WaitForSpare() {
  std::unique_lock lock(spare_->mu);
  spare_->done.wait(lock, [this] { return !spare_->pending; });
  return std::exchange(spare_->file, nullptr);
}

std::shared_ptr<IndexFile> IndexService::TakeSpare(const IndexHeader& seed) {
  std::shared_ptr<IndexFile> file = WaitForSpare();
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
  std::shared_ptr<IndexFile> file = WaitForSpare();
  if (!file) return Status::Ok();
  const std::string path = file->path();
  file.reset();  // unmapped before the unlink
  MQ_RETURN_IF_ERROR(fs_.Remove(path));
  return fs_.SyncDirectory(options_.dir);
}

Status IndexService::RemoveUnusedSpare() {
  if (files_.size() < 2) return Status::Ok();
  const std::shared_ptr<IndexFile> newest = files_.Last();
  const IndexFile& last = *newest;
  if (last.Entries() > 0 || last.Seeded() || last.header().begin_timestamp > 0) return Status::Ok();
  return RemoveLastFile("made ahead of need and never used");
}

Result<std::shared_ptr<IndexFile>> IndexService::CreateFile(const std::string& last_name,
                                                                    const IndexHeader& seed) {
  MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, options_.dir));
  auto name = NewFileName(last_name);
  if (!name.ok()) return name.error();
  auto file = IndexFile::Create(fs_, options_.dir, *name, options_.geometry, seed);
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
  files_.Read([&](Files files) {
    views.reserve(files.size());
    for (const auto& file : files) views.push_back(file->View());
  });
  return QueryIndexFileViews(views, topic, key, max_num, begin, end);
}

std::vector<IndexService::SyncTarget> IndexService::FilesToSync(bool full_only) const {
  std::shared_lock lock(mu_);
  std::vector<SyncTarget> targets;
  files_.Read([&](Files files) {
    for (const auto& file : files)
      if (!full_only || (file->Full() && !file->synced))
        targets.push_back({file, file->generation, file->header().end_timestamp});
  });
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
  files_.Read([&](Files files) {
    stats.files = files.size();
    for (const auto& file : files) stats.entries += static_cast<uint64_t>(file->Entries());
    if (!files.empty()) {
      stats.last_update_timestamp = files.back()->header().end_timestamp;
      stats.last_update_phy_offset = files.back()->header().end_phy_offset;
    }
  });
  stats.keys_added = keys_added_;
  return stats;
}

}  // namespace mqstore
