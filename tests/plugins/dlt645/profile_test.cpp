// SPDX-License-Identifier: Apache-2.0
// Profiles as data (the shipped YAML files equal the built-in tables; overrides; errors) and
// the plugin's settings validation, loaded as the daemon loads it.
#include "dlt645/driver/profile.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bus/plugin_loader.h"
#include "config/yaml_to_settings.h"

namespace meterd::dlt645 {
namespace {

SettingsNode yaml(const std::string& text) {
  ConfigErrors errors;
  auto node = yaml_to_settings(text, "t.yaml", errors);
  EXPECT_TRUE(errors.empty() && node) << (errors.empty() ? "" : errors.all()[0].to_string());
  return node.value_or(SettingsNode{});
}

SettingsNode yaml_file(const std::string& name) {
  std::ifstream in(std::string(METERD_SOURCE_DIR) + "/config/profiles/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return yaml(text.str());
}

std::vector<std::string> messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors.all()) out.push_back(e.to_string());
  return out;
}

void expect_same_points(const Profile& a, const Profile& b) {
  ASSERT_EQ(a.points.size(), b.points.size());
  for (const auto& format : b.points) {
    const Dlt645PointFormat* other = a.find(format.point);
    ASSERT_NE(other, nullptr) << format.point;
    EXPECT_EQ(other->id, format.id) << format.point;
    EXPECT_EQ(other->encoding, format.encoding) << format.point;
    EXPECT_EQ(other->bcd, format.bcd) << format.point;
    EXPECT_EQ(other->exponent, format.exponent) << format.point;
    EXPECT_EQ(other->bit, format.bit) << format.point;
    EXPECT_EQ(other->bit_set_means, format.bit_set_means) << format.point;
  }
}

TEST(Dlt645ProfileTest, ShippedProfileFilesEqualTheBuiltInTables) {
  for (auto [file, variant] : {std::pair{"dlt645-2007-default.yaml", Version::k2007},
                               std::pair{"dlt645-1997-default.yaml", Version::k1997}}) {
    ConfigErrors errors;
    auto profile = read_profile(yaml_file(file), std::nullopt, file, errors);
    ASSERT_TRUE(profile) << messages(errors)[0];
    EXPECT_EQ(profile->variant, variant);
    expect_same_points(*profile, default_profile(variant));
    EXPECT_EQ(profile->recharge.has_value(), variant == Version::k2007);
  }
}

TEST(Dlt645ProfileTest, PointsOverrideAndAddToTheDefault) {
  ConfigErrors errors;
  auto profile = read_profile(yaml(R"(
points:
  balance: {di: "00 90 02 00", format: XXXXXX.XXXX, scale: 4}
  alarm_low_1: {di: "04 00 05 03", format: status_bit, bit: 7}
actions:
  recharge: {di: "04 90 00 01", layout: [{field: purchase_count, format: NNNN},
                                         {field: amount, format: XXXXXXXX.XX}]}
)"),
                              std::nullopt, "profile 'x'", errors);
  ASSERT_TRUE(profile) << messages(errors)[0];
  EXPECT_EQ(profile->points.size(), default_profile(Version::k2007).points.size() + 1);
  EXPECT_EQ(profile->find("balance")->bcd, (BcdFormat{5, 4, false}));
  EXPECT_EQ(profile->find("alarm_low_1")->encoding, ValueEncoding::kStatusBit);
  EXPECT_EQ(profile->find("alarm_low_1")->bit, 7);
  ASSERT_TRUE(profile->recharge);
  EXPECT_EQ(profile->recharge->id, 0x04900001u);
  EXPECT_EQ(profile->recharge->layout[0].kind, RechargeField::Kind::kPurchaseCount);
  EXPECT_EQ(profile->recharge->layout[1].format, (BcdFormat{5, 2, false}));
}

TEST(Dlt645ProfileTest, ReportsEveryProblemWithItsPosition) {
  ConfigErrors errors;
  auto profile = read_profile(yaml(R"(variant: 1997
points:
  energy_total: {di: "00 01 00 00", format: XXXXXX.XX}
  volts: {di: "B6 11", format: XXX}
  voltage_a: {di: "B6 11", format: XXY}
  relay_closed: {di: "B6 11", format: status_bit, bit: 20}
)"),
                              std::nullopt, "profile 'p'", errors);
  EXPECT_FALSE(profile);
  EXPECT_EQ(messages(errors),
            (std::vector<std::string>{
                "t.yaml:3:22: profile 'p' point 'energy_total': di '00 01 00 00' must be 2 hex "
                "bytes for DL/T 645-1997",
                "t.yaml:4:3: profile 'p' point 'volts': not a meterd point name",
                "t.yaml:5:36: profile 'p' point 'voltage_a': format 'XXY' is neither status_bit "
                "nor like XXXXXX.XX",
                "t.yaml:6:17: profile 'p' point 'relay_closed': bit outside the status word",
            }));
}

TEST(Dlt645ProfileTest, BcdFormatsParseFromTheirDigitPictures) {
  EXPECT_EQ(parse_bcd_format("XXXXXX.XX"), (BcdFormat{4, 2, false}));
  EXPECT_EQ(parse_bcd_format("XXX.XXX", true), (BcdFormat{3, 3, true}));
  EXPECT_EQ(parse_bcd_format("NNNN"), (BcdFormat{2, 0, false}));
  EXPECT_EQ(parse_bcd_format("XXX"), (BcdFormat{2, 0, false}));  // top nibble unused
  EXPECT_FALSE(parse_bcd_format(""));
  EXPECT_FALSE(parse_bcd_format("XX.X.X"));
}

// ---- the plugin's settings, through the daemon's loader ----------------------------------

class Dlt645PluginTest : public ::testing::Test {
 protected:
  std::vector<std::string> create(const std::string& bus_yaml,
                                  const std::vector<std::string>& meter_yaml) {
    BusSpec bus;
    bus.name = "line1";
    bus.protocol = "dlt645";
    bus.settings = yaml(bus_yaml);
    for (std::size_t i = 0; i < meter_yaml.size(); ++i) {
      MeterSpec meter;
      meter.id = "m" + std::to_string(i + 1);
      meter.settings = yaml(meter_yaml[i]);
      bus.meters.push_back(std::move(meter));
    }
    bus.groups = {{"all", {"energy_total"}, std::chrono::seconds(10)}};
    ConfigErrors errors;
    auto driver = registry_.plugin_for("dlt645").create(bus, env_, errors);
    EXPECT_EQ(driver == nullptr, !errors.empty());
    return messages(errors);
  }

