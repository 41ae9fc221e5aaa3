// IndexFile: one live index file (RocketMQ's IndexFile), mapped
// shared and writable, that keys are put into and unlinked from; the
// layout and the insert/select algorithms are format/index_file_format.h,
// the read-only view of a file the tools use is storage/offline/
// index_file_reader.h.
//
//   index/<yyyyMMddHHmmssSSS>   [ header 40 ][ slots ][ entries ]
//
// The header lives decoded in header_ and encoded in the mapping's first 40
// bytes; every change writes both, as RocketMQ's header setters write into
// the mapped buffer. Not synchronized: its owner (IndexService, whose lock
// guards each file's header and bytes) is; rw_ and map_ never change.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "format/index_file_format.h"
#include "mqstore/status.h"
#include "storage/io/file_system.h"
#include "storage/log/prefaulter.h"
#include "storage/offline/index_file_reader.h"  // IndexFileView

namespace mqstore {

class IndexFile : public std::enable_shared_from_this<IndexFile> {
 public:
  static Result<std::shared_ptr<IndexFile>> Create(FileSystem& fs, const std::string& dir, const std::string& name,
                                              const IndexGeometry& g, const IndexHeader& seed);
  static Result<std::shared_ptr<IndexFile>> Open(FileSystem& fs, const std::string& dir, const std::string& name,
                                            const IndexGeometry& g);
  // Writes the four seeded fields (IndexService.getAndCreateLastIndexFile), as RocketMQ's IndexFile
  // constructor: the counts stay 0 on disk until the first key.
  void Seed(const IndexHeader& seed);

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  // Renames the file on disk; the mapping stays.
  Status Rename(FileSystem& fs, const std::string& dir, const std::string& name);
  const IndexHeader& header() const { return header_; }
  int32_t Entries() const { return std::max(header_.index_count - 1, 0); }
  bool Full() const { return header_.index_count >= geometry_.max_index_num; }
  // An empty file carrying the previous file's end (IndexService.getAndCreateLastIndexFile).
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
  IndexFile(std::string name, const IndexGeometry& g, std::unique_ptr<RandomRWFile> rw, std::unique_ptr<FileMapping> map)
      : name_(std::move(name)), path_(rw->path()), geometry_(g), rw_(std::move(rw)), map_(std::move(map)) {}
  static Result<std::shared_ptr<IndexFile>> Map(const std::string& name, const IndexGeometry& g,
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


}  // namespace mqstore
