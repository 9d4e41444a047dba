// SPDX-License-Identifier: Apache-2.0
// The engine store port's contract, run against both implementations: the SQLite store the
// daemon uses and the in-memory one the engine tests use. What a write leaves is what the
// next start loads, change by change; if the two ever differ, the engine tests would be
// testing an engine against a store that does not exist.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "config/tariff_json.h"
#include "core/clock.h"
#include "memory_engine_store.h"
#include "store/sqlite_engine_store.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;

const WallTime kEpoch = WallTime{} + 1'780'000'000'000ms;

// The port as the daemon has it: a real store thread on a temporary file.
class SqlitePort {
 public:
  SqlitePort() : store_(config(dir_), clock_, nullptr), port_(store_) {}
  EngineStore& port() { return port_; }
  // Everything written is durable before a load (as at a restart).
  void settle() { ASSERT_TRUE(store_.flush()); }

 private:
  static StoreConfig config(const TempDir& dir) {
    StoreConfig config;
    config.path = dir.file("store.db");
    config.commit_interval = 5ms;
    return config;
  }
  TempDir dir_{"meterd-port"};
  ManualClock clock_{kEpoch};
  Store store_;
  SqliteEngineStore port_;
};

class MemoryPort {
 public:
  EngineStore& port() { return port_; }
  void settle() {}

 private:
  MemoryEngineStore port_;
};

template <typename Port>
class EngineStoreContract : public ::testing::Test {
 protected:
  void write(std::vector<EngineChange> changes) {
    EngineWrite write;
    write.changes = std::move(changes);
    port_.port().write(std::move(write));
  }
  void load() {
    port_.settle();
    state_ = StoredEngineState{};
    controls_ = StoredControls{};
    ASSERT_TRUE(port_.port().load(state_, controls_));
  }
  static TariffRow tariff_row(std::int64_t effective_ms, const std::string& json) {
    CommandTariff read = command_tariff(json);
    EXPECT_TRUE(read.tariff) << json;
    return TariffRow{"a1", effective_ms, json, "command",
                     read.tariff ? std::optional<Tariff>(read.tariff.value()) : std::nullopt};
  }

  Port port_;
  StoredEngineState state_;
  StoredControls controls_;
};

using Ports = ::testing::Types<SqlitePort, MemoryPort>;
class PortNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqlitePort> ? "Sqlite" : "Memory";
  }
};
TYPED_TEST_SUITE(EngineStoreContract, Ports, PortNames);

TYPED_TEST(EngineStoreContract, AccountsTheirMetersAndTariffChangesLoadAsLastWritten) {
  AlarmThresholds thresholds{Money{200000}, Money{100000}, Money{0}, Money{5000}, Money{0}};
  this->write({AccountRow{"a1", "Flat 1", BillingMode::kGateway, thresholds, "config", false, 5},
               AccountMetersRow{"a1", {"m1", "m2"}},
               this->tariff_row(0, R"({"id":"flat","price":"0.5"})"),
               this->tariff_row(1000, R"({"id":"dear","price":"0.9"})")});
  this->write({AccountRow{"a1", "Flat 1A", BillingMode::kMeter, thresholds, "command", true, 9},
               AccountMetersRow{"a1", {"m2"}},
               this->tariff_row(1000, R"({"id":"dearer","price":"1.1"})")});
  this->load();

  ASSERT_EQ(this->state_.accounts.size(), 1u);
  const AccountRow& account = this->state_.accounts[0];
  EXPECT_EQ(account.name, "Flat 1A");
  EXPECT_EQ(account.mode, BillingMode::kMeter);
  EXPECT_EQ(account.source, "command");
  EXPECT_TRUE(account.closed);
  EXPECT_EQ(account.updated_ms, 9);
  EXPECT_EQ(account.thresholds.low_1, Money{200000});
  EXPECT_EQ(account.thresholds.hysteresis, Money{5000});
  EXPECT_EQ(this->state_.meter_accounts, (std::map<std::string, std::string>{{"m2", "a1"}}));
  ASSERT_EQ(this->state_.tariffs.size(), 2u);
  EXPECT_EQ(this->state_.tariffs[0].effective_ms, 0);
  EXPECT_EQ(this->state_.tariffs[1].effective_ms, 1000);
  EXPECT_EQ(this->state_.tariffs[1].tariff_json, R"({"id":"dearer","price":"1.1"})");
  ASSERT_TRUE(this->state_.tariffs[1].tariff.has_value());
  EXPECT_EQ(this->state_.tariffs[1].tariff->price_per_kwh, Money{11000});
}

