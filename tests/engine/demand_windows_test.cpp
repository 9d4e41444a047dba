// SPDX-License-Identifier: Apache-2.0
// Maximum demand windows: energy spread evenly over the time between readings, windows
// aligned to their length, closed once read past, average power per window.
#include "engine/demand_windows.h"

#include <gtest/gtest.h>

namespace meterd::test {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kQuarter = 15 * kMinute;
constexpr std::int64_t kT0 = 1'772'409'600'000;  // 2026-03-02 00:00 UTC, a quarter hour
constexpr DemandGrid kGrid{kQuarter, kT0};

TEST(DemandWindows, AWindowsAveragePowerIsItsWhTimesAnHourOverItsLength) {
  DemandWindows windows;
  windows.add(kGrid, kT0, kT0 + 5 * kMinute, 100);
  windows.add(kGrid, kT0 + 5 * kMinute, kT0 + kQuarter, 200);
  EXPECT_TRUE(windows.close_through(kGrid, kT0 + kQuarter - 1).empty())
      << "a window closes only once read past its end";
  const std::vector<WindowDemand> closed = windows.close_through(kGrid, kT0 + kQuarter);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].start_ms, kT0);
  EXPECT_EQ(closed[0].w, 1200) << "300 Wh in a quarter hour is 1.2 kW";
  EXPECT_TRUE(windows.empty());
}

TEST(DemandWindows, AReadingAcrossWindowsSpreadsItsWhByTimeAndLosesNone) {
  DemandWindows windows;
  // 1001 Wh over 10:07 .. 10:52 (45 min): 8 min, 15, 15 and 7 min of it by window.
  windows.add(kGrid, kT0 + 7 * kMinute, kT0 + 52 * kMinute, 1001);
  const std::vector<WindowDemand> closed = windows.close_through(kGrid, kT0 + 60 * kMinute);
  ASSERT_EQ(closed.size(), 4u);
  std::int64_t wh = 0;
  for (const WindowDemand& window : closed) wh += window.w * kQuarter / 3'600'000;
  // floor(1001*8/45)=177, floor(1001*23/45)=511 (334), floor(1001*38/45)=845 (334), 1001 (156).
  EXPECT_EQ(closed[0].w, 177 * 4);
  EXPECT_EQ(closed[1].w, 334 * 4);
  EXPECT_EQ(closed[2].w, 334 * 4);
  EXPECT_EQ(closed[3].w, 156 * 4);
  EXPECT_EQ(wh, 1001) << "the shares add up to the reading's Wh";
  EXPECT_EQ(closed[3].start_ms, kT0 + 45 * kMinute);
}

TEST(DemandWindows, AZeroLengthReadingCountsInTheWindowOfItsTime) {
  DemandWindows windows;
  windows.add(kGrid, kT0 + 20 * kMinute, kT0 + 20 * kMinute, 50);
  windows.add(kGrid, kT0 + 20 * kMinute, kT0 + 10 * kMinute, 0);  // nothing: ignored
  const std::vector<WindowDemand> closed = windows.close_through(kGrid, kT0 + kQuarter * 2);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].start_ms, kT0 + kQuarter);
  EXPECT_EQ(closed[0].w, 200);
}

TEST(DemandWindows, WindowsStartOnTheGridsAnchorNotOnTheEpoch) {
  // A local midnight at 18:30:15 UTC (an offset of +05:29:45): windows start there.
  const std::int64_t midnight = kT0 + 18 * 60 * kMinute + 30 * kMinute + 15'000;
  const DemandGrid grid{kQuarter, midnight};
  EXPECT_EQ(grid.start_of(midnight), midnight);
  EXPECT_EQ(grid.start_of(midnight - 1), midnight - kQuarter);
  EXPECT_EQ(grid.start_of(midnight + 3 * kQuarter + 7), midnight + 3 * kQuarter);
  EXPECT_EQ(grid.start_of(midnight - 5 * kQuarter), midnight - 5 * kQuarter);
  DemandWindows windows;
  windows.add(grid, midnight - kQuarter, midnight + kQuarter, 200);
  const std::vector<WindowDemand> closed = windows.close_through(grid, midnight + kQuarter);
  ASSERT_EQ(closed.size(), 2u) << "the two windows meet at midnight";
  EXPECT_EQ(closed[0].start_ms, midnight - kQuarter);
  EXPECT_EQ(closed[1].start_ms, midnight);
  EXPECT_EQ(closed[0].w + closed[1].w, 800);
}

TEST(DemandWindows, ALongGapStaysExactWithoutOverflow) {
  DemandWindows windows;
  const std::int64_t year = 365LL * 24 * 60 * kMinute;
  const std::int64_t wh = 4'000'000'000'000;  // absurd on purpose: 128-bit shares
  windows.add(kGrid, kT0, kT0 + year, wh);
  std::int64_t sum = 0;
  for (const WindowDemand& window : windows.close_through(kGrid, kT0 + year)) {
    sum += window.w * kQuarter / 3'600'000;
  }
  EXPECT_EQ(sum, wh);
}

}  // namespace
}  // namespace meterd::test
