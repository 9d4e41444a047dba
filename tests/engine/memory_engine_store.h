// SPDX-License-Identifier: Apache-2.0
// The engine store port in memory, for engine tests: single-threaded, a write is durable the
// moment it is handed over (its `committed` runs at once, and the engine posts what follows
// onto its loop), so tests run in virtual time with no SQLite and no waiting. The same
// contract cases run against it and against the SQLite implementation
// (engine_store_contract_test.cpp), which keeps the two in step.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/engine_store.h"

namespace meterd::test {

class MemoryEngineStore final : public EngineStore {
 public:
  Status load(StoredEngineState& state, StoredControls& controls) override {
    for (const auto& [id, row] : accounts_) state.accounts.push_back(row);
    state.meter_accounts = meter_accounts_;
    for (const auto& [key, row] : tariffs_) state.tariffs.push_back(row);
    state.states = states_;
    state.billing = billing_;
    for (const LedgerEntry& entry : ledger_) {
      if (!entry.order_id.empty() && (entry.kind == "recharge" || entry.kind == "refund")) {
        state.money_orders.push_back(entry);
      }
    }
    std::vector<MeterRechargeRow> recharges;
    for (const auto& [id, row] : meter_recharges_) recharges.push_back(row);
    std::stable_sort(recharges.begin(), recharges.end(),
                     [](const auto& a, const auto& b) { return a.ts_ms < b.ts_ms; });
    state.meter_recharges = std::move(recharges);
    state.forced_open = forced_open_;
    for (const auto& [key, json] : controls_) {
      (key.second == kLoadLimitsControl ? controls.load_limits : controls.schedules)[key.first] =
          json;
    }
    controls.trips = trips_;
    return Status{Ok{}};
  }

  void write(EngineWrite write) override {
    // All or nothing, as a transaction: a second entry for one money order is refused whole
    // (the SQLite ledger's unique index does the same).
    std::set<std::pair<std::string, std::string>> orders;
    for (const EngineChange& change : write.changes) {
      const auto* entry = std::get_if<LedgerEntry>(&change);
      if (!entry || entry->order_id.empty()) continue;
      const std::pair key{entry->kind, entry->order_id};
      if (!orders.insert(key).second || order_ids_.count(key)) {
        ++refused_writes;
        return;
      }
    }
    for (EngineChange& change : write.changes) apply(std::move(change));
    for (Event& event : write.events) events.push_back(std::move(event));
    ++writes;
    if (write.urgent) ++urgent_writes;
    if (write.committed) write.committed();
  }

  void append_event(Event event) override { events.push_back(std::move(event)); }

  Result<std::vector<UsageRollup>> read_usage(const UsageQuery& query) override {
    std::vector<UsageRollup> out;
    auto it = usage_.lower_bound({query.scope, query.owner, query.granularity, query.from});
    for (; it != usage_.end() && static_cast<int>(out.size()) < query.limit; ++it) {
      const auto& [scope, owner, granularity, period] = it->first;
      if (scope != query.scope || owner != query.owner || granularity != query.granularity ||
          period > query.to) {
        break;
      }
      out.push_back(UsageRollup{scope, owner, granularity, period, it->second});
    }
    return out;
  }

  Result<std::vector<UsageRollup>> read_usage_sum(const UsageSumQuery& query) override {
    std::map<std::int32_t, UsageFigures> sums;
    for (const std::string& meter : query.meters) {
      auto it = usage_.lower_bound({UsageScope::kMeter, meter, query.granularity, query.from});
      for (; it != usage_.end(); ++it) {
        const auto& [scope, owner, granularity, period] = it->first;
        if (scope != UsageScope::kMeter || owner != meter || granularity != query.granularity ||
            period > query.to) {
          break;
        }
        sums[period] += it->second;
      }
    }
    std::vector<UsageRollup> out;
    for (const auto& [period, figures] : sums) {
      if (static_cast<int>(out.size()) == query.limit) break;
      out.push_back(UsageRollup{UsageScope::kMeter, "", query.granularity, period, figures});
    }
    return out;
  }

  Result<UsageCloseMarks> read_close_marks() override { return marks_; }

  Result<std::vector<DueSummary>> read_due_summaries(int limit) override {
    std::vector<DueSummary> out;
    for (const auto& [key, close] : closes_) {
      if (!close.due || static_cast<int>(out.size()) == limit) continue;
      auto usage = usage_.find(key);
      if (usage == usage_.end()) continue;
      const auto& [scope, owner, granularity, period] = key;
      out.push_back(DueSummary{UsageRollup{scope, owner, granularity, period, usage->second},
                               close.revision});
    }
    return out;
  }

  // What the tests read.
  // Period summaries published, in order (UsageSummary changes).
  std::vector<UsageSummary> summaries;
  const std::vector<LedgerEntry>& ledger() const { return ledger_; }
  const AccountStateRow* state(const std::string& account_id) const {
    auto found = states_.find(account_id);
    return found == states_.end() ? nullptr : &found->second;
  }
  const MeterBillingRow* billing(const std::string& meter_id) const {
    auto found = billing_.find(meter_id);
    return found == billing_.end() ? nullptr : &found->second;
  }
  const MeterRechargeRow* meter_recharge(const std::string& order_id) const {
    auto found = meter_recharges_.find(order_id);
    return found == meter_recharges_.end() ? nullptr : &found->second;
  }
  std::size_t control_count() const { return controls_.size(); }

  std::vector<Event> events;
  int writes = 0;
  int urgent_writes = 0;
  int refused_writes = 0;
  int demand_deltas = 0;  // UsageDeltas carrying a maximum demand

 private:
  static WallTime to_ms(WallTime t) {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
  }