TYPED_TEST(EngineStoreContract, TheLedgerGivesBackItsMoneyOrdersInOrderAndStatesReplace) {
  BillingCounters counters;
  counters.tier_wh = 1234;
  counters.carry_milli = 667;
  this->write(
      {LedgerEntry{"a1", 10, "adjustment", Money{500000}, Money{500000}, "opening:a1", "", "{}"},
       LedgerEntry{"a1", 20, "deduction", Money{-1500}, Money{498500}, "", "m1", "{}"},
       LedgerEntry{"a1", 30, "recharge", Money{100000}, Money{598500}, "r-1", "", "{}"},
       AccountStateRow{"a1", Money{598500}, AlarmLevel::kNormal, BillingCounters{}},
       MeterBillingRow{"m1", Energy{2469}, 20}});
  this->write({LedgerEntry{"a1", 40, "refund", Money{-50000}, Money{548500}, "f-1", "", "{}"},
               AccountStateRow{"a1", Money{548500}, AlarmLevel::kLow1, counters},
               MeterBillingRow{"m1", Energy{4000}, 40}});
  this->load();

  ASSERT_EQ(this->state_.money_orders.size(), 2u);
  EXPECT_EQ(this->state_.money_orders[0].order_id, "r-1");
  EXPECT_EQ(this->state_.money_orders[0].amount, Money{100000});
  EXPECT_EQ(this->state_.money_orders[0].balance_after, Money{598500});
  EXPECT_EQ(this->state_.money_orders[1].order_id, "f-1");
  EXPECT_EQ(this->state_.money_orders[1].kind, "refund");
  EXPECT_EQ(this->state_.money_orders[1].amount, Money{-50000});
  const AccountStateRow& state = this->state_.states.at("a1");
  EXPECT_EQ(state.balance, Money{548500});
  EXPECT_EQ(state.level, AlarmLevel::kLow1);
  EXPECT_EQ(state.counters.tier_wh, 1234);
  EXPECT_EQ(state.counters.carry_milli, 667);
  EXPECT_EQ(this->state_.billing.at("m1").energy, Energy{4000});
  EXPECT_EQ(this->state_.billing.at("m1").ts_ms, 40);
}

TYPED_TEST(EngineStoreContract, MeterRechargesReplaceByOrderAndLoadInTheirTimeOrder) {
  this->write({MeterRechargeRow{"r-2", "recharge", "a1", "mm", Money{10000}, 8, "pending", 200}});
  this->write({MeterRechargeRow{"r-1", "recharge", "a1", "mm", Money{20000}, 7, "pending", 100}});
  this->write({MeterRechargeRow{"r-1", "recharge", "a1", "mm", Money{20000}, 7, "done", 100}});
  this->load();

  ASSERT_EQ(this->state_.meter_recharges.size(), 2u);
  EXPECT_EQ(this->state_.meter_recharges[0].order_id, "r-1");
  EXPECT_EQ(this->state_.meter_recharges[0].state, "done");
  EXPECT_EQ(this->state_.meter_recharges[0].purchase_count, 7);
  EXPECT_EQ(this->state_.meter_recharges[1].order_id, "r-2");
  EXPECT_EQ(this->state_.meter_recharges[1].state, "pending");
  EXPECT_EQ(this->state_.meter_recharges[1].amount, Money{10000});
}

