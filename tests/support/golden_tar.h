// Test support: golden store roots shipped packed as store.tar.gz (the
// timer sets: their timerwheel and timerlog files are sparse, so they are
// kept packed). Unpacked with the system's tar into a fresh directory.
#pragma once

#include <memory>
#include <string>

#include "tests/support/golden.h"

namespace mqstore::test {

// Unpacks `<set_dir>/store.tar.gz` into the existing folder `into`; returns
// the store root (`into`/store), or "" with *why saying what went wrong
// (no archive, or tar failed).
std::string UnpackStoreTarball(const std::string& set_dir, const std::string& into, std::string* why);

// `<set_dir>/store.tar.gz` unpacked into a temp dir that lives as long as
// the returned object; root() is the unpacked `store/`, "" when the archive
// is absent or tar failed (why() says which).
class UnpackedStore {
 public:
  explicit UnpackedStore(const std::string& set_dir);
  const std::string& root() const { return root_; }
  const std::string& why() const { return why_; }

 private:
  std::unique_ptr<TempDir> dir_;
  std::string root_;
  std::string why_;
};

// Declares `var`, the unpacked store of golden set `set` (a path under the
// golden folder, e.g. "rocketmq-5.3.3-timer/timer-clean"), and `var##_set`,
// the set's folder; skips the test when the golden folder is absent.
#define MQ_GOLDEN_TAR_OR_SKIP(var, set)                                                          \
  MQ_GOLDEN_OR_SKIP(var##_golden);                                                               \
  const std::string var##_set = var##_golden + "/" + (set);                                      \
  const ::mqstore::test::UnpackedStore var(var##_set);                                           \
  if (var.root().empty()) GTEST_SKIP() << "golden store " << var##_set << ": " << var.why()

}  // namespace mqstore::test
