// AppendBuffer: the write backend's ring. Its memory is mapped by Create,
// which answers a refusal as an error naming the bytes: never an exception
// through the store's open. The refusal is provoked in a forked child with
// little address space left; not a `tsan` file (ThreadSanitizer does not
// follow the fork).
#include "storage/log/append_buffer.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "mqstore/env.h"
#include "storage/log/commit_log.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/limited_address_space.h"

namespace mqstore {
namespace {

TEST(AppendBuffer, WrapsAroundAndRefusesToOverwriteUncommittedBytes) {
  auto made = AppendBuffer::Create(64 << 10);
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  AppendBuffer& ring = **made;
  EXPECT_EQ(ring.capacity(), 64u << 10);
  ring.set_committed(60000);
  std::vector<uint8_t> data(10000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(ring.Fits(60000, data.size()));
  ring.Put(60000, data);  // crosses the end of the ring at 65536
  const AppendBuffer::Parts parts = ring.Get(60000, data.size());
  ASSERT_EQ(parts.first.size(), 65536u - 60000u);
  ASSERT_EQ(parts.first.size() + parts.second.size(), data.size());
  EXPECT_EQ(std::memcmp(parts.first.data(), data.data(), parts.first.size()), 0);
  EXPECT_EQ(std::memcmp(parts.second.data(), data.data() + parts.first.size(), parts.second.size()), 0);
  EXPECT_TRUE(ring.Fits(70000, 65536 - 10000));
  EXPECT_FALSE(ring.Fits(70000, 65536 - 9999)) << "would overwrite bytes not yet committed";
  ring.set_committed(70000);
  EXPECT_TRUE(ring.Fits(70000, 65536));
  ring.PutZeros(70000, 100);
  EXPECT_EQ(ring.Get(70000, 100).first[99], 0);
}

TEST(AppendBuffer, RoundsUpToAPowerOfTwoAndRefusesWhatCannotBeSized) {
  auto ring = AppendBuffer::Create(100000);
  ASSERT_TRUE(ring.ok()) << ring.error().ToString();
  EXPECT_EQ((*ring)->capacity(), 131072u);
  auto huge = AppendBuffer::Create(size_t{1} << 62);
  ASSERT_FALSE(huge.ok()) << "doubling up to it would overflow";
  EXPECT_NE(huge.error().ToString().find("4611686018427387904"), std::string::npos) << huge.error().ToString();
}

// A ring the system refuses fails the log's Load with the bytes and
// errno's text: the old ring was made in the constructor and threw
// std::bad_alloc out of the store's open.
TEST(AppendBuffer, ARingTheSystemRefusesFailsTheLoadWithTheBytesAndErrno) {
  SetLogSink({});
  test::TempDir tmp;
  CommitLogOptions o;
  o.dir = tmp.path() + "/commitlog";
  o.segment_size = 64 * 1024;
  o.backend = WriteBackend::kWrite;
  o.append_buffer_bytes = size_t{1} << 30;  // the knob's top
  const test::LimitedRun run = test::RunWithAddressSpaceLeft(uint64_t{256} << 20, [&](std::string& said) {
    CommitLog log(Env::Default(), o);
    const Status st = log.Load();
    said = st.ok() ? "loaded" : st.ToString();
    return !st.ok();
  });
  EXPECT_EQ(run.why, "it exited by itself with status 0") << run.said;
  EXPECT_NE(run.said.find("appendBufferSize"), std::string::npos) << run.said;
  EXPECT_NE(run.said.find("mmap of 1073741824 bytes"), std::string::npos) << run.said;
  EXPECT_NE(run.said.find(std::strerror(ENOMEM)), std::string::npos) << run.said;

  CommitLog log(Env::Default(), o);  // without the limit
  ASSERT_TRUE(log.Load().ok());
  EXPECT_TRUE(log.has_append_ring());
}

}  // namespace
}  // namespace mqstore
