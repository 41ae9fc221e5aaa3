// Runs a piece of a test in a forked child whose address space (RLIMIT_AS)
// is what it already uses plus a margin, so that a large mapping or
// allocation is refused there as on a machine without the memory, while
// the test process keeps its own limit. Not for `tsan` tests:
// ThreadSanitizer does not follow the fork.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include "tests/support/reporting_child.h"

namespace mqstore::test {

// This process's address space in bytes (/proc/self/status VmSize), 0 if unread.
inline uint64_t AddressSpaceBytes() {
  std::ifstream status("/proc/self/status");
  std::string word;
  while (status >> word)
    if (word == "VmSize:") {
      uint64_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
  return 0;
}

struct LimitedRun {
  std::string why;   // how the child ended (ReportingChild::why)
  std::string said;  // the text `body` returned, or why it did not run
};

// `body` runs in the child with `margin` bytes of address space left; it
// returns what it has to say and whether that is what the test expects
// (the child's exit status 0, else 1).
inline LimitedRun RunWithAddressSpaceLeft(uint64_t margin, const std::function<bool(std::string&)>& body) {
  const uint64_t used = AddressSpaceBytes();
  if (used == 0) return {"not run", "/proc/self/status has no VmSize"};
  ReportingChild child([&](int fd) {
    struct rlimit lim {};
    getrlimit(RLIMIT_AS, &lim);
    lim.rlim_cur = used + margin;
    std::string said;
    bool expected = false;
    if (setrlimit(RLIMIT_AS, &lim) != 0) {
      said = std::string("setrlimit: ") + std::strerror(errno);
    } else {
      expected = body(said);
    }
    for (size_t at = 0; at < said.size();) {
      const ssize_t n = write(fd, said.data() + at, said.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    _exit(expected ? 0 : 1);
  });
  if (!child.started()) return {"not run", "fork failed"};
  LimitedRun r;
  char buf[4096];
  for (ssize_t n; (n = read(child.report_fd(), buf, sizeof buf)) > 0;) r.said.append(buf, static_cast<size_t>(n));
  child.Reap();
  r.why = child.why();
  return r;
}

}  // namespace mqstore::test
