// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "profile_fixture.h"

namespace meterd::modbus {
namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  ConfigErrors errors;
  auto tree = testing::profile_tree(yaml);
  auto profile = parse_profile(*tree, "p", errors);
  std::vector<std::string> out;
  for (const auto& e : errors.all()) out.push_back(e.to_string());
  EXPECT_EQ(errors.empty(), profile != nullptr);
  return out;
}

bool contains(const std::vector<std::string>& errors, const std::string& text) {
  for (const auto& e : errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ModbusProfile, ShippedProfilesParse) {
  for (const char* name : {"acrel-ddsy1352", "acrel-dtsy1352", "acrel-adl400"}) {
    EXPECT_TRUE(testing::shipped_profile(name)) << name;
  }
}

TEST(ModbusProfile, UnknownTypeIsRejectedWithItsPosition) {
  auto errors = errors_of("points:\n  voltage_a: {address: 1, type: u24}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(contains(errors, "p.yaml:2:")) << errors[0];
  EXPECT_TRUE(contains(errors, "unknown register type 'u24'")) << errors[0];
}

TEST(ModbusProfile, PointOfMoreThan125RegistersIsRejected) {
  auto errors = errors_of("points:\n  voltage_a: {address: 1, type: u16, registers: 126}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(contains(errors, "reads 126 registers")) << errors[0];
  EXPECT_TRUE(contains(errors, "p.yaml:2:")) << errors[0];
}

TEST(ModbusProfile, OverlappingWritesOfOneActionAreRejected) {
  auto errors = errors_of(
      "points:\n  voltage_a: {address: 1, type: u16}\n"
      "actions:\n  relay_open:\n    writes:\n"
      "      - {function: 0x10, address: 0x57, values: [1, 1]}\n"
      "      - {function: 6, address: 0x58, values: [0]}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(contains(errors, "p.yaml:7:")) << errors[0];
  EXPECT_TRUE(contains(errors, "overlap")) << errors[0];
}

TEST(ModbusProfile, UnknownKeysPointsUnitsAndScalesAreRejected) {
  auto errors = errors_of(
      "colour: red\n"
      "points:\n"
      "  voltage_x: {address: 1, type: u16}\n"
      "  voltage_a: {address: 1, type: u16, unit: kWh}\n"
      "  energy_total: {address: 2, type: u32, scale: \"1e-2\"}\n"
      "  relay_closed: {address: 3, type: u16}\n");
  EXPECT_TRUE(contains(errors, "unknown key 'colour'") || contains(errors, "colour"));
  EXPECT_TRUE(contains(errors, "unknown point 'voltage_x'"));
  EXPECT_TRUE(contains(errors, "unit 'kWh' cannot be converted to 'V'"));
  EXPECT_TRUE(contains(errors, "scale '1e-2'"));
  EXPECT_TRUE(contains(errors, "a flag point needs type bit"));
}

TEST(ModbusProfile, RechargeNeedsBalanceAndPurchaseCountPoints) {
  auto errors = errors_of(
      "points:\n  voltage_a: {address: 1, type: u16}\n"
      "actions:\n  recharge:\n    writes:\n"
      "      - {function: 0xAA, address: 0x4E, values: [{arg: purchase_count, type: u16}]}\n");
  EXPECT_TRUE(contains(errors, "recharge needs the point 'balance'"));
}

TEST(ModbusProfile, DdsyRechargeWritesWithTheVendorCode) {
  auto profile = testing::shipped_profile("acrel-ddsy1352");
  ASSERT_TRUE(profile);
  const ActionMap* recharge = profile->action("recharge");
  ASSERT_NE(recharge, nullptr);
  EXPECT_EQ(recharge->writes.at(0).fc, 0xAA);
  EXPECT_EQ(recharge->writes.at(0).register_count(), 3);
  EXPECT_TRUE(profile->multiple_layout(0xAA));
}

}  // namespace
}  // namespace meterd::modbus
