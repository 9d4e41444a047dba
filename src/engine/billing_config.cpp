// SPDX-License-Identifier: Apache-2.0
#include "engine/billing_config.h"

#include <map>
#include <nlohmann/json.hpp>

#include "core/settings_reader.h"

namespace meterd {
namespace {

Money money_at(SettingsReader& r, const std::string& key, Money fallback) {
  const SettingsNode* node = r.any(key);
  if (!node) return fallback;
  if (!node->is_scalar()) {
    r.errors().add(node->pos, "'" + key + "' must be an amount such as \"20.0000\"");
    return fallback;
  }
  Result<Money> money = parse_money(node->scalar);
  if (!money) {
    r.errors().add(node->pos, "'" + key + "': " + money.error().message);
    return fallback;
  }
  return money.value();
}

AlarmThresholds read_thresholds(const SettingsNode& node, ConfigErrors& errors) {
  SettingsReader r(node, errors, "thresholds");
  AlarmThresholds t;
  t.low_1 = money_at(r, "low_1", t.low_1);
  t.low_2 = money_at(r, "low_2", t.low_2);
  t.cut_off = money_at(r, "cut_off", t.cut_off);
  t.hysteresis = money_at(r, "hysteresis", t.hysteresis);
  t.credit_limit = money_at(r, "credit_limit", t.credit_limit);
  if (!(t.low_1 >= t.low_2 && t.low_2 >= t.cut_off)) {
    errors.add(node.pos, "thresholds must satisfy low_1 >= low_2 >= cut_off");
  }
  if (t.hysteresis < Money{0} || t.credit_limit < Money{0}) {
    errors.add(node.pos, "hysteresis and credit_limit must not be negative");
  }
  r.finish();
  return t;
}

std::optional<AccountSpec> read_account(const SettingsNode& node, const BillingConfig& billing,
                                        const std::set<std::string>& meters,
                                        std::set<std::string>& claimed, ConfigErrors& errors) {
  SettingsReader r(node, errors, "account");
  AccountSpec account;
  account.id = r.required_string("id");
  account.name = r.string("name", account.id);
  account.mode = r.one_of("mode", "gateway", {"gateway", "meter"}) == "meter"
                     ? BillingMode::kMeter
                     : BillingMode::kGateway;
  account.meters = r.string_list("meters");
  if (account.meters.empty()) errors.add(node.pos, "account '" + account.id + "' has no meters");
  for (const std::string& meter : account.meters) {
    if (!meters.count(meter)) {
      errors.add(node.pos, "account '" + account.id + "': unknown meter '" + meter + "'");
    } else if (!claimed.insert(meter).second) {
      errors.add(node.pos, "meter '" + meter + "' belongs to more than one account");
    }
  }
  if (account.mode == BillingMode::kMeter && account.meters.size() > 1) {
    errors.add(node.pos, "account '" + account.id +
                             "': an account in meter billing mode has exactly one meter");
  }
  if (const SettingsNode* thresholds = r.map("thresholds")) {
    account.thresholds = read_thresholds(*thresholds, errors);
  }
  account.tariff_id = r.string("tariff");
  if (account.mode == BillingMode::kGateway && account.tariff_id.empty()) {
    errors.add(node.pos, "account '" + account.id + "' bills at the gateway and needs a 'tariff'");
  } else if (!account.tariff_id.empty() && !billing.tariffs.count(account.tariff_id)) {
    errors.add(node.pos,
               "account '" + account.id + "': unknown tariff '" + account.tariff_id + "'");
  }
  account.opening_balance = money_at(r, "opening_balance", Money{0});
  r.finish();
  if (account.id.empty()) return std::nullopt;
  return account;
}

nlohmann::json to_json(const SettingsNode& node) {
  switch (node.kind) {
    case SettingsNode::Kind::kScalar:
      return node.scalar;
    case SettingsNode::Kind::kMap: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node.entries) object[entry.key] = to_json(entry.value);
      return object;
    }
    case SettingsNode::Kind::kSequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node.items) array.push_back(to_json(item));
      return array;
    }
    case SettingsNode::Kind::kNull:
      break;
  }
  return nullptr;
}

}  // namespace

