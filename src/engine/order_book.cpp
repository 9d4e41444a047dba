// SPDX-License-Identifier: Apache-2.0
// Recharges and refunds, exactly once per order id. Gateway mode: one atomic write of the
// ledger entry (unique by kind and order id), the account state and the events. Meter mode:
// the write to the meter is journaled first (meter_recharges, with the purchase count it
// will carry), so a retry after a crash sends the same count and the meter applies it once.
#include "engine/order_book.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "engine/engine_events.h"
#include "engine/retry_backoff.h"

namespace meterd {

OrderBook::OrderBook(Host& host, ActionPort& actions, const Clock& clock,
                     const BillingConfig& config, LoopPost post)
    : host_(host), actions_(actions), clock_(clock), config_(config), lifetime_(std::move(post)) {}

void OrderBook::load(const std::vector<LedgerEntry>& money_orders) {
  for (const LedgerEntry& entry : money_orders) {
    orders_[entry.kind + ":" + entry.order_id] = MoneyOutcome{
        true, "", "", entry.amount.units < 0 ? -entry.amount : entry.amount, entry.balance_after,
        false};
  }
}

void OrderBook::resume(const std::vector<MeterRechargeRow>& rows) {
  for (const MeterRechargeRow& row : rows) {
    const std::string key = "recharge:" + row.order_id;
    if (row.state == "unreachable") unreachable_[key] = row.purchase_count;
    if (row.state != "pending") {
      if (row.state == "failed")
        orders_[key] = MoneyOutcome{false,      "meter_rejected", "the meter refused the recharge",
                                    row.amount, Money{},          false};
      continue;
    }
    spdlog::info("engine: resuming recharge {} of meter {} (purchase count {})", row.order_id,
                 row.meter_id, row.purchase_count);
    MeterRechargeJob job;
    job.row = row;
    meter_jobs_[key] = std::move(job);
    waiters_[key];  // a repeat of the order meanwhile waits for this outcome, not a new write
    submit_meter_recharge(key);
  }
}

bool OrderBook::recharge_pending(const std::string& meter_id) const {
  for (const auto& [key, job] : meter_jobs_) {
    if (job.row.meter_id == meter_id) return true;
  }
  return false;
}

void OrderBook::reject(Done& done, std::string code, std::string message) {
  MoneyOutcome outcome;
  outcome.code = std::move(code);
  outcome.message = std::move(message);
  lifetime_.post()([done = std::move(done), outcome] { done(outcome); });
}

bool OrderBook::answer_known_order(const std::string& key, Done& done) {
  if (auto known = orders_.find(key); known != orders_.end()) {
    MoneyOutcome outcome = known->second;
    outcome.duplicate = true;
    lifetime_.post()([done = std::move(done), outcome] { done(outcome); });
    return true;
  }
  if (auto waiting = waiters_.find(key); waiting != waiters_.end()) {
    waiting->second.emplace_back([done = std::move(done)](MoneyOutcome outcome) {
      outcome.duplicate = true;
      done(outcome);
    });
    return true;
  }
  return false;
}

void OrderBook::book(const std::string& key, Money amount, LedgerEntry entry,
                     std::vector<EngineChange> extra) {
  host_.book(std::move(entry), std::move(extra), [this, key, amount](Money balance) {
    finish_order(key, MoneyOutcome{true, "", "", amount, balance, false});
  });
}

void OrderBook::answer_waiters(const std::string& key, const MoneyOutcome& outcome) {
  auto callers = std::move(waiters_[key]);
  waiters_.erase(key);
  for (auto& caller : callers) lifetime_.post()([caller, outcome] { caller(outcome); });
}

void OrderBook::finish_order(const std::string& key, const MoneyOutcome& outcome) {
  orders_[key] = outcome;
  unreachable_.erase(key);
  auto waiting = waiters_.find(key);
  if (waiting == waiters_.end()) return;
  std::vector<Done> callers = std::move(waiting->second);
  waiters_.erase(waiting);
  for (auto& caller : callers) caller(outcome);
}

const AccountRuntime* OrderBook::open_account_or_reject(const MoneyOrder& order, Done& done) {
  const AccountRuntime* found = host_.find_account(order.account_id);
  if (found == nullptr || found->closed) {
    reject(done, "unknown_account", "no open account '" + order.account_id + "'");
    return nullptr;
  }
  return found;
}

void OrderBook::recharge(const MoneyOrder& order, Done done) {
  const std::string key = "recharge:" + order.order_id;
  if (answer_known_order(key, done)) return;
  const AccountRuntime* found = open_account_or_reject(order, done);
  if (found == nullptr) return;
  if (order.amount <= Money{0}) return reject(done, "invalid", "amount must be positive");
  if (host_.stopping()) return reject(done, "stopping", "the gateway is stopping");
  const AccountRuntime& account = *found;
  waiters_[key].push_back(std::move(done));

  if (account.mode == BillingMode::kMeter) {
    const MeterRuntime& meter = *host_.find_meter(account.meters.front());
    if (!meter.purchase_count) {
      return answer_waiters(
          key, MoneyOutcome{false, "meter_state_unknown",
                            "meter " + meter.meter_id + " has not reported its purchase count yet",
                            order.amount, Money{}, false});
    }
    if (auto failed = unreachable_.find(key);
        failed != unreachable_.end() && *meter.purchase_count >= failed->second) {
      // The earlier write may have reached the meter after all: sending it again with a new
      // count could credit it twice.
      return answer_waiters(key, MoneyOutcome{false, "meter_state_changed",
                                              "meter " + meter.meter_id + " counts " +
                                                  std::to_string(*meter.purchase_count) +
                                                  " purchases, as if the failed write of this "
                                                  "order had been applied: check the meter",
                                              order.amount, Money{}, false});
    }
    MeterRechargeJob job;
    job.row = MeterRechargeRow{order.order_id, "recharge",
                               account.id,     meter.meter_id,
                               order.amount,   *meter.purchase_count + 1,
                               "pending",      to_unix_ms(clock_.wall_now())};
    job.operator_id = order.operator_id;
    return start_meter_recharge(key, std::move(job));
  }

  book(key, order.amount,
       LedgerEntry{account.id, to_unix_ms(clock_.wall_now()), "recharge", order.amount, Money{},
                   order.order_id, "",
                   order_details(order.order_id, order.amount, order.operator_id)},
       {});
}

void OrderBook::refund(const MoneyOrder& order, Done done) {
  const std::string key = "refund:" + order.order_id;
  if (answer_known_order(key, done)) return;
  const AccountRuntime* found = open_account_or_reject(order, done);
  if (found == nullptr) return;
  const AccountRuntime& account = *found;
  if (order.amount <= Money{0}) return reject(done, "invalid", "amount must be positive");
  if (account.mode == BillingMode::kMeter) {
    return reject(done, "not_supported", "refunds of meter-billed accounts are made at the meter");
  }
  if (order.amount > account.balance) {
    return reject(done, "insufficient_balance",
                  "refund " + format_money(order.amount) + " exceeds the balance " +
                      format_money(account.balance));
  }
  if (host_.stopping()) return reject(done, "stopping", "the gateway is stopping");
  waiters_[key].push_back(std::move(done));
  book(key, order.amount,
       LedgerEntry{account.id, to_unix_ms(clock_.wall_now()), "refund", -order.amount, Money{},
                   order.order_id, "",
                   order_details(order.order_id, order.amount, order.operator_id)},
       {});
}

void OrderBook::start_meter_recharge(const std::string& key, MeterRechargeJob job) {
  const MeterRechargeRow row = job.row;
  meter_jobs_[key] = std::move(job);
  EngineWrite write;
  write.urgent = true;
  write.changes.emplace_back(row);
  // Only once the journal entry is durable does the write to the meter go out.
  write.committed = lifetime_.later([this, key] { submit_meter_recharge(key); });
  host_.write_to_store(std::move(write));
}

void OrderBook::submit_meter_recharge(const std::string& key) {
  auto found = meter_jobs_.find(key);
  if (found == meter_jobs_.end() || found->second.in_flight || host_.stopping()) return;
  MeterRechargeJob& job = found->second;
  job.in_flight = true;
  Action action{"recharge",
                {{"amount", job.row.amount.units}, {"purchase_count", job.row.purchase_count}},
                {}};
  actions_.submit(job.row.meter_id, std::move(action),
                  lifetime_.alive([this, key](const Result<MeterReading>& result) {
                    on_meter_recharge_done(key, result);
                  }));
}

void OrderBook::on_meter_recharge_done(const std::string& key, const Result<MeterReading>& result) {
  auto found = meter_jobs_.find(key);
  if (found == meter_jobs_.end()) return;
  MeterRechargeJob& job = found->second;
  job.in_flight = false;
  if (!result) {
    if (host_.stopping()) return;  // the buses are stopping: resumed at the next start
    const ErrorKind kind = result.error().kind;
    const bool unanswered = kind == ErrorKind::kTimeout || kind == ErrorKind::kBusError ||
                            kind == ErrorKind::kChecksum || kind == ErrorKind::kMalformed;
    ++job.failures;
    if (unanswered && job.failures < config_.recharge_attempts) {
      job.retry_at = retry_after(config_, clock_.steady_now(), job.failures);
      spdlog::warn("engine: recharge {} of meter {} failed ({}), retrying: {}", job.row.order_id,
                   job.row.meter_id, job.failures, result.error().message);
      return;
    }
    return fail_meter_recharge(key, unanswered, result.error());
  }
  MeterRechargeRow row = job.row;
  row.state = "done";
  const std::string operator_id = job.operator_id;
  meter_jobs_.erase(found);
  host_.set_purchase_count(row.meter_id, row.purchase_count);
  book(
      key, row.amount,
      LedgerEntry{row.account_id, to_unix_ms(clock_.wall_now()), "recharge", row.amount, Money{},
                  row.order_id, row.meter_id, order_details(row.order_id, row.amount, operator_id)},
      {row});
}

void OrderBook::fail_meter_recharge(const std::string& key, bool unanswered, const Error& error) {
  auto found = meter_jobs_.find(key);
  MeterRechargeRow row = found->second.row;
  const int attempts = found->second.failures;
  meter_jobs_.erase(found);
  // "failed": the meter refused it, for good. "unreachable": it never answered, so nothing
  // was credited and a later order with the same id may try again.
  row.state = unanswered ? "unreachable" : "failed";
  // kInvalidArgument: the driver refused the arguments before any frame went out (an amount
  // finer than the meter's resolution): the gateway's validation, not the meter's refusal.
  const std::string code = unanswered                                  ? "meter_unreachable"
                           : error.kind == ErrorKind::kInvalidArgument ? "invalid_amount"
                                                                       : "meter_rejected";
  spdlog::error("engine: recharge {} of meter {} failed after {} attempts ({}): {}", row.order_id,
                row.meter_id, attempts, code, error.message);
  MoneyOutcome outcome{false, code, error.message, row.amount, Money{}, false};
  EngineWrite write;
  write.urgent = true;
  write.changes.emplace_back(row);
  write.events.push_back(event_now(clock_, "recharge_failed", row.meter_id,
                                   json_text(nlohmann::json{{"account", row.account_id},
                                                            {"order_id", row.order_id},
                                                            {"amount", format_money(row.amount)},
                                                            {"attempts", attempts},
                                                            {"reason", code},
                                                            {"error", to_string(error.kind)},
                                                            {"message", error.message}})));
  write.committed = lifetime_.later([this, key, outcome, unanswered, count = row.purchase_count] {
    if (!unanswered) return finish_order(key, outcome);
    unreachable_[key] = count;
    answer_waiters(key, outcome);  // not remembered: the same order may be sent again
  });
  host_.write_to_store(std::move(write));
}

void OrderBook::tick() {
  const SteadyTime now = clock_.steady_now();
  std::vector<std::string> due;
  for (const auto& [key, job] : meter_jobs_) {
    if (!job.in_flight && job.failures > 0 && now >= job.retry_at) due.push_back(key);
  }
  for (const std::string& key : due) submit_meter_recharge(key);
}

}  // namespace meterd
