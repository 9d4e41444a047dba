// SPDX-License-Identifier: Apache-2.0
// A LonWorks meter model as data: which network variable (by selector, or by NV index under
// the unbound convention selector = 0x3FFF - index) and which SNVT gives each meterd point,
// and which SNVT_switch input NV the relay actions update. Read once at start-up from the
// profile tree (config/profiles/lonworks-*.yaml) with every problem reported at its
// line:col; immutable afterwards and shared by the meters of a model.
//
//   points:  {<point>: {nv_index: 0, snvt: SNVT_elec_kwh_l, length: 4}
//             <point>: {selector: 0x3FF9, snvt: SNVT_switch}}
//   actions: {relay: {nv_index: 7, snvt: SNVT_switch}}
// `length` is optional and must equal the SNVT's size (a guard against a model whose NV
// differs from the type it names).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/settings.h"
#include "lonworks/codec/snvt.h"

namespace meterd::lonworks {

struct NvPoint {
  std::string_view point;  // a known meterd point name (static storage)
  std::uint16_t selector = 0;
  const SnvtInfo* snvt = nullptr;
};

struct NvTarget {
  std::uint16_t selector = 0;
  const SnvtInfo* snvt = nullptr;
};

struct LonProfile {
  std::vector<NvPoint> points;
  std::optional<NvTarget> relay;  // nullopt: the model has no relay
  const NvPoint* find(std::string_view point) const;
};

std::optional<LonProfile> read_lon_profile(const SettingsNode& node, const std::string& what,
                                           ConfigErrors& errors);

}  // namespace meterd::lonworks
