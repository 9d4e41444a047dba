// SPDX-License-Identifier: Apache-2.0
// The appliance model of the sim plugin: when appliances run (relative periods, daily windows,
// the seeded random process) and how their YAML is read.
#include <gtest/gtest.h>

#include <cstdlib>

#include "bus/test_support.h"
#include "sim/sim/appliance_settings.h"

namespace meterd::sim {
namespace {

using namespace std::chrono_literals;
using testing::map_node;
using testing::scalar;

// 2024-03-01 00:00 UTC.
const WallTime kStart{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1}};

SettingsNode sequence(std::vector<SettingsNode> items, int line) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kSequence;
  n.pos = {"t.yaml", line, 3};
  n.items = std::move(items);
  return n;
}

std::vector<std::string> messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors.all()) out.push_back(e.to_string());
  return out;
}

TEST(SwitchingTest, ARepeatingPeriodRunsForItsDurationEveryCycleAfterTheStart) {
  const Switching s({RelativePeriod{5s, 3s, 10s}}, {}, std::nullopt, 1);
  std::vector<int> on_seconds;
  for (int second = 0; second < 30; ++second) {
    if (s.on_at(kStart + std::chrono::seconds(second), kStart)) on_seconds.push_back(second);
  }
  EXPECT_EQ(on_seconds, (std::vector<int>{5, 6, 7, 15, 16, 17, 25, 26, 27}));
  EXPECT_EQ(s.next_change(kStart, kStart), kStart + 5s);
  EXPECT_EQ(s.next_change(kStart + 5s, kStart), kStart + 8s);
  EXPECT_EQ(s.next_change(kStart + 9s, kStart), kStart + 15s);
}

TEST(SwitchingTest, AOncePeriodRunsOnceAndNeverAgain) {
  const Switching s({RelativePeriod{2s, 4s, std::nullopt}}, {}, std::nullopt, 1);
  EXPECT_FALSE(s.on_at(kStart + 1999ms, kStart));
  EXPECT_TRUE(s.on_at(kStart + 2s, kStart));
  EXPECT_TRUE(s.on_at(kStart + 5999ms, kStart));
  EXPECT_FALSE(s.on_at(kStart + 6s, kStart));
  EXPECT_FALSE(s.on_at(kStart + 24h, kStart));
  EXPECT_EQ(s.next_change(kStart + 7s, kStart), std::nullopt);
}

TEST(SwitchingTest, ADailyWindowPastMidnightFollowsTheLocalClock) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const Switching s({}, {DailyWindow{23 * 60, 30}}, std::nullopt, 1);  // 23:00 .. 00:30
  EXPECT_TRUE(s.on_at(kStart + 10min, kStart));
  EXPECT_FALSE(s.on_at(kStart + 30min, kStart));
  EXPECT_FALSE(s.on_at(kStart + 22h + 59min, kStart));
  EXPECT_TRUE(s.on_at(kStart + 23h, kStart));
  EXPECT_EQ(s.next_change(kStart, kStart), std::nullopt);  // minutes are the meter's steps
}

TEST(SwitchingTest, TheRandomProcessIsDeterministicPerKeyAndRunsAboutChanceOfThePeriods) {
  const RandomUse use{1h, 0.3, 2min, 10min};
  const Switching a({}, {}, use, 42);
  const Switching b({}, {}, use, 42);
  const Switching c({}, {}, use, 43);
  int periods_used = 0;
  bool a_differs_from_c = false;
  const int days = 60;
  for (int hour = 0; hour < days * 24; ++hour) {
    bool used = false;
    std::int64_t on_minutes = 0;
    for (int minute = 0; minute < 60; ++minute) {
      const WallTime t = kStart + std::chrono::hours(hour) + std::chrono::minutes(minute) + 30s;
      ASSERT_EQ(a.on_at(t, kStart), b.on_at(t, kStart));
      if (a.on_at(t, kStart) != c.on_at(t, kStart)) a_differs_from_c = true;
      if (a.on_at(t, kStart)) {
        used = true;
        ++on_minutes;
      }
    }
    if (used) {
      ++periods_used;
      // One run inside the period, 2..10 minutes long.
      EXPECT_GE(on_minutes, 1);
      EXPECT_LE(on_minutes, 10);
    }
  }
  EXPECT_TRUE(a_differs_from_c);
  const double share = static_cast<double>(periods_used) / (days * 24);
  EXPECT_NEAR(share, 0.3, 0.05);
}

TEST(SwitchingTest, NextChangeFindsEveryRandomSwitching) {
  const Switching s({}, {}, RandomUse{10min, 0.7, 10s, 3min}, 7);
  // Walking from change to change must see the state flip at least at every run's edges, and
  // the state must not change between a time and its next_change.
  WallTime t = kStart;
  int flips = 0;
  bool state = s.on_at(t, kStart);
  while (t < kStart + 24h) {
    const std::optional<WallTime> next = s.next_change(t, kStart);
    ASSERT_TRUE(next.has_value());
    ASSERT_GT(*next, t);
    const WallTime mid = t + (*next - t) / 2;
    ASSERT_EQ(s.on_at(mid, kStart), state) << "a switching between two changes";
    t = *next;
    if (s.on_at(t, kStart) != state) ++flips;
    state = s.on_at(t, kStart);
  }
  EXPECT_GT(flips, 100);  // ~0.7 * 144 runs, two flips each
}

