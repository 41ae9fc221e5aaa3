// Small stores for the CLI tests, written by `mqstore gen` (the engine), so
// the tests need no golden data: 64 KiB segments, 128-unit consume-queue
// files and 84 KB index files.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/tools/cli_test_util.h"

namespace mqstore::test {

// The broker.conf the stores are written with (and read back with).
inline std::string WriteSmallStoreConf(const std::string& path, const std::string& extra = "") {
  std::ofstream(path) << "maxHashSlotNum=1024\nmaxIndexNum=4096\nmappedFileSizeCommitLog=65536\n"
                         "mappedFileSizeConsumeQueue=2560\n"
                      << extra;
  return path;
}

// `messages` records of 100-byte bodies over topics GenTopic0..2, queues 0..1
// (3000 fill about five segments), shut down cleanly.
inline void GenStore(const std::string& root, const std::string& conf, int messages = 3000) {
  const CliResult r = Cli({"gen", root, "--messages", std::to_string(messages), "--body-size", "100", "--topics", "3",
                           "--queues", "2", "--segment-size", "64k", "--config", conf});
  ASSERT_EQ(r.code, 0) << r.err;
}

}  // namespace mqstore::test
