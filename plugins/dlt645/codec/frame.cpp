// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/frame.h"

#include <algorithm>
#include <numeric>

namespace meterd::dlt645 {

namespace {

constexpr std::uint8_t kOffset = 0x33;
constexpr std::size_t kHeader = 10;  // 68 A0..A5 68 C L

// The first position at or after `from` holding a 68, or the buffer size.
std::size_t next_start(std::span<const std::uint8_t> buffer, std::size_t from) {
  auto it = std::find(buffer.begin() + static_cast<std::ptrdiff_t>(from), buffer.end(), kStart);
  return static_cast<std::size_t>(it - buffer.begin());
}

ScanResult garbage_until_next_start(std::span<const std::uint8_t> buffer, std::size_t at) {
  return ScanResult{ScanStatus::kGarbage, next_start(buffer, at + 1), {}};
}

}  // namespace

std::uint8_t checksum(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint8_t>(
      std::accumulate(bytes.begin(), bytes.end(), 0u,
                      [](unsigned sum, std::uint8_t byte) { return (sum + byte) & 0xFFu; }));
}

Result<std::vector<std::uint8_t>> encode_frame(const Frame& frame, std::size_t preamble) {
  if (frame.data.size() > kMaxData) {
    return make_error(ErrorKind::kInvalidArgument, "DL/T 645 data field longer than 255 bytes");
  }
  std::vector<std::uint8_t> wire(preamble, kPreamble);
  wire.reserve(preamble + kFrameOverhead + frame.data.size());
  const std::size_t start = wire.size();
  wire.push_back(kStart);
  wire.insert(wire.end(), frame.address.wire.begin(), frame.address.wire.end());
  wire.push_back(kStart);
  wire.push_back(frame.control);
  wire.push_back(static_cast<std::uint8_t>(frame.data.size()));
  for (std::uint8_t byte : frame.data) wire.push_back(static_cast<std::uint8_t>(byte + kOffset));
  wire.push_back(checksum(std::span(wire).subspan(start)));
  wire.push_back(kEnd);
  return wire;
}

ScanResult find_frame(std::span<const std::uint8_t> buffer) {
  std::size_t at = 0;
  while (at < buffer.size() && buffer[at] == kPreamble) ++at;
  if (at == buffer.size()) return ScanResult{ScanStatus::kNeedMore, at, {}};
  if (buffer[at] != kStart) {
    // Garbage runs to the next 68; FE bytes inside it go with it.
    return ScanResult{ScanStatus::kGarbage, next_start(buffer, at), {}};
  }
  const auto rest = buffer.subspan(at);
  if (rest.size() < 8) return ScanResult{ScanStatus::kNeedMore, at, {}};
  if (rest[7] != kStart) return garbage_until_next_start(buffer, at);
  if (rest.size() < kHeader) return ScanResult{ScanStatus::kNeedMore, at, {}};
  const std::size_t length = rest[9];
  const std::size_t total = kFrameOverhead + length;
  if (rest.size() < total) return ScanResult{ScanStatus::kNeedMore, at, {}};
  // A 68 that does not end in 16 at the announced length was not a frame start.
  if (rest[total - 1] != kEnd) return garbage_until_next_start(buffer, at);
  if (checksum(rest.first(total - 2)) != rest[total - 2]) {
    return ScanResult{ScanStatus::kBadChecksum, at + total, {}};
  }
  ScanResult result{ScanStatus::kFrame, at + total, {}};
  std::copy_n(rest.begin() + 1, 6, result.frame.address.wire.begin());
  result.frame.control = rest[8];
  result.frame.data.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    result.frame.data.push_back(static_cast<std::uint8_t>(rest[kHeader + i] - kOffset));
  }
  return result;
}

}  // namespace meterd::dlt645
