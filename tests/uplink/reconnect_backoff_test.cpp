// SPDX-License-Identifier: Apache-2.0
#include "uplink/reconnect_backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <vector>

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

// 100 gateways at the cap draw their waits independently: the waits cover [cap/2, cap] instead
// of piling up on one value (the fleet's reconnect storm, bench/README.md "Fleet").
TEST(ReconnectBackoff, HundredGatewaysAtTheCapSpreadOverTheUpperHalfOfTheWait) {
  std::mt19937 seeds(18);  // stands in for each daemon's std::random_device
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::array<int, 10> tenths{};  // draws per 500 ms slice of [5 s, 10 s]
  std::set<long> distinct;
  for (int gateway = 0; gateway < 100; ++gateway) {
    std::minstd_rand rng(seeds());  // MqttSession's generator
    ReconnectBackoff backoff(milliseconds(100), milliseconds(10'000), 3);
    ReconnectBackoff::Next next;
    for (int i = 0; i < 3 * 10; ++i) next = backoff.on_failure(uniform(rng));  // 10 rounds
    ASSERT_GE(next.delay, milliseconds(5'000));
    ASSERT_LE(next.delay, milliseconds(10'000));
    ++tenths[static_cast<std::size_t>(std::min<long>((next.delay.count() - 5'000) / 500, 9))];
    distinct.insert(next.delay.count());
  }
  for (int n : tenths) EXPECT_GE(n, 3) << "a slice of the window got (almost) no gateway";
  for (int n : tenths) EXPECT_LE(n, 20) << "a slice of the window got a fifth of the gateways";
  EXPECT_GE(distinct.size(), 90u);
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
