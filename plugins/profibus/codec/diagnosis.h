// SPDX-License-Identifier: Apache-2.0
// Slave_Diag response data of DP-V0: Stat1..3, the master the slave is locked to, its ident
// number and the extended diagnosis (device, identifier and channel related blocks). Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace meterd::profibus {

namespace stat1 {
inline constexpr std::uint8_t kNonExistent = 0x01;  // set by the master, never by a slave
inline constexpr std::uint8_t kNotReady = 0x02;
inline constexpr std::uint8_t kCfgFault = 0x04;
inline constexpr std::uint8_t kExtDiag = 0x08;
inline constexpr std::uint8_t kNotSupported = 0x10;
inline constexpr std::uint8_t kInvalidResponse = 0x20;
inline constexpr std::uint8_t kPrmFault = 0x40;
inline constexpr std::uint8_t kMasterLock = 0x80;
}  // namespace stat1
namespace stat2 {
inline constexpr std::uint8_t kPrmRequest = 0x01;
inline constexpr std::uint8_t kStatDiag = 0x02;
inline constexpr std::uint8_t kAlwaysOne = 0x04;
inline constexpr std::uint8_t kWatchdogOn = 0x08;
inline constexpr std::uint8_t kFreezeMode = 0x10;
inline constexpr std::uint8_t kSyncMode = 0x20;
inline constexpr std::uint8_t kDeactivated = 0x80;
}  // namespace stat2
namespace stat3 {
inline constexpr std::uint8_t kExtDiagOverflow = 0x80;
}  // namespace stat3

inline constexpr std::uint8_t kNoMaster = 0xFF;

struct ChannelDiag {
  std::uint8_t module = 0;   // identifier (slot) number, 0..63
  std::uint8_t channel = 0;  // 0..63
  std::uint8_t io = 0;       // 1 input, 2 output, 3 input/output
  std::uint8_t type = 0;     // channel type (bits 7..5 of the third byte)
  std::uint8_t error = 0;    // error type 0..31 (1 short circuit, 2 undervoltage, ...)
  bool operator==(const ChannelDiag&) const = default;
};

struct SlaveDiag {
  std::uint8_t stat1 = 0;
  std::uint8_t stat2 = 0;
  std::uint8_t stat3 = 0;
  std::uint8_t master = kNoMaster;
  std::uint16_t ident = 0;
  std::vector<std::vector<std::uint8_t>> device;  // device related blocks, header removed
  std::vector<std::uint16_t> modules_with_diag;   // identifier related: slots flagged
  std::vector<ChannelDiag> channels;
  std::vector<std::uint8_t> unknown;  // blocks with a reserved header, raw
  bool operator==(const SlaveDiag&) const = default;

  // PROTOCOLS.md §4: ready for data exchange.
  bool ready() const {
    return (stat1 &
            (stat1::kNonExistent | stat1::kNotReady | stat1::kCfgFault | stat1::kPrmFault)) == 0 &&
           (stat2 & stat2::kPrmRequest) == 0;
  }
  bool has_extended() const {
    return !device.empty() || !modules_with_diag.empty() || !channels.empty() || !unknown.empty();
  }
};

// At least 6 bytes; extended blocks that run past the data are kMalformed.
Result<SlaveDiag> decode_diag(std::span<const std::uint8_t> data);
std::vector<std::uint8_t> encode_diag(const SlaveDiag& diag);

// {"stat1":2,...,"device":["0102"],"modules":[3],"channels":[{...}]}: the event details.
std::string diag_json(const SlaveDiag& diag);

}  // namespace meterd::profibus
