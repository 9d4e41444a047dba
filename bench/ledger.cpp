// SPDX-License-Identifier: Apache-2.0
// Ledger throughput of the prepaid engine over the real store (SQLite, synchronous=FULL, the
// daemon's default batching): 1000 gateway-billed accounts of one meter each, in virtual time.
//   1. crossing: every reading's increment crosses a TOU switch (the tariff alternates every
//      hour, readings come hourly at :30), so every reading writes a ledger row at once;
//      readings/s through the engine and ledger rows/s committed (counted after the flush).
//   2. coalesced: readings every minute within one TOU period (ledger_interval 1 h): the
//      deductions wait in memory, as they do in production; readings/s through the engine.
//   3. recharges: one at a time, each awaited until durable (the latency a cloud order sees),
//      then 10,000 submitted at once (throughput); durable outcomes per second.
// The crossing case runs twice: as the daemon does (each deduction's UsageDelta upserted into
// the rollups in its transaction) and with the deltas dropped before the store, so the
// difference is the rollups' store cost per billed reading. Beside the wall time per reading,
// the store thread's CPU time per reading: the rollups' cost is CPU on that thread, and it
// drifts far less than wall time when other work shares the machine.
// Usage: bench_ledger [dir]   (default /tmp; the database is removed afterwards)
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "engine/engine.h"
#include "process_cpu.h"
#include "store/sqlite_db.h"
#include "store/sqlite_engine_store.h"

