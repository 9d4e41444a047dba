// SPDX-License-Identifier: Apache-2.0
// Load control of one meter in virtual time: limits as commands give them, the over-power
// trip after its grace time, malignant (resistive) steps against the whitelist and its
// learning, automatic restores counted per local day.
#include <gtest/gtest.h>

#include "engine/load_guard.h"
#include "engine/load_limits.h"

namespace meterd {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

const WallTime kT0 = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2} + 2h;
constexpr std::int32_t kDay = 20260302;

LoadLimits limits_of(const json& args) {
  Result<LoadLimits> limits = parse_load_limits(args, kT0);
  EXPECT_TRUE(limits.ok()) << (limits ? "" : limits.error().message);
  return limits ? limits.value() : LoadLimits{};
}

std::string error_of(const json& args) {
  Result<LoadLimits> limits = parse_load_limits(args, kT0);
  return limits ? "" : limits.error().message;
}

TEST(LoadLimitsTest, DefaultsFillWhatTheCommandLeavesOut) {
  const LoadLimits limits = limits_of({{"max_power_w", 2200}});
  EXPECT_EQ(limits.max_power_w, 2200);
  EXPECT_EQ(limits.grace, 10s);
  EXPECT_EQ(limits.restore_after, 300s);
  EXPECT_EQ(limits.max_restores_per_day, 3);
  EXPECT_FALSE(limits.malignant.has_value());
}

TEST(LoadLimitsTest, BadMembersAreRefusedWithTheirPointer) {
  EXPECT_EQ(error_of({{"max_power_w", 0}}), "/max_power_w: an integer 1..1000000");
  EXPECT_EQ(error_of({{"max_power_w", "2200"}}), "/max_power_w: an integer 1..1000000");
  EXPECT_EQ(error_of({{"max_power_w", 100}, {"grace", 3}}), "/grace: unknown member");
  EXPECT_EQ(error_of({{"grace_s", 3}}),
            ": max_power_w or malignant, at least one limit (or {\"clear\": true})");
  EXPECT_EQ(error_of({{"malignant", {{"min_pf", "1.5"}}}}),
            "/malignant/min_pf: a power factor 0.5..1");
  EXPECT_EQ(error_of({{"malignant", {{"whitelist", {{{"step_w", 800}, {"tol", 1}}}}}}}),
            "/malignant/whitelist/0/tol: unknown member");
  EXPECT_EQ(error_of({{"malignant", {{"learn_until_ms", 5}}}}),
            "/malignant/learn_until_ms: unknown member");
}

TEST(LoadLimitsTest, StoredFormReadsBackToTheSameLimits) {
  const LoadLimits limits = limits_of({{"max_power_w", 3000},
                                       {"grace_s", 5},
                                       {"restore_after_s", 60},
                                       {"max_restores_per_day", 2},
                                       {"malignant",
                                        {{"min_step_w", 400},
                                         {"min_pf", "0.97"},
                                         {"whitelist", {{{"step_w", 1500}}}},
                                         {"learn_s", 3600}}}});
  ASSERT_TRUE(limits.malignant);
  EXPECT_EQ(limits.malignant->min_pf_milli, 970);
  EXPECT_EQ(limits.malignant->whitelist, (std::vector<ApplianceSignature>{{1500, 150}}));
  EXPECT_EQ(limits.malignant->learn_until, kT0 + 1h);
  Result<LoadLimits> back = load_limits_from_stored(load_limits_json(limits));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), limits);
}

class LoadGuardTest : public ::testing::Test {
 protected:
  LoadVerdict read(double power_w, std::optional<double> pf = std::nullopt,
                   std::int32_t day = kDay) {
    return guard_.on_reading(limits_, power_w, pf, now_, day);
  }
  LoadLimits limits_;
  LoadGuard guard_;
  WallTime now_ = kT0;
};

TEST_F(LoadGuardTest, OverPowerTripsOnlyOnceHeldPastTheGraceTime) {
  limits_ = limits_of({{"max_power_w", 2000}, {"grace_s", 10}});
  EXPECT_EQ(read(2500).kind, LoadVerdict::Kind::kNone);
  now_ += 5s;
  EXPECT_EQ(read(1800).kind, LoadVerdict::Kind::kNone);  // back under: the grace starts again
  now_ += 5s;
  EXPECT_EQ(read(2500).kind, LoadVerdict::Kind::kNone);
  now_ += 9s;
  EXPECT_EQ(read(2600).kind, LoadVerdict::Kind::kNone);
  now_ += 1s;
  const LoadVerdict trip = read(2600);
  EXPECT_EQ(trip.kind, LoadVerdict::Kind::kTrip);
  EXPECT_EQ(trip.reason, LoadTripReason::kOverload);
  EXPECT_TRUE(guard_.state().tripped);
  EXPECT_EQ(guard_.state().restore_at, now_ + 300s);
}

// The trip-time tolerance the docs state: counted from the first reading over the limit, the
// trip lands on the first reading at least grace_s later, so before grace_s + one poll
// interval, whatever the interval.
TEST_F(LoadGuardTest, OverPowerTripLandsWithinOnePollIntervalAfterTheGrace) {
  for (const auto poll : {1s, 2s, 3s, 4s, 7s, 10s, 15s}) {
    SCOPED_TRACE(poll.count());
    guard_ = LoadGuard{};
    limits_ = limits_of({{"max_power_w", 2000}, {"grace_s", 10}});
    const WallTime first = now_;
    LoadVerdict verdict = read(2500);
    while (verdict.kind != LoadVerdict::Kind::kTrip && now_ - first < 60s) {
      now_ += poll;
      verdict = read(2500);
    }
    ASSERT_EQ(verdict.kind, LoadVerdict::Kind::kTrip);
    EXPECT_EQ(verdict.over_since, first);
    EXPECT_GE(now_ - first, 10s);
    EXPECT_LT(now_ - first, 10s + poll);
    now_ += 1h;
  }
}