TYPED_TEST(EngineStoreContract, RelayHoldsControlsAndTripsAreKeptUntilReleasedOrCleared) {
  LoadTripState tripped;
  tripped.tripped = true;
  tripped.reason = LoadTripReason::kMalignantLoad;
  tripped.tripped_at = kEpoch + 1234567us;
  tripped.restore_at = kEpoch + 60s;
  tripped.restores_today = 1;
  tripped.restores_day = 20260302;
  LoadTripState idle;  // neither tripped nor with restores to count
  this->write({RelayOverrideRow{"m1", true, "c-1", 1}, RelayOverrideRow{"m2", true, "c-2", 1},
               ControlRow{"m1", kLoadLimitsControl, R"({"max_power_w":2000})", "command", 1},
               ControlRow{"m1", kScheduleControl, R"({"windows":[]})", "command", 1},
               ControlRow{"m2", kScheduleControl, R"({"windows":[]})", "command", 1},
               LoadTripRow{"m1", tripped}, LoadTripRow{"m2", tripped}});
  this->write({RelayOverrideRow{"m2", false, "c-3", 2},
               ControlRow{"m2", kScheduleControl, "", "command", 2}, LoadTripRow{"m2", idle}});
  this->load();

  EXPECT_EQ(this->state_.forced_open, (std::set<std::string>{"m1"}));
  EXPECT_EQ(this->controls_.load_limits,
            (std::map<std::string, std::string>{{"m1", R"({"max_power_w":2000})"}}));
  EXPECT_EQ(this->controls_.schedules,
            (std::map<std::string, std::string>{{"m1", R"({"windows":[]})"}}));
  ASSERT_EQ(this->controls_.trips.size(), 1u);
  const LoadTripState& trip = this->controls_.trips.at("m1");
  EXPECT_TRUE(trip.tripped);
  EXPECT_EQ(trip.reason, LoadTripReason::kMalignantLoad);
  EXPECT_EQ(trip.tripped_at, kEpoch + 1234ms) << "kept to the millisecond";
  EXPECT_EQ(trip.restore_at, std::optional<WallTime>(kEpoch + 60s));
  EXPECT_EQ(trip.restores_today, 1);
  EXPECT_EQ(trip.restores_day, 20260302);
}

TYPED_TEST(EngineStoreContract, UsageDeltasAddUpPerOwnerDayAndMonthAndReadBackInRange) {
  UsageFigures peak;
  peak.wh_by_period[static_cast<int>(TouPeriod::kPeak)] = 1500;
  peak.cost_by_period[static_cast<int>(TouPeriod::kPeak)] = 13500;
  peak.cost = 13500;
  peak.free_wh = 200;
  UsageFigures valley;
  valley.wh_by_period[static_cast<int>(TouPeriod::kValley)] = 700;
  valley.cost_by_period[static_cast<int>(TouPeriod::kValley)] = 2100;
  valley.cost = 2100;
  UsageFigures trip;
  trip.load_trips = 1;
  trip.relay_operations = 2;
  UsageFigures cut;
  cut.cut_offs = 1;
  this->write({UsageDelta{"m1", "a1", 20260331, peak}, UsageDelta{"m1", "a1", 20260401, valley}});
  this->write({UsageDelta{"m1", "a1", 20260401, peak}, UsageDelta{"m2", "", 20260401, trip},
               UsageDelta{"", "a1", 20260402, cut}});
  this->load();

  auto read = [&](UsageScope scope, const std::string& owner, UsageGranularity g, std::int32_t from,
                  std::int32_t to, int limit = 100) {
    Result<std::vector<UsageRollup>> rows =
        this->port_.port().read_usage(UsageQuery{scope, owner, g, from, to, limit});
    EXPECT_TRUE(rows);
    return rows ? rows.value() : std::vector<UsageRollup>{};
  };
  const auto m1_days = read(UsageScope::kMeter, "m1", UsageGranularity::kDay, 20260301, 20260430);
  ASSERT_EQ(m1_days.size(), 2u);
  EXPECT_EQ(m1_days[0].period, 20260331);
  EXPECT_EQ(m1_days[0].figures, peak);
  EXPECT_EQ(m1_days[1].period, 20260401);
  UsageFigures both = valley;
  both += peak;
  EXPECT_EQ(m1_days[1].figures, both);
  EXPECT_EQ(m1_days[1].figures.energy_wh(), 2200);

  const auto a1_months = read(UsageScope::kAccount, "a1", UsageGranularity::kMonth, 202601, 202612);
  ASSERT_EQ(a1_months.size(), 2u);
  EXPECT_EQ(a1_months[0].period, 202603);
  EXPECT_EQ(a1_months[0].figures, peak);
  EXPECT_EQ(a1_months[1].period, 202604);
  UsageFigures april = both;
  april += cut;
  EXPECT_EQ(a1_months[1].figures, april);

  const auto m2_months = read(UsageScope::kMeter, "m2", UsageGranularity::kMonth, 202604, 202604);
  ASSERT_EQ(m2_months.size(), 1u);
  EXPECT_EQ(m2_months[0].figures, trip);
  EXPECT_TRUE(
      read(UsageScope::kAccount, "a1", UsageGranularity::kDay, 20260402, 20260402).at(0).figures ==
      cut);
  EXPECT_TRUE(read(UsageScope::kAccount, "m1", UsageGranularity::kDay, 0, 99999999).empty())
      << "scopes are apart";
  EXPECT_TRUE(read(UsageScope::kMeter, "m1", UsageGranularity::kDay, 20260401, 20260331).empty());
  const auto limited = read(UsageScope::kAccount, "a1", UsageGranularity::kDay, 0, 99999999, 2);
  ASSERT_EQ(limited.size(), 2u) << "the limit bounds the rows";
  EXPECT_EQ(limited[1].period, 20260401);
}

