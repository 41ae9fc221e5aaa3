// The put path allocates nothing per message once warm: encode buffers are
// per thread, the queue table is looked up by string_view, results carry no
// strings. A counting global operator new proves it for this binary,
// counting on the putting thread only: the store's own threads (the
// prefaulter making the next index file, the allocator, cleanup) run when
// the machine lets them, and what they allocate is not the put path's.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

// GCC 12 flags free() in a replaced operator delete as mismatched when it
// inlines across gtest's own new/delete pairs; both sides here are malloc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
thread_local bool g_counting = false;  // set on the putting thread only
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too (std::stable_sort's buffer comes from one): a
// sanitizer's own nothrow new paired with the free() below is a mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (g_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace mqstore {
namespace {

class PutAllocationTest : public ::testing::TestWithParam<bool> {};

TEST_P(PutAllocationTest, SteadyStatePutsAllocateNothing) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store", GetParam(), 64 << 20);
  // The put path alone: the dispatcher's thread creates queue and index
  // files as they fill, which this count must not mix in.
  config.dispatchOnOwnThread = false;
  auto store = MessageStore::Open(config);
  ASSERT_TRUE(store.ok());
  test::OwnedMessage m("TopicA", 1, 1024, "0123456789ABCDEF0123456789ABCDEF");
  const Message message = m.message();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*store)->Put(message).ok());  // warm: buffers, queue entry
  g_allocations = 0;
  g_counting = true;
  constexpr int kPuts = 10000;
  int ok = 0;
  for (int i = 0; i < kPuts; ++i) ok += (*store)->Put(message).ok();
  g_counting = false;
  EXPECT_EQ(ok, kPuts);
  // A put may log a line or roll a segment; per put it must be zero.
  EXPECT_LT(g_allocations.load(), 20u) << "allocations during " << kPuts << " puts";
  ASSERT_TRUE((*store)->Shutdown().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, PutAllocationTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "write" : "mmap"; });

}  // namespace
}  // namespace mqstore
