#include "storage/index/index_file.h"

#include <cstring>

#include "format/big_endian.h"

namespace mqstore {

void IndexFile::Seed(const IndexHeader& seed) {
  uint8_t header[kIndexHeaderSize];
  EncodeIndexHeader(seed, header);
  std::memcpy(bytes(), header, 32);
  header_ = seed;
}

Status IndexFile::Rename(FileSystem& fs, const std::string& dir, const std::string& name) {
  const std::string to = JoinPath(dir, name);
  MQ_RETURN_IF_ERROR(fs.Rename(path_, to));
  name_ = name;
  path_ = to;
  return fs.SyncDirectory(dir);
}

Result<std::shared_ptr<IndexFile>> IndexFile::Map(const std::string& name, const IndexGeometry& g,
                                                                    std::unique_ptr<RandomRWFile> rw) {
  auto map = rw->Map(g.FileSize(), /*writable=*/true);
  if (!map.ok()) return map.error();
  // Slots are hit at random over 20 MB (default geometry): with 2 MiB pages
  // that is a cache miss, with 4 KiB pages a TLB miss as well.
  (*map)->AdviseHugePages();
  return std::shared_ptr<IndexFile>(new IndexFile(name, g, std::move(rw), std::move(*map)));
}

Result<std::shared_ptr<IndexFile>> IndexFile::Create(FileSystem& fs, const std::string& dir,
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
  auto file = sized.ok() ? Map(name, g, std::move(*rw)) : Result<std::shared_ptr<IndexFile>>(sized);
  if (!file.ok()) {
    (void)fs.Remove(path);  // best effort: a short file would fail the next Load
    return file;
  }
  (*file)->Seed(seed);
  (*file)->PrefaultSlots();
  MQ_RETURN_IF_ERROR(fs.SyncDirectory(dir));
  return file;
}

Result<std::shared_ptr<IndexFile>> IndexFile::Open(FileSystem& fs, const std::string& dir,
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

bool IndexFile::Put(int32_t key_hash, int64_t phy_offset, int64_t store_timestamp) {
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

void IndexFile::PrefaultEntriesAhead() {
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

Result<bool> IndexFile::UnlinkFrom(int64_t phy_end) {
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
Status IndexFile::UnlinkEntry(int32_t n, const IndexEntry& e) {
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
void IndexFile::RecomputeEnd() {
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

}  // namespace mqstore
