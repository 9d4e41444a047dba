// SPDX-License-Identifier: Apache-2.0
#include "uplink/reconnect_backoff.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

using std::chrono::milliseconds;

TEST(ReconnectBackoff, FailsOverToTheNextServerAtOnceThenBacksOffPerRound) {
  ReconnectBackoff backoff(milliseconds(500), milliseconds(30'000), 3);
  auto next = backoff.on_failure(1.0);
  EXPECT_EQ(next.server, 1u);
  EXPECT_EQ(next.delay, milliseconds(0));
  next = backoff.on_failure(1.0);
  EXPECT_EQ(next.server, 2u);
  EXPECT_EQ(next.delay, milliseconds(0));
  next = backoff.on_failure(1.0);  // the whole list failed once
  EXPECT_EQ(next.server, 0u);
  EXPECT_EQ(next.delay, milliseconds(500));
}

TEST(ReconnectBackoff, DoublesUpToTheCap) {
  ReconnectBackoff backoff(milliseconds(500), milliseconds(3'000), 1);
  std::vector<long> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(backoff.on_failure(1.0).delay.count());
  EXPECT_EQ(delays, (std::vector<long>{500, 1000, 2000, 3000, 3000, 3000}));
}

TEST(ReconnectBackoff, JitterStaysWithinTheUpperHalf) {
  ReconnectBackoff low(milliseconds(1000), milliseconds(1000), 1);
  EXPECT_EQ(low.on_failure(0.0).delay, milliseconds(500));
  ReconnectBackoff high(milliseconds(1000), milliseconds(1000), 1);
  EXPECT_EQ(high.on_failure(1.0).delay, milliseconds(1000));
}

TEST(ReconnectBackoff, SuccessResetsTheExponent) {
  ReconnectBackoff backoff(milliseconds(500), milliseconds(30'000), 1);
  backoff.on_failure(1.0);
  backoff.on_failure(1.0);
  backoff.on_connected();
  EXPECT_EQ(backoff.on_failure(1.0).delay, milliseconds(500));
}

TEST(ReconnectBackoff, LostConnectionRetriesTheSameServer) {
  ReconnectBackoff backoff(milliseconds(500), milliseconds(30'000), 2);
  backoff.on_failure(1.0);  // now on server 1
  backoff.on_connected();
  const auto next = backoff.on_lost(1.0);
  EXPECT_EQ(next.server, 1u);
  EXPECT_EQ(next.delay, milliseconds(500));
}

}  // namespace
}  // namespace meterd
