// SPDX-License-Identifier: Apache-2.0
// Account and parameter changes from commands. Each is one atomic write of the account as the
// command left it; the account's source becomes "command", so the site file stops applying
// to it (docs/billing.md).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/engine_events.h"
#include "engine/engine_impl.h"
#include "engine/meter_parameters.h"

namespace meterd {
namespace {

AccountRow row_of(const AccountRuntime& account, std::int64_t now_ms) {
  return AccountRow{account.id,     account.name,   account.mode, account.thresholds,
                    account.source, account.closed, now_ms};
}

}  // namespace

void Engine::Impl::fail(AdminDone& done, std::string code, std::string message) {
  AdminOutcome outcome{false, std::move(code), std::move(message), std::nullopt};
  post_([done = std::move(done), outcome] { done(outcome); });
}

AccountRuntime* Engine::Impl::open_account_or_fail(const std::string& account_id, AdminDone& done) {
  auto found = accounts_.find(account_id);
  if (found == accounts_.end() || found->second.closed) {
    fail(done, "unknown_account", "no open account '" + account_id + "'");
    return nullptr;
  }
  if (stopped_) {
    fail(done, "stopping", "the gateway is stopping");
    return nullptr;
  }
  return &found->second;
}

void Engine::Impl::commit_admin(AccountRuntime& account, std::vector<Event> events,
                                std::vector<EngineChange> extra, AdminDone done) {
  account.source = "command";
  std::vector<EngineChange> changes{row_of(account, to_unix_ms(clock_.wall_now())),
                                    AccountMetersRow{account.id, account.meters}};
  for (EngineChange& change : extra) changes.push_back(std::move(change));
  commit_account(account, {}, std::move(events), std::move(changes),
                 later([this, id = account.id, done = std::move(done)] {
                   if (auto found = accounts_.find(id); found != accounts_.end()) {
                     if (found->second.mode == BillingMode::kGateway) set_supply(found->second);
                   }
                   done(AdminOutcome{true, "", "", std::nullopt});
                 }));
}

Engine::AdminDone Engine::Impl::then_to_meter(const std::string& account_id,
                                              std::vector<Action> actions, AdminDone done) {
  return [this, account_id, actions = std::move(actions),
          done = std::move(done)](AdminOutcome outcome) mutable {
    if (!outcome.ok) return done(std::move(outcome));
    push_to_meter(account_id, std::move(actions), std::move(done));
  };
}

void Engine::Impl::push_to_meter(const std::string& account_id, std::vector<Action> actions,
                                 AdminDone done) {
  auto account = accounts_.find(account_id);
  if (account == accounts_.end() || account->second.mode != BillingMode::kMeter ||
      account->second.meters.empty() || actions.empty()) {
    return done(AdminOutcome{true, "", "", std::nullopt});
  }
  const std::string meter_id = account->second.meters.front();
  Action action = actions.front();
  actions.erase(actions.begin());
  const std::string name = action.name;
  actions_.submit(
      meter_id, std::move(action),
      alive([this, account_id, meter_id, name, actions = std::move(actions),
             done = std::move(done)](const Result<MeterReading>& result) mutable {
        if (!result) {
          spdlog::warn("engine: meter {} did not take {}: {}", meter_id, name,
                       result.error().message);
          store_.append_event(event("meter_parameter_failed", meter_id,
                                    nlohmann::json{{"action", name},
                                                   {"error", to_string(result.error().kind)},
                                                   {"message", result.error().message}}
                                        .dump()));
          return done(AdminOutcome{true, "", "", MeterWrite{name, result.error()}});
        }
        if (actions.empty())
          return done(AdminOutcome{true, "", "", MeterWrite{name, std::nullopt}});
        push_to_meter(account_id, std::move(actions), std::move(done));
      }));
}

void Engine::Impl::set_tariff(const std::string& account_id, CommandTariff command,
                              std::optional<WallTime> effective_from, AdminDone done) {
  AccountRuntime* account = open_account_or_fail(account_id, done);
  if (!account) return;
  Result<Tariff>& tariff = command.tariff;
  if (!tariff) return fail(done, "invalid", "tariff: " + tariff.error().message);
  const WallTime now = clock_.wall_now();
  // Energy already billed stays billed: a change cannot reach back before the last reading.
  WallTime effective = effective_from.value_or(now);
  for (const std::string& meter_id : account->meters) {
    if (auto meter = meters_.find(meter_id); meter != meters_.end()) {
      effective = std::max(effective, meter->second.last_time);
    }
  }
  commit_account(*account);  // what was consumed so far is priced at the old tariff
  std::vector<Action> to_meter = price_actions(tariff.value());
  account->tariffs.add(TariffChange{effective, tariff.value()});
  TariffRow row{account_id, to_unix_ms(effective), std::move(command.json), "command",
                std::move(tariff.value())};
  commit_admin(*account, {}, {std::move(row)},
               then_to_meter(account_id, std::move(to_meter), std::move(done)));
}

void Engine::Impl::set_thresholds(const std::string& account_id, AlarmThresholds thresholds,
                                  AdminDone done) {
  AccountRuntime* account = open_account_or_fail(account_id, done);
  if (!account) return;
  account->thresholds = thresholds;
  std::vector<Event> events;
  evaluate_alarm(*account, events, /*defer_supply=*/true);
  commit_admin(*account, std::move(events), {},
               then_to_meter(account_id, threshold_actions(thresholds), std::move(done)));
}

void Engine::Impl::open_account(AccountOpening opening, AdminDone done) {
  const AccountSpec& spec = opening.spec;
  if (auto found = accounts_.find(spec.id); found != accounts_.end() && !found->second.closed) {
    return fail(done, "account_exists", "account '" + spec.id + "' is open already");
  }
  for (const std::string& meter_id : spec.meters) {
    auto meter = meters_.find(meter_id);
    if (meter != meters_.end() && meter->second.account_id != spec.id) {
      return fail(done, "meter_assigned",
                  "meter '" + meter_id + "' belongs to account '" + meter->second.account_id + "'");
    }
  }
  std::optional<Tariff> tariff;
  if (opening.tariff) {
    const Result<Tariff>& parsed = opening.tariff->tariff;
    if (!parsed) return fail(done, "invalid", "tariff: " + parsed.error().message);
    tariff = parsed.value();
  } else if (spec.mode == BillingMode::kGateway) {
    return fail(done, "invalid", "an account billed at the gateway needs a tariff");
  }
  if (stopped_) return fail(done, "stopping", "the gateway is stopping");
  AccountRuntime& account = accounts_[spec.id];
  const bool reopened = !account.id.empty();
  account = AccountRuntime{};
  account.id = spec.id;
  account.name = spec.name;
  account.mode = spec.mode;
  account.meters = spec.meters;
  account.thresholds = spec.thresholds;
  account.balance = Money{0};
  std::optional<TariffRow> tariff_row;
  if (tariff) {
    account.tariffs.add(TariffChange{WallTime{}, *tariff});
    tariff_row = TariffRow{spec.id, 0, opening.tariff->json, "command", std::move(*tariff)};
  }
  for (const std::string& meter_id : spec.meters) {
    MeterRuntime& meter = meters_[meter_id];
    meter.meter_id = meter_id;
    meter.account_id = spec.id;
  }
  if (reopened) {
    spdlog::warn("engine: account '{}' is opened again; its old ledger stays", spec.id);
  }
  std::vector<LedgerEntry> credits;
  if (spec.opening_balance != Money{0}) {
    account.balance = spec.opening_balance;
    credits.push_back(LedgerEntry{spec.id, to_unix_ms(clock_.wall_now()), "adjustment",
                                  spec.opening_balance, Money{}, "", "",
                                  "{\"reason\":\"opening balance\"}"});
  }
  account.level =
      spec.balance_unknown() ? AlarmLevel::kUnknown : level_of(account.balance, account.thresholds);
  account.source = "command";
  std::vector<EngineChange> changes{row_of(account, to_unix_ms(clock_.wall_now())),
                                    AccountMetersRow{account.id, account.meters}};
  if (tariff_row) changes.emplace_back(std::move(*tariff_row));
  commit_account(account, std::move(credits), {}, std::move(changes),
                 later([this, id = spec.id, done = std::move(done)] {
                   if (auto found = accounts_.find(id); found != accounts_.end()) {
                     if (found->second.mode == BillingMode::kGateway) set_supply(found->second);
                   }
                   done(AdminOutcome{true, "", "", std::nullopt});
                 }));
}

void Engine::Impl::close_account(const std::string& account_id, AdminDone done) {
  AccountRuntime* account = open_account_or_fail(account_id, done);
  if (!account) return;
  commit_account(*account);
  account->closed = true;  // supply off; the balance stays for a refund or a reopening
  commit_admin(*account, {event("account_closed", "", alarm_details(*account, account->level))}, {},
               std::move(done));
}

void Engine::Impl::assign_meter(const std::string& meter_id, const std::string& account_id,
                                AdminDone done) {
  AccountRuntime* account = open_account_or_fail(account_id, done);
  if (!account) return;
  if (account->mode == BillingMode::kMeter && !account->meters.empty() &&
      account->meters.front() != meter_id) {
    return fail(done, "invalid", "an account in meter billing mode has exactly one meter");
  }
  auto meter = meters_.find(meter_id);
  if (meter != meters_.end() && meter->second.account_id == account_id) {
    return commit_admin(*account, {}, {}, std::move(done));
  }
  std::vector<EngineChange> extra;
  if (meter != meters_.end()) {  // moves: the old account bills up to now and lets go
    AccountRuntime& old = accounts_.at(meter->second.account_id);
    commit_account(old);
    old.meters.erase(std::remove(old.meters.begin(), old.meters.end(), meter_id), old.meters.end());
    extra.emplace_back(row_of(old, to_unix_ms(clock_.wall_now())));
    extra.emplace_back(AccountMetersRow{old.id, old.meters});
  }
  MeterRuntime& runtime = meters_[meter_id];
  const bool keep_reading = runtime.has_billed;
  runtime.meter_id = meter_id;
  runtime.account_id = account_id;
  runtime.pending = PendingDeduction{};
  runtime.has_billed = keep_reading;  // billing goes on from the last reading, for the new account
  account->meters.push_back(meter_id);
  commit_admin(*account, {}, std::move(extra), std::move(done));
}

void Engine::Impl::commit_control(const std::string& meter_id, ControlChange change,
                                  AdminDone done) {
  EngineWrite write;
  write.changes = std::move(change.changes);
  write.events = std::move(change.events);
  write.urgent = true;
  write.committed = later([this, meter_id, done = std::move(done)] {
    update_supply(meter_id);
    done(AdminOutcome{true, "", "", std::nullopt});
  });
  write_to_store(std::move(write));
}

void Engine::Impl::set_load_limits(const std::string& meter_id,
                                   const std::optional<LoadLimitsOrder>& order, AdminDone done) {
  if (stopped_) return fail(done, "stopping", "the gateway is stopping");
  commit_control(meter_id, controls_.set_load_limits(meter_id, order), std::move(done));
}

void Engine::Impl::set_schedule(const std::string& meter_id,
                                const std::optional<SupplySchedule>& schedule, AdminDone done) {
  if (stopped_) return fail(done, "stopping", "the gateway is stopping");
  commit_control(meter_id, controls_.set_schedule(meter_id, schedule), std::move(done));
}

void Engine::Impl::command_relay(const std::string& meter_id, bool close,
                                 std::function<void(Result<MeterReading>)> done) {
  auto meter = meters_.find(meter_id);
  AccountRuntime* account = nullptr;
  if (meter != meters_.end()) account = &accounts_.at(meter->second.account_id);
  relays_.track(meter_id);
  if (close && account && account->mode == BillingMode::kGateway &&
      (account->level == AlarmLevel::kCutOff || account->closed)) {
    Result<MeterReading> refused = make_error(
        ErrorKind::kRejected, "account '" + account->id + "' is cut off: recharge first");
    post_([done = std::move(done), refused] { done(refused); });
    return;
  }
  if (close) {
    if (std::optional<std::string> why = controls_.release_for_close(meter_id)) {
      Result<MeterReading> refused = make_error(ErrorKind::kRejected, *why);
      post_([done = std::move(done), refused] { done(refused); });
      return;
    }
  }
  EngineWrite write;
  write.changes.emplace_back(
      RelayOverrideRow{meter_id, !close, "command", to_unix_ms(clock_.wall_now())});
  write_to_store(std::move(write));
  relays_.command(meter_id, close, std::move(done));
}

}  // namespace meterd
