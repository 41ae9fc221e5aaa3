// Writes seed corpora for the fuzz targets from the golden RocketMQ stores:
//   seed_corpus GOLDEN_DIR OUT_DIR
// OUT_DIR/<target>/<n> files: every commit-log record (and blank), every
// properties string, consume-queue files' leading units, index files and
// checkpoints; from the packed timer stores (store.tar.gz, unpacked with the
// system's tar into a scratch directory) timer-log units and fillers, wheel
// slots and timerchecks. A missing GOLDEN_DIR writes nothing and is not an
// error.
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "format/message_record.h"

namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Corpus {
 public:
  Corpus(const fs::path& out, const std::string& target) : dir_(out / target) { fs::create_directories(dir_); }
  void Add(const uint8_t* data, size_t size) {
    std::ofstream f(dir_ / std::to_string(n_++), std::ios::binary);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  size_t count() const { return n_; }

 private:
  fs::path dir_;
  size_t n_ = 0;
};

void SeedCommitLog(const fs::path& segment, Corpus& records, Corpus& properties) {
  const std::vector<uint8_t> data = ReadAll(segment);
  size_t pos = 0;
  while (pos + 8 <= data.size()) {
    auto rec = mqstore::DecodeRecord(std::span<const uint8_t>(data).subspan(pos));
    if (!rec.ok()) break;
    if (rec->kind == mqstore::RecordKind::kBlank) {
      records.Add(data.data() + pos, 8);
      break;
    }
    records.Add(data.data() + pos, static_cast<size_t>(rec->total_size));
    const auto raw = rec->message.properties_raw;
    properties.Add(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
    pos += static_cast<size_t>(rec->total_size);
  }
}

// timer_files_fuzz input: a selector byte, then the decoder's input.
void AddTimer(Corpus& timer, uint8_t selector, const uint8_t* data, size_t size) {
  std::vector<uint8_t> in(1, selector);
  in.insert(in.end(), data, data + size);
  timer.Add(in.data(), in.size());
}

// The timer files of an unpacked store: the first units of each timer-log
// file and its filler (4056 in the 4 KiB files), the non-zero wheel slots,
// the timercheck.
void SeedTimerStore(const fs::path& root, Corpus& timer) {
  if (fs::is_directory(root / "timerlog")) {
    for (const auto& e : fs::directory_iterator(root / "timerlog")) {
      std::ifstream in(e.path(), std::ios::binary);
      std::vector<uint8_t> head(4096);
      in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<size_t>(in.gcount()));
      for (size_t pos = 0; pos + 52 <= head.size() && pos < 16 * 52; pos += 52) AddTimer(timer, 0, &head[pos], 52);
      if (head.size() == 4096) AddTimer(timer, 0, &head[4056], 40);
    }
  }
  const auto wheel = ReadAll(root / "timerwheel");
  static const uint8_t kZeros[32] = {};
  size_t slots = 0;
  for (size_t pos = 0; pos + 32 <= wheel.size() && slots < 32; pos += 32) {
    if (std::memcmp(&wheel[pos], kZeros, 32) == 0) continue;
    AddTimer(timer, 1, &wheel[pos], 32);
    ++slots;
  }
  const auto check = ReadAll(root / "config" / "timercheck");
  if (!check.empty()) AddTimer(timer, 2, check.data(), std::min<size_t>(check.size(), 64));
}

// `archive` unpacked into a scratch directory, seeded, removed.
void SeedPackedStore(const fs::path& archive, Corpus& timer) {
  char tmpl[] = "/tmp/mqstore-seed-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) return;
  const std::string cmd = "tar -xzf '" + archive.string() + "' -C '" + dir + "'";
  if (archive.string().find('\'') == std::string::npos && std::system(cmd.c_str()) == 0)
    SeedTimerStore(fs::path(dir) / "store", timer);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: seed_corpus GOLDEN_DIR OUT_DIR\n");
    return 2;
  }
  const fs::path golden = argv[1], out = argv[2];
  if (!fs::is_directory(golden)) {
    std::printf("seed_corpus: %s is absent; fuzzing starts from empty corpora\n", golden.c_str());
    return 0;
  }
  Corpus records(out, "record_fuzz"), properties(out, "properties_fuzz"), units(out, "cq_unit_fuzz"),
      index(out, "index_file_fuzz"), checkpoint(out, "checkpoint_fuzz"), recovery(out, "recovery_fuzz"),
      queues(out, "queue_recovery_fuzz"), timer(out, "timer_files_fuzz");
  for (const auto& entry : fs::recursive_directory_iterator(golden)) {
    if (!entry.is_regular_file()) continue;
    const fs::path& p = entry.path();
    if (p.filename() == "store.tar.gz") {
      SeedPackedStore(p, timer);
      continue;
    }
    const std::string parent = p.parent_path().filename().string();
    if (parent == "commitlog") {
      SeedCommitLog(p, records, properties);
      if (p.filename() == "00000000000000000000") {  // a log that starts at 0: the first 16 KiB
        const auto data = ReadAll(p);
        recovery.Add(data.data(), std::min<size_t>(data.size(), 16384));
      }
    } else if (parent == "index") {
      const auto data = ReadAll(p);
      index.Add(data.data(), data.size());
    } else if (p.filename() == "checkpoint") {
      const auto data = ReadAll(p);
      checkpoint.Add(data.data(), std::min<size_t>(data.size(), 64));
    } else if (p.string().find("/consumequeue/") != std::string::npos) {
      const auto data = ReadAll(p);
      units.Add(data.data(), std::min<size_t>(data.size(), 200));
      queues.Add(data.data(), std::min<size_t>(data.size(), 4 * 16 * 20));
    }
  }
  std::printf("seed_corpus: %zu records, %zu property strings, %zu CQ files, %zu index files, %zu checkpoints, "
              "%zu commit logs, %zu timer-file inputs\n",
              records.count(), properties.count(), units.count(), index.count(), checkpoint.count(), recovery.count(),
              timer.count());
  return 0;
}
