#include "storage/timer/delay_offset_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "storage/io/fake_clock.h"
#include "storage/io/fault_injection_file_system.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}
std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class DelayOffsetTableTest : public ::testing::Test {
 protected:
  std::string Path() const { return JoinPath(JoinPath(dir_.path(), "config"), "delayOffset.json"); }
  DelayOffsetTable Table(FileSystem& fs = FileSystem::Default()) { return DelayOffsetTable(fs, clock_, Path()); }
  void Config() { FileSystem::Default().CreateDirectories(JoinPath(dir_.path(), "config")).ok(); }

  test::TempDir dir_;
  FakeClock clock_;
};

TEST_F(DelayOffsetTableTest, ANewStoreStartsEmptyAndPersistWritesFastjsonsForm) {
  DelayOffsetTable t = Table();
  ASSERT_TRUE(t.Load().ok());
  EXPECT_EQ(t.loaded_from(), "");
  EXPECT_EQ(t.Get(3), 0);
  t.Set(3, 7);
  t.Set(1, 2);
  ASSERT_TRUE(t.Persist().ok());
  EXPECT_EQ(ReadText(Path()), "{\n\t\"dataVersion\":{\n\t\t\"counter\":0,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":" +
                                  std::to_string(FakeClock::kDefaultWallMillis) +
                                  "\n\t},\n\t\"offsetTable\":{1:2,3:7\n\t}\n}");
  EXPECT_FALSE(FileSystem::Default().Exists(Path() + ".tmp"));
  EXPECT_FALSE(FileSystem::Default().Exists(Path() + ".bak")) << "no earlier file to keep";
}

TEST_F(DelayOffsetTableTest, PersistKeepsTheFormerFileAsBakAndLoadReadsItBack) {
  DelayOffsetTable t = Table();
  ASSERT_TRUE(t.Load().ok());
  t.Set(2, 5);
  ASSERT_TRUE(t.Persist().ok());
  const std::string first = ReadText(Path());
  t.Set(2, 9);
  ASSERT_TRUE(t.Persist().ok());
  EXPECT_EQ(ReadText(Path() + ".bak"), first);
  DelayOffsetTable again = Table();
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.loaded_from(), Path());
  EXPECT_EQ(again.Get(2), 9);
  EXPECT_EQ(again.Snapshot(), t.Snapshot());
}

TEST_F(DelayOffsetTableTest, Reads4xFilesWithoutDataVersion) {
  Config();
  WriteText(Path(), "{\n\t\"offsetTable\":{1:0,2:17\n\t}\n}");
  DelayOffsetTable t = Table();
  ASSERT_TRUE(t.Load().ok());
  EXPECT_EQ(t.Get(2), 17);
  EXPECT_EQ(t.Snapshot().data_version->counter, 0);
}

TEST_F(DelayOffsetTableTest, ADamagedMissingOrEmptyFileFallsBackToBak) {
  for (const std::string& main : {std::string("{\"offsetTable\":{1:"), std::string(""), std::string("<missing>")}) {
    Config();
    if (main == "<missing>") {
      std::remove(Path().c_str());
    } else {
      WriteText(Path(), main);
    }
    WriteText(Path() + ".bak", "{\"offsetTable\":{4:44}}");
    DelayOffsetTable t = Table();
    ASSERT_TRUE(t.Load().ok()) << main;
    EXPECT_EQ(t.loaded_from(), Path() + ".bak");
    EXPECT_EQ(t.Get(4), 44);
    // The next persist writes the file again and keeps the good .bak.
    ASSERT_TRUE(t.Persist().ok());
    EXPECT_EQ(ReadText(Path() + ".bak"), "{\"offsetTable\":{4:44}}") << "a damaged file never replaces the .bak";
    DelayOffsetTable again = Table();
    ASSERT_TRUE(again.Load().ok());
    EXPECT_EQ(again.loaded_from(), Path());
  }
}

