// Files the recovery fuzzers build from their input: one scratch directory
// per process (removed at exit) and input bytes cut into segment files.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "format/segment_name.h"
#include "storage/io/file_system.h"

namespace mqstore::fuzz {

inline const std::string& ScratchDir() {
  static const std::string* root = [] {
    char tmpl[] = "/tmp/mqstore-fuzz-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    if (dir == nullptr) __builtin_trap();
    auto* path = new std::string(dir);  // never destroyed: used at exit
    std::atexit([] { (void)FileSystem::Default().RemoveAll(ScratchDir()); });
    return path;
  }();
  return *root;
}

// `path` at `size` bytes (zeros past the data), holding data[0, n).
inline void WriteFile(const std::string& path, int64_t size, const uint8_t* data, size_t n) {
  auto f = FileSystem::Default().OpenRandomRW(path, OpenMode::kCreateIfMissing);
  if (!f.ok() || !(*f)->Truncate(static_cast<uint64_t>(size)).ok()) __builtin_trap();
  if (n > 0 && !(*f)->Write(0, std::span<const uint8_t>(data, n)).ok()) __builtin_trap();
}

// The input cut into files of `file_size` bytes under `dir`, each named by
// its 20-digit start offset; at least one file.
inline void WriteSegmentFiles(const std::string& dir, int64_t file_size, const uint8_t* data, size_t size) {
  const auto step = static_cast<size_t>(file_size);
  for (size_t start = 0; start < size || start == 0; start += step)
    WriteFile(JoinPath(dir, SegmentFileName(static_cast<int64_t>(start))), file_size, data + start,
              start < size ? std::min(step, size - start) : 0);
}

}  // namespace mqstore::fuzz
