// SPDX-License-Identifier: Apache-2.0
// The client-id takeover heuristic in virtual time.
#include "uplink/takeover_detector.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

using namespace std::chrono_literals;

// Connects at `at`, loses the connection `lasted` later; returns what on_lost said.
bool session(TakeoverDetector& detector, SteadyTime& at, std::chrono::milliseconds lasted) {
  detector.on_connected(at);
  at += lasted;
  return detector.on_lost(at);
}

TEST(TakeoverDetector, ThreeLossesSecondsAfterConnectingWithinAMinuteStartOneEpisode) {
  TakeoverDetector detector;
  SteadyTime now{};
  EXPECT_FALSE(session(detector, now, 800ms));
  EXPECT_FALSE(session(detector, now, 1200ms));
  EXPECT_FALSE(detector.in_conflict(now));
  EXPECT_TRUE(session(detector, now, 600ms));
  EXPECT_TRUE(detector.in_conflict(now));
  // The fight goes on: still one episode, reported once.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(session(detector, now, 700ms));
  EXPECT_TRUE(detector.in_conflict(now));
  EXPECT_EQ(detector.episodes(), 1);
}

TEST(TakeoverDetector, LossesOfLongConnectionsAreOrdinaryOutages) {
  TakeoverDetector detector;
  SteadyTime now{};
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(session(detector, now, 45s));
  EXPECT_FALSE(detector.in_conflict(now));
  EXPECT_EQ(detector.episodes(), 0);
}

TEST(TakeoverDetector, ShortLossesSpreadOverMoreThanAMinuteAreNoConflict) {
  TakeoverDetector detector;
  SteadyTime now{};
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(session(detector, now, 2s));
    now += 35s;  // down for a while between connections
  }
  EXPECT_EQ(detector.episodes(), 0);
}

TEST(TakeoverDetector, EpisodeEndsAfterAQuietMinuteAndANewFightIsANewEpisode) {
  TakeoverDetector detector;
  SteadyTime now{};
  for (int i = 0; i < 3; ++i) session(detector, now, 1s);
  ASSERT_TRUE(detector.in_conflict(now));
  detector.on_connected(now);
  now += 61s;
  EXPECT_FALSE(detector.in_conflict(now));
  EXPECT_FALSE(detector.on_lost(now));       // a long connection ends: no conflict
  EXPECT_FALSE(session(detector, now, 1s));  // one short loss alone starts nothing
  EXPECT_FALSE(detector.in_conflict(now));
  EXPECT_FALSE(session(detector, now, 1s));
  EXPECT_TRUE(session(detector, now, 1s));
  EXPECT_EQ(detector.episodes(), 2);
}

TEST(TakeoverDetector, ALossWithoutAConnectIsNotShort) {
  TakeoverDetector detector;
  SteadyTime now{};
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(detector.on_lost(now += 1s));
  EXPECT_EQ(detector.episodes(), 0);
}

}  // namespace
}  // namespace meterd
