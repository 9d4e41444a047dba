// SPDX-License-Identifier: Apache-2.0
// `stats` latency over a tag: 1,000 meters with 36 months of daily and monthly rollups in a
// real SQLite store (the daemon's store and schema, written through the store's own upsert),
// one tag selecting all of them, asked through the StepRunner as a command would be:
//   1. month granularity, 36 months, compare yoy (the goal: < 50 ms);
//   2. day granularity, 400 days (the longest day range), compare yoy;
//   3. for scale, the same 36 months read meter by meter (1,000 store reads, no compare).
// Median and p99 over N runs each, wall time from the request to the JSON answer.
// Usage: bench_stats_query [runs] [dir]   (default 50, /tmp; the database is removed afterwards)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "commands/step_runner.h"
#include "store/sqlite_db.h"
#include "store/sqlite_engine_store.h"
#include "store/usage_close_tables.h"
#include "store/usage_tables.h"

namespace {

using namespace std::chrono_literals;
using Millis = std::chrono::duration<double, std::milli>;

constexpr int kMeters = 1000;
const std::chrono::year_month_day kFirstDay{std::chrono::year{2023} / std::chrono::January / 1};
const std::chrono::year_month_day kLastDay{std::chrono::year{2025} / std::chrono::December / 31};

std::string meter_name(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "m%d", 10000 + i);
  return name;
}

std::int32_t day_key(std::chrono::year_month_day d) {
  return static_cast<int>(d.year()) * 10000 + static_cast<int>(unsigned(d.month())) * 100 +
         static_cast<int>(unsigned(d.day()));
}

// Every meter, every day of the 36 months: a day's Wh in two TOU periods and its cost, added
// with the store's own upsert (day and month rows), in one transaction.
bool fill(const std::string& path) {
  meterd::SqliteDb db(path);
  if (!db.exec("BEGIN")) return false;
  // The 36 months are past: closed, as a running daemon closes them, so every delta adds to
  // its month's row as well as to its day's.
  if (!meterd::close_usage_period(
          db, meterd::UsagePeriodClose{meterd::UsageGranularity::kMonth, 202512, false})) {
    return false;
  }
  std::int64_t rows = 0;
  for (auto day = std::chrono::sys_days{kFirstDay}; day <= std::chrono::sys_days{kLastDay};
       day += std::chrono::days{1}) {
    const std::int32_t key = day_key(std::chrono::year_month_day{day});
    for (int m = 0; m < kMeters; ++m) {
      meterd::UsageFigures f;
      f.wh_by_period[1] = 3000 + (m * 7 + key) % 1000;
      f.wh_by_period[3] = 2000 + (m * 13 + key) % 700;
      f.cost_by_period[1] = f.wh_by_period[1] * 9;
      f.cost_by_period[3] = f.wh_by_period[3] * 3;
      f.cost = f.cost_by_period[1] + f.cost_by_period[3];
      if (!meterd::add_usage(db, meterd::UsageDelta{meter_name(m), "", key, f})) return false;
      ++rows;
    }
  }
  std::printf("filled %lld meter-days (%d meters, %s..%s)\n", static_cast<long long>(rows), kMeters,
              "2023-01-01", "2025-12-31");
  return static_cast<bool>(db.exec("COMMIT"));
}

class NoReads final : public meterd::LiveReadPort {
 public:
  void read(const std::string&, std::vector<std::string>,
            std::function<void(meterd::Result<meterd::MeterReading>)> done) override {
    done(meterd::make_error(meterd::ErrorKind::kNotSupported, "no live reads"));
  }
};

class NoBus final : public meterd::ActionPort {
 public:
  void submit(const std::string&, meterd::Action,
              std::function<void(meterd::Result<meterd::MeterReading>)>) override {}
};

