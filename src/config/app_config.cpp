#include "config/app_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "config/config_sections.h"
#include "config/error_report.h"
#include "config/yaml_to_settings.h"
#include "core/settings_reader.h"

#ifndef METERD_DEFAULT_PLUGIN_DIR
#error "METERD_DEFAULT_PLUGIN_DIR must be defined by the build"
#endif

namespace meterd {

StoreConfig read_store_section(const SettingsNode& node, const std::filesystem::path& base,
                               ConfigErrors& errors) {
  SettingsReader r(node, errors, "store");
  StoreConfig store;
  store.path = resolve_config_path(r.required_string("path"), base);
  store.budget_bytes = r.size_bytes("budget", 256ull << 20, 64ull << 10, 1ull << 40);
  store.commit_interval = r.duration("commit_interval", std::chrono::milliseconds(200),
                                     std::chrono::milliseconds(10), std::chrono::seconds(10));
  store.batch_rows = static_cast<std::size_t>(r.integer("batch_rows", 1000, 1, 100'000));
  r.finish();
  return store;
}

LocalConfig read_local_section(const SettingsNode& node, const std::filesystem::path& base,
                               ConfigErrors& errors) {
  SettingsReader r(node, errors, "local");
  LocalConfig local;
  local.enabled = r.boolean("enabled", true);
  if (r.has("socket")) {
    local.socket = resolve_config_path(r.required_string("socket"), base);
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

void read_root(const SettingsNode& root, const std::filesystem::path& base, AppConfig& config,
               ConfigErrors& errors) {
  SettingsReader r(root, errors, "config");
  if (!root.is_map()) return;
  config.gateway_id = r.required_string("gateway_id");
  if (!config.gateway_id.empty() && !is_valid_name(config.gateway_id, 64, "_-")) {
    errors.add(r.any("gateway_id")->pos,
               "'gateway_id' may only hold letters, digits, '_' and '-' (at most 64), got '" +
                   config.gateway_id + "'");
  }
  config.log_level = r.one_of("log_level", "info", {"trace", "debug", "info", "warn", "error"});
  if (r.has("plugin_dir")) {
    config.plugin_dir = resolve_config_path(r.required_string("plugin_dir"), base);
    config.plugin_dir_configured = true;
  } else {
    config.plugin_dir = METERD_DEFAULT_PLUGIN_DIR;
  }
  if (r.has("profile_dir")) {
    config.profile_dir = resolve_config_path(r.required_string("profile_dir"), base);
  } else {
    config.profile_dir = (base / "profiles").string();
  }
  if (const SettingsNode* mqtt = r.map("mqtt", true)) {
    config.mqtt = read_mqtt_section(*mqtt, config.gateway_id, base, errors);
  }
  if (const SettingsNode* store = r.map("store", true)) {
    config.store = read_store_section(*store, base, errors);
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
      config.commands.hmac_key_file = resolve_config_path(c.required_string("hmac_key_file"), base);
    }
    config.commands.issued_at_window =
        c.duration("issued_at_window", config.commands.issued_at_window, std::chrono::seconds(1),
                   std::chrono::hours(24));
    c.finish();
  }
  if (const SettingsNode* local = r.map("local")) {
    config.local = read_local_section(*local, base, errors);
  }
  r.finish();
}

ConfigLoad load(const std::string& text, const std::string& name,
                const std::filesystem::path& base) {
  ConfigLoad result;
  ConfigErrors errors;
  std::optional<SettingsNode> root = yaml_to_settings(text, name, errors);
  AppConfig config;
  config.source_file = name;
  if (root) {
    read_root(*root, base, config, errors);
    for (const char* key : kFileKeys) {
      if (const SettingsNode* value = find_scalar(*root, key)) {
        config.file_key_positions[key] = value->pos;
      }
    }
  }
  result.errors = folded_and_sorted(errors, name);
  if (result.errors.empty()) {
    result.config = std::move(config);
  } else if (root) {
    result.partial = std::move(config);
  }
  return result;
}

}  // namespace

ConfigLoad load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigLoad result;
    result.errors.add({path, 0, 0},
                      std::string("cannot open config file: ") + std::strerror(errno));
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return load(text.str(), path,
              ec ? std::filesystem::path(path).parent_path() : absolute.parent_path());
}

ConfigLoad load_config_text(const std::string& text, const std::string& name) {
  return load(text, name, std::filesystem::path(name).parent_path());
}

}  // namespace meterd
