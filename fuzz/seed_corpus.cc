// Writes seed corpora for the fuzz targets from the golden RocketMQ stores:
//   seed_corpus GOLDEN_DIR OUT_DIR
// OUT_DIR/<target>/<n> files: every commit-log record (and blank), every
// properties string, consume-queue files' leading units, index files and
// checkpoints. A missing GOLDEN_DIR writes nothing and is not an error.
#include <cstdio>
#include <filesystem>
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
      queues(out, "queue_recovery_fuzz");
  for (const auto& entry : fs::recursive_directory_iterator(golden)) {
    if (!entry.is_regular_file()) continue;
    const fs::path& p = entry.path();
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
              "%zu commit logs\n",
              records.count(), properties.count(), units.count(), index.count(), checkpoint.count(), recovery.count());
  return 0;
}
