// The ceilings of `mqstore bench` (tools/bench_ceilings.h), through a file
// system that counts the scratch files open at once.
#include "tools/bench_ceilings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore::cli::bench {
namespace {

// The scratch files this process holds open (unlinked: "... (deleted)").
size_t OpenScratchFiles() {
  size_t open = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.find(kScratchPrefix) != std::string::npos) ++open;
  }
  return open;
}

// Counts the scratch files created, and how many were open at most when
// one was created.
class CountingFileSystem final : public test::ForwardingFileSystem {
 public:
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override {
    if (mode == OpenMode::kCreateIfMissing) {
      ++created_;
      most_open_ = std::max(most_open_, OpenScratchFiles() + 1);
    }
    return base().OpenRandomRW(path, mode);
  }
  size_t created() const { return created_; }
  size_t most_open() const { return most_open_; }

 private:
  size_t created_ = 0, most_open_ = 0;
};

// Scratch files left in `dir` (none: each is unlinked once open).
size_t ScratchFilesIn(const std::string& dir) {
  size_t left = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(kScratchPrefix) != std::string::npos) ++left;
  return left;
}

CeilingSetup SmallSetup(const std::string& dir, FileSystem& fs) {
  CeilingSetup setup;
  setup.fs = &fs;
  setup.dir = dir;
  setup.record_size = 1024;
  setup.seconds = 0.2;
  setup.scratch_bytes = 1 << 20;  // full after 1024 records: many files within the budget
  return setup;
}

// Runs `measure` in a fresh directory through `fs`; checks it gave a rate
// and left no scratch file, in the directory or open.
void MeasureIn(Result<double> (*measure)(const CeilingSetup&), CountingFileSystem& fs) {
  test::TempDir tmp;
  auto rate = measure(SmallSetup(tmp.path(), fs));
  ASSERT_TRUE(rate.ok()) << rate.error().ToString();
  EXPECT_GT(*rate, 0);
  EXPECT_EQ(ScratchFilesIn(tmp.path()), 0u);
  EXPECT_EQ(OpenScratchFiles(), 0u);
}

// A store keeps its segments' pages cached while it writes the next one; a
// ceiling that removed each full file would write the next into the pages
// it just freed, which a VM backs at once where a store's are not.

TEST(BenchCeilings, FreshPageMemcpyKeepsEveryFileUntilItEnds) {
  CountingFileSystem fs;
  MeasureIn(&MeasureFreshPageMemcpy, fs);
  ASSERT_GT(fs.created(), 1u) << "the budget outlasts one 1 MiB file";
  EXPECT_EQ(fs.most_open(), fs.created()) << "no file was closed before the last was made";
}

TEST(BenchCeilings, PrefaultedMemcpyStillUsesOneFile) {
  CountingFileSystem fs;
  MeasureIn(&MeasureMemcpyMapped, fs);
  EXPECT_EQ(fs.created(), 1u);
}

}  // namespace
}  // namespace mqstore::cli::bench
