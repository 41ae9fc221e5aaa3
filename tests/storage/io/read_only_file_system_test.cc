// ReadOnlyFileSystem: reads pass, every change is refused and names itself.
#include "storage/io/read_only_file_system.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/golden.h"

namespace mqstore {
namespace {

void ExpectRefused(const Status& st, const std::string& what) {
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();
  EXPECT_NE(st.message().find("read-only: would " + what), std::string::npos) << st.ToString();
}

TEST(ReadOnlyFileSystem, ReadsPassAndEveryChangeIsRefused) {
  test::TempDir tmp;
  FileSystem& real = FileSystem::Default();
  const std::string path = tmp.path() + "/f";
  {
    auto f = real.OpenRandomRW(path, OpenMode::kCreateIfMissing);
    ASSERT_TRUE(f.ok());
    const std::vector<uint8_t> bytes(8192, 7);
    ASSERT_TRUE((*f)->Write(0, bytes).ok());
  }
  ReadOnlyFileSystem fs(real);
  auto f = fs.OpenRandomRW(path, OpenMode::kMustExist);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  std::vector<uint8_t> out(100);
  ASSERT_EQ(*(*f)->Read(10, out), 100u);
  EXPECT_EQ(out[0], 7);
  EXPECT_EQ(*(*f)->Size(), 8192u);
  auto mapped = (*f)->Map(8192, /*writable=*/false);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ((*mapped)->data()[4000], 7);

  ExpectRefused((*f)->Write(0, out), "write");
  ExpectRefused((*f)->ZeroRange(0, 10), "zero a range of");
  ExpectRefused((*f)->Truncate(0), "truncate");
  ExpectRefused((*f)->Preallocate(1 << 20), "fallocate");
  ExpectRefused((*f)->Sync(), "fdatasync");
  {
    // A writable mapping is a private copy: stores never reach the file.
    auto cow = (*f)->Map(8192, /*writable=*/true);
    ASSERT_TRUE(cow.ok()) << cow.error().ToString();
    (*cow)->data()[100] = 9;
    EXPECT_EQ((*mapped)->data()[100], 7);
    std::vector<uint8_t> again(1);
    ASSERT_EQ(*(*f)->Read(100, again), 1u);
    EXPECT_EQ(again[0], 7);
  }
  ExpectRefused(fs.OpenRandomRW(tmp.path() + "/new", OpenMode::kCreateIfMissing).error(), "create");
  ExpectRefused(fs.NewSequentialFile(tmp.path() + "/seq").error(), "create");
  ExpectRefused(fs.Remove(path), "unlink");
  ExpectRefused(fs.Rename(path, path + "2"), "rename");
  ExpectRefused(fs.RemoveAll(tmp.path()), "remove");
  ExpectRefused(fs.SyncDirectory(tmp.path()), "fsync");
  ExpectRefused(fs.LockFile(tmp.path() + "/lock").error(), "lock");
  ExpectRefused(fs.CreateDirectories(tmp.path() + "/d"), "create directory");
  EXPECT_TRUE(fs.CreateDirectories(tmp.path()).ok()) << "an existing directory is no change";

  EXPECT_FALSE(real.Exists(tmp.path() + "/new"));
  EXPECT_FALSE(real.Exists(tmp.path() + "/lock"));
  EXPECT_EQ(*(*real.OpenRandomRW(path, OpenMode::kMustExist))->Size(), 8192u);
}

}  // namespace
}  // namespace mqstore
