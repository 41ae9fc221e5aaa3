// Prefaulter: requests fault pages of a shared file mapping in, on its
// thread when started and on the caller's otherwise; each request keeps its
// owner alive until it is done.
#include "storage/log/prefaulter.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr uint64_t kFileSize = 1 << 20;

class PrefaulterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rw = FileSystem::Default().OpenRandomRW(tmp_.path() + "/f", OpenMode::kCreateIfMissing);
    ASSERT_TRUE(rw.ok());
    file_ = std::move(*rw);
    ASSERT_TRUE(file_->Preallocate(kFileSize).ok());
    auto map = file_->Map(kFileSize, /*writable=*/true);
    ASSERT_TRUE(map.ok());
    map_ = std::move(*map);
  }

  // Pages of [offset, offset + len) resident in the page cache (the file
  // was only fallocated: nothing is until something faults it in).
  size_t ResidentPages(uint64_t offset, uint64_t len) const {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in((len + page - 1) / page);
    EXPECT_EQ(mincore(map_->data().data() + offset, len, in.data()), 0);
    size_t n = 0;
    for (unsigned char c : in) n += c & 1;
    return n;
  }

  test::TempDir tmp_;
  std::unique_ptr<RandomRWFile> file_;
  std::unique_ptr<FileMapping> map_;
};

TEST_F(PrefaulterTest, WithoutAThreadARequestIsDoneOnTheCallersThread) {
  Prefaulter p;
  ASSERT_EQ(ResidentPages(0, kFileSize), 0u) << "a fallocated file starts with nothing in the page cache";
  p.Request(nullptr, *map_, 64 << 10, 128 << 10);
  EXPECT_EQ(p.requests_done(), 1u);
  EXPECT_EQ(ResidentPages(64 << 10, 128 << 10), (128u << 10) / static_cast<size_t>(sysconf(_SC_PAGESIZE)));
}

TEST_F(PrefaulterTest, TheThreadFaultsRequestsInAndThenLetsTheirOwnersGo) {
  Prefaulter p;
  p.Start();
  auto owner = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owner;
  p.Request(std::move(owner), *map_, 0, kFileSize);
  for (int i = 0; i < 5000 && p.requests_done() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(p.requests_done(), 1u);
  EXPECT_EQ(ResidentPages(0, kFileSize), kFileSize / static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  EXPECT_TRUE(watch.expired()) << "the request held its owner only until it was done";
  p.Stop();
  p.Request(nullptr, *map_, 0, 4096);  // stopped: inline again
  EXPECT_EQ(p.requests_done(), 2u);
}

}  // namespace
}  // namespace mqstore
