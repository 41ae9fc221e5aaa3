#include "storage/io/config_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/golden.h"

namespace mqstore {
namespace {

std::optional<std::string> Read(const std::string& path) {
  auto text = ReadConfigFile(FileSystem::Default(), path);
  EXPECT_TRUE(text.ok()) << text.error().ToString();
  return text.ok() ? *text : std::nullopt;
}

TEST(ConfigFileTest, PersistKeepsThePreviousFileAsTheBak) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/config/x.json";
  EXPECT_EQ(Read(path), std::nullopt) << "a missing file is no content, not an error";
  ASSERT_TRUE(PersistConfigFile(FileSystem::Default(), path, "one").ok());
  EXPECT_EQ(Read(path), "one");
  EXPECT_EQ(Read(ConfigBackupPath(path)), std::nullopt) << "nothing to keep at the first persist";
  ASSERT_TRUE(PersistConfigFile(FileSystem::Default(), path, "two").ok());
  EXPECT_EQ(Read(path), "two");
  EXPECT_EQ(Read(ConfigBackupPath(path)), "one");
  EXPECT_FALSE(FileSystem::Default().Exists(path + ".tmp"));
}

TEST(ConfigFileTest, ACurrentFileNotWorthKeepingLeavesTheBakAlone) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/x.json";
  ASSERT_TRUE(PersistConfigFile(FileSystem::Default(), path, "good").ok());
  ASSERT_TRUE(PersistConfigFile(FileSystem::Default(), path, "damaged").ok());
  auto good_only = [](std::string_view current) { return current == "good"; };
  ASSERT_TRUE(PersistConfigFile(FileSystem::Default(), path, "three", good_only).ok());
  EXPECT_EQ(Read(ConfigBackupPath(path)), "good");
  EXPECT_EQ(Read(path), "three");
}

TEST(ConfigFileTest, AFileOverTheBoundIsCorruptionNamingIt) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/x.json";
  std::ofstream(path) << "0123456789";
  auto text = ReadConfigFile(FileSystem::Default(), path, 4, "a tiny file");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().ToString(), "Corruption: " + path + ": 10 bytes, more than a tiny file holds");
}

}  // namespace
}  // namespace mqstore
