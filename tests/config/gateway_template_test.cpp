// SPDX-License-Identifier: Apache-2.0
// `gateway_id: gw-${hostname}` and `${machine_id}`: filled in from the host, unknown names
// refused at their position, and the result held to the gateway id rules.
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <array>
#include <fstream>

#include "config/app_config.h"
#include "config/host_template.h"
#include "minimal_site.h"

namespace meterd {
namespace {

// The minimal site with its first line (`gateway_id: gw1`) replaced.
std::string site_with_gateway(const std::string& gateway_line) {
  std::string text = test::kMinimalSite;
  return gateway_line + "\n" + text.substr(text.find('\n') + 1);
}

std::vector<std::string> messages(const ConfigLoad& load) {
  std::vector<std::string> out;
  for (const auto& e : load.errors.all()) out.push_back(e.to_string());
  return out;
}

HostFacts fixed_host(std::string hostname, std::string machine_id) {
  return {[hostname] {
            return HostValue{hostname, {}};
          },
          [machine_id] {
            return HostValue{machine_id, {}};
          }};
}

// The output of `command`, without its trailing newline; nullopt when it fails.
std::optional<std::string> run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  if (pclose(pipe) != 0) return std::nullopt;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(GatewayTemplate, HostnameIsReadFromTheSystem) {
  char name[256] = {};
  ASSERT_EQ(gethostname(name, sizeof(name) - 1), 0);
  const std::string hostname(name);
  ConfigLoad load = load_config_text(site_with_gateway("gateway_id: gw-${hostname}"), "t.yaml");
  if (hostname.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
      std::string::npos) {
    // A name such as "box.example.com" makes an invalid id: refused, not mangled.
    ASSERT_EQ(load.errors.size(), 1u);
    EXPECT_NE(load.errors.all()[0].message.find("gw-" + hostname), std::string::npos);
    return;
  }
  ASSERT_TRUE(load.config) << ::testing::PrintToString(messages(load));
  EXPECT_EQ(load.config->gateway_id, "gw-" + hostname);
  EXPECT_EQ(load.config->mqtt.client_id, "meterd-gw-" + hostname) << "derived from the result";
}

TEST(GatewayTemplate, MachineIdIsMeterdsApplicationSpecificIdNotTheRawOne) {
  ConfigLoad load = load_config_text(site_with_gateway("gateway_id: gw-${machine_id}"), "t.yaml");
  std::ifstream raw_file("/etc/machine-id");
  std::string raw;
  if (!(raw_file >> raw)) {
    ASSERT_EQ(load.errors.size(), 1u) << "no machine id: an error, not an empty id";
    EXPECT_NE(load.errors.all()[0].message.find("machine id"), std::string::npos);
    return;
  }
  ASSERT_TRUE(load.config) << ::testing::PrintToString(messages(load));
  const std::string id = load.config->gateway_id.substr(3);
  EXPECT_EQ(id.size(), 12u);
  EXPECT_EQ(raw.find(id), std::string::npos) << "the raw machine id must not be exposed";
  // systemd's own tool derives the same id (an independent implementation).
  const std::optional<std::string> expected =
      run(std::string("systemd-id128 machine-id --app-specific=") + kMeterdAppId + " 2>/dev/null");
  if (!expected) GTEST_SKIP() << "systemd-id128 not available to cross-check";
  EXPECT_EQ(id, expected->substr(0, 12));
}

TEST(GatewayTemplate, BothVariablesAndLiteralTextCombine) {
  ConfigLoad load =
      load_config_text(site_with_gateway("gateway_id: \"${hostname}_${machine_id}-x\""), "t.yaml",
                       fixed_host("box7", "0123456789ab"));
  ASSERT_TRUE(load.config) << ::testing::PrintToString(messages(load));
  EXPECT_EQ(load.config->gateway_id, "box7_0123456789ab-x");
}

TEST(GatewayTemplate, UnknownVariableIsAnErrorAtItsPosition) {
  ConfigLoad load = load_config_text(site_with_gateway("gateway_id: gw-${site}"), "t.yaml",
                                     fixed_host("box7", "0123456789ab"));
  EXPECT_EQ(messages(load),
            std::vector<std::string>{"t.yaml:1:13: unknown template variable '${site}' in "
                                     "'gw-${site}' (known: ${hostname}, ${machine_id})"});
}

TEST(GatewayTemplate, UnterminatedVariableIsAnError) {
  ConfigLoad load = load_config_text(site_with_gateway("gateway_id: gw-${hostname"), "t.yaml",
                                     fixed_host("box7", "0123456789ab"));
  EXPECT_EQ(messages(load),
            std::vector<std::string>{"t.yaml:1:13: unterminated '${' in 'gw-${hostname'"});
}

TEST(GatewayTemplate, AResultThatIsNoValidGatewayIdIsRefused) {
  ConfigLoad load = load_config_text(site_with_gateway("gateway_id: gw-${hostname}"), "t.yaml",
                                     fixed_host("box7.example.com", "0123456789ab"));
  EXPECT_EQ(messages(load),
            std::vector<std::string>{
                "t.yaml:1:13: 'gateway_id' may only hold letters, digits, '_' and '-' (at most "
                "64), got 'gw-box7.example.com' (from 'gw-${hostname}')"});
}

TEST(GatewayTemplate, AHostThatCannotTellIsAnErrorAtTheKey) {
  const HostFacts no_machine_id{[] {
                                  return HostValue{"box7", {}};
                                },
                                [] {
                                  return HostValue{std::nullopt, "no /etc/machine-id"};
                                }};
  ConfigLoad load =
      load_config_text(site_with_gateway("gateway_id: gw-${machine_id}"), "t.yaml", no_machine_id);
  EXPECT_EQ(messages(load),
            std::vector<std::string>{"t.yaml:1:13: '${machine_id}': no /etc/machine-id"});
}

TEST(GatewayTemplate, APlainIdAsksTheHostNothing) {
  int asked = 0;
  const HostFacts counting{[&] {
                             ++asked;
                             return HostValue{"box7", {}};
                           },
                           [&] {
                             ++asked;
                             return HostValue{"0123456789ab", {}};
                           }};
  ConfigLoad load = load_config_text(site_with_gateway("gateway_id: gw-plain"), "t.yaml", counting);
  ASSERT_TRUE(load.config) << ::testing::PrintToString(messages(load));
  EXPECT_EQ(load.config->gateway_id, "gw-plain");
  EXPECT_EQ(asked, 0);
}

}  // namespace
}  // namespace meterd
