// SPDX-License-Identifier: Apache-2.0
// The order book of recharges and refunds: each order id is applied exactly once. It keeps
// the durable outcomes (a repeat gets the same answer), the callers waiting for an order being
// applied, and the meter-mode recharges on their way to the meter, journaled before they go
// out (order_book.cpp). The money itself moves through its Host (the account's balance, alarm
// and ledger). Owns its maps; loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/account_runtime.h"
#include "engine/action_port.h"
#include "engine/billing_config.h"
#include "engine/engine_store.h"
#include "engine/loop_lifetime.h"

namespace meterd {

struct MeterRechargeJob {
  MeterRechargeRow row;
  bool in_flight = false;
  int failures = 0;
  SteadyTime retry_at{};
  std::string operator_id;
};

class OrderBook {
 public:
  using Done = std::function<void(MoneyOutcome)>;

  // What the book needs from the engine around it.
  class Host {
   public:
    virtual ~Host() = default;
    virtual bool stopping() const = 0;
    virtual const AccountRuntime* find_account(const std::string& account_id) const = 0;
    virtual const MeterRuntime* find_meter(const std::string& meter_id) const = 0;
    // Moves the balance of `entry.account_id` by `entry.amount` (the alarm follows, the
    // relays wait) and writes the entry, `extra`, the account and its events in one urgent
    // write. Once that is durable the relays follow, then `committed` gets the balance after.
    virtual void book(LedgerEntry entry, std::vector<EngineChange> extra,
                      std::function<void(Money balance)> committed) = 0;
    // The meter took a recharge carrying `count`.
    virtual void set_purchase_count(const std::string& meter_id, std::int64_t count) = 0;
    virtual void write_to_store(EngineWrite write) = 0;
  };

  OrderBook(Host& host, ActionPort& actions, const Clock& clock, const BillingConfig& config,
            LoopPost post);

  // The stored picture at start-up: the orders in the ledger (load), then the meter
  // recharges journaled (resume: pending ones are sent again with their purchase count).
  void load(const std::vector<LedgerEntry>& money_orders);
  void resume(const std::vector<MeterRechargeRow>& rows);

  // `done` runs on the loop once the outcome is durable (or at once for a rejection).
  void recharge(const MoneyOrder& order, Done done);
  void refund(const MoneyOrder& order, Done done);
  // Meter recharges whose retry is due.
  void tick();
  // A recharge is on its way to the meter: its balance readings wait.
  bool recharge_pending(const std::string& meter_id) const;

 private:
  bool answer_known_order(const std::string& key, Done& done);
  void finish_order(const std::string& key, const MoneyOutcome& outcome);
  // Answers everyone waiting for `key` with `outcome`, which is not remembered.
  void answer_waiters(const std::string& key, const MoneyOutcome& outcome);
  void reject(Done& done, std::string code, std::string message);
  // The order's open account, or nullptr once `done` is rejected (unknown_account).
  const AccountRuntime* open_account_or_reject(const MoneyOrder& order, Done& done);
  // Books `entry` (a durable order), then answers with `amount` and the balance after.
  void book(const std::string& key, Money amount, LedgerEntry entry,
            std::vector<EngineChange> extra);
  void start_meter_recharge(const std::string& key, MeterRechargeJob job);
  void submit_meter_recharge(const std::string& key);
  void on_meter_recharge_done(const std::string& key, const Result<MeterReading>& result);
  // Ends a meter recharge without credit: refused by the meter, or `unanswered` after
  // `recharge_attempts`; journaled with the reason, a recharge_failed event, then answered.
  void fail_meter_recharge(const std::string& key, bool unanswered, const Error& error);

  Host& host_;
  ActionPort& actions_;
  const Clock& clock_;
  const BillingConfig& config_;
  // "recharge:<order>" / "refund:<order>" -> the outcome, once durable
  std::map<std::string, MoneyOutcome> orders_;
  // orders being applied: whoever asks meanwhile waits for the same outcome
  std::map<std::string, std::vector<Done>> waiters_;
  std::map<std::string, MeterRechargeJob> meter_jobs_;  // by order key
  // Meter recharges that ended unreachable, by order key: the purchase count they carried. A
  // later order with the same id is written only while the meter's count is still below it.
  std::map<std::string, std::int64_t> unreachable_;
  LoopLifetime lifetime_;
};

}  // namespace meterd
