// PutLock: the commit log's put lock. RocketMQ offers a blocking lock
// (useReentrantLockWhenPutMessage=true, its default) or a spin lock. The
// critical section is a few hundred nanoseconds, shorter than a futex
// sleep and wake-up, so the blocking mode first spins briefly on try_lock
// and only then sleeps; the spin mode never sleeps (it yields the CPU).
#pragma once

#include <atomic>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MQSTORE_CPU_RELAX() _mm_pause()
#else
#define MQSTORE_CPU_RELAX() std::this_thread::yield()
#endif

namespace mqstore {

class PutLock {
 public:
  explicit PutLock(bool blocking = true) : blocking_(blocking) {}

  void lock() {
    if (blocking_) {
      for (int i = 0; i < kSpins; ++i) {
        if (mu_.try_lock()) return;
        MQSTORE_CPU_RELAX();
      }
      mu_.lock();
      return;
    }
    while (flag_.test_and_set(std::memory_order_acquire)) {
      while (flag_.test(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() {
    if (blocking_) mu_.unlock();
    else flag_.clear(std::memory_order_release);
  }

 private:
  static constexpr int kSpins = 200;  // ~ a few microseconds of pause
  const bool blocking_;
  std::mutex mu_;
  std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

}  // namespace mqstore
