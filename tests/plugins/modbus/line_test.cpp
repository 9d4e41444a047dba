// SPDX-License-Identifier: Apache-2.0
// The modbus plugin (loaded as the daemon loads it) against the project simulator on the
// other end of a socat pty pair: 32 DDSY1352 meters on one line, relay, recharge, faults.
#include <gtest/gtest.h>

#include <cmath>

#include "bus/plugin_loader.h"
#include "modbus/sim/line_server.h"
#include "profile_fixture.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"

namespace meterd::modbus {
namespace {

using namespace std::chrono_literals;

SettingsNode scalar(const std::string& v) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kScalar;
  n.scalar = v;
  n.pos = {"t.yaml", 1, 1};
  return n;
}

SettingsNode map_of(std::vector<std::pair<std::string, std::string>> kv) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kMap;
  n.pos = {"t.yaml", 1, 1};
  for (auto& [k, v] : kv) n.entries.push_back({k, {"t.yaml", 1, 1}, scalar(v)});
  return n;
}

const std::vector<std::string> kLive = {"voltage_a",    "current_a",    "power_total",
                                        "energy_total", "balance",      "purchase_count",
                                        "relay_closed", "alarm_arrears"};

class ModbusLineTest : public ::testing::Test {
 protected:
  // pipeline > 1 (TCP only) sends a meter's block reads without waiting for each reply.
  void start(int meters, bool frozen = true, bool tcp = false, int pipeline = 1) {
    profile_ = testing::shipped_profile("acrel-ddsy1352");
    if (driver_profile_text_.empty()) {
      driver_profile_text_ = testing::shipped_profile_text("acrel-ddsy1352");
    }
    tree_ = testing::profile_tree(driver_profile_text_);
    std::vector<std::unique_ptr<sim::SimMeter>> sims;
    for (int u = 1; u <= meters; ++u) {
      sim::SimMeterParams p;
      p.unit = static_cast<std::uint8_t>(u);
      p.base_load_w = 500 + 10 * u;
      p.initial_energy_wh = 100'000 + 1'000 * u;  // whole 10 Wh: exact in 0.01 kWh registers
      p.balance = 1'000'000 + 100 * u;
      p.purchase_count = 4;
      p.frozen = frozen;
      sims.push_back(std::make_unique<sim::SimMeter>(profile_, p));
    }
    server_ = std::make_unique<sim::LineServer>(std::move(sims), sim::LineOptions{});
    BusSpec bus;
    bus.name = "line1";
    bus.protocol = "modbus";
    if (tcp) {
      const std::uint16_t port = server_->start_tcp(0);
      bus.settings = map_of({{"transport", "tcp"},
                             {"host", "127.0.0.1"},
                             {"port", std::to_string(port)},
                             {"recovery_wait", "100ms"},
                             {"pipeline", std::to_string(pipeline)}});
    } else {
      server_->start_rtu(pty_.b());
      bus.settings = map_of({{"device", pty_.a()}, {"baud", "9600"}, {"recovery_wait", "100ms"}});
    }
    for (int u = 1; u <= meters; ++u) {
      MeterSpec m;
      m.id = "m" + std::to_string(u);
      m.timeout = 200ms;
      m.settings = map_of({{"address", std::to_string(u)}});
      m.profile = "acrel-ddsy1352";
      m.profile_settings = tree_;
      bus.meters.push_back(std::move(m));
    }
    bus.groups = {{"live", kLive, 1s}};
    ConfigErrors errors;
    driver_ = registry_.plugin_for("modbus").create(bus, env_, errors);
    for (const auto& e : errors.all()) ADD_FAILURE() << e.to_string();
    ASSERT_TRUE(driver_);
    ASSERT_TRUE(driver_->open().ok());
  }

  PointScalar expected(int unit, const std::string& point) {
    return server_->with_meter(static_cast<std::uint8_t>(unit),
                               [&](sim::SimMeter& m) { return m.expected(point); });
  }

