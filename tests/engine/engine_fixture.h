// SPDX-License-Identifier: Apache-2.0
// The fixture of the prepaid engine's component tests: a real Store on a temporary SQLite
// file, virtual time (ManualClock), an io_context as the loop. The only double is the
// ActionPort, which stands for the buses: it records actions and the test answers them,
// posted onto the loop.
#pragma once

#include "config/tariff_json.h"
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_db.h"
#include "store/sqlite_engine_store.h"
#include "support/temp_dir.h"
#include "loop_pump.h"
#include "support/wait.h"

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
  return MeterReading{{{"energy_total", PointScalar{energy_wh}}, {"relay_closed", PointScalar{relay_closed}}},
                      {}};
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

inline BillingConfig flat_config(Money opening, Money price, std::vector<std::string> meters = {"m1"}) {
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
  EngineTest() : store_(store_config(), clock_, nullptr), engine_store_(store_) {}
  // Everything the store still owes the loop is delivered before the loop goes away.
  ~EngineTest() override {
    store_.flush();
    drop_engine();
  }

  StoreConfig store_config() const {
    StoreConfig config;
    config.path = db_path_;
    config.commit_interval = 5ms;
    return config;
  }

  void start_engine(const BillingConfig& config) {
    io_ = std::make_unique<boost::asio::io_context>();
    port_ = std::make_unique<RecordingPort>(*io_);
    boost::asio::io_context* io = io_.get();
    engine_ = std::make_unique<Engine>(engine_store_, clock_, config, *port_,
                                       [io](std::function<void()> fn) {
                                         boost::asio::post(*io, std::move(fn));
                                       });
    engine_->start();
  }

  // A crash: the engine goes without stop(); what it had not handed to the store is lost.
  // The store commits what it was given (as a crash after that commit would leave it).
  void crash_engine() {
    ASSERT_TRUE(store_.flush());
    drop_engine();
  }

  void restart_engine(const BillingConfig& config) {
    engine_->stop();
    ASSERT_TRUE(store_.flush());
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
  template <typename Condition>
  bool pump_until(Condition condition) {
    return test::pump_loop_until(*io_, condition);
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

  // The test's own connection to the store's file.
  std::int64_t query(const std::string& sql) {
    SqliteDb db(db_path_);
    Result<std::int64_t> value = db.query_int(sql);
    EXPECT_TRUE(value.ok()) << sql << ": " << (value ? "" : value.error().message);
    return value ? value.value() : -1;
  }
  std::vector<std::string> texts(const std::string& sql) {
    SqliteDb db(db_path_);
    Statement st(db, sql);
    std::vector<std::string> out;
    while (true) {
      Result<Statement::Step> step = st.step();
      EXPECT_TRUE(step.ok()) << sql;
      if (!step || step.value() == Statement::Step::kDone) return out;
      out.push_back(st.column_text(0));
    }
  }
  std::vector<std::string> alarm_events() {
    return texts(
        "SELECT type FROM events WHERE type IN ('balance_low_1', 'balance_low_2', 'cut_off', "
        "'restored', 'balance_ok') ORDER BY id");
  }
  std::int64_t ledger_sum() {
    return query("SELECT coalesce(sum(amount), 0) FROM ledger WHERE account_id = 'a1'");
  }
  std::int64_t stored_balance() {
    return query("SELECT balance FROM account_state WHERE account_id = 'a1'");
  }
  std::int64_t deduction_rows() {
    return query("SELECT count(*) FROM ledger WHERE kind = 'deduction'");
  }

  std::vector<std::string> action_names(std::size_t from = 0) const {
    std::vector<std::string> names;
    for (std::size_t i = from; i < port_->submitted.size(); ++i) {
      names.push_back(port_->submitted[i].meter_id + ":" + port_->submitted[i].action.name);
    }
    return names;
  }

  TempDir dir_{"meterd-engine"};
  const std::string db_path_ = dir_.file("store.db");
  ManualClock clock_{kStart};
  Store store_;
  SqliteEngineStore engine_store_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<RecordingPort> port_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace meterd::test
