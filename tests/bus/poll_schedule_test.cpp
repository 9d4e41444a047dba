// SPDX-License-Identifier: Apache-2.0
#include "bus/poll_schedule.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

using std::chrono::milliseconds;

SteadyTime at(std::int64_t ms) { return SteadyTime{} + milliseconds(ms); }

TEST(PollSchedule, SpreadsInitialPhasesAcrossTheInterval) {
  PollSchedule schedule(4, {milliseconds(1000)}, 3, milliseconds(60'000));
  schedule.start(at(0));
  std::vector<std::int64_t> due;
  while (auto job = schedule.take_due(at(999))) {
    due.push_back((job->due - at(0)) / milliseconds(1));
    EXPECT_EQ(job->meter, due.size() - 1);
  }
  EXPECT_EQ(due, (std::vector<std::int64_t>{0, 250, 500, 750}));
}

TEST(PollSchedule, KeepsTheSlotPhaseWhenAPollRunsLate) {
  PollSchedule schedule(1, {milliseconds(2000)}, 3, milliseconds(60'000));
  schedule.start(at(0));
  auto job = schedule.take_due(at(0));
  ASSERT_TRUE(job);
  schedule.complete(*job, PollOutcome::kOk, at(300));
  EXPECT_FALSE(schedule.take_due(at(1999)));
  EXPECT_EQ(schedule.next_due(), at(2000));
  EXPECT_EQ(schedule.overruns(), 0);
}

TEST(PollSchedule, KeepsAtMostOnePendingPollWhenTheBusFallsBehind) {
  PollSchedule schedule(1, {milliseconds(100)}, 3, milliseconds(60'000));
  schedule.start(at(0));
  auto job = schedule.take_due(at(0));
  schedule.complete(*job, PollOutcome::kOk, at(450));  // due at 100, 200, 300, 400 meanwhile
  job = schedule.take_due(at(450));
  ASSERT_TRUE(job);
  EXPECT_EQ(job->due, at(400));
  EXPECT_EQ(schedule.overruns(), 3);
  EXPECT_FALSE(schedule.take_due(at(450)));
}

TEST(PollSchedule, GoesOfflineAfterKFailuresAndProbesOncePerBackoff) {
  PollSchedule schedule(2, {milliseconds(100), milliseconds(300)}, 2, milliseconds(1000));
  schedule.start(at(0));
  int failures = 0;
  std::int64_t now = 0;
  MeterTransition transition = MeterTransition::kNone;
  while (transition != MeterTransition::kWentOffline && now < 1000) {
    while (auto job = schedule.take_due(at(now))) {
      const bool dead = job->meter == 1;
      failures += dead;
      transition = schedule.complete(*job, dead ? PollOutcome::kFailed : PollOutcome::kOk, at(now));
      if (transition == MeterTransition::kWentOffline) break;
    }
    now += 10;
  }
  ASSERT_EQ(transition, MeterTransition::kWentOffline);
  EXPECT_EQ(failures, 2);
  EXPECT_TRUE(schedule.offline(1));
  EXPECT_EQ(schedule.offline_count(), 1u);

  // Over five backoff periods meter 1 gets one probe per period, rotating over its groups;
  // meter 0 keeps its schedule.
  std::vector<std::size_t> probe_groups;
  int meter0_polls = 0;
  const std::int64_t went_offline = now;
  for (; now < went_offline + 5000; now += 10) {
    while (auto job = schedule.take_due(at(now))) {
      if (job->meter == 1) {
        EXPECT_TRUE(job->probe);
        probe_groups.push_back(job->group);
        EXPECT_EQ(schedule.complete(*job, PollOutcome::kFailed, at(now)), MeterTransition::kNone);
      } else {
        ++meter0_polls;
        schedule.complete(*job, PollOutcome::kOk, at(now));
      }
    }
  }
  EXPECT_EQ(probe_groups.size(), 5u);
  EXPECT_EQ(probe_groups, (std::vector<std::size_t>{0, 1, 0, 1, 0}));
  EXPECT_GE(meter0_polls, 60);  // 50 fast + 16 slow

  // The next probe succeeds: online again, and both groups are back on their schedule.
  std::optional<PollJob> probe;
  for (; !probe && now < went_offline + 7000; now += 10) {
    while (auto job = schedule.take_due(at(now))) {
      if (job->meter == 1) {
        probe = job;
        break;
      }
      schedule.complete(*job, PollOutcome::kOk, at(now));
    }
  }
  ASSERT_TRUE(probe);
  EXPECT_TRUE(probe->probe);
  EXPECT_EQ(schedule.complete(*probe, PollOutcome::kOk, at(now)), MeterTransition::kCameOnline);
  EXPECT_FALSE(schedule.offline(1));
  EXPECT_EQ(schedule.offline_count(), 0u);
  int meter1_normal = 0;
  for (std::int64_t t = now; t < now + 1000; t += 10) {
    while (auto job = schedule.take_due(at(t))) {
      if (job->meter == 1) {
        EXPECT_FALSE(job->probe);
        ++meter1_normal;
      }
      schedule.complete(*job, PollOutcome::kOk, at(t));
    }
  }
  EXPECT_GE(meter1_normal, 10);
}

TEST(PollSchedule, ABusErrorDoesNotCountAgainstTheMeter) {
  PollSchedule schedule(1, {milliseconds(100)}, 1, milliseconds(1000));
  schedule.start(at(0));
  for (std::int64_t t = 0; t < 1000; t += 100) {
    auto job = schedule.take_due(at(t));
    ASSERT_TRUE(job);
    EXPECT_EQ(schedule.complete(*job, PollOutcome::kBusError, at(t)), MeterTransition::kNone);
  }
  EXPECT_FALSE(schedule.offline(0));
}

}  // namespace
}  // namespace meterd