TEST(ApplianceTest, LoadsAddAsActiveAndReactivePower) {
  std::vector<Appliance> appliances = {
      {"kettle", 2000, 0.99,
       Switching({RelativePeriod{0s, 1h, std::nullopt}}, {}, std::nullopt, 1)},
      {"compressor", 1500, 0.8,
       Switching({RelativePeriod{0s, 1h, std::nullopt}}, {}, std::nullopt, 2)},
      {"charger", 60, 0.5, Switching({RelativePeriod{2h, 1h, std::nullopt}}, {}, std::nullopt, 3)}};
  const ApplianceLoad load = appliance_load(appliances, kStart + 1min, kStart);
  EXPECT_DOUBLE_EQ(load.power_w, 3500);
  // 2000 * tan(acos 0.99) + 1500 * tan(acos 0.8) = 284.985 + 1125
  EXPECT_NEAR(load.reactive_var, 1409.985, 0.001);
  EXPECT_EQ(next_switching(appliances, kStart + 1min, kStart), kStart + 1h);
}

TEST(ApplianceSettingsTest, ReadsScheduleAndRandomKeys) {
  ConfigErrors errors;
  SettingsNode list = sequence(
      {map_node({{"name", scalar("kettle", 2)},
                 {"power_w", scalar("2000", 3)},
                 {"pf", scalar("0.99", 4)},
                 {"schedule",
                  sequence({map_node({{"after", scalar("5s", 6)},
                                      {"for", scalar("3m", 6)},
                                      {"every", scalar("1h", 6)}}),
                            map_node({{"from", scalar("07:00", 7)}, {"to", scalar("07:05", 7)}})},
                           5)}}),
       map_node({{"name", scalar("fridge", 8)},
                 {"power_w", scalar("150", 9)},
                 {"pf", scalar("0.8", 10)},
                 {"random", map_node({{"every", scalar("30m", 11)},
                                      {"chance", scalar("1", 12)},
                                      {"min_for", scalar("10m", 13)},
                                      {"max_for", scalar("10m", 14)}})}})},
      1);
  const std::vector<Appliance> appliances = read_appliances(list, 9, errors);
  ASSERT_TRUE(errors.empty()) << messages(errors).front();
  ASSERT_EQ(appliances.size(), 2u);
  EXPECT_EQ(appliances[0].name, "kettle");
  EXPECT_DOUBLE_EQ(appliances[0].power_w, 2000);
  EXPECT_DOUBLE_EQ(appliances[0].pf, 0.99);
  EXPECT_TRUE(appliances[0].switching.on_at(kStart + 1h + 6s, kStart));
  EXPECT_FALSE(appliances[0].switching.on_at(kStart + 1h + 4s, kStart));
  // chance 1, runs of exactly 10 minutes: a third of every half hour.
  int on = 0;
  for (int s = 0; s < 1800; ++s)
    on += appliances[1].switching.on_at(kStart + std::chrono::seconds(s), kStart);
  EXPECT_EQ(on, 600);
}

TEST(ApplianceSettingsTest, ReportsEveryProblemWithItsPosition) {
  ConfigErrors errors;
  SettingsNode list = sequence(
      {map_node({{"name", scalar("kettle", 2)},
                 {"power_w", scalar("0", 3)},
                 {"pf", scalar("1.2", 4)},
                 {"schedule",
                  sequence({map_node({{"after", scalar("5s", 6)},
                                      {"for", scalar("10s", 6)},
                                      {"every", scalar("10s", 6)}}),
                            map_node({{"from", scalar("25:00", 7)}, {"to", scalar("07:05", 7)}}),
                            map_node({{"from", scalar("07:00", 8)}, {"for", scalar("1m", 8)}})},
                           5)},
                 {"colour", scalar("red", 9)}}),
       map_node({{"name", scalar("kettle", 10)}, {"power_w", scalar("100", 11)}}),
       scalar("toaster", 12)},
      1);
  read_appliances(list, 1, errors);
  EXPECT_EQ(messages(errors),
            (std::vector<std::string>{
                "t.yaml:3:5: 'power_w' = 0 is out of range [1, 100000]",
                "t.yaml:4:5: 'pf' = 1.2 is out of range [0.050000, 1.000000]",
                "t.yaml:1:1: schedule entry: 'every' must be longer than 'for'",
                "t.yaml:7:5: 'from' must be a local time HH:MM, got '25:00'",
                "t.yaml:1:1: schedule entry: either {after, for, every} or {from, to}, not both",
                "t.yaml:9:3: appliance: unknown key 'colour'",
                "t.yaml:10:5: appliance 'kettle' is listed twice",
                "t.yaml:12:5: an appliance must be a map",
            }));
}

}  // namespace
}  // namespace meterd::sim
