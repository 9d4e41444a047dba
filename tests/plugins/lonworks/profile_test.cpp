// SPDX-License-Identifier: Apache-2.0
// NV-map profiles: the shipped one reads; each kind of mistake is refused at its line:col.
#include "lonworks/driver/profile.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/yaml_to_settings.h"
#include "lonworks/codec/apdu.h"

namespace meterd::lonworks {
namespace {

std::optional<LonProfile> read(const std::string& yaml, ConfigErrors& errors) {
  auto tree = yaml_to_settings(yaml, "p.yaml", errors);
  if (!tree) return std::nullopt;
  return read_lon_profile(*tree, "profile 'p'", errors);
}

std::string all(const ConfigErrors& errors) {
  std::string text;
  for (const auto& e : errors.all()) text += e.to_string() + "\n";
  return text;
}

TEST(LonProfile, TheShippedMeterProfileMapsEveryPointAndTheRelay) {
  std::ifstream in(METERD_SOURCE_DIR "/config/profiles/lonworks-meter.yaml");
  std::stringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto profile = read(text.str(), errors);
  ASSERT_TRUE(profile) << all(errors);
  ASSERT_NE(profile->find("energy_total"), nullptr);
  EXPECT_EQ(profile->find("energy_total")->selector, 0x3FFF);
  EXPECT_EQ(profile->find("relay_closed")->snvt->name, "SNVT_switch");
  ASSERT_TRUE(profile->relay);
  EXPECT_EQ(profile->relay->selector, selector_of_unbound_index(7));
}

TEST(LonProfile, UnknownSnvtSelectorOutOfRangeAndLengthMismatchAreRefusedAtTheirPositions) {
  ConfigErrors errors;
  auto profile = read(
      "points:\n"
      "  energy_total: {nv_index: 0, snvt: SNVT_nonesuch}\n"
      "  voltage_a: {selector: 0x4000, snvt: SNVT_volt}\n"
      "  current_a: {nv_index: 3, snvt: SNVT_amp, length: 4}\n"
      "  power_total: {nv_index: 1, snvt: SNVT_volt}\n"
      "  frequency: {snvt: SNVT_freq_hz}\n"
      "actions:\n"
      "  relay: {nv_index: 7, snvt: SNVT_volt}\n",
      errors);
  EXPECT_FALSE(profile);
  const std::string text = all(errors);
  EXPECT_NE(
      text.find("p.yaml:2:37: profile 'p' point 'energy_total': unknown SNVT 'SNVT_nonesuch'"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("p.yaml:3:25:"), std::string::npos) << text;  // selector 0x4000
  EXPECT_NE(text.find("p.yaml:4:52: profile 'p' point 'current_a': NV length 4 does not match "
                      "SNVT_amp (2 bytes)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("point 'power_total': SNVT_volt (V) cannot give a point in 'W'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("point 'frequency': give exactly one of 'selector' and 'nv_index'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("the relay NV must be a SNVT_switch"), std::string::npos) << text;
}

}  // namespace
}  // namespace meterd::lonworks
