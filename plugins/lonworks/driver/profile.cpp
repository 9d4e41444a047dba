// SPDX-License-Identifier: Apache-2.0
#include "lonworks/driver/profile.h"

#include <algorithm>

#include "core/point.h"
#include "core/settings_reader.h"
#include "lonworks/codec/apdu.h"

namespace meterd::lonworks {

namespace {

// Whether a SNVT can give a point of this kind and unit.
bool fits(const PointInfo& point, const SnvtInfo& snvt) {
  switch (point.kind) {
    case PointKind::kEnergyWh:
      return snvt.unit == "Wh";
    case PointKind::kFlag:
      return snvt.encoding == SnvtEncoding::kSwitch;
    case PointKind::kAnalog:
      return snvt.unit == point.unit;
    default:
      return false;
  }
}

// The selector of a map with `selector` or `nv_index` (exactly one); nullopt on error.
std::optional<std::uint16_t> read_selector(SettingsReader& r, const std::string& item) {
  const bool by_selector = r.has("selector");
  const bool by_index = r.has("nv_index");
  if (by_selector == by_index) {
    r.errors().add(r.pos(), item + ": give exactly one of 'selector' and 'nv_index'");
    r.any("selector");
    r.any("nv_index");
    return std::nullopt;
  }
  const std::size_t before = r.errors().size();
  std::int64_t value = by_selector ? r.required_integer("selector", 0, kMaxSelector)
                                   : r.required_integer("nv_index", 0, 4095);
  if (r.errors().size() != before) return std::nullopt;
  return by_selector ? static_cast<std::uint16_t>(value)
                     : selector_of_unbound_index(static_cast<std::uint16_t>(value));
}

const SnvtInfo* read_snvt(SettingsReader& r, const std::string& item) {
  const std::string name = r.required_string("snvt");
  if (name.empty()) return nullptr;
  const SnvtInfo* snvt = find_snvt(name);
  if (snvt == nullptr) {
    std::string known;
    for (const auto& info : snvt_table())
      known += (known.empty() ? "" : ", ") + std::string(info.name);
    r.errors().add(r.any("snvt")->pos,
                   item + ": unknown SNVT '" + name + "' (known: " + known + ")");
    return nullptr;
  }
  if (r.has("length")) {
    const std::int64_t length = r.integer("length", 0, 1, 31);
    if (length != 0 && static_cast<std::size_t>(length) != snvt->size) {
      r.errors().add(r.any("length")->pos, item + ": NV length " + std::to_string(length) +
                                               " does not match " + std::string(snvt->name) + " (" +
                                               std::to_string(snvt->size) + " bytes)");
    }
  }
  return snvt;
}

}  // namespace

const NvPoint* LonProfile::find(std::string_view point) const {
  auto it = std::find_if(points.begin(), points.end(),
                         [&](const NvPoint& p) { return p.point == point; });
  return it == points.end() ? nullptr : &*it;
}

std::optional<LonProfile> read_lon_profile(const SettingsNode& node, const std::string& what,
                                           ConfigErrors& errors) {
  const std::size_t before = errors.size();
  SettingsReader r(node, errors, what);
  LonProfile profile;
  if (const SettingsNode* points = r.map("points", true)) {
    for (const auto& entry : points->entries) {
      const std::string item = what + " point '" + entry.key + "'";
      const auto info = find_point(entry.key);
      if (!info) {
        errors.add(entry.key_pos, item + ": not a meterd point name");
        continue;
      }
      if (!entry.value.is_map()) {
        errors.add(entry.value.pos, item + " must be a map with nv_index or selector, and snvt");
        continue;
      }
      SettingsReader p(entry.value, errors, item);
      const auto selector = read_selector(p, item);
      const SnvtInfo* snvt = read_snvt(p, item);
      p.finish();
      if (snvt && !fits(*info, *snvt)) {
        errors.add(entry.value.pos, item + ": " + std::string(snvt->name) + " (" +
                                        std::string(snvt->unit) + ") cannot give a point in '" +
                                        std::string(info->unit) + "'");
        continue;
      }
      if (selector && snvt) profile.points.push_back({info->name, *selector, snvt});
    }
  }
  if (const SettingsNode* actions = r.map("actions")) {
    SettingsReader a(*actions, errors, what + " actions");
    if (const SettingsNode* relay = a.map("relay")) {
      const std::string item = what + " action 'relay'";
      SettingsReader p(*relay, errors, item);
      const auto selector = read_selector(p, item);
      const SnvtInfo* snvt = read_snvt(p, item);
      p.finish();
      if (snvt && snvt->encoding != SnvtEncoding::kSwitch) {
        errors.add(relay->pos, item + ": the relay NV must be a SNVT_switch");
      } else if (selector && snvt) {
        profile.relay = NvTarget{*selector, snvt};
      }
    }
    a.finish();
  }
  r.string("protocol");  // documentation only
  r.string("description");
  r.finish();
  if (errors.size() != before) return std::nullopt;
  return profile;
}

}  // namespace meterd::lonworks
