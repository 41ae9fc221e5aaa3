// mqstore gen ROOT: a valid commit log written straight from the encoder,
// for demos, tests and benchmarks. (The engine takes this job over once it
// can write a store itself.)
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "format/message_record.h"
#include "format/segment_name.h"
#include "storage/store_layout.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/progress.h"

namespace mqstore::cli {
namespace {

const char kHelp[] =
    "usage: mqstore gen ROOT [--messages N] [--body-size B] [--topics T] [--queues Q]\n"
    "                        [--segment-size S] [--start-time MS]\n"
    "\n"
    "Writes ROOT/commitlog/ with N records (default 10000) spread round-robin\n"
    "over topics GenTopic0..T-1 (default 4) and queues 0..Q-1 (default 4),\n"
    "each with a B-byte body (default 1024), KEYS, TAGS and UNIQ_KEY, queue\n"
    "offsets counted per queue, store times from --start-time (default: now)\n"
    "never decreasing. Segments of S bytes (default 1g) are named by their\n"
    "20-digit start offset, end with RocketMQ's end-of-file blank record and\n"
    "are full size (zeros after the data). ROOT/commitlog must not hold files.\n"
    "Sizes take k/m/g suffixes.\n";

struct GenConfig {
  int64_t messages, body_size, topics, queues, segment_size, start_time;
};

class SegmentWriter {
 public:
  SegmentWriter(std::string dir, int64_t segment_size) : dir_(std::move(dir)), segment_size_(segment_size) {
    buffer_.reserve(4 << 20);
  }

  // Appends an encoded record whose PHYSICALOFFSET is NextOffset(), first
  // closing the segment with a blank record when fewer than size + 8 bytes
  // are left (a record never spans files).
  Status Append(const std::vector<uint8_t>& record) {
    if (file_ == nullptr) MQ_RETURN_IF_ERROR(OpenSegment());
    const int64_t left = segment_size_ - pos_;
    if (static_cast<int64_t>(record.size()) + kEndFileMinBlankLength > left) {
      uint8_t blank[8];
      EncodeBlankRecord(blank, static_cast<int32_t>(left));
      buffer_.insert(buffer_.end(), blank, blank + 8);
      MQ_RETURN_IF_ERROR(CloseSegment());
      MQ_RETURN_IF_ERROR(OpenSegment());
    }
    buffer_.insert(buffer_.end(), record.begin(), record.end());
    pos_ += static_cast<int64_t>(record.size());
    if (buffer_.size() >= (4u << 20)) MQ_RETURN_IF_ERROR(FlushBuffer());
    return Status::Ok();
  }

  Status Finish() { return file_ == nullptr ? Status::Ok() : CloseSegment(); }
  int64_t segments() const { return segments_; }
  // Where a record of `record_size` bytes will go.
  int64_t NextOffset(size_t record_size) const {
    if (file_ == nullptr) return start_;
    const int64_t left = segment_size_ - pos_;
    if (static_cast<int64_t>(record_size) + kEndFileMinBlankLength > left) return start_ + segment_size_;
    return start_ + pos_;
  }

 private:
  Status OpenSegment() {
    if (segments_ > 0) start_ += segment_size_;
    auto f = FileSystem::Default().NewSequentialFile(JoinPath(dir_, SegmentFileName(start_)));
    if (!f.ok()) return f.error();
    file_ = std::move(*f);
    pos_ = 0;
    ++segments_;
    return Status::Ok();
  }
  Status FlushBuffer() {
    Status st = file_->Append(buffer_);
    buffer_.clear();
    return st;
  }
  Status CloseSegment() {
    MQ_RETURN_IF_ERROR(FlushBuffer());
    MQ_RETURN_IF_ERROR(file_->Truncate(static_cast<uint64_t>(segment_size_)));  // full size, zero tail
    MQ_RETURN_IF_ERROR(file_->Close());
    file_.reset();
    return Status::Ok();
  }