TYPED_TEST(EngineStoreContract, UsageSumOfMetersIsTheSumOfEachMetersOwnRowsPerPeriod) {
  // Three meters on irregular days of two months with every figure set differently; a fourth
  // meter (not summed) and the accounts' rows must not leak into the sum.
  std::vector<EngineChange> deltas;
  for (int m = 1; m <= 4; ++m) {
    for (std::int32_t day : {20260301, 20260315, 20260402, 20260430}) {
      if ((day / 7 + m) % 3 == 0) continue;  // not every meter every day
      UsageFigures f;
      for (int p = 0; p < kTouPeriods; ++p) {
        f.wh_by_period[p] = m * 1000 + p * 10 + day % 100;
        f.cost_by_period[p] = m * 900 + p;
        f.cost += f.cost_by_period[p];
      }
      f.free_wh = m;
      f.cut_offs = m % 2;
      f.load_trips = day % 2;
      f.relay_operations = m + 1;
      deltas.push_back(UsageDelta{"m" + std::to_string(m), "a1", day, f});
    }
  }
  this->write(std::move(deltas));
  this->load();

  const std::vector<std::string> meters{"m1", "m2", "m3", "m9"};  // m9 has no rows
  for (UsageGranularity g : {UsageGranularity::kDay, UsageGranularity::kMonth}) {
    const std::int32_t from = g == UsageGranularity::kDay ? 20260301 : 202603;
    const std::int32_t to = g == UsageGranularity::kDay ? 20260430 : 202604;
    std::map<std::int32_t, UsageFigures> expected;
    for (const std::string& meter : meters) {
      Result<std::vector<UsageRollup>> own =
          this->port_.port().read_usage(UsageQuery{UsageScope::kMeter, meter, g, from, to, 100});
      ASSERT_TRUE(own);
      for (const UsageRollup& row : own.value()) expected[row.period] += row.figures;
    }
    ASSERT_FALSE(expected.empty());
    Result<std::vector<UsageRollup>> sum =
        this->port_.port().read_usage_sum(UsageSumQuery{meters, g, from, to, 100});
    ASSERT_TRUE(sum);
    std::map<std::int32_t, UsageFigures> got;
    std::int32_t last = 0;
    for (const UsageRollup& row : sum.value()) {
      EXPECT_GT(row.period, last) << "in period order, one row per period";
      last = row.period;
      got[row.period] = row.figures;
    }
    EXPECT_EQ(got, expected) << usage_granularity_name(g);
  }
  Result<std::vector<UsageRollup>> limited = this->port_.port().read_usage_sum(
      UsageSumQuery{meters, UsageGranularity::kDay, 0, 99'999'999, 2});
  ASSERT_TRUE(limited);
  ASSERT_EQ(limited.value().size(), 2u) << "the limit bounds the rows";
  EXPECT_EQ(limited.value()[0].period, 20260301);
  Result<std::vector<UsageRollup>> nobody = this->port_.port().read_usage_sum(
      UsageSumQuery{{"m9"}, UsageGranularity::kMonth, 0, 999'999, 100});
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody.value().empty());
}

TYPED_TEST(EngineStoreContract, UsageExtremesMergeByMaxAndMinAndOfflineTimeAdds) {
  // Deltas of one day in an order that exercises every rule: a higher demand replaces the
  // lower with its time, an equal one keeps the earlier time, a lower one changes nothing; the
  // lowest voltage ignores "none" (0); the tier keeps its highest; offline time adds.
  auto figures = [](std::int64_t demand_w, std::int64_t at, std::int64_t vmin, std::int64_t vmax,
                    std::int64_t tier, std::int64_t offline) {
    UsageFigures f;
    f.demand_w = demand_w;
    f.demand_at_ms = at;
    f.voltage_min_dv = vmin;
    f.voltage_max_dv = vmax;
    f.tier_reached = tier;
    f.offline_ms = offline;
    return f;
  };
  const std::vector<UsageFigures> deltas{
      figures(1200, 5000, 2250, 2300, 1, 100), figures(3600, 9000, 0, 0, 0, 0),
      figures(3600, 7000, 2199, 2290, 2, 50), figures(900, 1000, 2210, 2460, 1, 0),
      figures(0, 0, 0, 0, 0, 25)};
  UsageFigures expected;
  for (const UsageFigures& f : deltas) {
    this->write({UsageDelta{"m1", "a1", 20260310, f}});
    expected += f;
  }
  EXPECT_EQ(expected, figures(3600, 7000, 2199, 2460, 2, 175)) << "operator+= itself";
  this->load();
  for (UsageGranularity g : {UsageGranularity::kDay, UsageGranularity::kMonth}) {
    const std::int32_t period = g == UsageGranularity::kDay ? 20260310 : 202603;
    Result<std::vector<UsageRollup>> rows =
        this->port_.port().read_usage(UsageQuery{UsageScope::kMeter, "m1", g, period, period, 1});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows.value().size(), 1u);
    EXPECT_EQ(rows.value()[0].figures, expected) << usage_granularity_name(g);
  }
}

