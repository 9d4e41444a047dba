// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bus/plugin_loader.h"
#include "bus/test_support.h"
#include "config/yaml_to_settings.h"

namespace meterd {
namespace {

using namespace std::chrono_literals;
using testing::int_value;
using testing::map_node;
using testing::scalar;
using testing::sim_meter;

const std::vector<std::string> kEnergyPoints = {"energy_total", "energy_sharp", "energy_peak",
                                                "energy_flat", "energy_valley"};

class SimPluginTest : public ::testing::Test {
 protected:
  BusSpec bus(std::vector<MeterSpec> meters, SettingsNode settings = map_node({})) {
    BusSpec spec;
    spec.name = "sim1";
    spec.protocol = "sim";
    spec.settings = std::move(settings);
    spec.meters = std::move(meters);
    spec.groups = {{"energy", kEnergyPoints, 60s},
                   {"all",
                    {"power_total", "voltage_a", "current_a", "pf_total", "frequency",
                     "relay_closed", "balance", "purchase_count", "alarm_low_1", "bogus_point"},
                    2s}};
    return spec;
  }

  std::unique_ptr<MeterDriver> create(const BusSpec& spec, ConfigErrors& errors) {
    return registry_.plugin_for("sim").create(spec, env_, errors);
  }

  std::unique_ptr<MeterDriver> create_ok(const BusSpec& spec) {
    ConfigErrors errors;
    auto driver = create(spec, errors);
    EXPECT_TRUE(errors.empty()) << errors.all().front().to_string();
    EXPECT_TRUE(driver);
    if (driver) {
      EXPECT_TRUE(driver->open().ok());
    }
    return driver;
  }

  MeterReading read(MeterDriver& driver, std::size_t meter, std::size_t group) {
    auto result = driver.read(meter, group);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? result.value() : MeterReading{};
  }

  PluginRegistry registry_{METERD_PLUGIN_DIR};
  // 2024-03-01 00:00 UTC: the runs below cross every TOU band in any time zone.
  ManualClock clock_{WallTime{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1}}};
  DriverEnv env_{&clock_, {}};  // no state folder: nothing is kept between drivers
};

TEST_F(SimPluginTest, ReportsEverySettingsErrorWithItsPosition) {
  BusSpec spec = bus({sim_meter("m1", map_node({{"base_load_w", scalar("200000", 7)},
                                                {"fail", scalar("sometimes", 8)}})),
                      sim_meter("m2", map_node({{"colour", scalar("red", 9)}}))},
                     map_node({{"seed", scalar("abc", 2)}, {"bogus", scalar("1", 3)}}));
  ConfigErrors errors;
  EXPECT_EQ(create(spec, errors), nullptr);
  std::vector<std::string> messages;
  for (const auto& e : errors.all()) messages.push_back(e.to_string());
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "t.yaml:2:5: 'seed' must be an integer, got 'abc'",
                          "t.yaml:3:3: bus 'sim1': unknown key 'bogus'",
                          "t.yaml:7:5: 'base_load_w' = 200000 is out of range [0, 100000]",
                          "t.yaml:8:5: 'fail' must be one of none, dead, flaky, got 'sometimes'",
                          "t.yaml:9:3: meter 'm2': unknown key 'colour'",
                      }));
}

TEST_F(SimPluginTest, AcceptsMetersWithoutPluginSettings) {
  MeterSpec meter;
  meter.id = "m1";
  BusSpec spec = bus({meter}, SettingsNode{});
  auto driver = create_ok(spec);
  EXPECT_GT(int_value(read(*driver, 0, 0), "energy_total"), 0);
}

