// Env: what the store asks of the machine, in one place: its files
// (FileSystem) and its time (Clock). Tests swap either part:
// FaultInjectionFileSystem for crashes and failed writes, FakeClock for
// timeouts, intervals, ages and hours. Both parts must outlive every store
// and component given the Env; the Env itself is two references, passed by
// value.
#pragma once

#include "storage/io/clock.h"
#include "storage/io/file_system.h"

namespace mqstore {

class Env {
 public:
  explicit Env(FileSystem& fs, Clock& clock = Clock::System()) : fs_(&fs), clock_(&clock) {}
  // The real ones: FileSystem::Default() and Clock::System().
  static Env Default() { return Env(FileSystem::Default(), Clock::System()); }

  FileSystem& fs() const { return *fs_; }
  Clock& clock() const { return *clock_; }

 private:
  FileSystem* fs_;
  Clock* clock_;
};

}  // namespace mqstore
