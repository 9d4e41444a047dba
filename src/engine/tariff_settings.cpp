// SPDX-License-Identifier: Apache-2.0
#include <string>

#include "core/settings_reader.h"
#include "engine/tariff_settings_parts.h"

namespace meterd {
namespace {

CalendarPeriod calendar_period(const std::string& name) {
  if (name == "day") return CalendarPeriod::kDay;
  if (name == "year") return CalendarPeriod::kYear;
  return CalendarPeriod::kMonth;
}

// "200", "0.5": kWh with at most three decimals.
std::optional<Energy> read_kwh(SettingsReader& reader, const std::string& key, bool required) {
  if (!reader.has(key)) {
    if (required) reader.required_string(key);  // reports the missing key as the reader does
    return std::nullopt;
  }
  const SettingsNode* node = reader.any(key);
  auto energy = node->is_scalar()
                    ? parse_kwh(node->scalar)
                    : Result<Energy>(make_error(ErrorKind::kInvalidArgument, "must be a scalar"));
  if (!energy) {
    reader.errors().add(
        node->pos, "'" + key + "' must be kWh like \"200\" or \"0.5\": " + energy.error().message);
    return std::nullopt;
  }
  return energy.value();
}

std::optional<Tiers> read_tiers(const SettingsNode& node, ConfigErrors& errors) {
  SettingsReader r(node, errors, "tiers");
  Tiers tiers;
  tiers.period = calendar_period(r.one_of("period", "month", {"month", "year"}));
  const SettingsNode* blocks = r.sequence("blocks", true);
  r.finish();
  if (blocks == nullptr) return std::nullopt;
  if (blocks->items.empty()) errors.add(blocks->pos, "'blocks' must list at least one block");
  for (std::size_t i = 0; i < blocks->items.size(); ++i) {
    const SettingsNode& item = blocks->items[i];
    SettingsReader b(item, errors, "tier block " + std::to_string(i + 1));
    if (!item.is_map()) continue;
    TierBlock block;
    const bool last = i + 1 == blocks->items.size();
    block.up_to = read_kwh(b, "up_to_kwh", !last);
    if (last && block.up_to) {
      errors.add(b.any("up_to_kwh")->pos, "the last tier block must not have 'up_to_kwh'");
    }
    if (block.up_to && !tiers.blocks.empty() && tiers.blocks.back().up_to &&
        *block.up_to <= *tiers.blocks.back().up_to) {
      errors.add(b.any("up_to_kwh")->pos, "'up_to_kwh' must be above that of the block before (" +
                                              format_kwh(*tiers.blocks.back().up_to) + ")");
    }
    block.surcharge_per_kwh = read_price(b, "surcharge", true).value_or(Money{});
    b.finish();
    tiers.blocks.push_back(block);
  }
  return tiers;
}

std::optional<Allowance> read_allowance(const SettingsNode& node, ConfigErrors& errors) {
  SettingsReader r(node, errors, "allowance");
  Allowance allowance;
  allowance.period = calendar_period(r.one_of("period", "month", {"day", "month"}));
  auto free = read_kwh(r, "kwh", true);
  r.finish();
  if (!free) return std::nullopt;
  allowance.free = *free;
  return allowance;
}

}  // namespace

std::optional<Money> read_price(SettingsReader& reader, const std::string& key, bool required) {
  if (!reader.has(key)) {
    if (required) reader.required_string(key);  // reports the missing key as the reader does
    return std::nullopt;
  }
  const SettingsNode* node = reader.any(key);
  if (!node->is_scalar()) {
    reader.errors().add(node->pos, "'" + key + "' must be a scalar, not a " + node->kind_name());
    return std::nullopt;
  }
  auto money = parse_money(node->scalar);
  if (!money) {
    reader.errors().add(
        node->pos, "'" + key + "' must be an amount like \"0.6500\": " + money.error().message);
    return std::nullopt;
  }
  if (money.value() < Money{} || money.value() > kMaxPricePerKwh) {
    reader.errors().add(node->pos, "'" + key + "' = " + node->scalar + " is out of range [0, " +
                                       format_money(kMaxPricePerKwh) + "]");
    return std::nullopt;
  }
  return money.value();
}

std::optional<Tariff> read_tariff(const SettingsNode& node, ConfigErrors& errors) {
  const std::size_t errors_before = errors.size();
  const SettingsNode* id = node.is_map() ? node.find("id") : nullptr;
  SettingsReader r(node, errors,
                   id && id->is_scalar() && !id->scalar.empty() ? "tariff '" + id->scalar + "'"
                                                                : std::string("tariff"));
  if (!node.is_map()) return std::nullopt;
  Tariff tariff;
  tariff.id = r.required_string("id");
  if (r.has("price") && r.has("tou")) {
    errors.add(r.any("tou")->pos, "'price' and 'tou' are mutually exclusive");
  } else if (!r.has("price") && !r.has("tou")) {
    errors.add(r.pos(), "tariff needs 'price' (single) or 'tou' (time of use)");
  }
  tariff.price_per_kwh = read_price(r, "price", false).value_or(Money{});
  if (const SettingsNode* tou = r.map("tou")) tariff.tou = read_time_of_use(*tou, errors);
  if (const SettingsNode* tiers = r.map("tiers")) tariff.tiers = read_tiers(*tiers, errors);
  if (const SettingsNode* allowance = r.map("allowance")) {
    tariff.allowance = read_allowance(*allowance, errors);
  }
  r.finish();
  if (errors.size() != errors_before) return std::nullopt;
  return tariff;
}

}  // namespace meterd
