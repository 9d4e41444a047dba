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
  for (auto message = drain.take_message(); !message.empty(); message = drain.take_message()) {
    EXPECT_EQ(message.size(), 1u) << "a drain without PackLimits never packs";
    seqs.push_back(message.front().seq);
  }
  return seqs;
}

TEST(OutboxDrain, PublishesInSeqOrderWithinTheWindow) {
  OutboxDrain drain(3, 10);
  auto fetch = drain.take_fetch();
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->after_seq, 0);
  drain.on_fetched(fetch->epoch, rows(1, 5));
  EXPECT_EQ(publish_all(drain), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(drain.on_acked(2), (std::vector<std::int64_t>{2}));
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
  EXPECT_EQ(drain.on_acked(1), (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(drain.on_acked(1).empty());
  EXPECT_TRUE(drain.on_acked(99).empty());
}

// Every row weighs 10 bytes: a pack of n rows weighs 2 + 10 n.
PackLimits pack_limits(std::size_t min_rows, std::size_t max_rows, std::size_t max_bytes) {
  return PackLimits{min_rows, max_rows, max_bytes, [](const OutboxRow&) { return 10u; }};
}

std::vector<std::vector<std::int64_t>> publish_messages(OutboxDrain& drain) {
  std::vector<std::vector<std::int64_t>> messages;
  for (auto message = drain.take_message(); !message.empty(); message = drain.take_message()) {
    messages.emplace_back();
    for (const OutboxRow& row : message) messages.back().push_back(row.seq);
  }
  return messages;
}

using Messages = std::vector<std::vector<std::int64_t>>;

TEST(OutboxDrain, ABacklogIsPackedWithinRowAndByteLimitsInSeqOrder) {
  OutboxDrain drain(10, 100, pack_limits(2, 4, 2 + 10 * 3));  // bytes allow 3 rows
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 8));
  // 8 ready: packs of 3 (bytes) while 2 or more are ready.
  EXPECT_EQ(publish_messages(drain), (Messages{{1, 2, 3}, {4, 5, 6}, {7, 8}}));
  EXPECT_EQ(drain.inflight(), 3u);
  EXPECT_EQ(drain.inflight_rows(), 8u);

  OutboxDrain by_rows(10, 100, pack_limits(2, 4, 1000));
  fetch = by_rows.take_fetch();
  by_rows.on_fetched(fetch->epoch, rows(1, 9));
  EXPECT_EQ(publish_messages(by_rows), (Messages{{1, 2, 3, 4}, {5, 6, 7, 8}, {9}}));
}

TEST(OutboxDrain, FewerReadyRowsThanMinRowsGoOutOneByOne) {
  OutboxDrain drain(10, 100, pack_limits(4, 50, 1000));
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 3));
  EXPECT_EQ(publish_messages(drain), (Messages{{1}, {2}, {3}}));
}

TEST(OutboxDrain, ARowOverTheByteLimitGoesAloneAndPackingResumesAfterIt) {
  PackLimits limits = pack_limits(2, 50, 40);
  limits.row_bytes = [](const OutboxRow& row) { return row.seq == 2 ? 100u : 10u; };
  OutboxDrain drain(10, 100, limits);
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 6));
  EXPECT_EQ(publish_messages(drain), (Messages{{1}, {2}, {3, 4, 5}, {6}}));
}

TEST(OutboxDrain, OnePubackAcknowledgesTheWholePackAndFreesOneWindowSlot) {
  OutboxDrain drain(1, 100, pack_limits(2, 3, 1000));
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 6));
  EXPECT_EQ(publish_messages(drain), (Messages{{1, 2, 3}}));  // the window holds one message
  EXPECT_TRUE(drain.on_acked(2).empty()) << "only the pack's first seq names it";
  EXPECT_EQ(drain.on_acked(1), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(drain.inflight_rows(), 0u);
  EXPECT_EQ(publish_messages(drain), (Messages{{4, 5, 6}}));
}

TEST(OutboxDrain, APackLostBeforeItsPubackIsResentWholeAfterReconnect) {
  OutboxDrain drain(4, 100, pack_limits(2, 3, 1000));
  auto fetch = drain.take_fetch();
  drain.on_fetched(fetch->epoch, rows(1, 9));
  EXPECT_EQ(publish_messages(drain), (Messages{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}));
  drain.on_acked(1);
  drain.on_acked(7);  // PUBACKs may complete out of order; 4..6 is lost with the connection
  drain.reset();
  fetch = drain.take_fetch();
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->after_seq, 3);
  drain.on_fetched(fetch->epoch, rows(4, 9));  // the store still holds 4..6 and 7..9's rows
  EXPECT_EQ(publish_messages(drain), (Messages{{4, 5, 6}, {7, 8, 9}}));
}

}  // namespace
}  // namespace meterd