namespace {

using meterd::Money;
using meterd::TouPeriod;
using namespace std::chrono_literals;
using Seconds = std::chrono::duration<double>;

constexpr int kAccounts = 1000;

// Peak in even local hours, valley in odd ones.
meterd::Tariff hourly_tariff() {
  meterd::TimeOfUse tou;
  tou.price_per_kwh = {Money{12000}, Money{9000}, Money{6000}, Money{3000}};
  for (int hour = 0; hour < 24; ++hour) {
    tou.default_day.push_back({hour * 60, hour % 2 ? TouPeriod::kValley : TouPeriod::kPeak});
  }
  meterd::Tariff tariff;
  tariff.id = "hourly";
  tariff.tou = tou;
  return tariff;
}

std::string hourly_tariff_json() {
  std::string day;
  for (int hour = 0; hour < 24; ++hour) {
    char item[64];
    std::snprintf(item, sizeof item, R"(%s{"from":"%02d:00","period":"%s"})", hour ? "," : "", hour,
                  hour % 2 ? "valley" : "peak");
    day += item;
  }
  return R"({"id":"hourly","tou":{"prices":{"sharp":"1.2","peak":"0.9","flat":"0.6",)"
         R"("valley":"0.3"},"day":[)" +
         day + "]}}";
}

// "m10042"; by snprintf: GCC 12 at -O2 warns falsely (-Wrestrict) on "m" + std::to_string.
std::string numbered(char prefix, int i) {
  char name[16];
  std::snprintf(name, sizeof name, "%c%d", prefix, 10000 + i);
  return name;
}
std::string meter_name(int i) { return numbered('m', i); }
std::string account_name(int i) { return numbered('a', i % kAccounts); }

meterd::BillingConfig bench_config(std::chrono::milliseconds ledger_interval) {
  meterd::BillingConfig config;
  config.zone = meterd::LocalZone{480min};
  config.ledger_interval = ledger_interval;
  config.tariffs["hourly"] = hourly_tariff();
  config.tariff_json["hourly"] = hourly_tariff_json();
  for (int i = 0; i < kAccounts; ++i) {
    meterd::AccountSpec account;
    account.id = account_name(i);
    account.meters = {meter_name(i)};
    account.tariff_id = "hourly";
    account.opening_balance = Money{1'000'000'000};  // never cut off: no relay traffic
    config.accounts.push_back(account);
  }
  return config;
}

class NoBus final : public meterd::ActionPort {
 public:
  void submit(const std::string&, meterd::Action,
              std::function<void(meterd::Result<meterd::MeterReading>)>) override {}
};

// The SQLite store port without the rollups: every UsageDelta dropped from the writes.
class WithoutRollups final : public meterd::EngineStore {
 public:
  explicit WithoutRollups(meterd::EngineStore& store) : store_(store) {}
  meterd::Status load(meterd::StoredEngineState& state, meterd::StoredControls& controls) override {
    return store_.load(state, controls);
  }
  void write(meterd::EngineWrite write) override {
    std::erase_if(write.changes, [](const meterd::EngineChange& change) {
      return std::holds_alternative<meterd::UsageDelta>(change);
    });
    store_.write(std::move(write));
  }
  void append_event(meterd::Event event) override { store_.append_event(std::move(event)); }
  meterd::Result<std::vector<meterd::UsageRollup>> read_usage(
      const meterd::UsageQuery& query) override {
    return store_.read_usage(query);
  }
  meterd::Result<std::vector<meterd::UsageRollup>> read_usage_sum(
      const meterd::UsageSumQuery& query) override {
    return store_.read_usage_sum(query);
  }
  meterd::Result<meterd::UsageCloseMarks> read_close_marks() override {
    return store_.read_close_marks();
  }
  meterd::Result<std::vector<meterd::DueSummary>> read_due_summaries(int limit) override {
    return store_.read_due_summaries(limit);
  }

 private:
  meterd::EngineStore& store_;
};

// One engine over one fresh database, its loop on this thread.
class Rig {
 public:
  Rig(const std::string& path, std::chrono::milliseconds ledger_interval, bool rollups = true)
      : path_(path),
        store_(store_config(path), clock_, nullptr),
        engine_store_(store_),
        without_rollups_(engine_store_),
        engine_(rollups ? static_cast<meterd::EngineStore&>(engine_store_) : without_rollups_,
                clock_, bench_config(ledger_interval), bus_,
                [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); }) {
    engine_.start();
    for (int i = 0; i < kAccounts; ++i) read(i, 0);  // baselines
    flush();
  }

  static meterd::StoreConfig store_config(const std::string& path) {
    meterd::StoreConfig config;  // the daemon's defaults (commit_interval, batch_rows)
    config.path = path;
    config.budget_bytes = 4ull << 30;
    return config;
  }

  void read(int meter, std::int64_t energy_wh) {
    meterd::MeterReading reading{{{"energy_total", meterd::PointScalar{energy_wh}}}, {}};
    engine_.on_reading(meterd::MeterPolled{meter_name(meter), "g", clock_.wall_now(), reading});
  }
  void flush() {
    if (!store_.flush()) std::fprintf(stderr, "flush failed\n");
  }
  std::int64_t count(const std::string& sql) {
    meterd::SqliteDb db(path_);
    meterd::Result<std::int64_t> value = db.query_int(sql);
    return value ? value.value() : -1;
  }
  // Runs the loop until `done` holds.
  template <typename Done>
  void run_until(Done done) {
    io_.restart();  // the last guard's release stopped it
    auto guard = boost::asio::make_work_guard(io_);
    while (!done()) io_.run_one_for(10ms);
  }

  meterd::ManualClock clock_{
      meterd::WallTime{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::March / 2}} +
      30min};  // 08:30 local
  boost::asio::io_context io_;
  NoBus bus_;
  std::string path_;
  meterd::Store store_;
  meterd::SqliteEngineStore engine_store_;
  WithoutRollups without_rollups_;
  meterd::Engine engine_;
};

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

