// Benchmarks of the storage engine's put path and of abnormal recovery,
// against a plain memcpy into a shared file mapping as the baseline.
// Results: bench/RESULTS.md ("Store put and recovery").
//
//   BM_PlainMemcpyIntoMappedFile/prefaulted  memcpy of store-sized records into
//       a fresh 1 GiB MAP_SHARED file mapping faulted in with
//       MADV_POPULATE_WRITE before timing (what the mmap backend aims for)
//   BM_PlainMemcpyIntoMappedFile/fresh_pages the same without the prefault:
//       every 4 KiB page is faulted in by the copying thread
//   BM_StorePut/<backend>                     one producer, MessageStore::Put
//   BM_StorePut4Producers/<backend>           four producer threads, one store
//   BM_AbnormalRecovery/<cache>               MessageStore::Open of a ~1 GiB log
//       with the abort file present and the checkpoint's physic time zeroed,
//       so every record is checked (CRC on)
//
// Messages: topic BenchTopic0, 1 KiB body, KEYS, TAGS and a 32-hex UNIQ_KEY
// (a pool of distinct messages is cycled, so the bench allocates nothing per
// put). Stores live in fresh directories under /tmp, removed afterwards.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "format/message_record.h"
#include "format/properties.h"
#include "storage/message_store.h"
#include "storage/store_log.h"

