// The ceilings of `mqstore bench` (tools/bench_ceilings.h), through a file
// system that counts the scratch files alive at once.
#include "tools/bench_ceilings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore::cli::bench {
namespace {

// Records which files were created and how many existed at most at once.
class CountingFileSystem final : public test::ForwardingFileSystem {
 public:
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override {
    if (mode == OpenMode::kCreateIfMissing) {
      live_.insert(path);
      created_.insert(path);
      most_live_ = std::max(most_live_, live_.size());
    }
    return base().OpenRandomRW(path, mode);
  }
  Status Remove(const std::string& path) override {
    live_.erase(path);
    return base().Remove(path);
  }
  size_t created() const { return created_.size(); }
  size_t live() const { return live_.size(); }
  size_t most_live() const { return most_live_; }

 private:
  std::set<std::string> live_, created_;
  size_t most_live_ = 0;
};

CeilingSetup SmallSetup(const std::string& dir, FileSystem& fs) {
  CeilingSetup setup;
  setup.fs = &fs;
  setup.dir = dir;
  setup.record_size = 1024;
  setup.seconds = 0.2;
  setup.scratch_bytes = 1 << 20;  // full after 1024 records: many files within the budget
  return setup;
}

// Runs `measure` in a fresh directory through `fs`; checks it gave a rate.
void MeasureIn(Result<double> (*measure)(const CeilingSetup&), CountingFileSystem& fs) {
  test::TempDir tmp;
  auto rate = measure(SmallSetup(tmp.path(), fs));
  ASSERT_TRUE(rate.ok()) << rate.error().ToString();
  EXPECT_GT(*rate, 0);
}

// A store keeps its segments' pages cached while it writes the next one; a
// ceiling that removed each full file would write the next into the pages
// it just freed, which a VM backs at once where a store's are not.

TEST(BenchCeilings, FreshPageMemcpyKeepsEveryFileUntilItEnds) {
  CountingFileSystem fs;
  MeasureIn(&MeasureFreshPageMemcpy, fs);
  ASSERT_GT(fs.created(), 1u) << "the budget outlasts one 1 MiB file";
  EXPECT_EQ(fs.most_live(), fs.created()) << "no file was removed before the last was made";
  EXPECT_EQ(fs.live(), 0u) << "every scratch file is removed at the end";
}

TEST(BenchCeilings, PrefaultedMemcpyStillUsesOneFile) {
  CountingFileSystem fs;
  MeasureIn(&MeasureMemcpyMapped, fs);
  EXPECT_EQ(fs.created(), 1u);
  EXPECT_EQ(fs.live(), 0u);
}

}  // namespace
}  // namespace mqstore::cli::bench
