// Round trips over generated records and one test per corruption class.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/big_endian.h"
#include "format/crc32.h"
#include "format/message_record.h"
#include "format/sys_flag.h"

namespace mqstore {
namespace {

struct Owned {  // backing storage for the views in MessageRecordFields
  std::string topic, props;
  std::vector<uint8_t> body;
  MessageRecordFields f;
};

SocketAddress RandomHost(std::mt19937_64& rng) {
  SocketAddress a;
  a.ipv6 = rng() % 2 == 0;
  for (auto& b : a.ip) b = static_cast<uint8_t>(rng());
  if (!a.ipv6) std::fill(a.ip.begin() + 4, a.ip.end(), 0);
  a.port = static_cast<int32_t>(rng() % 65536);
  return a;
}

Owned RandomRecord(std::mt19937_64& rng, size_t topic_len, size_t body_len, size_t n_props) {
  Owned o;
  for (size_t i = 0; i < topic_len; ++i) o.topic += static_cast<char>('a' + rng() % 26);
  o.body.resize(body_len);
  for (auto& b : o.body) b = static_cast<uint8_t>(rng());
  for (size_t i = 0; i < n_props; ++i) {
    if (i > 0) o.props += kPropertySeparator;
    // Appended piece by piece: GCC 12's -Wrestrict misfires on a chain of
    // std::string operator+ at -O3.
    o.props.append("k").append(std::to_string(i));
    o.props += kNameValueSeparator;
    o.props.append("value-").append(std::to_string(rng()));
  }
  MessageRecordFields& f = o.f;
  f.topic = o.topic;
  f.queue_id = static_cast<int32_t>(rng() % 64);
  f.flag = static_cast<int32_t>(rng());
  f.queue_offset = static_cast<int64_t>(rng() >> 1);
  f.physical_offset = static_cast<int64_t>(rng() >> 1);
  f.sys_flag = static_cast<int32_t>(rng() & 0x7CF);  // every bit but the host bits, set by the encoder
  f.born_timestamp = static_cast<int64_t>(rng() >> 1);
  f.born_host = RandomHost(rng);
  f.store_timestamp = static_cast<int64_t>(rng() >> 1);
  f.store_host = RandomHost(rng);
  f.reconsume_times = static_cast<int32_t>(rng() % 17);
  f.prepared_transaction_offset = static_cast<int64_t>(rng() >> 1);
  f.body = o.body;
  f.properties = o.props;
  f.version = VersionForTopic(o.topic);
  return o;
}

void ExpectRoundTrip(const MessageRecordFields& f) {
  std::vector<uint8_t> buf;
  auto size = EncodeRecordTo(f, buf);
  ASSERT_TRUE(size.ok()) << size.error().ToString();
  auto d = DecodeRecord(buf, {kDefaultMaxRecordSize, true});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  ASSERT_EQ(d->kind, RecordKind::kMessage);
  const MessageRecordView& m = d->message;
  EXPECT_EQ(m.total_size, *size);
  EXPECT_EQ(m.version, f.version);
  EXPECT_EQ(m.body_crc, BodyCrc(f.body));
  EXPECT_EQ(m.topic, f.topic);
  EXPECT_EQ(m.queue_id, f.queue_id);
  EXPECT_EQ(m.flag, f.flag);
  EXPECT_EQ(m.queue_offset, f.queue_offset);
  EXPECT_EQ(m.physical_offset, f.physical_offset);
  const int32_t host_bits = (f.born_host.ipv6 ? sysflag::kBornHostV6 : 0) | (f.store_host.ipv6 ? sysflag::kStoreHostV6 : 0);
  EXPECT_EQ(m.sys_flag, (f.sys_flag & ~0x30) | host_bits);
  EXPECT_EQ(m.born_timestamp, f.born_timestamp);
  EXPECT_EQ(m.born_host, f.born_host);
  EXPECT_EQ(m.store_timestamp, f.store_timestamp);
  EXPECT_EQ(m.store_host, f.store_host);
  EXPECT_EQ(m.reconsume_times, f.reconsume_times);
  EXPECT_EQ(m.prepared_transaction_offset, f.prepared_transaction_offset);
  ASSERT_EQ(m.body.size(), f.body.size());
  EXPECT_TRUE(std::equal(m.body.begin(), m.body.end(), f.body.begin()));
  EXPECT_EQ(m.properties_raw, f.properties);
}

TEST(MessageRecord, RandomRecordsRoundTrip) {
  std::mt19937_64 rng(20261125);
  const size_t topic_lens[] = {0, 1, 17, 127, 128, 200, 255, 300, 3000};
  for (int i = 0; i < 400; ++i) {
    Owned o = RandomRecord(rng, topic_lens[i % 9], rng() % 3000, rng() % 12);
    SCOPED_TRACE("iteration " + std::to_string(i));
    ExpectRoundTrip(o.f);
  }
}

TEST(MessageRecord, EmptyAndFourMegabyteBodiesAndManyPropertiesRoundTrip) {
  std::mt19937_64 rng(7);
  ExpectRoundTrip(RandomRecord(rng, 10, 0, 0).f);
  ExpectRoundTrip(RandomRecord(rng, 10, static_cast<size_t>(kDefaultMaxMessageSize), 3).f);
  ExpectRoundTrip(RandomRecord(rng, 10, 100, 200).f);
  ExpectRoundTrip(RandomRecord(rng, 200, 100, 200).f);
}

TEST(MessageRecord, VersionFollowsTopicByteLength) {
  EXPECT_EQ(VersionForTopic(std::string(127, 'x')), MessageVersion::kV1);
  EXPECT_EQ(VersionForTopic(std::string(128, 'x')), MessageVersion::kV2);
  // 64 two-byte characters: 64 Java chars but 128 UTF-8 bytes -> v2.
  std::string utf8;
  for (int i = 0; i < 64; ++i) utf8 += "\xC3\xA9";
  EXPECT_EQ(VersionForTopic(utf8), MessageVersion::kV2);
}

TEST(MessageRecord, EncoderRejectsWhatCannotBeStored) {
  std::mt19937_64 rng(1);
  Owned o = RandomRecord(rng, 128, 10, 1);
  o.f.version = MessageVersion::kV1;
  auto r = EncodedRecordSize(o.f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EncodeErrc::kTopicTooLong);

  Owned p = RandomRecord(rng, 5, 10, 0);
  p.props = std::string(32768, 'x');
  p.f.properties = p.props;
  ASSERT_FALSE(EncodedRecordSize(p.f).ok());
  EXPECT_EQ(EncodedRecordSize(p.f).error().code, EncodeErrc::kPropertiesTooLong);

  Owned b = RandomRecord(rng, 5, static_cast<size_t>(kDefaultMaxMessageSize) + 1, 0);
  EXPECT_EQ(EncodedRecordSize(b.f).error().code, EncodeErrc::kBodyTooLong);
  EXPECT_EQ(EncodedRecordSize(b.f, {kDefaultMaxMessageSize + 10, 100}).error().code, EncodeErrc::kRecordTooLong);

  std::vector<uint8_t> small(10);
  Owned ok = RandomRecord(rng, 5, 10, 0);
  EXPECT_EQ(EncodeRecord(ok.f, small).error().code, EncodeErrc::kBufferSize);
  EXPECT_NE(r.error().ToString().find("topic"), std::string::npos);
}

TEST(MessageRecord, PatchAppendFieldsWritesTheLockTimeFieldsForBothBornHostSizes) {
  std::mt19937_64 rng(3);
  for (bool v6 : {false, true}) {
    Owned o = RandomRecord(rng, 8, 50, 2);
    o.f.born_host.ipv6 = v6;
    if (!v6) std::fill(o.f.born_host.ip.begin() + 4, o.f.born_host.ip.end(), 0);
    o.f.queue_offset = o.f.physical_offset = o.f.store_timestamp = 0;
    std::vector<uint8_t> buf;
    ASSERT_TRUE(EncodeRecordTo(o.f, buf).ok());
    PatchAppendFields(buf.data(), 42, 1 << 20, 1700000000123);
    auto d = DecodeRecord(buf);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->message.queue_offset, 42);
    EXPECT_EQ(d->message.physical_offset, 1 << 20);
    EXPECT_EQ(d->message.store_timestamp, 1700000000123);
    EXPECT_EQ(d->message.born_timestamp, o.f.born_timestamp) << "nothing else moved";
    EXPECT_EQ(d->message.born_host, o.f.born_host);
  }
}

TEST(MessageRecord, BlankRecordDecodesWithItsSize) {
  uint8_t blank[16] = {};
  EncodeBlankRecord(blank, 1909);
  auto d = DecodeRecord(std::span<const uint8_t>(blank, 8));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, RecordKind::kBlank);
  EXPECT_EQ(d->total_size, 1909);
  EncodeBlankRecord(blank, 7);
  ASSERT_FALSE(DecodeRecord(blank).ok());
  EXPECT_EQ(DecodeRecord(blank).error().code, DecodeErrc::kSizeOutOfRange);
}

