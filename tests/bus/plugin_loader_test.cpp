// SPDX-License-Identifier: Apache-2.0
#include "bus/plugin_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace meterd {
namespace {

std::string load_error(const std::string& dir, const std::string& protocol) {
  PluginRegistry registry(dir);
  try {
    registry.plugin_for(protocol);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PluginRegistry, LoadsTheSimPluginOnceWithTheCurrentAbi) {
  PluginRegistry registry(METERD_PLUGIN_DIR);
  const PluginDescriptor& sim = registry.plugin_for("sim");
  EXPECT_EQ(sim.abi_version, kDriverAbiVersion);
  EXPECT_STREQ(sim.name, "sim");
  ASSERT_NE(sim.create, nullptr);
  EXPECT_EQ(&registry.plugin_for("sim"), &sim);
}

TEST(PluginRegistry, MissingPluginNamesTheFileItLookedFor) {
  EXPECT_EQ(load_error("/nonexistent/plugins", "modbus"),
            "plugin 'modbus': /nonexistent/plugins/meterd-modbus.so not found");
}

TEST(PluginRegistry, RefusesAPluginOfAnotherAbiVersion) {
  const std::string path = std::string(METERD_BAD_PLUGIN_DIR) + "/meterd-badabi.so";
  EXPECT_EQ(load_error(METERD_BAD_PLUGIN_DIR, "badabi"), "plugin 'badabi': " + path +
                                                             ": ABI version 999, daemon expects " +
                                                             std::to_string(kDriverAbiVersion));
}

TEST(PluginRegistry, ReportsTheDlopenErrorOfAFileThatIsNoSharedObject) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("meterd-plugin-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "meterd-junk.so") << "not an ELF file\n";
  const std::string error = load_error(dir.string(), "junk");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(
      error.rfind("plugin 'junk': " + (dir / "meterd-junk.so").string() + ": dlopen error: ", 0),
      0u)
      << error;
}

}  // namespace
}  // namespace meterd