TEST_F(DelayOffsetTableTest, BothDamagedIsAnErrorNamingBoth) {
  Config();
  WriteText(Path(), "{\"offsetTable\":{1:x}}");
  WriteText(Path() + ".bak", "");
  DelayOffsetTable t = Table();
  Status st = t.Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find(Path() + ": byte 18: expected an integer offset"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find(Path() + ".bak: empty"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("delivery does not start"), std::string::npos) << st.ToString();
  // A damaged file alone, no .bak: the same.
  std::remove((Path() + ".bak").c_str());
  EXPECT_FALSE(Table().Load().ok());
}

TEST_F(DelayOffsetTableTest, ClampMovesOffsetsIntoTheQueuesBounds) {
  DelayOffsetTable t = Table();
  ASSERT_TRUE(t.Load().ok());
  t.Set(1, 3);
  t.Set(2, 50);
  EXPECT_TRUE(t.Clamp(1, 10, 20));
  EXPECT_EQ(t.Get(1), 10);
  EXPECT_TRUE(t.Clamp(2, 10, 20));
  EXPECT_EQ(t.Get(2), 20);
  EXPECT_FALSE(t.Clamp(2, 0, 20));
  EXPECT_TRUE(t.Clamp(5, 4, 4)) << "an absent level is 0";
  EXPECT_EQ(t.Get(5), 4);
}

TEST_F(DelayOffsetTableTest, DataVersionMovesEveryStepOfChangingUpdates) {
  DelayOffsetTable t(FileSystem::Default(), clock_, Path(), /*version_step=*/3);
  ASSERT_TRUE(t.Load().ok());
  t.Set(1, 1);
  t.Set(1, 1);  // no change: not an update
  t.Set(1, 2);
  EXPECT_EQ(t.Snapshot().data_version->counter, 0);
  clock_.Advance(500);
  t.Set(2, 1);
  EXPECT_EQ(*t.Snapshot().data_version, (DelayOffsetDataVersion{1, 0, FakeClock::kDefaultWallMillis + 500}));
}

TEST_F(DelayOffsetTableTest, AFailedPersistLeavesTheOldFileAndIsRetried) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  DelayOffsetTable t = Table(fs);
  ASSERT_TRUE(t.Load().ok());
  t.Set(1, 1);
  ASSERT_TRUE(t.Persist().ok());
  const std::string before = ReadText(Path());
  t.Set(1, 2);
  for (uint64_t n = 1; n <= 6; ++n) {  // each mutating step of a persist in turn
    fs.FailNthMutatingCall(n, EIO);
    Status st = t.Persist();
    if (st.ok()) break;  // past the last step: the fault hit nothing
    EXPECT_EQ(st.code(), StatusCode::kIOError);
    DelayOffsetTable seen = Table();
    ASSERT_TRUE(seen.Load().ok()) << "step " << n;
    const int64_t v = seen.Get(1);
    EXPECT_TRUE(v == 1 || v == 2) << "step " << n << ": the file is the old one or the new one, whole";
  }
  fs.FailNthMutatingCall(0, 0);
  ASSERT_TRUE(t.Persist().ok());
  DelayOffsetTable seen = Table();
  ASSERT_TRUE(seen.Load().ok());
  EXPECT_EQ(seen.Get(1), 2);
}

TEST_F(DelayOffsetTableTest, APowerLossAfterPersistKeepsTheNewTable) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  {
    DelayOffsetTable t = Table(fs);
    ASSERT_TRUE(t.Load().ok());
    t.Set(1, 1);
    ASSERT_TRUE(t.Persist().ok());
    t.Set(1, 2);
    ASSERT_TRUE(t.Persist().ok());
    t.Set(1, 3);  // never persisted
  }
  ASSERT_TRUE(fs.Crash(/*tear_last_write=*/true, 7).ok());
  DelayOffsetTable seen = Table();
  ASSERT_TRUE(seen.Load().ok());
  EXPECT_EQ(seen.loaded_from(), Path());
  EXPECT_EQ(seen.Get(1), 2);
}

}  // namespace
}  // namespace mqstore
