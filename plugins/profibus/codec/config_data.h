// SPDX-License-Identifier: Apache-2.0
// Chk_Cfg / Get_Cfg identifier bytes of DP-V0 (general and special formats) and the
// Set_Prm parameter telegram. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace meterd::profibus {

// One module's share of the I/O images, from its identifier byte(s).
struct CfgModule {
  std::size_t inputs = 0;   // bytes
  std::size_t outputs = 0;  // bytes
  bool consistent = false;
  std::size_t manufacturer_bytes = 0;  // special format only
  bool operator==(const CfgModule&) const = default;
};

struct IoSizes {
  std::size_t inputs = 0;
  std::size_t outputs = 0;
};

// General format: bits 0..3 length-1, 0x10 input, 0x20 output, 0x30 both, 0x40 words,
// 0x80 consistency. Special format (bits 5..4 = 00): bits 7..6 say which length bytes follow
// (01 input, 10 output, 11 output then input), bits 3..0 the manufacturer bytes after them;
// a length byte is 0x80 consistency, 0x40 words, bits 0..5 length-1. kMalformed when the
// bytes end inside a module.
Result<std::vector<CfgModule>> decode_cfg(std::span<const std::uint8_t> cfg);
IoSizes io_sizes(const std::vector<CfgModule>& modules);

// "5F 20": cfg bytes as the events and messages show them.
std::string hex_bytes(std::span<const std::uint8_t> bytes);

namespace station_status {
inline constexpr std::uint8_t kWatchdogOn = 0x08;
inline constexpr std::uint8_t kFreezeRequested = 0x10;
inline constexpr std::uint8_t kSyncRequested = 0x20;
inline constexpr std::uint8_t kUnlock = 0x40;
inline constexpr std::uint8_t kLock = 0x80;
}  // namespace station_status

struct PrmData {
  std::uint8_t station_status = station_status::kLock;
  std::uint8_t wd_fact_1 = 1;
  std::uint8_t wd_fact_2 = 1;
  std::uint8_t min_tsdr = 0;  // bit times; 0 keeps the slave's
  std::uint16_t ident = 0;
  std::uint8_t group = 0;
  std::vector<std::uint8_t> user;
  bool operator==(const PrmData&) const = default;
};

std::vector<std::uint8_t> encode_prm(const PrmData& prm);
Result<PrmData> decode_prm(std::span<const std::uint8_t> data);  // at least 7 bytes

// Global_Control command bits.
namespace control {
inline constexpr std::uint8_t kClearData = 0x02;
inline constexpr std::uint8_t kUnfreeze = 0x04;
inline constexpr std::uint8_t kFreeze = 0x08;
inline constexpr std::uint8_t kUnsync = 0x10;
inline constexpr std::uint8_t kSync = 0x20;
}  // namespace control

}  // namespace meterd::profibus
