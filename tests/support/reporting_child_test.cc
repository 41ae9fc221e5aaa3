// ReportingChild forks only a process without other threads: a child forked
// beside a running thread may inherit a lock held forever.
#include "tests/support/reporting_child.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace mqstore::test {
namespace {

TEST(ReportingChildTest, ForksAndReadsWhatTheChildReports) {
  ReportingChild child([](int report) {
    const int64_t v = 42;
    if (write(report, &v, sizeof v) != sizeof v) _exit(1);
    _exit(0);
  });
  ASSERT_TRUE(child.started()) << child.why();
  int64_t got = 0;
  ASSERT_TRUE(child.Read(got));
  EXPECT_EQ(got, 42);
  EXPECT_TRUE(child.ReapExited()) << child.why();
}

TEST(ReportingChildTest, RefusesToForkBesideAnotherThread) {
  std::promise<void> stop;
  std::thread other([done = stop.get_future()] { done.wait(); });
  ReportingChild child([](int) { _exit(0); });
  stop.set_value();
  other.join();
  EXPECT_FALSE(child.started());
  EXPECT_NE(child.why().find("1 other threads"), std::string::npos) << child.why();
  EXPECT_FALSE(child.KillAndReap()) << "nothing to kill, and never kill(-1)";
  EXPECT_FALSE(child.ReapExited());
}

}  // namespace
}  // namespace mqstore::test
