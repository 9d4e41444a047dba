// SPDX-License-Identifier: Apache-2.0
// Where plugins load from: --plugin-dir, then METERD_PLUGIN_DIR, then the file's plugin_dir,
// then the build tree's plugins for a binary run from there, then the install folder.
#include "app/plugin_dir.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

AppConfig config_naming(const std::string& dir) {
  AppConfig config;
  config.plugin_dir = dir;
  config.plugin_dir_configured = true;
  return config;
}

AppConfig config_with_default() {
  AppConfig config;
  config.plugin_dir = "/usr/lib/meterd/plugins";
  return config;
}

const std::filesystem::path kInstalledBinary = "/usr/sbin/meterd";

TEST(PluginDir, CommandLineWinsOverEnvironmentAndFile) {
  const PluginDirChoice choice = choose_plugin_dir("/opt/cli", "/opt/env", kInstalledBinary);
  EXPECT_EQ(effective_plugin_dir(config_naming("/opt/file"), choice), "/opt/cli");
}

TEST(PluginDir, EnvironmentWinsOverTheFileWhenNoOptionIsGiven) {
  const PluginDirChoice choice = choose_plugin_dir("", "/opt/env", kInstalledBinary);
  EXPECT_EQ(effective_plugin_dir(config_naming("/opt/file"), choice), "/opt/env");
}

TEST(PluginDir, AnEmptyEnvironmentVariableCountsAsUnset) {
  const PluginDirChoice choice = choose_plugin_dir("", "", kInstalledBinary);
  EXPECT_EQ(effective_plugin_dir(config_naming("/opt/file"), choice), "/opt/file");
}

TEST(PluginDir, AnInstalledBinaryWithoutSettingsUsesTheInstallFolder) {
  const PluginDirChoice choice = choose_plugin_dir("", nullptr, kInstalledBinary);
  EXPECT_TRUE(choice.beside_binary.empty());
  EXPECT_EQ(effective_plugin_dir(config_with_default(), choice), "/usr/lib/meterd/plugins");
}

TEST(PluginDir, ABinaryInItsBuildTreeUsesThePluginsBuiltBesideIt) {
  // This test binary lives in the same build tree as the daemon and its plugins.
  const PluginDirChoice choice = choose_plugin_dir("", nullptr, running_binary());
  EXPECT_EQ(choice.beside_binary, METERD_TEST_BUILD_PLUGIN_DIR);
  EXPECT_EQ(effective_plugin_dir(config_with_default(), choice), METERD_TEST_BUILD_PLUGIN_DIR);
  // ... but a plugin_dir the file names still wins.
  EXPECT_EQ(effective_plugin_dir(config_naming("/opt/file"), choice), "/opt/file");
}

TEST(PluginDir, APathThatOnlySharesAPrefixWithTheBuildTreeIsOutsideIt) {
  const std::filesystem::path sibling = std::string(METERD_TEST_BUILD_ROOT) + "-other/meterd";
  EXPECT_TRUE(choose_plugin_dir("", nullptr, sibling).beside_binary.empty());
}

}  // namespace
}  // namespace meterd
