// The POSIX file system and the fault-injecting one used by crash tests.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "storage/io/fault_injection_file_system.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string ReadAll(FileSystem& fs, const std::string& path) {
  auto f = fs.OpenRandomRW(path, OpenMode::kMustExist);
  EXPECT_TRUE(f.ok());
  std::vector<uint8_t> buf(static_cast<size_t>(*(*f)->Size()));
  EXPECT_EQ(*(*f)->Read(0, buf), buf.size());
  return {buf.begin(), buf.end()};
}

TEST(PosixFileSystem, PositionedWritesReadsPreallocationAndTruncation) {
  test::TempDir tmp;
  FileSystem& fs = FileSystem::Default();
  const std::string path = tmp.path() + "/f";
  EXPECT_EQ(fs.OpenRandomRW(path, OpenMode::kMustExist).error().code(), StatusCode::kNotFound);
  auto f = fs.OpenRandomRW(path, OpenMode::kCreateIfMissing);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Preallocate(8192).ok());
  EXPECT_EQ(*(*f)->Size(), 8192u);
  ASSERT_TRUE((*f)->Write(4090, Bytes("hello world")).ok());  // crosses a page
  ASSERT_TRUE((*f)->Sync().ok());
  std::vector<uint8_t> buf(11);
  EXPECT_EQ(*(*f)->Read(4090, buf), 11u);
  EXPECT_EQ(std::string(buf.begin(), buf.end()), "hello world");
  std::vector<uint8_t> past(10);
  EXPECT_EQ(*(*f)->Read(8190, past), 2u) << "a read stops at the end of the file";
  ASSERT_TRUE((*f)->Truncate(4095).ok());
  EXPECT_EQ(*(*f)->Size(), 4095u);

  ASSERT_TRUE(fs.Rename(path, path + ".2").ok());
  EXPECT_FALSE(fs.Exists(path));
  ASSERT_TRUE(fs.SyncDirectory(tmp.path()).ok());
  ASSERT_TRUE(fs.Remove(path + ".2").ok());
  EXPECT_EQ(fs.Remove(path + ".2").code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs.SyncDirectory(tmp.path() + "/missing").ok());
}

class FaultInjectionTest : public ::testing::Test {
 protected:
  std::unique_ptr<RandomRWFile> Open(const std::string& name) {
    auto f = fault_.OpenRandomRW(tmp_.path() + "/" + name, OpenMode::kCreateIfMissing);
    EXPECT_TRUE(f.ok());
    return std::move(*f);
  }
  std::string Contents(const std::string& name) { return ReadAll(FileSystem::Default(), tmp_.path() + "/" + name); }

  test::TempDir tmp_;
  FaultInjectionFileSystem fault_{FileSystem::Default()};
};

TEST_F(FaultInjectionTest, CrashDropsEverythingWrittenSinceTheLastSync) {
  auto f = Open("log");
  ASSERT_TRUE(f->Write(0, Bytes("durable|")).ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Write(8, Bytes("lost")).ok());
  ASSERT_TRUE(f->Write(0, Bytes("DUR")).ok());  // overwrites synced bytes: they come back
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("log"), "durable|");
}

TEST_F(FaultInjectionTest, CrashUndoesUnsyncedPreallocationAndTruncation) {
  auto f = Open("seg");
  ASSERT_TRUE(f->Write(0, Bytes("abcdef")).ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Truncate(2).ok());
  ASSERT_TRUE(f->Preallocate(4096).ok());
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("seg"), "abcdef");
}

TEST_F(FaultInjectionTest, TornCrashKeepsAPrefixOfTheLastWriteWithinItsPage) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::string name = "torn" + std::to_string(seed);
    auto f = Open(name);
    ASSERT_TRUE(f->Write(0, Bytes("head")).ok());
    ASSERT_TRUE(f->Sync().ok());
    const std::string tail(6000, 'x');
    ASSERT_TRUE(f->Write(4090, Bytes(tail)).ok());
    ASSERT_TRUE(fault_.Crash(true, seed).ok());
    const std::string after = Contents(name);
    ASSERT_GE(after.size(), 4091u) << "at least one byte of the write survived";
    ASSERT_LE(after.size(), 4096u) << "nothing past the first page of the write";
    EXPECT_EQ(after.substr(0, 4), "head");
    EXPECT_EQ(after.substr(4090), std::string(after.size() - 4090, 'x'));
  }
}

TEST_F(FaultInjectionTest, TheNthMutatingCallFailsWithTheChosenError) {
  auto f = Open("n");
  fault_.FailNthMutatingCall(2, ENOSPC);
  ASSERT_TRUE(f->Write(0, Bytes("one")).ok());
  Status st = f->Write(3, Bytes("two"));
  EXPECT_EQ(st.code(), StatusCode::kNoSpace);
  EXPECT_NE(st.message().find("injected"), std::string::npos);
  EXPECT_TRUE(f->Write(3, Bytes("two")).ok()) << "only that one call fails";
  fault_.FailNthMutatingCall(1, EIO);
  EXPECT_EQ(f->Sync().code(), StatusCode::kIOError);
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("n"), "") << "a failed sync made nothing durable";
  EXPECT_GE(fault_.mutating_calls(), 4u);
}

TEST_F(FaultInjectionTest, AShortWriteLandsAPrefixAndFails) {
  auto f = Open("short");
  fault_.ShortenNextWrite(3);
  Status st = f->Write(0, Bytes("abcdef"));
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(Contents("short"), "abc");
  ASSERT_TRUE(f->Write(3, Bytes("def")).ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("short"), "abcdef");
}

TEST_F(FaultInjectionTest, DirectoryCallsCountAndFail) {
  auto f = Open("a");
  ASSERT_TRUE(f->Write(0, Bytes("x")).ok());
  fault_.FailNthMutatingCall(1, EIO);
  EXPECT_FALSE(fault_.Rename(tmp_.path() + "/a", tmp_.path() + "/b").ok());
  EXPECT_TRUE(fault_.Exists(tmp_.path() + "/a"));
  ASSERT_TRUE(fault_.Rename(tmp_.path() + "/a", tmp_.path() + "/b").ok());
  ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
  ASSERT_TRUE(fault_.Remove(tmp_.path() + "/b").ok());
  EXPECT_TRUE(fault_.Crash().ok()) << "nothing to put back for removed files";
}

}  // namespace
}  // namespace mqstore
