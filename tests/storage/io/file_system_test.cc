// The POSIX file system and the fault-injecting one used by crash tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
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
    // The name is durable: a crash rolls back only what the file holds.
    EXPECT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
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

// ---- stores through a writable mapping ------------------------------------

TEST_F(FaultInjectionTest, CrashRollsBackMappedStoresSinceTheLastSync) {
  auto f = Open("mapped");
  ASSERT_TRUE(f->Preallocate(3 * 4096).ok());
  auto map = f->Map(3 * 4096, /*writable=*/true);
  ASSERT_TRUE(map.ok());
  std::span<uint8_t> bytes = (*map)->data();
  std::memcpy(bytes.data(), "synced", 6);
  ASSERT_TRUE(f->Sync().ok());
  std::memcpy(bytes.data(), "SYNCED-and-more", 15);  // over synced bytes
  std::memcpy(bytes.data() + 2 * 4096, "page two", 8);
  map->reset();  // unmapped before the crash, as a dropped store leaves it
  ASSERT_TRUE(fault_.Crash().ok());
  std::string want(3 * 4096, '\0');
  want.replace(0, 6, "synced");
  EXPECT_EQ(Contents("mapped"), want);
}

TEST_F(FaultInjectionTest, CrashWhileAMappingIsAliveRestoresThroughTheFile) {
  auto f = Open("alive");
  ASSERT_TRUE(f->Preallocate(4096).ok());
  ASSERT_TRUE(f->Sync().ok());
  auto map = f->Map(4096, /*writable=*/true);
  ASSERT_TRUE(map.ok());
  std::memcpy((*map)->data().data() + 100, "unsynced", 8);
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("alive"), std::string(4096, '\0'));
  EXPECT_EQ((*map)->data()[100], 0) << "the shared mapping shows what the file holds now";
}

TEST_F(FaultInjectionTest, MappedStoresAndWritesShareOneDurableImage) {
  auto f = Open("both");
  ASSERT_TRUE(f->Preallocate(2 * 4096).ok());
  auto map = f->Map(2 * 4096, /*writable=*/true);
  ASSERT_TRUE(map.ok());
  ASSERT_TRUE(f->Write(0, Bytes("written|")).ok());
  std::memcpy((*map)->data().data() + 8, "stored|", 7);
  ASSERT_TRUE(f->Sync().ok());  // both durable now
  ASSERT_TRUE(f->Write(4096, Bytes("lost write")).ok());
  std::memcpy((*map)->data().data() + 15, "lost store", 10);
  ASSERT_TRUE(fault_.Crash().ok());
  const std::string after = Contents("both");
  EXPECT_EQ(after.substr(0, 15), "written|stored|");
  EXPECT_EQ(after.substr(15), std::string(2 * 4096 - 15, '\0'));
}

TEST_F(FaultInjectionTest, TornCrashKeepsAPrefixOfTheFirstChangedPageOfMappedStores) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::string name = "tornmap" + std::to_string(seed);
    auto f = Open(name);
    ASSERT_TRUE(f->Preallocate(3 * 4096).ok());
    ASSERT_TRUE(f->Sync().ok());
    auto map = f->Map(3 * 4096, /*writable=*/true);
    ASSERT_TRUE(map.ok());
    std::memset((*map)->data().data() + 4096 + 100, 'x', 200);  // page 1: [100, 300)
    std::memset((*map)->data().data() + 2 * 4096, 'y', 50);     // page 2: lost whole
    map->reset();
    ASSERT_TRUE(fault_.Crash(true, seed).ok());
    const std::string after = Contents(name);
    ASSERT_EQ(after.size(), 3u * 4096);
    const size_t kept = after.find_first_not_of('x', 4096 + 100) - (4096 + 100);
    EXPECT_GE(kept, 1u) << "at least one byte of the page survived";
    EXPECT_LE(kept, 200u);
    EXPECT_EQ(after.substr(0, 4096 + 100), std::string(4096 + 100, '\0'));
    EXPECT_EQ(after.substr(4096 + 100 + kept), std::string(2 * 4096 - 100 - kept, '\0')) << "nothing else";
  }
}

TEST_F(FaultInjectionTest, CrashRollsBackASequentialFileToItsLastSync) {
  auto f = fault_.NewSequentialFile(tmp_.path() + "/seq");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
  ASSERT_TRUE((*f)->Append(Bytes("kept|")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append(Bytes("lost")).ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("seq"), "kept|");
  // Creating it again truncates it; until a sync the old contents are durable.
  auto again = fault_.NewSequentialFile(tmp_.path() + "/seq");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Append(Bytes("new")).ok());
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("seq"), "kept|");
}

TEST_F(FaultInjectionTest, RenamingAFileToItselfChangesNothing) {
  auto f = Open("self");
  ASSERT_TRUE(f->Write(0, Bytes("x")).ok());
  ASSERT_TRUE(fault_.Rename(tmp_.path() + "/self", tmp_.path() + "/self").ok());
  EXPECT_EQ(Contents("self"), "x");
}

// ---- directory entries ----------------------------------------------------

class FaultInjectionDirTest : public FaultInjectionTest {
 protected:
  std::string P(const std::string& name) const { return tmp_.path() + "/" + name; }
  // A file created, written and synced through the fault-injecting file
  // system; its name durable only if `sync_dir`.
  void MakeFile(const std::string& name, const std::string& text, bool sync_dir) {
    auto f = fault_.OpenRandomRW(P(name), OpenMode::kCreateIfMissing);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Write(0, Bytes(text)).ok());
    ASSERT_TRUE((*f)->Sync().ok());
    if (sync_dir) {
      ASSERT_TRUE(fault_.SyncDirectory(ParentPath(P(name))).ok());
    }
  }
  std::vector<std::string> Listed(const std::string& dir) {
    auto names = fault_.ListDirectory(dir);
    EXPECT_TRUE(names.ok());
    std::sort(names->begin(), names->end());
    return *names;
  }
};

