// SPDX-License-Identifier: Apache-2.0
// The lonworks driver against simulated nodes on loopback: readings in canonical units
// through the shipped profile, read-ahead windows that answer the next meters without new
// transactions, relay actions that switch a node and its load, and a silent node that fails
// alone.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/yaml_to_settings.h"
#include "lonworks/driver/lonworks_driver.h"
#include "sim_channel.h"

namespace meterd::lonworks {
namespace {

using testing::SimChannel;

std::shared_ptr<const LonProfile> shipped_profile() {
  std::ifstream in(METERD_SOURCE_DIR "/config/profiles/lonworks-meter.yaml");
  std::stringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto tree = yaml_to_settings(text.str(), "lonworks-meter.yaml", errors);
  auto profile = read_lon_profile(*tree, "profile", errors);
  EXPECT_TRUE(profile);
  return std::make_shared<const LonProfile>(std::move(*profile));
}

struct Fixture {
  Fixture(int nodes, std::size_t read_ahead, const std::vector<int>& silent = {})
      : sim(sim::SimLink::kLsUdp, nodes, clock) {
    for (int n : silent) {
      sim.channel().set_faults({1, static_cast<std::uint8_t>(n)},
                               sim::NodeFaults{true, Millis(0), false, false, false});
    }
    sim.start();
    std::vector<std::unique_ptr<Link>> links;
    links.push_back(sim.make_link(clock));
    auto layer = std::make_unique<MessageLayer>(MessageLayerConfig{}, std::move(links), clock);
    auto profile = shipped_profile();
    std::vector<LonMeterConfig> meters;
    for (int n = 1; n <= nodes; ++n) {
      meters.push_back(
          {"m" + std::to_string(n), Millis(150), 0, {1, static_cast<std::uint8_t>(n)}, profile});
    }
    PollGroupSpec group{"fast",
                        {"energy_total", "power_total", "voltage_a", "current_a", "pf_total",
                         "frequency", "relay_closed"},
                        Millis(10'000)};
    LonBusConfig bus{"lon", read_ahead, 2};
    driver = std::make_unique<LonWorksDriver>(bus, std::move(meters), std::vector{group},
                                              std::move(layer), clock);
    EXPECT_TRUE(driver->open());
  }
  SystemClock clock;
  SimChannel sim;
  std::unique_ptr<LonWorksDriver> driver;
};

template <typename T>
T value_of(const MeterReading& reading, const std::string& point) {
  for (const auto& v : reading.values) {
    if (v.name == point) return std::get<T>(v.value);
  }
  ADD_FAILURE() << point << " missing";
  return T{};
}

TEST(LonWorksDriver, ReadGivesTheNodesValuesInCanonicalUnits) {
  Fixture f(3, 1);
  auto reading = f.driver->read(1, 0);
  ASSERT_TRUE(reading) << reading.error().message;
  EXPECT_TRUE(reading.value().errors.empty());
  // Node 1/2: 1000 kWh + 2 kWh, SNVT_elec_kwh_l steps 0.1 kWh; 700 W steady; 230.2 V.
  const auto energy = value_of<std::int64_t>(reading.value(), "energy_total");
  EXPECT_GE(energy, 1'002'000);
  EXPECT_LT(energy, 1'002'200);
  EXPECT_EQ(energy % 100, 0);
  EXPECT_DOUBLE_EQ(value_of<double>(reading.value(), "power_total"), 700.0);
  EXPECT_DOUBLE_EQ(value_of<double>(reading.value(), "voltage_a"), 230.2);
  EXPECT_NEAR(value_of<double>(reading.value(), "current_a"), 3.2, 0.051);
  EXPECT_NEAR(value_of<double>(reading.value(), "pf_total"), 0.95, 0.0001);
  EXPECT_DOUBLE_EQ(value_of<double>(reading.value(), "frequency"), 50.0);
  EXPECT_TRUE(value_of<bool>(reading.value(), "relay_closed"));
}

TEST(LonWorksDriver, ReadAheadAnswersTheFollowingMetersWithoutNewTransactions) {
  Fixture f(8, 4);
  ASSERT_TRUE(f.driver->read(0, 0));
  const auto after_first = f.driver->layer().stats().transactions;
  EXPECT_EQ(after_first, 4u * 7u);  // meters 0..3, seven NVs each, in one window
  for (std::size_t m = 1; m < 4; ++m) {
    auto reading = f.driver->read(m, 0);
    ASSERT_TRUE(reading);
    EXPECT_DOUBLE_EQ(value_of<double>(reading.value(), "voltage_a"), 230.0 + (m + 1) / 10.0);
  }
  EXPECT_EQ(f.driver->layer().stats().transactions, after_first);
  ASSERT_TRUE(f.driver->read(4, 0));
  EXPECT_EQ(f.driver->layer().stats().transactions, after_first * 2);
}

TEST(LonWorksDriver, RelayOpenAndCloseSwitchTheNodeAndItsLoad) {
  Fixture f(2, 1);
  auto opened = f.driver->act(0, Action{"relay_open", {}, {}});
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_FALSE(value_of<bool>(opened.value(), "relay_closed"));
  auto reading = f.driver->read(0, 0);
  ASSERT_TRUE(reading);
  EXPECT_DOUBLE_EQ(value_of<double>(reading.value(), "power_total"), 0.0);
  auto closed = f.driver->act(0, Action{"relay_close", {}, {}});
  ASSERT_TRUE(closed);
  EXPECT_TRUE(value_of<bool>(closed.value(), "relay_closed"));
  reading = f.driver->read(0, 0);
  ASSERT_TRUE(reading);
  EXPECT_DOUBLE_EQ(value_of<double>(reading.value(), "power_total"), 600.0);
  EXPECT_EQ(f.driver->act(0, Action{"recharge", {}, {}}).error().kind, ErrorKind::kNotSupported);
}

TEST(LonWorksDriver, ASilentNodeFailsAloneAndIsLeftOutOfLaterWindows) {
  Fixture f(4, 4, {3});  // node 1/3 is meter index 2
  auto first = f.driver->read(0, 0);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first.value().errors.empty());
  EXPECT_TRUE(f.driver->read(1, 0));
  auto silent = f.driver->read(2, 0);  // node 1/3: timed out in the first window
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().kind, ErrorKind::kTimeout);
  EXPECT_NE(silent.error().message.find("meter 'm3'"), std::string::npos);
  EXPECT_TRUE(f.driver->read(3, 0));
  // The next window from meter 0 leaves the silent meter out.
  const auto before = f.driver->layer().stats().timeouts;
  ASSERT_TRUE(f.driver->read(0, 0));
  EXPECT_EQ(f.driver->layer().stats().timeouts, before);
}

}  // namespace
}  // namespace meterd::lonworks
