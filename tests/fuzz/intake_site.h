// SPDX-License-Identifier: Apache-2.0
// The site the whole-path command fuzz targets run against: a CommandService with a real
// Store (SQLite in a temporary folder, on tmpfs where there is one), the real prepaid Engine
// (account A101 on m1 and m2, a flat tariff) and a stand-in for the buses that answers every
// action and read at once. One per process; each input is settled before the next.
#pragma once

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "commands/command_service.h"
#include "core/clock.h"
#include "store/sqlite_engine_store.h"

namespace meterd::fuzz {

// The buses: every action and live read is answered on the loop, alternately with a reading
// and with a timeout, so both outcomes run.
class AnsweringBuses final : public ActionPort, public LiveReadPort {
 public:
  explicit AnsweringBuses(boost::asio::io_context& io) : io_(io) {}
  void submit(const std::string&, Action, std::function<void(Result<MeterReading>)> done) override {
    answer(std::move(done));
  }
  void read(const std::string&, std::vector<std::string>,
            std::function<void(Result<MeterReading>)> done) override {
    answer(std::move(done));
  }

 private:
  void answer(std::function<void(Result<MeterReading>)> done) {
    Result<MeterReading> result =
        (++count_ % 2 == 0)
            ? Result<MeterReading>(make_error(ErrorKind::kTimeout, "no reply"))
            : Result<MeterReading>(MeterReading{{{"relay_closed", PointScalar{true}},
                                                 {"energy_total", PointScalar{std::int64_t{1000}}}},
                                                {}});
    boost::asio::post(io_, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }
  boost::asio::io_context& io_;
  std::uint64_t count_ = 0;
};

inline BillingConfig billing() {
  BillingConfig config;
  config.zone = LocalZone{std::chrono::minutes(480)};
  Tariff tariff;
  tariff.id = "flat";
  tariff.price_per_kwh = Money{1000};
  config.tariff_json["flat"] = R"({"id":"flat","price":"0.1000"})";
  config.tariffs["flat"] = tariff;
  AccountSpec account;
  account.id = "A101";
  account.name = "Room 101";
  account.meters = {"m1", "m2"};
  account.tariff_id = "flat";
  account.opening_balance = Money{100 * Money::kUnitsPerCurrency};
  config.accounts.push_back(account);
  return config;
}

struct Intake {
  Intake() {
    // On tmpfs where there is one: the store syncs every commit, and the disk need not see it.
    std::string pattern =
        std::string(std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") +
        "/meterd-intake-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data())) std::abort();
    dir = pattern;
    StoreConfig store_config;
    store_config.path = dir + "/meterd.db";
    store = std::make_unique<Store>(store_config, clock, nullptr);
    auto post = [this](std::function<void()> fn) { boost::asio::post(io, std::move(fn)); };
    engine_store = std::make_unique<SqliteEngineStore>(*store);
    engine = std::make_unique<Engine>(*engine_store, clock, billing(), buses, post);
    engine->start();
    MeterDirectory meters;
    meters.add("m1", {{"building", "A"}});
    meters.add("m2", {{"building", "A"}, {"floor", "2"}});
    meters.add("m3", {{"building", "B"}});
    CommandSettings settings;
    settings.key = HmacKey{std::vector<std::uint8_t>(32, 0x5a)};
    commands = std::make_unique<CommandService>(*store, clock, *engine, buses, std::move(meters),
                                                std::move(settings), post);
    commands->start();
  }
  ~Intake() {
    commands->stop();
    engine->stop();
    settle();
    commands.reset();
    engine.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  // One payload through the intake and all it sets going; aborts when an exception leaves
  // the service (nothing may leave a handler on the loop).
  void run(const std::string& payload, const std::string& operator_id) {
    try {
      commands->on_message(payload, operator_id);
      clock.advance(std::chrono::seconds(1));
      commands->on_tick();
      engine->on_tick();
      settle();
    } catch (...) {
      std::abort();
    }
  }

  // Runs what the input set going until nothing is left: store commits post their callbacks
  // to the loop, which may write again.
  void settle() {
    for (int round = 0; round < 16; ++round) {
      if (!store->flush()) std::abort();
      io.restart();
      if (io.poll() == 0) return;
    }
  }

  std::string dir;
  ManualClock clock{WallTime{std::chrono::hours(24 * 20'000)}};
  boost::asio::io_context io;
  AnsweringBuses buses{io};
  std::unique_ptr<Store> store;
  std::unique_ptr<SqliteEngineStore> engine_store;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<CommandService> commands;
};

inline Intake& intake() {
  static Intake instance;
  return instance;
}

}  // namespace meterd::fuzz
