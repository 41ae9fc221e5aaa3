// mqstore serve and mqstore follow: a replica made by the two commands is
// the served store's commit log byte for byte; bad usage exits 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "storage/ha/ha_socket.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

std::vector<std::string> SmallStoreSets() {
  return {"--set", "mappedFileSizeCommitLog=65536", "--set", "mappedFileSizeConsumeQueue=2560",
          "--set", "maxHashSlotNum=64",             "--set", "maxIndexNum=256",
          "--set", "maxMessageSize=16384"};
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int FreePort() {
  auto l = ListenTcp(0);
  return l.ok() ? LocalPort(*l) : 0;
}

TEST(ReplicaCli, FollowOfServeCopiesTheCommitLogByteForByte) {
  SetLogSink({});
  test::TempDir tmp;
  const std::string master = tmp.path() + "/master", replica = tmp.path() + "/replica";
  {
    auto store = MessageStore::Open(test::SmallStoreConfig(master));
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    for (int i = 0; i < 200; ++i) {
      test::OwnedMessage m("TopicCli", i % 2, 300 + i, "k" + std::to_string(i));
      ASSERT_TRUE((*store)->Put(m.message()).ok());
    }
    ASSERT_TRUE((*store)->Shutdown().ok());
  }
  const int port = FreePort();
  ASSERT_GT(port, 0);
  std::vector<std::string> serve = {"serve", master, "--ha-port", std::to_string(port), "--seconds", "6",
                                    "--set", "haTransferWholeHistory=true"};
  for (const auto& s : SmallStoreSets()) serve.push_back(s);
  test::CliResult served{};
  std::thread server([&] { served = test::Cli(serve); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::vector<std::string> follow = {"follow", "127.0.0.1:" + std::to_string(port), replica, "--seconds", "3"};
  for (const auto& s : SmallStoreSets()) follow.push_back(s);
  const test::CliResult followed = test::Cli(follow);
  server.join();
  EXPECT_EQ(followed.code, 0) << followed.err;
  EXPECT_EQ(served.code, 0) << served.err;
  EXPECT_NE(served.out.find("on port " + std::to_string(port)), std::string::npos) << served.out;
  EXPECT_NE(followed.out.find("offset"), std::string::npos) << followed.out;
  size_t files = 0;
  for (const auto& f : std::filesystem::directory_iterator(master + "/commitlog")) {
    const std::string name = f.path().filename().string();
    ASSERT_TRUE(std::filesystem::exists(replica + "/commitlog/" + name)) << name;
    EXPECT_TRUE(ReadAll(f.path().string()) == ReadAll(replica + "/commitlog/" + name)) << name << " differs";
    ++files;
  }
  EXPECT_GT(files, 1u);
}

TEST(ReplicaCli, BadUsageExits2) {
  test::TempDir tmp;
  EXPECT_EQ(test::Cli({"follow", "127.0.0.1:10912"}).code, 2);
  EXPECT_EQ(test::Cli({"follow", "nohost", tmp.path() + "/r", "--seconds", "1"}).code, 2);
  EXPECT_EQ(test::Cli({"follow", "127.0.0.1:10912", tmp.path() + "/r", "--seconds", "-1"}).code, 2);
  EXPECT_EQ(test::Cli({"serve", tmp.path()}).code, 2);
  EXPECT_EQ(test::Cli({"serve", tmp.path(), "--ha-port", "70000"}).code, 2);
  EXPECT_EQ(test::Cli({"bench", "--workload", "put", "--replica"}).code, 2);
}

}  // namespace
}  // namespace mqstore
