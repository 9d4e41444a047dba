// SPDX-License-Identifier: Apache-2.0
// Load and time control through the engine: limits and schedules set like commands set them,
// the relay following trips, automatic restores and supply windows, everything kept across a
// restart, and relay_close as the person who restores (fixture: engine_fixture.h).
#include <gtest/gtest.h>

#include <set>

#include "engine_fixture.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

MeterReading power_reading(double power_w, bool relay_closed) {
  return MeterReading{
      {{"power_total", PointScalar{power_w}}, {"relay_closed", PointScalar{relay_closed}}}, {}};
}

MeterReading relay_answer(bool closed) { return relay_reading(closed); }

class EngineControlsTest : public EngineTest {
 protected:
  AdminOutcome await_admin(const std::function<void(Engine::AdminDone)>& start) {
    auto outcome = std::make_shared<std::optional<AdminOutcome>>();
    start([outcome](AdminOutcome o) { *outcome = std::move(o); });
    EXPECT_TRUE(pump_until([&] { return outcome->has_value(); })) << "no outcome";
    return outcome->value_or(AdminOutcome{false, "no_outcome", "", std::nullopt});
  }
  // The args as a command gives them, read the way intake reads them ({"clear": true}: none).
  template <typename T>
  static std::optional<T> intake(const json& args, Result<T> (*parse)(const json&)) {
    if (args == json{{"clear", true}}) return std::nullopt;
    Result<T> parsed = parse(args);
    EXPECT_TRUE(parsed) << args.dump();
    return parsed ? std::optional<T>(parsed.value()) : std::nullopt;
  }
  AdminOutcome set_limits(const std::string& meter, const json& args) {
    const auto order = intake(args, &parse_load_limits_order);
    return await_admin(
        [&](Engine::AdminDone done) { engine_->set_load_limits(meter, order, done); });
  }
  AdminOutcome set_schedule(const std::string& meter, const json& args) {
    const auto schedule = intake(args, &parse_supply_schedule);
    return await_admin(
        [&](Engine::AdminDone done) { engine_->set_schedule(meter, schedule, done); });
  }
  Result<MeterReading> relay_command(const std::string& meter, bool close) {
    auto result = std::make_shared<std::optional<Result<MeterReading>>>();
    const std::size_t before = port_->submitted.size();
    engine_->command_relay(meter, close, [result](Result<MeterReading> r) { *result = r; });
    EXPECT_TRUE(
        pump_until([&] { return result->has_value() || port_->submitted.size() > before; }));
    if (!result->has_value()) {
      port_->answer(port_->submitted.size() - 1, relay_answer(close));
      EXPECT_TRUE(pump_until([&] { return result->has_value(); }));
    }
    return result->value_or(make_error(ErrorKind::kInternal, "no result"));
  }
  // Waits until action `index` was submitted, checks it, and answers it as done.
  void expect_action(std::size_t index, const std::string& name) {
    ASSERT_TRUE(pump_until([&] { return port_->submitted.size() > index; }))
        << "no action " << index << " (" << name << ")";
    EXPECT_EQ(action_names(index).front(), name);
    port_->answer(index, relay_answer(name.ends_with("relay_close")));
    drain();
  }
  std::vector<std::string> control_events() {
    const std::set<std::string> types{"overload_trip",       "malignant_load_trip", "auto_restore",
                                      "load_reset",          "load_cleared",        "load_learned",
                                      "supply_schedule_off", "supply_schedule_on"};
    std::vector<std::string> out;
    for (const Event& e : store_.events) {
      if (types.count(e.type)) out.push_back(e.type + ":" + e.meter_id);
    }
    return out;
  }
  void tick() {
    engine_->on_tick();
    drain();
  }
};

const Money kPrice{6543};

TEST_F(EngineControlsTest, OverloadOpensTheRelayAndTheAutoRestoreClosesIt) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(
      set_limits("m1", {{"max_power_w", 1000}, {"grace_s", 0}, {"restore_after_s", 60}}).ok);
  read("m1", power_reading(900, true));
  drain();
  EXPECT_TRUE(port_->submitted.empty());
  read("m1", power_reading(1500, true));
  expect_action(0, "m1:relay_open");
  ASSERT_NE(engine_->load_trip("m1"), nullptr);
  EXPECT_TRUE(engine_->load_trip("m1")->tripped);
  clock_.advance(59s);
  tick();
  EXPECT_EQ(port_->submitted.size(), 1u);
  clock_.advance(1s);
  tick();
  expect_action(1, "m1:relay_close");
  EXPECT_EQ(control_events(), (std::vector<std::string>{"overload_trip:m1", "auto_restore:m1"}));
  EXPECT_EQ(engine_->stats().load_trips, 1);
  EXPECT_EQ(engine_->stats().auto_restores, 1);
}

