// SPDX-License-Identifier: Apache-2.0
// Loads protocol plugins: `<plugin_dir>/meterd-<name>.so` with dlopen(RTLD_NOW), checks the
// ABI handshake and keeps the handles open for the life of the registry (drivers must be
// destroyed before it). Start-up only; errors are thrown as std::runtime_error with a message
// naming the file and the problem.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/driver.h"

namespace meterd {

class PluginRegistry {
 public:
  explicit PluginRegistry(std::string plugin_dir);
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // The plugin serving `protocol`, loading `meterd-<protocol>.so` on first use.
  const PluginDescriptor& plugin_for(const std::string& protocol);

 private:
  struct Loaded;
  std::string dir_;
  std::vector<std::unique_ptr<Loaded>> loaded_;
};

}  // namespace meterd
