// The bench's CPU accounting by thread: names grouped, /proc stat lines
// read, and a busy thread's time found under its name.
#include "tools/bench_thread_cpu.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <ctime>
#include <thread>

namespace mqstore::cli::bench {
namespace {

TEST(ThreadGroupName, DropsATrailingNumberAndItsSeparator) {
  EXPECT_EQ(ThreadGroupName("iou-wrk-12345"), "iou-wrk");
  EXPECT_EQ(ThreadGroupName("worker_7"), "worker");
  EXPECT_EQ(ThreadGroupName("worker7"), "worker");
  EXPECT_EQ(ThreadGroupName("mq-flush"), "mq-flush");
  EXPECT_EQ(ThreadGroupName("mq-flush-cq"), "mq-flush-cq");
  EXPECT_EQ(ThreadGroupName("12345"), "12345");
  EXPECT_EQ(ThreadGroupName(""), "");
}

TEST(StatLineCpuSeconds, ReadsUtimePlusStimeAfterTheLastParenthesis) {
  // A name may hold spaces and parentheses; fields 14 and 15 are 250 and 50 ticks.
  const std::string line = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 99 1000 5";
  EXPECT_DOUBLE_EQ(StatLineCpuSeconds(line, 100), 3.0);
}

TEST(StatLineCpuSeconds, RejectsWhatIsNotAStatLine) {
  EXPECT_LT(StatLineCpuSeconds("", 100), 0);
  EXPECT_LT(StatLineCpuSeconds("4242 (x) S 1 2 3", 100), 0);                          // too short
  EXPECT_LT(StatLineCpuSeconds("4242 (x) S 1 2 3 4 5 6 7 8 9 10 2x5 50 0", 100), 0);  // not a number
  EXPECT_LT(StatLineCpuSeconds("4242 x S 1 2 3 4 5 6 7 8 9 10 250 50 0", 100), 0);    // no name
}

double ThisThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

TEST(CoresBetween, FindsABusyThreadUnderItsNameAndTheProcessAboveIt) {
  constexpr double kBusySeconds = 0.3;
  std::atomic<bool> busy_done{false}, release{false};
  const ThreadCpuSample before = SampleThreadCpu();
  const auto start = std::chrono::steady_clock::now();
  std::thread spinner([&] {
    pthread_setname_np(pthread_self(), "cpu-spinner-7");
    while (ThisThreadCpuSeconds() < kBusySeconds) {
    }
    busy_done = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (!busy_done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const ThreadCpuSample after = SampleThreadCpu();  // the spinner is still alive
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  release = true;
  spinner.join();

  const std::vector<CoresUsed> cores = CoresBetween(before, after, wall);
  ASSERT_FALSE(cores.empty());
  EXPECT_EQ(cores[0].name, "process");
  double spinner_cores = -1;
  for (const auto& c : cores)
    if (c.name == "cpu-spinner") spinner_cores = c.cores;
  ASSERT_GE(spinner_cores, 0) << "no group cpu-spinner";
  // Ticks of 10 ms: the 0.3 s it spun, within a few ticks.
  EXPECT_NEAR(spinner_cores * wall, kBusySeconds, 0.05);
  EXPECT_GE(cores[0].cores * wall, kBusySeconds - 0.05);
}

TEST(CoresBetween, CountsThreadsThatEndedAsTheirOwnMeasureSays) {
  ThreadCpuSample before, after;
  before.process_seconds = 1.0;
  after.process_seconds = 4.0;  // 3 s of CPU in 2 s of wall time
  before.threads[10] = {"mq-flush", 0.5};
  after.threads[10] = {"mq-flush", 1.5};  // 1 s
  after.threads[11] = {"iou-wrk-11", 0.5};  // started during the run
  const auto cores = CoresBetween(before, after, 2.0, {{"bench-producer", 1.5}});
  ASSERT_EQ(cores.size(), 4u);
  EXPECT_EQ(cores[0].name, "process");
  EXPECT_DOUBLE_EQ(cores[0].cores, 1.5);
  EXPECT_EQ(cores[1].name, "bench-producer");
  EXPECT_DOUBLE_EQ(cores[1].cores, 0.75);
  EXPECT_EQ(cores[2].name, "mq-flush");
  EXPECT_DOUBLE_EQ(cores[2].cores, 0.5);
  EXPECT_EQ(cores[3].name, "iou-wrk");
  EXPECT_DOUBLE_EQ(cores[3].cores, 0.25);

  // Without the producers' own measure their second and a half is "ended".
  const auto unknown = CoresBetween(before, after, 2.0);
  ASSERT_EQ(unknown.back().name, "ended");
  EXPECT_DOUBLE_EQ(unknown.back().cores, 0.75);
}

}  // namespace
}  // namespace mqstore::cli::bench
