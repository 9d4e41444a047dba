// SPDX-License-Identifier: Apache-2.0
// Component tests of the prepaid engine: billing, alarms, relays, money orders (the fixture is
// in engine_fixture.h).
#include <gtest/gtest.h>

#include "engine_fixture.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;

const Money kPrice{6543};  // 0.6543 per kWh

TEST_F(EngineTest, GatewayBillingIsExactAndLedgerSumsToTheBalance) {
  const Money opening{100 * kUnits};
  start_engine(flat_config(opening, kPrice));
  read("m1", gateway_reading(0, true));
  clock_.advance(60s);
  read("m1", gateway_reading(1234, true));
  clock_.advance(60s);
  const WallTime last = clock_.wall_now();
  read("m1", gateway_reading(2469, true));

  const Money expected = opening - cost_at(2469, kPrice);  // 16154: 8074 + 8080 with the carry
  EXPECT_EQ(expected, Money{1'000'000 - 16'154});
  EXPECT_EQ(live_balance(), expected);
  engine_->stop();

  EXPECT_EQ(ledger_sum(), expected.units);
  EXPECT_EQ(stored_balance(), expected.units);
  EXPECT_EQ(live_balance(), expected);
  EXPECT_EQ(billed_energy("m1"), 2469);
  EXPECT_EQ(billed_ms("m1"), to_unix_ms(last));
  EXPECT_EQ(stored_state().counters.carry_milli, 667);
}

TEST_F(EngineTest, ReadingsWithinOnePricePeriodAreCoalescedIntoFewLedgerEntries) {
  const Money opening{100 * kUnits};
  BillingConfig config = flat_config(opening, kPrice);
  config.ledger_interval = 1h;
  start_engine(config);
  std::int64_t energy = 0;
  read("m1", gateway_reading(energy, true));
  for (int minute = 1; minute <= 60; ++minute) {
    clock_.advance(1min);
    energy += 37 + minute % 5;
    read("m1", gateway_reading(energy, true));
    engine_->on_tick();
  }
  engine_->stop();

  const Money expected = opening - cost_at(energy, kPrice);
  EXPECT_EQ(live_balance(), expected);
  EXPECT_EQ(ledger_sum(), expected.units);
  EXPECT_GE(deduction_rows(), 1);
  EXPECT_LE(deduction_rows(), 2);
  EXPECT_EQ(deductions(), cost_at(energy, kPrice).units);
}

TEST_F(EngineTest, IncrementCrossingATouSwitchIsWrittenAtOnce) {
  clock_.advance(21h + 40min);  // 07:40 local the next day, valley
  start_engine(gateway_config(Money{100 * kUnits}, {"m1"}, tou_tariff(), kTouJson));
  read("m1", gateway_reading(0, true));
  clock_.advance(5min);
  read("m1", gateway_reading(1000, true));
  clock_.advance(5min);  // 07:50
  read("m1", gateway_reading(2000, true));
  EXPECT_EQ(deduction_rows(), 0) << "increments within one period wait to be coalesced";

  clock_.advance(20min);  // 08:10: 1000 Wh before 08:00 (valley), 1000 Wh after (peak)
  read("m1", gateway_reading(4000, true));
  EXPECT_EQ(deduction_rows(), 2) << "the valley entry, then the crossing increment";
  EXPECT_EQ(billed_energy("m1"), 4000);
  EXPECT_TRUE(engine_->meter("m1")->pending.empty());
  const Money cost = cost_at(3000, Money{3000}) + cost_at(1000, Money{9000});
  EXPECT_EQ(live_balance(), Money{100 * kUnits} - cost);
  EXPECT_EQ(ledger_sum(), live_balance().units);
  EXPECT_EQ(stored_balance(), live_balance().units);
}

TEST_F(EngineTest, RestartKeepsBalanceAndLevelAndBillsOnlyTheNewIncrement) {
  const Money opening{205'000};  // 20.5: 1000 Wh takes it below low_1 (20)
  const BillingConfig config = flat_config(opening, kPrice);
  start_engine(config);
  read("m1", gateway_reading(0, true));
  clock_.advance(1min);
  read("m1", gateway_reading(1000, true));
  const Money before = live_balance();
  ASSERT_EQ(before, opening - cost_at(1000, kPrice));
  ASSERT_EQ(engine_->account("a1")->level, AlarmLevel::kLow1);

  restart_engine(config);
  EXPECT_EQ(live_balance(), before);
  EXPECT_EQ(engine_->account("a1")->level, AlarmLevel::kLow1);
  clock_.advance(1min);
  read("m1", gateway_reading(1500, true));
  EXPECT_EQ(live_balance(), opening - cost_at(1500, kPrice));
  engine_->stop();
  EXPECT_EQ(ledger_sum(), live_balance().units);
  EXPECT_EQ(alarm_events(), std::vector<std::string>{"balance_low_1"});
}

TEST_F(EngineTest, CrashLosesOnlyUnwrittenIncrementsWhichAreBilledOnceFromTheCommittedReading) {
  const Money opening{100 * kUnits};
  const BillingConfig config = flat_config(opening, kPrice);
  start_engine(config);
  read("m1", gateway_reading(0, true));
  clock_.advance(5min);
  read("m1", gateway_reading(1000, true));
  clock_.advance(5min);
  read("m1", gateway_reading(2000, true));
  clock_.advance(15min);
  engine_->on_tick();  // ledger_interval passed: 0..2000 Wh is written
  clock_.advance(5min);
  read("m1", gateway_reading(3000, true));
  clock_.advance(5min);
  read("m1", gateway_reading(4000, true));
  crash_engine();
  EXPECT_EQ(billed_energy("m1"), 2000);
  EXPECT_EQ(stored_balance(), (opening - cost_at(2000, kPrice)).units);

  start_engine(config);
  EXPECT_EQ(live_balance(), opening - cost_at(2000, kPrice));
  clock_.advance(5min);
  read("m1", gateway_reading(4500, true));
  engine_->stop();
  const Money expected = opening - cost_at(4500, kPrice);
  EXPECT_EQ(live_balance(), expected);
  EXPECT_EQ(ledger_sum(), expected.units);
  EXPECT_EQ(deductions(), cost_at(4500, kPrice).units);
}

TEST_F(EngineTest, BalanceRunsDownToCutOffOpensEveryRelayAndRechargeRestoresSupply) {
  const Money price{kUnits};  // 1.0000 per kWh: 1 Wh costs 10 units
  BillingConfig config = flat_config(Money{25 * kUnits}, price, {"m1", "m2"});
  start_engine(config);
  read("m1", gateway_reading(0, true));
  read("m2", gateway_reading(0, true));
  for (std::int64_t wh : {6000, 16000, 26000}) {  // 19, 9, -1
    clock_.advance(1min);
    read("m1", gateway_reading(wh, true));
  }
  EXPECT_EQ(live_balance(), Money{-kUnits});
  ASSERT_EQ(action_names(), (std::vector<std::string>{"m1:relay_open", "m2:relay_open"}));
  port_->answer(0, relay_reading(false));
  port_->answer(1, relay_reading(false));
  drain();
  EXPECT_EQ(alarm_events(),
            (std::vector<std::string>{"balance_low_1", "balance_low_2", "cut_off"}));

  // Someone closes m2's relay by hand while the account is cut off.
  clock_.advance(10s);
  read("m2", relay_reading(true));
  ASSERT_EQ(action_names(2), std::vector<std::string>{"m2:relay_open"});
  port_->answer(2, relay_reading(false));
  drain();
  EXPECT_EQ(event_count("relay_mismatch", "m2"), 1);

  const MoneyOutcome outcome = recharge("o-1", Money{50 * kUnits});
  ASSERT_TRUE(outcome.ok) << outcome.code;
  EXPECT_EQ(outcome.balance_after, Money{49 * kUnits});
  ASSERT_EQ(action_names(3), (std::vector<std::string>{"m1:relay_close", "m2:relay_close"}));
  EXPECT_EQ(alarm_events().back(), "restored");

  // m1's close fails: retried after relay_retry_min, not before.
  port_->answer(3, make_error(ErrorKind::kTimeout, "no answer"));
  port_->answer(4, relay_reading(true));
  drain();
  engine_->on_tick();
  clock_.advance(config.relay_retry_min - 1ms);
  engine_->on_tick();
  EXPECT_EQ(port_->submitted.size(), 5u) << "retried before relay_retry_min";
  clock_.advance(1ms);
  engine_->on_tick();
  ASSERT_EQ(action_names(5), std::vector<std::string>{"m1:relay_close"});
  port_->answer(5, relay_reading(true));
  drain();
  engine_->on_tick();
  EXPECT_EQ(port_->submitted.size(), 6u);
  EXPECT_EQ(event_count("relay_action_failed"), 0)
      << "a retry that succeeds within relay_attempts is no failure";
}

TEST_F(EngineTest, BalanceHoveringAtLowOneRaisesOneAlarm) {
  start_engine(flat_config(Money{205'000}, kPrice));  // 20.5, low_1 at 20, hysteresis 1
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(refund("f-" + std::to_string(i), Money{6'000}).ok);    // 19.9
    ASSERT_TRUE(recharge("r-" + std::to_string(i), Money{6'000}).ok);  // 20.5
  }
  EXPECT_EQ(live_balance(), Money{205'000});
  EXPECT_EQ(engine_->account("a1")->level, AlarmLevel::kLow1);
  EXPECT_EQ(alarm_events(), std::vector<std::string>{"balance_low_1"});

  ASSERT_TRUE(recharge("r-up", Money{5'000}).ok);  // 21.0: a full hysteresis above low_1
  EXPECT_EQ(alarm_events(), (std::vector<std::string>{"balance_low_1", "balance_ok"}));
}

TEST_F(EngineTest, RechargeIsAppliedOnceWhenTheOrderRepeats) {
  const BillingConfig config = flat_config(Money{100 * kUnits}, kPrice);
  start_engine(config);
  std::vector<MoneyOutcome> outcomes;
  MoneyOrder order{"o-1", "a1", Money{10 * kUnits}, "cloud"};
  for (int i = 0; i < 3; ++i) {  // the later ones while the first is not committed yet
    engine_->recharge(order, [&](MoneyOutcome o) { outcomes.push_back(o); });
  }
  ASSERT_TRUE(pump_until([&] { return outcomes.size() == 3; }));
  for (const MoneyOutcome& o : outcomes) {
    EXPECT_TRUE(o.ok);
    EXPECT_EQ(o.balance_after, Money{110 * kUnits});
  }
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_TRUE(outcomes[1].duplicate);
  EXPECT_TRUE(outcomes[2].duplicate);
  const MoneyOutcome known = recharge("o-1", Money{10 * kUnits});
  EXPECT_TRUE(known.ok && known.duplicate);
  EXPECT_EQ(live_balance(), Money{110 * kUnits});

  restart_engine(config);
  const MoneyOutcome after_restart = recharge("o-1", Money{10 * kUnits});
  EXPECT_TRUE(after_restart.ok);
  EXPECT_TRUE(after_restart.duplicate);
  EXPECT_EQ(after_restart.balance_after, Money{110 * kUnits});
  EXPECT_EQ(live_balance(), Money{110 * kUnits});
  EXPECT_EQ(order_entries("o-1"), 1);
  EXPECT_EQ(ledger_sum(), 110 * kUnits);
}

TEST_F(EngineTest, RefundBeyondTheBalanceAndUnknownAccountsAreRejected) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));
  const MoneyOutcome too_much = refund("f-1", Money{100 * kUnits + 1});
  EXPECT_FALSE(too_much.ok);
  EXPECT_EQ(too_much.code, "insufficient_balance");
  const MoneyOutcome nobody = recharge("o-9", Money{kUnits}, "nobody");
  EXPECT_FALSE(nobody.ok);
  EXPECT_EQ(nobody.code, "unknown_account");
  EXPECT_EQ(order_entries("f-1") + order_entries("o-9"), 0);
  EXPECT_EQ(live_balance(), Money{100 * kUnits});
}

TEST_F(EngineTest, MeterModeRechargeIsJournaledBeforeItIsWrittenToTheMeter) {
  start_engine(meter_mode_config(Money{50 * kUnits}));
  read("mm", meter_mode_reading(Money{48 * kUnits}, 4));
  EXPECT_EQ(live_balance(), Money{48 * kUnits});
  bool journaled_first = false;
  port_->on_submit = [&](const std::string&, const Action&) {
    journaled_first =
        (store_.meter_recharge("r-1") && store_.meter_recharge("r-1")->state == "pending" &&
         store_.meter_recharge("r-1")->purchase_count == 5);
  };
  std::optional<MoneyOutcome> outcome;
  engine_->recharge({"r-1", "a1", Money{10 * kUnits}, "cloud"},
                    [&](MoneyOutcome o) { outcome = o; });
  ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == 1; }));
  EXPECT_TRUE(journaled_first);
  const SubmittedAction& action = port_->submitted[0];
  EXPECT_EQ(action.meter_id, "mm");
  EXPECT_EQ(action.action.name, "recharge");
  EXPECT_EQ(action.action.integers,
            (std::map<std::string, std::int64_t>{{"amount", 10 * kUnits}, {"purchase_count", 5}}));
  EXPECT_FALSE(outcome.has_value());

  port_->answer(0, meter_mode_reading(Money{58 * kUnits}, 5));
  ASSERT_TRUE(pump_until([&] { return outcome.has_value(); }));
  EXPECT_TRUE(outcome->ok);
  EXPECT_EQ(outcome->balance_after, Money{58 * kUnits});
  EXPECT_EQ(ledger_count([](const LedgerEntry& e) {
              return e.order_id == "r-1" && e.kind == "recharge" && e.amount == Money{100000};
            }),
            1);
  EXPECT_EQ(recharge_states("r-1"), std::vector<std::string>{"done"});
  EXPECT_EQ(ledger_sum(), 58 * kUnits);
}

TEST_F(EngineTest, MeterModeRechargeInterruptedByACrashIsResentWithTheSamePurchaseCount) {
  const BillingConfig config = meter_mode_config(Money{50 * kUnits});
  start_engine(config);
  read("mm", meter_mode_reading(Money{50 * kUnits}, 4));
  engine_->recharge({"r-2", "a1", Money{10 * kUnits}, "cloud"}, [](MoneyOutcome) {});
  ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == 1; }));
  EXPECT_EQ(port_->submitted[0].action.integers.at("purchase_count"), 5);
  crash_engine();  // the action was never answered

  start_engine(config);
  ASSERT_EQ(port_->submitted.size(), 1u) << "the pending recharge is resumed at start";
  EXPECT_EQ(port_->submitted[0].action.name, "recharge");
  EXPECT_EQ(port_->submitted[0].action.integers,
            (std::map<std::string, std::int64_t>{{"amount", 10 * kUnits}, {"purchase_count", 5}}));
  // The cloud, never answered, repeats the order while the resumed write is on its way.
  read("mm", meter_mode_reading(Money{50 * kUnits}, 4));
  std::optional<MoneyOutcome> repeated;
  engine_->recharge({"r-2", "a1", Money{10 * kUnits}, "cloud"},
                    [&](MoneyOutcome o) { repeated = o; });
  drain();  // ... and its write submitted
  EXPECT_EQ(port_->submitted.size(), 1u) << "a repeated order started a second write";
  port_->answer(0, meter_mode_reading(Money{60 * kUnits}, 5));
  ASSERT_TRUE(pump_until([&] { return repeated.has_value(); }));
  EXPECT_TRUE(repeated->ok);
  EXPECT_EQ(repeated->balance_after, Money{60 * kUnits});
  EXPECT_EQ(order_entries("r-2"), 1);
  EXPECT_EQ(recharge_states("r-2"), std::vector<std::string>{"done"});
  EXPECT_EQ(live_balance(), Money{60 * kUnits});

  const MoneyOutcome again = recharge("r-2", Money{10 * kUnits});
  EXPECT_TRUE(again.ok && again.duplicate);
  EXPECT_EQ(port_->submitted.size(), 1u);
  EXPECT_EQ(order_entries("r-2"), 1);
}

TEST_F(EngineTest, MeterModeRechargeRejectedFailsAndTimedOutIsRetriedAfterBackoff) {
  const BillingConfig config = meter_mode_config(Money{50 * kUnits});
  start_engine(config);
  read("mm", meter_mode_reading(Money{50 * kUnits}, 4));
  std::optional<MoneyOutcome> rejected;
  engine_->recharge({"r-3", "a1", Money{10 * kUnits}, "cloud"},
                    [&](MoneyOutcome o) { rejected = o; });
  ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == 1; }));
  port_->answer(0, make_error(ErrorKind::kRejected, "wrong key"));
  ASSERT_TRUE(pump_until([&] { return rejected.has_value(); }));
  EXPECT_FALSE(rejected->ok);
  EXPECT_EQ(rejected->code, "meter_rejected");
  EXPECT_EQ(recharge_states("r-3"), std::vector<std::string>{"failed"});
  EXPECT_EQ(order_entries("r-3"), 0);

  std::optional<MoneyOutcome> retried;
  engine_->recharge({"r-4", "a1", Money{10 * kUnits}, "cloud"},
                    [&](MoneyOutcome o) { retried = o; });
  ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == 2; }));
  EXPECT_EQ(port_->submitted[1].action.integers.at("purchase_count"), 5);
  port_->answer(1, make_error(ErrorKind::kTimeout, "no answer"));
  drain();
  engine_->on_tick();
  clock_.advance(config.relay_retry_min - 1ms);
  engine_->on_tick();
  EXPECT_EQ(port_->submitted.size(), 2u) << "retried before the backoff";
  clock_.advance(1ms);
  engine_->on_tick();
  ASSERT_EQ(port_->submitted.size(), 3u);
  EXPECT_EQ(port_->submitted[2].action.integers.at("purchase_count"), 5);
  port_->answer(2, meter_mode_reading(Money{60 * kUnits}, 5));
  ASSERT_TRUE(pump_until([&] { return retried.has_value(); }));
  EXPECT_TRUE(retried->ok);
  EXPECT_EQ(order_entries("r-4"), 1);
}

TEST_F(EngineTest, MeterModeRechargeTheDriverFindsInvalidFailsWithTheGatewaysCode) {
  start_engine(meter_mode_config(Money{50 * kUnits}));
  read("mm", meter_mode_reading(Money{50 * kUnits}, 4));
  std::optional<MoneyOutcome> refused;
  engine_->recharge({"r-5", "a1", Money{12'345}, "cloud"}, [&](MoneyOutcome o) { refused = o; });
  ASSERT_TRUE(pump_until([&] { return port_->submitted.size() == 1; }));
  // The driver checks the amount against the meter's resolution before it sends anything.
  port_->answer(0, make_error(ErrorKind::kInvalidArgument, "amount 12345 has finer digits"));
  ASSERT_TRUE(pump_until([&] { return refused.has_value(); }));
  EXPECT_FALSE(refused->ok);
  EXPECT_EQ(refused->code, "invalid_amount");
  EXPECT_EQ(order_entries("r-5"), 0);
}

TEST_F(EngineTest, EnergyGoingBackwardsIsReportedAndNeverBilledNegative) {
  const Money price{kUnits};
  const Money opening{100 * kUnits};
  start_engine(flat_config(opening, price));
  read("m1", gateway_reading(0, true));
  clock_.advance(1min);
  read("m1", gateway_reading(2000, true));
  clock_.advance(1min);
  read("m1", gateway_reading(500, true));  // a replaced or reset meter
  EXPECT_EQ(live_balance(), opening - cost_at(2000, price));
  clock_.advance(1min);
  read("m1", gateway_reading(800, true));
  EXPECT_EQ(live_balance(), opening - cost_at(2300, price));
  EXPECT_EQ(engine_->stats().energy_reversals, 1);
  engine_->stop();
  EXPECT_EQ(event_count("energy_reversed", "m1"), 1);
  EXPECT_EQ(ledger_count([](const LedgerEntry& e) { return e.amount > Money{0}; }), 1)
      << "only the opening credit";
  EXPECT_EQ(ledger_sum(), (opening - cost_at(2300, price)).units);
}

}  // namespace
}  // namespace meterd::test