// ---------------------------------------------------------------------------
// Heap allocation counting: every operator new in the process, and those made
// by the calling thread (the producer of BM_StorePut).
namespace {
std::atomic<uint64_t> g_allocs{0};
thread_local constinit uint64_t t_allocs = 0;

void* CountedAlloc(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  ++t_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* CountedAlignedAlloc(size_t n, std::align_val_t al) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  ++t_allocs;
  const size_t a = static_cast<size_t>(al);
  const size_t size = (n + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, size == 0 ? a : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t n) { return CountedAlloc(n); }
void* operator new[](size_t n) { return CountedAlloc(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(size_t n, std::align_val_t al) { return CountedAlignedAlloc(n, al); }
void* operator new[](size_t n, std::align_val_t al) { return CountedAlignedAlloc(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace mqstore {
namespace {

constexpr size_t kBodySize = 1024;
constexpr int64_t kGiB = 1024LL * 1024 * 1024;
constexpr size_t kPoolSize = 1024;  // distinct messages cycled by the producers

void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "store_bench: %s\n", what.c_str());
    std::abort();
  }
}

void Silence() {
  static const bool once = [] {
    SetLogSink({});
    return true;
  }();
  (void)once;
}

// A pool of messages that own their bytes: same topic, body and property
// keys, distinct UNIQ_KEYs and KEYS, queue ids 0..7.
class MessagePool {
 public:
  MessagePool() : body_(kBodySize) {
    for (size_t i = 0; i < body_.size(); ++i) body_[i] = static_cast<uint8_t>(i * 31 + 7);
    props_.reserve(kPoolSize);
    for (size_t i = 0; i < kPoolSize; ++i) {
      char uniq[33];
      std::snprintf(uniq, sizeof uniq, "7F0000010A2B18B4AAC27E5E%08zX", i);
      auto p = SerializeProperties({{"UNIQ_KEY", uniq},
                                    {"KEYS", "order-" + std::to_string(100000 + i) + " customer-42"},
                                    {"TAGS", "TagA"}});
      Check(p.ok(), "SerializeProperties");
      props_.push_back(*p);
    }
    for (size_t i = 0; i < kPoolSize; ++i) {
      Message m;
      m.topic = "BenchTopic0";
      m.queue_id = static_cast<int32_t>(i % 8);
      m.body = body_;
      m.properties = props_[i];
      m.born_timestamp = 1700000000000 + static_cast<int64_t>(i);
      m.born_host = SocketAddress::V4(10, 0, 0, 1, 50000);
      m.store_host = SocketAddress::V4(10, 0, 0, 2, 10911);
      messages_.push_back(m);
    }
  }
  const Message& operator[](size_t i) const { return messages_[i % kPoolSize]; }

  // The record the store writes for message 0 (the same size as every other).
  std::vector<uint8_t> Record() const {
    const Message& m = messages_[0];
    std::vector<uint8_t> out;
    Check(EncodeRecordTo(RecordFieldsOf(m), out).ok(), "EncodeRecordTo");
    PatchAppendFields(out.data(), 1, 1, 1700000000123);
    return out;
  }

 private:
  std::vector<uint8_t> body_;
  std::vector<std::string> props_;
  std::vector<Message> messages_;
};

const MessagePool& Pool() {
  static const MessagePool* pool = new MessagePool();
  return *pool;
}

// A fresh directory under /tmp, removed when this goes away.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/mqstore_bench_XXXXXX";
    Check(::mkdtemp(tmpl) != nullptr, "mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// VmRSS / RssAnon / RssFile of this process in KiB.
int64_t StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') return std::atoll(line.c_str() + n + 1);
  return -1;
}

void ReportRss(benchmark::State& state) {
  state.counters["rss_MiB"] = static_cast<double>(StatusKb("VmRSS")) / 1024.0;
  state.counters["rss_anon_MiB"] = static_cast<double>(StatusKb("RssAnon")) / 1024.0;
}

// ---------------------------------------------------------------------------
// Baseline: memcpy into a shared mapping of a fresh, fallocated 1 GiB file.

class MappedFile {
 public:
  MappedFile(const std::string& path, int64_t size, bool prefault) : path_(path), size_(size) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    Check(fd_ >= 0, "open " + path);
    Check(::posix_fallocate(fd_, 0, size) == 0, "fallocate");
    void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    Check(p != MAP_FAILED, "mmap");
    data_ = static_cast<uint8_t*>(p);
    if (prefault) Check(::madvise(data_, static_cast<size_t>(size), 23 /* MADV_POPULATE_WRITE */) == 0, "madvise");
  }
  ~MappedFile() {
    ::munmap(data_, static_cast<size_t>(size_));
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }

 private:
  std::string path_;
  int64_t size_;
  int fd_ = -1;
  uint8_t* data_ = nullptr;
};

void BM_PlainMemcpyIntoMappedFile(benchmark::State& state) {
  const bool prefault = state.range(0) != 0;
  const std::vector<uint8_t> record = Pool().Record();
  const auto rsize = static_cast<int64_t>(record.size());
  TempDir dir;
  const std::string path = dir.path() + "/plain";
  auto file = std::make_unique<MappedFile>(path, kGiB, prefault);
  int64_t pos = 0;
  int64_t files = 1;
  for (auto _ : state) {
    if (pos + rsize > file->size()) {
      // Same state for every record: a new file, faulted in (or not) again.
      state.PauseTiming();
      file.reset();
      file = std::make_unique<MappedFile>(path, kGiB, prefault);
      pos = 0;
      ++files;
      state.ResumeTiming();
    }
    std::memcpy(file->data() + pos, record.data(), record.size());
    benchmark::ClobberMemory();
    pos += rsize;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * rsize);
  state.counters["record_bytes"] = static_cast<double>(rsize);
  state.counters["files"] = static_cast<double>(files);
}
BENCHMARK(BM_PlainMemcpyIntoMappedFile)
    ->ArgName("prefaulted")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kNanosecond);

// ---------------------------------------------------------------------------
// Store puts.

StoreConfig BenchConfig(const std::string& root, bool write_backend) {
  StoreConfig c;
  c.storePathRootDir = root;
  c.writeWithoutMmap = write_backend;  // everything else: RocketMQ/mqstore defaults (ASYNC_FLUSH)
  return c;
}

std::unique_ptr<MessageStore> OpenStore(const StoreConfig& c) {
  auto store = MessageStore::Open(c);
  Check(store.ok(), "MessageStore::Open: " + (store.ok() ? std::string() : store.error().ToString()));
  return std::move(*store);
}

// One put to start the allocator's prefault window, then a pause so that the
// next segment is prepared and the window faulted in before timing starts.
void WarmUp(MessageStore& store) {
  Check(store.Put(Pool()[0]).ok(), "warm-up put");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
}

void ReportStore(benchmark::State& state, MessageStore& store, int64_t msgs, int64_t record_bytes) {
  state.SetItemsProcessed(msgs);
  state.SetBytesProcessed(msgs * record_bytes);
  const StoreStats s = store.Stats();
  state.counters["segments"] = static_cast<double>(s.segments);
  state.counters["syncs"] = static_cast<double>(s.flush.syncs);
  state.counters["GiB_behind"] = static_cast<double>(s.bytes_behind) / kGiB;
}

// ~1.9 GB per run (two 1 GiB segments): bounded disk and page cache.
constexpr int64_t kPutsPerRun = 1'600'000;

void BM_StorePut(benchmark::State& state) {
  Silence();
  const bool write_backend = state.range(0) != 0;
  const MessagePool& pool = Pool();
  const auto rsize = static_cast<int64_t>(pool.Record().size());
  TempDir dir;
  auto store = OpenStore(BenchConfig(dir.path(), write_backend));
  WarmUp(*store);
  // Warm the producer's thread-local encode buffer too.
  Check(store->Put(pool[1]).ok(), "warm-up put");

  uint64_t failed = 0;
  size_t i = 0;
  const uint64_t allocs_before = g_allocs.load();
  const uint64_t thread_allocs_before = t_allocs;
  for (auto _ : state) {
    PutResult r = store->Put(pool[i++]);
    failed += !r.ok();
  }
  const uint64_t thread_allocs = t_allocs - thread_allocs_before;
  const uint64_t allocs = g_allocs.load() - allocs_before;
  const auto n = static_cast<double>(state.iterations());
  state.counters["allocs_per_put"] = static_cast<double>(thread_allocs) / n;
  state.counters["allocs_per_put_all_threads"] = static_cast<double>(allocs) / n;
  state.counters["failed"] = static_cast<double>(failed);
  ReportStore(state, *store, state.iterations(), rsize);
  ReportRss(state);
  Check(store->Shutdown().ok(), "Shutdown");
}
BENCHMARK(BM_StorePut)
    ->ArgName("write_backend")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(kPutsPerRun)
    ->UseRealTime()
    ->Unit(benchmark::kNanosecond);

// Four producer threads on one store; each benchmark iteration is the four
// threads storing kPutsPerRun messages together (wall time, manual timing).
void BM_StorePut4Producers(benchmark::State& state) {
  Silence();
  constexpr int kThreads = 4;
  const bool write_backend = state.range(0) != 0;
  const MessagePool& pool = Pool();
  const auto rsize = static_cast<int64_t>(pool.Record().size());
  int64_t msgs = 0;
  uint64_t failed_total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<TempDir>();
    auto store = OpenStore(BenchConfig(dir->path(), write_backend));
    WarmUp(*store);
    state.ResumeTiming();

    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::atomic<uint64_t> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        (void)store->Put(pool[static_cast<size_t>(t)]);  // thread-local encode buffer
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        uint64_t f = 0;
        for (int64_t k = 0; k < kPutsPerRun / kThreads; ++k) f += !store->Put(pool[static_cast<size_t>(k * kThreads + t)]).ok();
        failed.fetch_add(f);
      });
    }
    while (ready.load() < kThreads) std::this_thread::yield();
    const auto begin = std::chrono::steady_clock::now();
    go.store(true, std::memory_order_release);
    for (auto& th : threads) th.join();
    const auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - begin).count());
    msgs += kPutsPerRun / kThreads * kThreads;
    failed_total += failed.load();

    state.PauseTiming();
    ReportStore(state, *store, 0, rsize);  // the last run's store counters stay
    Check(store->Shutdown().ok(), "Shutdown");
    store.reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(msgs);
  state.SetBytesProcessed(msgs * rsize);
  state.counters["failed"] = static_cast<double>(failed_total);
}
BENCHMARK(BM_StorePut4Producers)
    ->ArgName("write_backend")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(2)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// Abnormal recovery of a ~1 GiB commit log (one segment, ~99 % full).