TEST_F(FaultInjectionDirTest, AFileCreatedWithoutADirectorySyncIsGoneAfterACrash) {
  MakeFile("kept", "both synced", /*sync_dir=*/true);
  MakeFile("new", "synced data, unsynced name", /*sync_dir=*/false);
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(P("new")));
  EXPECT_EQ(Contents("kept"), "both synced");
}

TEST_F(FaultInjectionDirTest, ADirectoryCreatedWithoutASyncOfItsParentIsGoneWithItsFiles) {
  ASSERT_TRUE(fault_.CreateDirectories(P("a/b")).ok());
  MakeFile("a/b/f", "x", /*sync_dir=*/true);  // b synced, a and tmp not
  ASSERT_TRUE(fault_.SyncDirectory(P("a")).ok());  // b's name durable, a's not
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(P("a")));

  ASSERT_TRUE(fault_.CreateDirectories(P("c/d")).ok());
  ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
  ASSERT_TRUE(fault_.SyncDirectory(P("c")).ok());
  MakeFile("c/d/f", "kept", /*sync_dir=*/true);
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("c/d/f"), "kept");
}

TEST_F(FaultInjectionDirTest, AnUnsyncedRemovalComesBackWithItsContents) {
  MakeFile("victim", "still here", /*sync_dir=*/true);
  ASSERT_TRUE(fault_.Remove(P("victim")).ok());
  EXPECT_FALSE(fault_.Exists(P("victim")));
  EXPECT_TRUE(Listed(tmp_.path()).empty()) << "the hidden trash is not listed";
  EXPECT_EQ(fault_.Remove(P("victim")).code(), StatusCode::kNotFound);
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("victim"), "still here");
}

TEST_F(FaultInjectionDirTest, ASyncedRemovalStaysAndLeavesNothingBehind) {
  MakeFile("gone", "bye", /*sync_dir=*/true);
  ASSERT_TRUE(fault_.Remove(P("gone")).ok());
  ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
  auto all = FileSystem::Default().ListDirectory(tmp_.path());
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty()) << "the trash went with the sync";
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(P("gone")));
}

TEST_F(FaultInjectionDirTest, AnUnsyncedRenameIsUndoneAndTheReplacedTargetComesBack) {
  MakeFile("from", "new contents", /*sync_dir=*/false);
  MakeFile("to", "old contents", /*sync_dir=*/true);  // syncs both names
  ASSERT_TRUE(fault_.Rename(P("from"), P("to")).ok());
  EXPECT_EQ(Listed(tmp_.path()), std::vector<std::string>{"to"});
  EXPECT_EQ(Contents("to"), "new contents");
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("from"), "new contents");
  EXPECT_EQ(Contents("to"), "old contents");

  ASSERT_TRUE(fault_.Rename(P("from"), P("to")).ok());
  ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(P("from")));
  EXPECT_EQ(Contents("to"), "new contents");
}

TEST_F(FaultInjectionDirTest, ARemovedTreeComesBackUnlessItsParentWasSynced) {
  ASSERT_TRUE(fault_.CreateDirectories(P("tree/sub")).ok());
  ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
  ASSERT_TRUE(fault_.SyncDirectory(P("tree")).ok());
  MakeFile("tree/sub/f", "leaf", /*sync_dir=*/true);
  ASSERT_TRUE(fault_.RemoveAll(P("tree")).ok());
  EXPECT_FALSE(fault_.Exists(P("tree")));
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_EQ(Contents("tree/sub/f"), "leaf");
  ASSERT_TRUE(fault_.RemoveAll(P("tree")).ok());
  ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(P("tree")));
}

// Two threads creating one file (the segment allocator and a writer that
// did not wait for it can): whichever syncs it, the file is durable.
TEST_F(FaultInjectionDirTest, TwoThreadsCreatingOneFileShareItsDurableImage) {
  for (int round = 0; round < 100; ++round) {
    const std::string path = P("race" + std::to_string(round));
    std::atomic<int> ready{0};
    auto open = [&](bool sync) {
      ++ready;
      while (ready < 2) {
      }
      auto f = fault_.OpenRandomRW(path, OpenMode::kCreateIfMissing);
      ASSERT_TRUE(f.ok());
      if (sync) {
        ASSERT_TRUE((*f)->Preallocate(4096).ok());
        ASSERT_TRUE((*f)->Sync().ok());
      }
    };
    std::thread a(open, true), b(open, false);
    a.join();
    b.join();
    ASSERT_TRUE(fault_.SyncDirectory(tmp_.path()).ok());
    ASSERT_TRUE(fault_.Crash().ok());
    auto info = FileSystem::Default().Stat(path);
    ASSERT_TRUE(info.ok());
    ASSERT_EQ(info->size, 4096u) << "round " << round;
  }
}

TEST_F(FaultInjectionDirTest, AFileRemovedBeforeItsCreationWasSyncedIsRemovedAtOnce) {
  MakeFile("brief", "x", /*sync_dir=*/false);
  ASSERT_TRUE(fault_.Remove(P("brief")).ok());
  auto all = FileSystem::Default().ListDirectory(tmp_.path());
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty()) << "no trash: a crash could not bring it back anyway";
  ASSERT_TRUE(fault_.Crash().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(P("brief")));
}

}  // namespace
}  // namespace mqstore