void crossing(const std::string& path, bool rollups) {
  Rig rig(path, 1s, rollups);
  const std::int64_t before = rig.count("SELECT count(*) FROM ledger");
  constexpr int kRounds = 50;
  const double store_cpu_before = meterd::bench::thread_cpu_seconds("meterd-store");
  const auto start = std::chrono::steady_clock::now();
  for (int round = 1; round <= kRounds; ++round) {
    rig.clock_.advance(1h);  // xx:30 -> xx+1:30: over the hour's switch
    for (int i = 0; i < kAccounts; ++i) rig.read(i, round * 1000 + i % 7);
  }
  const double engine_s = Seconds(std::chrono::steady_clock::now() - start).count();
  rig.flush();
  const double total_s = Seconds(std::chrono::steady_clock::now() - start).count();
  const double store_cpu_s = meterd::bench::thread_cpu_seconds("meterd-store") - store_cpu_before;
  const std::int64_t rows = rig.count("SELECT count(*) FROM ledger") - before;
  const int readings = kRounds * kAccounts;
  std::printf(
      "crossing%s:  %d readings, each over a price boundary: %.0f readings/s through the "
      "engine; %lld ledger rows committed in %.2f s = %.0f rows/s, %.2f us per reading, "
      "%.2f us of store thread CPU per reading (%lld rollup rows)\n",
      rollups ? "" : " (no rollups)", readings, readings / engine_s, static_cast<long long>(rows),
      total_s, rows / total_s, 1e6 * total_s / readings, 1e6 * store_cpu_s / readings,
      static_cast<long long>(rig.count("SELECT count(*) FROM usage_rollups")));
}

void coalesced(const std::string& path) {
  Rig rig(path, 1h);
  const std::int64_t before = rig.count("SELECT count(*) FROM ledger");
  constexpr int kRounds = 50;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 1; round <= kRounds; ++round) {
    rig.clock_.advance(1min);  // 08:31 .. 09:20 crosses 09:00: one write per account there
    for (int i = 0; i < kAccounts; ++i) rig.read(i, round * 20);
  }
  const double engine_s = Seconds(std::chrono::steady_clock::now() - start).count();
  rig.flush();
  const std::int64_t rows = rig.count("SELECT count(*) FROM ledger") - before;
  const int readings = kRounds * kAccounts;
  std::printf(
      "coalesced: %d readings a minute apart: %.0f readings/s through the engine, "
      "%lld ledger rows (%.3f per reading)\n",
      readings, readings / engine_s, static_cast<long long>(rows),
      static_cast<double>(rows) / readings);
}

void recharges(const std::string& path) {
  Rig rig(path, 1h);
  int durable = 0;
  auto count_one = [&durable](meterd::MoneyOutcome outcome) { durable += outcome.ok; };
  constexpr int kSequential = 50;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kSequential; ++i) {
    rig.engine_.recharge({numbered('s', i), account_name(i), Money{10'000}, "bench"}, count_one);
    rig.run_until([&] { return durable == i + 1; });
  }
  double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  std::printf("recharges: one at a time, each awaited until durable: %.1f/s (%.1f ms each)\n",
              kSequential / seconds, 1000 * seconds / kSequential);

  constexpr int kBurst = 10'000;
  durable = 0;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < kBurst; ++i) {
    rig.engine_.recharge({numbered('b', i), account_name(i), Money{10'000}, "bench"}, count_one);
  }
  rig.run_until([&] { return durable == kBurst; });
  seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  rig.flush();
  std::printf(
      "recharges: %d submitted at once, all durable in %.2f s = %.0f/s (%lld rows)\n", kBurst,
      seconds, kBurst / seconds,
      static_cast<long long>(rig.count("SELECT count(*) FROM ledger WHERE kind = 'recharge'")));
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  const std::string path = dir + "/meterd-bench-ledger-" + std::to_string(getpid()) + ".db";
  std::printf("%d accounts of one meter each, synchronous=FULL, the store's default batching\n",
              kAccounts);
  // Alternating, twice each: the machine's load drifts.
  for (bool rollups : {true, false, true, false}) {
    remove_db(path);
    crossing(path, rollups);
  }
  for (void (*run)(const std::string&) : {coalesced, recharges}) {
    remove_db(path);
    run(path);
  }
  remove_db(path);
  return 0;
}