// A valid v1 record with IPv4 hosts: topic "T", body "hello", props "a\1b".
std::vector<uint8_t> SampleRecord() {
  static const std::string props = std::string("a") + kNameValueSeparator + "b";
  static const uint8_t body[] = {'h', 'e', 'l', 'l', 'o'};
  MessageRecordFields f;
  f.topic = "T";
  f.body = body;
  f.properties = props;
  f.born_host = SocketAddress::V4(10, 0, 0, 1, 5000);
  f.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
  std::vector<uint8_t> buf;
  EXPECT_TRUE(EncodeRecordTo(f, buf).ok());
  return buf;  // 91 + 5 + 1 + 3 = 100 bytes; BODY length at 84, TOPIC length at 93, PROPERTIES length at 95
}

void ExpectError(const std::vector<uint8_t>& bytes, DecodeErrc code, const char* field, uint64_t offset,
                 RecordDecodeOptions options = {}) {
  auto d = DecodeRecord(bytes, options);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, code) << d.error().ToString();
  EXPECT_STREQ(d.error().field, field);
  EXPECT_EQ(d.error().offset, offset);
}

TEST(MessageRecordCorruption, SampleLayoutIsAsDocumented) {
  const auto r = SampleRecord();
  ASSERT_EQ(r.size(), 100u);
  EXPECT_EQ(LoadI32(r.data() + 84), 5);
  EXPECT_EQ(r[93], 1);
  EXPECT_EQ(LoadI16(r.data() + 95), 3);
}

