#include "storage/io/fault_injection_file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

namespace mqstore {
namespace {

constexpr uint64_t kPage = 4096;

// Paths are compared as strings: "a/b/" and "a/b" are one directory.
std::string Normalize(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool IsUnder(const std::string& path, const std::string& top) {
  return path == top || (path.size() > top.size() && path.compare(0, top.size(), top) == 0 && path[top.size()] == '/');
}

bool IsTrashName(const std::string& name) {
  return name.rfind(FaultInjectionFileSystem::kTrashPrefix, 0) == 0;
}

std::string BaseName(const std::string& path) {
  const std::string p = Normalize(path);
  const size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

Result<std::vector<uint8_t>> ReadWhole(RandomRWFile& file) {
  auto size = file.Size();
  if (!size.ok()) return size.error();
  std::vector<uint8_t> bytes(static_cast<size_t>(*size));
  auto n = file.Read(0, bytes);
  if (!n.ok()) return n.error();
  bytes.resize(*n);
  return bytes;
}

// The byte at `pos` of a file that reads as zeros past its end.
uint8_t ByteAt(const std::vector<uint8_t>& bytes, uint64_t pos) { return pos < bytes.size() ? bytes[pos] : 0; }

// [begin, end) of new bytes in one page that a torn write may have left: the
// newest pwrite's part in its first page when known, else the first page
// where `now` differs from `durable` (a store through a mapping), from its
// first to its last changed byte.
std::optional<std::pair<uint64_t, uint64_t>> TearRange(const std::vector<uint8_t>& durable,
                                                       const std::vector<uint8_t>& now,
                                                       std::optional<std::pair<uint64_t, uint64_t>> last_write) {
  if (last_write) {
    const auto [offset, len] = *last_write;
    const uint64_t end = std::min({offset + len, (offset / kPage + 1) * kPage, uint64_t{now.size()}});
    if (offset < end) return std::make_pair(offset, end);
  }
  uint64_t first = 0;
  while (first < now.size() && now[first] == ByteAt(durable, first)) ++first;
  if (first == now.size()) return std::nullopt;
  uint64_t last = std::min<uint64_t>((first / kPage + 1) * kPage, now.size()) - 1;
  while (now[last] == ByteAt(durable, last)) --last;
  return std::make_pair(first, last + 1);
}

// Writes `target` over the file through pwrite, page by page where it
// differs from `now`, and gives the file `target`'s size.
Status WriteBack(RandomRWFile& file, const std::vector<uint8_t>& now, const std::vector<uint8_t>& target) {
  if (now == target) return Status::Ok();
  MQ_RETURN_IF_ERROR(file.Truncate(target.size()));
  for (uint64_t at = 0; at < target.size(); at += kPage) {
    const uint64_t end = std::min<uint64_t>(at + kPage, target.size());
    bool same = true;
    for (uint64_t i = at; same && i < end; ++i) same = target[i] == ByteAt(now, i);
    if (!same) MQ_RETURN_IF_ERROR(file.Write(at, std::span<const uint8_t>(target.data() + at, end - at)));
  }
  return Status::Ok();
}

// Puts the file at `path` back to its durable image (optionally torn).
Status RestoreFile(FileSystem& base, const std::string& path, const std::vector<uint8_t>& durable,
                   std::optional<std::pair<uint64_t, uint64_t>> last_write, bool tear, std::mt19937_64& rng) {
  auto file = base.OpenRandomRW(path, OpenMode::kMustExist);
  if (!file.ok()) return file.error();
  auto now = ReadWhole(**file);
  if (!now.ok()) return now.error();
  std::vector<uint8_t> target = durable;
  if (tear) {
    if (auto range = TearRange(durable, *now, last_write)) {
      // Part of one page reached the disk: 1 .. (its changed bytes) bytes.
      const uint64_t keep = 1 + rng() % (range->second - range->first);
      const uint64_t end = range->first + keep;
      if (target.size() < end) target.resize(static_cast<size_t>(end), 0);
      std::copy(now->begin() + static_cast<std::ptrdiff_t>(range->first),
                now->begin() + static_cast<std::ptrdiff_t>(end), target.begin() + static_cast<std::ptrdiff_t>(range->first));
    }
  }
  return WriteBack(**file, *now, target);
}

}  // namespace

// ---- files -------------------------------------------------------------------

class FaultInjectionRandomRWFile final : public RandomRWFile {
 public:
  using State = FaultInjectionFileSystem::FileState;
  FaultInjectionRandomRWFile(FaultInjectionFileSystem& fs, std::unique_ptr<RandomRWFile> base,
                             std::shared_ptr<State> state)
      : fs_(fs), base_(std::move(base)), state_(std::move(state)) {}

  const std::string& path() const override { return base_->path(); }
  Result<size_t> Read(uint64_t offset, std::span<uint8_t> out) override { return base_->Read(offset, out); }
  Result<uint64_t> Size() override { return base_->Size(); }

  Status Write(uint64_t offset, std::span<const uint8_t> data) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("write", path()));
    const size_t short_len = fs_.TakeShortWrite();
    const bool shortened = short_len < data.size();
    const std::span<const uint8_t> part = shortened ? data.first(short_len) : data;
    {
      std::lock_guard lock(state_->mu);
      MQ_RETURN_IF_ERROR(FaultInjectionFileSystem::EnsureKnown(*state_, *base_));
      MQ_RETURN_IF_ERROR(base_->Write(offset, part));
      if (!part.empty()) state_->last_write = std::make_pair(offset, uint64_t{part.size()});
    }
    if (shortened)
      return Status::IOError("write " + path() + ": injected short write (" + std::to_string(short_len) + " of " +
                             std::to_string(data.size()) + " bytes)");
    return Status::Ok();
  }

