// Helpers for tests that drive the engine: small-segment configs and
// messages that own their bytes.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/properties.h"
#include "storage/message_store.h"
#include "storage/store_verifier.h"

namespace mqstore::test {

inline StoreConfig SmallStoreConfig(const std::string& root, bool write_backend = true,
                                    int64_t segment_size = 64 * 1024) {
  StoreConfig c;
  c.storePathRootDir = root;
  c.mappedFileSizeCommitLog = segment_size;
  c.writeWithoutMmap = write_backend;
  c.appendBufferSize = 64 << 10;
  c.prefaultAheadBytes = 16 << 10;
  c.maxMessageSize = 16 * 1024;
  c.flushIntervalCommitLog = 10;
  return c;
}

// A message whose bytes it owns; `message()` views them.
struct OwnedMessage {
  std::string topic;
  int32_t queue_id = 0;
  std::vector<uint8_t> body;
  std::string properties;
  int32_t sys_flag = 0;

  OwnedMessage(std::string t, int32_t q, size_t body_size, const std::string& uniq_key, int32_t flag = 0)
      : topic(std::move(t)), queue_id(q), body(body_size), sys_flag(flag) {
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>(i * 31 + body_size);
    auto props = SerializeProperties({{"UNIQ_KEY", uniq_key}, {"TAGS", "TagA"}, {"KEYS", uniq_key}});
    properties = props.ok() ? *props : std::string();
  }
  Message message() const {
    Message m;
    m.topic = topic;
    m.queue_id = queue_id;
    m.body = body;
    m.properties = properties;
    m.sys_flag = sys_flag;
    m.born_timestamp = 1700000000000;
    m.born_host = SocketAddress::V4(10, 0, 0, 1, 50000);
    m.store_host = SocketAddress::V4(10, 0, 0, 2, 10911);
    return m;
  }
};

// `mqstore verify` over a store root: no problems, and the report.
inline VerifyReport VerifyClean(const std::string& root, int64_t segment_size) {
  StoreReadOptions options;
  options.commit_log_file_size = segment_size;
  std::vector<std::string> problems;
  VerifyCallbacks cb;
  cb.on_problem = [&](const VerifyProblem& p) { problems.push_back(p.file + " @" + std::to_string(p.offset) + ": " + p.what); };
  auto report = VerifyStore(FileSystem::Default(), StorePaths{root}, options, cb);
  EXPECT_TRUE(report.ok()) << report.error().ToString();
  for (const auto& p : problems) ADD_FAILURE() << p;
  return report.ok() ? *report : VerifyReport{};
}

}  // namespace mqstore::test
