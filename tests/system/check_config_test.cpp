// SPDX-License-Identifier: Apache-2.0
// meterd --check-config reports every error of a file as file:line:col and exits 78: the
// file's own, its plugins' and its billing section's, and the files it names that start-up
// would refuse.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace meterd::test {
namespace {

struct CheckRun {
  ExitStatus status;
  std::string output;  // stdout and stderr
};

CheckRun run_check(const std::string& config, std::vector<std::string> extra_args = {},
                   std::map<std::string, std::string> env = {}) {
  const std::string log = config + ".log";
  std::vector<std::string> argv{METERD_BINARY, "--check-config", "--config", config};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  ChildProcess p(argv, log, env);
  auto status = p.wait(std::chrono::seconds(30));
  EXPECT_TRUE(status.has_value());
  std::ifstream in(log);
  return {status.value_or(ExitStatus{}),
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())};
}

// The first two lines of a site file: gateway_id, and plugin_dir at the build's plugins.
std::string site_head(const std::string& gateway) {
  return "gateway_id: " + gateway + "\nplugin_dir: " + METERD_PLUGIN_DIR + "\n";
}
const std::string kPollGroup = "poll_groups: [{name: f, interval: 1s, points: [power_total]}]\n";

TEST(CheckConfig, ReportsThreeDistinctErrorsWithTheirPositionsAndExits78) {
  TempDir dir;
  const std::string config = dir.file("bad.yaml");
  std::ofstream(config) << site_head("gw1")                       // 1, 2
                        << "colour: blue\n"                       // 3 unknown key
                        << "mqtt:\n"                              // 4
                        << "  servers: [tcp://127.0.0.1:1883]\n"  // 5
                        << "  max_inflight: 0\n"                  // 6 out of range
                        << "store:\n"                             // 7
                        << "  path: x.db\n"                       // 8
                        << "  commit_interval: soon\n"            // 9 wrong type
                        << "poll_groups:\n"                       // 10
                        << "  - {name: fast, interval: 1s, points: [power_total]}\n"
                        << "buses:\n"
                        << "  - name: b1\n"
                        << "    protocol: sim\n"
                        << "    meters:\n"
                        << "      - id: m1\n";
  const CheckRun run = run_check(config);
  EXPECT_TRUE(run.status.exited);
  EXPECT_EQ(run.status.code, 78) << run.output;
  EXPECT_NE(run.output.find(config + ":3:1: "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("unknown key 'colour'"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(config + ":6:17: "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(config + ":9:20: "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("3 configuration errors"), std::string::npos) << run.output;
}

TEST(CheckConfig, MetricsSectionIsValidated) {
  TempDir dir;
  const std::string good = dir.file("good.yaml");
  std::ofstream(good) << site_head("gw1") << "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
                      << "store: {path: x.db}\n"
                      << kPollGroup << "buses: [{name: b1, protocol: sim, meters: [{id: m1}]}]\n"
                      << "metrics:\n  listen: \"[::1]:9464\"\n  textfile: m.prom\n";
  const CheckRun ok = run_check(good);
  EXPECT_EQ(ok.status.code, 0) << ok.output;
  const std::string bad = dir.file("bad.yaml");
  std::ofstream(bad) << site_head("gw1") << "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
                     << "store: {path: x.db}\n"
                     << kPollGroup << "buses: [{name: b1, protocol: sim, meters: [{id: m1}]}]\n"
                     << "metrics:\n"                  // 7
                     << "  listen: localhost:9464\n"  // 8: a name, not an IP
                     << "  max_connections: 0\n";     // 9: out of range
  const CheckRun run = run_check(bad);
  EXPECT_EQ(run.status.code, 78) << run.output;
  EXPECT_NE(run.output.find(bad + ":8:11: 'listen' must be an IP address and port"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(bad + ":9:"), std::string::npos) << run.output;
}

TEST(CheckConfig, AcceptsTheShippedConfigurations) {
  TempDir dir;
  for (const std::string name : {"demo.yaml", "meterd.yaml"}) {
    // The shipped files name no plugin_dir (installed default): point them at the build's;
    // and the store's folder at one that exists here (systemd creates /var/lib/meterd).
    std::ifstream in(std::string(METERD_SOURCE_DIR) + "/config/" + name);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << name;
    for (auto at = text.find("/var/lib/meterd/"); at != std::string::npos;
         at = text.find("/var/lib/meterd/", at)) {
      text.replace(at, 16, dir.path().string() + "/");
    }
    const std::string copy = dir.file(name);
    std::ofstream(copy) << "plugin_dir: " << METERD_PLUGIN_DIR << "\n" << text;
    const CheckRun run = run_check(copy);
    EXPECT_TRUE(run.status.exited && run.status.code == 0) << name << ":\n" << run.output;
  }
}

// A newcomer runs the binary from its build tree on the demo as shipped: the plugins built
// beside it are found without naming a plugin_dir.
TEST(CheckConfig, TheShippedDemoChecksUneditedFromTheBuildTree) {
  const std::string demo = std::string(METERD_SOURCE_DIR) + "/config/demo.yaml";
  TempDir dir;
  ChildProcess p({METERD_BINARY, "--check-config", "--config", demo}, dir.file("demo.log"));
  const auto status = p.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 0) << p.log();
}

// --plugin-dir, then METERD_PLUGIN_DIR, win over the file's plugin_dir.
TEST(CheckConfig, PluginDirFromTheCommandLineOrEnvironmentWinsOverTheFile) {
  TempDir dir;
  const std::string config = dir.file("c.yaml");
  std::ofstream(config) << "gateway_id: gw1\nplugin_dir: " << dir.path().string() << "\n"
                        << "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
                        << "store: {path: x.db}\n"
                        << kPollGroup
                        << "buses:\n  - name: b1\n    protocol: sim\n    meters: [{id: m1}]\n";
  EXPECT_EQ(run_check(config).status.code, 78);  // the file's folder holds no plugin
  const CheckRun by_option = run_check(config, {"--plugin-dir", METERD_PLUGIN_DIR});
  EXPECT_EQ(by_option.status.code, 0) << by_option.output;
  const CheckRun by_env = run_check(config, {}, {{"METERD_PLUGIN_DIR", METERD_PLUGIN_DIR}});
  EXPECT_EQ(by_env.status.code, 0) << by_env.output;
  const CheckRun option_over_env = run_check(config, {"--plugin-dir", dir.path().string()},
                                             {{"METERD_PLUGIN_DIR", METERD_PLUGIN_DIR}});
  EXPECT_EQ(option_over_env.status.code, 78) << option_over_env.output;
}

TEST(CheckConfig, MissingPluginIsAClearError) {
  TempDir dir;
  const std::string config = dir.file("c.yaml");
  std::ofstream(config) << "gateway_id: gw1\nplugin_dir: " << dir.path().string() << "\n"
                        << "mqtt: {servers: [tcp://127.0.0.1:1883]}\n"
                        << "store: {path: x.db}\n"
                        << kPollGroup
                        << "buses:\n  - name: b1\n    protocol: sim\n    meters: [{id: m1}]\n";
  const CheckRun run = run_check(config);
  EXPECT_EQ(run.status.code, 78);
  EXPECT_NE(run.output.find("meterd-sim.so"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(config + ":7:"), std::string::npos) << run.output;
}

TEST(CheckConfig, NamedFilesThatStartUpWouldRefuseAreErrorsAtTheirKeys) {
  TempDir dir;
  const std::string config = dir.file("files.yaml");
  std::ofstream(config) << site_head("gw1")  // 1, 2
                        << "mqtt:\n"         // 3
                        << "  servers: [ssl://127.0.0.1:8883]\n"
                        << "  credentials_file: missing.cred\n"  // 5
                        << "  tls:\n"
                        << "    enabled: true\n"
                        << "    ca_file: missing-ca.pem\n"  // 8
                        << "    cert_file: missing.crt\n"   // 9
                        << "    key_file: .\n"              // 10: a folder
                        << "store:\n"
                        << "  path: no-such-folder/m.db\n"  // 12
                        << kPollGroup << "buses: [{name: b1, protocol: sim, meters: [{id: m1}]}]\n"
                        << "commands:\n"
                        << "  hmac_key_file: missing.key\n";  // 16
  const CheckRun run = run_check(config);
  EXPECT_TRUE(run.status.exited);
  EXPECT_EQ(run.status.code, 78) << run.output;
  const std::string folder = dir.path().string();
  for (const std::string& expected :
       {":5:21: mqtt.credentials_file: cannot open '" + folder + "/missing.cred': No such",
        ":8:14: mqtt.tls.ca_file: cannot open '" + folder + "/missing-ca.pem': No such",
        ":9:16: mqtt.tls.cert_file: cannot open '" + folder + "/missing.crt': No such",
        ":10:15: mqtt.tls.key_file: '" + folder + "/' is not a regular file",
        ":12:9: store.path: folder '" + folder + "/no-such-folder' of the database: No such",
        ":16:18: commands.hmac_key_file: cannot read HMAC key file " + folder + "/missing.key",
        std::string("\n6 configuration errors")}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

TEST(CheckConfig, NamedFilesThatStartUpWouldAcceptPass) {
  TempDir dir;
  for (const char* name : {"mqtt.cred", "ca.pem", "c.crt", "c.key"}) {
    std::ofstream(dir.file(name)) << "user:password\n";
  }
  std::ofstream(dir.file("cmd.key")) << "00112233445566778899aabbccddeeff\n";
  ::chmod(dir.file("cmd.key").c_str(), 0600);
  std::ofstream(dir.file("m.db")) << "";  // an existing database is opened, not created
  const std::string config = dir.file("ok.yaml");
  std::ofstream(config) << site_head("gw1") << "mqtt:\n"
                        << "  servers: [ssl://127.0.0.1:8883]\n"
                        << "  credentials_file: mqtt.cred\n"
                        << "  tls: {enabled: true, ca_file: ca.pem, cert_file: c.crt, "
                           "key_file: c.key}\n"
                        << "store: {path: m.db}\n"
                        << kPollGroup << "buses: [{name: b1, protocol: sim, meters: [{id: m1}]}]\n"
                        << "commands: {hmac_key_file: cmd.key}\n";
  const CheckRun run = run_check(config);
  EXPECT_TRUE(run.status.exited && run.status.code == 0) << run.output;
}

TEST(CheckConfig, PluginAndBillingErrorsAreReportedWithTheFilesOwnInOneRun) {
  TempDir dir;
  const std::string config = dir.file("all.yaml");
  std::ofstream(config) << site_head("gw1")                                              // 1, 2
                        << "colour: blue\n"                                              // 3
                        << "mqtt: {servers: [tcp://127.0.0.1:1883], max_inflight: 0}\n"  // 4
                        << "store: {path: x.db, budget: 1KiB}\n"                         // 5
                        << kPollGroup                                                    // 6
                        << "buses:\n"                                                    // 7
                        << "  - name: b1\n"                                              // 8
                        << "    protocol: sim\n"                                         // 9
                        << "    seed: -1\n"                        // 10 plugin
                        << "    meters:\n"                         // 11
                        << "      - {id: m1, fail: sometimes}\n"   // 12 plugin
                        << "billing: {utc_offset: \"+25:00\"}\n";  // 13 billing
  const CheckRun run = run_check(config);
  EXPECT_EQ(run.status.code, 78) << run.output;
  for (const char* expected :
       {":3:1: config: unknown key 'colour'", ":4:55: 'max_inflight' = 0", ":5:29: 'budget'",
        ":10:11: 'seed' = -1", ":12:24: 'fail' must be one of", ":13:23: 'utc_offset'",
        "\n6 configuration errors"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

TEST(CheckConfig, PluginKeyErrorsOfACountedEntryAreReportedOnce) {
  TempDir dir;
  const std::string config = dir.file("count.yaml");
  std::ofstream(config) << site_head("gw1")
                        << "mqtt: {servers: [tcp://127.0.0.1:1883]}\nstore: {path: x.db}\n"
                        << kPollGroup << "buses:\n  - name: b1\n    protocol: sim\n    meters:\n"
                        << "      - id: \"d{n}\"\n"  // 10
                        << "        count: 50\n"
                        << "        fail: sometimes\n"  // 12
                        << "        colour: red\n";     // 13
  const CheckRun run = run_check(config);
  EXPECT_EQ(run.status.code, 78) << run.output;
  EXPECT_NE(run.output.find(config + ":12:15: 'fail' must be one of none, dead, flaky, got "
                                     "'sometimes'\n"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(config + ":13:9: meter 'd1': unknown key 'colour'\n"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("\n2 configuration errors"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace meterd::test
