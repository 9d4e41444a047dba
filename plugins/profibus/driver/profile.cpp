// SPDX-License-Identifier: Apache-2.0
#include "profibus/driver/profile.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>

#include "core/settings_reader.h"
#include "profibus/codec/config_data.h"

namespace meterd::profibus {

namespace {

std::int64_t raw_min(ValueType t) {
  switch (t) {
    case ValueType::kS16:
      return -32768;
    case ValueType::kS32:
      return std::numeric_limits<std::int32_t>::min();
    default:
      return 0;
  }
}

std::int64_t raw_max(ValueType t) {
  switch (t) {
    case ValueType::kU8:
      return 255;
    case ValueType::kU16:
      return 65535;
    case ValueType::kS16:
      return 32767;
    case ValueType::kU32:
      return std::numeric_limits<std::uint32_t>::max();
    case ValueType::kS32:
      return std::numeric_limits<std::int32_t>::max();
    case ValueType::kBit:
      return 1;
    case ValueType::kFloat32:
      return 0;
  }
  return 0;
}

void put_be(std::span<std::uint8_t> out, std::size_t offset, std::uint32_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out[offset + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
  }
}

std::optional<std::vector<std::uint8_t>> parse_hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : text) {
    if (c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    digits += c;
  }
  if (digits.size() % 2) return std::nullopt;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace

std::optional<ValueType> parse_value_type(std::string_view text) {
  static const std::map<std::string_view, ValueType> kTypes = {
      {"u8", ValueType::kU8},   {"u16", ValueType::kU16}, {"s16", ValueType::kS16},
      {"u32", ValueType::kU32}, {"s32", ValueType::kS32}, {"float32", ValueType::kFloat32},
      {"bit", ValueType::kBit}};
  auto it = kTypes.find(text);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

std::size_t value_size(ValueType type) {
  switch (type) {
    case ValueType::kU8:
    case ValueType::kBit:
      return 1;
    case ValueType::kU16:
    case ValueType::kS16:
      return 2;
    default:
      return 4;
  }
}

const PointMap* Profile::find_point(std::string_view name) const {
  for (const auto& p : points) {
    if (p.point == name) return &p;
  }
  return nullptr;
}

const ActionMap* Profile::find_action(std::string_view name) const {
  for (const auto& a : actions) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::optional<Profile> read_profile(const SettingsNode& node, const std::string& what,
                                    ConfigErrors& errors) {
  const std::size_t before = errors.size();
  SettingsReader r(node, errors, what);
  Profile profile;
  r.string("protocol");  // documentation only
  const std::string gsd_name = r.required_string("gsd");
  const SettingsNode* modules = r.sequence("modules", true);
  const SettingsNode* points = r.map("points", true);
  const SettingsNode* actions = r.map("actions");
  const std::string initial = r.string("initial_outputs");
  const SourcePos initial_pos = r.has("initial_outputs") ? r.any("initial_outputs")->pos : r.pos();
  r.finish();
  if (gsd_name.empty() || !modules) return std::nullopt;
  std::filesystem::path gsd_path(gsd_name);
  if (gsd_path.is_relative()) {
    gsd_path = std::filesystem::path(node.pos.file).parent_path() / gsd_path;
  }
  const SourcePos gsd_pos = node.find("gsd")->pos;
  auto gsd = load_gsd(gsd_path.string(), gsd_pos, errors);
  if (!gsd) return std::nullopt;
  profile.gsd = std::make_shared<const GsdFile>(std::move(*gsd));
  profile.user_prm = profile.gsd->user_prm;
  if (modules->items.empty()) errors.add(modules->pos, what + ": 'modules' lists no module");
  if (!profile.gsd->modular && modules->items.size() > 1) {
    errors.add(modules->pos, what + ": the GSD describes a compact station (one module)");
  }
  if (static_cast<int>(modules->items.size()) > profile.gsd->max_module) {
    errors.add(modules->pos, what + ": " + std::to_string(modules->items.size()) +
                                 " modules where the GSD allows " +
                                 std::to_string(profile.gsd->max_module));
  }
  for (const auto& item : modules->items) {
    const GsdModule* module = item.is_scalar() ? profile.gsd->find_module(item.scalar) : nullptr;
    if (module == nullptr) {
      errors.add(item.pos, what + ": module '" + item.scalar + "' is not in GSD file " +
                               gsd_path.filename().string());
      continue;
    }
    profile.modules.push_back(module->name);
    profile.cfg.insert(profile.cfg.end(), module->cfg.begin(), module->cfg.end());
    profile.user_prm.insert(profile.user_prm.end(), module->prm.begin(), module->prm.end());
  }
  if (profile.user_prm.size() > 237) {
    errors.add(modules->pos, what + ": user parameter data over 237 bytes");
  }
  auto decoded = decode_cfg(profile.cfg);
  if (!decoded) {
    errors.add(modules->pos, what + ": the modules' cfg bytes: " + decoded.error().message);
  } else {
    const IoSizes sizes = io_sizes(decoded.value());
    profile.input_bytes = sizes.inputs;
    profile.output_bytes = sizes.outputs;
  }
  profile.initial_outputs.assign(profile.output_bytes, 0);
  if (!initial.empty()) {
    auto bytes = parse_hex(initial);
    if (!bytes || bytes->size() != profile.output_bytes) {
      errors.add(initial_pos, what + ": initial_outputs must be " +
                                  std::to_string(profile.output_bytes) + " hex bytes");
    } else {
      profile.initial_outputs = *bytes;
    }
  }
  if (points) {
    for (const auto& entry : points->entries) {
      const std::string pwhat = what + " point '" + entry.key + "'";
      auto info = meterd::find_point(entry.key);
      if (!info && !entry.key.starts_with("harmonic_")) {
        errors.add(entry.key_pos, pwhat + ": not a known point");
        continue;
      }
      if (!entry.value.is_map()) {
        errors.add(entry.value.pos, pwhat + ": expected a map {offset, type, scale}");
        continue;
      }
      SettingsReader pr(entry.value, errors, pwhat);
      PointMap map;
      map.point = entry.key;
      map.kind = info ? info->kind : PointKind::kAnalog;
      map.offset = static_cast<std::size_t>(pr.required_integer("offset", 0, 243));
      const SourcePos offset_pos = pr.has("offset") ? pr.any("offset")->pos : pr.pos();
      const std::string type =
          pr.one_of("type", "u16", {"u8", "u16", "s16", "u32", "s32", "float32", "bit"});
      map.type = parse_value_type(type).value_or(ValueType::kU16);
      map.bit = static_cast<int>(pr.integer("bit", 0, 0, 7));
      map.scale = pr.number("scale", 1.0, -1e9, 1e9);
      pr.finish();
      if (map.offset + value_size(map.type) > profile.input_bytes) {
        errors.add(offset_pos, pwhat + ": offset " + std::to_string(map.offset) + " + " +
                                   std::to_string(value_size(map.type)) +
                                   " bytes is past the input image of " +
                                   std::to_string(profile.input_bytes) + " bytes");
      }
      if (map.kind == PointKind::kFlag && map.type != ValueType::kBit) {
        errors.add(entry.key_pos, pwhat + ": a flag point needs type: bit");
      }
      profile.points.push_back(map);
    }
  }
  if (actions) {
    for (const auto& entry : actions->entries) {
      const std::string awhat = what + " action '" + entry.key + "'";
      if (!entry.value.is_map()) {
        errors.add(entry.value.pos, awhat + ": expected a map {byte, bit, value}");
        continue;
      }
      SettingsReader ar(entry.value, errors, awhat);
      ActionMap map;
      map.name = entry.key;
      map.offset = static_cast<std::size_t>(ar.required_integer("byte", 0, 243));
      const SourcePos byte_pos = ar.has("byte") ? ar.any("byte")->pos : ar.pos();
      map.type =
          parse_value_type(ar.one_of("type", "bit", {"u8", "u16", "s16", "u32", "s32", "bit"}))
              .value_or(ValueType::kBit);
      if (map.type == ValueType::kBit) {
        map.bit = static_cast<int>(ar.integer("bit", 0, 0, 7));
        map.value = static_cast<int>(ar.required_integer("value", 0, 1));
      } else {
        map.argument = ar.required_string("argument");
        map.scale = ar.number("scale", 1.0, 1e-9, 1e9);
      }
      ar.finish();
      if (map.offset + value_size(map.type) > profile.output_bytes) {
        errors.add(byte_pos, awhat + ": byte " + std::to_string(map.offset) +
                                 " is past the output image of " +
                                 std::to_string(profile.output_bytes) + " bytes");
      }
      profile.actions.push_back(map);
    }
  }
  if (errors.size() != before) return std::nullopt;
  return profile;
}

Result<PointValue> decode_point(const PointMap& map, std::span<const std::uint8_t> in) {
  const std::size_t n = value_size(map.type);
  if (map.offset + n > in.size()) {
    return make_error(ErrorKind::kMalformed, "input image too short for " + map.point);
  }
  std::uint32_t u = 0;
  for (std::size_t i = 0; i < n; ++i) u = u << 8 | in[map.offset + i];
  double raw = 0;
  switch (map.type) {
    case ValueType::kBit:
      return PointValue{map.point, ((u >> map.bit) & 1u) != 0};
    case ValueType::kS16:
      raw = static_cast<std::int16_t>(u);
      break;
    case ValueType::kS32:
      raw = static_cast<std::int32_t>(u);
      break;
    case ValueType::kFloat32: {
      const float f = std::bit_cast<float>(u);
      if (!std::isfinite(f)) return make_error(ErrorKind::kMalformed, map.point + " is not finite");
      raw = f;
      break;
    }
    default:
      raw = u;
  }
  // A scale of 0.1, 0.01 ... divides by 10, 100 ...: one rounding, so 2327 at 0.1 is the
  // double nearest 232.7 (JSON `232.7`), where 2327 * 0.1 is 232.70000000000002.
  const double inverse = map.scale != 0 ? std::round(1.0 / map.scale) : 0;
  const bool decimal_step = std::abs(map.scale) < 1 && inverse != 0 &&
                            std::abs(1.0 / map.scale - inverse) < 1e-9 * std::abs(inverse);
  const double value = decimal_step ? raw / inverse : raw * map.scale;
  switch (map.kind) {
    case PointKind::kEnergyWh:
    case PointKind::kMoney:
    case PointKind::kCount:
      return PointValue{map.point, static_cast<std::int64_t>(std::llround(value))};
    case PointKind::kFlag:
      return PointValue{map.point, value != 0};
    case PointKind::kAnalog:
      break;
  }
  return PointValue{map.point, value};
}

void encode_point(const PointMap& map, double value, std::span<std::uint8_t> out) {
  const std::size_t n = value_size(map.type);
  if (map.offset + n > out.size()) return;
  if (map.type == ValueType::kBit) {
    const auto mask = static_cast<std::uint8_t>(1u << map.bit);
    out[map.offset] = value != 0 ? (out[map.offset] | mask) : (out[map.offset] & ~mask);
    return;
  }
  const double raw = map.scale != 0 ? value / map.scale : 0;
  if (map.type == ValueType::kFloat32) {
    put_be(out, map.offset, std::bit_cast<std::uint32_t>(static_cast<float>(raw)), 4);
    return;
  }
  const auto clamped =
      std::clamp<std::int64_t>(std::llround(raw), raw_min(map.type), raw_max(map.type));
  put_be(out, map.offset, static_cast<std::uint32_t>(clamped), n);
}

Status apply_action(const ActionMap& map, const std::map<std::string, std::int64_t>& integers,
                    std::span<std::uint8_t> out) {
  const std::size_t n = value_size(map.type);
  if (map.offset + n > out.size()) {
    return make_error(ErrorKind::kInternal, "action past the output image");
  }
  if (map.type == ValueType::kBit) {
    const auto mask = static_cast<std::uint8_t>(1u << map.bit);
    out[map.offset] = map.value ? (out[map.offset] | mask) : (out[map.offset] & ~mask);
    return Ok{};
  }
  auto it = integers.find(map.argument);
  if (it == integers.end()) {
    return make_error(ErrorKind::kInvalidArgument,
                      map.name + " needs an integer '" + map.argument + "'");
  }
  const double raw = static_cast<double>(it->second) / map.scale;
  const auto value = std::llround(raw);
  if (value < raw_min(map.type) || value > raw_max(map.type)) {
    return make_error(ErrorKind::kInvalidArgument,
                      map.argument + " " + std::to_string(it->second) + " does not fit");
  }
  put_be(out, map.offset, static_cast<std::uint32_t>(value), n);
  return Ok{};
}

}  // namespace meterd::profibus
