// The smallest broker-side use of mqstore: open a store, put messages from a
// producer, read one back by its physical offset, walk the log, shut down.
//
//   embed_example STORE_DIR
#include <cstdio>
#include <string>
#include <vector>

#include "format/properties.h"
#include "storage/message_store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]);
    return 2;
  }
  mqstore::StoreConfig config;  // RocketMQ's defaults
  config.storePathRootDir = argv[1];
  config.mappedFileSizeCommitLog = 64 << 20;  // small segments for a demo
  // An operator's broker.conf works as it is:
  //   config.LoadPropertiesFile("conf/broker.conf");

  auto opened = mqstore::MessageStore::Open(config);  // locks, recovers, starts
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.error().ToString().c_str());
    return 1;
  }
  mqstore::MessageStore& store = **opened;

  // Properties are serialised once by the caller; the store copies bytes.
  auto props = mqstore::SerializeProperties({{"TAGS", "TagA"}, {"KEYS", "order-1"}, {"UNIQ_KEY", "0A0000010001"}});
  const std::string body = "hello, mqstore";
  mqstore::Message m;
  m.topic = "TopicTest";
  m.queue_id = 0;
  m.body = {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
  m.properties = *props;
  m.born_host = mqstore::SocketAddress::V4(10, 0, 0, 1, 50000);
  m.store_host = mqstore::SocketAddress::V4(10, 0, 0, 2, 10911);

  mqstore::PutResult first;
  for (int i = 0; i < 3; ++i) {
    const mqstore::PutResult r = store.Put(m);  // thread-safe; PUT_OK, MESSAGE_ILLEGAL, ...
    if (!r.ok()) {
      std::fprintf(stderr, "put: %s %s\n", std::string(mqstore::PutStatusName(r.status)).c_str(), r.reason.c_str());
      return 1;
    }
    if (i == 0) first = r;
    std::printf("PUT_OK msgId=%s offset=%lld queueOffset=%lld\n", r.msg_id().c_str(),
                static_cast<long long>(r.wrote_offset), static_cast<long long>(r.queue_offset));
  }
  if (auto st = store.Flush(); !st.ok()) {  // make it durable now (async flush does it on its own)
    std::fprintf(stderr, "flush: %s\n", st.ToString().c_str());
    return 1;
  }

  auto view = store.LookMessageByOffset(first.wrote_offset);  // pins the segment while `view` lives
  if (!view.ok()) {
    std::fprintf(stderr, "read: %s\n", view.error().ToString().c_str());
    return 1;
  }
  std::printf("read back: topic=%.*s body=%.*s\n", static_cast<int>(view->message.topic.size()),
              view->message.topic.data(), static_cast<int>(view->message.body.size()),
              reinterpret_cast<const char*>(view->message.body.data()));

  int records = 0;
  mqstore::CommitLogCursor cursor = store.NewCursor(store.GetMinPhyOffset());
  while (cursor.Next().kind == mqstore::CommitLogCursor::Kind::kMessage) ++records;
  std::printf("the log holds %d record(s) in [%lld, %lld)\n", records, static_cast<long long>(store.GetMinPhyOffset()),
              static_cast<long long>(store.GetMaxPhyOffset()));

  return store.Shutdown().ok() ? 0 : 1;  // flushes, removes `abort`, releases `lock`
}