TYPED_TEST(EngineStoreContract, UsagePruneRemovesDaysAndMonthsBeforeItsBoundsOfEveryOwner) {
  UsageFigures some;
  some.wh_by_period[static_cast<int>(TouPeriod::kFlat)] = 10;
  this->write({UsageDelta{"m1", "a1", 20260228, some}, UsageDelta{"m1", "a1", 20260310, some},
               UsageDelta{"m2", "", 20260309, some}, UsageDelta{"m1", "a1", 20260401, some}});
  this->write({UsagePeriodClose{UsageGranularity::kMonth, 202603, false}});
  this->write({UsagePrune{20260310, 202604}});
  this->load();

  auto periods = [&](UsageScope scope, const std::string& owner, UsageGranularity g) {
    std::vector<std::int32_t> out;
    Result<std::vector<UsageRollup>> rows =
        this->port_.port().read_usage(UsageQuery{scope, owner, g, 0, 99'999'999, 100});
    EXPECT_TRUE(rows);
    if (rows) {
      for (const UsageRollup& row : rows.value()) out.push_back(row.period);
    }
    return out;
  };
  EXPECT_EQ(periods(UsageScope::kMeter, "m1", UsageGranularity::kDay),
            (std::vector<std::int32_t>{20260310, 20260401}));
  EXPECT_TRUE(periods(UsageScope::kMeter, "m2", UsageGranularity::kDay).empty());
  EXPECT_EQ(periods(UsageScope::kAccount, "a1", UsageGranularity::kDay),
            (std::vector<std::int32_t>{20260310, 20260401}));
  EXPECT_EQ(periods(UsageScope::kMeter, "m1", UsageGranularity::kMonth),
            (std::vector<std::int32_t>{202604}));
  EXPECT_EQ(periods(UsageScope::kAccount, "a1", UsageGranularity::kMonth),
            (std::vector<std::int32_t>{202604}));
}

