// SPDX-License-Identifier: Apache-2.0
// Meter billing mode at its edges, through the engine over a real store in virtual time: a
// recharge to a meter that never answers ends after `recharge_attempts` and may be sent
// again; an account whose balance is not known yet raises nothing until its meter reports one.
#include "engine_fixture.h"

namespace meterd::test {
namespace {

class MeterModeTest : public EngineTest {
 protected:
  std::int64_t events_of(const std::string& type) { return event_count(type); }
};

TEST_F(MeterModeTest, RechargeToADeadMeterFailsAfterItsAttemptsAndTheSameOrderLaterAppliesOnce) {
  BillingConfig config = meter_mode_config(Money{50 * kUnits});
  config.recharge_attempts = 3;
  start_engine(config);
  read("mm", meter_mode_reading(Money{50 * kUnits}, 4));
  std::optional<MoneyOutcome> failed;
  engine_->recharge({"r-9", "a1", Money{10 * kUnits}, "cloud"},
                    [&](MoneyOutcome o) { failed = o; });
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == i + 1; })) << "attempt " << i;
    EXPECT_EQ(port_->submitted[i].action.integers.at("purchase_count"), 5);
    port_->answer(i, make_error(ErrorKind::kTimeout, "no answer"));
    drain();
    clock_.advance(config.relay_retry_max);
    engine_->on_tick();
  }
  ASSERT_TRUE(pump_until([&] { return failed.has_value(); }));
  EXPECT_FALSE(failed->ok);
  EXPECT_EQ(failed->code, "meter_unreachable");
  EXPECT_EQ(port_->submitted.size(), 3u);
  EXPECT_EQ(events_of("recharge_failed"), 1);
  EXPECT_EQ(recharge_states("r-9"), std::vector<std::string>{"unreachable"});
  EXPECT_EQ(order_entries("r-9"), 0);
  EXPECT_EQ(live_balance(), Money{50 * kUnits});

  restart_engine(config);  // the failure is kept, but not as the order's final outcome
  read("mm", meter_mode_reading(Money{50 * kUnits}, 4));
  std::optional<MoneyOutcome> again;
  engine_->recharge({"r-9", "a1", Money{10 * kUnits}, "cloud"}, [&](MoneyOutcome o) { again = o; });
  ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == 1; }));
  EXPECT_EQ(port_->submitted[0].action.integers.at("purchase_count"), 5);
  port_->answer(0, meter_mode_reading(Money{60 * kUnits}, 5));
  ASSERT_TRUE(pump_until([&] { return again.has_value(); }));
  EXPECT_TRUE(again->ok) << again->code;
  EXPECT_FALSE(again->duplicate);
  const MoneyOutcome third = recharge("r-9", Money{10 * kUnits});
  EXPECT_TRUE(third.ok && third.duplicate);
  EXPECT_EQ(port_->submitted.size(), 1u);
  EXPECT_EQ(order_entries("r-9"), 1);
  EXPECT_EQ(ledger_sum(), 60 * kUnits);
}

TEST_F(MeterModeTest, RepeatOfAnUnreachableOrderIsRefusedOnceTheMetersCountMoved) {
  BillingConfig config = meter_mode_config(Money{50 * kUnits});
  config.recharge_attempts = 1;
  start_engine(config);
  read("mm", meter_mode_reading(Money{50 * kUnits}, 4));
  std::optional<MoneyOutcome> failed;
  engine_->recharge({"r-8", "a1", Money{10 * kUnits}, "cloud"},
                    [&](MoneyOutcome o) { failed = o; });
  ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == 1; }));
  port_->answer(0, make_error(ErrorKind::kTimeout, "no answer"));
  ASSERT_TRUE(pump_until([&] { return failed.has_value(); }));
  ASSERT_EQ(failed->code, "meter_unreachable");
  // The write may have landed after all: the meter now counts 5 and shows the money.
  read("mm", meter_mode_reading(Money{60 * kUnits}, 5));
  const MoneyOutcome repeat = recharge("r-8", Money{10 * kUnits});
  EXPECT_EQ(repeat.code, "meter_state_changed");
  EXPECT_EQ(port_->submitted.size(), 1u) << "a second write could credit the order twice";
}

TEST_F(MeterModeTest, AccountWithoutOpeningBalanceIsUnknownAndSilentUntilItsMeterReportsOne) {
  start_engine(meter_mode_config(Money{0}));
  EXPECT_EQ(engine_->account("a1")->level, AlarmLevel::kUnknown);
  EXPECT_EQ(static_cast<int>(stored_state().level), -1);
  read("mm", meter_mode_reading(Money{48 * kUnits}, 4));
  EXPECT_EQ(engine_->account("a1")->level, AlarmLevel::kNormal);
  EXPECT_EQ(live_balance(), Money{48 * kUnits});
  EXPECT_TRUE(alarm_events().empty()) << alarm_events().front();
  EXPECT_EQ(ledger_count([](const LedgerEntry& e) {
              return e.kind == "adjustment" && e.amount == Money{480000};
            }),
            1);
  EXPECT_EQ(ledger_sum(), 48 * kUnits);
  EXPECT_TRUE(port_->submitted.empty());
}

TEST_F(MeterModeTest, UnknownBalanceOpeningLowRaisesItsAlarmFromUnknown) {
  start_engine(meter_mode_config(Money{0}));
  read("mm", meter_mode_reading(Money{5 * kUnits}, 4));
  EXPECT_EQ(alarm_events(), std::vector<std::string>{"balance_low_2"});
  std::vector<std::string> from;
  for (const nlohmann::json& details : event_objects("balance_low_2")) {
    from.push_back(details.value("from", ""));
  }
  EXPECT_EQ(from, std::vector<std::string>{"unknown"});
  EXPECT_EQ(stored_balance(), 5 * kUnits);
}

}  // namespace
}  // namespace meterd::test
