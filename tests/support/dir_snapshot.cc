#include "tests/support/dir_snapshot.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mqstore::test {

namespace {

uint64_t Fnv1aOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t h = 14695981039346656037ull;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
  }
  return h;
}

}  // namespace

TreeSnapshot SnapshotTree(const std::string& root) {
  TreeSnapshot out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    const std::string path = e.path().string();
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    std::ostringstream what;
    what << (S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other") << " mtime "
         << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    if (S_ISREG(st.st_mode)) what << " size " << st.st_size << " fnv " << Fnv1aOfFile(path);
    out[path.substr(root.size())] = what.str();
  }
  return out;
}

void ExpectSameTree(const TreeSnapshot& before, const TreeSnapshot& after) {
  for (const auto& [path, what] : before) {
    auto it = after.find(path);
    if (it == after.end()) ADD_FAILURE() << path << " was removed";
    else EXPECT_EQ(it->second, what) << path << " changed";
  }
  for (const auto& [path, what] : after)
    if (!before.count(path)) ADD_FAILURE() << path << " was created (" << what << ")";
}

}  // namespace mqstore::test