const char* billing_mode_name(BillingMode mode) {
  return mode == BillingMode::kMeter ? "meter" : "gateway";
}

std::string settings_to_json(const SettingsNode& node) { return to_json(node).dump(); }

BillingConfig read_billing_config(const SettingsNode& node, const std::set<std::string>& meters,
                                  ConfigErrors& errors) {
  SettingsReader r(node, errors, "billing");
  BillingConfig billing;
  if (r.has("timezone") && r.has("utc_offset")) {
    errors.add(r.any("utc_offset")->pos,
               "'timezone' and 'utc_offset' both set: give one (an IANA zone follows DST)");
  }
  if (r.has("timezone")) {
    const std::string name = r.string("timezone");
    if (Result<LocalZone> zone = find_time_zone(name)) {
      billing.zone = zone.value();
    } else {
      errors.add(r.any("timezone")->pos, "'timezone': " + zone.error().message);
    }
  } else {
    const std::string offset = r.string("utc_offset", "+00:00");
    if (Result<LocalZone> parsed = parse_utc_offset(offset)) {
      billing.zone = parsed.value();
    } else {
      errors.add(r.any("utc_offset")->pos, "'utc_offset': " + parsed.error().message);
    }
  }
  billing.ledger_interval = r.duration("ledger_interval", billing.ledger_interval,
                                       std::chrono::seconds(1), std::chrono::hours(24));
  billing.relay_retry_min = r.duration("relay_retry_min", billing.relay_retry_min,
                                       std::chrono::milliseconds(100), std::chrono::minutes(10));
  billing.relay_retry_max = r.duration("relay_retry_max", billing.relay_retry_max,
                                       billing.relay_retry_min, std::chrono::hours(1));
  billing.relay_attempts =
      static_cast<int>(r.integer("relay_attempts", billing.relay_attempts, 1, 100));
  billing.recharge_attempts =
      static_cast<int>(r.integer("recharge_attempts", billing.recharge_attempts, 1, 1000));
  billing.stats_days_kept =
      static_cast<int>(r.integer("stats_days_kept", billing.stats_days_kept, 1, 3660));
  billing.stats_months_kept =
      static_cast<int>(r.integer("stats_months_kept", billing.stats_months_kept, 1, 1200));
  billing.demand_window = r.duration("demand_window", billing.demand_window,
                                     std::chrono::minutes(1), std::chrono::minutes(60));
  if (std::chrono::hours(1) % billing.demand_window != std::chrono::milliseconds(0)) {
    errors.add(r.any("demand_window")->pos,
               "'demand_window' must divide an hour (1m, 5m, 15m, 30m, 60m ...)");
  }
  billing.stats_close_wait = r.duration("stats_close_wait", billing.stats_close_wait,
                                        std::chrono::seconds(0), std::chrono::hours(48));
  if (const SettingsNode* tariffs = r.sequence("tariffs")) {
    // Where each id was first written: a drop-in may repeat one of another file.
    std::map<std::string, SourcePos> first;
    for (const SettingsNode& item : tariffs->items) {
      std::optional<Tariff> tariff = read_tariff(item, errors);
      if (!tariff) continue;
      if (auto [it, inserted] = first.emplace(tariff->id, item.pos); !inserted) {
        errors.add(item.pos, "duplicate tariff id '" + tariff->id + "' (first at " +
                                 first_at(it->second, item.pos) + ")");
        continue;
      }
      billing.tariff_json[tariff->id] = settings_to_json(item);
      billing.tariffs.emplace(tariff->id, std::move(*tariff));
    }
  }
  if (const SettingsNode* accounts = r.sequence("accounts")) {
    std::map<std::string, SourcePos> first;
    std::set<std::string> claimed;
    for (const SettingsNode& item : accounts->items) {
      std::optional<AccountSpec> account = read_account(item, billing, meters, claimed, errors);
      if (!account) continue;
      if (auto [it, inserted] = first.emplace(account->id, item.pos); !inserted) {
        errors.add(item.pos, "duplicate account id '" + account->id + "' (first at " +
                                 first_at(it->second, item.pos) + ")");
        continue;
      }
      billing.accounts.push_back(std::move(*account));
    }
  }
  r.finish();
  return billing;
}

}  // namespace meterd
