// SPDX-License-Identifier: Apache-2.0
// Writing a whole request to a non-blocking line (serial device or pty). Blocks the calling
// thread (a bus thread) until every byte is written, or the line stalls for a second.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"

namespace meterd::line {

// kBusError "<device>: write stalled: ..." when the line takes no byte for a second, or
// "<device>: write: ..." on any other write error.
Status write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& device);

}  // namespace meterd::line
