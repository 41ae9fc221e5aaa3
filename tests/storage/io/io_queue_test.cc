// IoQueue: both implementations (io_uring and sync) against the same tests.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "storage/io/fault_injection_file_system.h"
#include "storage/io/io_queue.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// `n` bytes that differ from run to run of `seed`, so a misplaced write shows.
std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>((i * 131 + seed * 7 + (i >> 8)) & 0xff);
  return out;
}

// The file's bytes, read through a descriptor of its own.
std::vector<uint8_t> ReadBack(const std::string& path) {
  auto f = FileSystem::Default().OpenRandomRW(path, OpenMode::kMustExist);
  EXPECT_TRUE(f.ok()) << path;
  if (!f.ok()) return {};
  std::vector<uint8_t> buf(static_cast<size_t>(*(*f)->Size()));
  EXPECT_EQ(*(*f)->Read(0, buf), buf.size());
  return buf;
}

bool Contains(const Status& st, const std::string& part) { return st.message().find(part) != std::string::npos; }

class IoQueueTest : public ::testing::TestWithParam<std::string> {
 protected:
  // The queue under test; skips the test where io_uring is unavailable.
  std::unique_ptr<IoQueue> NewQueue(unsigned entries = 256) {
    if (GetParam() == "sync") return NewSyncIoQueue();
    auto q = NewUringIoQueue(entries);
    if (!q.ok()) return nullptr;
    return std::move(*q);
  }
  std::string UringSkipReason() {
    auto q = NewUringIoQueue(8);
    return q.ok() ? "" : q.error().ToString();
  }
  void SetUp() override {
    if (GetParam() == "io_uring") {
      const std::string why = UringSkipReason();
      if (!why.empty()) GTEST_SKIP() << why;
    }
  }
  std::unique_ptr<RandomRWFile> Open(const std::string& name, FileSystem& fs = FileSystem::Default()) {
    auto f = fs.OpenRandomRW(Path(name), OpenMode::kCreateIfMissing);
    EXPECT_TRUE(f.ok()) << f.error().ToString();
    // The name is durable: a simulated crash rolls back only the contents.
    EXPECT_TRUE(fs.SyncDirectory(tmp_.path()).ok());
    return f.ok() ? std::move(*f) : nullptr;
  }
  std::string Path(const std::string& name) const { return tmp_.path() + "/" + name; }

  test::TempDir tmp_;
};

TEST_P(IoQueueTest, NameSaysWhichQueueItIs) {
  auto io = NewQueue();
  ASSERT_NE(io, nullptr);
  EXPECT_EQ(io->name(), GetParam());
}

TEST_P(IoQueueTest, WriteThenDataSyncPersistsBytes) {
  auto io = NewQueue();
  auto f = Open("log");
  ASSERT_NE(f, nullptr);
  const auto a = Pattern(4096, 1), b = Pattern(100, 2), c = Pattern(5000, 3);
  const uint64_t wa = io->Write(*f, 0, a);
  const uint64_t wc = io->Write(*f, 4096 + 100, c);
  const uint64_t wb = io->Write(*f, 4096, b);
  EXPECT_NE(wa, wb);
  EXPECT_NE(wb, wc);
  ASSERT_TRUE(io->Wait(wb).ok());
  ASSERT_TRUE(io->Wait(wa).ok());
  ASSERT_TRUE(io->Wait(wc).ok());
  const Status st = io->Wait(io->DataSync(*f));
  ASSERT_TRUE(st.ok()) << st.ToString();

  std::vector<uint8_t> want = a;
  want.insert(want.end(), b.begin(), b.end());
  want.insert(want.end(), c.begin(), c.end());
  EXPECT_EQ(ReadBack(Path("log")), want);
}

