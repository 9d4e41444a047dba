// SPDX-License-Identifier: Apache-2.0
// Parameters of meter-billed accounts reach the meter too: thresholds and prices become the
// profile's actions after the gateway has stored them, and the outcome says what the meter
// made of them (fixture: engine_fixture.h).
#include <gtest/gtest.h>

#include "engine_fixture.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;

class EngineMeterParametersTest : public EngineTest {
 protected:
  // Starts `start`, answers the meter actions it submits with `answer`, returns the outcome.
  AdminOutcome run(const std::function<void(Engine::AdminDone)>& start,
                   const std::function<Result<MeterReading>(const Action&)>& answer) {
    auto outcome = std::make_shared<std::optional<AdminOutcome>>();
    start([outcome](AdminOutcome o) { *outcome = std::move(o); });
    std::size_t answered = 0;
    EXPECT_TRUE(pump_until([&] {
      while (answered < port_->submitted.size()) {
        port_->answer(answered, answer(port_->submitted[answered].action));
        ++answered;
      }
      return outcome->has_value();
    }));
    return outcome->value_or(AdminOutcome{false, "no_outcome", "", std::nullopt});
  }
  static Result<MeterReading> took(const Action&) { return MeterReading{}; }
};

TEST_F(EngineMeterParametersTest, ThresholdsOfAMeterBilledAccountAreWrittenToItsMeter) {
  start_engine(meter_mode_config(Money{50 * kUnits}));
  AlarmThresholds thresholds;
  thresholds.low_1 = Money{30 * kUnits};
  thresholds.low_2 = Money{15 * kUnits};
  const AdminOutcome outcome =
      run([&](Engine::AdminDone done) { engine_->set_thresholds("a1", thresholds, done); }, took);
  ASSERT_TRUE(outcome.ok) << outcome.message;
  ASSERT_EQ(port_->submitted.size(), 1u);
  const Action& action = port_->submitted[0].action;
  EXPECT_EQ(port_->submitted[0].meter_id, "mm");
  EXPECT_EQ(action.name, "set_alarm_thresholds");
  EXPECT_EQ(action.integers.at("alarm_limit_1"), 30 * kUnits);
  EXPECT_EQ(action.integers.at("alarm_limit_2"), 15 * kUnits);
  ASSERT_TRUE(outcome.meter_write.has_value());
  EXPECT_FALSE(outcome.meter_write->error.has_value());
}

TEST_F(EngineMeterParametersTest, TouPricesGoToTheMeterRateByRate) {
  start_engine(meter_mode_config(Money{50 * kUnits}));
  const AdminOutcome outcome = run(
      [&](Engine::AdminDone done) {
        engine_->set_tariff("a1", command_tariff(kTouJson), std::nullopt, done);
      },
      took);
  ASSERT_TRUE(outcome.ok) << outcome.message;
  ASSERT_EQ(port_->submitted.size(), 4u);
  const std::int64_t expected[] = {12000, 9000, 6000, 3000};  // sharp, peak, flat, valley
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(port_->submitted[i].action.name, "set_price");
    EXPECT_EQ(port_->submitted[i].action.integers.at("tariff"), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(port_->submitted[i].action.integers.at("price_per_kwh"), expected[i]);
  }
}

TEST_F(EngineMeterParametersTest, AMeterThatCannotTakeThemIsReportedAndTheGatewayKeepsThem) {
  start_engine(meter_mode_config(Money{50 * kUnits}));
  AlarmThresholds thresholds;
  thresholds.low_1 = Money{40 * kUnits};
  const AdminOutcome outcome =
      run([&](Engine::AdminDone done) { engine_->set_thresholds("a1", thresholds, done); },
          [](const Action&) -> Result<MeterReading> {
            return make_error(ErrorKind::kNotSupported, "profile has no action");
          });
  ASSERT_TRUE(outcome.ok);
  ASSERT_TRUE(outcome.meter_write && outcome.meter_write->error);
  EXPECT_EQ(outcome.meter_write->error->kind, ErrorKind::kNotSupported);
  EXPECT_EQ(engine_->account("a1")->thresholds.low_1, Money{40 * kUnits});
  EXPECT_EQ(event_count("meter_parameter_failed"), 1);
}

TEST_F(EngineMeterParametersTest, GatewayBilledAccountsKeepTheirParametersAtTheGateway) {
  start_engine(flat_config(Money{50 * kUnits}, Money{6543}));
  const AdminOutcome outcome =
      run([&](Engine::AdminDone done) { engine_->set_thresholds("a1", AlarmThresholds{}, done); },
          took);
  ASSERT_TRUE(outcome.ok);
  EXPECT_FALSE(outcome.meter_write.has_value());
  EXPECT_TRUE(port_->submitted.empty());
}

}  // namespace
}  // namespace meterd::test
