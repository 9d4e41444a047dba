// SPDX-License-Identifier: Apache-2.0
#include "app/config_file_checks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace meterd {
namespace {

using Problem = std::optional<std::string>;

Problem why_unreadable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return "cannot open '" + path + "': " + std::strerror(errno);
  struct stat info {};
  const bool regular = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
  ::close(fd);
  if (!regular) return "'" + path + "' is not a regular file";
  return std::nullopt;
}

Problem why_store_unwritable(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0) {
    return "folder '" + folder.string() + "' of the database: " + std::strerror(errno);
  }
  if (!S_ISDIR(info.st_mode)) return "'" + folder.string() + "' is not a folder";
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return "folder '" + folder.string() + "' is not writable: " + std::strerror(errno);
  }
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::nullopt;  // created at start-up
    return "'" + path + "': " + std::strerror(errno);
  }
  if (!S_ISREG(info.st_mode)) return "'" + path + "' is not a regular file";
  if (::access(path.c_str(), R_OK | W_OK) != 0) {
    return "database '" + path + "' is not writable: " + std::strerror(errno);
  }
  return std::nullopt;
}

void report(const AppConfig& config, const std::string& key, const Problem& problem,
            ConfigErrors& errors) {
  if (problem) errors.add(file_key_position(config, key), key + ": " + *problem);
}

}  // namespace

SourcePos file_key_position(const AppConfig& config, const std::string& key) {
  auto pos = config.file_key_positions.find(key);
  return pos != config.file_key_positions.end() ? pos->second : SourcePos{config.source_file};
}

void check_named_files(const AppConfig& config, ConfigErrors& errors) {
  const auto check_readable = [&](const std::string& key, const std::string& path) {
    if (!path.empty()) report(config, key, why_unreadable(path), errors);
  };
  check_readable("mqtt.credentials_file", config.mqtt.credentials_file);
  if (config.mqtt.tls.enabled) {
    check_readable("mqtt.tls.ca_file", config.mqtt.tls.ca_file);
    check_readable("mqtt.tls.cert_file", config.mqtt.tls.cert_file);
    check_readable("mqtt.tls.key_file", config.mqtt.tls.key_file);
  }
  if (!config.store.path.empty()) {
    report(config, "store.path", why_store_unwritable(config.store.path), errors);
  }
}

}  // namespace meterd
