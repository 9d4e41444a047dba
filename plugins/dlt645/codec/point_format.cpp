// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/point_format.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace meterd::dlt645 {

namespace {

Dlt645PointFormat bcd(std::string_view point, DataId id, BcdFormat format, int exponent) {
  return Dlt645PointFormat{point, id, 0, ValueEncoding::kBcd, format, exponent, 0, 2, true};
}

Error malformed(const Dlt645PointFormat& format, const std::string& what) {
  return make_error(ErrorKind::kMalformed,
                    std::string(format.point) + " (DI " + format_data_id(format.id) + "): " + what);
}

}  // namespace

const std::vector<Dlt645PointFormat>& default_2007_profile() {
  static const std::vector<Dlt645PointFormat> table = {
      bcd("energy_total", di::kForwardActiveTotal, kFmtEnergy, 3),
      bcd("energy_sharp", di::kForwardActiveTariff1, kFmtEnergy, 3),
      bcd("energy_peak", di::kForwardActiveTariff1 + 0x100, kFmtEnergy, 3),
      bcd("energy_flat", di::kForwardActiveTariff1 + 0x200, kFmtEnergy, 3),
      bcd("energy_valley", di::kForwardActiveTariff1 + 0x300, kFmtEnergy, 3),
      bcd("energy_reverse", di::kReverseActiveTotal, kFmtEnergy, 3),
      bcd("voltage_a", di::kVoltageA, kFmtVoltage, 0),
      bcd("voltage_b", di::kVoltageA + 0x100, kFmtVoltage, 0),
      bcd("voltage_c", di::kVoltageA + 0x200, kFmtVoltage, 0),
      bcd("current_a", di::kCurrentA, kFmtCurrent, 0),
      bcd("current_b", di::kCurrentA + 0x100, kFmtCurrent, 0),
      bcd("current_c", di::kCurrentA + 0x200, kFmtCurrent, 0),
      bcd("power_total", di::kActivePowerTotal, kFmtPower, 3),
      bcd("power_a", di::kActivePowerTotal + 0x100, kFmtPower, 3),
      bcd("power_b", di::kActivePowerTotal + 0x200, kFmtPower, 3),
      bcd("power_c", di::kActivePowerTotal + 0x300, kFmtPower, 3),
      bcd("reactive_power_total", di::kReactivePowerTotal, kFmtPower, 3),
      bcd("pf_total", di::kPowerFactorTotal, kFmtPowerFactor, 0),
      bcd("frequency", di::kFrequency, kFmtFrequency, 0),
      bcd("balance", di::kRemainingAmount, kFmtMoney, 4),
      bcd("purchase_count", di::kPurchaseCount, kFmtCount, 0),
      Dlt645PointFormat{
          "relay_closed", di::kStatusWord3, 0, ValueEncoding::kStatusBit, {}, 0, 4, 2, false},
      Dlt645PointFormat{"relay_close_allowed",
                        di::kStatusWord3,
                        0,
                        ValueEncoding::kStatusBit,
                        {},
                        0,
                        6,
                        2,
                        false},
  };
  return table;
}

std::optional<Dlt645PointFormat> find_point_format(std::string_view point) {
  const auto& table = default_2007_profile();
  auto it = std::find_if(table.begin(), table.end(),
                         [&](const Dlt645PointFormat& f) { return f.point == point; });
  if (it == table.end()) return std::nullopt;
  return *it;
}

Result<PointValue> decode_point(const Dlt645PointFormat& format,
                                std::span<const std::uint8_t> payload) {
  const auto info = find_point(format.point);
  if (!info) {
    return make_error(ErrorKind::kInternal, "unknown point " + std::string(format.point));
  }
  PointValue value{std::string(format.point), {}};
  if (format.encoding == ValueEncoding::kStatusBit) {
    if (payload.size() < format.offset + format.width || format.width > 8) {
      return malformed(format, "status word too short");
    }
    const std::size_t byte = format.offset + format.bit / 8u;
    if (format.bit / 8u >= format.width) return malformed(format, "bit outside the word");
    const bool set = (payload[byte] >> (format.bit % 8u)) & 1u;
    value.value = set ? format.bit_set_means : !format.bit_set_means;
    return value;
  }
  if (payload.size() < format.offset + format.bcd.bytes) return malformed(format, "too short");
  const auto number = decode_bcd(payload.subspan(format.offset, format.bcd.bytes), format.bcd);
  if (!number) return malformed(format, "not BCD");
  switch (info->kind) {
    case PointKind::kEnergyWh:
    case PointKind::kMoney:
    case PointKind::kCount: {
      // value / 10^decimals x 10^exponent is the same digits at (decimals - exponent) places.
      const auto scaled = rescale(Scaled{number->value, number->decimals - format.exponent}, 0);
      if (!scaled) return malformed(format, "out of range");
      value.value = *scaled;
      return value;
    }
    case PointKind::kFlag:
      value.value = number->value != 0;
      return value;
    case PointKind::kAnalog: {
      // Dividing by an exact power of ten rounds once: 2205 / 10 is 220.5, 2205 * 0.1 is not.
      const int shift = format.exponent - number->decimals;
      const double magnitude = std::pow(10.0, std::abs(shift));
      const double raw = static_cast<double>(number->value);
      value.value = shift >= 0 ? raw * magnitude : raw / magnitude;
      return value;
    }
  }
  return make_error(ErrorKind::kInternal, "unhandled point kind");
}

}  // namespace meterd::dlt645