TEST(MessageRecordCorruption, ShortInputIsTruncated) {
  const auto r = SampleRecord();
  ExpectError({r.begin(), r.begin() + 3}, DecodeErrc::kTruncated, "TOTALSIZE", 0);
  ExpectError({r.begin(), r.begin() + 7}, DecodeErrc::kTruncated, "MAGICCODE", 4);
  ExpectError({r.begin(), r.begin() + 99}, DecodeErrc::kTruncated, "TOTALSIZE", 0);
}

TEST(MessageRecordCorruption, UnknownMagicIsBadMagic) {
  auto r = SampleRecord();
  StoreU32(r.data() + 4, 0x12345678);
  ExpectError(r, DecodeErrc::kBadMagic, "MAGICCODE", 4);
  auto d = DecodeRecord(r);
  EXPECT_NE(d.error().ToString().find("0x12345678"), std::string::npos);
}

TEST(MessageRecordCorruption, TotalSizeOutsideItsRangeIsRejected) {
  auto r = SampleRecord();
  StoreI32(r.data(), 90);
  ExpectError(r, DecodeErrc::kSizeOutOfRange, "TOTALSIZE", 0);
  StoreI32(r.data(), -5);
  ExpectError(r, DecodeErrc::kSizeOutOfRange, "TOTALSIZE", 0);
  StoreI32(r.data(), 100);
  ExpectError(r, DecodeErrc::kSizeOutOfRange, "TOTALSIZE", 0, {99, false});
}

