// The POSIX file system refuses what is not a regular file without blocking,
// and probes a store's lock without taking it.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

#include "storage/io/fault_injection_file_system.h"
#include "tests/support/golden.h"
#include "tests/support/hang_guard.h"

namespace mqstore {
namespace {

using namespace std::chrono_literals;

bool SaysNotRegular(const Status& st, const std::string& path) {
  return st.message() == path + ": not a regular file";
}

template <typename T>
std::string Describe(const Result<T>& r) {
  return r.ok() ? std::string("ok") : r.error().ToString();
}

TEST(PosixFileSystemNonRegular, AFifoIsRefusedByEveryOpenWithoutBlocking) {
  test::TempDir tmp;
  FileSystem& fs = FileSystem::Default();
  const std::string fifo = tmp.path() + "/00000000000000000000";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0) << std::strerror(errno);
  const std::vector<std::string> fifos{fifo};
  // Each of these blocked (or failed obscurely) before: a FIFO's open for
  // reading waits for a writer, its open for writing for a reader.
  auto map = test::FinishesWithin(5s, fifos, [&] { return fs.MapReadOnly(fifo); });
  ASSERT_FALSE(map.ok());
  EXPECT_TRUE(SaysNotRegular(map.error(), fifo)) << map.error().ToString();
  for (OpenMode mode : {OpenMode::kMustExist, OpenMode::kCreateIfMissing}) {
    auto rw = test::FinishesWithin(5s, fifos, [&] { return fs.OpenRandomRW(fifo, mode); });
    ASSERT_FALSE(rw.ok());
    EXPECT_TRUE(SaysNotRegular(rw.error(), fifo)) << rw.error().ToString();
  }
  auto seq = test::FinishesWithin(5s, fifos, [&] { return fs.NewSequentialFile(fifo); });
  ASSERT_FALSE(seq.ok());
  EXPECT_TRUE(SaysNotRegular(seq.error(), fifo)) << seq.error().ToString();
  auto lock = test::FinishesWithin(5s, fifos, [&] { return fs.LockFile(fifo); });
  ASSERT_FALSE(lock.ok());
  EXPECT_TRUE(SaysNotRegular(lock.error(), fifo)) << lock.error().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO is left as it was";
}

TEST(PosixFileSystemNonRegular, ADeviceAndASocketAreRefused) {
  FileSystem& fs = FileSystem::Default();
  // /dev/null mapped as an empty file before.
  auto map = fs.MapReadOnly("/dev/null");
  ASSERT_FALSE(map.ok());
  EXPECT_TRUE(SaysNotRegular(map.error(), "/dev/null")) << map.error().ToString();
  auto rw = fs.OpenRandomRW("/dev/null", OpenMode::kMustExist);
  ASSERT_FALSE(rw.ok());
  EXPECT_TRUE(SaysNotRegular(rw.error(), "/dev/null")) << rw.error().ToString();

  test::TempDir tmp;
  const std::string sock_path = tmp.path() + "/checkpoint";
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  auto sock_map = fs.MapReadOnly(sock_path);
  ::close(sock);
  ASSERT_FALSE(sock_map.ok());
  EXPECT_TRUE(SaysNotRegular(sock_map.error(), sock_path)) << sock_map.error().ToString();
}

TEST(PosixFileSystemNonRegular, ARegularFileIsOpenedBlockingAsBefore) {
  test::TempDir tmp;
  FileSystem& fs = FileSystem::Default();
  const std::string path = tmp.path() + "/f";
  auto f = fs.OpenRandomRW(path, OpenMode::kCreateIfMissing);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  const int flags = ::fcntl((*f)->NativeHandle(), F_GETFL);
  ASSERT_GE(flags, 0);
  EXPECT_EQ(flags & O_NONBLOCK, 0) << "io_uring would fail reads of an O_NONBLOCK file with EAGAIN";
  ASSERT_TRUE((*f)->Write(0, std::vector<uint8_t>{1, 2, 3}).ok());
  auto map = fs.MapReadOnly(path);
  ASSERT_TRUE(map.ok()) << map.error().ToString();
  EXPECT_EQ((*map)->data().size(), 3u);
}

TEST(PosixFileSystemLockProbe, TellsWhetherTheLockIsHeldWithoutTakingOrCreatingIt) {
  test::TempDir tmp;
  FileSystem& fs = FileSystem::Default();
  const std::string path = tmp.path() + "/lock";
  auto absent = fs.IsLockedElsewhere(path);
  ASSERT_TRUE(absent.ok()) << absent.error().ToString();
  EXPECT_FALSE(*absent);
  EXPECT_FALSE(fs.Exists(path)) << "probing does not create the lock file";

  std::ofstream(path) << "";
  EXPECT_FALSE(*fs.IsLockedElsewhere(path)) << "a lock file nobody holds";
  {
    auto lock = fs.LockFile(path);
    ASSERT_TRUE(lock.ok()) << lock.error().ToString();
    auto held = fs.IsLockedElsewhere(path);
    ASSERT_TRUE(held.ok()) << held.error().ToString();
    EXPECT_TRUE(*held) << "an OFD lock conflicts with another description, even in this process";
    EXPECT_TRUE(*fs.IsLockedElsewhere(path)) << "probing twice neither takes nor drops the lock";
    EXPECT_EQ(fs.LockFile(path).error().code(), StatusCode::kBusy) << "the holder still holds it";
    FaultInjectionFileSystem faulty(fs);
    EXPECT_TRUE(*faulty.IsLockedElsewhere(path)) << "the fault-injecting file system passes the probe through";
  }
  EXPECT_FALSE(*fs.IsLockedElsewhere(path)) << "released with its holder";
  EXPECT_TRUE(fs.LockFile(path).ok()) << "the probe left no lock behind";

  const std::string fifo = tmp.path() + "/fifo-lock";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto odd = test::FinishesWithin(5s, {fifo}, [&] { return fs.IsLockedElsewhere(fifo); });
  ASSERT_FALSE(odd.ok());
  EXPECT_TRUE(SaysNotRegular(odd.error(), fifo)) << Describe(odd);
}


// Whatever the file system reports as holes, every written byte lies in a
// range it reports, the ranges are ordered and inside [from, size), and the
// default (no SEEK_DATA) claims the whole rest.
TEST(PosixFileDataRanges, EveryWrittenByteIsInsideARangeInOrder) {
  test::TempDir tmp;
  auto file = FileSystem::Default().OpenRandomRW(tmp.path() + "/f", OpenMode::kCreateIfMissing);
  ASSERT_TRUE(file.ok()) << file.error().ToString();
  constexpr uint64_t kSize = 8 << 20;
  ASSERT_TRUE((*file)->Preallocate(kSize).ok());
  const std::vector<uint8_t> data(4096, 0x5a);
  for (const uint64_t at : {uint64_t{1} << 20, uint64_t{5} << 20})
    ASSERT_TRUE((*file)->Write(at, data).ok());
  auto ranges = (*file)->DataRanges(4096);
  ASSERT_TRUE(ranges.ok()) << ranges.error().ToString();
  uint64_t previous_end = 4096;
  for (const auto& r : *ranges) {
    EXPECT_LE(previous_end, r.begin);
    EXPECT_LT(r.begin, r.end);
    EXPECT_LE(r.end, kSize);
    previous_end = r.end;
  }
  for (const uint64_t at : {uint64_t{1} << 20, uint64_t{5} << 20}) {
    bool covered = false;
    for (const auto& r : *ranges) covered = covered || (r.begin <= at && at + data.size() <= r.end);
    EXPECT_TRUE(covered) << "the bytes written at " << at;
  }
  auto past_end = (*file)->DataRanges(kSize);
  ASSERT_TRUE(past_end.ok());
  EXPECT_TRUE(past_end->empty());
}

}  // namespace
}  // namespace mqstore