  Status Preallocate(uint64_t size) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("fallocate", path()));
    std::lock_guard lock(state_->mu);
    MQ_RETURN_IF_ERROR(FaultInjectionFileSystem::EnsureKnown(*state_, *base_));
    return base_->Preallocate(size);
  }

  Status Truncate(uint64_t size) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("truncate", path()));
    std::lock_guard lock(state_->mu);
    MQ_RETURN_IF_ERROR(FaultInjectionFileSystem::EnsureKnown(*state_, *base_));
    return base_->Truncate(size);
  }

  // ZeroRange: the base class writes zeros through Write, so it is recorded
  // (and can fail or be torn) like any other write. StartWriteback and
  // NativeHandle keep the base class's defaults (nothing, -1): an IoQueue then
  // runs every operation on this file through Write and Sync, where faults
  // are injected and durable images are kept.
  Result<std::unique_ptr<FileMapping>> Map(uint64_t size, bool writable) override {
    if (writable) {
      // Stores through the mapping are found by the next Sync's read; what
      // the file holds before the first of them is its durable image.
      std::lock_guard lock(state_->mu);
      MQ_RETURN_IF_ERROR(FaultInjectionFileSystem::EnsureKnown(*state_, *base_));
    }
    return base_->Map(size, writable);
  }

  // The image read is what a crash keeps: stores racing with the sync may or
  // may not have reached a real disk, and here they have not. The real disk
  // is not synced: it never loses power, and fdatasync would only cost time.
  Status Sync() override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("fdatasync", path()));
    std::lock_guard lock(state_->mu);
    if (!state_->known) return Status::Ok();  // nothing changed through this object
    auto image = ReadWhole(*base_);
    if (!image.ok()) return image.error();
    state_->durable = std::move(*image);
    state_->last_write.reset();
    return Status::Ok();
  }

 private:
  FaultInjectionFileSystem& fs_;
  std::unique_ptr<RandomRWFile> base_;
  std::shared_ptr<State> state_;
};

