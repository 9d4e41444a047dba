// SPDX-License-Identifier: Apache-2.0
// GSD files and meter profiles: what the master derives from them (ident, Chk_Cfg bytes, I/O
// sizes, user parameter data) and the file:line:col of every mistake.
#include <gtest/gtest.h>

#include <fstream>

#include "config/yaml_to_settings.h"
#include "profibus/driver/profile.h"
#include "profibus/gsd/gsd_file.h"
#include "support/temp_dir.h"

namespace meterd::profibus {
namespace {

const char* kModularGsd = R"(; a test slave
#Profibus_DP
GSD_Revision = 3
Vendor_Name = "Test"
Ident_Number = 0x4224
9.6_supp = 1
19.2_supp = 1
MaxTsdr_19.2 = 60
Freeze_Mode_supp = 1
Modular_Station = 1
Max_Module = 4
PrmText = 1
Text(0) = "off"
EndPrmText
ExtUserPrmData = 1 "Interval"
Unsigned8 10 1-60
EndExtUserPrmData
ExtUserPrmData = 2 "Mode"
BitArea(4-5) 2 0-3
EndExtUserPrmData
Ext_User_Prm_Data_Const(0) = 0x00, 0x00, \
                             0x00
Ext_User_Prm_Data_Ref(1) = 1
Ext_User_Prm_Data_Ref(2) = 2
Module = "In 8 words" 0x57
1
EndModule
Module = "Out 2 bytes special" 0x80, 0x01 ; special format, output length byte
2
Ext_User_Prm_Data_Const(0) = 0x42
EndModule
)";

TEST(GsdFile, ParsesIdentBaudRatesUserPrmDataAndModules) {
  ConfigErrors errors;
  auto gsd = parse_gsd(kModularGsd, "t.gsd", errors);
  ASSERT_TRUE(gsd) << (errors.empty() ? "" : errors.all().front().to_string());
  EXPECT_EQ(gsd->ident, 0x4224);
  EXPECT_EQ(gsd->vendor, "Test");
  EXPECT_TRUE(gsd->supports(9600));
  EXPECT_TRUE(gsd->supports(19200));
  EXPECT_FALSE(gsd->supports(93750));
  EXPECT_EQ(gsd->max_tsdr.at(19200), 60);
  EXPECT_TRUE(gsd->modular);
  EXPECT_EQ(gsd->max_module, 4);
  // Const bytes at 0..2, the Unsigned8 default 10 at 1, BitArea(4-5) = 2 at 2.
  EXPECT_EQ(gsd->user_prm, (std::vector<std::uint8_t>{0x00, 10, 0x20}));
  ASSERT_EQ(gsd->modules.size(), 2u);
  EXPECT_EQ(gsd->modules[0].cfg, (std::vector<std::uint8_t>{0x57}));
  EXPECT_EQ(gsd->modules[1].cfg, (std::vector<std::uint8_t>{0x80, 0x01}));
  EXPECT_EQ(gsd->modules[1].prm, (std::vector<std::uint8_t>{0x42}));
  EXPECT_EQ(gsd->modules[0].pos.line, 25);
}

TEST(GsdFile, SyntaxErrorsAndMissingEssentialsCarryFileLineAndColumn) {
  ConfigErrors errors;
  EXPECT_FALSE(
      parse_gsd("#Profibus_DP\nIdent_Number = 0x4D44\nModule = \"M\" 0x5F, 0xZZ\n"
                "EndModule\n",
                "bad.gsd", errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.all().front().to_string().rfind("bad.gsd:3:", 0), 0u)
      << errors.all().front().to_string();
  ConfigErrors missing;
  EXPECT_FALSE(parse_gsd("#Profibus_DP\nModule = \"M\" 0x5F\nEndModule\n", "m.gsd", missing));
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing.all().front().to_string(), "m.gsd:1:1: GSD file has no Ident_Number");
}

class ProfileFiles : public ::testing::Test {
 protected:
  test::TempDir dir{"profibus-profile"};

