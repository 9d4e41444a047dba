// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the sim plugin's state file: bytes -> decode_bus_state(), the path a
// file found in the state folder takes at a bus's first open. Build with clang and
// -DMETERD_FUZZ=ON; the same file also builds with fuzz_replay_main.cpp as a plain replay
// test. Checks, beyond "no crash, no exception out": whatever decodes is a state the plugin
// can use (no negative register, a positive price) and survives its own encoding unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/sim/state_file.h"

using namespace meterd::sim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const meterd::Result<BusState> state = decode_bus_state(text);
  if (!state.ok()) {
    if (state.error().message.empty()) std::abort();
    return 0;
  }
  for (const auto& [id, meter] : state.value().meters) {
    if (meter.energy_wh < 0 || meter.carry_wms < 0 || meter.price_per_kwh <= 0 ||
        meter.purchase_count < 0) {
      std::abort();
    }
  }
  const meterd::Result<BusState> again = decode_bus_state(encode_bus_state(state.value()));
  if (!again.ok() || !(again.value() == state.value())) std::abort();
  return 0;
}
