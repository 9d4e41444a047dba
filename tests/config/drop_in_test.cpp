// SPDX-License-Identifier: Apache-2.0
// The main file plus conf.d/*.yaml: merged in name order, maps merge, lists of named items
// append, values override, duplicates and errors carry the position of the file they are in.
// Real files in a temporary folder.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "config/app_config.h"
#include "minimal_site.h"

namespace meterd {
namespace {

namespace fs = std::filesystem;

// A fresh folder holding meterd.yaml and conf.d/, removed afterwards.
class SiteFolder {
 public:
  SiteFolder() {
    std::string pattern = ::testing::TempDir() + "/dropins-XXXXXX";
    if (!mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";
    dir_ = fs::canonical(pattern);
  }
  ~SiteFolder() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  SiteFolder(const SiteFolder&) = delete;
  SiteFolder& operator=(const SiteFolder&) = delete;

  std::string main_file() const { return (dir_ / "meterd.yaml").string(); }
  std::string drop_in(const std::string& name) const { return (dir_ / "conf.d" / name).string(); }
  std::string path(const std::string& relative) const { return (dir_ / relative).string(); }

  void write_main(const std::string& text) const { std::ofstream(main_file()) << text; }
  void write_drop_in(const std::string& name, const std::string& text) const {
    fs::create_directories(dir_ / "conf.d");
    std::ofstream(drop_in(name)) << text;
  }
  ConfigLoad load() const { return load_config(main_file()); }

 private:
  fs::path dir_;
};

std::vector<std::string> messages(const ConfigLoad& load) {
  std::vector<std::string> out;
  for (const auto& e : load.errors.all()) out.push_back(e.to_string());
  return out;
}

AppConfig loaded(const ConfigLoad& load) {
  EXPECT_TRUE(load.errors.empty()) << ::testing::PrintToString(messages(load));
  return load.config.value_or(AppConfig{});
}

TEST(DropIns, AreMergedInByteOrderOfTheirNamesSoTheLastScalarWins) {
  SiteFolder site;
  site.write_main(test::kMinimalSite + "log_level: info\n");
  // Written out of order; byte order puts "9-" after "20-" (hence two-digit prefixes).
  site.write_drop_in("9-late.yaml", "log_level: error\n");
  site.write_drop_in("20-b.yaml", "log_level: warn\n");
  site.write_drop_in("10-a.yaml", "log_level: debug\n");
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.log_level, "error");
  EXPECT_EQ(c.source_files,
            (std::vector<std::string>{site.main_file(), site.drop_in("10-a.yaml"),
                                      site.drop_in("20-b.yaml"), site.drop_in("9-late.yaml")}));
}

TEST(DropIns, OnlyVisibleYamlFilesAreRead) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  site.write_drop_in("50-site.yaml", "log_level: warn\n");
  site.write_drop_in("50-site.yaml.dpkg-old", "log_level: [broken\n");
  site.write_drop_in(".#50-site.yaml", "log_level: [broken\n");
  site.write_drop_in("README", "not yaml: [\n");
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.source_files.size(), 2u);
}

TEST(DropIns, MapsMergeKeyByKeyAndKeepWhatTheLaterFileDoesNotSay) {
  SiteFolder site;
  site.write_main(test::kMinimalSite + "local: {command_timeout: 45s}\n");
  site.write_drop_in("10-mqtt.yaml", "mqtt:\n  max_inflight: 7\nlocal: {enabled: false}\n");
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.mqtt.servers, std::vector<std::string>{"tcp://broker:1883"});
  EXPECT_EQ(c.mqtt.max_inflight, 7);
  EXPECT_EQ(c.local.command_timeout, std::chrono::seconds(45));
  EXPECT_FALSE(c.local.enabled);
}

