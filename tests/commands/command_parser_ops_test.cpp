// SPDX-License-Identifier: Apache-2.0
// Every op parses into its typed command; targets in each of their forms.
#include <gtest/gtest.h>

#include "commands/command_parser.h"
#include "commands/command_test_payloads.h"

namespace meterd {
namespace {

using nlohmann::json;

Command parse_ok(const json& payload) {
  const ParsedCommand parsed = parse_command(payload.dump());
  if (!parsed.ok()) {
    ADD_FAILURE() << parsed.error().code << " at '" << parsed.error().path
                  << "': " << parsed.error().message << "\n  in " << payload.dump();
    return Command{};
  }
  return parsed.command();
}

json envelope(const std::string& op, json target, json args) {
  json j = {{"id", "c-1"}, {"op", op}, {"issued_at", 1732537300000}};
  if (!target.is_null()) j.update(target);
  if (!args.is_null()) j["args"] = std::move(args);
  return j;
}

TEST(CommandParserOps, RechargeHasAccountOrderAndExactAmount) {
  const Command c = parse_ok(test::recharge_command());
  EXPECT_EQ(c.id, "c-20241125-0042");
  EXPECT_EQ(c.op, CommandOp::kRecharge);
  EXPECT_EQ(c.issued_at, 1732537300000);
  EXPECT_EQ(std::get<AccountTarget>(c.target).account, "a-17");
  const auto& args = std::get<PaymentArgs>(c.args);
  EXPECT_EQ(args.order_id, "ord-9");
  EXPECT_EQ(args.amount, Money{500000});
  EXPECT_FALSE(c.sig.has_value());
}

TEST(CommandParserOps, RefundAcceptsFewerDecimalsAndTheMaximum) {
  const Command c = parse_ok(
      envelope("refund", {{"account", "a1"}}, {{"order_id", "r/1#x"}, {"amount", "1000000"}}));
  EXPECT_EQ(c.op, CommandOp::kRefund);
  EXPECT_EQ(std::get<PaymentArgs>(c.args).amount, Money{1'000'000 * 10'000LL});
  const Command small =
      parse_ok(envelope("refund", {{"account", "a1"}}, {{"order_id", "r2"}, {"amount", "0.0001"}}));
  EXPECT_EQ(std::get<PaymentArgs>(small.args).amount, Money{1});
  const Command one_decimal =
      parse_ok(envelope("refund", {{"account", "a1"}}, {{"order_id", "r3"}, {"amount", "12.5"}}));
  EXPECT_EQ(std::get<PaymentArgs>(one_decimal.args).amount, Money{125000});
}

TEST(CommandParserOps, RelayOpsTakeMeterMetersOrSelector) {
  const Command list = parse_ok(test::relay_command());
  EXPECT_EQ(list.op, CommandOp::kRelayOpen);
  EXPECT_EQ(std::get<MeterListTarget>(list.target).meters, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_TRUE(std::holds_alternative<RelayArgs>(list.args));

  const Command one = parse_ok(envelope("relay_close", {{"meter", "m-0312"}}, json::object()));
  EXPECT_EQ(one.op, CommandOp::kRelayClose);
  EXPECT_EQ(std::get<MeterTarget>(one.target).meter, "m-0312");

  const Command group = parse_ok(
      envelope("relay_close", {{"select", {{"tags", {{"building", "B1"}, {"floor", "3"}}}}}}, {}));
  const auto& tags = std::get<TagSelector>(group.target).tags;
  EXPECT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags.at("building"), "B1");
  EXPECT_EQ(tags.at("floor"), "3");
}

TEST(CommandParserOps, StatsTakesMeterAccountOrSelectorButNotAList) {
  const json args = {{"granularity", "month"}, {"from", "2026-01"}, {"to", "2026-12"}};
  const Command group =
      parse_ok(envelope("stats", {{"select", {{"tags", {{"building", "A"}}}}}}, args));
  EXPECT_EQ(group.op, CommandOp::kStats);
  EXPECT_EQ(std::get<TagSelector>(group.target).tags,
            (std::map<std::string, std::string>{{"building", "A"}}));
  EXPECT_EQ(std::get<StatsArgs>(group.args).from, 202601);
  EXPECT_TRUE(std::holds_alternative<AccountTarget>(
      parse_ok(envelope("stats", {{"account", "a1"}}, args)).target));

  const ParsedCommand list = parse_command(envelope("stats", {{"meters", {"m1"}}}, args).dump());
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().message, "stats takes meter, account, select");
  const ParsedCommand empty =
      parse_command(envelope("stats", {{"select", {{"tags", json::object()}}}}, args).dump());
  ASSERT_FALSE(empty.ok()) << "an empty selector would sum every meter";
  EXPECT_EQ(empty.error().path, "/select/tags");
}

TEST(CommandParserOps, SetTariffReadsTheTariffAndKeepsItsJsonAndEffectiveTime) {
  const json tariff = {{"id", "t2"}, {"price", "0.5800"}};
  const Command c = parse_ok(envelope("set_tariff", {{"account", "a1"}},
                                      {{"tariff", tariff}, {"effective_from", 1735689600000}}));
  EXPECT_EQ(c.op, CommandOp::kSetTariff);
  const auto& args = std::get<TariffArgs>(c.args);
  EXPECT_EQ(json::parse(args.tariff.json), tariff);
  EXPECT_EQ(args.tariff.tariff.id, "t2");
  EXPECT_EQ(args.tariff.tariff.price_per_kwh, Money{5800});
  EXPECT_EQ(args.effective_from, 1735689600000);
}

TEST(CommandParserOps, SetThresholdsReadsEveryLevel) {
  const Command c = parse_ok(envelope("set_thresholds", {{"account", "a1"}},
                                      {{"low_1", "20.0000"},
                                       {"low_2", "10"},
                                       {"cut_off", "-5.5"},
                                       {"hysteresis", "1.0000"},
                                       {"credit_limit", "5.5000"}}));
  const auto& t = std::get<ThresholdArgs>(c.args);
  EXPECT_EQ(t.low_1, Money{200000});
  EXPECT_EQ(t.low_2, Money{100000});
  EXPECT_EQ(t.cut_off, Money{-55000});
  EXPECT_EQ(t.hysteresis, Money{10000});
  EXPECT_EQ(t.credit_limit, Money{55000});
}

TEST(CommandParserOps, SetThresholdsOptionalLevelsMayBeLeftOut) {
  const Command c = parse_ok(envelope("set_thresholds", {{"account", "a1"}},
                                      {{"low_1", "5"}, {"low_2", "5"}, {"cut_off", "5"}}));
  const auto& t = std::get<ThresholdArgs>(c.args);
  EXPECT_FALSE(t.hysteresis.has_value());
  EXPECT_FALSE(t.credit_limit.has_value());
}

TEST(CommandParserOps, LoadLimitsAreReadOnceAtIntakeAndLearningCountsFromApplication) {
  const Command limits = parse_ok(
      envelope("set_load_limits", {{"meter", "m1"}},
               {{"max_power_w", 5000}, {"grace_s", 20}, {"malignant", {{"learn_s", 600}}}}));
  EXPECT_EQ(limits.op, CommandOp::kSetLoadLimits);
  const auto& order = std::get<LoadLimitsArgs>(limits.args).set;
  ASSERT_TRUE(order.has_value());
  EXPECT_EQ(order->limits.max_power_w, 5000);
  EXPECT_EQ(order->limits.grace, std::chrono::seconds(20));
  ASSERT_TRUE(order->limits.malignant.has_value());
  EXPECT_FALSE(order->limits.malignant->learn_until.has_value());
  EXPECT_EQ(order->learn_for, std::chrono::seconds(600));
  const WallTime applied = WallTime{} + std::chrono::hours(24 * 365 * 56);
  EXPECT_EQ(order->applied_at(applied).malignant->learn_until, applied + std::chrono::seconds(600));
  const Command clear = parse_ok(envelope("set_load_limits", {{"meter", "m1"}}, {{"clear", true}}));
  EXPECT_FALSE(std::get<LoadLimitsArgs>(clear.args).set.has_value());
}

TEST(CommandParserOps, SchedulesAreReadOnceAtIntake) {
  const Command schedule =
      parse_ok(envelope("set_schedule", {{"select", {{"tags", {{"building", "B1"}}}}}},
                        {{"windows", json::array({{{"from", "06:00"}, {"to", "22:00"}}})}}));
  EXPECT_EQ(schedule.op, CommandOp::kSetSchedule);
  const auto& set = std::get<ScheduleArgs>(schedule.args).set;
  ASSERT_TRUE(set.has_value());
  ASSERT_EQ(set->windows.size(), 1u);
  EXPECT_EQ(set->windows[0].from_minute, 6 * 60);
  EXPECT_EQ(set->windows[0].to_minute, 22 * 60);
  const Command clear = parse_ok(envelope("set_schedule", {{"meter", "m1"}}, {{"clear", true}}));
  EXPECT_FALSE(std::get<ScheduleArgs>(clear.args).set.has_value());
}

TEST(CommandParserOps, OpenAccountIsReadAtIntakeWithDefaultsForWhatIsNotGiven) {
  const Command full = parse_ok(envelope(
      "open_account", {{"account", "a9"}},
      {{"name", "Flat 3"},
       {"mode", "meter"},
       {"meters", {"m1"}},
       {"thresholds", {{"low_1", "30"}, {"low_2", "15"}, {"cut_off", "-2"}, {"credit_limit", "2"}}},
       {"opening_balance", "12.5000"},
       {"tariff", {{"id", "t3"}, {"price", "0.0300"}}}}));
  EXPECT_EQ(full.op, CommandOp::kOpenAccount);
  const auto& opening = std::get<OpenAccountArgs>(full.args);
  EXPECT_EQ(opening.spec.name, "Flat 3");
  EXPECT_EQ(opening.spec.mode, BillingMode::kMeter);
  EXPECT_EQ(opening.spec.meters, std::vector<std::string>{"m1"});
  EXPECT_EQ(opening.spec.thresholds.low_1, Money{300000});
  EXPECT_EQ(opening.spec.thresholds.low_2, Money{150000});
  EXPECT_EQ(opening.spec.thresholds.cut_off, Money{-20000});
  EXPECT_EQ(opening.spec.thresholds.credit_limit, Money{20000});
  EXPECT_EQ(opening.spec.thresholds.hysteresis, AlarmThresholds{}.hysteresis);
  EXPECT_EQ(opening.spec.opening_balance, Money{125000});
  ASSERT_TRUE(opening.tariff.has_value());
  EXPECT_EQ(opening.tariff->tariff.price_per_kwh, Money{300});

  const auto bare = std::get<OpenAccountArgs>(
      parse_ok(envelope("open_account", {{"account", "a9"}},
                        {{"meters", {"m1", "m2"}}, {"tariff", {{"id", "t"}, {"price", "1"}}}}))
          .args);
  EXPECT_EQ(bare.spec.name, "");  // the account id, filled in when it runs
  EXPECT_EQ(bare.spec.mode, BillingMode::kGateway);
  EXPECT_EQ(bare.spec.meters, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(bare.spec.thresholds, AlarmThresholds{});
  EXPECT_EQ(bare.spec.opening_balance, Money{0});

  // Billed by the meter itself: no tariff needed at the gateway.
  const auto by_meter =
      std::get<OpenAccountArgs>(parse_ok(envelope("open_account", {{"account", "a9"}},
                                                  {{"mode", "meter"}, {"meters", {"m1"}}}))
                                    .args);
  EXPECT_FALSE(by_meter.tariff.has_value());
}

TEST(CommandParserOps, CloseAccountAndAssignMeterAreTyped) {
  const Command close = parse_ok(envelope("close_account", {{"account", "a9"}}, json::object()));
  EXPECT_EQ(close.op, CommandOp::kCloseAccount);
  EXPECT_TRUE(std::holds_alternative<CloseAccountArgs>(close.args));
  const Command assign = parse_ok(envelope("assign_meter", {{"meter", "m1"}}, {{"account", "a9"}}));
  EXPECT_EQ(std::get<AssignMeterArgs>(assign.args).account, "a9");
}

TEST(CommandParserOps, AccountOpsAreCheckedAtIntakeWithThePathOfTheFault) {
  struct Case {
    const char* op;
    json target;
    json args;
    const char* path;
  };
  const json meters = {"m1"};
  const json tariff = {{"id", "t"}, {"price", "0.5"}};
  const std::vector<Case> cases{
      {"open_account", {{"account", "a9"}}, {{"name", 5}, {"meters", meters}}, "/args/name"},
      {"open_account", {{"account", "a9"}}, {{"name", "x"}}, "/args/meters"},
      {"open_account", {{"account", "a9"}}, {{"meters", json::array()}}, "/args/meters"},
      {"open_account", {{"account", "a9"}}, {{"meters", {"m1", "m1"}}}, "/args/meters/1"},
      {"open_account", {{"account", "a9"}}, {{"meters", {"m1", 7}}}, "/args/meters/1"},
      {"open_account",
       {{"account", "a9"}},
       {{"mode", "meter"}, {"meters", {"m1", "m2"}}},
       "/args/meters"},
      {"open_account",
       {{"account", "a9"}},
       {{"mode", "prepaid"}, {"meters", meters}},
       "/args/mode"},
      {"open_account",
       {{"account", "a9"}},
       {{"meters", meters}, {"thresholds", {{"low_1", "1"}, {"low_2", "5"}}}},
       "/args/thresholds"},
      {"open_account",
       {{"account", "a9"}},
       {{"meters", meters}, {"thresholds", {{"low_1", 20}}}},
       "/args/thresholds/low_1"},
      {"open_account",
       {{"account", "a9"}},
       {{"meters", meters}, {"thresholds", {{"lo_1", "20"}}}},
       "/args/thresholds/lo_1"},
      {"open_account",
       {{"account", "a9"}},
       {{"meters", meters}, {"opening_balance", 5}},
       "/args/opening_balance"},
      {"open_account", {{"account", "a9"}}, {{"meters", meters}}, "/args/tariff"},
      {"open_account",
       {{"account", "a9"}},
       {{"meters", meters}, {"tariff", {{"id", "t"}}}},
       "/args/tariff"},
      {"open_account",
       {{"account", "a9"}},
       {{"meters", meters}, {"tariff", tariff}, {"colour", "red"}},
       "/args/colour"},
      {"set_tariff",
       {{"account", "a9"}},
       {{"tariff", {{"id", "t"}, {"price", "free"}}}},
       "/args/tariff"},
      {"close_account", {{"account", "a9"}}, {{"now", true}}, "/args/now"},
      {"assign_meter", {{"meter", "m1"}}, json::object(), "/args/account"},
      {"assign_meter", {{"meter", "m1"}}, {{"account", "a b"}}, "/args/account"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args.dump());
    const ParsedCommand result = parse_command(envelope(c.op, c.target, c.args).dump());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "invalid") << result.error().message;
    EXPECT_EQ(result.error().path, c.path) << result.error().message;
  }
}

TEST(CommandParserOps, LoadLimitsAndSchedulesAreCheckedAtIntakeWithThePathOfTheFault) {
  struct Case {
    const char* op;
    json args;
    const char* path;
  };
  const std::vector<Case> cases{
      {"set_load_limits", {{"max_power_w", "5000"}}, "/args/max_power_w"},
      {"set_load_limits", {{"max_power_w", -5}}, "/args/max_power_w"},
      {"set_load_limits",
       {{"malignant", {{"whitelist", {{{"step_w", -1}}}}}}},
       "/args/malignant/whitelist/0/step_w"},
      {"set_load_limits", {{"clear", false}}, "/args/clear"},
      {"set_schedule", {{"windows", {{{"from", "06:00"}, {"to", "6pm"}}}}}, "/args/windows/0/to"},
      {"set_schedule", {{"relay", json::array()}}, "/args/relay"},
      {"set_schedule",
       {{"windows", {{{"days", {"mon", "funday"}}, {"from", "06:00"}, {"to", "18:00"}}}}},
       "/args/windows/0/days/1"},
      {"set_schedule", {{"holidays", {"2026-10-01", "2026-13-01"}}}, "/args/holidays/1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args.dump());
    const ParsedCommand result = parse_command(envelope(c.op, {{"meter", "m1"}}, c.args).dump());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().path, c.path);
  }
}

TEST(CommandParserOps, QueryReadsMetersAndPoints) {
  const Command c = parse_ok(
      envelope("query", {{"meters", {"m1", "m2"}}}, {{"points", {"energy_import", "voltage_a"}}}));
  EXPECT_EQ(c.op, CommandOp::kQuery);
  EXPECT_EQ(std::get<MeterListTarget>(c.target).meters.size(), 2u);
  EXPECT_EQ(std::get<QueryArgs>(c.args).points,
            (std::vector<std::string>{"energy_import", "voltage_a"}));
}

TEST(CommandParserOps, CancelAndGetResultNameAnotherCommand) {
  const Command cancel = parse_ok(envelope("cancel", nullptr, {{"command_id", "c-0041"}}));
  EXPECT_EQ(cancel.op, CommandOp::kCancel);
  EXPECT_TRUE(std::holds_alternative<NoTarget>(cancel.target));
  EXPECT_EQ(std::get<CommandRefArgs>(cancel.args).command_id, "c-0041");
  const Command get = parse_ok(envelope("get_result", nullptr, {{"command_id", "x:1"}}));
  EXPECT_EQ(get.op, CommandOp::kGetResult);
  EXPECT_EQ(std::get<CommandRefArgs>(get.args).command_id, "x:1");
}

TEST(CommandParserOps, BatchOfExplicitStepsParsesEachStep) {
  const json ops = json::array(
      {{{"op", "relay_open"}, {"meter", "m1"}},
       {{"op", "recharge"}, {"account", "a1"}, {"args", {{"order_id", "o1"}, {"amount", "1"}}}},
       {{"op", "set_tariff"},
        {"meters", {"m2", "m3"}},
        {"args", {{"tariff", {{"id", "t1"}, {"price", "0.5800"}}}}}}});
  const Command c = parse_ok(envelope("batch", nullptr, {{"ops", ops}, {"run_at", 1735689600000}}));
  EXPECT_EQ(c.op, CommandOp::kBatch);
  const auto& batch = std::get<BatchArgs>(c.args);
  EXPECT_EQ(batch.run_at, 1735689600000);
  ASSERT_EQ(batch.steps.size(), 3u);
  EXPECT_EQ(batch.steps[0].op, CommandOp::kRelayOpen);
  EXPECT_EQ(std::get<MeterTarget>(batch.steps[0].target).meter, "m1");
  EXPECT_EQ(batch.steps[1].op, CommandOp::kRecharge);
  EXPECT_EQ(std::get<PaymentArgs>(batch.steps[1].args).amount, Money{10000});
  EXPECT_EQ(batch.steps[2].op, CommandOp::kSetTariff);
  EXPECT_EQ(std::get<MeterListTarget>(batch.steps[2].target).meters.size(), 2u);
}

TEST(CommandParserOps, BatchOfOneOpOverASelectorCarriesTheSelector) {
  const json select = {{"select", {{"tags", {{"building", "B1"}}}}}};
  const Command c = parse_ok(envelope("batch", select, {{"op", "relay_close"}}));
  const auto& batch = std::get<BatchArgs>(c.args);
  EXPECT_FALSE(batch.run_at.has_value());
  ASSERT_EQ(batch.steps.size(), 1u);
  EXPECT_EQ(batch.steps[0].op, CommandOp::kRelayClose);
  EXPECT_EQ(std::get<TagSelector>(batch.steps[0].target).tags.at("building"), "B1");
  EXPECT_EQ(c.target, batch.steps[0].target);
}

TEST(CommandParserOps, BatchOfAThousandStepsIsAccepted) {
  json ops = json::array();
  for (int i = 0; i < 1000; ++i) {
    ops.push_back({{"op", "relay_open"}, {"meter", "m" + std::to_string(i)}});
  }
  const Command c = parse_ok(envelope("batch", nullptr, {{"ops", ops}}));
  EXPECT_EQ(std::get<BatchArgs>(c.args).steps.size(), 1000u);
}

TEST(CommandParserOps, SignatureIsKeptForVerification) {
  json j = test::recharge_command();
  j["sig"] = std::string(64, 'a');
  EXPECT_EQ(parse_ok(j).sig, std::string(64, 'a'));
}

TEST(CommandParserOps, EveryOpNameRoundTrips) {
  for (int i = 0; i <= static_cast<int>(CommandOp::kGetResult); ++i) {
    const auto op = static_cast<CommandOp>(i);
    EXPECT_EQ(command_op_from_string(to_string(op)), op) << to_string(op);
  }
  EXPECT_FALSE(command_op_from_string("Recharge").has_value());
}

}  // namespace
}  // namespace meterd
