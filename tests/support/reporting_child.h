// A writer process for kill tests: forked, it reports values (acks, offsets,
// counts) to the test through a pipe, and the test kills it with SIGKILL at
// the moment it chooses, then reopens the store the child left behind.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace mqstore::test {

class ReportingChild {
 public:
  // Forks. The child runs `body(report_fd)`, which should never return (a
  // writer loops until killed, or ends with _exit); if it does, the child
  // exits with status 0, which the test sees as "stopped by itself".
  explicit ReportingChild(const std::function<void(int report_fd)>& body) {
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
    kill(pid_, SIGKILL);
    return Reap();
  }
  // Waits for a child that something else killed (a timer thread).
  bool Reap() {
    if (!reaped_) {
      waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
    return WIFSIGNALED(status_);
  }
  std::string why() const {
    if (WIFEXITED(status_)) return "it exited by itself with status " + std::to_string(WEXITSTATUS(status_));
    return "wait status " + std::to_string(status_);
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

}  // namespace mqstore::test
