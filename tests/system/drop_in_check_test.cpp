// The real `meterd --check-config` on a fleet layout: a common meterd.yaml plus a per-site
// conf.d/50-site.yaml. It sees the merged configuration, and every error (the loader's, the
// plugin's, the billing section's) carries the file:line:col of the drop-in it is in.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace meterd::test {
namespace {

struct CheckRun {
  ExitStatus status;
  std::string output;  // stdout and stderr
};

CheckRun run_check(const std::string& config) {
  const std::string log = config + ".log";
  ChildProcess p({METERD_BINARY, "--check-config", "--config", config}, log, {});
  auto status = p.wait(std::chrono::seconds(30));
  EXPECT_TRUE(status.has_value());
  std::ifstream in(log);
  return {status.value_or(ExitStatus{}),
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())};
}

// What the fleet ships to every box: no buses, no meters, no accounts.
std::string common_file(const std::string& gateway_id) {
  return "gateway_id: " + gateway_id + "\nplugin_dir: " + METERD_PLUGIN_DIR +
         "\n"
         "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
         "store: {path: m.db}\n"
         "poll_groups: [{name: f, interval: 1s, points: [power_total, energy_total]}]\n"
         "billing:\n"
         "  tariffs: [{id: flat, price: \"0.6500\"}]\n";
}

// What is particular to one site.
const std::string kSiteFile =
    "buses:\n"
    "  - name: line1\n"
    "    protocol: sim\n"
    "    meters:\n"
    "      - {id: \"r{n}\", count: 3, first: 301}\n"
    "billing:\n"
    "  accounts:\n"
    "    - {id: A301, meters: [r301], tariff: flat}\n"
    "    - {id: A302, meters: [r302], tariff: flat}\n";

TEST(DropInCheckConfig, SeesTheMergedConfigurationAndNamesItsFiles) {
  TempDir dir;
  const std::string config = dir.file("meterd.yaml");
  std::ofstream(config) << common_file("gw-${machine_id}");
  std::filesystem::create_directories(dir.path() / "conf.d");
  std::ofstream(dir.file("conf.d/50-site.yaml")) << kSiteFile;
  const CheckRun run = run_check(config);
  if (!std::filesystem::exists("/etc/machine-id")) {
    EXPECT_EQ(run.status.code, 78) << run.output;
    EXPECT_NE(run.output.find(config + ":1:13: '${machine_id}'"), std::string::npos) << run.output;
    return;
  }
  EXPECT_EQ(run.status.code, 0) << run.output;
  EXPECT_NE(run.output.find(config + ": OK (gateway_id gw-"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("1 buses; drop-ins " + dir.file("conf.d/50-site.yaml") + ")"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("${machine_id}"), std::string::npos) << run.output;
}

TEST(DropInCheckConfig, ErrorsInADropInCarryItsPositionAndDuplicatesBothPositions) {
  TempDir dir;
  const std::string config = dir.file("meterd.yaml");
  std::ofstream(config) << "gateway_id: gw1\nplugin_dir: " << METERD_PLUGIN_DIR << "\n"
                        << "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
                        << "store: {path: m.db}\n"
                        << "poll_groups: [{name: f, interval: 1s, points: [power_total]}]\n"
                        << "buses: [{name: hall, protocol: sim, meters: [{id: r302}]}]\n"  // 6
                        << "billing:\n"
                        << "  tariffs: [{id: flat, price: \"0.6500\"}]\n"
                        << "  accounts: [{id: A301, meters: [r302], tariff: flat}]\n";  // 9
  std::filesystem::create_directories(dir.path() / "conf.d");
  const std::string site = dir.file("conf.d/50-site.yaml");
  std::ofstream(site) << kSiteFile << "    - {id: A303, meters: [r303], tariff: flat, x: 1}\n";
  const CheckRun run = run_check(config);
  EXPECT_EQ(run.status.code, 78) << run.output;
  for (const std::string& expected : {
           // meter r302 expanded from the drop-in's count: entry, first written in the main file
           site + ":5:14: duplicate meter id 'r302' (first at " + config + ":6:51)",
           site + ":8:7: duplicate account id 'A301' (first at " + config + ":9:14)",
           site + ":10:48: account: unknown key 'x'",
       }) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

}  // namespace
}  // namespace meterd::test
