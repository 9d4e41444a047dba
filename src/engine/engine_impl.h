// SPDX-License-Identifier: Apache-2.0
// Engine internals: the coordinator. It keeps the accounts and meters (billing, alarms,
// statistics, period close, account commands: engine*.cpp, one concern a file) and three parts
// that own their state: RelayDesk (the relays), MeterControlDesk (load and time control) and
// OrderBook (recharges and refunds, exactly once). Each part reaches the rest only through its
// Host interface, which Impl implements. Loop thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_events.h"
#include "engine/engine_rows.h"
#include "engine/loop_lifetime.h"
#include "engine/meter_control_desk.h"
#include "engine/order_book.h"
#include "engine/reading_points.h"
#include "engine/relay_desk.h"

namespace meterd {

class Engine::Impl : public RelayDesk::Host, public MeterControlDesk::Host, public OrderBook::Host {
 public:
  Impl(EngineStore& store, const Clock& clock, BillingConfig config, ActionPort& actions, Post post)
      : store_(store),
        clock_(clock),
        config_(std::move(config)),
        actions_(actions),
        post_(std::move(post)),
        relays_(*this, actions_, clock_, config_, post_),
        controls_(*this, clock_, config_),
        orders_(*this, actions_, clock_, config_, post_),
        lifetime_(post_) {}

  // engine_start.cpp
  void start();
  void load(const StoredEngineState& stored);
  void seed_from_config();
  void create_account(const AccountSpec& spec);
  void update_config_account(AccountRuntime& account, const AccountSpec& spec);

  // engine_billing.cpp
  void on_reading(const MeterPolled& polled);
  void bill(AccountRuntime& account, MeterRuntime& meter, Energy energy, WallTime time);
  void mirror(AccountRuntime& account, MeterRuntime& meter, Money balance, WallTime time);
  // The first balance of a meter-billed account whose balance was unknown: level and ledger
  // (an adjustment) follow it, an alarm event only when it is not normal.
  void open_balance(AccountRuntime& account, const MeterRuntime& meter, Money balance);
  std::optional<std::int64_t> price_signature(const AccountRuntime& account, WallTime from,
                                              WallTime to) const;
  // Writes the account: every pending deduction with its meters' billed readings, then
  // `credits` (entries whose amounts the live balance already includes), the account state,
  // `events`, after the changes in `extra`; one atomic EngineWrite.
  void commit_account(AccountRuntime& account, std::vector<LedgerEntry> credits = {},
                      std::vector<Event> events = {}, std::vector<EngineChange> extra = {},
                      std::function<void()> committed = nullptr);
  // Re-evaluates the alarm level after a balance change and adds its event. The relays follow
  // at once, unless `defer_supply` (a money order: supply comes back only once the money is
  // durable, so the caller calls set_supply from the commit).
  void evaluate_alarm(AccountRuntime& account, std::vector<Event>& events,
                      bool defer_supply = false);
  void on_tick();
  void flush_all();

  // Statistics rollups (engine_usage.cpp). Every write goes through write_to_store, which
  // adds the counts waiting (cut-offs, load trips), so they land with the events reporting
  // them. count_usage adds one to `counter` of the meter's and the account's day (either id
  // may be empty).
  void write_to_store(EngineWrite write) override;
  void count_usage(const std::string& meter_id, const std::string& account_id,
                   std::int64_t UsageFigures::*counter);
  void count_cut_off(const AccountRuntime& account);
  // Statistics from readings and meter states (engine_measures.cpp): maximum demand, the
  // voltage range, offline time. flush_offline_days, before periods close, puts the offline
  // time of ended days into their rows and writes what waits.
  void observe_measures(AccountRuntime& account, MeterRuntime& meter, const MeterPolled& polled);
  void observe_demand(AccountRuntime& account, MeterRuntime& meter, std::int64_t energy_wh,
                      std::int64_t time_ms);
  void observe_voltage(MeterRuntime& meter, const MeterPolled& polled);
  void on_meter_state(const std::string& meter_id, bool online, WallTime time);
  void add_offline(MeterRuntime& meter, WallTime until);
  void flush_offline_days();
  void flush_measures();  // at stop
  // Once per local day (at start and on ticks): removes the rollups past retention.
  void prune_usage();
  // Period close (engine_period_close.cpp). start_period_close reads the marks (a new store
  // starts them at yesterday and last month) and closes what ended meanwhile; close_periods,
  // on ticks, closes each period that ended once its meters are billed past it (or an hour
  // after it ended) and publishes the summaries due; reopen_late_usage, on every write, marks
  // closed periods that a late delta changes due for a correction.
  void start_period_close();
  void close_periods();
  bool period_billed(WallTime end) const;
  void publish_due_summaries();
  void reopen_late_usage(EngineWrite& write);
  // A meter's account, or "" when it has none.
  std::string account_of(const std::string& meter_id) const;
  // Adds what the priced increment `pieces_` holds to the pending deduction's days.
  static void add_pieces(PendingDeduction& pending, const std::vector<PricedPiece>& pieces);
  // A meter-billed account's balance drop (`cost`) on local day `day`.
  static void add_cost(PendingDeduction& pending, std::int32_t day, std::int64_t cost);

