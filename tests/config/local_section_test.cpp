// SPDX-License-Identifier: Apache-2.0
// The `local:` section (meterctl's control socket): defaults, paths and refusals.
#include <gtest/gtest.h>

#include "config/app_config.h"
#include "minimal_site.h"

namespace meterd {
namespace {

const std::string& kSite = test::kMinimalSite;

TEST(LocalSection, AbsentMeansEnabledWithTheRuntimeDirectoryDefault) {
  ConfigLoad load = load_config_text(kSite, "/etc/meterd/t.yaml");
  ASSERT_TRUE(load.config);
  EXPECT_TRUE(load.config->local.enabled);
  EXPECT_EQ(load.config->local.socket, "");
  EXPECT_EQ(load.config->local.command_timeout, std::chrono::seconds(30));
}

TEST(LocalSection, RelativeSocketResolvesAgainstTheConfigDirectory) {
  ConfigLoad load = load_config_text(
      kSite + "local:\n  socket: run/ctl.sock\n  enabled: false\n  command_timeout: 5s\n",
      "/etc/meterd/t.yaml");
  ASSERT_TRUE(load.config) << load.errors.all().front().to_string();
  EXPECT_EQ(load.config->local.socket, "/etc/meterd/run/ctl.sock");
  EXPECT_FALSE(load.config->local.enabled);
  EXPECT_EQ(load.config->local.command_timeout, std::chrono::seconds(5));
}

TEST(LocalSection, UnknownKeysOverlongPathsAndBadTimeoutsAreErrors) {
  ConfigLoad load = load_config_text(kSite + "local:\n  socket: /" + std::string(120, 's') +
                                         "\n  command_timeout: 0s\n  group: tech\n",
                                     "/etc/meterd/t.yaml");
  EXPECT_FALSE(load.config);
  EXPECT_EQ(load.errors.all().size(), 3u);
}

}  // namespace
}  // namespace meterd