  // Meter 2 answers too late (FaultKind::kHeld: its reply goes out in front of the next
  // reply, inside meter 3's transaction); meters 3 and 1 must still answer with their own data.
  void expect_late_meter_costs_only_its_own_read() {
    for (int round = 0; round < 3; ++round) {
      auto late = driver_->read(1, 0);
      ASSERT_FALSE(late.ok());
      EXPECT_EQ(late.error().kind, ErrorKind::kTimeout) << late.error().message;
      for (int u : {3, 1}) {
        auto r = driver_->read(static_cast<std::size_t>(u - 1), 0);
        ASSERT_TRUE(r.ok()) << "meter " << u << " round " << round << ": " << r.error().message;
        EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "energy_total")), 100'000 + 1'000 * u);
      }
    }
  }

  // Reads meter `unit`'s live group into `reading`: every point, each the simulator's value.
  void read_own_values(int unit, MeterReading& reading) {
    auto r = driver_->read(static_cast<std::size_t>(unit - 1), 0);
    ASSERT_TRUE(r.ok()) << "meter " << unit << ": " << r.error().message;
    ASSERT_TRUE(r.value().errors.empty()) << r.value().errors[0].error.message;
    ASSERT_EQ(r.value().values.size(), kLive.size());
    for (const auto& v : r.value().values) {
      EXPECT_EQ(v.value, expected(unit, v.name)) << "meter " << unit << " point " << v.name;
    }
    reading = std::move(r.value());
  }

  void expect_every_meter_reads_its_own_values(int meters) {
    for (int u = 1; u <= meters; ++u) {
      MeterReading reading;
      ASSERT_NO_FATAL_FAILURE(read_own_values(u, reading));
    }
  }

  static const PointScalar* find(const MeterReading& r, const std::string& name) {
    for (const auto& v : r.values) {
      if (v.name == name) return &v.value;
    }
    return nullptr;
  }

  ::meterd::test::TempDir dir_{"modbus-line"};
  ::meterd::test::PtyPair pty_{dir_.path()};
  PluginRegistry registry_{METERD_PLUGIN_DIR};
  SystemClock clock_;
  DriverEnv env_{&clock_};
  std::shared_ptr<const Profile> profile_;
  std::shared_ptr<const SettingsNode> tree_;
  std::string driver_profile_text_;  // the driver's profile; empty: the shipped one
  std::unique_ptr<sim::LineServer> server_;
  std::unique_ptr<MeterDriver> driver_;
};

TEST_F(ModbusLineTest, ThirtyTwoMetersOnOneLineReadTheSimulatorsValues) {
  start(32);
  for (int u = 1; u <= 32; ++u) {
    MeterReading reading;
    ASSERT_NO_FATAL_FAILURE(read_own_values(u, reading));
    EXPECT_EQ(std::get<std::int64_t>(*find(reading, "energy_total")), 100'000 + 1'000 * u);
    EXPECT_EQ(std::get<std::int64_t>(*find(reading, "balance")), 1'000'000 + 100 * u);
    EXPECT_EQ(std::get<std::int64_t>(*find(reading, "purchase_count")), 4);
    EXPECT_NEAR(std::get<double>(*find(reading, "voltage_a")), 220.0 + 0.1 * u, 0.05);
    EXPECT_NEAR(std::get<double>(*find(reading, "power_total")), 500 + 10 * u, 1.0);
    EXPECT_TRUE(std::get<bool>(*find(reading, "relay_closed")));
  }
  EXPECT_EQ(server_->requests(), 32u);  // one 48-register read per meter
}