TEST(DropIns, ListsOfBusesPollGroupsAndAccountsAppendAcrossFiles) {
  SiteFolder site;
  site.write_main(test::kMinimalSite +
                  "billing:\n  tariffs: [{id: t1, price: \"0.5\"}]\n"
                  "  accounts: [{id: A1, meters: [m1], tariff: t1}]\n");
  site.write_drop_in("50-site.yaml",
                     "poll_groups:\n  - {name: slow, interval: 1m, points: [energy_total]}\n"
                     "buses:\n  - name: b2\n    protocol: sim\n    groups: [slow]\n"
                     "    meters: [{id: m2}, {id: m3}]\n"
                     "billing:\n  accounts: [{id: A2, meters: [m2], tariff: t1}]\n");
  const AppConfig c = loaded(site.load());
  ASSERT_EQ(c.buses.size(), 2u);
  EXPECT_EQ(c.buses[0].spec.name, "b1");
  EXPECT_EQ(c.buses[1].spec.name, "b2");
  ASSERT_EQ(c.buses[1].spec.meters.size(), 2u);
  EXPECT_EQ(c.buses[1].spec.meters[1].id, "m3");
  EXPECT_EQ(c.buses[1].pos.file, site.drop_in("50-site.yaml"));
  ASSERT_EQ(c.poll_groups.size(), 2u);
  EXPECT_EQ(c.poll_groups[1].name, "slow");
  ASSERT_TRUE(c.billing);
  const SettingsNode* accounts = c.billing->find("accounts");
  ASSERT_NE(accounts, nullptr);
  ASSERT_EQ(accounts->items.size(), 2u);
  EXPECT_EQ(accounts->items[1].find("id")->scalar, "A2");
  EXPECT_EQ(c.billing->find("tariffs")->items.size(), 1u);
}

TEST(DropIns, ThePackagesSiteLessMainFileTakesItsBusesAndIdFromDropIns) {
  SiteFolder site;
  // The shape of the file the package installs: no site yet, `buses: []`.
  site.write_main(
      "gateway_id: gw-unnamed\nmqtt: {servers: [tcp://127.0.0.1:1883]}\n"
      "store: {path: /var/lib/meterd/meterd.db}\n"
      "poll_groups: [{name: fast, points: [power_total]}]\nbuses: []\n");
  site.write_drop_in("10-fleet.yaml",
                     "gateway_id: gw-fleet\nmqtt: {servers: [tcp://10.0.0.9:1883]}\n");
  site.write_drop_in("50-site.yaml", "buses: [{name: line1, protocol: sim, meters: [{id: r1}]}]\n");
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.gateway_id, "gw-fleet");
  EXPECT_EQ(c.mqtt.servers, std::vector<std::string>{"tcp://10.0.0.9:1883"});
  ASSERT_EQ(c.buses.size(), 1u);
  EXPECT_EQ(c.buses[0].spec.meters.at(0).id, "r1");
}

TEST(DropIns, AListOfPlainValuesIsReplacedWhole) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  site.write_drop_in("50-site.yaml",
                     "mqtt:\n  servers: [tcp://10.1.2.3:1883, tcp://10.1.2.4:1883]\n");
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.mqtt.servers,
            (std::vector<std::string>{"tcp://10.1.2.3:1883", "tcp://10.1.2.4:1883"}));
}

TEST(DropIns, AMeterIdInTwoFilesIsReportedWithBothPositions) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);  // m1 at line 12, column 13
  site.write_drop_in("50-site.yaml",
                     "buses:\n"
                     "  - name: b2\n"
                     "    protocol: sim\n"
                     "    meters:\n"
                     "      - id: m1\n");
  const ConfigLoad load = site.load();
  EXPECT_FALSE(load.config);
  EXPECT_EQ(messages(load), std::vector<std::string>{site.drop_in("50-site.yaml") +
                                                     ":5:13: duplicate meter id 'm1' (first at " +
                                                     site.main_file() + ":12:13)"});
}

TEST(DropIns, ABusNameInTwoDropInsIsReportedWithBothPositions) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  site.write_drop_in("10-a.yaml", "buses:\n  - {name: line2, protocol: sim, meters: [{id: a}]}\n");
  site.write_drop_in("20-b.yaml", "buses:\n  - {name: line2, protocol: sim, meters: [{id: b}]}\n");
  const ConfigLoad load = site.load();
  EXPECT_EQ(messages(load),
            std::vector<std::string>{site.drop_in("20-b.yaml") +
                                     ":2:12: duplicate bus name 'line2' (first at " +
                                     site.drop_in("10-a.yaml") + ":2:12)"});
}

