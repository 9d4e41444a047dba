// SPDX-License-Identifier: Apache-2.0
// The exported entry point every protocol plugin owes the daemon (src/core/driver.h).
// METERD_PLUGIN_ENTRY("dlt645", &meterd::dlt645::create_dlt645), written once at global scope
// in the plugin's driver/<name>_plugin.cpp, defines the descriptor of a plugin that serves one
// protocol of its own name at kDriverAbiVersion, and the extern "C" meterd_plugin_descriptor()
// the daemon looks up after dlopen(). plugins/common/exports.map (applied by
// meterd_add_plugin) keeps that symbol the only one the shared object exports. A macro,
// because the function must be defined in the plugin's own object under a fixed C name.
#pragma once

#include "core/driver.h"

#define METERD_PLUGIN_ENTRY(NAME, FACTORY)                                                    \
  namespace {                                                                                 \
  constexpr const char* meterd_plugin_protocols[] = {NAME, nullptr};                          \
  constexpr ::meterd::PluginDescriptor meterd_plugin_entry{::meterd::kDriverAbiVersion, NAME, \
                                                           meterd_plugin_protocols, FACTORY}; \
  }                                                                                           \
  extern "C" __attribute__((visibility("default"))) const ::meterd::PluginDescriptor*         \
  meterd_plugin_descriptor() {                                                                \
    return &meterd_plugin_entry;                                                              \
  }