TEST_P(IoQueueTest, ManyWritesInFlightCompleteIndependently) {
  auto io = NewQueue(8);  // far fewer ring entries than operations
  auto f = Open("many");
  ASSERT_NE(f, nullptr);
  constexpr size_t kWrites = 100, kSize = 1000;
  std::vector<std::vector<uint8_t>> data;
  std::vector<uint64_t> tickets;
  for (size_t i = 0; i < kWrites; ++i) {
    data.push_back(Pattern(kSize, static_cast<uint32_t>(i)));
    tickets.push_back(io->Write(*f, i * kSize, data.back()));
  }
  for (size_t i = kWrites; i-- > 0;) {
    const Status st = io->Wait(tickets[i]);
    ASSERT_TRUE(st.ok()) << "write " << i << ": " << st.ToString();
  }
  ASSERT_TRUE(io->Wait(io->DataSync(*f)).ok());

  const auto got = ReadBack(Path("many"));
  ASSERT_EQ(got.size(), kWrites * kSize);
  for (size_t i = 0; i < kWrites; ++i)
    EXPECT_TRUE(std::equal(data[i].begin(), data[i].end(), got.begin() + static_cast<ptrdiff_t>(i * kSize)))
        << "write " << i;
}

TEST_P(IoQueueTest, WaitOnUnknownTicketIsAnError) {
  auto io = NewQueue();
  auto f = Open("unknown");
  ASSERT_NE(f, nullptr);
  const auto x = Bytes("x");  // a named buffer: it must outlive the write
  const uint64_t w = io->Write(*f, 0, x);
  for (uint64_t bogus : {uint64_t{0}, w + 1, w ^ (uint64_t{1} << 40), ~uint64_t{0}}) {
    const Status st = io->Wait(bogus);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bogus;
    EXPECT_TRUE(Contains(st, std::to_string(bogus))) << st.ToString();
  }
  EXPECT_TRUE(io->Wait(w).ok()) << "a bogus ticket leaves the real one alone";
}

