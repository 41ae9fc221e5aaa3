// TagBitmapIndex: the queue offsets of each tagsCode, bounded, never wrong.
#include "storage/queue/tag_bitmap_index.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace mqstore {
namespace {

using Kind = TagBitmapIndex::Lookup::Kind;

TEST(TagBitmapIndexTest, FindsTheNextOffsetOfATagWithinTheLimit) {
  TagBitmapIndex index;
  for (int64_t q = 0; q < 100; ++q) index.Add(q, q % 10 == 3 ? 42 : 7);
  auto l = index.NextWithTag(42, 0, 100);
  EXPECT_EQ(l.kind, Kind::kFound);
  EXPECT_EQ(l.queue_offset, 3);
  l = index.NextWithTag(42, 3, 100);
  EXPECT_EQ(l.queue_offset, 3) << "from is inclusive";
  l = index.NextWithTag(42, 4, 100);
  EXPECT_EQ(l.queue_offset, 13);
  // The next match is at 93: the limit is exclusive.
  EXPECT_EQ(index.NextWithTag(42, 84, 93).kind, Kind::kNone);
  EXPECT_EQ(index.NextWithTag(42, 84, 94).queue_offset, 93);
  EXPECT_EQ(index.NextWithTag(42, 94, 100).kind, Kind::kNone);
  EXPECT_EQ(index.NextWithTag(42, 50, 50).kind, Kind::kNone) << "an empty range";
  EXPECT_EQ(index.tracked_tags(), 2u);
  EXPECT_GT(index.MemoryBytes(), 0u);
}

TEST(TagBitmapIndexTest, ATagNeverSeenIsNoneAndARangePastTheLastUnitIsUnknown) {
  TagBitmapIndex index;
  for (int64_t q = 0; q < 10; ++q) index.Add(q, 1);
  EXPECT_EQ(index.NextWithTag(99, 0, 10).kind, Kind::kNone);
  // Units 10.. were not added yet: the index cannot say they lack the tag.
  EXPECT_EQ(index.NextWithTag(99, 0, 11).kind, Kind::kUnknown);
  EXPECT_EQ(index.NextWithTag(1, 10, 20).kind, Kind::kUnknown);
  // A match before the unknown part is still an answer.
  EXPECT_EQ(index.NextWithTag(1, 5, 20).queue_offset, 5);
}

TEST(TagBitmapIndexTest, UntrackedTagsAreUnknownAfterOverflowAndTrackedOnesStayExact) {
  TagBitmapIndex index(2);
  index.Add(0, 100);
  index.Add(1, 200);
  index.Add(2, 300);  // a third tag: not tracked
  index.Add(3, 100);
  index.Add(4, 300);
  index.Add(5, 200);
  EXPECT_EQ(index.tracked_tags(), 2u);
  EXPECT_EQ(index.NextWithTag(300, 0, 6).kind, Kind::kUnknown);
  EXPECT_EQ(index.NextWithTag(999, 0, 6).kind, Kind::kUnknown) << "maybe seen, not tracked";
  EXPECT_EQ(index.NextWithTag(100, 1, 6).queue_offset, 3);
  EXPECT_EQ(index.NextWithTag(200, 2, 6).queue_offset, 5);
  EXPECT_EQ(index.NextWithTag(100, 4, 6).kind, Kind::kNone);
}

TEST(TagBitmapIndexTest, ZeroTrackedTagsAnswersNothing) {
  TagBitmapIndex index(0);
  index.Add(0, 1);
  EXPECT_EQ(index.tracked_tags(), 0u);
  EXPECT_EQ(index.NextWithTag(1, 0, 1).kind, Kind::kUnknown);
}

TEST(TagBitmapIndexTest, TrimBelowForgetsOffsetsBelowAndAnswersOnlyFromThere) {
  TagBitmapIndex index;
  for (int64_t q = 0; q < 1000; ++q) index.Add(q, q % 2);
  index.Add(1000, 5);  // one unit of a rare tag
  const size_t before = index.MemoryBytes();
  index.TrimBelow(501);
  EXPECT_EQ(index.NextWithTag(0, 0, 1001).kind, Kind::kUnknown) << "below the trim point";
  EXPECT_EQ(index.NextWithTag(0, 500, 1001).kind, Kind::kUnknown);
  EXPECT_EQ(index.NextWithTag(0, 501, 1001).queue_offset, 502);
  EXPECT_EQ(index.NextWithTag(1, 501, 1001).queue_offset, 501);
  EXPECT_EQ(index.NextWithTag(5, 501, 1001).queue_offset, 1000);
  EXPECT_LT(index.MemoryBytes(), before);
  // Trimming past a tag's last offset empties it; it frees its slot.
  index.TrimBelow(1000);
  EXPECT_EQ(index.tracked_tags(), 1u);
  EXPECT_EQ(index.NextWithTag(0, 1000, 1001).kind, Kind::kNone);
  // A lower trim point changes nothing.
  index.TrimBelow(10);
  EXPECT_EQ(index.NextWithTag(5, 1000, 1001).queue_offset, 1000);
  index.Add(1001, 0);
  EXPECT_EQ(index.NextWithTag(0, 1000, 1002).queue_offset, 1001);
}

TEST(TagBitmapIndexTest, TrimBelowKeepsEmptiedTagsAfterAnOverflow) {
  TagBitmapIndex index(2);
  index.Add(0, 1);
  index.Add(1, 2);
  index.Add(2, 3);  // overflow
  index.TrimBelow(1);
  // Tag 1 is empty now, but dropping it would turn a sure kNone into a
  // kUnknown and free a slot no later tag may take.
  EXPECT_EQ(index.tracked_tags(), 2u);
  EXPECT_EQ(index.NextWithTag(1, 1, 3).kind, Kind::kNone);
  EXPECT_EQ(index.NextWithTag(3, 1, 3).kind, Kind::kUnknown);
}

TEST(TagBitmapIndexTest, ResetForgetsEverythingAndCoversFromItsOffset) {
  TagBitmapIndex index(1);
  index.Add(0, 1);
  index.Add(1, 2);  // overflow
  index.Reset(50);
  EXPECT_EQ(index.tracked_tags(), 0u);
  EXPECT_EQ(index.NextWithTag(1, 0, 50).kind, Kind::kUnknown);
  EXPECT_EQ(index.NextWithTag(1, 50, 50).kind, Kind::kNone);
  index.Add(10, 2);  // below what it covers: ignored
  index.Add(50, 2);
  index.Add(51, 2);
  EXPECT_EQ(index.NextWithTag(2, 50, 52).queue_offset, 50);
  EXPECT_EQ(index.NextWithTag(9, 50, 52).kind, Kind::kNone) << "the overflow was forgotten too";
  index.Add(52, 3);  // a second tag: over the bound again
  EXPECT_EQ(index.NextWithTag(9, 50, 53).kind, Kind::kUnknown);
  EXPECT_EQ(index.tracked_tags(), 1u);
}

TEST(TagBitmapIndexTest, OffsetsPastFourBillionWork) {
  TagBitmapIndex index;
  const int64_t base = (int64_t{1} << 32) - 3;
  index.Reset(base);
  for (int64_t q = base; q < base + 10; ++q) index.Add(q, q == base + 7 ? 9 : 1);
  EXPECT_EQ(index.NextWithTag(9, base, base + 10).queue_offset, base + 7);
  EXPECT_EQ(index.NextWithTag(1, base + 2, base + 10).queue_offset, base + 2);
  EXPECT_EQ(index.NextWithTag(1, base + 3, base + 10).queue_offset, base + 3) << "first value of the next bucket";
  index.TrimBelow(base + 4);
  EXPECT_EQ(index.NextWithTag(1, base + 4, base + 10).queue_offset, base + 4);
  EXPECT_EQ(index.NextWithTag(9, base + 8, base + 10).kind, Kind::kNone);
}

TEST(TagBitmapIndexTest, ManyDenseAddsStayCompact) {
  TagBitmapIndex index;
  for (int64_t q = 0; q < 3 * 65536; ++q) index.Add(q, 1);
  EXPECT_LT(index.MemoryBytes(), 1024u) << "runs after runOptimize, not 24 KiB of bitmap containers";
  EXPECT_EQ(index.NextWithTag(1, 123456, 3 * 65536).queue_offset, 123456);
}

}  // namespace
}  // namespace mqstore