struct Latency {
  double median_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

Latency summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const auto at = [&ms](double q) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * (ms.size() - 1) + 0.5))];
  };
  return {at(0.5), at(0.99), ms.back()};
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  const std::string path = dir + "/meterd-bench-stats-" + std::to_string(getpid()) + ".db";
  remove_db(path);

  meterd::ManualClock clock{meterd::WallTime{std::chrono::sys_days{kLastDay}} + 24h};
  meterd::StoreConfig store_config;
  store_config.path = path;
  store_config.budget_bytes = 4ull << 30;
  {
    meterd::Store schema(store_config, clock, nullptr);  // creates the tables
  }
  const auto fill_start = std::chrono::steady_clock::now();
  if (!fill(path)) {
    std::fprintf(stderr, "fill failed\n");
    return 1;
  }
  std::printf("fill took %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count());

  meterd::Store store(store_config, clock, nullptr);
  meterd::SqliteEngineStore engine_store(store);
  NoBus bus;
  meterd::BillingConfig billing;
  billing.zone = meterd::LocalZone{480min};
  // Nothing is posted back to a loop here: the stats read answers in place.
  meterd::Engine engine(engine_store, clock, billing, bus, [](std::function<void()>) {});
  engine.start();
  meterd::MeterDirectory directory;
  for (int m = 0; m < kMeters; ++m) directory.add(meter_name(m), {{"site", "bench"}});
  NoReads reads;
  meterd::StepRunner runner(engine, reads, directory);

  // One stats step as the command path runs it; the answer's total energy, to check it is all
  // there (and so nothing is optimised away).
  auto ask = [&](meterd::CommandTarget target, meterd::StatsArgs args, std::int64_t& energy) {
    std::optional<meterd::TargetResults> results;
    const auto start = std::chrono::steady_clock::now();
    runner.run(meterd::BatchStep{meterd::CommandOp::kStats, std::move(target), args}, "bench",
               [&results](meterd::TargetResults r) { results = std::move(r); });
    const double ms = Millis(std::chrono::steady_clock::now() - start).count();
    energy = results && !results->empty() && results->front().value("ok", false)
                 ? results->front()["total"].value("energy_wh", std::int64_t{-1})
                 : -1;
    return ms;
  };
  const meterd::TagSelector all{{{"site", "bench"}}};
  struct Case {
    const char* name;
    meterd::StatsArgs args;
  };
  const Case cases[] = {
      {"month 2023-01..2025-12, yoy, by tag (1000 meters)",
       {meterd::UsageGranularity::kMonth, 202301, 202512, meterd::StatsCompare::kYearOnYear}},
      {"day 2024-11-27..2025-12-31 (400 days), yoy, by tag (1000 meters)",
       {meterd::UsageGranularity::kDay, 20241127, 20251231, meterd::StatsCompare::kYearOnYear}},
  };
  for (const Case& c : cases) {
    std::vector<double> ms;
    std::int64_t energy = 0;
    for (int i = 0; i < runs; ++i) ms.push_back(ask(all, c.args, energy));
    const Latency l = summarize(ms);
    std::printf("%s: median %.2f ms, p99 %.2f ms, max %.2f ms over %d runs (total %lld Wh)\n",
                c.name, l.median_ms, l.p99_ms, l.max_ms, runs, static_cast<long long>(energy));
  }

  // The same 36 months one meter at a time: what the tag's single read saves.
  std::vector<double> per_meter;
  std::int64_t sum = 0;
  for (int i = 0; i < std::max(1, runs / 10); ++i) {
    const auto start = std::chrono::steady_clock::now();
    sum = 0;
    for (int m = 0; m < kMeters; ++m) {
      std::int64_t energy = 0;
      ask(meterd::MeterTarget{meter_name(m)}, cases[0].args, energy);
      sum += energy;
    }
    per_meter.push_back(Millis(std::chrono::steady_clock::now() - start).count());
  }
  const Latency l = summarize(per_meter);
  std::printf(
      "month 2023-01..2025-12, yoy, meter by meter (1000 stats steps): median %.1f ms over %zu "
      "runs (total %lld Wh)\n",
      l.median_ms, per_meter.size(), static_cast<long long>(sum));
  engine.stop();
  remove_db(path);
  return 0;
}
