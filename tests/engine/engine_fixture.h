// SPDX-License-Identifier: Apache-2.0
// The fixture of the prepaid engine's component tests: single-threaded, in virtual time
// (ManualClock), an io_context as the loop, the engine store port in memory (its contract
// with the SQLite store is engine_store_contract_test.cpp). The ActionPort stands for the
// buses: it records actions and the test answers them, posted onto the loop.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/tariff_json.h"
#include "engine/engine.h"
#include "loop_pump.h"
#include "memory_engine_store.h"

namespace meterd::test {

using namespace std::chrono_literals;
using std::chrono::March;

// 2026-03-02 10:00 local at +08:00.
inline const WallTime kStart = std::chrono::sys_days{std::chrono::year{2026} / March / 2} + 2h;
constexpr std::int64_t kUnits = Money::kUnitsPerCurrency;

// The cost of `wh` at one price from a zero carry: Wh * price / 1000, the rest carried.
inline Money cost_at(std::int64_t wh, Money price_per_kwh) {
  return Money{wh * price_per_kwh.units / 1000};
}

inline MeterReading gateway_reading(std::int64_t energy_wh, bool relay_closed) {
  return MeterReading{
      {{"energy_total", PointScalar{energy_wh}}, {"relay_closed", PointScalar{relay_closed}}}, {}};
}

inline MeterReading relay_reading(bool relay_closed) {
  return MeterReading{{{"relay_closed", PointScalar{relay_closed}}}, {}};
}

inline MeterReading meter_mode_reading(Money balance, std::int64_t purchase_count) {
  return MeterReading{
      {{"balance", PointScalar{balance.units}}, {"purchase_count", PointScalar{purchase_count}}},
      {}};
}

inline Tariff flat_tariff(Money price) {
  Tariff tariff;
  tariff.id = "flat";
  tariff.price_per_kwh = price;
  return tariff;
}

// valley until 08:00 local, peak after.
inline Tariff tou_tariff() {
  Tariff tariff;
  tariff.id = "tou";
  TimeOfUse tou;
  tou.price_per_kwh = {Money{12000}, Money{9000}, Money{6000}, Money{3000}};
  tou.default_day = {{0, TouPeriod::kValley}, {8 * 60, TouPeriod::kPeak}};
  tariff.tou = tou;
  return tariff;
}
inline const char* const kTouJson =
    R"({"id":"tou","tou":{"prices":{"sharp":"1.2","peak":"0.9","flat":"0.6","valley":"0.3"},)"
    R"("day":[{"from":"00:00","period":"valley"},{"from":"08:00","period":"peak"}]}})";

inline BillingConfig gateway_config(Money opening, std::vector<std::string> meters, Tariff tariff,
                                    std::string tariff_json) {
  BillingConfig config;
  config.zone = LocalZone{480min};
  AccountSpec account;
  account.id = "a1";
  account.name = "Flat 1";
  account.meters = std::move(meters);
  account.tariff_id = tariff.id;
  account.opening_balance = opening;
  config.tariff_json[tariff.id] = std::move(tariff_json);
  config.tariffs[tariff.id] = std::move(tariff);
  config.accounts.push_back(std::move(account));
  return config;
}

inline BillingConfig flat_config(Money opening, Money price,
                                 std::vector<std::string> meters = {"m1"}) {
  return gateway_config(opening, std::move(meters), flat_tariff(price),
                        R"({"id":"flat","price":")" + format_money(price) + "\"}");
}

inline BillingConfig meter_mode_config(Money opening) {
  BillingConfig config;
  config.zone = LocalZone{480min};
  AccountSpec account;
  account.id = "a1";
  account.name = "Shop";
  account.mode = BillingMode::kMeter;
  account.meters = {"mm"};
  account.opening_balance = opening;
  config.accounts.push_back(std::move(account));
  return config;
}

struct SubmittedAction {
  std::string meter_id;
  Action action;
  std::function<void(Result<MeterReading>)> done;
};

// The buses, as the engine sees them: records every action; the test answers each one.
class RecordingPort final : public ActionPort {
 public:
  explicit RecordingPort(boost::asio::io_context& io) : io_(io) {}

  void submit(const std::string& meter_id, Action action,
              std::function<void(Result<MeterReading>)> done) override {
    if (on_submit) on_submit(meter_id, action);
    submitted.push_back({meter_id, std::move(action), std::move(done)});
  }

  // Answers action `index` the way a bus worker does: posted onto the loop.
  void answer(std::size_t index, Result<MeterReading> result) {
    auto done = std::move(submitted.at(index).done);
    ASSERT_TRUE(done) << "action " << index << " answered twice";
    boost::asio::post(io_, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }

  std::function<void(const std::string&, const Action&)> on_submit;
  std::vector<SubmittedAction> submitted;

 private:
  boost::asio::io_context& io_;
};

class EngineTest : public ::testing::Test {
 protected:
  ~EngineTest() override {
    drop_engine();
    EXPECT_EQ(store_.refused_writes, 0) << "the engine wrote one money order twice";
  }

  void start_engine(const BillingConfig& config) {
    io_ = std::make_unique<boost::asio::io_context>();
    port_ = std::make_unique<RecordingPort>(*io_);
    boost::asio::io_context* io = io_.get();
    engine_ = std::make_unique<Engine>(
        store_, clock_, config, *port_,
        [io](std::function<void()> fn) { boost::asio::post(*io, std::move(fn)); });
    engine_->start();
  }

  // A crash: the engine goes without stop(); what it had not handed to the store is lost.
  // The store keeps what it was given (as a crash after its commit would leave it).
  void crash_engine() { drop_engine(); }

