// SPDX-License-Identifier: Apache-2.0
// A DL/T 645 meter model as data: which DI (and where in its payload, in which format) gives
// each meterd point, and the vendor recharge action. Built-in defaults exist for a plain 2007
// prepaid meter and a 1997 meter; a profile YAML (config/profiles/dlt645-*.yaml) overrides
// or adds points. Validated once at start-up; immutable afterwards, shared by the meters of a
// model.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/settings.h"
#include "dlt645/codec/control.h"
#include "dlt645/codec/point_format.h"

namespace meterd::dlt645 {

// One field of the vendor recharge payload, in order.
struct RechargeField {
  enum class Kind { kAmount, kPurchaseCount };
  Kind kind = Kind::kAmount;
  BcdFormat format;
};

struct RechargeAction {
  DataId id = di::kVendorRecharge;
  std::vector<RechargeField> layout;
};

struct Profile {
  Version variant = Version::k2007;
  // Dlt645PointFormat::id holds the 2-byte DI for 1997 meters.
  std::vector<Dlt645PointFormat> points;
  std::optional<RechargeAction> recharge;  // nullopt: the model cannot be recharged

  const Dlt645PointFormat* find(std::string_view point) const;
};

// 2007: default_2007_profile() plus the vendor recharge DI 04 90 00 00 (amount XXXXXX.XX,
// purchase count NNNN). 1997: forward energy (total, tariffs), voltages, currents, power and
// power factor from the 1997 DI table (unconfirmed against a real meter); no recharge.
Profile default_profile(Version variant);

// Reads a profile tree:
//   variant: 2007 | 1997
//   points:  {<point>: {di: "00 01 00 00", format: "XXXXXX.XX", scale: 3, signed: false,
//                       offset: 0}
//             <flag point>: {di: "04 00 05 03", format: status_bit, bit: 4, bytes: 2,
//                            set_means: false}}
//   actions: {recharge: {di: "04 90 00 00",
//                        layout: [{field: amount, format: "XXXXXX.XX"},
//                                 {field: purchase_count, format: "NNNN"}]}}
// Points override the built-in default of the variant. `variant` is the meter's when the
// profile names none. nullopt (with every problem in `errors`) when invalid.
std::optional<Profile> read_profile(const SettingsNode& node, std::optional<Version> variant,
                                    const std::string& what, ConfigErrors& errors);

// "XXXXXX.XX" -> 4 bytes, 2 decimals; "XXX" -> 2 bytes. Digits are X or N.
std::optional<BcdFormat> parse_bcd_format(std::string_view text, bool is_signed = false);

}  // namespace meterd::dlt645
