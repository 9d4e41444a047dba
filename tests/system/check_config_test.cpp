// meterd --check-config reports every error of a file as file:line:col and exits 78.
#include <gtest/gtest.h>

#include <fstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace meterd::test {
namespace {

ExitStatus run_check(const std::string& config, const std::string& log) {
  ChildProcess p({METERD_BINARY, "--check-config", "--config", config}, log);
  auto status = p.wait(std::chrono::seconds(30));
  EXPECT_TRUE(status.has_value());
  return status.value_or(ExitStatus{});
}

TEST(CheckConfig, ReportsThreeDistinctErrorsWithTheirPositionsAndExits78) {
  TempDir dir;
  const std::string config = dir.file("bad.yaml");
  std::ofstream(config) << "gateway_id: gw1\n"                          // 1
                        << "plugin_dir: " << METERD_PLUGIN_DIR << "\n"  // 2
                        << "colour: blue\n"                             // 3 unknown key
                        << "mqtt:\n"                                    // 4
                        << "  servers: [tcp://127.0.0.1:1883]\n"        // 5
                        << "  max_inflight: 0\n"                        // 6 out of range
                        << "store:\n"                                   // 7
                        << "  path: x.db\n"                             // 8
                        << "  commit_interval: soon\n"                  // 9 wrong type
                        << "poll_groups:\n"                             // 10
                        << "  - {name: fast, interval: 1s, points: [power_total]}\n"
                        << "buses:\n"
                        << "  - name: b1\n"
                        << "    protocol: sim\n"
                        << "    meters:\n"
                        << "      - id: m1\n";
  ExitStatus status = run_check(config, dir.file("out.log"));
  std::ifstream in(dir.file("out.log"));
  std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 78) << output;
  EXPECT_NE(output.find(config + ":3:1: "), std::string::npos) << output;
  EXPECT_NE(output.find("unknown key 'colour'"), std::string::npos) << output;
  EXPECT_NE(output.find(config + ":6:17: "), std::string::npos) << output;
  EXPECT_NE(output.find(config + ":9:20: "), std::string::npos) << output;
  EXPECT_NE(output.find("3 configuration errors"), std::string::npos) << output;
}

TEST(CheckConfig, AcceptsTheShippedConfigurations) {
  TempDir dir;
  for (const std::string name : {"demo.yaml", "meterd.yaml"}) {
    // The shipped files name no plugin_dir (installed default): point them at the build's.
    std::ifstream in(std::string(METERD_SOURCE_DIR) + "/config/" + name);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << name;
    const std::string copy = dir.file(name);
    std::ofstream(copy) << "plugin_dir: " << METERD_PLUGIN_DIR << "\n" << text;
    ExitStatus status = run_check(copy, dir.file(name + ".log"));
    std::ifstream log(dir.file(name + ".log"));
    std::string output((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(status.exited && status.code == 0) << name << ":\n" << output;
  }
}

TEST(CheckConfig, MissingPluginIsAClearError) {
  TempDir dir;
  const std::string config = dir.file("c.yaml");
  std::ofstream(config) << "gateway_id: gw1\nplugin_dir: " << dir.path().string() << "\n"
                        << "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
                        << "store: {path: x.db}\n"
                        << "poll_groups: [{name: f, interval: 1s, points: [power_total]}]\n"
                        << "buses:\n  - name: b1\n    protocol: sim\n    meters: [{id: m1}]\n";
  ExitStatus status = run_check(config, dir.file("out.log"));
  std::ifstream log(dir.file("out.log"));
  std::string output((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(status.code, 78);
  EXPECT_NE(output.find("meterd-sim.so"), std::string::npos) << output;
  EXPECT_NE(output.find(config + ":7:"), std::string::npos) << output;
}

}  // namespace
}  // namespace meterd::test
