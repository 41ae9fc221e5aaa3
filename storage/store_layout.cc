#include "storage/store_layout.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "format/segment_name.h"

namespace mqstore {

namespace {

// The regular files of `dir` with size and mtime (start_offset left 0); the
// paths of other entries go to `not_regular`, else their names to `ignored`.
// A missing directory is an empty list.
Result<std::vector<SegmentFile>> ListRegularFiles(FileSystem& fs, const std::string& dir,
                                                  std::vector<std::string>* ignored,
                                                  std::vector<std::string>* not_regular) {
  std::vector<SegmentFile> out;
  if (!fs.Exists(dir)) return out;
  auto names = fs.ListDirectory(dir);
  if (!names.ok()) return names.error();
  for (const std::string& name : *names) {
    const std::string path = JoinPath(dir, name);
    auto info = fs.Stat(path);
    if (!info.ok() || !info->is_regular) {
      if (not_regular != nullptr) not_regular->push_back(path);
      else if (ignored != nullptr) ignored->push_back(name);
      continue;
    }
    out.push_back(SegmentFile{path, name, 0, info->size, info->mtime_ms});
  }
  return out;
}

}  // namespace

Result<std::vector<SegmentFile>> ListSegments(FileSystem& fs, const std::string& dir,
                                              std::vector<std::string>* ignored, std::vector<std::string>* not_regular) {
  auto files = ListRegularFiles(fs, dir, ignored, not_regular);
  if (!files.ok()) return files;
  std::vector<SegmentFile> out;
  for (SegmentFile& f : *files) {
    const std::optional<int64_t> start = ParseSegmentFileName(f.name);
    if (!start) {
      if (ignored != nullptr) ignored->push_back(f.name);
      continue;
    }
    f.start_offset = *start;
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.start_offset < b.start_offset; });
  return out;
}

static std::optional<int32_t> ParseQueueId(const std::string& name) {
  int32_t id = 0;
  const auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || p != name.data() + name.size() || name.empty()) return std::nullopt;
  return id;
}

Result<std::vector<ConsumeQueueLocation>> ListConsumeQueues(FileSystem& fs, const StorePaths& paths,
                                                            std::vector<std::string>* not_regular) {
  std::vector<ConsumeQueueLocation> out;
  const std::string base = paths.ConsumeQueueDir();
  if (!fs.Exists(base)) return out;
  auto topics = fs.ListDirectory(base);
  if (!topics.ok()) return topics.error();
  for (const std::string& topic : *topics) {
    const std::string topic_dir = JoinPath(base, topic);
    auto queues = fs.ListDirectory(topic_dir);
    if (!queues.ok()) continue;  // a stray file, not a topic directory
    for (const std::string& q : *queues) {
      const std::optional<int32_t> id = ParseQueueId(q);
      if (!id) continue;
      ConsumeQueueLocation loc{topic, *id, JoinPath(topic_dir, q), {}};
      auto segments = ListSegments(fs, loc.dir, nullptr, not_regular);
      if (!segments.ok()) return segments.error();
      loc.segments = std::move(*segments);
      out.push_back(std::move(loc));
    }
  }
  std::sort(out.begin(), out.end(), [](const ConsumeQueueLocation& a, const ConsumeQueueLocation& b) {
    return a.topic != b.topic ? a.topic < b.topic : a.queue_id < b.queue_id;
  });
  return out;
}

Result<std::vector<SegmentFile>> ListIndexFiles(FileSystem& fs, const StorePaths& paths,
                                                std::vector<std::string>* not_regular) {
  auto files = ListRegularFiles(fs, paths.IndexDir(), nullptr, not_regular);
  if (!files.ok()) return files;
  std::sort(files->begin(), files->end(), [](const SegmentFile& a, const SegmentFile& b) { return a.name < b.name; });
  return files;
}

std::vector<std::string> NonRegularRootFiles(FileSystem& fs, const StorePaths& paths) {
  std::vector<std::string> out;
  for (const std::string& path : {paths.CheckpointFile(), paths.AbortFile(), paths.LockFile()}) {
    if (!fs.Exists(path)) continue;
    auto info = fs.Stat(path);
    if (!info.ok() || !info->is_regular) out.push_back(path);
  }
  return out;
}

Result<Checkpoint> ReadCheckpointFile(FileSystem& fs, const StorePaths& paths) {
  const std::string path = paths.CheckpointFile();
  if (!fs.Exists(path)) return Checkpoint{};
  auto map = fs.MapReadOnly(path);
  if (!map.ok()) return map.error();
  auto cp = DecodeCheckpoint((*map)->data());
  if (!cp.ok()) return cp.error().ToStatus(path);
  return *cp;
}

int64_t InferSegmentSize(const std::vector<SegmentFile>& segments) {
  // The spacing most consecutive names have: the size, where no file is missing.
  std::map<int64_t, size_t> spacings;
  for (size_t i = 1; i < segments.size(); ++i) {
    const int64_t d = segments[i].start_offset - segments[i - 1].start_offset;
    if (d > 0) ++spacings[d];
  }
  int64_t spacing = 0;
  size_t spacing_votes = 0;
  for (const auto& [d, n] : spacings) {
    if (n <= spacing_votes) continue;
    spacing = d;
    spacing_votes = n;
  }

  std::map<uint64_t, size_t> sizes;
  for (const SegmentFile& s : segments)
    if (s.size > 0) ++sizes[s.size];
  size_t most = 0;
  for (const auto& [size, n] : sizes) most = std::max(most, n);
  int64_t best = 0;
  for (const auto& [size, n] : sizes) {  // ascending: the largest of a tie wins
    if (n != most) continue;
    if (static_cast<int64_t>(size) == spacing) return spacing;
    best = static_cast<int64_t>(size);
  }
  return best > 0 ? best : spacing;
}

}  // namespace mqstore
