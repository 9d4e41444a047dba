// SPDX-License-Identifier: Apache-2.0
#include "modbus/driver/profile.h"

#include <algorithm>
#include <map>

#include "core/settings_reader.h"
#include "modbus/codec/frame.h"

namespace meterd::modbus {
namespace {

// Profile units convertible to each canonical unit, with the factor.
std::optional<std::int64_t> unit_factor(std::string_view canonical, const std::string& unit) {
  static const std::map<std::pair<std::string_view, std::string>, std::int64_t> table = {
      {{"Wh", "Wh"}, 1},       {{"Wh", "kWh"}, 1000},
      {{"money", "money"}, 1}, {{"money", "currency"}, 10000},
      {{"W", "W"}, 1},         {{"W", "kW"}, 1000},
      {{"var", "var"}, 1},     {{"var", "kvar"}, 1000},
      {{"V", "V"}, 1},         {{"A", "A"}, 1},
      {{"Hz", "Hz"}, 1},       {{"%", "%"}, 1},
      {{"", ""}, 1},
  };
  auto it = table.find({canonical, unit.empty() ? std::string(canonical) : unit});
  if (it == table.end()) return std::nullopt;
  return it->second;
}

bool is_read_fc(std::int64_t fc) { return fc == kReadHolding || fc == kReadInput; }

// Reads type, word_order, bit, invert, scale, unit into a ValueFormat for `kind`/`canonical`.
ValueFormat read_format(SettingsReader& r, PointKind kind, std::string_view canonical,
                        WordOrder default_order) {
  ValueFormat f;
  f.kind = kind;
  const std::string type = r.required_string("type");
  if (auto t = parse_register_type(type)) {
    f.type = *t;
  } else if (!type.empty()) {
    r.errors().add(r.any("type")->pos,
                   "unknown register type '" + type + "' (u16, s16, u32, s32, float32, bit)");
  }
  const std::string order =
      r.one_of("word_order", default_order == WordOrder::kHighFirst ? "high_first" : "low_first",
               {"high_first", "low_first"});
  f.order = order == "high_first" ? WordOrder::kHighFirst : WordOrder::kLowFirst;
  if (f.type == RegisterType::kBit) {
    f.bit = static_cast<int>(r.required_integer("bit", 0, 15));
    f.invert = r.boolean("invert", false);
    if (kind != PointKind::kFlag) r.errors().add(r.pos(), "type bit only suits flag points");
    return f;
  }
  if (kind == PointKind::kFlag) r.errors().add(r.pos(), "a flag point needs type bit");
  const std::string scale_text = r.string("scale", "1");
  auto scale = parse_scale(scale_text);
  if (!scale) {
    r.errors().add(r.any("scale")->pos,
                   "scale '" + scale_text + "' is not a positive decimal like 0.01");
    scale = Scale{};
  }
  const std::string unit = r.string("unit", std::string(canonical));
  auto factor = unit_factor(canonical, unit);
  if (!factor) {
    r.errors().add(r.any("unit") ? r.any("unit")->pos : r.pos(),
                   "unit '" + unit + "' cannot be converted to '" + std::string(canonical) + "'");
    factor = 1;
  }
  f.scale = scale->times(*factor);
  return f;
}

std::optional<PointMap> read_point(const SettingsNode::Entry& entry, WordOrder order,
                                   ConfigErrors& errors) {
  auto info = find_point(entry.key);
  if (!info) {
    errors.add(entry.key_pos, "unknown point '" + entry.key + "'");
    return std::nullopt;
  }
  if (!entry.value.is_map()) {
    errors.add(entry.value.pos, "point '" + entry.key + "' must be a map");
    return std::nullopt;
  }
  const std::size_t before = errors.size();
  SettingsReader r(entry.value, errors, "point '" + entry.key + "'");
  PointMap p;
  p.name = entry.key;
  const auto fc = r.integer("function", kReadHolding, 1, 255);
  if (!is_read_fc(fc)) r.errors().add(r.any("function")->pos, "point function must be 3 or 4");
  p.span.fc = static_cast<std::uint8_t>(fc);
  p.span.address = static_cast<std::uint16_t>(r.required_integer("address", 0, 0xFFFF));
  p.format = read_format(r, info->kind, info->unit, order);
  const int width = register_width(p.format.type);
  const auto registers = r.integer("registers", width, 1, 0xFFFF);
  if (registers < width || registers > kMaxReadRegisters) {
    r.errors().add(r.any("registers")->pos,
                   "point '" + p.name + "' reads " + std::to_string(registers) +
                       " registers; a point takes " + std::to_string(width) + "..125");
  } else if (p.span.address + registers > 0x10000) {
    r.errors().add(r.pos(), "point '" + p.name + "' runs past register 0xFFFF");
  }
  p.span.count = static_cast<std::uint16_t>(std::clamp<std::int64_t>(registers, 1, 125));
  r.finish();
  if (errors.size() != before) return std::nullopt;
  return p;
}

PointKind arg_kind(const std::string& unit) {
  if (unit == "Wh" || unit == "kWh") return PointKind::kEnergyWh;
  if (unit == "currency" || unit == "money") return PointKind::kMoney;
  return PointKind::kCount;
}

std::string_view canonical_of(PointKind kind) {
  return kind == PointKind::kEnergyWh ? "Wh" : kind == PointKind::kMoney ? "money" : "";
}

std::optional<WriteStep> read_write(const SettingsNode& node, const std::string& action,
                                    WordOrder order, ConfigErrors& errors) {
  const std::size_t before = errors.size();
  SettingsReader r(node, errors, "write of action '" + action + "'");
  WriteStep w;
  w.fc = static_cast<std::uint8_t>(r.integer("function", kWriteMultiple, 1, 255));
  if (w.fc == kReadHolding || w.fc == kReadInput) {
    errors.add(r.any("function")->pos, "a write cannot use function " + std::to_string(w.fc));
  }
  w.address = static_cast<std::uint16_t>(r.required_integer("address", 0, 0xFFFF));
  if (const SettingsNode* values = r.sequence("values", true)) {
    for (const SettingsNode& item : values->items) {
      WriteValue v;
      if (item.is_scalar()) {
        auto literal = parse_integer(item.scalar);
        if (!literal || *literal < 0 || *literal > 0xFFFF) {
          errors.add(item.pos, "a literal register value must be 0..65535");
        } else {
          v.literal = static_cast<std::uint16_t>(*literal);
        }
      } else if (item.is_map()) {
        SettingsReader vr(item, errors, "value of action '" + action + "'");
        v.arg = vr.required_string("arg");
        const std::string unit = vr.has("unit") ? vr.string("unit") : std::string();
        const PointKind kind = arg_kind(unit);
        v.format = read_format(vr, kind, canonical_of(kind), order);
        if (v.format.type == RegisterType::kBit) errors.add(item.pos, "cannot write a bit");
        vr.finish();
      } else {
        errors.add(item.pos, "a value is a register literal or a map with 'arg'");
      }
      w.values.push_back(std::move(v));
    }
  }
  r.finish();
  const std::uint16_t n = w.register_count();
  if (n == 0 || n > kMaxWriteRegisters) {
    errors.add(node.pos, "a write takes 1..123 registers, this one " + std::to_string(n));
  } else if (w.fc == kWriteSingle && n != 1) {
    errors.add(node.pos, "function 6 writes exactly one register");
  } else if (w.address + n > 0x10000) {
    errors.add(node.pos, "write runs past register 0xFFFF");
  }
  if (errors.size() != before) return std::nullopt;
  return w;
}

std::optional<ActionMap> read_action(const SettingsNode::Entry& entry, const Profile& profile,
                                     WordOrder order, ConfigErrors& errors) {
  if (!entry.value.is_map()) {
    errors.add(entry.value.pos, "action '" + entry.key + "' must be a map");
    return std::nullopt;
  }
  const std::size_t before = errors.size();
  SettingsReader r(entry.value, errors, "action '" + entry.key + "'");
  ActionMap a;
  a.name = entry.key;
  a.broadcast = r.boolean("broadcast", false);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
  if (const SettingsNode* writes = r.sequence("writes", true)) {
    if (writes->items.empty()) errors.add(writes->pos, "an action needs at least one write");
    for (const SettingsNode& item : writes->items) {
      if (!item.is_map()) {
        errors.add(item.pos, "a write must be a map");
        continue;
      }
      auto w = read_write(item, a.name, order, errors);
      if (!w) continue;
      const std::uint32_t start = w->address, end = start + w->register_count();
      for (auto [s, e] : ranges) {
        if (start < e && s < end) {
          errors.add(item.pos, "action '" + a.name + "' writes registers " + std::to_string(start) +
                                   ".." + std::to_string(end - 1) +
                                   " that overlap an earlier write of the same action");
        }
      }
      ranges.emplace_back(start, end);
      a.writes.push_back(std::move(*w));
    }
  }
  for (const std::string& p : r.string_list("read_back")) {
    if (profile.point(p) == nullptr) {
      errors.add(r.any("read_back")->pos, "read_back names point '" + p + "' the profile lacks");
    }
    a.read_back.push_back(p);
  }
  r.finish();
  if (a.name == "recharge") {
    for (const char* needed : {"balance", "purchase_count"}) {
      if (profile.point(needed) == nullptr) {
        errors.add(entry.key_pos, std::string("recharge needs the point '") + needed + "'");
      }
    }
  }
  if (errors.size() != before) return std::nullopt;
  return a;
}

}  // namespace

std::uint16_t WriteStep::register_count() const {
  std::uint32_t n = 0;
  for (const auto& v : values) n += v.literal ? 1 : register_width(v.format.type);
  return static_cast<std::uint16_t>(std::min<std::uint32_t>(n, 0xFFFF));
}

const PointMap* Profile::point(const std::string& name) const {
  for (const auto& p : points) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const ActionMap* Profile::action(const std::string& name) const {
  for (const auto& a : actions) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

bool Profile::multiple_layout(std::uint8_t fc) const {
  return fc == kWriteMultiple ||
         std::find(vendor_functions.begin(), vendor_functions.end(), fc) != vendor_functions.end();
}

std::shared_ptr<const Profile> parse_profile(const SettingsNode& root, const std::string& name,
                                             ConfigErrors& errors) {
  const std::size_t before = errors.size();
  auto profile = std::make_shared<Profile>();
  profile->name = name;
  SettingsReader r(root, errors, "profile '" + name + "'");
  r.string("model");
  profile->max_gap = static_cast<std::uint16_t>(r.integer("max_gap", 8, 0, 124));
  const WordOrder order =
      r.one_of("word_order", "high_first", {"high_first", "low_first"}) == "high_first"
          ? WordOrder::kHighFirst
          : WordOrder::kLowFirst;
  if (const SettingsNode* blocks = r.sequence("read_blocks")) {
    for (const SettingsNode& item : blocks->items) {
      if (!item.is_map()) {
        errors.add(item.pos, "a read block must be a map");
        continue;
      }
      SettingsReader br(item, errors, "read block");
      RegisterSpan b;
      const auto fc = br.integer("function", kReadHolding, 1, 255);
      if (!is_read_fc(fc)) errors.add(item.pos, "read block function must be 3 or 4");
      b.fc = static_cast<std::uint8_t>(fc);
      b.address = static_cast<std::uint16_t>(br.required_integer("address", 0, 0xFFFF));
      b.count = static_cast<std::uint16_t>(br.required_integer("count", 1, kMaxReadRegisters));
      if (b.address + b.count > 0x10000) errors.add(item.pos, "block runs past 0xFFFF");
      br.finish();
      profile->read_blocks.push_back(b);
    }
  }
  if (const SettingsNode* points = r.map("points", true)) {
    for (const auto& entry : points->entries) {
      if (auto p = read_point(entry, order, errors)) profile->points.push_back(std::move(*p));
    }
  }
  if (const SettingsNode* actions = r.map("actions")) {
    for (const auto& entry : actions->entries) {
      if (auto a = read_action(entry, *profile, order, errors)) {
        for (const auto& w : a->writes) {
          if (w.fc != kWriteSingle && w.fc != kWriteMultiple && !profile->multiple_layout(w.fc)) {
            profile->vendor_functions.push_back(w.fc);
          }
        }
        profile->actions.push_back(std::move(*a));
      }
    }
  }
  r.finish();
  if (errors.size() != before) return nullptr;
  return profile;
}

}  // namespace meterd::modbus