TEST_F(EngineControlsTest, TripAndLimitsSurviveARestartAndTheRelayIsKeptOpen) {
  const BillingConfig config = flat_config(Money{100 * kUnits}, kPrice);
  start_engine(config);
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(
      set_limits("m1", {{"max_power_w", 1000}, {"grace_s", 0}, {"max_restores_per_day", 0}}).ok);
  read("m1", power_reading(1500, true));
  expect_action(0, "m1:relay_open");
  restart_engine(config);
  ASSERT_NE(engine_->load_trip("m1"), nullptr);
  EXPECT_TRUE(engine_->load_trip("m1")->tripped);
  EXPECT_FALSE(engine_->load_trip("m1")->restore_at.has_value());
  // Someone closed the relay by hand while the gateway was down: it is opened again.
  read("m1", gateway_reading(10, true));
  expect_action(0, "m1:relay_open");
  // The limits came back too: a new trip needs no new command.
  ASSERT_EQ(engine_->load_trip("m1")->reason, LoadTripReason::kOverload);
}

TEST_F(EngineControlsTest, RelayCloseCommandRestoresALockedMeter) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(
      set_limits("m1", {{"max_power_w", 1000}, {"grace_s", 0}, {"max_restores_per_day", 0}}).ok);
  read("m1", power_reading(1500, true));
  expect_action(0, "m1:relay_open");
  clock_.advance(24h);
  tick();
  EXPECT_EQ(port_->submitted.size(), 1u);  // locked: no automatic restore
  Result<MeterReading> closed = relay_command("m1", true);
  ASSERT_TRUE(closed.ok()) << closed.error().message;
  EXPECT_EQ(action_names(1), (std::vector<std::string>{"m1:relay_close"}));
  EXPECT_FALSE(engine_->load_trip("m1")->tripped);
  EXPECT_EQ(control_events(), (std::vector<std::string>{"overload_trip:m1", "load_reset:m1"}));
}

TEST_F(EngineControlsTest, ClearingTheLimitsRestoresATrippedMeter) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(set_limits("m1", {{"max_power_w", 1000}, {"grace_s", 0}}).ok);
  read("m1", power_reading(1500, true));
  expect_action(0, "m1:relay_open");
  ASSERT_TRUE(set_limits("m1", {{"clear", true}}).ok);
  expect_action(1, "m1:relay_close");
  EXPECT_EQ(engine_->load_trip("m1"), nullptr);
  read("m1", power_reading(5000, true));
  drain();
  EXPECT_EQ(port_->submitted.size(), 2u);
  // The clear is one event that says it lifted the trip (not a silent restore).
  EXPECT_EQ(control_events(), (std::vector<std::string>{"overload_trip:m1", "load_cleared:m1"}));
  EXPECT_EQ(event_details("load_cleared"),
            std::vector<std::string>{
                R"({"by":"set_load_limits","restored":true,"trip":"overload_trip"})"});
}

TEST_F(EngineControlsTest, ClearingLimitsOfAMeterNotTrippedSaysNothingWasRestored) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(set_limits("m1", {{"max_power_w", 1000}}).ok);
  ASSERT_TRUE(set_limits("m1", {{"clear", true}}).ok);
  ASSERT_TRUE(set_limits("m1", {{"clear", true}}).ok);  // nothing left to clear: no event
  EXPECT_TRUE(port_->submitted.empty());
  EXPECT_EQ(event_details("load_cleared"),
            std::vector<std::string>{R"({"by":"set_load_limits","restored":false})"});
}

TEST_F(EngineControlsTest, TripWithoutAutomaticRestoreSaysWhichLimitLocksIt) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));
  read("m1", gateway_reading(0, true));
  // restore_after_s 0: never restored automatically.
  ASSERT_TRUE(set_limits("m1", {{"max_power_w", 1000}, {"grace_s", 0}, {"restore_after_s", 0}}).ok);
  read("m1", power_reading(1500, true));
  expect_action(0, "m1:relay_open");
  ASSERT_TRUE(relay_command("m1", true).ok());
  // No restore left today.
  ASSERT_TRUE(
      set_limits("m1", {{"max_power_w", 1000}, {"grace_s", 0}, {"max_restores_per_day", 0}}).ok);
  read("m1", power_reading(1500, true));
  expect_action(2, "m1:relay_open");
  std::vector<std::string> trips;
  for (const nlohmann::json& details : event_objects("overload_trip")) {
    // locked is a JSON boolean: SQLite's json_extract gives it as 1.
    trips.push_back(std::string(details.value("locked", false) ? "1" : "0") + ":" +
                    details.value("locked_by", "") + ":" +
                    (details.contains("over_since_ms") ? "1" : "0"));
  }
  EXPECT_EQ(trips, (std::vector<std::string>{"1:restore_after_s:1", "1:max_restores_per_day:1"}));
}

