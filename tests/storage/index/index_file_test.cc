// IndexFile on its own, without IndexService: keys put are found on their
// slot's chain (hash collisions included, told apart by the entry's hash),
// a full file refuses the next key and stays as it was, the header's fields
// follow the puts in memory and in the file's first 40 bytes, and a file
// reopened reads back what was written.
#include "storage/index/index_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "storage/io/file_system.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

// 8 slots, 6 entries (5 live: entry 0 is never used, as in RocketMQ).
constexpr IndexGeometry kSmall{8, 6};
constexpr const char* kName = "20260101000000000";
constexpr int64_t kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

class IndexFileTest : public ::testing::Test {
 protected:
  std::shared_ptr<IndexFile> Create(const IndexHeader& seed = {}) {
    auto file = IndexFile::Create(fs_, dir_, kName, kSmall, seed);
    EXPECT_TRUE(file.ok()) << file.error().ToString();
    return file.ok() ? *file : nullptr;
  }
  // IndexFile.selectPhyOffset over the file's live mapping, the whole time range.
  static std::vector<int64_t> Select(const IndexFile& file, int32_t key_hash) {
    std::vector<int64_t> out;
    const IndexFileView view = file.View();
    IndexSelectPhyOffsets(view.data, view.geometry, key_hash, 0, INT64_MAX, 64, out);
    return out;
  }
  // The header as the bytes on disk say it.
  IndexHeader HeaderOnDisk() const {
    std::ifstream in(JoinPath(dir_, kName), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.size(), kSmall.FileSize());
    return DecodeIndexHeader(bytes).value();
  }

  FileSystem& fs_ = FileSystem::Default();
  test::TempDir tmp_;
  std::string dir_ = tmp_.path();
};

TEST_F(IndexFileTest, KeysPutAreFoundOnTheirSlotNewestFirst) {
  auto file = Create();
  ASSERT_TRUE(file);
  EXPECT_EQ(file->Entries(), 0);
  ASSERT_TRUE(file->Put(3, 100, kT0));
  ASSERT_TRUE(file->Put(4, 200, kT0 + 1000));
  ASSERT_TRUE(file->Put(3, 300, kT0 + 2000));
  EXPECT_EQ(file->Entries(), 3);
  EXPECT_EQ(Select(*file, 3), (std::vector<int64_t>{300, 100}));
  EXPECT_EQ(Select(*file, 4), (std::vector<int64_t>{200}));
  EXPECT_TRUE(Select(*file, 5).empty()) << "a key never put";
  // Entry 3 (the newest key 3) points back at entry 1; its time is seconds
  // since the file's first key.
  auto entry = ReadIndexEntry(file->View().data, kSmall, 3);
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(*entry, (IndexEntry{3, 300, 2, 1}));
}

TEST_F(IndexFileTest, KeysWhoseHashesShareASlotChainThroughItAndAreToldApartByHash) {
  auto file = Create();
  ASSERT_TRUE(file);
  const int32_t a = 5, b = 5 + kSmall.max_hash_slot_num, c = 5 + 2 * kSmall.max_hash_slot_num;  // all slot 5
  ASSERT_TRUE(file->Put(a, 10, kT0));
  ASSERT_TRUE(file->Put(b, 20, kT0));
  ASSERT_TRUE(file->Put(a, 30, kT0));
  ASSERT_TRUE(file->Put(c, 40, kT0));
  EXPECT_EQ(file->header().hash_slot_count, 1) << "one slot holds all four";
  EXPECT_EQ(*ReadIndexSlot(file->View().data, kSmall, 5), 4) << "the slot holds the newest entry";
  for (int32_t n = 4; n > 1; --n)
    EXPECT_EQ(ReadIndexEntry(file->View().data, kSmall, n)->prev_index, n - 1) << "entry " << n;
  EXPECT_EQ(Select(*file, a), (std::vector<int64_t>{30, 10}));
  EXPECT_EQ(Select(*file, b), (std::vector<int64_t>{20}));
  EXPECT_EQ(Select(*file, c), (std::vector<int64_t>{40}));
}

TEST_F(IndexFileTest, AFullFileRefusesTheNextKeyAndStaysAsItWas) {
  auto file = Create();
  ASSERT_TRUE(file);
  for (int i = 1; i < kSmall.max_index_num; ++i) {
    EXPECT_FALSE(file->Full()) << "before key " << i;
    ASSERT_TRUE(file->Put(i, i * 100, kT0 + i)) << "key " << i;
  }
  EXPECT_TRUE(file->Full());
  EXPECT_EQ(file->Entries(), kSmall.max_index_num - 1);
  const IndexHeader before = file->header();
  const uint64_t generation = file->generation;
  EXPECT_FALSE(file->Put(7, 9999, kT0 + 60000));
  EXPECT_EQ(file->header(), before);
  EXPECT_EQ(HeaderOnDisk(), before);
  EXPECT_EQ(file->generation, generation) << "nothing changed: nothing for a sync to cover";
  EXPECT_TRUE(Select(*file, 7).empty());
}