TEST_P(IoQueueTest, WaitTwiceIsAnError) {
  auto io = NewQueue();
  auto f = Open("twice");
  ASSERT_NE(f, nullptr);
  const auto abc = Bytes("abc");
  const uint64_t w = io->Write(*f, 0, abc);
  ASSERT_TRUE(io->Wait(w).ok());
  const Status again = io->Wait(w);
  EXPECT_EQ(again.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(again, std::to_string(w))) << again.ToString();

  // The slot the first ticket used is reused; the old ticket still does not match.
  const uint64_t s = io->DataSync(*f);
  EXPECT_NE(s, w);
  EXPECT_EQ(io->Wait(w).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(io->Wait(s).ok());
  EXPECT_EQ(ReadBack(Path("twice")), Bytes("abc"));
}

TEST_P(IoQueueTest, FailedWriteReportsThePathAndOp) {
  FaultInjectionFileSystem fault(FileSystem::Default());
  auto io = NewQueue();
  auto f = Open("faulty", fault);
  ASSERT_NE(f, nullptr);
  EXPECT_LT(f->NativeHandle(), 0) << "fault-injecting files run through the interface";

  fault.FailNthMutatingCall(1, EIO);
  const Status failed = io->Wait(io->Write(*f, 0, Bytes("lost")));
  EXPECT_EQ(failed.code(), StatusCode::kIOError);
  EXPECT_TRUE(Contains(failed, "write")) << failed.ToString();
  EXPECT_TRUE(Contains(failed, Path("faulty"))) << failed.ToString();

  fault.FailNthMutatingCall(1, ENOSPC);
  const Status full = io->Wait(io->Write(*f, 0, Bytes("full")));
  EXPECT_EQ(full.code(), StatusCode::kNoSpace) << full.ToString();

  ASSERT_TRUE(io->Wait(io->Write(*f, 0, Bytes("kept"))).ok()) << "only the chosen calls fail";
  fault.FailNthMutatingCall(1, EIO);
  const Status sync = io->Wait(io->DataSync(*f));
  EXPECT_EQ(sync.code(), StatusCode::kIOError);
  EXPECT_TRUE(Contains(sync, "fdatasync")) << sync.ToString();
  EXPECT_EQ(ReadBack(Path("faulty")), Bytes("kept"));
}

TEST_P(IoQueueTest, FaultInjectionFilesSeeEveryOperation) {
  FaultInjectionFileSystem fault(FileSystem::Default());
  auto io = NewQueue();
  auto f = Open("crashy", fault);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(io->Wait(io->Write(*f, 0, Bytes("synced|"))).ok());
  ASSERT_TRUE(io->Wait(io->DataSync(*f)).ok());
  ASSERT_TRUE(io->Wait(io->Write(*f, 7, Bytes("unsynced"))).ok());
  ASSERT_TRUE(io->Wait(io->StartWriteback(*f, 0, 15)).ok());
  EXPECT_EQ(ReadBack(Path("crashy")), Bytes("synced|unsynced"));
  ASSERT_TRUE(fault.Crash().ok());
  EXPECT_EQ(ReadBack(Path("crashy")), Bytes("synced|")) << "the queue's sync reached the fault-injecting file";
}

// A real kernel error on a file the ring addresses: writes to /dev/full fail
// with ENOSPC, and the device has neither fdatasync nor sync_file_range.
TEST_P(IoQueueTest, KernelErrorsNameTheOpAndPath) {
  auto full = FileSystem::Default().OpenRandomRW("/dev/full", OpenMode::kMustExist);
  if (!full.ok()) GTEST_SKIP() << "/dev/full: " << full.error().ToString();
  RandomRWFile& f = **full;
  auto io = NewQueue();

  const Status write = io->Wait(io->Write(f, 4096, Bytes("nowhere")));
  EXPECT_EQ(write.code(), StatusCode::kNoSpace) << write.ToString();
  EXPECT_TRUE(Contains(write, "write /dev/full")) << write.ToString();
  if (GetParam() == "io_uring") {
    EXPECT_TRUE(Contains(write, "offset 4096")) << write.ToString();
  }

  const Status sync = io->Wait(io->DataSync(f));
  EXPECT_EQ(sync.code(), StatusCode::kIOError) << sync.ToString();
  EXPECT_TRUE(Contains(sync, "fdatasync /dev/full")) << sync.ToString();

  const Status wb = io->Wait(io->StartWriteback(f, 0, 4096));
  EXPECT_FALSE(wb.ok());
  EXPECT_TRUE(Contains(wb, "sync_file_range /dev/full")) << wb.ToString();
}

TEST_P(IoQueueTest, StartWritebackSucceedsOnARealFile) {
  auto io = NewQueue();
  auto f = Open("wb");
  ASSERT_NE(f, nullptr);
  ASSERT_GE(f->NativeHandle(), 0);
  const auto data = Pattern(64 * 1024, 9);
  ASSERT_TRUE(io->Wait(io->Write(*f, 0, data)).ok());
  const uint64_t whole = io->StartWriteback(*f, 0, data.size());
  const uint64_t empty = io->StartWriteback(*f, 100, 0);
  const uint64_t past_end = io->StartWriteback(*f, 1 << 20, 4096);
  EXPECT_TRUE(io->Wait(empty).ok());
  EXPECT_TRUE(io->Wait(past_end).ok());
  const Status st = io->Wait(whole);
  EXPECT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(io->Wait(io->DataSync(*f)).ok());
  EXPECT_EQ(ReadBack(Path("wb")), data);
  EXPECT_TRUE(f->StartWriteback(0, data.size()).ok()) << "the file's own call";
}

TEST_P(IoQueueTest, EmptyWriteCompletesAtOnce) {
  auto io = NewQueue();
  auto f = Open("empty");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(io->Wait(io->Write(*f, 10, {})).ok());
  EXPECT_EQ(*f->Size(), 0u);
}

TEST_P(IoQueueTest, DestructorWaitsForInFlightWrites) {
  constexpr size_t kWrites = 64, kSize = 64 * 1024;
  std::vector<std::vector<uint8_t>> data;
  for (size_t i = 0; i < kWrites; ++i) data.push_back(Pattern(kSize, static_cast<uint32_t>(i + 50)));
  std::vector<uint8_t> want;
  for (const auto& d : data) want.insert(want.end(), d.begin(), d.end());
  {
    auto f = Open("unwaited");
    ASSERT_NE(f, nullptr);
    auto io = NewQueue(16);
    for (size_t i = 0; i < kWrites; ++i) (void)io->Write(*f, i * kSize, data[i]);
    io.reset();  // never waited for: the destructor finishes them
  }
  for (auto& d : data) std::fill(d.begin(), d.end(), 0xEE);  // the caller takes its memory back
  EXPECT_EQ(ReadBack(Path("unwaited")), want);
}

// RLIMIT_FSIZE makes the kernel cut a write short at the limit and fail the
// rest with EFBIG: the queue continues the short write and reports the error.
TEST_P(IoQueueTest, WriteCutShortIsContinuedUntilItFails) {
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  constexpr rlim_t kLimit = 10000;
  if (old.rlim_max != RLIM_INFINITY && old.rlim_max < kLimit) GTEST_SKIP() << "hard file size limit too low";
  auto io = NewQueue();
  auto f = Open("limited");
  ASSERT_NE(f, nullptr);
  const auto data = Pattern(20000, 4);

  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = old;
  lim.rlim_cur = kLimit;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  const Status st = io->Wait(io->Write(*f, 0, data));
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(st.code(), StatusCode::kIOError) << st.ToString();
  EXPECT_TRUE(Contains(st, "write " + Path("limited"))) << st.ToString();
  if (GetParam() == "io_uring") {
    EXPECT_TRUE(Contains(st, "at offset 10000")) << st.ToString();
  }
  EXPECT_EQ(ReadBack(Path("limited")), std::vector<uint8_t>(data.begin(), data.begin() + kLimit));
}

// Kilobytes of dirty pages in this process's mapping that starts at `addr`
// (/proc/self/smaps: Shared_Dirty + Private_Dirty); -1 if not found.
int64_t DirtyKbOfMapping(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", reinterpret_cast<unsigned long>(addr));
  std::string line;
  bool in = false;
  int64_t kb = 0;
  bool found = false;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
        line.find(':') > line.find(' ')) {
      in = line.rfind(start, 0) == 0;
      found = found || in;
      continue;
    }
    if (in && (line.rfind("Shared_Dirty:", 0) == 0 || line.rfind("Private_Dirty:", 0) == 0))
      kb += std::stoll(line.substr(line.find(':') + 1));
  }
  return found ? kb : -1;
}

