#include "storage/log/retired_files.h"

#include <algorithm>

namespace mqstore {

void RetiredFiles::Add(std::vector<std::shared_ptr<Segment>> files, int64_t now_ms) {
  std::lock_guard lock(mu_);
  for (auto& f : files) entries_.push_back({std::move(f), now_ms, false});
}

void RetiredFiles::Add(std::shared_ptr<Segment> file, int64_t now_ms) {
  std::vector<std::shared_ptr<Segment>> one;
  one.push_back(std::move(file));
  Add(std::move(one), now_ms);
}

RetiredFiles::SweepResult RetiredFiles::Sweep(int64_t now_ms) {
  SweepResult r;
  std::vector<std::shared_ptr<Segment>> unheld;  // dropped after the lock
  std::vector<std::shared_ptr<Segment>> to_force;  // released after the lock: mmap and ftruncate
  {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      // use_count 1: only this list has it, and no one can take a new
      // reference (the file is out of its log).
      if (it->file.use_count() == 1) {
        unheld.push_back(std::move(it->file));
        it = entries_.erase(it);
        ++r.released;
        continue;
      }
      if (!it->forced && now_ms - it->retired_ms >= force_after_ms_) {
        to_force.push_back(it->file);
        it->forced = true;
        ++r.forced;
      }
      ++it;
    }
  }
  for (const auto& f : to_force) f->ReleaseForcibly();
  return r;
}

size_t RetiredFiles::held() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace mqstore
