// SPDX-License-Identifier: Apache-2.0
// The statistics rollups against the ledger and against an independent recomputation, in
// virtual time: one gateway-billed account with two meters at +08:00, 14 months of random
// readings (some exactly at local midnight, one 10-day outage per meter), a TOU tariff with
// monthly tiers and a daily allowance, a tariff change to a single price with a monthly
// allowance, cut-offs and
// recharges, answered relay actions, graceful restarts and crashes (the engine dropped
// without stop() on the same store). Afterwards, for every local day and month of both meters
// and the account: the cost is the sum of the ledger's charges for that period, the Wh per
// TOU period are those of the readings the engine billed (spread evenly over each reading's
// span, as billing does, recomputed here minute by minute with the test's own civil time),
// months are the sums of their days, the account is the sum of its meters, and cut-offs and
// relay operations are the events' and actions' counts. Each meter's maximum demand per day is
// the highest 15-minute window of the same spread readings, with its start, on every day no
// restart or crash touched (on a restart's day it may only be lower: the window open at the
// stop is counted in two parts). METERD_ENGINE_SEED moves the seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/brute_force_pricing.h"
#include "engine_fixture.h"

namespace meterd::test {
namespace {

using brute_force::kMsPerDay;
using brute_force::kMsPerMinute;

constexpr std::int64_t kOffsetMinutes = 480;
const std::vector<std::string> kMeters = {"m1", "m2"};

const char* const kFirstTariff =
    R"({"id":"t1","tou":{"prices":{"sharp":"1.3","peak":"0.9","flat":"0.6","valley":"0.3"},)"
    R"("day":[{"from":"00:00","period":"valley"},{"from":"08:00","period":"peak"},)"
    R"({"from":"11:30","period":"sharp"},{"from":"13:00","period":"flat"},)"
    R"({"from":"18:00","period":"peak"},{"from":"22:00","period":"valley"}]},)"
    R"("tiers":{"period":"month","blocks":[{"up_to_kwh":"400","surcharge":"0.05"},)"
    R"({"surcharge":"0.2"}]},"allowance":{"period":"day","kwh":"1.5"}})";
// One price, with a monthly allowance: nothing in pricing splits its increments at midnight,
// so the rollups' own day split is what puts each day's Wh in its day.
const char* const kSecondTariff =
    R"({"id":"t2","price":"0.85","allowance":{"period":"month","kwh":"20"}})";

using Rng = std::mt19937_64;
std::int64_t uniform(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}
bool chance(Rng& rng, int per_mille) { return uniform(rng, 1, 1000) <= per_mille; }

std::int32_t day_key(std::int64_t unix_ms) {
  const brute_force::Civil c = brute_force::civil_at(unix_ms, kOffsetMinutes);
  return static_cast<std::int32_t>(c.year * 10000 + c.month * 100 + c.day);
}

struct Reading {
  std::int64_t ms = 0;
  std::int64_t wh = 0;
};

// (day, period) -> Wh
using EnergyByDay = std::map<std::pair<std::int32_t, int>, std::int64_t>;

constexpr std::int64_t kWindowMs = 15 * kMsPerMinute;  // the default demand window
std::int64_t window_of(std::int64_t ms) { return ms / kWindowMs * kWindowMs; }

// Why a meter's day is not held to the exact demand.
enum class Disturbed { kRestart, kCrash };

struct Coverage {
  int multi_day_rows = 0;
  int restarts = 0;
  int crashes = 0;
  int midnight_readings = 0;
  std::int64_t cut_offs = 0;
  std::int64_t relay_operations = 0;
  int exact_demand_days = 0;
  std::set<std::int32_t> months;
};

class UsageRollupProperty : public EngineTest, public ::testing::WithParamInterface<int> {
 protected:
  void run(std::uint64_t seed, Coverage& coverage) {
    rng_.seed(seed);
    first_ = command_tariff(kFirstTariff).tariff.value();
    second_ = command_tariff(kSecondTariff).tariff.value();
    config_ = gateway_config(Money{300 * kUnits}, kMeters, first_, kFirstTariff);
    config_.stats_days_kept = 3660;  // every day of the run is checked (retention: its own test)
    // The second tariff from a whole minute some 5 to 9 months in.
    change_ms_ = (to_unix_ms(kStart) / kMsPerMinute + uniform(rng_, 150, 270) * 1440 +
                  uniform(rng_, 0, 1439)) *
                 kMsPerMinute;
    start_engine(config_);
    const std::int64_t end_ms = to_unix_ms(kStart) + 425 * kMsPerDay;  // 14 months
    std::map<std::string, std::int64_t> energy{{"m1", 1'000'000}, {"m2", 20'000}};
    std::map<std::string, bool> outage_done;
    bool tariff_set = false;
    while (to_unix_ms(clock_.wall_now()) < end_ms) {
      const std::string& meter = kMeters[uniform(rng_, 0, 1)];
      std::int64_t step_ms = uniform(rng_, 60, 3 * 3600) * 1000;
      if (!outage_done[meter] &&
          to_unix_ms(clock_.wall_now()) > to_unix_ms(kStart) + 200 * kMsPerDay) {
        outage_done[meter] = true;  // offline 10 days, across many midnights and TOU switches
        step_ms = 10 * kMsPerDay + uniform(rng_, 0, 86'399) * 1000;
      }
      std::int64_t next_ms = to_unix_ms(clock_.wall_now()) + step_ms;
      if (chance(rng_, 30)) {  // exactly on the next local midnight
        next_ms = ((next_ms + kOffsetMinutes * kMsPerMinute) / kMsPerDay + 1) * kMsPerDay -
                  kOffsetMinutes * kMsPerMinute;
        ++coverage.midnight_readings;
      }
      clock_.advance(Millis(next_ms - to_unix_ms(clock_.wall_now())));
      if (!tariff_set && next_ms > change_ms_ - 20 * kMsPerDay) {
        set_second_tariff();
        tariff_set = true;
      }
      energy[meter] += step_ms * uniform(rng_, 0, 1500) / 3'600'000;
      read_and_note(meter, energy[meter]);
      answer_relays(coverage);
      if (chance(rng_, 40)) engine_->on_tick();
      // Recharged once cut off, mostly not at once: cut-offs and restores come and go.
      if (live_balance() < Money{-20 * kUnits} ||
          (live_balance() < Money{0} && chance(rng_, 200))) {
        recharge("r" + std::to_string(++orders_), Money{uniform(rng_, 200, 2500) * kUnits});
        answer_relays(coverage);
      }
      if (chance(rng_, 3)) {
        note_restart();
        restart_engine(config_);
        ++coverage.restarts;
      } else if (chance(rng_, 2)) {
        crash();
        ++coverage.crashes;
      }
    }
    ASSERT_TRUE(tariff_set);
    note_restart();
    restart_engine(config_);  // writes every pending deduction
    check(coverage);
  }

 private:
  void set_second_tariff() {
    bool done = false;
    engine_->set_tariff("a1", command_tariff(kSecondTariff), WallTime{Millis(change_ms_)},
                        [&](AdminOutcome outcome) {
                          EXPECT_TRUE(outcome.ok) << outcome.message;
                          done = true;
                        });
    ASSERT_TRUE(pump_until([&] { return done; }));
  }

  void read_and_note(const std::string& meter, std::int64_t wh) {
    read(meter, gateway_reading(wh, relay_closed_[meter]));
    drain();
    readings_[meter].push_back({to_unix_ms(clock_.wall_now()), wh});
  }

  // Every relay action succeeds; each switch is a relay operation of its meter today.
  void answer_relays(Coverage& coverage) {
    for (int round = 0; round < 5; ++round) {
      bool answered = false;
      for (std::size_t i = 0; i < port_->submitted.size(); ++i) {
        SubmittedAction& action = port_->submitted[i];
        if (!action.done) continue;
        const bool closed = action.action.name == "relay_close";
        relay_closed_[action.meter_id] = closed;
        port_->answer(i, relay_reading(closed));
        ++relay_ops_[{action.meter_id, day_key(to_unix_ms(clock_.wall_now()))}];
        ++coverage.relay_operations;
        answered = true;
      }
      drain();
      if (!answered) return;
    }
  }

  // The window each meter had open at a stop is closed in two parts.
  void note_restart() {
    for (const std::string& meter : kMeters) {
      if (readings_[meter].empty()) continue;
      auto& why = disturbed_[{meter, day_key(window_of(readings_[meter].back().ms))}];
      if (why != Disturbed::kCrash) why = Disturbed::kRestart;
    }
  }

  // Unwritten increments are lost: billing resumes from each meter's committed reading, so
  // the readings after it are not what the engine bills from. Demand windows the lost
  // readings closed may already be stored: the days from the committed reading on are not
  // held to the recomputation.
  void crash() {
    crash_engine();
    const std::int64_t now = to_unix_ms(clock_.wall_now());
    for (const std::string& meter : kMeters) {
      const MeterBillingRow* billed = store_.billing(meter);
      std::vector<Reading>& list = readings_[meter];
      const std::int64_t from = billed ? billed->ts_ms : (list.empty() ? now : list.front().ms);
      for (std::int64_t t = window_of(from); t < now + kMsPerDay; t += kMsPerDay) {
        disturbed_[{meter, day_key(std::min(t, now))}] = Disturbed::kCrash;
      }
      if (!billed) {
        list.clear();
        continue;
      }
      while (!list.empty() && list.back().ms > billed->ts_ms) list.pop_back();
      ASSERT_FALSE(list.empty());
      ASSERT_EQ(list.back().wh, billed->energy.wh);
    }
    start_engine(config_);
  }

  const Tariff& tariff_at(std::int64_t ms) const { return ms < change_ms_ ? first_ : second_; }
  std::pair<std::int32_t, int> key_at(std::int64_t ms) const {
    const brute_force::Civil c = brute_force::civil_at(ms, kOffsetMinutes);
    return {static_cast<std::int32_t>(c.year * 10000 + c.month * 100 + c.day),
            static_cast<int>(tariff_at(ms).tou ? brute_force::tou_period_at(*tariff_at(ms).tou, c)
                                               : TouPeriod::kFlat)};
  }

  // Each reading's Wh spread evenly over its span (the Wh before instant t is
  // floor(wh * (t - from) / (to - from))); days, periods and the tariff change fall on whole
  // minutes, so a walk minute by minute finds every boundary.
  EnergyByDay recompute(const std::vector<Reading>& list) const {
    EnergyByDay out;
    for (std::size_t i = 1; i < list.size(); ++i) {
      const Reading& a = list[i - 1];
      const Reading& b = list[i];
      const std::int64_t wh = b.wh - a.wh;
      if (wh <= 0) continue;
      auto before = [&](std::int64_t t) {
        return static_cast<std::int64_t>(static_cast<__int128>(wh) * (t - a.ms) / (b.ms - a.ms));
      };
      std::int64_t t = a.ms;
      std::int64_t consumed = 0;
      while (t < b.ms) {
        const std::int64_t next = std::min(b.ms, (t / kMsPerMinute + 1) * kMsPerMinute);
        const std::int64_t upto = next == b.ms ? wh : before(next);
        if (upto > consumed) out[key_at(t)] += upto - consumed;
        consumed = upto;
        t = next;
      }
    }
    return out;
  }

  // The highest 15-minute window per local day of the same spread, the earliest on a tie;
  // windows are whole quarter hours, so the minute walk finds their boundaries too.
  std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> recompute_demand(
      const std::vector<Reading>& list) const {
    std::map<std::int64_t, std::int64_t> window_wh;
    for (std::size_t i = 1; i < list.size(); ++i) {
      const Reading& a = list[i - 1];
      const Reading& b = list[i];
      const std::int64_t wh = b.wh - a.wh;
      if (wh <= 0) continue;
      std::int64_t t = a.ms;
      std::int64_t consumed = 0;
      while (t < b.ms) {
        const std::int64_t next = std::min(b.ms, (t / kMsPerMinute + 1) * kMsPerMinute);
        const std::int64_t upto = next == b.ms
                                      ? wh
                                      : static_cast<std::int64_t>(static_cast<__int128>(wh) *
                                                                  (next - a.ms) / (b.ms - a.ms));
        if (upto > consumed) window_wh[window_of(t)] += upto - consumed;
        consumed = upto;
        t = next;
      }
    }
    std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> out;  // day -> (W, start)
    for (const auto& [start, wh] : window_wh) {
      const std::int64_t w = wh * 3'600'000 / kWindowMs;
      auto& best = out[day_key(start)];
      if (w > best.first) best = {w, start};
    }
    return out;
  }

  std::vector<UsageRollup> rows(UsageScope scope, const std::string& owner, UsageGranularity g) {
    Result<std::vector<UsageRollup>> read =
        store_.read_usage(UsageQuery{scope, owner, g, 0, 99'999'999, 100'000});
    EXPECT_TRUE(read);
    return read ? read.value() : std::vector<UsageRollup>{};
  }

  void check(Coverage& coverage) {
    // The ledger's charges by (owner, day): a row within one local day by its first ms
    // (from_ms; to_ms when it has no span), a row across midnights by its cost_by_day.
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> ledger_cost;
    std::int64_t ledger_total = 0;
    for (const LedgerEntry& entry : store_.ledger()) {
      if (entry.kind != "deduction" && entry.kind != "adjustment") continue;
      const nlohmann::json details = nlohmann::json::parse(entry.details_json);
      if (!details.contains("from_ms")) continue;
      const std::int64_t cost = -entry.amount.units;
      ledger_total += cost;
      const std::int64_t from = details["from_ms"], to = details["to_ms"];
      if (details.contains("cost_by_day")) {
        ++coverage.multi_day_rows;
        std::int64_t sum = 0;
        for (const auto& [day, value] : details["cost_by_day"].items()) {
          const std::int32_t d = std::stoi(day);
          EXPECT_GE(d, day_key(from));
          EXPECT_LE(d, day_key(to - 1));
          ledger_cost[{entry.meter_id, d}] += value.get<std::int64_t>();
          ledger_cost[{"a1", d}] += value.get<std::int64_t>();
          sum += value.get<std::int64_t>();
        }
        EXPECT_EQ(sum, cost) << entry.details_json;
      } else {
        const std::int32_t d = day_key(to > from ? from : to);
        if (to > from) {
          EXPECT_EQ(day_key(to - 1), d) << entry.details_json;
        }
        ledger_cost[{entry.meter_id, d}] += cost;
        ledger_cost[{"a1", d}] += cost;
      }
    }
    std::map<std::int32_t, std::int64_t> cut_off_events;
    for (const Event& e : store_.events) {
      if (e.type == "cut_off") ++cut_off_events[day_key(to_unix_ms(e.time))];
    }
    for (const auto& [day, count] : cut_off_events) coverage.cut_offs += count;

    std::map<std::int32_t, UsageFigures> account_days_from_meters;
    std::int64_t rollup_total = 0;
    for (const std::string& meter : kMeters) {
      const EnergyByDay expected = recompute(readings_[meter]);
      auto demand = recompute_demand(readings_[meter]);
      EnergyByDay seen;
      std::map<std::int32_t, UsageFigures> months;
      for (const UsageRollup& row : rows(UsageScope::kMeter, meter, UsageGranularity::kDay)) {
        const UsageFigures& f = row.figures;
        for (int p = 0; p < kTouPeriods; ++p) {
          if (f.wh_by_period[p] != 0) seen[{row.period, p}] = f.wh_by_period[p];
        }
        std::int64_t by_period = 0;
        for (std::int64_t c : f.cost_by_period) by_period += c;
        EXPECT_EQ(by_period, f.cost) << meter << " " << row.period;
        const auto found = ledger_cost.find({meter, row.period});
        EXPECT_EQ(f.cost, found == ledger_cost.end() ? 0 : found->second)
            << meter << " cost on " << row.period;
        EXPECT_EQ(f.cut_offs, cut_off_events[row.period]) << meter << " " << row.period;
        const std::int64_t switched = relay_ops_[{meter, row.period}];
        EXPECT_EQ(f.relay_operations, switched) << meter << " " << row.period;
        const auto disturbed = disturbed_.find({meter, row.period});
        if (disturbed == disturbed_.end()) {
          EXPECT_EQ(f.demand_w, demand[row.period].first) << meter << " demand " << row.period;
          if (f.demand_w > 0) {
            EXPECT_EQ(f.demand_at_ms, demand[row.period].second) << meter << " " << row.period;
          }
          ++coverage.exact_demand_days;
        } else if (disturbed->second == Disturbed::kRestart) {
          EXPECT_LE(f.demand_w, demand[row.period].first) << meter << " demand " << row.period;
        }
        months[month_of_day(row.period)] += f;
        UsageFigures money_and_energy;
        money_and_energy.wh_by_period = f.wh_by_period;
        money_and_energy.cost_by_period = f.cost_by_period;
        money_and_energy.cost = f.cost;
        money_and_energy.free_wh = f.free_wh;
        money_and_energy.tier_reached = f.tier_reached;
        account_days_from_meters[row.period] += money_and_energy;
        rollup_total += f.cost;
        coverage.months.insert(month_of_day(row.period));
      }
      EXPECT_EQ(seen, expected) << meter << ": Wh by day and TOU period";
      for (const auto& [key, cost] : ledger_cost) {  // no charged day is missing
        if (key.first == meter && cost != 0) {
          EXPECT_TRUE(std::any_of(seen.begin(), seen.end(),
                                  [&](const auto& s) { return s.first.first == key.second; }))
              << meter << " has charges but no rollup on " << key.second;
        }
      }
      const auto month_rows = rows(UsageScope::kMeter, meter, UsageGranularity::kMonth);
      EXPECT_EQ(month_rows.size(), months.size());
      for (const UsageRollup& row : month_rows) {
        EXPECT_EQ(row.figures, months[row.period]) << meter << " month " << row.period;
      }
    }
    EXPECT_EQ(rollup_total, ledger_total) << "every charge is in one meter's days";

    std::map<std::int32_t, UsageFigures> account_months;
    for (const UsageRollup& row : rows(UsageScope::kAccount, "a1", UsageGranularity::kDay)) {
      UsageFigures f = row.figures;
      EXPECT_EQ(f.cut_offs, cut_off_events[row.period]) << "account " << row.period;
      const std::int64_t charged = ledger_cost[{"a1", row.period}];
      EXPECT_EQ(f.cost, charged) << "account cost on " << row.period;
      account_months[month_of_day(row.period)] += f;
      f.cut_offs = f.load_trips = f.relay_operations = 0;
      f.demand_w = f.demand_at_ms = 0;  // the meters' coincident demand: usage_measures_test
      EXPECT_EQ(f, account_days_from_meters[row.period]) << "account " << row.period;
    }
    for (const UsageRollup& row : rows(UsageScope::kAccount, "a1", UsageGranularity::kMonth)) {
      EXPECT_EQ(row.figures, account_months[row.period]) << "account month " << row.period;
    }
  }

  Rng rng_;
  Tariff first_;
  Tariff second_;
  BillingConfig config_;
  std::int64_t change_ms_ = 0;
  int orders_ = 0;
  std::map<std::string, std::vector<Reading>> readings_;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> relay_ops_;
  std::map<std::string, bool> relay_closed_{{"m1", true}, {"m2", true}};
  std::map<std::pair<std::string, std::int32_t>, Disturbed> disturbed_;
};

std::uint64_t base_seed() {
  const char* env = std::getenv("METERD_ENGINE_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 14;
}

TEST_P(UsageRollupProperty, DaysAndMonthsAreTheLedgersChargesAndTheReadingsEnergy) {
  const std::uint64_t seed = base_seed() + static_cast<std::uint64_t>(GetParam());
  Coverage coverage;
  run(seed, coverage);
  if (HasFailure()) {
    ADD_FAILURE() << "seed " << seed << " (METERD_ENGINE_SEED=" << base_seed() << ")";
    return;
  }
  // The generator went through what the rules are about.
  EXPECT_GE(coverage.months.size(), 14u);
  EXPECT_GE(coverage.multi_day_rows, 2) << "the outages and overnight gaps";
  EXPECT_GE(coverage.midnight_readings, 10);
  EXPECT_GE(coverage.restarts, 1);
  EXPECT_GE(coverage.crashes, 1);
  EXPECT_GE(coverage.cut_offs, 1);
  EXPECT_GE(coverage.relay_operations, 2);
  EXPECT_GE(coverage.exact_demand_days, 300) << "most days are held to the exact demand";
}

INSTANTIATE_TEST_SUITE_P(Seeds, UsageRollupProperty, ::testing::Range(0, 4));

}  // namespace
}  // namespace meterd::test
