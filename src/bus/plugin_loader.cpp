// SPDX-License-Identifier: Apache-2.0
#include "bus/plugin_loader.h"

#include <dlfcn.h>

#include <filesystem>
#include <stdexcept>

namespace meterd {

struct PluginRegistry::Loaded {
  std::string path;
  void* handle = nullptr;
  const PluginDescriptor* descriptor = nullptr;
};

namespace {

bool serves(const PluginDescriptor& descriptor, const std::string& protocol) {
  if (descriptor.protocols == nullptr) return false;
  for (const char* const* p = descriptor.protocols; *p != nullptr; ++p) {
    if (protocol == *p) return true;
  }
  return false;
}

std::string protocol_list(const PluginDescriptor& descriptor) {
  std::string out;
  for (const char* const* p = descriptor.protocols; p != nullptr && *p != nullptr; ++p) {
    out += (out.empty() ? "" : ", ") + std::string(*p);
  }
  return out.empty() ? "none" : out;
}

// Checks the handshake; returns an empty string when the plugin is usable.
std::string check_descriptor(const PluginDescriptor* descriptor, const std::string& protocol) {
  if (descriptor == nullptr) return "meterd_plugin_descriptor() returned null";
  if (descriptor->abi_version != kDriverAbiVersion) {
    return "ABI version " + std::to_string(descriptor->abi_version) + ", daemon expects " +
           std::to_string(kDriverAbiVersion);
  }
  if (descriptor->create == nullptr) return "descriptor has no factory";
  if (!serves(*descriptor, protocol)) {
    return "does not serve protocol '" + protocol + "' (serves: " + protocol_list(*descriptor) +
           ")";
  }
  return {};
}

}  // namespace

PluginRegistry::PluginRegistry(std::string plugin_dir) : dir_(std::move(plugin_dir)) {}

PluginRegistry::~PluginRegistry() {
  for (auto& loaded : loaded_) dlclose(loaded->handle);
}

const PluginDescriptor& PluginRegistry::plugin_for(const std::string& protocol) {
  for (const auto& loaded : loaded_) {
    if (serves(*loaded->descriptor, protocol)) return *loaded->descriptor;
  }

  const std::string path = (std::filesystem::path(dir_) / ("meterd-" + protocol + ".so")).string();
  const std::string what = "plugin '" + protocol + "': " + path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw std::runtime_error(what + " not found");

  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = dlerror();
    throw std::runtime_error(what + ": dlopen error: " + (error ? error : "unknown"));
  }
  dlerror();
  auto entry =
      reinterpret_cast<meterd_plugin_descriptor_fn>(dlsym(handle, "meterd_plugin_descriptor"));
  if (entry == nullptr) {
    dlclose(handle);
    throw std::runtime_error(what + ": no meterd_plugin_descriptor symbol");
  }
  const PluginDescriptor* descriptor = entry();
  if (std::string problem = check_descriptor(descriptor, protocol); !problem.empty()) {
    dlclose(handle);
    throw std::runtime_error(what + ": " + problem);
  }
  loaded_.push_back(std::make_unique<Loaded>(Loaded{path, handle, descriptor}));
  return *descriptor;
}

}  // namespace meterd