TEST_F(SimPluginTest, EnergyIsMonotonicAndTheTouBandsSumToTheTotal) {
  auto driver =
      create_ok(bus({sim_meter("m1", map_node({{"base_load_w", scalar("1000", 2)},
                                               {"initial_energy_wh", scalar("0", 3)}}))}));
  std::int64_t last = int_value(read(*driver, 0, 0), "energy_total");
  EXPECT_EQ(last, 0);
  // Irregular steps over two days, as a loaded bus would read.
  for (int i = 0; i < 2 * 24 * 12; ++i) {
    clock_.advance(std::chrono::seconds(137 + (i % 7) * 61));
    const MeterReading r = read(*driver, 0, 0);
    const std::int64_t total = int_value(r, "energy_total");
    EXPECT_GE(total, last);
    EXPECT_EQ(int_value(r, "energy_sharp") + int_value(r, "energy_peak") +
                  int_value(r, "energy_flat") + int_value(r, "energy_valley"),
              total);
    last = total;
  }
  // About 1 kW times a day profile averaging ~0.7, over ~2.4 days.
  EXPECT_GT(last, 20'000);
  EXPECT_LT(last, 80'000);
  const MeterReading r = read(*driver, 0, 0);
  for (const auto& band : kEnergyPoints) EXPECT_GT(int_value(r, band), 0) << band;
}

TEST_F(SimPluginTest, AnOpenRelayStopsConsumption) {
  auto driver = create_ok(bus({sim_meter("m1", map_node({{"base_load_w", scalar("2000", 2)}}))}));
  clock_.advance(1h);
  auto opened = driver->act(0, Action{"relay_open", {}, {}});
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(std::get<bool>(testing::find_value(opened.value(), "relay_closed")->value), false);
  const std::int64_t at_open = int_value(read(*driver, 0, 0), "energy_total");
  clock_.advance(5h);
  EXPECT_EQ(int_value(read(*driver, 0, 0), "energy_total"), at_open);
  EXPECT_EQ(std::get<double>(testing::find_value(read(*driver, 0, 1), "power_total")->value), 0.0);

  ASSERT_TRUE(driver->act(0, Action{"relay_close", {}, {}}).ok());
  clock_.advance(1h);
  EXPECT_GT(int_value(read(*driver, 0, 0), "energy_total"), at_open);
  EXPECT_GT(std::get<double>(testing::find_value(read(*driver, 0, 1), "power_total")->value), 0.0);
}

TEST_F(SimPluginTest, TheSameSeedGivesTheSameMeters) {
  auto spec_with_seed = [&](const std::string& seed) {
    return bus({sim_meter("m1"), sim_meter("m2")}, map_node({{"seed", scalar(seed, 2)}}));
  };
  auto a = create_ok(spec_with_seed("42"));
  auto b = create_ok(spec_with_seed("42"));
  auto c = create_ok(spec_with_seed("43"));
  std::vector<std::int64_t> ea, eb, ec;
  for (int i = 0; i < 30; ++i) {
    clock_.advance(17min);
    for (std::size_t m = 0; m < 2; ++m) {
      ea.push_back(int_value(read(*a, m, 0), "energy_total"));
      eb.push_back(int_value(read(*b, m, 0), "energy_total"));
      ec.push_back(int_value(read(*c, m, 0), "energy_total"));
    }
  }
  EXPECT_EQ(ea, eb);
  EXPECT_NE(ea, ec);
  EXPECT_NE(ea[0], ea[1]);  // meters on one bus differ
}

TEST_F(SimPluginTest, MeterSideBalanceFallsByEnergyTimesPriceExactly) {
  // 1.2345/kWh: a Wh costs 12.345 units, so the remainder must carry.
  auto driver =
      create_ok(bus({sim_meter("m1", map_node({{"balance", scalar("1000000", 2)},
                                               {"price_per_kwh", scalar("12345", 3)}}))}));
  const std::int64_t e0 = int_value(read(*driver, 0, 0), "energy_total");
  for (int i = 0; i < 50; ++i) {
    clock_.advance(7min);
    const std::int64_t used = int_value(read(*driver, 0, 0), "energy_total") - e0;
    EXPECT_EQ(int_value(read(*driver, 0, 1), "balance"), 1'000'000 - used * 12345 / 1000);
  }
}

TEST_F(SimPluginTest, RechargeAppliesTheNextPurchaseCountOnceAndAcceptsARepeat) {
  auto driver = create_ok(bus({sim_meter("m1", map_node({{"balance", scalar("0", 2)}}))}));
  auto recharge = [&](std::int64_t amount, std::int64_t count) {
    return driver->act(0, Action{"recharge", {{"amount", amount}, {"purchase_count", count}}, {}});
  };
  auto first = recharge(500'000, 1);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(int_value(first.value(), "balance"), 500'000);
  EXPECT_EQ(int_value(first.value(), "purchase_count"), 1);

  // A repeat of the count just applied (a retry after a crash) succeeds and changes nothing.
  auto repeated = recharge(500'000, 1);
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(int_value(repeated.value(), "balance"), 500'000);
  auto skipped = recharge(500'000, 3);
  EXPECT_EQ(skipped.error().kind, ErrorKind::kRejected);
  EXPECT_EQ(int_value(read(*driver, 0, 1), "balance"), 500'000);
  EXPECT_EQ(driver->act(0, Action{"recharge", {{"amount", 5}}, {}}).error().kind,
            ErrorKind::kInvalidArgument);
}

TEST_F(SimPluginTest, UnknownPointsAndActionsAreReportedNotFatal) {
  auto driver = create_ok(bus({sim_meter("m1")}));  // no meter-side balance
  const MeterReading r = read(*driver, 0, 1);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].name, "balance");
  EXPECT_EQ(r.errors[0].error.kind, ErrorKind::kNotSupported);
  EXPECT_EQ(r.errors[1].name, "bogus_point");
  EXPECT_EQ(r.values.size(), 8u);
  const double volts = std::get<double>(testing::find_value(r, "voltage_a")->value);
  EXPECT_NEAR(volts, 230.0, 5.0);
  EXPECT_NEAR(std::get<double>(testing::find_value(r, "frequency")->value), 50.0, 0.1);
  EXPECT_NEAR(std::get<double>(testing::find_value(r, "pf_total")->value), 0.95, 0.03);
  EXPECT_EQ(driver->act(0, Action{"self_destruct", {}, {}}).error().kind, ErrorKind::kNotSupported);
  EXPECT_EQ(driver->read(5, 0).error().kind, ErrorKind::kInvalidArgument);
}

SettingsNode yaml(const std::string& text, const std::string& file = "t.yaml") {
  ConfigErrors errors;
  auto node = yaml_to_settings(text, file, errors);
  EXPECT_TRUE(errors.empty() && node) << (errors.empty() ? "" : errors.all()[0].to_string());
  return node.value_or(SettingsNode{});
}

TEST_F(SimPluginTest, TheDormRoomProfileAndTheMetersOwnAppliancesAddUp) {
  std::ifstream in(std::string(METERD_SOURCE_DIR) + "/config/profiles/sim-dorm-room.yaml");
  std::stringstream text;
  text << in.rdbuf();
  MeterSpec room = sim_meter("room", yaml(R"(
base_load_w: 0
appliances:
  - {name: kettle, power_w: 2000, pf: 0.99, schedule: [{after: 10s, for: 1m}]}
)"));
  room.profile = "sim-dorm-room";
  room.profile_settings = std::make_shared<const SettingsNode>(yaml(text.str(), "dorm.yaml"));
  BusSpec spec = bus({room});
  spec.groups[1].points = {"power_total", "pf_total", "current_a", "current_b"};
  auto driver = create_ok(spec);
  const auto power = [&] {
    return std::get<double>(testing::find_value(read(*driver, 0, 1), "power_total")->value);
  };
  const double before = power();
  EXPECT_LE(before, 225);  // lights, charger and fridge at most; no base load
  clock_.advance(15s);
  EXPECT_EQ(power() - before, 2000);
  const MeterReading r = read(*driver, 0, 1);
  ASSERT_EQ(r.errors.size(), 1u);  // the profile's room is single-phase
  EXPECT_EQ(r.errors[0].name, "current_b");
}

TEST_F(SimPluginTest, AProfileErrorIsReportedOnceForAllItsMeters) {
  auto profile = std::make_shared<const SettingsNode>(yaml("phases: 2\ncolour: red\n", "p.yaml"));
  std::vector<MeterSpec> meters;
  for (const char* id : {"m1", "m2", "m3"}) {
    MeterSpec m = sim_meter(id);
    m.profile = "p";
    m.profile_settings = profile;
    meters.push_back(m);
  }
  ConfigErrors errors;
  EXPECT_EQ(create(bus(meters), errors), nullptr);
  std::vector<std::string> messages;
  for (const auto& e : errors.all()) messages.push_back(e.to_string());
  EXPECT_EQ(messages, (std::vector<std::string>{"p.yaml:1:9: 'phases' must be 1 or 3",
                                                "p.yaml:2:1: profile 'p': unknown key 'colour'"}));
}

TEST_F(SimPluginTest, AFlakyMeterTimesOutEveryOtherRead) {
  auto driver = create_ok(bus({sim_meter("m1", map_node({{"fail", scalar("flaky", 2)}}), 10ms)}));
  std::vector<bool> ok;
  for (int i = 0; i < 6; ++i) ok.push_back(driver->read(0, 0).ok());
  EXPECT_EQ(ok, (std::vector<bool>{true, false, true, false, true, false}));
  auto failed = driver->read(0, 0);
  ASSERT_TRUE(failed.ok());
  failed = driver->read(0, 0);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kTimeout);
}

}  // namespace
}  // namespace meterd
