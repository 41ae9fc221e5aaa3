#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace mqstore::cli {

ProgressBar::ProgressBar(std::ostream& err, std::string label)
    : err_(err), label_(std::move(label)), enabled_(&err == &std::cerr && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) err_ << "\r\033[K" << std::flush;
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_ || total == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1) || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double frac = static_cast<double>(done) / static_cast<double>(total);
  const double secs = std::chrono::duration<double>(now - start_).count();
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  char line[160];
  std::snprintf(line, sizeof line, "\r%s [%.*s%*s] %5.1f%%  %.0f MB/s", label_.c_str(), filled,
                "##############################", kWidth - filled, "", frac * 100.0,
                static_cast<double>(done) / 1e6 / secs);
  err_ << line << std::flush;
}

}  // namespace mqstore::cli