class FaultInjectionSequentialFile final : public SequentialFile {
 public:
  using State = FaultInjectionFileSystem::FileState;
  FaultInjectionSequentialFile(FaultInjectionFileSystem& fs, std::string path, std::unique_ptr<SequentialFile> base,
                               std::shared_ptr<State> state)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)), state_(std::move(state)) {}

  Status Append(std::span<const uint8_t> data) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("write", path_));
    std::lock_guard lock(state_->mu);
    MQ_RETURN_IF_ERROR(base_->Append(data));
    if (!data.empty()) state_->last_write = std::make_pair(end_, uint64_t{data.size()});
    end_ += data.size();
    return Status::Ok();
  }

  Status Sync() override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("fdatasync", path_));
    std::lock_guard lock(state_->mu);
    // The writer's descriptor cannot read: look through a second one.
    auto reader = fs_.base_.OpenRandomRW(path_, OpenMode::kMustExist);
    if (!reader.ok()) return reader.error();
    auto image = ReadWhole(**reader);
    if (!image.ok()) return image.error();
    state_->durable = std::move(*image);
    state_->last_write.reset();
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    MQ_RETURN_IF_ERROR(fs_.MaybeFail("truncate", path_));
    std::lock_guard lock(state_->mu);
    return base_->Truncate(size);
  }

  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionFileSystem& fs_;
  std::string path_;
  std::unique_ptr<SequentialFile> base_;
  std::shared_ptr<State> state_;
  uint64_t end_ = 0;  // the file is written front to back from empty
};

Status FaultInjectionFileSystem::EnsureKnown(FileState& state, RandomRWFile& file) {
  if (state.known) return Status::Ok();
  auto image = ReadWhole(file);
  if (!image.ok()) return image.error();
  state.durable = std::move(*image);
  state.known = true;
  return Status::Ok();
}

// ---- fault knobs -------------------------------------------------------------

void FaultInjectionFileSystem::FailNthMutatingCall(uint64_t n, int err) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_ = n == 0 ? 0 : calls_ + n;
  fail_errno_ = err;
}

void FaultInjectionFileSystem::FailAllMutatingCalls(bool on, int err) {
  std::lock_guard<std::mutex> lock(mu_);
  failing_ = on;
  fail_errno_ = err;
}

void FaultInjectionFileSystem::ShortenNextWrite(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  short_write_ = bytes;
}

uint64_t FaultInjectionFileSystem::mutating_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

Status FaultInjectionFileSystem::MaybeFail(const char* op, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
  if (!failing_ && (fail_at_ == 0 || calls_ != fail_at_)) return Status::Ok();
  fail_at_ = 0;
  std::string m = std::string(op) + " " + path + ": injected " + std::strerror(fail_errno_);
  return fail_errno_ == ENOSPC ? Status::NoSpace(std::move(m)) : Status::IOError(std::move(m));
}

size_t FaultInjectionFileSystem::TakeShortWrite() {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = short_write_;
  short_write_ = SIZE_MAX;
  return n;
}

// ---- bookkeeping -------------------------------------------------------------

void FaultInjectionFileSystem::AddOp(DirOp op) {
  op.path = Normalize(op.path);
  op.from = Normalize(op.from);
  op.dir = Normalize(op.dir);
  pending_.push_back(std::move(op));
}

void FaultInjectionFileSystem::MoveStatesLocked(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, std::shared_ptr<FileState>>> moved;
  for (auto it = files_.begin(); it != files_.end();) {
    if (IsUnder(it->first, from)) {
      moved.emplace_back(to + it->first.substr(from.size()), std::move(it->second));
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, state] : moved) files_[path] = std::move(state);
}

void FaultInjectionFileSystem::DropStatesLocked(const std::string& path) {
  std::erase_if(files_, [&](const auto& entry) { return IsUnder(entry.first, path); });
}

bool FaultInjectionFileSystem::CreatedSinceDirSyncLocked(const std::string& path) const {
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    if (it->path == path) return it->kind == DirOp::Kind::kCreate;
    if (it->from == path) return false;
  }
  return false;
}

Status FaultInjectionFileSystem::MoveToTrash(const std::string& path) {
  const std::string from = Normalize(path);
  const std::string dir = ParentPath(from);
  if (CreatedSinceDirSyncLocked(from)) {
    // A crash would take the name anyway (its creation is still pending):
    // nothing to bring back.
    DropStatesLocked(from);
    return base_.RemoveAll(from);
  }
  std::string trash;
  do {
    trash = JoinPath(dir, kTrashPrefix + std::to_string(++trash_seq_));
  } while (base_.Exists(trash));
  MQ_RETURN_IF_ERROR(base_.Rename(from, trash));
  MoveStatesLocked(from, trash);
  AddOp({DirOp::Kind::kRemove, from, trash, dir});
  return Status::Ok();
}

