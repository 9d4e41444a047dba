// SPDX-License-Identifier: Apache-2.0
// The modbus plugin (loaded as the daemon loads it) against an independent Modbus
// implementation, pymodbus 3.0.0 (pymodbus_ddsy_meter.py), over a socat pty pair at 8N1: two
// DDSY1352 meters on one line. Pins the live-block decoding (scaled values, exact) and the
// relay write as pymodbus's datastore receives it.
#include <gtest/gtest.h>

#include <filesystem>

#include "bus/plugin_loader.h"
#include "profile_fixture.h"
#include "support/process.h"
#include "support/pty_pair.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace meterd::modbus {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPython = "/usr/bin/python3";

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

const std::vector<std::string> kLive = {"voltage_a",    "current_a",   "power_total",
                                        "energy_total", "balance",     "purchase_count",
                                        "relay_closed", "meter_fault", "alarm_arrears"};

const PointScalar* find(const MeterReading& r, const std::string& name) {
  for (const auto& v : r.values) {
    if (v.name == name) return &v.value;
  }
  return nullptr;
}

class PymodbusPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string script =
        std::string(METERD_SOURCE_DIR) + "/tests/plugins/modbus/pymodbus_ddsy_meter.py";
    // Units 1 and 5 share the line; the script logs "ready" and every write to its stdout.
    peer_ = std::make_unique<::meterd::test::ChildProcess>(
        std::vector<std::string>{kPython, script, pty_.b(), "1", "5"}, dir_.file("pymodbus.log"));
    ASSERT_TRUE(::meterd::test::wait_for(
        [&] { return peer_->log().find("ready") != std::string::npos || !peer_->is_running(); },
        30s));
    ASSERT_TRUE(peer_->is_running()) << peer_->log();

    tree_ = testing::profile_tree(testing::shipped_profile_text("acrel-ddsy1352"));
    BusSpec bus;
    bus.name = "line1";
    bus.protocol = "modbus";
    bus.settings = map_of({{"device", pty_.a()},
                           {"baud", "9600"},
                           {"parity", "none"},
                           {"data_bits", "8"},
                           {"stop_bits", "1"},
                           {"recovery_wait", "100ms"}});
    for (int unit : {1, 5}) {
      MeterSpec m;
      m.id = "m" + std::to_string(unit);
      m.timeout = 2s;  // a Python peer on a loaded CI machine
      m.settings = map_of({{"address", std::to_string(unit)}});
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

  void TearDown() override {
    if (driver_) driver_->close();
  }

  ::meterd::test::TempDir dir_{"modbus-pymodbus"};
  ::meterd::test::PtyPair pty_{dir_.path()};
  std::unique_ptr<::meterd::test::ChildProcess> peer_;
  PluginRegistry registry_{METERD_PLUGIN_DIR};
  SystemClock clock_;
  DriverEnv env_{&clock_};
  std::shared_ptr<const SettingsNode> tree_;
  std::unique_ptr<MeterDriver> driver_;
};

TEST_F(PymodbusPeerTest, LiveBlockReadDecodesPymodbusRegistersExactly) {
  for (auto [index, unit] : {std::pair<std::size_t, std::int64_t>{0, 1}, {1, 5}}) {
    SCOPED_TRACE(unit);
    auto r = driver_->read(index, 0);
    ASSERT_TRUE(r.ok()) << r.error().message << "\n" << peer_->log();
    ASSERT_TRUE(r.value().errors.empty()) << r.value().errors[0].error.message;
    ASSERT_EQ(r.value().values.size(), kLive.size());
    // pymodbus_ddsy_meter.py values_for(unit), in canonical units.
    EXPECT_DOUBLE_EQ(std::get<double>(*find(r.value(), "voltage_a")), (2200 + unit) * 0.1);
    EXPECT_DOUBLE_EQ(std::get<double>(*find(r.value(), "current_a")), (512 + unit) * 0.01);
    EXPECT_DOUBLE_EQ(std::get<double>(*find(r.value(), "power_total")),
                     static_cast<double>(1100 + unit));  // x0.001 kW = W
    // u32 x 0.01 kWh = 10 Wh per count; u32 x 0.01 currency = 100 money units per count.
    EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "energy_total")), (1'234'567 + unit) * 10);
    EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "balance")), (98'765 + unit) * 100);
    EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "purchase_count")), 3);
    EXPECT_TRUE(std::get<bool>(*find(r.value(), "relay_closed")));
    EXPECT_FALSE(std::get<bool>(*find(r.value(), "meter_fault")));
    EXPECT_FALSE(std::get<bool>(*find(r.value(), "alarm_arrears")));
  }
}

TEST_F(PymodbusPeerTest, RelayTripAndCloseLandInPymodbusDatastore) {
  auto open = driver_->act(1, Action{"relay_open", {}, {}});  // unit 5
  ASSERT_TRUE(open.ok()) << open.error().message << "\n" << peer_->log();
  ASSERT_TRUE(::meterd::test::wait_for(
      [&] { return peer_->log().find("write 5 87 1,1\n") != std::string::npos; }, 10s))
      << peer_->log();
  auto close = driver_->act(1, Action{"relay_close", {}, {}});
  ASSERT_TRUE(close.ok()) << close.error().message;
  ASSERT_TRUE(::meterd::test::wait_for(
      [&] { return peer_->log().find("write 5 87 1,0\n") != std::string::npos; }, 10s))
      << peer_->log();
  auto broadcast = driver_->act(0, Action{"relay_open", {{"broadcast", 1}}, {}});
  ASSERT_TRUE(broadcast.ok()) << broadcast.error().message;
  ASSERT_TRUE(::meterd::test::wait_for(
      [&] {
        const std::string log = peer_->log();
        return log.find("write 1 87 1,1\n") != std::string::npos &&
               log.rfind("write 5 87 1,1\n") > log.find("write 5 87 1,0\n");
      },
      10s))
      << peer_->log();
  EXPECT_EQ(peer_->log().find("write 1 87 1,0"), std::string::npos);  // unit 1 never closed
  // The line is still in step after the broadcast: unit 1 answers a read.
  auto r = driver_->read(0, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<std::int64_t>(*find(r.value(), "energy_total")), 12'345'680);
}

}  // namespace
}  // namespace meterd::modbus