  std::optional<Profile> load(const std::string& yaml, ConfigErrors& errors) {
    std::ofstream(dir.file("t.gsd")) << kModularGsd;
    const std::string path = dir.file("p.yaml");
    std::ofstream(path) << yaml;
    auto tree = yaml_to_settings(yaml, path, errors);
    if (!tree) return std::nullopt;
    return read_profile(*tree, "profile 'p'", errors);
  }
};

TEST_F(ProfileFiles, ModulesGiveCfgBytesImageSizesAndUserDataInSlotOrder) {
  ConfigErrors errors;
  auto p = load(
      "gsd: t.gsd\nmodules: [\"In 8 words\", \"Out 2 bytes special\"]\n"
      "points:\n  energy_total: {offset: 0, type: u32}\n"
      "  relay_closed: {offset: 15, type: bit, bit: 7}\n"
      "actions:\n  relay_open: {byte: 1, bit: 0, value: 1}\n"
      "  set_limit: {byte: 0, type: u16, argument: limit_w, scale: 10}\n",
      errors);
  ASSERT_TRUE(p) << errors.all().front().to_string();
  EXPECT_EQ(p->cfg, (std::vector<std::uint8_t>{0x57, 0x80, 0x01}));
  EXPECT_EQ(p->input_bytes, 16u);
  EXPECT_EQ(p->output_bytes, 2u);
  EXPECT_EQ(p->user_prm, (std::vector<std::uint8_t>{0x00, 10, 0x20, 0x42}));
  std::vector<std::uint8_t> out(2, 0);
  ASSERT_TRUE(apply_action(*p->find_action("set_limit"), {{"limit_w", 12340}}, out).ok());
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0x04, 0xD2}));
  EXPECT_FALSE(apply_action(*p->find_action("set_limit"), {}, out).ok());
  ASSERT_TRUE(apply_action(*p->find_action("relay_open"), {}, out).ok());
  EXPECT_EQ(out[1], 0xD3);  // bit 0 set, the rest of the byte kept
}

TEST_F(ProfileFiles, AnUnknownModuleAndAnOffsetPastTheInputsAreRefusedWithTheirPositions) {
  ConfigErrors errors;
  auto p = load(
      "gsd: t.gsd\n"
      "modules: [\"In 8 words\",\n          \"In 99 words\"]\n"
      "points:\n  energy_total: {offset: 14, type: u32}\n",
      errors);
  EXPECT_FALSE(p);
  ASSERT_EQ(errors.size(), 2u);
  const std::string path = dir.file("p.yaml");
  EXPECT_EQ(errors.all()[0].to_string(),
            path + ":3:11: profile 'p': module 'In 99 words' is not in GSD file t.gsd");
  EXPECT_EQ(errors.all()[1].to_string().rfind(path + ":5:26: profile 'p' point 'energy_total': "
                                                     "offset 14 + 4 bytes is past the input "
                                                     "image of 16 bytes",
                                              0),
            0u)
      << errors.all()[1].to_string();
}

TEST(ProfilePoints, TypesAndScalesDecodeBigEndianIntoCanonicalUnits) {
  const std::vector<std::uint8_t> in{0x00, 0x0F, 0x42, 0x40,  // 1000000
                                     0xFF, 0xFE,              // -2
                                     0x08, 0xFC,              // 2300
                                     0x41, 0x20, 0x00, 0x00,  // 10.0f
                                     0x81};
  auto energy =
      decode_point(PointMap{"energy_total", PointKind::kEnergyWh, 0, ValueType::kU32, 0, 1}, in);
  EXPECT_EQ(std::get<std::int64_t>(energy.value().value), 1'000'000);
  auto power =
      decode_point(PointMap{"power_total", PointKind::kAnalog, 4, ValueType::kS16, 0, 1000}, in);
  EXPECT_DOUBLE_EQ(std::get<double>(power.value().value), -2000.0);
  auto volts =
      decode_point(PointMap{"voltage_a", PointKind::kAnalog, 6, ValueType::kU16, 0, 0.1}, in);
  EXPECT_NEAR(std::get<double>(volts.value().value), 230.0, 1e-9);
  auto hz =
      decode_point(PointMap{"frequency", PointKind::kAnalog, 8, ValueType::kFloat32, 0, 5}, in);
  EXPECT_DOUBLE_EQ(std::get<double>(hz.value().value), 50.0);
  auto relay =
      decode_point(PointMap{"relay_closed", PointKind::kFlag, 12, ValueType::kBit, 7, 1}, in);
  EXPECT_TRUE(std::get<bool>(relay.value().value));
  EXPECT_FALSE(
      decode_point(PointMap{"energy_total", PointKind::kEnergyWh, 11, ValueType::kU32, 0, 1}, in)
          .ok());
  std::vector<std::uint8_t> back(4, 0);
  encode_point(PointMap{"voltage_a", PointKind::kAnalog, 0, ValueType::kU16, 0, 0.1}, 230.0, back);
  EXPECT_EQ(back[0], 0x08);
  EXPECT_EQ(back[1], 0xFC);
}

}  // namespace
}  // namespace meterd::profibus