// ---- crash -------------------------------------------------------------------

Status FaultInjectionFileSystem::UndoLocked(const DirOp& op) {
  switch (op.kind) {
    case DirOp::Kind::kCreate:
      DropStatesLocked(op.path);
      if (base_.Exists(op.path)) return base_.RemoveAll(op.path);
      return Status::Ok();
    case DirOp::Kind::kRemove:
      if (!base_.Exists(op.from)) return Status::Ok();  // its directory went for good since
      if (base_.Exists(op.path)) MQ_RETURN_IF_ERROR(base_.RemoveAll(op.path));
      MQ_RETURN_IF_ERROR(base_.Rename(op.from, op.path));
      MoveStatesLocked(op.from, op.path);
      return Status::Ok();
    case DirOp::Kind::kRename:
      if (!base_.Exists(op.path)) return Status::Ok();
      MQ_RETURN_IF_ERROR(base_.Rename(op.path, op.from));
      MoveStatesLocked(op.path, op.from);
      return Status::Ok();
  }
  return Status::Ok();
}

Status FaultInjectionFileSystem::Crash(bool tear_last_write, uint64_t seed) {
  std::map<std::string, std::shared_ptr<FileState>> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Newest first: each undo brings back the names the one before it saw.
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) MQ_RETURN_IF_ERROR(UndoLocked(*it));
    pending_.clear();
    files.swap(files_);
  }
  std::mt19937_64 rng(seed);
  for (auto& [path, state] : files) {
    std::lock_guard<std::mutex> lock(state->mu);
    if (!state->known || !base_.Exists(path)) continue;  // never changed, or removed outside
    MQ_RETURN_IF_ERROR(RestoreFile(base_, path, state->durable, state->last_write, tear_last_write, rng));
  }
  return Status::Ok();
}

// ---- FileSystem --------------------------------------------------------------

Result<std::unique_ptr<ReadOnlyMapping>> FaultInjectionFileSystem::MapReadOnly(const std::string& path) {
  return base_.MapReadOnly(path);
}

Result<std::vector<std::string>> FaultInjectionFileSystem::ListDirectory(const std::string& dir) {
  auto names = base_.ListDirectory(dir);
  if (names.ok()) std::erase_if(*names, IsTrashName);
  return names;
}

Result<FileInfo> FaultInjectionFileSystem::Stat(const std::string& path) { return base_.Stat(path); }
Result<DiskSpace> FaultInjectionFileSystem::SpaceOf(const std::string& path) { return base_.SpaceOf(path); }

bool FaultInjectionFileSystem::Exists(const std::string& path) {
  return !IsTrashName(BaseName(path)) && base_.Exists(path);
}

Result<std::unique_ptr<SequentialFile>> FaultInjectionFileSystem::NewSequentialFile(const std::string& path) {
  std::lock_guard<std::mutex> fs_lock(mu_);  // from the look to the creation
  const bool existed = base_.Exists(path);
  std::shared_ptr<FileState>& slot = files_[Normalize(path)];
  if (!slot) slot = std::make_shared<FileState>();
  std::shared_ptr<FileState> state = slot;
  {
    std::lock_guard lock(state->mu);
    if (existed && !state->known) {
      // Creating truncates: what it held stays durable until a sync.
      auto old = base_.OpenRandomRW(path, OpenMode::kMustExist);
      if (!old.ok()) return old.error();
      MQ_RETURN_IF_ERROR(EnsureKnown(*state, **old));
    }
    if (!existed) {
      state->durable.clear();
      state->known = true;
    }
  }
  auto file = base_.NewSequentialFile(path);
  if (!file.ok()) return file.error();
  if (!existed) AddOp({DirOp::Kind::kCreate, path, {}, ParentPath(path)});
  return std::unique_ptr<SequentialFile>(new FaultInjectionSequentialFile(*this, path, std::move(*file), state));
}

