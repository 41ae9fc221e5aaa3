// The smallest broker-side use of mqstore: open a store, put messages from a
// producer while a consumer long-polls its queue, read one back by its
// physical offset and by key, walk the log, shut down.
//
//   embed_example STORE_DIR
//
// It includes only the public headers (<mqstore/...>) and links
// mqstore::mqstore: examples/CMakeLists.txt builds it in this tree or against
// an installed package.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <mqstore/message_store.h>
#include <mqstore/properties.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]);
    return 2;
  }
  mqstore::StoreConfig config;  // RocketMQ's defaults
  config.storePathRootDir = argv[1];
  config.mappedFileSizeCommitLog = 64 << 20;  // small files for a demo (RocketMQ's
  config.maxHashSlotNum = 1 << 16;            // defaults: 1 GiB segments and
  config.maxIndexNum = 1 << 18;               // 420 MB index files)
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

  // A consumer: long polling (return as soon as the queue grows past the
  // offset it has, or after 5 s), then a pull of up to 32 messages with a
  // tag filter. The records are zero-copy views, pinned while `got` lives.
  std::thread consumer([&store] {
    const mqstore::TagFilter tag_a = mqstore::TagFilter::Parse("TagA");
    int64_t offset = 0;
    while (offset < 3) {
      if (!store.WaitForMessages("TopicTest", 0, offset, std::chrono::seconds(5))) break;
      mqstore::GetMessageResult got = store.GetMessage("ExampleGroup", "TopicTest", 0, offset, 32, &tag_a);
      std::printf("consumer: %s, %zu message(s), next offset %lld\n",
                  std::string(mqstore::ToString(got.status)).c_str(), got.messages.size(),
                  static_cast<long long>(got.next_begin_offset));
      offset = got.next_begin_offset;
    }
  });

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

  consumer.join();
  // queryMessage: by KEYS token or UNIQ_KEY, records whose keys really match.
  const mqstore::QueryMessageResult by_key = store.QueryMessage("TopicTest", "order-1", 32, 0, INT64_MAX);
  std::printf("query order-1: %zu record(s)\n", by_key.messages.size());

  int records = 0;
  mqstore::CommitLogCursor cursor = store.NewCursor(store.GetMinPhyOffset());
  while (cursor.Next().kind == mqstore::CommitLogCursor::Kind::kMessage) ++records;
  std::printf("the log holds %d record(s) in [%lld, %lld)\n", records, static_cast<long long>(store.GetMinPhyOffset()),
              static_cast<long long>(store.GetMaxPhyOffset()));

  return store.Shutdown().ok() ? 0 : 1;  // flushes, removes `abort`, releases `lock`
}
