// SPDX-License-Identifier: Apache-2.0
// Billing: readings become priced increments, coalesced per account into ledger entries that
// are written atomically with the meters' billed readings (see engine.h).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/engine_events.h"
#include "engine/engine_impl.h"
#include "engine/local_time.h"

namespace meterd {
namespace {

constexpr std::int64_t kProbeMinWh = 1'000'000;

}  // namespace

void Engine::Impl::on_reading(const MeterPolled& polled) {
  if (stopped_) return;
  relays_.observe(polled);
  controls_.on_reading(polled);
  auto found = meters_.find(polled.meter_id);
  if (found == meters_.end()) {
    // A meter without an account: only relay commands and load and time control drive it.
    if (controls_.has(polled.meter_id)) relays_.reconcile(polled);
    return;
  }
  MeterRuntime& meter = found->second;
  AccountRuntime& account = accounts_.at(meter.account_id);
  if (account.closed) return;
  observe_measures(account, meter, polled);
  if (account.mode == BillingMode::kGateway) {
    relays_.reconcile(polled);
    if (std::optional<std::int64_t> energy = integer_point(polled.reading, "energy_total")) {
      bill(account, meter, Energy{*energy}, polled.time);
    }
    return;
  }
  if (std::optional<std::int64_t> count = integer_point(polled.reading, "purchase_count")) {
    meter.purchase_count = *count;
  }
  if (std::optional<std::int64_t> balance = integer_point(polled.reading, "balance")) {
    mirror(account, meter, Money{*balance}, polled.time);
  }
}

// One key per (tariff, local day, TOU period) when all of [from, to) shares them; nullopt
// when the span crosses a price boundary. Found by pricing a probe large enough that every
// millisecond of the span gets energy, on a copy of the counters.
std::optional<std::int64_t> Engine::Impl::price_signature(const AccountRuntime& account,
                                                          WallTime from, WallTime to) const {
  const auto span_ms = std::max<std::int64_t>(to_unix_ms(to) - to_unix_ms(from), 0);
  BillingCounters probe_counters = account.counters;
  const PricedIncrement probe = price_increment(account.tariffs, config_.zone, probe_counters, from,
                                                to, Energy{std::max(kProbeMinWh, span_ms)});
  int period = -1;
  for (int p = 0; p < kTouPeriods; ++p) {
    if (probe.wh_by_period[p] == 0) continue;
    if (period >= 0) return std::nullopt;
    period = p;
  }
  const WallTime last = span_ms > 0 ? to - std::chrono::milliseconds(1) : to;
  const LocalDateTime first_day = to_local(from, config_.zone);
  if (to_local(last, config_.zone).date != first_day.date) return std::nullopt;
  std::optional<WallTime> change = account.tariffs.next_change_after(from);
  if (change && *change <= last) return std::nullopt;
  std::int64_t tariff_index = 0;
  for (const TariffChange& c : account.tariffs.changes()) tariff_index += c.effective_from <= from;
  return (tariff_index * 100'000'000 + yyyymmdd(first_day.date)) * 8 + std::max(period, 0);
}

void Engine::Impl::bill(AccountRuntime& account, MeterRuntime& meter, Energy energy,
                        WallTime time) {
  if (!meter.has_billed) {  // the first reading is the baseline
    meter.has_billed = true;
    meter.billed_energy = meter.last_energy = energy;
    meter.billed_time = meter.last_time = time;
    commit_account(account);
    return;
  }
  if (energy < meter.last_energy) {
    spdlog::warn("engine: energy of meter {} went back from {} to {} Wh; billing restarts there",
                 meter.meter_id, meter.last_energy.wh, energy.wh);
    ++stats_.energy_reversals;
    const std::string details = "{\"from_wh\":" + std::to_string(meter.last_energy.wh) +
                                ",\"to_wh\":" + std::to_string(energy.wh) + "}";
    commit_account(account);  // what was consumed before the reset is billed
    meter.billed_energy = meter.last_energy = energy;
    meter.billed_time = meter.last_time = time;
    commit_account(account, {}, {event("energy_reversed", meter.meter_id, details)});
    return;
  }
  if (time <= meter.last_time && energy == meter.last_energy) return;  // nothing new
  const WallTime from = meter.last_time;
  const std::optional<std::int64_t> signature = price_signature(account, from, time);
  if (account.has_pending && signature != account.pending_signature) commit_account(account);

  const PricedIncrement priced = price_increment(account.tariffs, config_.zone, account.counters,
                                                 from, time, energy - meter.last_energy, &pieces_);
  ++stats_.increments;
  PendingDeduction& pending = meter.pending;
  if (pending.empty()) pending.from = meter.billed_time;
  pending.to = time;
  pending.amount += priced.charge;
  pending.energy += energy - meter.last_energy;
  pending.free += priced.free;
  for (int p = 0; p < kTouPeriods; ++p) pending.wh_by_period[p] += priced.wh_by_period[p];
  add_pieces(pending, pieces_);
  meter.last_energy = energy;
  meter.last_time = time;
  account.balance -= priced.charge;
  if (!account.has_pending) account.pending_since = clock_.steady_now();
  account.has_pending = true;
  account.pending_signature = signature;

  std::vector<Event> events;
  evaluate_alarm(account, events);
  if (!events.empty() || !signature) commit_account(account, {}, std::move(events));
}

void Engine::Impl::mirror(AccountRuntime& account, MeterRuntime& meter, Money balance,
                          WallTime time) {
  if (orders_.recharge_pending(meter.meter_id)) return;  // a recharge is on its way
  meter.meter_balance = balance;
  if (account.level == AlarmLevel::kUnknown) return open_balance(account, meter, balance);
  if (balance == account.balance) return;
  PendingDeduction& pending = meter.pending;
  if (pending.empty()) pending.from = time;
  pending.to = time;
  pending.amount += account.balance - balance;  // a rise (a card at the meter) is negative
  add_cost(pending, local_day(time), (account.balance - balance).units);
  account.balance = balance;
  if (!account.has_pending) account.pending_since = clock_.steady_now();
  account.has_pending = true;
  std::vector<Event> events;
  evaluate_alarm(account, events);
  if (!events.empty()) commit_account(account, {}, std::move(events));
}

void Engine::Impl::open_balance(AccountRuntime& account, const MeterRuntime& meter, Money balance) {
  const Money change = balance - account.balance;  // what is not in the ledger yet
  account.balance = balance;
  account.level = level_of(balance, account.thresholds);
  spdlog::info("engine: account '{}' opens with the balance {} read from meter {} ({})", account.id,
               format_money(balance), meter.meter_id, alarm_level_name(account.level));
  std::vector<Event> events;
  if (const char* type = alarm_event(AlarmLevel::kUnknown, account.level)) {
    events.push_back(event(type, "", alarm_details(account, AlarmLevel::kUnknown)));
  }
  std::vector<LedgerEntry> credits;
  if (change != Money{0}) {
    credits.push_back(LedgerEntry{account.id, to_unix_ms(clock_.wall_now()), "adjustment", change,
                                  Money{}, "", meter.meter_id,
                                  R"({"reason":"opening balance read from the meter"})"});
  }
  commit_account(account, std::move(credits), std::move(events));
}

void Engine::Impl::evaluate_alarm(AccountRuntime& account, std::vector<Event>& events,
                                  bool defer_supply) {
  if (account.level == AlarmLevel::kUnknown) return;  // opened by the meter's first balance
  const AlarmLevel before = account.level;
  account.level = next_level(before, account.balance, account.thresholds);
  const char* type = alarm_event(before, account.level);
  if (type) events.push_back(event(type, "", alarm_details(account, before)));
  if (account.level == AlarmLevel::kCutOff && before != AlarmLevel::kCutOff) {
    count_cut_off(account);
  }
  if (account.level != before && account.mode == BillingMode::kGateway && !defer_supply) {
    set_supply(account);
  }
}

void Engine::Impl::commit_account(AccountRuntime& account, std::vector<LedgerEntry> credits,
                                  std::vector<Event> events, std::vector<EngineChange> extra,
                                  std::function<void()> committed) {
  const std::int64_t now_ms = to_unix_ms(clock_.wall_now());
  Money running = account.balance;
  for (const LedgerEntry& credit : credits) running -= credit.amount;
  std::vector<LedgerEntry> entries;
  std::vector<MeterBillingRow> billed;
  std::vector<UsageDelta> usage;
  for (const std::string& meter_id : account.meters) {
    auto found = meters_.find(meter_id);
    if (found == meters_.end()) continue;
    MeterRuntime& meter = found->second;
    if (!meter.pending.empty()) {
      running += meter.pending.amount;  // undo, to replay in order below
      entries.push_back(LedgerEntry{account.id, now_ms,
                                    meter.pending.amount >= Money{0} ? "deduction" : "adjustment",
                                    -meter.pending.amount, Money{}, "", meter_id,
                                    deduction_details(meter.pending, config_.zone)});
      for (DayUsage& day : meter.pending.usage) {
        usage.push_back(UsageDelta{meter_id, account.id, day.day, day.figures});
      }
    }
    if (meter.has_billed) {
      billed.push_back(MeterBillingRow{meter_id, meter.last_energy, to_unix_ms(meter.last_time)});
    }
    meter.pending = PendingDeduction{};
    meter.billed_energy = meter.last_energy;
    meter.billed_time = meter.last_time;
  }
  for (LedgerEntry& entry : entries) {
    running += entry.amount;
    entry.balance_after = running;
  }
  for (LedgerEntry& credit : credits) {
    running += credit.amount;
    credit.balance_after = running;
    entries.push_back(std::move(credit));
  }
  account.has_pending = false;
  account.pending_signature.reset();
  stats_.ledger_entries += static_cast<std::int64_t>(entries.size());

  const AccountStateRow state{account.id, account.balance, account.level, account.counters};
  EngineWrite write;
  write.changes = std::move(extra);
  for (LedgerEntry& entry : entries) write.changes.emplace_back(std::move(entry));
  for (MeterBillingRow& row : billed) write.changes.emplace_back(std::move(row));
  for (UsageDelta& delta : usage) write.changes.emplace_back(std::move(delta));
  write.changes.emplace_back(state);
  write.events = std::move(events);
  write.urgent = static_cast<bool>(committed);  // a money order or a command waits for it
  write.committed = std::move(committed);
  write_to_store(std::move(write));
}

void Engine::Impl::on_tick() {
  if (stopped_) return;
  const SteadyTime now = clock_.steady_now();
  for (auto& [id, account] : accounts_) {
    if (account.has_pending && now - account.pending_since >= config_.ledger_interval) {
      commit_account(account);
    }
  }
  controls_.tick();
  flush_offline_days();
  close_periods();
  prune_usage();  // after the closes: a month's days go once its row is folded from them
  relays_.tick();
  orders_.tick();
}

const AccountRuntime* Engine::Impl::find_account(const std::string& account_id) const {
  auto found = accounts_.find(account_id);
  return found == accounts_.end() ? nullptr : &found->second;
}

const MeterRuntime* Engine::Impl::find_meter(const std::string& meter_id) const {
  auto found = meters_.find(meter_id);
  return found == meters_.end() ? nullptr : &found->second;
}

void Engine::Impl::book(LedgerEntry entry, std::vector<EngineChange> extra,
                        std::function<void(Money balance)> committed) {
  AccountRuntime& account = accounts_.at(entry.account_id);
  account.balance += entry.amount;
  std::vector<Event> events;
  evaluate_alarm(account, events, /*defer_supply=*/true);
  commit_account(
      account, {std::move(entry)}, std::move(events), std::move(extra),
      later([this, id = account.id, balance = account.balance, committed = std::move(committed)] {
        // The money is durable: supply comes back (or goes) only now.
        auto found = accounts_.find(id);
        if (found != accounts_.end() && found->second.mode == BillingMode::kGateway) {
          set_supply(found->second);
        }
        committed(balance);
      }));
}

void Engine::Impl::set_purchase_count(const std::string& meter_id, std::int64_t count) {
  meters_.at(meter_id).purchase_count = count;
}

void Engine::Impl::flush_all() {
  for (auto& [id, account] : accounts_) {
    if (account.has_pending) commit_account(account);
  }
}

}  // namespace meterd
