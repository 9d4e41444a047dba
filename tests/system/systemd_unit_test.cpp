// SPDX-License-Identifier: Apache-2.0
// The shipped unit must not crash-loop on a bad configuration: meterd exits 78 (EX_CONFIG) on
// one, and the unit restarts on failure except on 78. Where systemd-analyze exists, the unit
// also passes `systemd-analyze verify` without a warning.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace meterd::test {
namespace {

const std::string kUnitPath = std::string(METERD_SOURCE_DIR) + "/systemd/meterd.service";
constexpr int kExitConfig = 78;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every `Key=value` of the [Service] section, a key set several times keeping each value.
std::multimap<std::string, std::string> service_settings(const std::string& unit) {
  std::multimap<std::string, std::string> settings;
  std::istringstream in(unit);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      section = line;
      continue;
    }
    const auto eq = line.find('=');
    if (section == "[Service]" && eq != std::string::npos) {
      settings.emplace(line.substr(0, eq), line.substr(eq + 1));
    }
  }
  return settings;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// The unit's ExecStart with the installed binary and config replaced by the build's and
// `config`.
std::vector<std::string> exec_start(const std::multimap<std::string, std::string>& service,
                                    const std::string& config) {
  std::vector<std::string> argv = words(service.find("ExecStart")->second);
  for (auto& word : argv) {
    if (word == "/usr/sbin/meterd") word = METERD_BINARY;
    if (word == "/etc/meterd/meterd.yaml") word = config;
  }
  return argv;
}

ExitStatus run(const std::vector<std::string>& argv, const std::string& log) {
  ChildProcess process(argv, log);
  std::optional<ExitStatus> status = process.wait(std::chrono::seconds(60));
  EXPECT_TRUE(status.has_value()) << argv[0] << " did not end";
  return status.value_or(ExitStatus{});
}

TEST(SystemdUnit, BadConfigExits78WhichTheUnitDoesNotRestart) {
  const auto service = service_settings(read_text(kUnitPath));
  ASSERT_EQ(service.count("Restart"), 1u);
  EXPECT_EQ(service.find("Restart")->second, "on-failure");
  std::vector<std::string> prevent;
  for (auto [it, end] = service.equal_range("RestartPreventExitStatus"); it != end; ++it) {
    for (const auto& status : words(it->second)) prevent.push_back(status);
  }
  EXPECT_NE(std::find(prevent.begin(), prevent.end(), std::to_string(kExitConfig)), prevent.end())
      << "Restart=on-failure would restart a bad configuration forever";
  EXPECT_NE(std::find(prevent.begin(), prevent.end(), "73"), prevent.end())
      << "Restart=on-failure would restart forever beside a daemon holding the store";
  ASSERT_EQ(service.count("ExecStart"), 1u);

  TempDir dir;
  const std::string config = dir.file("meterd.yaml");
  std::ofstream(config) << "gateway_id: gw1\nunknown_key: 1\n";
  const ExitStatus status = run(exec_start(service, config), dir.file("meterd.log"));
  const std::string log = read_text(dir.file("meterd.log"));
  EXPECT_TRUE(status.exited) << log;
  EXPECT_EQ(status.code, kExitConfig) << log;
  EXPECT_NE(log.find(config + ":2:1: config: unknown key 'unknown_key'"), std::string::npos) << log;
}

// The first executable `name` in $PATH; empty when there is none.
std::string find_on_path(const std::string& name) {
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  for (std::string dir; std::getline(path, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

TEST(SystemdUnit, PassesSystemdAnalyzeVerifyWithoutWarnings) {
  const std::string analyze = find_on_path("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is not installed (package systemd)";
  // verify checks that ExecStart's binary exists: point it at the build's.
  TempDir dir;
  std::string unit = read_text(kUnitPath);
  const std::string installed = "ExecStart=/usr/sbin/meterd ";
  const auto at = unit.find(installed);
  ASSERT_NE(at, std::string::npos) << unit;
  unit.replace(at, installed.size(), std::string("ExecStart=") + METERD_BINARY + " ");
  const std::string copy = dir.file("meterd.service");
  std::ofstream(copy) << unit;

  const ExitStatus status = run({analyze, "verify", "--man=no", copy}, dir.file("verify.log"));
  const std::string output = read_text(dir.file("verify.log"));
  EXPECT_TRUE(status.exited && status.code == 0) << output;
  // verify exits 0 on unknown keys and unparsable values; it only warns about them.
  EXPECT_EQ(output, "") << output;
}

}  // namespace
}  // namespace meterd::test
