// A guard for tests of calls that must not block (a FIFO where a file should
// be): the call runs on a thread, and a test whose call blocks fails rather
// than hangs the suite.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace mqstore::test {

// Opening a FIFO for writing and closing it again releases a reader blocked
// opening or reading it (it then reads end-of-file).
inline void PokeFifos(const std::vector<std::string>& fifos) {
  for (const std::string& f : fifos) {
    const int fd = ::open(f.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
  }
}

// Runs `fn` and returns what it returns. If it has not returned within
// `limit`, the test fails and the FIFOs in `fifos` are poked until it does;
// a call that still blocks after ten more seconds aborts the binary.
template <typename Fn>
auto FinishesWithin(std::chrono::milliseconds limit, const std::vector<std::string>& fifos, Fn fn) -> decltype(fn()) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  std::thread worker(std::move(task));
  if (result.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "the call blocked for more than " << limit.count() << " ms";
    for (int i = 0; i < 100 && result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready; ++i)
      PokeFifos(fifos);
    if (result.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) std::abort();
  }
  worker.join();
  return result.get();
}

}  // namespace mqstore::test