Result<std::unique_ptr<RandomRWFile>> FaultInjectionFileSystem::OpenRandomRW(const std::string& path, OpenMode mode) {
  std::shared_ptr<FileState> state;
  std::unique_ptr<RandomRWFile> file;
  {
    // Under the lock from the look to the open: of two threads creating one
    // file, only the first may record the creation and a new, empty state.
    std::lock_guard<std::mutex> lock(mu_);
    const bool existed = base_.Exists(path);
    auto opened = base_.OpenRandomRW(path, mode);
    if (!opened.ok()) return opened.error();
    file = std::move(*opened);
    std::shared_ptr<FileState>& slot = files_[Normalize(path)];
    if (!existed) {
      // A new, empty file: that is all a crash can leave of it (if its name
      // survives at all).
      slot = std::make_shared<FileState>();
      slot->known = true;
      AddOp({DirOp::Kind::kCreate, path, {}, ParentPath(path)});
    } else if (!slot) {
      slot = std::make_shared<FileState>();
    }
    state = slot;
  }
  return std::unique_ptr<RandomRWFile>(new FaultInjectionRandomRWFile(*this, std::move(file), std::move(state)));
}

Status FaultInjectionFileSystem::CreateDirectories(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> missing;  // deepest first
  for (std::string p = Normalize(dir); p != "/" && p != "." && !p.empty() && !base_.Exists(p); p = ParentPath(p))
    missing.push_back(p);
  Status st = base_.CreateDirectories(dir);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (base_.Exists(*it)) AddOp({DirOp::Kind::kCreate, *it, {}, ParentPath(*it)});
  return st;
}

Status FaultInjectionFileSystem::RemoveAll(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!base_.Exists(path)) return Status::Ok();
  return MoveToTrash(path);
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  MQ_RETURN_IF_ERROR(MaybeFail("unlink", path));
  std::lock_guard<std::mutex> lock(mu_);
  auto info = base_.Stat(path);
  if (!info.ok()) return Status::NotFound("unlink " + path + ": " + info.error().message());
  if (info->is_directory) return Status::IOError("unlink " + path + ": " + std::strerror(EISDIR));
  return MoveToTrash(path);
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  MQ_RETURN_IF_ERROR(MaybeFail("rename", from));
  std::lock_guard<std::mutex> lock(mu_);
  if (!base_.Exists(from) || Normalize(from) == Normalize(to)) return base_.Rename(from, to);  // an error, or nothing
  // A replaced target comes back if the rename does not survive.
  if (base_.Exists(to)) MQ_RETURN_IF_ERROR(MoveToTrash(to));
  MQ_RETURN_IF_ERROR(base_.Rename(from, to));
  MoveStatesLocked(Normalize(from), Normalize(to));
  AddOp({DirOp::Kind::kRename, to, from, ParentPath(to)});
  return Status::Ok();
}

Status FaultInjectionFileSystem::SyncDirectory(const std::string& dir) {
  MQ_RETURN_IF_ERROR(MaybeFail("fsync", dir));
  // Only the model is synced (see Sync); a missing directory still fails.
  auto info = base_.Stat(dir);
  if (!info.ok()) return info.error();
  if (!info->is_directory) return Status::IOError("fsync " + dir + ": " + std::strerror(ENOTDIR));
  std::lock_guard<std::mutex> lock(mu_);
  const std::string synced = Normalize(dir);
  std::vector<DirOp> still;
  Status st;
  for (DirOp& op : pending_) {
    if (op.dir != synced) {
      still.push_back(std::move(op));
      continue;
    }
    if (op.kind == DirOp::Kind::kRemove) {
      // Gone for good: now it may really go.
      DropStatesLocked(op.from);
      if (Status removed = base_.RemoveAll(op.from); st.ok()) st = removed;
    }
  }
  pending_ = std::move(still);
  return st;
}

Result<std::unique_ptr<FileLock>> FaultInjectionFileSystem::LockFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool existed = base_.Exists(path);
  auto lock_file = base_.LockFile(path);
  if (lock_file.ok() && !existed) AddOp({DirOp::Kind::kCreate, path, {}, ParentPath(path)});
  return lock_file;
}

Result<bool> FaultInjectionFileSystem::IsLockedElsewhere(const std::string& path) {
  return base_.IsLockedElsewhere(path);
}

}  // namespace mqstore