void ZeroCheckpointPhysicTime(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  Check(fd >= 0, "open checkpoint");
  const uint8_t zeros[8] = {};
  Check(::pwrite(fd, zeros, sizeof zeros, 0) == 8, "pwrite checkpoint");
  ::fsync(fd);
  ::close(fd);
}

void CreateAbortFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  Check(fd >= 0, "create abort");
  ::close(fd);
}

// Writes back and drops the commit log's pages from the page cache.
void DropCommitLogCache(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const int fd = ::open(e.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

void BM_AbnormalRecovery(benchmark::State& state) {
  Silence();
  const bool cold = state.range(0) != 0;
  const MessagePool& pool = Pool();
  TempDir dir;
  StoreConfig config = BenchConfig(dir.path(), true);
  config.checkCRCOnRecover = true;
  {
    auto store = OpenStore(config);
    const int64_t n = (kGiB - 4096) / static_cast<int64_t>(pool.Record().size());  // fills one segment
    for (int64_t k = 0; k < n; ++k) Check(store->Put(pool[static_cast<size_t>(k)]).ok(), "put");
    Check(store->Shutdown().ok(), "Shutdown");
  }
  const StorePaths paths{dir.path()};
  uint64_t bytes = 0, records = 0;
  double seconds_in_recover = 0;
  for (auto _ : state) {
    state.PauseTiming();
    CreateAbortFile(paths.AbortFile());
    ZeroCheckpointPhysicTime(paths.CheckpointFile());
    if (cold) DropCommitLogCache(paths.CommitLogDir());
    state.ResumeTiming();

    auto store = OpenStore(config);

    state.PauseTiming();
    const RecoveryReport& r = store->recovery();
    Check(r.abnormal && r.start_offset == 0, "recovery was not abnormal from offset 0: " + r.ToString());
    bytes += r.bytes_checked;
    records += r.records_checked;
    seconds_in_recover += static_cast<double>(r.took.count()) / 1e6;
    Check(store->Shutdown().ok(), "Shutdown");
    store.reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.counters["GB_checked_per_open"] = static_cast<double>(bytes) / 1e9 / static_cast<double>(state.iterations());
  // Recover() alone (the report's own clock), as bytes per second.
  state.counters["recover_only_Bps"] =
      benchmark::Counter(static_cast<double>(bytes) / seconds_in_recover, benchmark::Counter::kDefaults,
                         benchmark::Counter::kIs1000);
}
BENCHMARK(BM_AbnormalRecovery)->ArgName("cold_cache")->Arg(0)->Arg(1)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mqstore