// A month's figures are folded from its days when it closes: until then a prune keeps its
// days, and the month, though older than the prune's bound, still has its figures.
TYPED_TEST(EngineStoreContract, UsagePruneKeepsAMonthNotClosedAndItsDays) {
  UsageFigures some;
  some.wh_by_period[static_cast<int>(TouPeriod::kFlat)] = 10;
  this->write({UsagePeriodClose{UsageGranularity::kMonth, 202602, false}});
  this->write({UsageDelta{"m1", "a1", 20260305, some}, UsageDelta{"m1", "a1", 20260401, some}});
  this->write({UsagePrune{20260320, 202604}});
  this->load();
  for (const auto& [g, want] :
       {std::pair{UsageGranularity::kDay, std::vector<std::int32_t>{20260305, 20260401}},
        std::pair{UsageGranularity::kMonth, std::vector<std::int32_t>{202603, 202604}}}) {
    Result<std::vector<UsageRollup>> rows =
        this->port_.port().read_usage(UsageQuery{UsageScope::kAccount, "a1", g, 0, 99'999'999, 9});
    ASSERT_TRUE(rows) << rows.error().message;
    std::vector<std::int32_t> periods;
    for (const UsageRollup& row : rows.value()) {
      periods.push_back(row.period);
      EXPECT_EQ(row.figures.energy_wh(), 10);
    }
    EXPECT_EQ(periods, want) << usage_granularity_name(g);
  }
}

// A month's close folds its days into its row; a delta for it that comes after the close (a
// meter offline across its end) adds to the day and to the month.
TYPED_TEST(EngineStoreContract, AMonthClosedKeepsItsSumAndTakesALateDelta) {
  UsageFigures some;
  some.wh_by_period[static_cast<int>(TouPeriod::kFlat)] = 10;
  some.demand_w = 500;
  some.demand_at_ms = 2'000;
  UsageFigures peak = some;
  peak.demand_w = 700;
  peak.demand_at_ms = 9'000;
  this->write({UsagePeriodClose{UsageGranularity::kMonth, 202602, false}});
  this->write({UsageDelta{"m1", "", 20260302, some}, UsageDelta{"m1", "", 20260331, some}});
  this->write({UsagePeriodClose{UsageGranularity::kMonth, 202603, true}});
  this->write({UsageDelta{"m1", "", 20260331, peak}, UsageDelta{"m1", "", 20260401, some}});
  this->load();
  Result<std::vector<UsageRollup>> months = this->port_.port().read_usage(
      UsageQuery{UsageScope::kMeter, "m1", UsageGranularity::kMonth, 202601, 202612, 9});
  ASSERT_TRUE(months) << months.error().message;
  ASSERT_EQ(months.value().size(), 2u);
  EXPECT_EQ(months.value()[0].period, 202603);
  EXPECT_EQ(months.value()[0].figures.energy_wh(), 30);
  EXPECT_EQ(months.value()[0].figures.demand_w, 700);
  EXPECT_EQ(months.value()[0].figures.demand_at_ms, 9'000);
  EXPECT_EQ(months.value()[1].period, 202604);
  EXPECT_EQ(months.value()[1].figures.energy_wh(), 10);
  Result<std::vector<DueSummary>> due = this->port_.port().read_due_summaries(9);
  ASSERT_TRUE(due) << due.error().message;
  ASSERT_EQ(due.value().size(), 1u);
  EXPECT_EQ(due.value()[0].rollup.figures.energy_wh(), 30);
}

TYPED_TEST(EngineStoreContract, AWriteIsAppliedInItsOrder) {
  // The meters of an account replaced twice in one write: the second list stands.
  this->write({AccountMetersRow{"a1", {"m1", "m2"}}, AccountMetersRow{"a1", {"m3"}},
               ControlRow{"m3", kScheduleControl, R"({"windows":[]})", "command", 1},
               ControlRow{"m3", kScheduleControl, "", "command", 1}});
  this->load();

  EXPECT_EQ(this->state_.meter_accounts, (std::map<std::string, std::string>{{"m3", "a1"}}));
  EXPECT_TRUE(this->controls_.schedules.empty());
}

}  // namespace
}  // namespace meterd::test