TEST(DropIns, ErrorsInADropInCarryItsOwnPathAndComeInFileOrder) {
  SiteFolder site;
  site.write_main(test::kMinimalSite + "colour: blue\n");  // line 13
  site.write_drop_in("20-b.yaml", "store:\n  batch_rows: 0\n");
  site.write_drop_in("10-a.yaml", "\nmqtt:\n  keepalive: soon\n  flavour: x\n");
  const ConfigLoad load = site.load();
  const std::vector<std::string> got = messages(load);
  ASSERT_EQ(got.size(), 4u) << ::testing::PrintToString(got);
  EXPECT_TRUE(got[0].starts_with(site.main_file() + ":13:1: ")) << got[0];
  EXPECT_TRUE(got[1].starts_with(site.drop_in("10-a.yaml") + ":3:14: ")) << got[1];
  EXPECT_TRUE(got[2].starts_with(site.drop_in("10-a.yaml") + ":4:3: ")) << got[2];
  EXPECT_NE(got[2].find("unknown key 'flavour'"), std::string::npos) << got[2];
  EXPECT_TRUE(got[3].starts_with(site.drop_in("20-b.yaml") + ":2:15: ")) << got[3];
  EXPECT_TRUE(load.partial) << "the rest is still checked";
}

TEST(DropIns, ASyntaxErrorInADropInNamesItAndStopsTheLoad) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  site.write_drop_in("50-site.yaml", "buses:\n  - name: [b2\n");
  const ConfigLoad load = site.load();
  EXPECT_FALSE(load.config);
  EXPECT_FALSE(load.partial) << "a configuration missing a file must not be checked further";
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors.all()[0].pos.file, site.drop_in("50-site.yaml"));
  EXPECT_NE(load.errors.all()[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(DropIns, AMissingFolderMeansNoDropIns) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.source_files, std::vector<std::string>{site.main_file()});
}

TEST(DropIns, ADropInThatCannotBeReadIsAnErrorNamingIt) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  fs::create_directories(site.path("conf.d"));
  fs::create_symlink(site.path("nowhere.yaml"), site.drop_in("50-gone.yaml"));
  const ConfigLoad load = site.load();
  EXPECT_FALSE(load.config);
  EXPECT_FALSE(load.partial) << "the site without that file is not checked further";
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors.all()[0].pos.file, site.drop_in("50-gone.yaml"));
}

TEST(DropIns, AConfDThatIsNoFolderIsAnErrorNamingIt) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  std::ofstream(site.path("conf.d")) << "log_level: warn\n";
  const ConfigLoad load = site.load();
  EXPECT_FALSE(load.config);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors.all()[0].pos.file, site.path("conf.d"));
}

TEST(DropIns, ADropInMustBeAMap) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  site.write_drop_in("50-site.yaml", "- log_level: warn\n");
  const ConfigLoad load = site.load();
  EXPECT_EQ(messages(load), std::vector<std::string>{site.drop_in("50-site.yaml") +
                                                     ":1:1: a drop-in must be a map of top-level "
                                                     "keys, not a list"});
}

TEST(DropIns, AnEmptyDropInAddsNothing) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);
  site.write_drop_in("50-empty.yaml", "# nothing yet\n");
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.buses.size(), 1u);
}

TEST(DropIns, AValueOfAnotherShapeIsAnErrorNamingTheEarlierOne) {
  SiteFolder site;
  site.write_main(test::kMinimalSite);  // `store:` map at line 4, its value at 5:3
  site.write_drop_in("50-site.yaml", "\nstore: /var/lib/meterd/x.db\n");
  const ConfigLoad load = site.load();
  const std::vector<std::string> got = messages(load);
  ASSERT_EQ(got.size(), 1u) << ::testing::PrintToString(got);
  EXPECT_TRUE(got[0].starts_with(site.drop_in("50-site.yaml") +
                                 ":2:8: 'store' is a scalar here "
                                 "but a map at " +
                                 site.main_file() + ":5:3"))
      << got[0];
}

TEST(DropIns, RelativePathsResolveAgainstTheFileTheyAreWrittenIn) {
  SiteFolder site;
  site.write_main(test::kMinimalSite + "commands: {hmac_key_file: keys/cmd.key}\n");
  site.write_drop_in("50-site.yaml",
                     "store: {path: data/m.db}\nmqtt: {credentials_file: mqtt.cred}\n");
  const AppConfig c = loaded(site.load());
  EXPECT_EQ(c.commands.hmac_key_file, site.path("keys/cmd.key"));
  EXPECT_EQ(c.store.path, site.path("conf.d/data/m.db"));
  EXPECT_EQ(c.mqtt.credentials_file, site.path("conf.d/mqtt.cred"));
  EXPECT_EQ(c.file_key_positions.at("store.path").file, site.drop_in("50-site.yaml"));
  EXPECT_EQ(c.file_key_positions.at("store.path").line, 1);
  EXPECT_EQ(c.profile_dir, site.path("profiles")) << "beside the main file";
}

}  // namespace
}  // namespace meterd
