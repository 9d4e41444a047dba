// SPDX-License-Identifier: Apache-2.0
#include "dlt645/driver/profile.h"

#include <algorithm>
#include <limits>

#include "core/settings_reader.h"

namespace meterd::dlt645 {

namespace {

Dlt645PointFormat bcd(std::string_view point, DataId id, BcdFormat format, int exponent) {
  return Dlt645PointFormat{point, id, 0, ValueEncoding::kBcd, format, exponent, 0, 2, true};
}

// DL/T 645-1997 DIs (2 bytes, DI1 DI0 as written). From the 1997 DI table; unconfirmed
// against a real meter.
const std::vector<Dlt645PointFormat>& default_1997_points() {
  static constexpr BcdFormat kVoltage1997{2, 0, false};  // XXX V
  static constexpr BcdFormat kCurrent1997{2, 2, false};  // XX.XX A
  static constexpr BcdFormat kPower1997{3, 4, false};    // XX.XXXX kW
  static constexpr BcdFormat kPf1997{2, 3, false};       // X.XXX
  static const std::vector<Dlt645PointFormat> table = {
      bcd("energy_total", 0x9010, kFmtEnergy, 3),  bcd("energy_sharp", 0x9011, kFmtEnergy, 3),
      bcd("energy_peak", 0x9012, kFmtEnergy, 3),   bcd("energy_flat", 0x9013, kFmtEnergy, 3),
      bcd("energy_valley", 0x9014, kFmtEnergy, 3), bcd("voltage_a", 0xB611, kVoltage1997, 0),
      bcd("voltage_b", 0xB612, kVoltage1997, 0),   bcd("voltage_c", 0xB613, kVoltage1997, 0),
      bcd("current_a", 0xB621, kCurrent1997, 0),   bcd("current_b", 0xB622, kCurrent1997, 0),
      bcd("current_c", 0xB623, kCurrent1997, 0),   bcd("power_total", 0xB630, kPower1997, 3),
      bcd("power_a", 0xB631, kPower1997, 3),       bcd("power_b", 0xB632, kPower1997, 3),
      bcd("power_c", 0xB633, kPower1997, 3),       bcd("pf_total", 0xB650, kPf1997, 0),
  };
  return table;
}

// The static name of a known point (Dlt645PointFormat keeps a string_view).
std::optional<std::string_view> known_name(std::string_view name) {
  for (const auto& info : known_points()) {
    if (info.name == name) return info.name;
  }
  return std::nullopt;
}

std::optional<DataId> read_di(SettingsReader& r, Version variant, const std::string& what) {
  const std::string text = r.required_string("di");
  if (text.empty()) return std::nullopt;
  std::string digits;
  for (char c : text) {
    if (c != ' ' && c != '-') digits += c;
  }
  const std::size_t want = variant == Version::k2007 ? 8 : 4;
  const auto id =
      digits.size() == want ? parse_data_id(std::string(8 - want, '0') + digits) : std::nullopt;
  if (!id) {
    r.errors().add(r.any("di")->pos, what + ": di '" + text + "' must be " +
                                         std::to_string(want / 2) + " hex bytes for DL/T 645-" +
                                         (variant == Version::k2007 ? "2007" : "1997"));
  }
  return id;
}

std::optional<Dlt645PointFormat> read_point(const SettingsNode::Entry& entry, Version variant,
                                            const std::string& what, ConfigErrors& errors) {
  const std::string item = what + " point '" + entry.key + "'";
  const auto name = known_name(entry.key);
  if (!name) {
    errors.add(entry.key_pos, item + ": not a meterd point name");
    return std::nullopt;
  }
  if (!entry.value.is_map()) {
    errors.add(entry.value.pos, item + " must be a map with di and format");
    return std::nullopt;
  }
  const std::size_t before = errors.size();
  SettingsReader r(entry.value, errors, item);
  Dlt645PointFormat format{*name, 0, 0, ValueEncoding::kBcd, {}, 0, 0, 2, true};
  const auto id = read_di(r, variant, item);
  format.id = id.value_or(0);
  format.offset = static_cast<std::size_t>(r.integer("offset", 0, 0, 250));
  const std::string text = r.required_string("format");
  if (text == "status_bit") {
    format.encoding = ValueEncoding::kStatusBit;
    format.width = static_cast<std::uint8_t>(r.integer("bytes", 2, 1, 8));
    format.bit = static_cast<std::uint8_t>(r.integer("bit", 0, 0, 63));
    format.bit_set_means = r.boolean("set_means", true);
    if (format.bit / 8u >= format.width) {
      errors.add(entry.value.pos, item + ": bit outside the status word");
    }
    if (find_point(*name)->kind != PointKind::kFlag) {
      errors.add(entry.value.pos, item + ": status_bit only suits flag points");
    }
  } else if (!text.empty()) {
    const auto bcd_format = parse_bcd_format(text, r.boolean("signed", false));
    if (!bcd_format) {
      errors.add(r.any("format")->pos,
                 item + ": format '" + text + "' is neither status_bit nor like XXXXXX.XX");
    } else {
      format.bcd = *bcd_format;
    }
    format.exponent = static_cast<int>(r.integer("scale", 0, -9, 9));
  }
  r.finish();
  if (errors.size() != before) return std::nullopt;
  return format;
}

std::optional<RechargeAction> read_recharge(const SettingsNode& node, Version variant,
                                            const std::string& what, ConfigErrors& errors) {
  const std::string item = what + " action 'recharge'";
  const std::size_t before = errors.size();
  SettingsReader r(node, errors, item);
  RechargeAction action;
  action.id = read_di(r, variant, item).value_or(0);
  if (const SettingsNode* layout = r.sequence("layout", true)) {
    for (const auto& field : layout->items) {
      SettingsReader f(field, errors, item + " layout field");
      const std::string kind = f.one_of("field", "amount", {"amount", "purchase_count"});
      const std::string text = f.required_string("format");
      const auto format = parse_bcd_format(text);
      if (!format && !text.empty()) {
        std::string message = item;
        message.append(": format '").append(text).append("' is not like XXXXXX.XX");
        errors.add(field.pos, std::move(message));
      }
      f.finish();
      action.layout.push_back(
          {kind == "amount" ? RechargeField::Kind::kAmount : RechargeField::Kind::kPurchaseCount,
           format.value_or(BcdFormat{})});
    }
    auto count = [&](RechargeField::Kind kind) {
      return std::count_if(action.layout.begin(), action.layout.end(),
                           [&](const RechargeField& f) { return f.kind == kind; });
    };
    if (count(RechargeField::Kind::kAmount) != 1 ||
        count(RechargeField::Kind::kPurchaseCount) != 1) {
      errors.add(layout->pos, item + ": layout needs exactly one amount and one purchase_count");
    }
  }
  r.finish();
  if (errors.size() != before) return std::nullopt;
  return action;
}

}  // namespace

const Dlt645PointFormat* Profile::find(std::string_view point) const {
  auto it = std::find_if(points.begin(), points.end(),
                         [&](const Dlt645PointFormat& f) { return f.point == point; });
  return it == points.end() ? nullptr : &*it;
}

Profile default_profile(Version variant) {
  Profile profile;
  profile.variant = variant;
  if (variant == Version::k1997) {
    profile.points = default_1997_points();
    return profile;
  }
  profile.points = default_2007_profile();
  profile.recharge = RechargeAction{di::kVendorRecharge,
                                    {{RechargeField::Kind::kAmount, kFmtMoney},
                                     {RechargeField::Kind::kPurchaseCount, kFmtCount}}};
  return profile;
}

std::optional<BcdFormat> parse_bcd_format(std::string_view text, bool is_signed) {
  int digits = 0;
  int decimals = 0;
  bool after_point = false;
  for (char c : text) {
    if (c == '.' && !after_point) {
      after_point = true;
    } else if (c == 'X' || c == 'N') {
      ++digits;
      if (after_point) ++decimals;
    } else {
      return std::nullopt;
    }
  }
  // An odd count leaves the top nibble unused: 1997 voltages are XXX in 2 bytes.
  if (digits == 0 || digits > 16) return std::nullopt;
  return BcdFormat{static_cast<std::uint8_t>((digits + 1) / 2), static_cast<std::uint8_t>(decimals),
                   is_signed};
}

std::optional<Profile> read_profile(const SettingsNode& node, std::optional<Version> variant,
                                    const std::string& what, ConfigErrors& errors) {
  const std::size_t before = errors.size();
  SettingsReader r(node, errors, what);
  Version version = variant.value_or(Version::k2007);
  if (r.has("variant")) {
    const std::string text = r.one_of("variant", "2007", {"2007", "1997"});
    const Version named = text == "1997" ? Version::k1997 : Version::k2007;
    if (variant && *variant != named) {
      errors.add(r.any("variant")->pos,
                 what + " is for DL/T 645-" + text + " but the meter says otherwise");
    }
    version = named;
  }
  Profile profile = default_profile(version);
  if (const SettingsNode* points = r.map("points")) {
    for (const auto& entry : points->entries) {
      auto format = read_point(entry, version, what, errors);
      if (!format) continue;
      auto it = std::find_if(profile.points.begin(), profile.points.end(),
                             [&](const Dlt645PointFormat& f) { return f.point == format->point; });
      if (it != profile.points.end()) {
        *it = *format;
      } else {
        profile.points.push_back(*format);
      }
    }
  }
  if (const SettingsNode* actions = r.map("actions")) {
    SettingsReader a(*actions, errors, what + " actions");
    if (const SettingsNode* recharge = a.map("recharge")) {
      profile.recharge = read_recharge(*recharge, version, what, errors);
    }
    a.finish();
  }
  r.string("protocol");  // documentation only
  r.string("description");
  r.finish();
  if (errors.size() != before) return std::nullopt;
  return profile;
}

}  // namespace meterd::dlt645
