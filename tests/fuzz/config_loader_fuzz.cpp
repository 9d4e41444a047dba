// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the configuration loader: bytes -> load_config_text(), the whole path a
// file takes under --check-config before the plugins: YAML events, the settings reader, every
// section, meter expansion and profile look-up. Build with clang and -DMETERD_FUZZ=ON; the same
// file also builds with fuzz_replay_main.cpp as a plain replay test. Checks, beyond "no crash,
// no exception out, no runaway memory": a load yields a config exactly when it has no errors
// (a partial one otherwise, unless the YAML did not parse), every error has a message and a
// file, and an accepted config stays within the expansion budget.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/app_config.h"
#include "config/meter_expansion.h"

using namespace meterd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ConfigLoad load = load_config_text(text, "fuzz.yaml");
  if (load.config.has_value() != load.errors.empty()) std::abort();
  if (load.config && load.partial) std::abort();
  for (const ConfigError& error : load.errors.all()) {
    if (error.message.empty() || error.pos.file.empty()) std::abort();
  }
  if (!load.config) return 0;
  std::size_t meters = 0;
  for (const BusConfig& bus : load.config->buses) {
    if (bus.spec.protocol.empty() || bus.spec.meters.empty()) std::abort();
    meters += bus.spec.meters.size();
  }
  if (meters > static_cast<std::size_t>(ExpansionBudget::kMaxMeters)) std::abort();
  return 0;
}