TEST_F(ModbusLineTest, RelayTripAndCloseChangeTheRelayBits) {
  start(3, false);
  auto open = driver_->act(1, Action{"relay_open", {}, {}});
  ASSERT_TRUE(open.ok()) << open.error().message;
  EXPECT_FALSE(std::get<bool>(*find(open.value(), "relay_closed")));
  EXPECT_FALSE(std::get<bool>(expected(2, "relay_closed")));
  EXPECT_TRUE(std::get<bool>(expected(1, "relay_closed")));  // only meter 2 tripped
  auto r = driver_->read(1, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(std::get<double>(*find(r.value(), "power_total")), 0.0);  // no consumption
  auto close = driver_->act(1, Action{"relay_close", {}, {}});
  ASSERT_TRUE(close.ok()) << close.error().message;
  EXPECT_TRUE(std::get<bool>(*find(close.value(), "relay_closed")));
  EXPECT_TRUE(std::get<bool>(expected(2, "relay_closed")));
}

TEST_F(ModbusLineTest, BroadcastTripReachesEveryMeterWithoutReply) {
  start(3);
  auto r = driver_->act(0, Action{"relay_open", {{"broadcast", 1}}, {}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (int u = 1; u <= 3; ++u) EXPECT_FALSE(std::get<bool>(expected(u, "relay_closed")));
}

TEST_F(ModbusLineTest, RechargeWritesVerifiesAndIsAppliedOnceWhenRepeated) {
  start(2);
  Action recharge{"recharge", {{"amount", 250'000}, {"purchase_count", 5}}, {}};
  auto r = driver_->act(0, recharge);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "balance")), 1'000'100 + 250'000);
  EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "purchase_count")), 5);
  const std::uint64_t requests = server_->requests();
  auto again = driver_->act(0, recharge);  // same purchase: already applied, nothing written
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(server_->requests(), requests + 1);  // the state read only
  EXPECT_EQ(std::get<std::int64_t>(expected(1, "balance")), 1'250'100);
  auto skipped = driver_->act(0, Action{"recharge", {{"amount", 100}, {"purchase_count", 9}}, {}});
  ASSERT_FALSE(skipped.ok());
  EXPECT_EQ(skipped.error().kind, ErrorKind::kRejected);
}

TEST_F(ModbusLineTest, DeadMeterTimesOutAndTheOthersStillAnswer) {
  start(3);
  server_->set_fault(2, {sim::FaultKind::kDead, 1, 0ms});
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(driver_->read(0, 0).ok());
    auto dead = driver_->read(1, 0);
    ASSERT_FALSE(dead.ok());
    EXPECT_EQ(dead.error().kind, ErrorKind::kTimeout);
    EXPECT_TRUE(driver_->read(2, 0).ok());
  }
}

TEST_F(ModbusLineTest, ExceptionReplyIsAPerPointErrorNotADeadMeter) {
  start(1);
  server_->set_fault(1, {sim::FaultKind::kException, 1, 0ms});
  auto r = driver_->read(0, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r.value().errors.size(), kLive.size());
  EXPECT_EQ(r.value().errors[0].error.kind, ErrorKind::kException);
  EXPECT_EQ(r.value().errors[0].error.code, 4);
}

// CRC errors, garbage and late replies on meter 2 while meters 1..3 are read in turn: the
// failures are counted as errors, and every successful read carries its own meter's values.
TEST_F(ModbusLineTest, FaultsNeverLeakOneTransactionsDataIntoAnother) {
  for (auto kind : {sim::FaultKind::kCrc, sim::FaultKind::kGarbage, sim::FaultKind::kLate}) {
    SCOPED_TRACE(static_cast<int>(kind));
    driver_.reset();
    server_.reset();
    start(3);
    server_->set_fault(2, {kind, 2, 300ms});  // late: after the 200ms timeout
    int failures = 0, successes = 0;
    for (int round = 0; round < 6; ++round) {
      for (int u = 1; u <= 3; ++u) {
        auto r = driver_->read(static_cast<std::size_t>(u - 1), 0);
        if (!r.ok()) {
          EXPECT_EQ(u, 2) << r.error().message;
          ++failures;
          continue;
        }
        ++successes;
        EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "energy_total")), 100'000 + 1'000 * u)
            << "meter " << u << " round " << round;
      }
    }
    EXPECT_EQ(failures + successes, 18);
    // A late reply is judged by when the driver sees it; on a loaded machine it may still
    // count, as meter 2's own data. Meters 1 and 3 never fail (asserted above).
    if (kind != sim::FaultKind::kLate) {
      EXPECT_EQ(failures, 3);
    }
  }
}

