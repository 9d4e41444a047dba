// SPDX-License-Identifier: Apache-2.0
// How meterd points map onto DL/T 645 data: which DI to read, where in the payload the value
// sits, how it is encoded, and how to turn it into the point's canonical unit (core/point.h:
// Wh, 1/10000 money, V, A, W ...). default_2007_profile() is the table for a plain 2007
// prepaid meter; YAML profiles override entries. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/point.h"
#include "core/result.h"
#include "dlt645/codec/bcd.h"
#include "dlt645/codec/data_id.h"

namespace meterd::dlt645 {

enum class ValueEncoding {
  kBcd,        // a BcdFormat number
  kStatusBit,  // one bit of a little-endian binary status word
};

struct Dlt645PointFormat {
  std::string_view point;  // a core/point.h name
  DataId id = 0;
  std::size_t offset = 0;  // byte offset in the payload (block reads)
  ValueEncoding encoding = ValueEncoding::kBcd;
  BcdFormat bcd{};  // kBcd
  // kBcd: canonical = meter value x 10^exponent (kWh -> Wh: 3, currency -> 1/10000: 4).
  int exponent = 0;
  std::uint8_t bit = 0;       // kStatusBit: bit index in the status word
  std::uint8_t width = 2;     // kStatusBit: status word bytes
  bool bit_set_means = true;  // kStatusBit: the point value when the bit is 1
};

// energy_total/sharp/peak/flat/valley (forward active, tariffs 1..4 = sharp, peak, flat,
// valley), energy_reverse, voltage_a..c, current_a..c, power_total/a..c,
// reactive_power_total, pf_total, frequency, balance, purchase_count, relay_closed,
// relay_close_allowed.
const std::vector<Dlt645PointFormat>& default_2007_profile();
std::optional<Dlt645PointFormat> find_point_format(std::string_view point);

// Decodes `payload` (the read reply after its DI) into the point. Integers stay exact
// (kEnergyWh, kMoney, kCount; digits finer than the unit are truncated toward zero); analogs
// become doubles. kMalformed on a short payload or bad BCD; kInternal for a point the
// vocabulary does not know.
Result<PointValue> decode_point(const Dlt645PointFormat& format,
                                std::span<const std::uint8_t> payload);

}  // namespace meterd::dlt645
