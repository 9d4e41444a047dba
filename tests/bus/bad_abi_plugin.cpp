// SPDX-License-Identifier: Apache-2.0
// A plugin built for a future ABI: the registry must refuse it with a clear message.
#include "core/driver.h"

namespace {
constexpr const char* kProtocols[] = {"badabi", nullptr};
constexpr meterd::PluginDescriptor kDescriptor{999, "badabi", kProtocols, nullptr};
}  // namespace

extern "C" __attribute__((visibility("default"))) const meterd::PluginDescriptor*
meterd_plugin_descriptor() {
  return &kDescriptor;
}