TEST_F(EngineControlsTest, LearnedApplianceIsKeptAcrossARestart) {
  const BillingConfig config = flat_config(Money{100 * kUnits}, kPrice);
  start_engine(config);
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(set_limits("m1", {{"malignant", {{"learn_s", 600}}}}).ok);
  auto resistive = [](double w) {
    return MeterReading{{{"power_total", PointScalar{w}}, {"pf_total", PointScalar{1.0}}}, {}};
  };
  read("m1", resistive(100));
  read("m1", resistive(1300));  // learned: +1200 W
  restart_engine(config);
  clock_.advance(1h);  // learning is over
  read("m1", resistive(100));
  read("m1", resistive(1290));  // the learned heater
  drain();
  EXPECT_TRUE(port_->submitted.empty());
  read("m1", resistive(100));
  read("m1", resistive(2500));  // something else resistive
  expect_action(0, "m1:relay_open");
  EXPECT_EQ(control_events(),
            (std::vector<std::string>{"load_learned:m1", "malignant_load_trip:m1"}));
}

TEST_F(EngineControlsTest, ScheduleOpensTheRelayOutsideItsWindowAndClosesItInside) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));  // 10:00 local
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(set_schedule("m1", {{"windows", {{{"from", "06:00"}, {"to", "23:00"}}}}}).ok);
  drain();
  EXPECT_TRUE(port_->submitted.empty());
  EXPECT_TRUE(engine_->schedule_allows("m1"));
  clock_.advance(13h);  // 23:00
  tick();
  expect_action(0, "m1:relay_open");
  EXPECT_FALSE(engine_->schedule_allows("m1"));
  Result<MeterReading> refused = relay_command("m1", true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kRejected);
  clock_.advance(7h);  // 06:00
  tick();
  expect_action(1, "m1:relay_close");
  EXPECT_EQ(control_events(),
            (std::vector<std::string>{"supply_schedule_off:m1", "supply_schedule_on:m1"}));
  EXPECT_EQ(event_details("supply_schedule_on"),
            std::vector<std::string>{R"({"by":"schedule","relay":"closing"})"});
}

TEST_F(EngineControlsTest, ScheduleDoesNotCloseARelayOfACutOffAccount) {
  start_engine(flat_config(Money{1 * kUnits}, kPrice));
  read("m1", gateway_reading(0, true));
  ASSERT_TRUE(set_schedule("m1", {{"windows", {{{"from", "06:00"}, {"to", "23:00"}}}}}).ok);
  clock_.advance(13h);
  tick();
  expect_action(0, "m1:relay_open");
  read("m1", gateway_reading(5000, false));  // 3.27 of 1.00: cut off
  drain();
  clock_.advance(7h);
  tick();
  EXPECT_EQ(port_->submitted.size(), 1u);  // the window opened, the account is still cut off
  // ... and the event says so: the relay stays held, and by what.
  std::vector<std::string> schedule_details;
  for (const Event& e : store_.events) {
    if (e.type.starts_with("supply_schedule_")) schedule_details.push_back(e.details_json);
  }
  EXPECT_EQ(
      schedule_details,
      (std::vector<std::string>{R"({"by":"schedule"})",
                                R"({"by":"schedule","held_by":["cut_off"],"relay":"held_open"})"}));
}

TEST_F(EngineControlsTest, MeterWithoutAnAccountIsControlledToo) {
  start_engine(flat_config(Money{100 * kUnits}, kPrice));
  read("hall", power_reading(100, true));
  ASSERT_TRUE(
      set_limits("hall", {{"max_power_w", 1000}, {"grace_s", 0}, {"restore_after_s", 30}}).ok);
  read("hall", power_reading(4000, true));
  expect_action(0, "hall:relay_open");
  clock_.advance(30s);
  tick();
  expect_action(1, "hall:relay_close");
}

}  // namespace
}  // namespace meterd::test
