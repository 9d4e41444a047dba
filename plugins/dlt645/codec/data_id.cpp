// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/data_id.h"

#include <cstdio>

namespace meterd::dlt645 {

std::array<std::uint8_t, 4> encode_data_id(DataId id) {
  return {static_cast<std::uint8_t>(id), static_cast<std::uint8_t>(id >> 8),
          static_cast<std::uint8_t>(id >> 16), static_cast<std::uint8_t>(id >> 24)};
}

std::optional<DataId> decode_data_id(std::span<const std::uint8_t> wire) {
  if (wire.size() < 4) return std::nullopt;
  return static_cast<DataId>(wire[0]) | static_cast<DataId>(wire[1]) << 8 |
         static_cast<DataId>(wire[2]) << 16 | static_cast<DataId>(wire[3]) << 24;
}

std::optional<DataId> parse_data_id(std::string_view text) {
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool separator = c == ' ' || c == '-';
    // Separators only between byte pairs.
    if (separator && digits.size() % 2 == 0 && !digits.empty() && i + 1 < text.size()) continue;
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return std::nullopt;
    digits.push_back(c);
  }
  if (digits.size() != 8) return std::nullopt;
  return static_cast<DataId>(std::stoul(digits, nullptr, 16));
}

std::string format_data_id(DataId id) {
  char text[12];
  std::snprintf(text, sizeof text, "%02X %02X %02X %02X", (id >> 24) & 0xFFu, (id >> 16) & 0xFFu,
                (id >> 8) & 0xFFu, id & 0xFFu);
  return text;
}

std::optional<BcdFormat> numeric_format(DataId id) {
  const unsigned d3 = id >> 24, d2 = (id >> 16) & 0xFFu, d1 = (id >> 8) & 0xFFu, d0 = id & 0xFFu;
  // Combined, forward and reverse active energy: total (DI1 0) and tariffs 1..4.
  if (d3 == 0x00 && d2 <= 0x02 && d1 <= 0x04 && d0 == 0) return kFmtEnergy;
  if (d3 == 0x02 && d0 == 0) {
    const bool phase = d1 >= 1 && d1 <= 3;
    if (d2 == 0x01 && phase) return kFmtVoltage;
    if (d2 == 0x02 && phase) return kFmtCurrent;
    if ((d2 == 0x03 || d2 == 0x04) && d1 <= 3) return kFmtPower;  // total, A, B, C
    if (d2 == 0x06 && d1 <= 3) return kFmtPowerFactor;
  }
  switch (id) {
    case di::kFrequency:
      return kFmtFrequency;
    case di::kRemainingAmount:
    case di::kOverdraftAmount:
    case di::kAlarmLimit1:
    case di::kAlarmLimit2:
      return kFmtMoney;
    case di::kPurchaseCount:
      return kFmtCount;
    case di::kTariffPrice1:
    case di::kTariffPrice1 + 1:
    case di::kTariffPrice1 + 2:
    case di::kTariffPrice1 + 3:
      return kFmtPrice;
    default:
      return std::nullopt;
  }
}

}  // namespace meterd::dlt645
