// SPDX-License-Identifier: Apache-2.0
// What the health report and meterctl's reports are made of: the clock watch raises one event
// per transition, the override file replaces the kernel's answer, the meter board follows the
// bus outputs, and the configuration fingerprint follows the files' bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "app/clock_state.h"
#include "app/config_fingerprint.h"
#include "app/meter_board.h"

namespace meterd {
namespace {

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("meterd-gateway-watch-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(ClockWatch, RaisesOneEventPerTransitionAndNoneForAFirstSynchronizedClock) {
  ClockWatch fine;
  EXPECT_EQ(fine.observe(true), nullptr);
  EXPECT_EQ(fine.observe(true), nullptr);
  EXPECT_STREQ(fine.observe(false), "clock_unsynchronized");
  EXPECT_EQ(fine.observe(false), nullptr);
  EXPECT_STREQ(fine.observe(true), "clock_synchronized");

  ClockWatch unsynced_at_start;
  EXPECT_STREQ(unsynced_at_start.observe(false), "clock_unsynchronized");
  EXPECT_EQ(unsynced_at_start.observe(false), nullptr);
}

TEST(ClockState, TheTestOverrideFileReplacesTheKernelsAnswerOnlyWhenItSaysAState) {
  const auto file = scratch("clock");
  std::ofstream(file) << "  unsynchronized\n";
  ClockState state = read_clock_state(file.string());
  EXPECT_FALSE(state.synchronized);
  EXPECT_EQ(state.source, "test_override");
  std::ofstream(file) << "synchronized";
  EXPECT_TRUE(read_clock_state(file.string()).synchronized);
  std::ofstream(file) << "maybe";
  EXPECT_EQ(read_clock_state(file.string()).source, "kernel");
  EXPECT_EQ(read_clock_state((file.string() + ".missing")).source, "kernel");
  EXPECT_EQ(read_clock_state("").source, "kernel");
}

TEST(MeterBoard, AMeterIsUnknownUntilItsFirstResultThenFollowsItsStateChanges) {
  MeterBoard board;
  board.set_meters({{"m1", "bus1"}, {"m2", "bus1"}});
  EXPECT_EQ(board.count(MeterLink::kUnknown), 2);
  const WallTime t1 = WallTime{std::chrono::seconds(1000)};
  board.seen(MeterPolled{"m1", "fast", t1, {}});
  EXPECT_EQ(board.entries()[0].link, MeterLink::kOnline);
  EXPECT_EQ(board.entries()[0].since, t1);
  const WallTime t2 = WallTime{std::chrono::seconds(2000)};
  board.seen(MeterStateChanged{"m2", false, t2, "timeout"});
  EXPECT_EQ(board.entries()[1].link, MeterLink::kOffline);
  EXPECT_EQ(board.entries()[1].offline_reason, "timeout");
  EXPECT_EQ(board.count(MeterLink::kOnline), 1);
  EXPECT_EQ(board.count(MeterLink::kOffline), 1);
  board.seen(MeterPolled{"elsewhere", "fast", t2, {}});  // not configured: ignored
  // A reload keeps what is known of the meters that stay.
  board.set_meters({{"m2", "bus2"}, {"m3", "bus2"}});
  ASSERT_EQ(board.entries().size(), 2u);
  EXPECT_EQ(board.entries()[0].link, MeterLink::kOffline);
  EXPECT_EQ(board.entries()[0].bus, "bus2");
  EXPECT_EQ(board.entries()[1].link, MeterLink::kUnknown);
}

TEST(ConfigFingerprint, FollowsTheBytesOfTheMainFileAndItsDropIns) {
  const auto main = scratch("site.yaml");
  std::filesystem::remove_all(scratch("conf.d"));
  std::ofstream(main) << "gateway_id: a\n";
  const std::string first = config_fingerprint(main.string());
  EXPECT_TRUE(first.starts_with("sha256:")) << first;
  EXPECT_EQ(first.size(), 7u + 64u);
  EXPECT_EQ(config_fingerprint(main.string()), first);
  std::filesystem::create_directories(scratch("conf.d"));
  std::ofstream(scratch("conf.d") / "10-x.yaml") << "log_level: debug\n";
  const std::string with_drop_in = config_fingerprint(main.string());
  EXPECT_NE(with_drop_in, first);
  std::ofstream(main) << "gateway_id: b\n";
  EXPECT_NE(config_fingerprint(main.string()), with_drop_in);
  EXPECT_EQ(config_fingerprint(scratch("none.yaml").string()), "");
  std::filesystem::remove_all(main.parent_path());
}

}  // namespace
}  // namespace meterd
