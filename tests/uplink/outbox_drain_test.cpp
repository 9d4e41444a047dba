// SPDX-License-Identifier: Apache-2.0
#include "uplink/outbox_drain.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

std::vector<OutboxRow> rows(std::int64_t from, std::int64_t to) {
  std::vector<OutboxRow> out;
  for (std::int64_t s = from; s <= to; ++s) {
    // Designated initializers: GCC 12 at -O2 flags member assignments of a default-constructed
    // row with a false -Wmaybe-uninitialized (SSO copy), which broke the Release build.
    out.push_back(OutboxRow{.seq = s, .meter_id = "m", .body_json = "{}"});
  }
  return out;
}

std::vector<std::int64_t> publish_all(OutboxDrain& drain) {
  std::vector<std::int64_t> seqs;
  while (auto row = drain.take_publishable()) seqs.push_back(row->seq);
  return seqs;
}

TEST(OutboxDrain, PublishesInSeqOrderWithinTheWindow) {
  OutboxDrain drain(3, 10);
  auto fetch = drain.take_fetch();
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->after_seq, 0);
  drain.on_fetched(fetch->epoch, rows(1, 5));
  EXPECT_EQ(publish_all(drain), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_TRUE(drain.on_acked(2));
  EXPECT_EQ(publish_all(drain), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(drain.inflight(), 3u);
}

TEST(OutboxDrain, ReconnectRepublishesEverythingNotAcknowledged) {
  OutboxDrain drain(4, 10);
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 6));
  publish_all(drain);  // 1..4 in flight, 5..6 buffered
  drain.on_acked(1);
  drain.on_acked(3);
  drain.reset();
  EXPECT_EQ(drain.inflight(), 0u);
  fetch = drain.take_fetch();
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->after_seq, 1);  // 2 is the lowest unacknowledged
}

TEST(OutboxDrain, FetchOfAnOldConnectionIsIgnored) {
  OutboxDrain drain(4, 10);
  auto stale = drain.take_fetch();
  drain.reset();
  drain.on_fetched(stale->epoch, rows(1, 3));
  EXPECT_EQ(drain.buffered(), 0u);
  auto fresh = drain.take_fetch();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->after_seq, 0);
}

TEST(OutboxDrain, IdleAfterShortReadUntilCommitWakesIt) {
  OutboxDrain drain(4, 10);
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 2));
  publish_all(drain);
  drain.on_acked(1);
  drain.on_acked(2);
  EXPECT_FALSE(drain.take_fetch());
  EXPECT_TRUE(drain.idle());
  drain.on_committed(3);
  fetch = drain.take_fetch();
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->after_seq, 2);
}

TEST(OutboxDrain, CommitDuringAFetchIsNotLost) {
  OutboxDrain drain(4, 10);
  auto fetch = drain.take_fetch();
  drain.on_committed(7);                       // arrives before the (older) read's result
  drain.on_fetched(fetch->epoch, rows(1, 5));  // the read did not see 6..7
  publish_all(drain);
  for (int s = 1; s <= 5; ++s) drain.on_acked(s);
  fetch = drain.take_fetch();
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->after_seq, 5);
}

TEST(OutboxDrain, FullBatchMeansMoreMayFollow) {
  OutboxDrain drain(100, 4);
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 4));
  publish_all(drain);
  fetch = drain.take_fetch();
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->after_seq, 4);
}

TEST(OutboxDrain, GapsLeftByEvictionDoNotStallTheCursor) {
  OutboxDrain drain(10, 10);
  drain.on_committed(20);
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, {});  // rows 1..20 were evicted meanwhile
  EXPECT_EQ(drain.cursor(), 20);
  EXPECT_FALSE(drain.take_fetch());
}

TEST(OutboxDrain, StaleAckIsRejected) {
  OutboxDrain drain(4, 10);
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 2));
  publish_all(drain);
  EXPECT_TRUE(drain.on_acked(1));
  EXPECT_FALSE(drain.on_acked(1));
  EXPECT_FALSE(drain.on_acked(99));
}

}  // namespace
}  // namespace meterd
