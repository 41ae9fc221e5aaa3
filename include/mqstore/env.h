// Env: what the store asks of the machine, in one place: its files
// (FileSystem) and its time (Clock). Tests swap either part:
// FaultInjectionFileSystem for crashes and failed writes, FakeClock for
// timeouts, intervals, ages and hours. Both parts must outlive every store
// and component given the Env; the Env itself is two references, passed by
// value. An embedder normally takes Env::Default(); FileSystem is the
// engine's own interface (storage/io/file_system.h), not part of the
// public API, so only the clock is the embedder's to replace here.
#pragma once

#include "mqstore/clock.h"

namespace mqstore {

class FileSystem;

class Env {
 public:
  explicit Env(FileSystem& fs, Clock& clock = Clock::System()) : fs_(&fs), clock_(&clock) {}
  // The real ones: the POSIX file system and Clock::System().
  static Env Default();
  // The real file system with another clock.
  static Env WithClock(Clock& clock);

  FileSystem& fs() const { return *fs_; }
  Clock& clock() const { return *clock_; }

 private:
  FileSystem* fs_;
  Clock* clock_;
};

}  // namespace mqstore
