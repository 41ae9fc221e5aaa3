#include "storage/store_log.h"

#include <pthread.h>

#include <cstdio>
#include <mutex>
#include <string>

namespace mqstore {
namespace {

std::mutex& SinkMutex() {
  static std::mutex mu;
  return mu;
}

LogSink& Sink() {
  static LogSink sink = [](LogLevel level, std::string_view line) {
    const char* tag = level == LogLevel::kError ? "ERROR" : level == LogLevel::kWarn ? "WARN" : "INFO";
    std::fprintf(stderr, "mqstore %s %.*s\n", tag, static_cast<int>(line.size()), line.data());
  };
  return sink;
}

}  // namespace

void SetLogSink(LogSink sink) {
  std::lock_guard lock(SinkMutex());
  Sink() = std::move(sink);
}

void StoreLog(LogLevel level, std::string_view line) {
  std::lock_guard lock(SinkMutex());
  if (Sink()) Sink()(level, line);
}

void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace mqstore
