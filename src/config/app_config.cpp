// SPDX-License-Identifier: Apache-2.0
#include "config/app_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "config/config_sections.h"
#include "config/drop_in_files.h"
#include "config/drop_in_merge.h"
#include "config/error_report.h"
#include "config/host_template.h"
#include "config/yaml_to_settings.h"
#include "core/settings_reader.h"

#ifndef METERD_DEFAULT_PLUGIN_DIR
#error "METERD_DEFAULT_PLUGIN_DIR must be defined by the build"
#endif

namespace meterd {

StoreConfig read_store_section(const SettingsNode& node, const PathBases& bases,
                               ConfigErrors& errors) {
  SettingsReader r(node, errors, "store");
  StoreConfig store;
  store.path = read_path(r, "path", bases, true);
  store.budget_bytes = r.size_bytes("budget", 256ull << 20, 64ull << 10, 1ull << 40);
  store.commit_interval = r.duration("commit_interval", std::chrono::milliseconds(200),
                                     std::chrono::milliseconds(10), std::chrono::seconds(10));
  store.batch_rows = static_cast<std::size_t>(r.integer("batch_rows", 1000, 1, 100'000));
  r.finish();
  return store;
}

LocalConfig read_local_section(const SettingsNode& node, const PathBases& bases,
                               ConfigErrors& errors) {
  SettingsReader r(node, errors, "local");
  LocalConfig local;
  local.enabled = r.boolean("enabled", true);
  if (r.has("socket")) {
    local.socket = read_path(r, "socket", bases, true);
    // sockaddr_un holds 107 characters and a NUL.
    if (local.socket.size() > 107) {
      errors.add(r.any("socket")->pos, "'socket' path is longer than 107 characters");
    }
  }
  local.command_timeout = r.duration("command_timeout", local.command_timeout,
                                     std::chrono::seconds(1), std::chrono::minutes(10));
  r.finish();
  return local;
}

namespace {

// Where the value of a dotted `key` sits, when it is a scalar.
const SettingsNode* find_scalar(const SettingsNode& root, std::string_view key) {
  const SettingsNode* node = &root;
  while (node && node->is_map()) {
    const std::size_t dot = key.find('.');
    node = node->find(std::string(key.substr(0, dot)));
    if (dot == std::string_view::npos) return node && node->is_scalar() ? node : nullptr;
    key.remove_prefix(dot + 1);
  }
  return nullptr;
}

// `gateway_id`, with `${hostname}` and `${machine_id}` filled in from the host.
std::string read_gateway_id(SettingsReader& r, const HostFacts& host, ConfigErrors& errors) {
  const std::string written = r.required_string("gateway_id");
  if (written.empty()) return {};
  const SourcePos& pos = r.any("gateway_id")->pos;
  std::optional<std::string> id = expand_host_template(written, pos, host, errors);
  if (!id) return {};
  if (!is_valid_name(*id, 64, "_-")) {
    const std::string from = *id == written ? std::string() : " (from '" + written + "')";
    errors.add(pos, "'gateway_id' may only hold letters, digits, '_' and '-' (at most 64), got '" +
                        *id + "'" + from);
  }
  return *id;
}

void read_root(const SettingsNode& root, const PathBases& bases, const HostFacts& host,
               AppConfig& config, ConfigErrors& errors) {
  SettingsReader r(root, errors, "config");
  if (!root.is_map()) return;
  config.gateway_id = read_gateway_id(r, host, errors);
  config.log_level = r.one_of("log_level", "info", {"trace", "debug", "info", "warn", "error"});
  if (r.has("plugin_dir")) {
    config.plugin_dir = read_path(r, "plugin_dir", bases, true);
    config.plugin_dir_configured = true;
  } else {
    config.plugin_dir = METERD_DEFAULT_PLUGIN_DIR;
  }
  if (r.has("profile_dir")) {
    config.profile_dir = read_path(r, "profile_dir", bases, true);
  } else {
    config.profile_dir = (bases.main() / "profiles").string();
  }
  if (const SettingsNode* mqtt = r.map("mqtt", true)) {
    config.mqtt = read_mqtt_section(*mqtt, config.gateway_id, bases, errors);
  }
  if (const SettingsNode* store = r.map("store", true)) {
    config.store = read_store_section(*store, bases, errors);
  }
  if (const SettingsNode* groups = r.sequence("poll_groups", true)) {
    config.poll_groups = read_poll_groups_section(*groups, errors);
  }
  if (const SettingsNode* buses = r.sequence("buses", true)) {
    config.buses = read_buses_section(*buses, config.poll_groups, config.profile_dir, errors);
  }
  if (const SettingsNode* billing = r.map("billing")) config.billing = *billing;
  if (const SettingsNode* commands = r.map("commands")) {
    SettingsReader c(*commands, errors, "commands");
    if (c.has("hmac_key_file")) {
      config.commands.hmac_key_file = read_path(c, "hmac_key_file", bases, true);
    }
    config.commands.issued_at_window =
        c.duration("issued_at_window", config.commands.issued_at_window, std::chrono::seconds(1),
                   std::chrono::hours(24));
    c.finish();
  }
  if (const SettingsNode* local = r.map("local")) {
    config.local = read_local_section(*local, bases, errors);
  }
  if (const SettingsNode* metrics = r.map("metrics")) {
    config.metrics = read_metrics_section(*metrics, bases, errors);
  }
  r.finish();
}

// One file of the configuration, as given.
struct SourceText {
  std::string name;  // in positions
  std::string text;
};

// The folder relative paths in `name` resolve against (absolute when it can be made so).
std::filesystem::path folder_of(const std::string& name, bool make_absolute) {
  if (!make_absolute) return std::filesystem::path(name).parent_path();
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(name, ec);
  return ec ? std::filesystem::path(name).parent_path() : absolute.parent_path();
}

// Parses every file, merges the drop-ins into the main file in order and reads the result.
// A YAML syntax error in any file is fatal: nothing is read, so no later check runs on a
// configuration that lacks part of a file.
ConfigLoad load(const std::vector<SourceText>& sources, bool absolute_bases, const HostFacts& host,
                ConfigErrors errors) {
  ConfigLoad result;
  const std::string& main_name = sources.front().name;
  AppConfig config;
  config.source_file = main_name;
  PathBases bases(folder_of(main_name, absolute_bases));
  std::vector<SettingsNode> trees;
  for (const SourceText& source : sources) {
    config.source_files.push_back(source.name);
    std::optional<SettingsNode> tree = yaml_to_settings(source.text, source.name, errors);
    if (tree) trees.push_back(std::move(*tree));
    if (&source != &sources.front()) bases.add(source.name, folder_of(source.name, absolute_bases));
  }
  std::optional<SettingsNode> root;
  if (trees.size() == sources.size()) {
    root = std::move(trees.front());
    for (std::size_t i = 1; i < trees.size(); ++i) merge_drop_in(*root, trees[i], errors);
  }
  if (root) {
    read_root(*root, bases, host, config, errors);
    for (const char* key : kFileKeys) {
      if (const SettingsNode* value = find_scalar(*root, key)) {
        config.file_key_positions[key] = value->pos;
      }
    }
  }
  result.errors = folded_and_sorted(errors, config.source_files);
  if (result.errors.empty()) {
    result.config = std::move(config);
  } else if (root) {
    result.partial = std::move(config);
  }
  return result;
}

// The whole text of `path`, or an error naming it.
std::optional<std::string> read_file(const std::string& path, const std::string& what,
                                     ConfigErrors& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.add({path, 0, 0}, "cannot open " + what + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    errors.add({path, 0, 0}, "cannot read " + what + ": " + std::strerror(errno));
    return std::nullopt;
  }
  return text.str();
}

}  // namespace

ConfigLoad load_config(const std::string& path) {
  ConfigErrors errors;
  std::optional<std::string> main_text = read_file(path, "config file", errors);
  if (!main_text) {
    ConfigLoad result;
    result.errors = std::move(errors);
    return result;
  }
  std::vector<SourceText> sources{{path, std::move(*main_text)}};
  for (const std::string& drop_in : list_drop_ins(drop_in_folder(path), errors)) {
    std::optional<std::string> text = read_file(drop_in, "drop-in", errors);
    if (text) sources.push_back({drop_in, std::move(*text)});
  }
  if (!errors.empty()) {
    // A drop-in that cannot be read: as for a syntax error, checking the rest without it
    // would report follow-on errors (an account's meter "unknown") that are not there.
    ConfigLoad result;
    result.errors = folded_and_sorted(errors, path);
    return result;
  }
  return load(sources, true, system_host_facts(), std::move(errors));
}

ConfigLoad load_config_text(const std::string& text, const std::string& name) {
  return load({{name, text}}, false, system_host_facts(), {});
}

ConfigLoad load_config_text(const std::string& text, const std::string& name,
                            const HostFacts& host) {
  return load({{name, text}}, false, host, {});
}

}  // namespace meterd
