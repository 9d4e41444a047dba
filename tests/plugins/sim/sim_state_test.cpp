// SPDX-License-Identifier: Apache-2.0
// The sim bus's state file: registers and the latched relay survive a restart of the driver,
// the file is replaced atomically, and a corrupt or unwritable file is an event and a fresh
// start, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/driver/sim_driver.h"
#include "sim/sim/state_file.h"
#include "support/temp_dir.h"

namespace meterd::sim {
namespace {

using namespace std::chrono_literals;

const PollGroupSpec kAll{"all", {"energy_total", "balance", "purchase_count", "relay_closed"}, 2s};

SimSettings two_meters() {
  SimSettings settings;
  settings.bus.name = "line 1";  // the file name replaces the blank
  settings.bus.state_interval = 60s;
  for (const char* id : {"m1", "m2"}) {
    SimMeterConfig meter;
    meter.id = id;
    meter.params.base_load_w = 1000;
    meter.params.initial_energy_wh = 5000;
    meter.params.balance = 100'000;
    meter.params.index = settings.meters.size();
    settings.meters.push_back(meter);
  }
  return settings;
}

std::int64_t integer(const MeterReading& r, const std::string& name) {
  for (const auto& v : r.values) {
    if (v.name == name) return std::get<std::int64_t>(v.value);
  }
  return -1;
}

bool flag(const MeterReading& r, const std::string& name) {
  for (const auto& v : r.values) {
    if (v.name == name) return std::get<bool>(v.value);
  }
  return false;
}

class SimStateTest : public ::testing::Test {
 protected:
  std::unique_ptr<SimDriver> driver() {
    auto d =
        std::make_unique<SimDriver>(two_meters(), std::vector<PollGroupSpec>{kAll}, clock_, path_);
    EXPECT_TRUE(d->open().ok());
    return d;
  }
  MeterReading read(SimDriver& d, std::size_t meter) {
    auto r = d.read(meter, 0);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : MeterReading{};
  }

  test::TempDir dir_{"meterd-sim-state"};
  std::string path_ = state_file_path(dir_.path().string(), "line 1");
  ManualClock clock_{WallTime{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1}}};
};

TEST_F(SimStateTest, RegistersAndTheLatchedRelaySurviveARestart) {
  EXPECT_EQ(path_, dir_.path().string() + "/sim-line_1.json");
  std::int64_t energy_before = 0;
  {
    auto d = driver();
    clock_.advance(1h);
    ASSERT_TRUE(d->act(1, Action{"relay_open", {}, {}}).ok());
    ASSERT_TRUE(
        d->act(0, Action{"recharge", {{"amount", 50'000}, {"purchase_count", 1}}, {}}).ok());
    clock_.advance(10min);
    energy_before = integer(read(*d, 0), "energy_total");
    d->close();
  }
  clock_.advance(1min);
  auto d = driver();
  EXPECT_TRUE(d->take_events().empty());
  const MeterReading m1 = read(*d, 0);
  const MeterReading m2 = read(*d, 1);
  EXPECT_GT(integer(m1, "energy_total"), energy_before);  // a minute more at ~1 kW
  EXPECT_LT(integer(m1, "energy_total"), energy_before + 40);
  EXPECT_EQ(integer(m1, "purchase_count"), 1);
  EXPECT_LT(integer(m1, "balance"), 150'000);
  EXPECT_GT(integer(m1, "balance"), 100'000);
  EXPECT_TRUE(flag(m1, "relay_closed"));
  EXPECT_FALSE(flag(m2, "relay_closed"));  // the relay latches open
  // The recharge with the same purchase count is still a repeat, not a new purchase.
  auto again = d->act(0, Action{"recharge", {{"amount", 50'000}, {"purchase_count", 1}}, {}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(integer(again.value(), "balance"), integer(m1, "balance"));
}

TEST_F(SimStateTest, AnActionIsSavedAtOnceSoAKilledDaemonKeepsIt) {
  {
    auto d = driver();
    ASSERT_TRUE(d->act(0, Action{"relay_open", {}, {}}).ok());
    // No close(): the process is killed here.
  }
  ASSERT_TRUE(std::filesystem::exists(path_));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  auto d = driver();
  EXPECT_FALSE(flag(read(*d, 0), "relay_closed"));
}

TEST_F(SimStateTest, ReadsSaveTheStateEveryInterval) {
  auto d = driver();
  read(*d, 0);
  EXPECT_FALSE(std::filesystem::exists(path_));
  clock_.advance(61s);
  read(*d, 0);
  auto text = read_state_file(path_);
  ASSERT_TRUE(text.ok() && text.value());
  auto state = decode_bus_state(*text.value());
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state.value().saved_ms, to_unix_ms(clock_.wall_now()));
  EXPECT_EQ(state.value().meters.size(), 2u);
}

TEST_F(SimStateTest, ACorruptStateFileIsAnEventAndAFreshStart) {
  for (const std::string& garbage :
       {std::string("{\"version\":1,\"started_ms\":0,\"saved_ms\":0,\"meters\":{\"m1\":{\"energy_"
                    "wh\":\"x\"}}}"),
        std::string("\x00\xff{{{", 5), std::string("[1,2,3]"), std::string("")}) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << garbage;
    auto d = driver();
    const std::vector<DriverEvent> events = d->take_events();
    ASSERT_EQ(events.size(), 1u) << garbage;
    EXPECT_EQ(events[0].type, "sim_state_reset");
    EXPECT_EQ(events[0].meter, DriverEvent::kBusLevel);
    EXPECT_NE(events[0].details_json.find("corrupt"), std::string::npos) << events[0].details_json;
    EXPECT_EQ(integer(read(*d, 0), "energy_total"), 5000);
    d->close();  // and the next start finds a good file again
    auto text = read_state_file(path_);
    ASSERT_TRUE(text.ok() && text.value());
    EXPECT_TRUE(decode_bus_state(*text.value()).ok());
  }
}

TEST_F(SimStateTest, AnUnwritableStateFolderIsOneEventNotACrash) {
  path_ = (dir_.path() / "missing" / "sim-line_1.json").string();
  auto d = driver();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(d->act(0, Action{"relay_open", {}, {}}).ok());
  const std::vector<DriverEvent> events = d->take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "sim_state_unsaved");
}

TEST_F(SimStateTest, WithoutAStateFolderNothingIsWritten) {
  path_.clear();
  auto d = driver();
  ASSERT_TRUE(d->act(0, Action{"relay_open", {}, {}}).ok());
  d->close();
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

TEST(StateFileTest, EncodeAndDecodeAreInverse) {
  BusState state;
  state.started_ms = 1'700'000'000'000;
  state.saved_ms = 1'700'000'060'000;
  MeterState a;
  a.energy_wh = 123'456;
  a.band_wh = {1, 2, 3, 123'450};
  a.carry_wms = 3'599'999;
  a.balance = -5;
  a.cost_carry = 999;
  a.price_per_kwh = 6000;
  a.purchase_count = 7;
  a.relay_closed = false;
  MeterState b = a;
  b.balance.reset();
  state.meters = {{"a-01", a}, {"b-02", b}, {"c\"3\\", a}};  // the last id needs escaping
  auto decoded = decode_bus_state(encode_bus_state(state));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), state);
}

}  // namespace
}  // namespace meterd::sim
