// `mqstore bench` runs too long for the fast suite: a sustained put run
// (60 s, the threshold at which the bench compares what became durable with
// the disk's sequential write ceiling). Labelled slow (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

// Retention keeps the run's files to four 64 MiB segments whatever the rate.
TEST(BenchSoak, ASustainedPutRunComparesWhatBecameDurableWithTheDisk) {
  const test::CliResult r = test::Cli(
      {"bench", "--workload", "put", "--seconds", "60", "--msg-size", "128", "--ceiling-seconds", "0.1", "--json",
       "--set", "mappedFileSizeCommitLog=67108864", "--set", "cleanResourceInterval=100", "--set",
       "deleteCommitLogFilesInterval=0", "--set", "deleteConsumeQueueFilesInterval=0", "--set",
       "maxStoreSizeBytes=268435456"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const test::Json j = test::ParseJson(r.out);
  ASSERT_TRUE(j["ceiling"].Has("seq_write_mb_per_sec")) << r.out;
  const double seq = j["ceiling"]["seq_write_mb_per_sec"].d;
  EXPECT_GT(seq, 0);
  EXPECT_GT(j["durable_mb_per_sec"].d, 0) << "an async flush made something durable in a minute";
  // The ceiling is printed to 0.1 MB/s, the ratio computed from the unrounded value.
  EXPECT_NEAR(j["durable_to_seq_write"].d, j["durable_mb_per_sec"].d / seq, 1e-3 * j["durable_to_seq_write"].d);
}

}  // namespace
}  // namespace mqstore