  void restart_engine(const BillingConfig& config) {
    engine_->stop();
    drain();
    drop_engine();
    start_engine(config);
  }

  void drop_engine() {
    engine_.reset();  // handlers still queued on the old loop die with it, never run
    port_.reset();
    io_.reset();
  }

  void drain() { test::drain_loop(*io_); }
  // Single-threaded: whatever will happen without the test's next step has happened once the
  // loop is drained. A condition may itself act (answer a submitted meter action), which
  // queues more work: drained again, a bounded number of rounds.
  template <typename Condition>
  bool pump_until(Condition condition) {
    for (int round = 0; round < 100; ++round) {
      drain();
      if (condition()) return true;
    }
    return false;
  }

  void read(const std::string& meter, MeterReading reading) {
    engine_->on_reading(MeterPolled{meter, "g", clock_.wall_now(), std::move(reading)});
  }

  MoneyOutcome recharge(const std::string& order_id, Money amount,
                        const std::string& account = "a1") {
    return await_order(true, order_id, amount, account);
  }
  MoneyOutcome refund(const std::string& order_id, Money amount) {
    return await_order(false, order_id, amount, "a1");
  }
  MoneyOutcome await_order(bool is_recharge, const std::string& order_id, Money amount,
                           const std::string& account) {
    auto outcome = std::make_shared<std::optional<MoneyOutcome>>();
    MoneyOrder order{order_id, account, amount, "test"};
    auto done = [outcome](MoneyOutcome o) { *outcome = std::move(o); };
    if (is_recharge) {
      engine_->recharge(order, done);
    } else {
      engine_->refund(order, done);
    }
    EXPECT_TRUE(pump_until([&] { return outcome->has_value(); })) << "no outcome for " << order_id;
    return outcome->value_or(MoneyOutcome{false, "no_outcome", "", {}, {}, false});
  }

  Money live_balance() const { return engine_->account("a1")->balance; }

  // What the store holds, as the next start would load it.
  template <typename Pred>
  std::int64_t ledger_count(Pred pred) const {
    return std::count_if(store_.ledger().begin(), store_.ledger().end(), pred);
  }
  template <typename Pred>
  std::int64_t ledger_total(Pred pred) const {
    std::int64_t sum = 0;
    for (const LedgerEntry& entry : store_.ledger()) {
      if (pred(entry)) sum += entry.amount.units;
    }
    return sum;
  }
  std::int64_t order_entries(const std::string& order_id) const {
    return ledger_count([&](const LedgerEntry& e) { return e.order_id == order_id; });
  }
  std::int64_t ledger_sum() const {
    return ledger_total([](const LedgerEntry& e) { return e.account_id == "a1"; });
  }
  std::int64_t deductions() const {
    return -ledger_total([](const LedgerEntry& e) { return e.kind == "deduction"; });
  }
  std::int64_t deduction_rows() const {
    return ledger_count([](const LedgerEntry& e) { return e.kind == "deduction"; });
  }
  const AccountStateRow& stored_state() const {
    static const AccountStateRow kNone{};
    const AccountStateRow* state = store_.state("a1");
    EXPECT_NE(state, nullptr) << "account a1 has no stored state";
    return state ? *state : kNone;
  }
  std::int64_t stored_balance() const { return stored_state().balance.units; }
  std::int64_t billed_energy(const std::string& meter_id) const {
    const MeterBillingRow* row = store_.billing(meter_id);
    EXPECT_NE(row, nullptr) << meter_id << " has no billed reading";
    return row ? row->energy.wh : -1;
  }
  std::int64_t billed_ms(const std::string& meter_id) const {
    const MeterBillingRow* row = store_.billing(meter_id);
    EXPECT_NE(row, nullptr) << meter_id << " has no billed reading";
    return row ? row->ts_ms : -1;
  }
  // The journal state of a meter recharge: {state}, or {} when none was journaled.
  std::vector<std::string> recharge_states(const std::string& order_id) const {
    const MeterRechargeRow* row = store_.meter_recharge(order_id);
    return row ? std::vector<std::string>{row->state} : std::vector<std::string>{};
  }

  std::int64_t event_count(const std::string& type, const std::string& meter_id = "*") const {
    return std::count_if(store_.events.begin(), store_.events.end(), [&](const Event& e) {
      return e.type == type && (meter_id == "*" || e.meter_id == meter_id);
    });
  }
  // The details of every event of `type`, in the order raised.
  std::vector<std::string> event_details(const std::string& type) const {
    std::vector<std::string> out;
    for (const Event& e : store_.events) {
      if (e.type == type) out.push_back(e.details_json);
    }
    return out;
  }
  std::vector<nlohmann::json> event_objects(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (const std::string& details : event_details(type)) {
      out.push_back(nlohmann::json::parse(details));
    }
    return out;
  }
  std::vector<std::string> alarm_events() const {
    std::vector<std::string> out;
    for (const Event& e : store_.events) {
      for (const char* type :
           {"balance_low_1", "balance_low_2", "cut_off", "restored", "balance_ok"}) {
        if (e.type == type) out.push_back(e.type);
      }
    }
    return out;
  }

  std::vector<std::string> action_names(std::size_t from = 0) const {
    std::vector<std::string> names;
    for (std::size_t i = from; i < port_->submitted.size(); ++i) {
      names.push_back(port_->submitted[i].meter_id + ":" + port_->submitted[i].action.name);
    }
    return names;
  }

  ManualClock clock_{kStart};
  MemoryEngineStore store_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<RecordingPort> port_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace meterd::test
