// SPDX-License-Identifier: Apache-2.0
// DL/T 645-2007 data identifiers (DI3 DI2 DI1 DI0 as written in the standard, sent DI0 first)
// and the formats of the ones meterd uses. Facts in docs/dlt645.md; the two marked
// (unconfirmed) come from the 2007 DI table without an independent check. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dlt645/codec/bcd.h"

namespace meterd::dlt645 {

using DataId = std::uint32_t;  // 0x00010000 is "00 01 00 00"

namespace di {
inline constexpr DataId kCombinedActiveTotal = 0x00000000;
inline constexpr DataId kForwardActiveTotal = 0x00010000;
inline constexpr DataId kForwardActiveTariff1 = 0x00010100;  // ..4: 0x00010400
inline constexpr DataId kForwardActiveBlock = 0x0001FF00;    // total + tariffs 1..4, 5 x 4 B
inline constexpr DataId kReverseActiveTotal = 0x00020000;
inline constexpr DataId kVoltageA = 0x02010100;  // B: 0x02010200, C: 0x02010300
inline constexpr DataId kCurrentA = 0x02020100;
inline constexpr DataId kActivePowerTotal = 0x02030000;    // A..C: 0x02030100..0x02030300
inline constexpr DataId kReactivePowerTotal = 0x02040000;  // (unconfirmed) XX.XXXX kvar
inline constexpr DataId kPowerFactorTotal = 0x02060000;
inline constexpr DataId kFrequency = 0x02800002;  // (unconfirmed) XX.XX Hz
inline constexpr DataId kDate = 0x04000101;       // YY MM DD WW (sent WW first)
inline constexpr DataId kTime = 0x04000102;       // hh mm ss (sent ss first)
inline constexpr DataId kStatusWord3 = 0x04000503;
inline constexpr DataId kRemainingAmount = 0x00900200;
inline constexpr DataId kOverdraftAmount = 0x00900201;
inline constexpr DataId kPurchaseCount = 0x03330201;
inline constexpr DataId kAlarmLimit1 = 0x04001001;
inline constexpr DataId kAlarmLimit2 = 0x04001002;
inline constexpr DataId kTariffPrice1 = 0x04050101;  // ..4: 0x04050104
// Vendor recharge (one vendor seen): amount XXXXXX.XX 4 B + purchase count 2 B BCD.
inline constexpr DataId kVendorRecharge = 0x04900000;
}  // namespace di

// Status word 3 bits (2 bytes, binary, low byte first).
namespace status3 {
inline constexpr std::uint16_t kRelayOpen = 1u << 4;     // 0 closed, 1 open
inline constexpr std::uint16_t kRelayCommand = 1u << 6;  // 1 = trip commanded
inline constexpr std::uint16_t kPreTripAlarm = 1u << 7;
inline constexpr std::uint16_t kKeepPower = 1u << 12;
inline constexpr std::uint16_t kMeterTypeMask = 3u << 8;  // (unconfirmed)
inline constexpr std::uint16_t kMoneyPrepaid = 2u << 8;   // (unconfirmed)
}  // namespace status3

std::array<std::uint8_t, 4> encode_data_id(DataId id);                     // DI0 first
std::optional<DataId> decode_data_id(std::span<const std::uint8_t> wire);  // needs >= 4 bytes
// "00 01 00 00", "00010000" or "00-01-00-00" (hex, DI3 first); nullopt otherwise.
std::optional<DataId> parse_data_id(std::string_view text);
std::string format_data_id(DataId id);  // "00 01 00 00"

// The BCD format of a numeric DI meterd knows; nullopt for blocks, words and unknown DIs.
std::optional<BcdFormat> numeric_format(DataId id);

}  // namespace meterd::dlt645
