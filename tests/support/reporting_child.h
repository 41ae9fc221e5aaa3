// A writer process for kill tests: forked, it reports values (acks, offsets,
// counts) to the test through a pipe, and the test kills it with SIGKILL at
// the moment it chooses, then reopens the store the child left behind.
//
// Only a process with no other threads forks one. A fork copies the forking
// thread alone: a lock another thread held at that moment (the allocator's,
// under AddressSanitizer) stays held in the child forever, and the child
// hangs at its first allocation. A test that needs a store running beside
// its children runs that store in a child too (ha_slave_kill_soak.cc).
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>

namespace mqstore::test {

// The threads of this process other than the caller, io_uring's kernel
// workers ("iou-wrk-*", "iou-sqp-*") aside: they hold no lock of ours and a
// fork does not copy them.
inline int OtherThreads() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  int others = 0;
  const std::string self = std::to_string(gettid());
  while (const dirent* e = readdir(dir)) {
    const std::string tid = e->d_name;
    if (tid == "." || tid == ".." || tid == self) continue;
    std::string comm;
    std::getline(std::ifstream("/proc/self/task/" + tid + "/comm"), comm);
    if (comm.rfind("iou-", 0) != 0) ++others;
  }
  closedir(dir);
  return others;
}

class ReportingChild {
 public:
  // Forks. The child runs `body(report_fd)`, which should never return (a
  // writer loops until killed, or ends with _exit); if it does, the child
  // exits with status 0, which the test sees as "stopped by itself".
  explicit ReportingChild(const std::function<void(int report_fd)>& body) {
    if (const int others = OtherThreads(); others > 0) {
      refused_ = "not forked: this process has " + std::to_string(others) +
                 " other threads, and a lock one of them holds would stay held in the child";
      return;
    }
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      body(fds[1]);
      _exit(0);
    }
    close(fds[1]);
    if (pid_ < 0) {
      close(fds[0]);
      return;
    }
    read_fd_ = fds[0];
  }
  ~ReportingChild() {
    if (pid_ > 0 && !reaped_) KillAndReap();
    if (read_fd_ >= 0) close(read_fd_);
  }
  ReportingChild(const ReportingChild&) = delete;
  ReportingChild& operator=(const ReportingChild&) = delete;

  bool started() const { return read_fd_ >= 0; }
  pid_t pid() const { return pid_; }
  int report_fd() const { return read_fd_; }

  // The next value the child wrote; false at end of file (the child died).
  template <typename T>
  bool Read(T& value) {
    return read(read_fd_, &value, sizeof value) == static_cast<ssize_t>(sizeof value);
  }

  // SIGKILL, then waits for it. True when the signal ended it, not the child
  // itself; `why()` says what happened otherwise.
  bool KillAndReap() {
    if (pid_ > 0) kill(pid_, SIGKILL);  // never kill(-1): that is every process we may signal
    return Reap();
  }
  // Waits for a child that something else killed (a timer thread).
  bool Reap() {
    if (pid_ <= 0) return false;
    if (!reaped_) {
      waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
    return WIFSIGNALED(status_);
  }
  // Waits for a child that ends by itself; true when it exited with status 0.
  bool ReapExited() {
    if (pid_ <= 0) return false;
    Reap();
    return WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
  }
  std::string why() const {
    if (!refused_.empty()) return refused_;
    if (WIFEXITED(status_)) return "it exited by itself with status " + std::to_string(WEXITSTATUS(status_));
    return "wait status " + std::to_string(status_);
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string refused_;  // why no child was forked
};

}  // namespace mqstore::test
