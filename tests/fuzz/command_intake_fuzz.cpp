// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the whole command path: bytes as they arrive on `cmd` go to the
// CommandService with a real Store (SQLite in a temporary folder), the real prepaid Engine and
// a stand-in for the buses that answers every action and read at once. Each input runs to
// completion: intake, authentication, journal, execution, result and event through the store.
// Half the inputs come as the cloud's (HMAC checked), half as a technician's (executed when
// valid), chosen by the first byte. Fails on a crash, a sanitizer finding, or an exception out
// of the service. Builds as a libFuzzer target (clang, -DMETERD_FUZZ=ON) and as a replay test
// with fuzz_replay_main.cpp.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "intake_site.h"

using meterd::fuzz::Intake;
using meterd::fuzz::intake;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Intake& site = intake();
  const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string operator_id = (data[0] & 1) ? "cloud" : "local:fuzz";
  site.run(payload, operator_id);
  return 0;
}
