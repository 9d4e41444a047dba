// SPDX-License-Identifier: Apache-2.0
// DL/T 645 framing (2007 and 1997 alike): [FE..] 68 A0..A5 68 C L DATA(+0x33) CS 16.
// encode_frame builds one frame; find_frame scans a receive buffer for the next one and says
// how many bytes to drop. Pure functions on bytes; safe on any input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "dlt645/codec/address.h"

namespace meterd::dlt645 {

inline constexpr std::uint8_t kStart = 0x68;
inline constexpr std::uint8_t kEnd = 0x16;
inline constexpr std::uint8_t kPreamble = 0xFE;
inline constexpr std::size_t kFrameOverhead = 12;  // 68 + 6 address + 68 + C + L + CS + 16
inline constexpr std::size_t kMaxData = 255;       // L is one byte

struct Frame {
  Address address;
  std::uint8_t control = 0;
  std::vector<std::uint8_t> data;  // as meant, i.e. without the +0x33 offset

  friend bool operator==(const Frame&, const Frame&) = default;
};

// The wire bytes of `frame` after `preamble` FE bytes. kInvalidArgument if data > 255 bytes.
Result<std::vector<std::uint8_t>> encode_frame(const Frame& frame, std::size_t preamble = 0);

std::uint8_t checksum(std::span<const std::uint8_t> bytes);  // sum mod 256

enum class ScanStatus {
  kFrame,        // `frame` is valid; drop `consume` bytes (preamble and frame)
  kNeedMore,     // the buffer (after `consume` droppable FE bytes) may start a frame
  kBadChecksum,  // a well-formed frame with a wrong CS; drop `consume` bytes
  kGarbage,      // `consume` bytes that cannot start a frame; drop them
};

struct ScanResult {
  ScanStatus status = ScanStatus::kNeedMore;
  std::size_t consume = 0;  // droppable now; <= the buffer size; > 0 unless kNeedMore
  Frame frame;              // kFrame only
};

// Looks at the front of a receive buffer. Leading FE bytes are preamble, not garbage. Call
// again after dropping `consume` bytes until it says kNeedMore.
ScanResult find_frame(std::span<const std::uint8_t> buffer);

}  // namespace meterd::dlt645