  PluginRegistry registry_{METERD_PLUGIN_DIR};
  SystemClock clock_;
  DriverEnv env_{&clock_};
};

TEST_F(Dlt645PluginTest, AcceptsAValidBus) {
  EXPECT_TRUE(create("{device: /dev/ttyS1, baud: 9600, parity: none, password: \"02123456\", "
                     "operator_code: \"0000ABCD\", command_validity: 5m}",
                     {"{address: \"000000000001\"}", "{address: \"000000001997\", variant: 1997}"})
                  .empty());
  EXPECT_TRUE(create("{device: /dev/ttyS1}", {"{address: auto}"}).empty());
}

TEST_F(Dlt645PluginTest, ReportsEverySettingsError) {
  EXPECT_EQ(create("{baud: 300, parity: mark, password: \"123\"}",
                   {"{address: auto}", "{address: \"12345\"}", "{address: \"000000000007\"}",
                    "{address: \"000000000007\", colour: red}"}),
            (std::vector<std::string>{
                "t.yaml:1:1: bus 'line1': missing required key 'device'",
                "t.yaml:1:8: 'baud' = 300 is out of range [1200, 19200]",
                "t.yaml:1:21: 'parity' must be one of none, even, odd, got 'mark'",
                "t.yaml:1:37: bus 'line1': password must be 8 hex digits, level first (e.g. "
                "02123456)",
                "t.yaml:1:1: meter 'm1': address \"auto\" needs a bus with one meter",
                "t.yaml:1:11: meter 'm2': address must be 12 digits of one meter, or \"auto\"",
                "t.yaml:1:27: meter 'm4': unknown key 'colour'",
                "t.yaml:1:1: meter 'm4': address 000000000007 is already meter 'm3'",
            }));
}

}  // namespace
}  // namespace meterd::dlt645