TEST_F(ModbusLineTest, LateReplyOfOneMeterDoesNotFailTheNextMetersTransaction) {
  start(3);
  server_->set_fault(2, {sim::FaultKind::kHeld, 1, 0ms});
  expect_late_meter_costs_only_its_own_read();
}

TEST_F(ModbusLineTest, LateTcpReplyOfAnEarlierTransactionIsDropped) {
  start(3, true, /*tcp=*/true);
  server_->set_fault(2, {sim::FaultKind::kHeld, 1, 0ms});
  expect_late_meter_costs_only_its_own_read();
}

// A pipeline of 4 sends all of a meter's block reads (the live group needs several) before the
// first reply: every value still lands on its own point, and a late reply of one meter inside
// the next meter's window of transaction ids costs only its own read.
TEST_F(ModbusLineTest, PipelinedTcpReadsMatchEachReplyToItsOwnBlock) {
  // The shipped profile reads the live points in one block: without it and with no gap
  // allowed, the driver reads the live group in several blocks (the simulator is unchanged).
  std::string text = testing::shipped_profile_text("acrel-ddsy1352");
  const auto blocks = text.find("read_blocks:");
  const auto points = text.find("points:");
  ASSERT_TRUE(blocks != std::string::npos && points != std::string::npos && blocks < points);
  text.erase(blocks, points - blocks);
  const auto gap = text.find("max_gap: 8");
  ASSERT_NE(gap, std::string::npos);
  text.replace(gap, 10, "max_gap: 0");
  driver_profile_text_ = text;
  start(8, true, /*tcp=*/true, /*pipeline=*/4);
  const std::uint64_t before = server_->requests();
  expect_every_meter_reads_its_own_values(8);
  EXPECT_GE(server_->requests() - before, 4U * 8) << "the live group must need several blocks";
  server_->set_fault(2, {sim::FaultKind::kHeld, 1, 0ms});
  expect_late_meter_costs_only_its_own_read();
}

TEST_F(ModbusLineTest, PipelineIsRefusedOnAnRtuLine) {
  profile_ = testing::shipped_profile("acrel-ddsy1352");
  tree_ = testing::profile_tree(testing::shipped_profile_text("acrel-ddsy1352"));
  BusSpec bus;
  bus.name = "line1";
  bus.protocol = "modbus";
  bus.settings = map_of({{"device", pty_.a()}, {"baud", "9600"}, {"pipeline", "4"}});
  ConfigErrors errors;
  auto driver = registry_.plugin_for("modbus").create(bus, env_, errors);
  ASSERT_FALSE(errors.all().empty());
  EXPECT_NE(errors.all()[0].to_string().find("pipeline"), std::string::npos)
      << errors.all()[0].to_string();
}

// An amount finer than the balance register (0.01) could only be written rounded: refused
// as the gateway's argument error before any frame reaches the meter. So is a threshold.
TEST_F(ModbusLineTest, ArgumentFinerThanTheRegisterIsRefusedBeforeAnyFrame) {
  start(1);
  const std::uint64_t requests = server_->requests();
  auto recharge =
      driver_->act(0, Action{"recharge", {{"amount", 12'345}, {"purchase_count", 5}}, {}});
  ASSERT_FALSE(recharge.ok());
  EXPECT_EQ(recharge.error().kind, ErrorKind::kInvalidArgument) << recharge.error().message;
  auto limits = driver_->act(
      0,
      Action{"set_alarm_thresholds", {{"alarm_limit_1", 100'050}, {"alarm_limit_2", 50'000}}, {}});
  ASSERT_FALSE(limits.ok());
  EXPECT_EQ(limits.error().kind, ErrorKind::kInvalidArgument) << limits.error().message;
  EXPECT_EQ(server_->requests(), requests);
  EXPECT_EQ(std::get<std::int64_t>(expected(1, "balance")), 1'000'100);
}

}  // namespace
}  // namespace meterd::modbus