// A ranged sync writes back its range only: the pages past it that were
// faulted in for writing stay dirty (not written out as zeros, and not left
// clean for the writer to fault on again). The sync queue has no ranged
// sync: it syncs the whole file, as DataSync.
TEST_P(IoQueueTest, ARangedDataSyncWritesBackOnlyItsRange) {
  auto io = NewQueue();
  ASSERT_NE(io, nullptr);
  auto f = Open("ranged");
  constexpr uint64_t kSize = 8 << 20, kRange = 1 << 20;
  ASSERT_TRUE(f->Preallocate(kSize).ok());
  auto mapping = f->Map(kSize, /*writable=*/true);
  ASSERT_TRUE(mapping.ok()) << mapping.error().ToString();
  const std::vector<uint8_t> bytes = Pattern(kRange, 3);
  std::memcpy((*mapping)->data().data(), bytes.data(), bytes.size());
  (*mapping)->Populate(kRange, kSize - kRange, /*for_write=*/true);  // as the allocator ahead of a writer
  const int64_t before = DirtyKbOfMapping((*mapping)->data().data());
  ASSERT_GE(before, static_cast<int64_t>(kSize / 1024) * 9 / 10) << "smaps shows the pages dirty";
  ASSERT_TRUE(io->Wait(io->DataSyncRange(*f, 0, kRange)).ok());
  const int64_t after = DirtyKbOfMapping((*mapping)->data().data());
  if (GetParam() == "sync") {
    EXPECT_LT(after, 512) << "the whole file synced";
  } else {
    EXPECT_GE(after, static_cast<int64_t>((kSize - kRange) / 1024) * 9 / 10) << "the pages past the range stay dirty";
    EXPECT_LE(after, static_cast<int64_t>((kSize - kRange) / 1024) + 8) << "the range was written back";
  }
  EXPECT_EQ(ReadBack(Path("ranged")).size(), kSize);
  ASSERT_TRUE(io->Wait(io->DataSync(*f)).ok());
  EXPECT_LT(DirtyKbOfMapping((*mapping)->data().data()), 512) << "DataSync: the whole file";
}

INSTANTIATE_TEST_SUITE_P(Queues, IoQueueTest, ::testing::Values(std::string("sync"), std::string("io_uring")),
                         [](const auto& info) { return info.param == "sync" ? "sync" : "uring"; });

TEST(UringIoQueue, ZeroEntriesIsAnInvalidArgument) {
  auto q = NewUringIoQueue(0);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mqstore
