// A store on a fake clock for the transaction tests, and transactional
// messages that own their bytes.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "format/property_map.h"
#include "storage/io/fake_clock.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore::test {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A producer's transactional message: TRAN_MSG=true, PGROUP, UNIQ_KEY, tags,
// sysFlag PREPARED (Born() sets the born time).
inline OwnedMessage TxMessage(const std::string& key, const std::string& topic = "TopicA",
                              int32_t queue = 2, std::vector<Property> extra = {}) {
  OwnedMessage m(topic, queue, 64, key, /*flag=*/0x4);
  PropertyMap props = PropertyMap::Parse(m.properties);
  props.Set("TRAN_MSG", "true");
  props.Set("PGROUP", "tx-group");
  for (const Property& p : extra) props.Set(p.name, p.value);
  m.properties = *props.Serialize();
  return m;
}

// OwnedMessage::message() has a fixed born time; the tests need the fake
// clock's.
inline Message Born(const OwnedMessage& m, int64_t born_ms) {
  Message out = m.message();
  out.born_timestamp = born_ms;
  out.flag = 7;
  out.reconsume_times = 1;
  return out;
}

// END_TRANSACTION's fields (designated initializers would leave some unnamed).
inline EndTransactionOptions EndOptions(std::string_view group, int64_t half_queue_offset = -1, bool from_check = false) {
  EndTransactionOptions o;
  o.producer_group = group;
  o.half_queue_offset = half_queue_offset;
  o.from_check = from_check;
  return o;
}
inline EndTransactionOptions FromCheck() { return EndOptions("", -1, true); }

class TransactionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    // mmap: records are readable once appended (the write backend's commit
    // waits on the fake clock).
    config_ = SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/false);
    config_.transactionCheckEnable = false;  // rounds run by Check(), unless a test starts the thread
    config_.scheduleMessageServiceEnable = false;
  }
  std::unique_ptr<MessageStore> Open(FileSystem& fs = FileSystem::Default()) {
    auto store = MessageStore::Open(config_, Env(fs, clock_));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::string OffsetsPath() const { return config_.storePathRootDir + "/config/consumerOffset.json"; }

  PutResult Half(MessageStore& store, const std::string& key, std::vector<Property> extra = {}) {
    const OwnedMessage m = TxMessage(key, "TopicA", 2, std::move(extra));
    const PutResult r = store.PutHalf(Born(m, clock_.WallMillis()));
    EXPECT_TRUE(r.ok()) << r.reason;
    WaitDispatched(store);
    return r;
  }
  size_t Check(MessageStore& store) {
    const size_t n = store.transactions().Check();
    WaitDispatched(store);
    return n;
  }
  // The records of a topic's queue, in queue order.
  static std::vector<MessageView> Records(MessageStore& store, const std::string& topic, int32_t queue) {
    std::vector<MessageView> out;
    for (int64_t i = store.GetMinOffsetInQueue(topic, queue); i >= 0 && i < store.GetMaxOffsetInQueue(topic, queue); ++i) {
      auto view = store.LookMessageByOffset(store.GetCommitLogOffsetInQueue(topic, queue, i));
      EXPECT_TRUE(view.ok());
      if (view.ok()) out.push_back(*view);
    }
    return out;
  }
  static std::string Body(const MessageRecordView& r) {
    return std::string(reinterpret_cast<const char*>(r.body.data()), r.body.size());
  }

  TempDir tmp_;
  StoreConfig config_;
  FakeClock clock_;
};

}  // namespace mqstore::test
