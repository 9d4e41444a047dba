// SPDX-License-Identifier: Apache-2.0
// Readers for the sections of the config file. Each fills its part of AppConfig and reports
// every problem to ConfigErrors, going on after errors so one run lists them all.
// Internal to src/config; pure functions, any thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/app_config.h"
#include "core/settings_reader.h"

namespace meterd {

// The folder a relative path resolves against: that of the file the key is written in (the
// main file or a drop-in). Files not added resolve against the main file's folder.
class PathBases {
 public:
  explicit PathBases(std::filesystem::path main_folder) : main_(std::move(main_folder)) {}
  void add(const std::string& file, std::filesystem::path folder) {
    by_file_[file] = std::move(folder);
  }
  const std::filesystem::path& main() const { return main_; }
  const std::filesystem::path& of(const SourcePos& pos) const {
    auto it = by_file_.find(pos.file);
    return it != by_file_.end() ? it->second : main_;
  }

 private:
  std::filesystem::path main_;
  std::map<std::string, std::filesystem::path> by_file_;
};

// `mqtt:`; client_id defaults to "meterd-<gateway_id>"; relative files resolve per `bases`.
MqttConfig read_mqtt_section(const SettingsNode& node, const std::string& gateway_id,
                             const PathBases& bases, ConfigErrors& errors);
// `store:`; a relative path resolves per `bases`.
StoreConfig read_store_section(const SettingsNode& node, const PathBases& bases,
                               ConfigErrors& errors);
// `local:`; a relative socket path resolves per `bases`.
MetricsConfig read_metrics_section(const SettingsNode& node, const PathBases& bases,
                                   ConfigErrors& errors);
LocalConfig read_local_section(const SettingsNode& node, const PathBases& bases,
                               ConfigErrors& errors);
// `poll_groups:` (a list). Groups with a valid, unique name are returned even when other keys
// are wrong, so buses naming them do not get follow-on errors.
std::vector<PollGroupSpec> read_poll_groups_section(const SettingsNode& list, ConfigErrors& errors);
// `buses:` (a list), with meter expansion and id uniqueness across all buses.
// Meter profiles are loaded from `profile_dir` on first use.
std::vector<BusConfig> read_buses_section(const SettingsNode& list,
                                          const std::vector<PollGroupSpec>& groups,
                                          const std::string& profile_dir, ConfigErrors& errors);

// Shared value checks.
// Letters, digits and the characters in `extra`; 1..max_length characters.
bool is_valid_name(std::string_view text, std::size_t max_length, std::string_view extra);
// `path` joined to the config file's directory `base`, unless it is empty or absolute.
std::string resolve_config_path(const std::string& path, const std::filesystem::path& base);
// The string at `key` (required or not), resolved against the folder of the file it is
// written in.
std::string read_path(SettingsReader& r, const std::string& key, const PathBases& bases,
                      bool required = false);
// "bus 'line1'" when `item` is a map with a scalar `key`, else just `kind`.
std::string describe_item(const std::string& kind, const SettingsNode& item,
                          const std::string& key);

}  // namespace meterd