TEST_F(IndexFileTest, TheHeaderFollowsThePutsInMemoryAndOnDisk) {
  auto file = Create();
  ASSERT_TRUE(file);
  EXPECT_EQ(file->header(), IndexHeader{}) << "a new file: no keys, indexCount 1";
  ASSERT_TRUE(file->Put(1, 500, kT0 + 7));
  ASSERT_TRUE(file->Put(2, 600, kT0 + 1500));
  ASSERT_TRUE(file->Put(9, 700, kT0 + 2500));  // slot 1 again
  const IndexHeader want{kT0 + 7, kT0 + 2500, 500, 700, /*hash_slot_count=*/2, /*index_count=*/4};
  EXPECT_EQ(file->header(), want);
  EXPECT_EQ(HeaderOnDisk(), want) << "every put writes the mapped header too";
  EXPECT_FALSE(file->synced);
}

// A seeded file (IndexService's next file after a full one) carries the last
// file's end in its first 32 bytes; its counts stay 0 on disk until the first
// key, which replaces the seeded begin fields.
TEST_F(IndexFileTest, ASeededFileKeepsItsCountsZeroOnDiskUntilTheFirstKey) {
  const IndexHeader seed{kT0, kT0, 4096, 4096, 0, 1};
  auto file = Create(seed);
  ASSERT_TRUE(file);
  EXPECT_TRUE(file->Seeded());
  IndexHeader on_disk = HeaderOnDisk();
  EXPECT_EQ(on_disk.index_count, 0);
  EXPECT_EQ(on_disk.hash_slot_count, 0);
  EXPECT_EQ(on_disk.end_phy_offset, 4096);
  ASSERT_TRUE(file->Put(1, 5000, kT0 + 3000));
  EXPECT_FALSE(file->Seeded());
  EXPECT_EQ(HeaderOnDisk(), (IndexHeader{kT0 + 3000, kT0 + 3000, 5000, 5000, 1, 2}));
}

TEST_F(IndexFileTest, AReopenedFileReadsBackItsHeaderAndKeys) {
  IndexHeader written;
  {
    auto file = Create();
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->Put(3, 100, kT0));
    ASSERT_TRUE(file->Put(11, 200, kT0 + 4000));  // slot 3: a collision
    ASSERT_TRUE(file->Sync().ok());
    written = file->header();
  }
  auto reopened = IndexFile::Open(fs_, dir_, kName, kSmall);
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  EXPECT_EQ((*reopened)->header(), written);
  EXPECT_EQ((*reopened)->path(), JoinPath(dir_, kName));
  EXPECT_FALSE((*reopened)->synced) << "not full: the writer may still add to it";
  EXPECT_EQ(Select(**reopened, 3), (std::vector<int64_t>{100}));
  EXPECT_EQ(Select(**reopened, 11), (std::vector<int64_t>{200}));
  ASSERT_TRUE((*reopened)->Put(3, 300, kT0 + 5000)) << "puts go on after the last entry";
  EXPECT_EQ(Select(**reopened, 3), (std::vector<int64_t>{300, 100}));
}

TEST_F(IndexFileTest, ReopeningWithTheWrongGeometryIsCorruptionNamingTheFileAndSizes) {
  ASSERT_TRUE(Create());
  auto wrong = IndexFile::Open(fs_, dir_, kName, IndexGeometry{16, 6});
  ASSERT_FALSE(wrong.ok());
  const std::string msg = wrong.error().ToString();
  EXPECT_NE(msg.find(kName), std::string::npos) << msg;
  EXPECT_NE(msg.find("size " + std::to_string(kSmall.FileSize())), std::string::npos) << msg;
  EXPECT_NE(msg.find("16 slots"), std::string::npos) << msg;
}

TEST_F(IndexFileTest, UnlinkingFromAnOffsetTakesTheNewerEntriesOffTheirChains) {
  auto file = Create();
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->Put(3, 100, kT0));
  ASSERT_TRUE(file->Put(4, 200, kT0 + 1000));
  ASSERT_TRUE(file->Put(3, 300, kT0 + 2000));
  auto changed = file->UnlinkFrom(200);
  ASSERT_TRUE(changed.ok()) << changed.error().ToString();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(Select(*file, 3), (std::vector<int64_t>{100}));
  EXPECT_TRUE(Select(*file, 4).empty());
  EXPECT_EQ(file->header(), (IndexHeader{kT0, kT0, 100, 100, 1, 2}));
  EXPECT_EQ(HeaderOnDisk(), file->header());
  EXPECT_FALSE(*file->UnlinkFrom(200)) << "nothing at or past it any more";
}

}  // namespace
}  // namespace mqstore
