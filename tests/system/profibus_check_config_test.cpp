// SPDX-License-Identifier: Apache-2.0
// meterd --check-config on a profibus bus refuses, each with file:line:col and exit 78, a GSD
// module the GSD does not define, a baud rate the slave's GSD lacks, and a point offset past
// the input image the modules make; the shipped generic profile passes.
#include <gtest/gtest.h>

#include <fstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace meterd::test {
namespace {

struct CheckRun {
  ExitStatus status;
  std::string output;
};

CheckRun run_check(const std::string& config) {
  const std::string log = config + ".log";
  ChildProcess p({METERD_BINARY, "--check-config", "--config", config}, log);
  auto status = p.wait(std::chrono::seconds(30));
  EXPECT_TRUE(status.has_value());
  std::ifstream in(log);
  return {status.value_or(ExitStatus{}),
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())};
}

// One line of YAML per source line, numbered.
// clang-format off
std::string site(const std::string& profile_dir, const std::string& profile, int baud) {
  return "gateway_id: gw1\n"                                                // 1
         "plugin_dir: " + std::string(METERD_PLUGIN_DIR) + "\n"             // 2
         "profile_dir: " + profile_dir + "\n"                               // 3
         "poll_groups: [{name: f, interval: 1s, points: [energy_total]}]\n"  // 4
         "buses:\n"                                                         // 5
         "  - name: dp1\n"                                                  // 6
         "    protocol: profibus\n"                                         // 7
         "    device: /dev/null\n"                                          // 8
         "    baud: " + std::to_string(baud) + "\n"                         // 9
         "    watchdog: 5s\n"                                               // 10
         "    meters:\n"                                                    // 11
         "      - {id: m1, address: 3, profile: " + profile + "}\n"         // 12
         "mqtt:\n  servers: [tcp://127.0.0.1:1883]\n"
         "store:\n  path: x.db\n";
}
// clang-format on

TEST(ProfibusCheckConfig, UnknownModuleMissingBaudAndOffsetPastInputsWithTheirPositions) {
  TempDir dir;
  std::ofstream(dir.file("slow.gsd")) << "#Profibus_DP\n"
                                         "Ident_Number = 0x4D44\n"
                                         "9.6_supp = 1\n"
                                         "19.2_supp = 1\n"
                                         "Modular_Station = 1\n"
                                         "Max_Module = 2\n"
                                         "Module = \"In 32\" 0x5F\n"
                                         "EndModule\n";
  const std::string profile = dir.file("slow-meter.yaml");
  std::ofstream(profile) << "protocol: profibus\n"                        // 1
                            "gsd: slow.gsd\n"                             // 2
                            "modules: [\"In 32\", \"Relay 1 byte\"]\n"    // 3
                            "points:\n"                                   // 4
                            "  energy_total: {offset: 30, type: u32}\n";  // 5
  const std::string config = dir.file("site.yaml");
  std::ofstream(config) << site(dir.path().string(), "slow-meter", 45450);
  const CheckRun run = run_check(config);
  EXPECT_TRUE(run.status.exited);
  EXPECT_EQ(run.status.code, 78) << run.output;
  EXPECT_NE(run.output.find(profile + ":3:20: profile 'slow-meter': module 'Relay 1 byte' is not "
                                      "in GSD file slow.gsd"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(profile + ":5:26: profile 'slow-meter' point 'energy_total': offset "
                                      "30 + 4 bytes is past the input image of 32 bytes"),
            std::string::npos)
      << run.output;
  // The profile is refused, so the baud check runs on a GSD that parsed: a separate run.
  std::ofstream(profile) << "protocol: profibus\ngsd: slow.gsd\nmodules: [\"In 32\"]\n"
                            "points:\n  energy_total: {offset: 0, type: u32}\n";
  const CheckRun baud = run_check(config);
  EXPECT_EQ(baud.status.code, 78) << baud.output;
  EXPECT_NE(baud.output.find(config + ":9:11: bus 'dp1': baud 45450 is not in GSD file"),
            std::string::npos)
      << baud.output;
  std::ofstream(config) << site(dir.path().string(), "slow-meter", 19200);
  const CheckRun good = run_check(config);
  EXPECT_EQ(good.status.code, 0) << good.output;
}

TEST(ProfibusCheckConfig, TheShippedGenericProfileAndAMissingWatchdog) {
  TempDir dir;
  const std::string config = dir.file("site.yaml");
  std::string text =
      site(std::string(METERD_SOURCE_DIR) + "/config/profiles", "profibus-generic", 19200);
  std::ofstream(config) << text;
  EXPECT_EQ(run_check(config).status.code, 0);
  // MaxTsdr_19.2 of the generic GSD is 60 bit times: a slot time of 60 cannot wait for it.
  std::string short_slot = text;
  short_slot.replace(short_slot.find("    watchdog: 5s\n"), 17,
                     "    watchdog: 5s\n    slot_time_bits: 60\n");
  std::ofstream(config) << short_slot;
  const CheckRun slot = run_check(config);
  EXPECT_EQ(slot.status.code, 78);
  EXPECT_NE(slot.output.find(config + ":11:21: bus 'dp1': slot_time_bits 60 is not more than "
                                      "MaxTsdr 60"),
            std::string::npos)
      << slot.output;
  text.replace(text.find("    watchdog: 5s\n"), 17, "");
  std::ofstream(config) << text;
  const CheckRun run = run_check(config);
  EXPECT_EQ(run.status.code, 78);
  EXPECT_NE(run.output.find("'watchdog' is required"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace meterd::test