  std::string dir_;
  int64_t segment_size_;
  int64_t start_ = 0;
  int64_t pos_ = 0;
  int64_t segments_ = 0;
  std::unique_ptr<SequentialFile> file_;
  std::vector<uint8_t> buffer_;
};

Result<GenConfig> ConfigFromArgs(const Args& args) {
  GenConfig c{};
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  struct Knob { const char* name; int64_t def, min, max; int64_t* out; };
  const Knob knobs[] = {
      {"messages", 10000, 0, INT64_MAX, &c.messages},
      {"body-size", 1024, 0, kDefaultMaxMessageSize, &c.body_size},
      {"topics", 4, 1, 100000, &c.topics},
      {"queues", 4, 1, 100000, &c.queues},
      {"segment-size", int64_t{1} << 30, 4096, INT32_MAX, &c.segment_size},
      {"start-time", now_ms, 1, INT64_MAX / 2, &c.start_time},
  };
  for (const Knob& k : knobs) {
    auto v = args.GetInt(k.name, k.def);
    if (!v.ok()) return v.error();
    if (*v < k.min || *v > k.max)
      return Status::InvalidArgument("--" + std::string(k.name) + " must be in [" + std::to_string(k.min) + ", " +
                                     std::to_string(k.max) + "]");
    *k.out = *v;
  }
  return c;
}

std::string Hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llX", digits, static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

int RunGen(const std::vector<std::string>& argv, Io io) {
  Args args;
  int code = 0;
  if (!ParseOrUsage(argv, {"messages", "body-size", "topics", "queues", "segment-size", "start-time"}, {}, kHelp, io,
                    args, code))
    return code;
  auto config = ConfigFromArgs(args);
  if (args.positional().size() != 1 || !config.ok()) {
    io.err << "mqstore gen: " << (config.ok() ? "expected one ROOT" : config.error().message()) << "\n\n" << kHelp;
    return kExitUsage;
  }
  const GenConfig& c = *config;
  FileSystem& fs = FileSystem::Default();
  const StorePaths paths{args.positional()[0]};
  auto existing = ListSegments(fs, paths.CommitLogDir());
  if (!existing.ok() || !existing->empty()) {
    io.err << "mqstore gen: " << paths.CommitLogDir() << " already holds segment files; choose an empty ROOT\n";
    return kExitUsage;
  }
  if (Status st = fs.CreateDirectories(paths.CommitLogDir()); !st.ok()) {
    io.err << "mqstore gen: " << st.message() << "\n";
    return kExitDataProblem;
  }

  const auto start = std::chrono::steady_clock::now();
  SegmentWriter writer(paths.CommitLogDir(), c.segment_size);
  ProgressBar bar(io.err, "gen");
  std::vector<int64_t> next_queue_offset(static_cast<size_t>(c.topics * c.queues), 0);
  std::vector<std::string> topics;
  for (int64_t t = 0; t < c.topics; ++t) topics.push_back("GenTopic" + std::to_string(t));
  static const char* kTags[] = {"TagA", "TagB", "TagC"};
  std::vector<uint8_t> body(static_cast<size_t>(c.body_size));
  std::vector<uint8_t> record;
  std::string props;
  uint64_t bytes = 0;
  for (int64_t i = 0; i < c.messages; ++i) {
    const int64_t t = i % c.topics, q = (i / c.topics) % c.queues;
    for (size_t j = 0; j < body.size(); ++j) body[j] = static_cast<uint8_t>('a' + (i + static_cast<int64_t>(j)) % 26);
    props = "KEYS\x01key-" + std::to_string(i) + " group-" + std::to_string(i % 97) + "\x02UNIQ_KEY\x01" +
            "7F000001" + Hex(static_cast<uint64_t>(i), 24) + "\x02TAGS\x01" + kTags[i % 3];
    const int64_t store_time = c.start_time + i / 16;
    MessageRecordFields f;
    f.topic = topics[static_cast<size_t>(t)];
    f.queue_id = static_cast<int32_t>(q);
    f.born_timestamp = store_time - 1;
    f.born_host = SocketAddress::V4(10, 0, 0, static_cast<uint8_t>(1 + i % 250), 50000 + static_cast<int32_t>(i % 1000));
    f.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
    f.body = body;
    f.properties = props;
    f.version = VersionForTopic(f.topic);
    record.clear();
    auto encoded = EncodeRecordTo(f, record);
    if (!encoded.ok()) {
      io.err << "mqstore gen: " << encoded.error().ToString() << "\n";
      return kExitUsage;
    }
    if (static_cast<int64_t>(record.size()) + kEndFileMinBlankLength > c.segment_size) {
      // RocketMQ never splits a record across files: it could not be stored.
      io.err << "mqstore gen: a " << record.size() << "-byte record (with the " << kEndFileMinBlankLength
             << "-byte end-of-file blank) does not fit a " << c.segment_size
             << "-byte segment; raise --segment-size or lower --body-size\n";
      return kExitUsage;
    }
    int64_t& queue_offset = next_queue_offset[static_cast<size_t>(t * c.queues + q)];
    PatchAppendFields(record.data(), queue_offset++, writer.NextOffset(record.size()), store_time);
    if (Status st = writer.Append(record); !st.ok()) {
      io.err << "mqstore gen: " << st.message() << "\n";
      return kExitDataProblem;
    }
    bytes += record.size();
    if ((i & 4095) == 0) bar.Update(static_cast<uint64_t>(i), static_cast<uint64_t>(c.messages));
  }
  if (Status st = writer.Finish(); !st.ok()) {
    io.err << "mqstore gen: " << st.message() << "\n";
    return kExitDataProblem;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f MB/s", secs, secs > 0 ? bytes / 1e6 / secs : 0.0);
  io.out << "wrote " << c.messages << " records (" << bytes << " bytes) in " << writer.segments()
         << " segment(s) of " << c.segment_size << " bytes to " << paths.CommitLogDir() << " in " << rate << "\n";
  return kExitOk;
}

}  // namespace mqstore::cli
