// SPDX-License-Identifier: Apache-2.0
#include "bus/live_read.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

using namespace std::chrono_literals;

const std::vector<PollGroupSpec> kGroups = {{"fast", {"power_total", "relay_closed"}, 1s},
                                            {"slow", {"energy_total", "power_total"}, 10s},
                                            {"tariff", {"balance"}, 60s}};

TEST(LiveReadPlanTest, ReadsEachGroupThatPollsARequestedPointOnceInGroupOrder) {
  const LiveReadPlan plan =
      plan_live_read(kGroups, {"energy_total", "power_total", "energy_total"});
  EXPECT_EQ(plan.points, (std::vector<std::string>{"energy_total", "power_total"}));
  EXPECT_EQ(plan.groups, (std::vector<std::size_t>{0, 1}));
  EXPECT_TRUE(plan.unpolled.empty());
}

TEST(LiveReadPlanTest, APointNoGroupPollsIsNotSupported) {
  const LiveReadPlan plan = plan_live_read(kGroups, {"voltage_a", "balance"});
  EXPECT_EQ(plan.groups, (std::vector<std::size_t>{2}));
  ASSERT_EQ(plan.unpolled.size(), 1u);
  EXPECT_EQ(plan.unpolled[0].name, "voltage_a");
  EXPECT_EQ(plan.unpolled[0].error.kind, ErrorKind::kNotSupported);
}

TEST(LiveReadAssembleTest, KeepsOnlyRequestedPointsInRequestOrderWithTheirErrors) {
  const LiveReadPlan plan = plan_live_read(kGroups, {"relay_closed", "voltage_a", "power_total"});
  MeterReading fast;
  fast.values = {{"power_total", 1500.0}};
  fast.errors = {{"relay_closed", make_error(ErrorKind::kException, "illegal address", 2)}};
  MeterReading slow;
  slow.values = {{"energy_total", std::int64_t{42}}, {"power_total", 9.0}};
  const MeterReading out = assemble_live_read(plan, {fast, slow});

  ASSERT_EQ(out.values.size(), 1u);
  EXPECT_EQ(out.values[0].name, "power_total");
  EXPECT_EQ(std::get<double>(out.values[0].value), 1500.0);  // the first group's
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].name, "relay_closed");
  EXPECT_EQ(out.errors[0].error.code, 2);
  EXPECT_EQ(out.errors[1].name, "voltage_a");
  EXPECT_EQ(out.errors[1].error.kind, ErrorKind::kNotSupported);
}

TEST(LiveReadAssembleTest, APointTheRepliesOmittedIsMalformed) {
  const LiveReadPlan plan = plan_live_read(kGroups, {"balance"});
  const MeterReading out = assemble_live_read(plan, {MeterReading{}});
  EXPECT_TRUE(out.values.empty());
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].error.kind, ErrorKind::kMalformed);
}

}  // namespace
}  // namespace meterd
