// SPDX-License-Identifier: Apache-2.0
// The `billing:` section of a site file: the site's UTC offset, how often coalesced
// deductions are written to the ledger, tariffs and accounts for a standalone site. Accounts
// and tariffs set later by cloud commands live in the store; see docs/billing.md for which
// source wins. Start-up/reload only.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/settings.h"
#include "engine/alarm_policy.h"
#include "engine/tariff.h"

namespace meterd {

enum class BillingMode { kGateway, kMeter };
const char* billing_mode_name(BillingMode mode);

struct AccountSpec {
  std::string id;
  std::string name;
  BillingMode mode = BillingMode::kGateway;
  std::vector<std::string> meters;
  AlarmThresholds thresholds;
  std::string tariff_id;  // a tariff of the same file
  Money opening_balance;  // credited once, when the account is first created
  // Meter billing without an opening balance: the balance is unknown until the meter reports it.
  bool balance_unknown() const {
    return mode == BillingMode::kMeter && opening_balance == Money{0};
  }
};

struct BillingConfig {
  LocalZone zone;  // billing.utc_offset or billing.timezone
  // A meter's deductions are coalesced into one ledger entry at most this long.
  std::chrono::milliseconds ledger_interval{15 * 60 * 1000};
  // Relay actions that fail are retried, backing off from min to max.
  std::chrono::milliseconds relay_retry_min{2'000};
  std::chrono::milliseconds relay_retry_max{60'000};
  // Attempts at one relay goal (a wanted state) before the engine gives up on it with a
  // final relay_action_failed, until something changes (docs/load-and-time-control.md).
  int relay_attempts = 5;
  // Attempts at writing one recharge to a meter that does not answer (same backoff) before
  // the order fails (meter_unreachable); a later order with the same id may try again.
  int recharge_attempts = 8;
  // Retention of the statistics rollups (docs/statistics.md): local days and months kept,
  // the current one included.
  int stats_days_kept = 400;
  int stats_months_kept = 36;
  // Maximum demand is the highest average power over one window of this length (windows
  // aligned to the quarter hours; it divides an hour).
  std::chrono::milliseconds demand_window{15 * 60 * 1000};
  // A period closes once every meter is billed past its end, or this long after its end
  // (a meter offline across the boundary); docs/statistics.md.
  std::chrono::milliseconds stats_close_wait{60 * 60 * 1000};
  std::map<std::string, Tariff> tariffs;           // by id
  std::map<std::string, std::string> tariff_json;  // by id: the tariff as stored
  std::vector<AccountSpec> accounts;
};

// `meters` are the meter ids of the configuration: an account may only name those.
BillingConfig read_billing_config(const SettingsNode& node, const std::set<std::string>& meters,
                                  ConfigErrors& errors);

// The tree as compact JSON (scalars as strings), so a tariff can be stored and read back
// with read_tariff through the YAML parser (JSON is YAML).
std::string settings_to_json(const SettingsNode& node);

}  // namespace meterd
