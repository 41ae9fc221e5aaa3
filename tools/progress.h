// A progress bar on stderr, shown only when stderr is a terminal and the work
// has already taken over a second (so quick runs and pipes stay quiet).
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace mqstore::cli {

class ProgressBar {
 public:
  ProgressBar(std::ostream& err, std::string label);
  ~ProgressBar();
  void Update(uint64_t done, uint64_t total);

 private:
  std::ostream& err_;
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace mqstore::cli