TEST(MessageRecordCorruption, BodyLengthNegativeOrPastTheRecord) {
  auto r = SampleRecord();
  StoreI32(r.data() + 84, -1);
  ExpectError(r, DecodeErrc::kNegativeLength, "BODY length", 84);
  StoreI32(r.data() + 84, 1000);
  ExpectError(r, DecodeErrc::kLengthPastEnd, "BODY length", 84);
}

TEST(MessageRecordCorruption, TopicLengthNegativeOrPastTheRecord) {
  auto r = SampleRecord();
  r[93] = 0x80;  // -128 as a signed byte: what a v1 record of a 128-byte topic would hold
  ExpectError(r, DecodeErrc::kNegativeLength, "TOPIC length", 93);
  r[93] = 100;
  ExpectError(r, DecodeErrc::kLengthPastEnd, "TOPIC length", 93);
}

TEST(MessageRecordCorruption, PropertiesLengthNegativeOrPastTheRecord) {
  auto r = SampleRecord();
  StoreI16(r.data() + 95, -3);
  ExpectError(r, DecodeErrc::kNegativeLength, "PROPERTIES length", 95);
  StoreI16(r.data() + 95, 4);
  ExpectError(r, DecodeErrc::kLengthPastEnd, "PROPERTIES length", 95);
}

TEST(MessageRecordCorruption, FieldsThatDoNotAddUpToTotalSizeAreAMismatch) {
  auto r = SampleRecord();
  r.push_back(0);
  StoreI32(r.data(), 101);
  ExpectError(r, DecodeErrc::kLengthMismatch, "TOTALSIZE", 0);
}

TEST(MessageRecordCorruption, HostFlagsThatOverrunASmallRecordAreCaught) {
  auto r = SampleRecord();
  StoreI32(r.data() + 36, sysflag::kBornHostV6 | sysflag::kStoreHostV6);  // 24 more header bytes than there are
  auto d = DecodeRecord(r);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(d.error().code == DecodeErrc::kLengthPastEnd || d.error().code == DecodeErrc::kNegativeLength ||
              d.error().code == DecodeErrc::kLengthMismatch)
      << d.error().ToString();
}

TEST(MessageRecordCorruption, CrcMismatchIsReportedOnlyWhenAsked) {
  auto r = SampleRecord();
  r[88] ^= 0x01;  // first body byte
  EXPECT_TRUE(DecodeRecord(r).ok());
  ExpectError(r, DecodeErrc::kBadValue, "BODYCRC", 8, {kDefaultMaxRecordSize, true});
  EXPECT_FALSE(DecodeRecord(r)->message.BodyCrcMatches());
}

TEST(MessageRecordCorruption, EveryPrefixFailsAndEverySingleByteFlipIsHandled) {
  const auto r = SampleRecord();
  for (size_t n = 0; n < r.size(); ++n) EXPECT_FALSE(DecodeRecord({r.data(), n}).ok()) << n;
  for (size_t i = 0; i < r.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      auto c = r;
      c[i] ^= mask;
      auto d = DecodeRecord(c, {kDefaultMaxRecordSize, true});
      if (d.ok() && d->kind == RecordKind::kMessage) {
        EXPECT_LE(d->total_size, static_cast<int32_t>(c.size()));
      }
    }
  }
}

TEST(MessageRecordCorruption, ErrorStatusNamesFileFieldAndAbsoluteOffset) {
  auto r = SampleRecord();
  StoreI32(r.data() + 84, -1);
  const auto st = DecodeRecord(r).error().ToStatus("commitlog/00000000000000000000", 4096);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("commitlog/00000000000000000000"), std::string::npos);
  EXPECT_NE(st.message().find("BODY length"), std::string::npos);
  EXPECT_NE(st.message().find("offset 4180"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace mqstore