  void apply(EngineChange change) {
    std::visit(
        [this](auto&& row) {
          using Row = std::decay_t<decltype(row)>;
          if constexpr (std::is_same_v<Row, AccountRow>) {
            accounts_[row.id] = row;
          } else if constexpr (std::is_same_v<Row, AccountMetersRow>) {
            std::erase_if(meter_accounts_,
                          [&](const auto& entry) { return entry.second == row.account_id; });
            for (const std::string& meter : row.meters) meter_accounts_[meter] = row.account_id;
          } else if constexpr (std::is_same_v<Row, TariffRow>) {
            tariffs_[{row.account_id, row.effective_ms}] = row;
          } else if constexpr (std::is_same_v<Row, AccountStateRow>) {
            states_[row.account_id] = row;
          } else if constexpr (std::is_same_v<Row, LedgerEntry>) {
            if (!row.order_id.empty()) order_ids_.insert({row.kind, row.order_id});
            ledger_.push_back(row);
          } else if constexpr (std::is_same_v<Row, MeterBillingRow>) {
            billing_[row.meter_id] = row;
          } else if constexpr (std::is_same_v<Row, MeterRechargeRow>) {
            meter_recharges_[row.order_id] = row;
          } else if constexpr (std::is_same_v<Row, RelayOverrideRow>) {
            if (row.hold) {
              forced_open_.insert(row.meter_id);
            } else {
              forced_open_.erase(row.meter_id);
            }
          } else if constexpr (std::is_same_v<Row, ControlRow>) {
            if (row.json.empty()) {
              controls_.erase({row.meter_id, row.kind});
            } else {
              controls_[{row.meter_id, row.kind}] = row.json;
            }
          } else if constexpr (std::is_same_v<Row, UsagePeriodClose>) {
            (row.granularity == UsageGranularity::kDay ? marks_.day : marks_.month) = row.period;
            if (!row.publish) return;
            for (const auto& [key, figures] : usage_) {
              if (std::get<2>(key) == row.granularity && std::get<3>(key) == row.period) {
                closes_[key].due = true;
              }
            }
          } else if constexpr (std::is_same_v<Row, UsageReopen>) {
            for (const auto& [scope, owner] : {std::pair{UsageScope::kMeter, &row.meter_id},
                                               std::pair{UsageScope::kAccount, &row.account_id}}) {
              if (owner->empty()) continue;
              closes_[{scope, *owner, UsageGranularity::kDay, row.day}].due = true;
              if (row.month_closed) {
                closes_[{scope, *owner, UsageGranularity::kMonth, month_of_day(row.day)}].due =
                    true;
              }
            }
          } else if constexpr (std::is_same_v<Row, UsageSummary>) {
            Close& close = closes_[{row.scope, row.owner, row.granularity, row.period}];
            close.revision = row.revision;
            close.due = false;
            summaries.push_back(row);
          } else if constexpr (std::is_same_v<Row, UsagePrune>) {
            // As the SQLite store: a month not closed keeps its figures and the days they come
            // from (store/usage_tables.h).
            UsagePrune bounds = row;
            if (marks_.month != 0) {
              bounds.before_day = std::min(bounds.before_day, marks_.month * 100 + 32);
              bounds.before_month = std::min(bounds.before_month, marks_.month + 1);
            }
            std::erase_if(closes_, [&](const auto& entry) {
              const auto& [scope, owner, granularity, period] = entry.first;
              return period < (granularity == UsageGranularity::kDay ? bounds.before_day
                                                                     : bounds.before_month);
            });
            std::erase_if(usage_, [&](const auto& entry) {
              const auto& [scope, owner, granularity, period] = entry.first;
              return period < (granularity == UsageGranularity::kDay ? bounds.before_day
                                                                     : bounds.before_month);
            });
          } else if constexpr (std::is_same_v<Row, UsageDelta>) {
            if (row.figures.demand_w > 0) ++demand_deltas;
            for (const auto& [scope, owner] : {std::pair{UsageScope::kMeter, &row.meter_id},
                                               std::pair{UsageScope::kAccount, &row.account_id}}) {
              if (owner->empty()) continue;
              usage_[{scope, *owner, UsageGranularity::kDay, row.day}] += row.figures;
              usage_[{scope, *owner, UsageGranularity::kMonth, month_of_day(row.day)}] +=
                  row.figures;
            }
          } else {
            static_assert(std::is_same_v<Row, LoadTripRow>);
            if (!row.state.tripped && row.state.restores_today == 0) {
              trips_.erase(row.meter_id);
              return;
            }
            LoadTripState state = row.state;  // stored to the millisecond, as SQLite keeps it
            state.tripped_at = to_ms(state.tripped_at);
            if (state.restore_at) state.restore_at = to_ms(*state.restore_at);
            trips_[row.meter_id] = state;
          }
        },
        std::move(change));
  }

  std::map<std::string, AccountRow> accounts_;
  std::map<std::string, std::string> meter_accounts_;
  std::map<std::pair<std::string, std::int64_t>, TariffRow> tariffs_;
  std::map<std::string, AccountStateRow> states_;
  std::vector<LedgerEntry> ledger_;
  std::set<std::pair<std::string, std::string>> order_ids_;
  std::map<std::string, MeterBillingRow> billing_;
  std::map<std::string, MeterRechargeRow> meter_recharges_;
  std::set<std::string> forced_open_;
  std::map<std::pair<std::string, std::string>, std::string> controls_;
  std::map<std::string, LoadTripState> trips_;
  using UsageKey = std::tuple<UsageScope, std::string, UsageGranularity, std::int32_t>;
  std::map<UsageKey, UsageFigures> usage_;
  struct Close {
    std::optional<std::int32_t> revision;
    bool due = false;
  };
  std::map<UsageKey, Close> closes_;
  UsageCloseMarks marks_;
};

}  // namespace meterd::test
