// SPDX-License-Identifier: Apache-2.0
// PROFIBUS FDL telegrams (layer 2 of DP-V0): SD1, SD2, SD3 with FCS, SD4 token and the SC
// short acknowledge; SAP extension (DSAP/SSAP as the first DU bytes when bit 7 of DA/SA is
// set); function code bits. Pure: bytes in, values out, no I/O. Any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"

namespace meterd::profibus {

inline constexpr std::uint8_t kSd1 = 0x10;
inline constexpr std::uint8_t kSd2 = 0x68;
inline constexpr std::uint8_t kSd3 = 0xA2;
inline constexpr std::uint8_t kSd4 = 0xDC;
inline constexpr std::uint8_t kSc = 0xE5;
inline constexpr std::uint8_t kEd = 0x16;
inline constexpr std::uint8_t kBroadcast = 127;
inline constexpr std::uint8_t kAddressExtension = 0x80;
// LE counts DA..DU: at least DA SA FC, at most 249.
inline constexpr std::size_t kMaxLe = 249;
inline constexpr std::size_t kMaxUnitData = kMaxLe - 3;  // DU bytes, SAPs included

// Function code bits (FC byte).
namespace fc {
inline constexpr std::uint8_t kRequest = 0x40;
inline constexpr std::uint8_t kFcb = 0x20;
inline constexpr std::uint8_t kFcv = 0x10;
// Request functions (low nibble, with kRequest).
inline constexpr std::uint8_t kSdnLow = 0x04;
inline constexpr std::uint8_t kSdnHigh = 0x06;
inline constexpr std::uint8_t kFdlStatus = 0x09;
inline constexpr std::uint8_t kSrdLow = 0x0C;
inline constexpr std::uint8_t kSrdHigh = 0x0D;
// Response functions (low nibble, kRequest clear).
inline constexpr std::uint8_t kOk = 0x00;
inline constexpr std::uint8_t kUserError = 0x01;
inline constexpr std::uint8_t kNoResource = 0x02;
inline constexpr std::uint8_t kSapNotActive = 0x03;
inline constexpr std::uint8_t kDataLow = 0x08;
inline constexpr std::uint8_t kNoData = 0x09;
inline constexpr std::uint8_t kDataHigh = 0x0A;  // data, and a diagnosis is pending
// Station type of a response (bits 5..4).
inline constexpr std::uint8_t kStationTypeMask = 0x30;
inline constexpr std::uint8_t kStationSlave = 0x00;

constexpr bool is_request(std::uint8_t code) { return (code & kRequest) != 0; }
constexpr std::uint8_t function(std::uint8_t code) { return code & 0x0F; }
}  // namespace fc

// SAPs of DP-V0.
namespace sap {
inline constexpr std::uint8_t kMaster = 62;  // the master's SSAP
inline constexpr std::uint8_t kSetSlaveAddress = 55;
inline constexpr std::uint8_t kGlobalControl = 58;
inline constexpr std::uint8_t kGetCfg = 59;
inline constexpr std::uint8_t kSlaveDiag = 60;
inline constexpr std::uint8_t kSetPrm = 61;
inline constexpr std::uint8_t kChkCfg = 62;
}  // namespace sap

struct Telegram {
  enum class Kind { kData, kShortAck, kToken };
  Kind kind = Kind::kData;
  std::uint8_t sd = 0;  // the start delimiter it was decoded from (encode picks its own)
  std::uint8_t da = 0;  // station addresses, extension bit removed
  std::uint8_t sa = 0;
  std::uint8_t fc = 0;
  std::optional<std::uint8_t> dsap;
  std::optional<std::uint8_t> ssap;
  std::vector<std::uint8_t> data;  // DU without the SAP bytes

  static Telegram short_ack() {
    Telegram t;
    t.kind = Kind::kShortAck;
    return t;
  }
  bool operator==(const Telegram&) const = default;
};

// Sum mod 256.
std::uint8_t fcs(std::span<const std::uint8_t> bytes);

// The shortest format that carries the telegram: SD1 without DU, SD3 with exactly 8 DU bytes
// (SAPs included), SD2 otherwise; SC and SD4 as such. kInvalidArgument when the DU is longer
// than 246 bytes or an address is over 127.
Result<std::vector<std::uint8_t>> encode(const Telegram& telegram);

enum class ScanStatus {
  kNeedMore,   // a telegram may start here; wait for more bytes (consume = 0)
  kTelegram,   // `telegram` is complete and valid; consume its bytes
  kBadFcs,     // a framed telegram with a wrong FCS; consume it
  kMalformed,  // framed, right FCS, but not decodable (SAP extension without DU); consume it
  kGarbage,    // `consume` bytes that start no telegram
};

struct ScanResult {
  ScanStatus status = ScanStatus::kNeedMore;
  std::size_t consume = 0;
  Telegram telegram;
};

// Looks at the start of `bytes` for one telegram. Never reads past the span.
ScanResult scan(std::span<const std::uint8_t> bytes);

// Bytes the encoded telegram takes on the wire.
std::size_t encoded_size(const Telegram& telegram);

}  // namespace meterd::profibus