TEST_F(LoadGuardTest, PowerExactlyAtTheLimitIsAllowed) {
  limits_ = limits_of({{"max_power_w", 2000}, {"grace_s", 0}});
  EXPECT_EQ(read(2000).kind, LoadVerdict::Kind::kNone);
  EXPECT_EQ(read(2000.5).kind, LoadVerdict::Kind::kTrip);
}

TEST_F(LoadGuardTest, AutoRestoresStopAfterTheDailyLimitUntilAPersonRestores) {
  limits_ = limits_of({{"max_power_w", 1000},
                       {"grace_s", 0},
                       {"restore_after_s", 60},
                       {"max_restores_per_day", 2}});
  for (int restore = 1; restore <= 2; ++restore) {
    ASSERT_EQ(read(1500).kind, LoadVerdict::Kind::kTrip);
    EXPECT_FALSE(guard_.restore_due(now_ + 59s));
    now_ += 60s;
    ASSERT_TRUE(guard_.restore_due(now_));
    guard_.restore_automatically(kDay);
    EXPECT_EQ(guard_.state().restores_today, restore);
  }
  ASSERT_EQ(read(1500).kind, LoadVerdict::Kind::kTrip);
  EXPECT_FALSE(guard_.state().restore_at.has_value());  // locked
  EXPECT_FALSE(guard_.restore_due(now_ + 24h));
  EXPECT_EQ(read(0).kind, LoadVerdict::Kind::kNone);  // readings while off change nothing
  guard_.reset();
  EXPECT_FALSE(guard_.state().tripped);
  // The next local day starts a new count.
  ASSERT_EQ(read(1500, std::nullopt, kDay + 1).kind, LoadVerdict::Kind::kTrip);
  EXPECT_EQ(guard_.state().restores_today, 0);
  EXPECT_TRUE(guard_.state().restore_at.has_value());
}

TEST_F(LoadGuardTest, NoAutoRestoreWhenTheDelayIsZero) {
  limits_ = limits_of({{"max_power_w", 1000}, {"grace_s", 0}, {"restore_after_s", 0}});
  ASSERT_EQ(read(1500).kind, LoadVerdict::Kind::kTrip);
  EXPECT_FALSE(guard_.state().restore_at.has_value());
}

TEST_F(LoadGuardTest, ResistiveStepTripsButAMotorStepDoesNot) {
  limits_ = limits_of({{"malignant", {{"min_step_w", 300}, {"min_pf", "0.95"}}}});
  EXPECT_EQ(read(200, 0.80).kind, LoadVerdict::Kind::kNone);  // first reading: no step yet
  // +400 W at a total pf that falls: the step's own pf is 400 / (600/0.7 - 200/0.8) = 0.66.
  EXPECT_EQ(read(600, 0.70).kind, LoadVerdict::Kind::kNone);
  // +1000 W of pure resistance: 1600 W at pf S = 600/0.7 + 1000 -> pf 0.86 overall.
  const double total_pf = 1600 / (600 / 0.70 + 1000);
  const LoadVerdict trip = read(1600, total_pf);
  EXPECT_EQ(trip.kind, LoadVerdict::Kind::kTrip);
  EXPECT_EQ(trip.reason, LoadTripReason::kMalignantLoad);
  EXPECT_NEAR(trip.step_w, 1000, 1e-6);
  EXPECT_NEAR(trip.step_pf, 1.0, 1e-6);
}

TEST_F(LoadGuardTest, SmallStepsAndFallsAreOrdinarySwitching) {
  limits_ = limits_of({{"malignant", {{"min_step_w", 300}}}});
  read(100, 1.0);
  EXPECT_EQ(read(350, 1.0).kind, LoadVerdict::Kind::kNone);  // +250 W
  EXPECT_EQ(read(50, 1.0).kind, LoadVerdict::Kind::kNone);   // a fall
  EXPECT_EQ(read(400, 1.0).kind, LoadVerdict::Kind::kTrip);  // +350 W
}

TEST_F(LoadGuardTest, WhitelistedApplianceIsAllowedWithinItsTolerance) {
  limits_ = limits_of({{"malignant", {{"whitelist", {{{"step_w", 1500}, {"tolerance_w", 100}}}}}}});
  read(100, 1.0);
  EXPECT_EQ(read(1680, 1.0).kind, LoadVerdict::Kind::kNone);  // +1580: the kettle
  read(100, 1.0);
  EXPECT_EQ(read(1720, 1.0).kind, LoadVerdict::Kind::kTrip);  // +1620: not the kettle
}

TEST_F(LoadGuardTest, LearningAddsResistiveStepsToTheWhitelistUntilItEnds) {
  limits_ = limits_of({{"malignant", {{"learn_s", 600}}}});
  read(100, 1.0);
  const LoadVerdict learned = read(900, 1.0);
  EXPECT_EQ(learned.kind, LoadVerdict::Kind::kLearned);
  EXPECT_EQ(limits_.malignant->whitelist, (std::vector<ApplianceSignature>{{800, 80}}));
  read(100, 1.0);
  EXPECT_EQ(read(900, 1.0).kind, LoadVerdict::Kind::kNone);  // learned: allowed now
  now_ += 600s;                                              // learning is over
  read(100, 1.0);
  EXPECT_EQ(read(2100, 1.0).kind, LoadVerdict::Kind::kTrip);
}

}  // namespace
}  // namespace meterd