  // engine_relays.cpp: what the relay of a meter should do; RelayDesk does it.
  void set_supply(AccountRuntime& account);
  // The relay of one meter, whatever decides it: its account in gateway billing mode, or
  // else only relay commands and load and time control.
  void update_supply(const std::string& meter_id) override;
  bool supply_wanted(const AccountRuntime& account, const std::string& meter_id) const;
  // RelayDesk::Host
  bool stopping() const override { return stopped_; }
  // cut_off, account_closed, relay_open_command, overload_trip / malignant_load_trip,
  // supply_schedule.
  std::vector<std::string> relay_holds(const std::string& meter_id) const override;
  void relay_switched(const std::string& meter_id) override;
  // MeterControlDesk::Host (and update_supply, relay_holds, write_to_store, append_event)
  void count_load_trip(const std::string& meter_id) override;
  void append_event(Event event) override { store_.append_event(std::move(event)); }

  // engine_admin.cpp
  void set_tariff(const std::string& account_id, CommandTariff tariff,
                  std::optional<WallTime> effective_from, AdminDone done);
  void set_thresholds(const std::string& account_id, AlarmThresholds thresholds, AdminDone done);
  void open_account(AccountOpening opening, AdminDone done);
  void close_account(const std::string& account_id, AdminDone done);
  void assign_meter(const std::string& meter_id, const std::string& account_id, AdminDone done);
  void command_relay(const std::string& meter_id, bool close,
                     std::function<void(Result<MeterReading>)> done);
  AccountRuntime* open_account_or_fail(const std::string& account_id, AdminDone& done);
  void fail(AdminDone& done, std::string code, std::string message);
  // For a meter-billed account: runs `actions` on its meter one after the other, then answers
  // `done` with what the meter made of them. Other accounts: answers at once.
  void push_to_meter(const std::string& account_id, std::vector<Action> actions, AdminDone done);
  // `done`, once the change is stored and, for a meter-billed account, pushed to the meter.
  AdminDone then_to_meter(const std::string& account_id, std::vector<Action> actions,
                          AdminDone done);
  // Writes the account as a command left it (row, meters) with `extra`, then answers.
  void commit_admin(AccountRuntime& account, std::vector<Event> events,
                    std::vector<EngineChange> extra, AdminDone done);

  // Load and time control commands; MeterControlDesk keeps the controls.
  void set_load_limits(const std::string& meter_id, const std::optional<LoadLimitsOrder>& order,
                       AdminDone done);
  void set_schedule(const std::string& meter_id, const std::optional<SupplySchedule>& schedule,
                    AdminDone done);
  // A command's change of a meter's controls in one urgent write; then the relay follows and
  // `done` gets the outcome.
  void commit_control(const std::string& meter_id, ControlChange change, AdminDone done);
  std::int32_t local_day(WallTime t) const;

  // OrderBook::Host (engine_billing.cpp; and stopping, write_to_store)
  const AccountRuntime* find_account(const std::string& account_id) const override;
  const MeterRuntime* find_meter(const std::string& meter_id) const override;
  void book(LedgerEntry entry, std::vector<EngineChange> extra,
            std::function<void(Money balance)> committed) override;
  void set_purchase_count(const std::string& meter_id, std::int64_t count) override;

  Event event(std::string type, std::string meter_id, std::string details) const {
    return event_now(clock_, std::move(type), std::move(meter_id), std::move(details));
  }

  // Callbacks that outlive the engine (store commits, bus actions; the engine is replaced on
  // reload) run only while it lives (loop_lifetime.h).
  std::function<void()> later(std::function<void()> fn) const {
    return lifetime_.later(std::move(fn));
  }
  template <typename Fn>
  auto alive(Fn fn) const {
    return lifetime_.alive(std::move(fn));
  }

  EngineStore& store_;
  const Clock& clock_;
  const BillingConfig config_;
  ActionPort& actions_;
  const Post post_;
  bool stopped_ = false;

  std::map<std::string, AccountRuntime> accounts_;
  std::map<std::string, MeterRuntime> meters_;
  // The parts hold `*this` as their Host; each has its own lifetime token, so a callback that
  // comes after the engine is gone touches nothing.
  RelayDesk relays_;
  MeterControlDesk controls_;
  OrderBook orders_;
  std::map<std::string, std::string> stored_tariff_json_;  // account -> newest, at start
  EngineStats stats_;
  std::vector<PricedPiece> pieces_;       // scratch for pricing, reused
  std::vector<UsageDelta> usage_counts_;  // counts for the next write
  std::int32_t pruned_on_ = 0;            // the local day retention last ran
  UsageCloseMarks closed_;                // the last closed day and month
  DemandGrid demand_grid_;                // maximum demand's windows, set at start
  bool summaries_due_ = false;            // the store may hold summaries to publish
  LoopLifetime lifetime_;
};

}  // namespace meterd
