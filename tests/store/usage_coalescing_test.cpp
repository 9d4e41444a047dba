// SPDX-License-Identifier: Apache-2.0
// The statistics rollups are written once per row and store batch (store/usage_coalescer.h):
// on a real SQLite store, a batch of many engine writes must leave exactly the rows, closes and
// marks that applying its changes one by one leaves, whatever it mixes in (period closes,
// reopens, summaries and prunes see the deltas before them, not those after) and however its
// figures merge (sums in memory and in SQL, maxima with ties, minima with 0 as none), and a
// batch that rolls back and is retried must not count its deltas twice.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "store/engine_tables.h"
#include "store/migrations.h"
#include "store/sqlite_engine_store.h"
#include "store/usage_coalescer.h"
#include "store/usage_tables.h"
#include "store_test_util.h"

namespace meterd::testing {
namespace {

using namespace std::chrono_literals;

// The store as the daemon has it, committing only when flushed: everything written between two
// flushes is one batch (one transaction).
class BatchedStore {
 public:
  explicit BatchedStore(const std::string& path)
      : store_(make_config(path, 1'000'000, std::chrono::hours(1)), clock_, nullptr),
        port_(store_) {}

  void write(std::vector<EngineChange> changes) {
    EngineWrite write;
    write.changes = std::move(changes);
    port_.write(std::move(write));
  }
  // Commits what was written since the last flush, in one transaction.
  void commit_as_one_batch() {
    const std::int64_t commits = store_.stats().commits;
    ASSERT_TRUE(store_.flush());
    EXPECT_EQ(store_.stats().commits, commits + 1);
  }
  Store& store() { return store_; }
  SqliteEngineStore& port() { return port_; }

 private:
  SystemClock clock_;
  Store store_;
  SqliteEngineStore port_;
};

// The reference: each change applied on its own, a delta straight into its four rows with the
// table's own upsert (add_usage), nothing merged in memory.
void apply_one_by_one(SqliteDb& db, const std::vector<std::vector<EngineChange>>& writes) {
  Transaction tx(db);
  ASSERT_TRUE(tx.begun());
  UsageCoalescer unused;  // holds nothing: the deltas bypass it
  for (const std::vector<EngineChange>& changes : writes) {
    for (const EngineChange& change : changes) {
      const UsageDelta* delta = std::get_if<UsageDelta>(&change);
      Status status = delta ? add_usage(db, *delta) : apply_engine_change(db, change, unused);
      ASSERT_TRUE(status.ok()) << status.error().message;
    }
  }
  ASSERT_TRUE(tx.commit().ok());
}

// usage_rollups by "scope owner granularity period".
std::map<std::string, UsageFigures> rollup_rows(const std::string& path) {
  SqliteDb db(path);
  std::string sql = "SELECT scope || ' ' || owner || ' ' || granularity || ' ' || period, ";
  sql += usage_figure_columns();
  sql += " FROM usage_rollups";
  std::map<std::string, UsageFigures> rows;
  Status status = for_each_row(
      db, sql, [&](Statement& st) { rows[st.column_text(0)] = read_usage_figures(st, 1); });
  EXPECT_TRUE(status.ok()) << status.error().message;
  return rows;
}

// usage_closes and usage_close_marks, a line a row.
std::vector<std::string> close_rows(const std::string& path) {
  SqliteDb db(path);
  std::vector<std::string> rows;
  Status status = for_each_row(
      db,
      "SELECT scope || ' ' || owner || ' ' || granularity || ' ' || period || ' revision ' || "
      "coalesce(revision, '-') || ' due ' || due FROM usage_closes UNION ALL "
      "SELECT 'mark ' || granularity || ' ' || closed_through FROM usage_close_marks ORDER BY 1",
      [&](Statement& st) { rows.push_back(st.column_text(0)); });
  EXPECT_TRUE(status.ok()) << status.error().message;
  return rows;
}

void expect_same_rollups(const std::string& batched, const std::string& one_by_one) {
  const std::map<std::string, UsageFigures> got = rollup_rows(batched);
  const std::map<std::string, UsageFigures> want = rollup_rows(one_by_one);
  std::vector<std::string> got_keys;
  std::vector<std::string> want_keys;
  for (const auto& [key, figures] : got) got_keys.push_back(key);
  for (const auto& [key, figures] : want) want_keys.push_back(key);
  ASSERT_EQ(got_keys, want_keys);
  for (const auto& [key, figures] : want) {
    const UsageFigures& row = got.at(key);
    EXPECT_TRUE(row == figures) << key << ": cost " << row.cost << " want " << figures.cost
                                << ", Wh " << row.energy_wh() << " want " << figures.energy_wh()
                                << ", demand " << row.demand_w << " W at " << row.demand_at_ms
                                << " want " << figures.demand_w << " W at " << figures.demand_at_ms
                                << ", voltage " << row.voltage_min_dv << ".." << row.voltage_max_dv
                                << " want " << figures.voltage_min_dv << ".."
                                << figures.voltage_max_dv;
  }
}

// Random engine writes over a few owners and days across a month's end: each a deduction and
// its delta, some with a period close, a reopen, a summary recorded or a prune after them.
class WriteMaker {
 public:
  explicit WriteMaker(unsigned seed) : random_(seed) {}

  // `period_changes`: with a close, a reopen, a summary or a prune in about one write of 20.
  // `extremes_for_all`: every delta may carry extremes; else only those of odd meters (m11,
  // m13, ...), so the rows of even meters get sums only, as most rows do in the daemon: they
  // go through the store's upsert of the sums alone, also onto rows stored with extremes.
  std::vector<EngineChange> next(bool period_changes, bool extremes_for_all = true) {
    std::vector<EngineChange> changes;
    UsageDelta delta = random_delta();
    if (!extremes_for_all && !delta.meter_id.empty() && delta.meter_id.back() % 2 == 0) {
      UsageFigures& f = delta.figures;
      f.tier_reached = f.demand_w = f.demand_at_ms = f.voltage_min_dv = f.voltage_max_dv = 0;
    }
    changes.push_back(LedgerEntry{delta.account_id.empty() ? "a1" : delta.account_id, 0,
                                  "deduction", Money{-delta.figures.cost}, Money{0}, "",
                                  delta.meter_id, "{}"});
    changes.push_back(std::move(delta));
    const int roll = period_changes ? pick(0, 199) : 200;
    if (roll < 3) {
      changes.push_back(UsagePeriodClose{UsageGranularity::kDay, day(), true});
    } else if (roll < 4) {
      changes.push_back(UsagePeriodClose{UsageGranularity::kMonth, month_of_day(day()), true});
    } else if (roll < 6) {
      changes.push_back(UsageReopen{meter(), account(), day(), pick(0, 1) == 1});
    } else if (roll < 9) {
      changes.push_back(UsageSummary{UsageScope::kMeter, meter(), UsageGranularity::kDay, day(),
                                     pick(1, 5), "{}", 0});
    } else if (roll < 10) {
      const std::int32_t before = day();
      changes.push_back(UsagePrune{before, month_of_day(before)});
    }
    return changes;
  }

 private:
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  std::int32_t day() {
    static constexpr std::int32_t kDays[] = {20260128, 20260129, 20260130,
                                             20260131, 20260201, 20260202};
    return kDays[pick(0, 5)];
  }
  std::string meter() { return "m" + std::to_string(pick(10, 21)); }
  std::string account() { return "a" + std::to_string(pick(1, 4)); }

  UsageDelta random_delta() {
    UsageDelta delta{meter(), account(), day(), {}};
    const int owners = pick(0, 9);  // mostly both; a meter alone, or an account alone
    if (owners == 0) delta.account_id.clear();
    if (owners == 1) delta.meter_id.clear();
    UsageFigures& f = delta.figures;
    for (int p = 0; p < kTouPeriods; ++p) {
      f.wh_by_period[p] = pick(0, 3) == 0 ? 0 : pick(1, 5000);
      f.cost_by_period[p] = f.wh_by_period[p] * pick(3000, 12000) / 1000;
      f.cost += f.cost_by_period[p];
    }
    f.free_wh = pick(0, 4) == 0 ? pick(1, 200) : 0;
    f.cut_offs = pick(0, 30) == 0 ? 1 : 0;
    f.load_trips = pick(0, 40) == 0 ? 1 : 0;
    f.relay_operations = pick(0, 20) == 0 ? pick(1, 2) : 0;
    f.offline_ms = pick(0, 10) == 0 ? pick(1, 3'600'000) : 0;
    // The extremes, from few values so maxima tie (the earlier window wins) and 0 (none seen)
    // meets real values.
    f.tier_reached = pick(0, 3);
    f.demand_w = 1000 * pick(0, 3);
    f.demand_at_ms = f.demand_w > 0 ? 1'780'000'000'000 + 900'000 * pick(0, 95) : 0;
    f.voltage_min_dv = pick(0, 2) == 0 ? 0 : 2100 + 10 * pick(0, 5);
    f.voltage_max_dv = pick(0, 2) == 0 ? 0 : 2300 + 10 * pick(0, 5);
    return delta;
  }

  std::mt19937 random_;
};

TEST(UsageCoalescing, ABatchOfManyWritesLeavesTheRowsTheirChangesLeaveOneByOne) {
  for (unsigned seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    const std::string batched_path = dir.file("batched.db");
    const std::string reference_path = dir.file("reference.db");
    WriteMaker maker(seed);
    std::vector<std::vector<EngineChange>> earlier;
    std::vector<std::vector<EngineChange>> batch;
    for (int i = 0; i < 60; ++i) earlier.push_back(maker.next(false));
    for (int i = 0; i < 600; ++i) batch.push_back(maker.next(true, false));
    {
      BatchedStore store(batched_path);
      // Rows already stored before the batch: its merged figures are added to theirs.
      for (const std::vector<EngineChange>& changes : earlier) store.write(changes);
      store.commit_as_one_batch();
      // Enough rows in one batch that they go many per statement (32), and the rest one by one.
      EXPECT_GT(rollup_rows(batched_path).size(), 32u);
      // The batch's rows of even meters have sums only; some of them were stored with extremes.
      for (const std::vector<EngineChange>& changes : batch) store.write(changes);
      store.commit_as_one_batch();
    }
    {
      SqliteDb reference(reference_path);
      migrate(reference);
      apply_one_by_one(reference, earlier);
      apply_one_by_one(reference, batch);
    }
    expect_same_rollups(batched_path, reference_path);
    EXPECT_EQ(close_rows(batched_path), close_rows(reference_path));
    EXPECT_EQ(query(batched_path, "SELECT count(*) FROM ledger"), 660);
  }
}

UsageDelta delta(const std::string& meter, const std::string& account, std::int32_t day,
                 std::int64_t wh) {
  UsageDelta delta{meter, account, day, {}};
  delta.figures.wh_by_period[static_cast<int>(TouPeriod::kPeak)] = wh;
  delta.figures.cost_by_period[static_cast<int>(TouPeriod::kPeak)] = wh * 9;
  delta.figures.cost = wh * 9;
  return delta;
}

TEST(UsageCoalescing, APeriodCloseInTheBatchSeesTheDeltasBeforeItAndNotThoseAfter) {
  TempDir dir;
  BatchedStore store(dir.file("store.db"));
  store.write({delta("m1", "a1", 20260131, 100)});
  store.write({delta("m2", "", 20260131, 50)});
  store.write({UsagePeriodClose{UsageGranularity::kDay, 20260131, true}});
  store.write({delta("m3", "", 20260131, 7)});  // after the close: its row is not due
  store.write({delta("m1", "a1", 20260131, 1)});
  store.commit_as_one_batch();

  Result<std::vector<DueSummary>> due = store.port().read_due_summaries(100);
  ASSERT_TRUE(due.ok()) << due.error().message;
  std::map<std::string, std::int64_t> due_wh;
  for (const DueSummary& row : due.value()) {
    EXPECT_EQ(row.rollup.granularity, UsageGranularity::kDay);
    EXPECT_EQ(row.rollup.period, 20260131);
    due_wh[row.rollup.owner] = row.rollup.figures.energy_wh();
  }
  // The rows the close saw, with their figures as they stand (the later delta of m1 included).
  EXPECT_EQ(due_wh, (std::map<std::string, std::int64_t>{{"a1", 101}, {"m1", 101}, {"m2", 50}}));
}

TEST(UsageCoalescing, APruneInTheBatchRemovesTheDeltasBeforeItAndKeepsThoseAfter) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  BatchedStore store(path);
  store.write({delta("m1", "", 20260105, 100)});
  store.write({UsagePrune{20260110, 202601}});
  store.write({delta("m1", "", 20260105, 3)});
  store.commit_as_one_batch();

  Result<std::vector<UsageRollup>> days = store.port().read_usage(
      UsageQuery{UsageScope::kMeter, "m1", UsageGranularity::kDay, 20260101, 20260131, 10});
  ASSERT_TRUE(days.ok()) << days.error().message;
  ASSERT_EQ(days.value().size(), 1u);
  EXPECT_EQ(days.value()[0].figures.energy_wh(), 3);
}

// However closes and late deltas interleave with batches, every month is the sum of its days:
// a closed month's row folded at its close and added to by later deltas, an open month summed
// from its days when asked; and only closed months have a row of their own.
TEST(UsageCoalescing, EveryMonthIsTheSumOfItsDaysAcrossClosesAndLateDeltas) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  BatchedStore store(path);
  std::mt19937 random(11);
  const auto pick = [&random](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  const std::vector<std::int32_t> days = {20260115, 20260131, 20260201,
                                          20260228, 20260301, 20260317};
  const std::vector<std::string> meters = {"m1", "m2", "m3"};
  const std::vector<std::string> accounts = {"a1", "a2", ""};
  store.write({UsagePeriodClose{UsageGranularity::kMonth, 202512, false}});
  std::int32_t closed = 202512;
  for (int i = 0; i < 400; ++i) {
    UsageDelta d = delta(meters[static_cast<std::size_t>(pick(0, 2))],
                         accounts[static_cast<std::size_t>(pick(0, 2))],
                         days[static_cast<std::size_t>(pick(0, 5))], pick(1, 900));
    d.figures.demand_w = 100 * pick(0, 4);
    d.figures.demand_at_ms = d.figures.demand_w > 0 ? 1'780'000'000'000 + 60'000 * pick(0, 9) : 0;
    store.write({d});
    if (i % 100 == 99 && closed < 202602) {  // January, then February; March stays open
      closed = closed == 202512 ? 202601 : 202602;
      store.write({UsagePeriodClose{UsageGranularity::kMonth, closed, true}});
    }
    if (i % 37 == 36) store.commit_as_one_batch();
  }
  store.commit_as_one_batch();
  ASSERT_EQ(closed, 202602);

  for (const auto& [scope, owner] :
       {std::pair{UsageScope::kMeter, "m1"}, std::pair{UsageScope::kMeter, "m2"},
        std::pair{UsageScope::kMeter, "m3"}, std::pair{UsageScope::kAccount, "a1"},
        std::pair{UsageScope::kAccount, "a2"}}) {
    Result<std::vector<UsageRollup>> months = store.port().read_usage(
        UsageQuery{scope, owner, UsageGranularity::kMonth, 202601, 202603, 10});
    ASSERT_TRUE(months.ok()) << months.error().message;
    ASSERT_EQ(months.value().size(), 3u) << owner;
    for (const UsageRollup& month : months.value()) {
      Result<std::vector<UsageRollup>> in_days =
          store.port().read_usage(UsageQuery{scope, owner, UsageGranularity::kDay,
                                             month.period * 100 + 1, month.period * 100 + 31, 40});
      ASSERT_TRUE(in_days.ok()) << in_days.error().message;
      UsageFigures sum;
      for (const UsageRollup& day : in_days.value()) sum += day.figures;
      EXPECT_TRUE(month.figures == sum)
          << owner << " " << month.period << ": Wh " << month.figures.energy_wh() << " want "
          << sum.energy_wh() << ", demand " << month.figures.demand_w << " at "
          << month.figures.demand_at_ms << " want " << sum.demand_w << " at " << sum.demand_at_ms;
    }
  }
  EXPECT_GT(query(path,
                  "SELECT count(*) FROM usage_rollups WHERE granularity = 'month' AND "
                  "period <= 202602"),
            0);
  EXPECT_EQ(query(path,
                  "SELECT count(*) FROM usage_rollups WHERE granularity = 'month' AND "
                  "period > 202602"),
            0);
}

LedgerEntry deduction(const std::string& account, std::int64_t amount) {
  return LedgerEntry{account, 0, "deduction", Money{-amount}, Money{0}, "", "m1", "{}"};
}

TEST(UsageCoalescing, ABatchRolledBackAndRetriedCountsItsDeltasOnce) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  BatchedStore store(path);
  store.write({deduction("a1", 900), delta("m1", "a1", 20260131, 100)});
  // A close in the batch writes the rows merged so far into the transaction.
  store.write({UsagePeriodClose{UsageGranularity::kDay, 20260130, true}});
  store.write({deduction("a1", 180), delta("m1", "a1", 20260131, 20)});
  // Last in the same batch, a write that fails once: the batch rolls back with rows written
  // and a delta merged but not written; the retry applies every write again.
  std::atomic<int> attempts{0};
  StateWrite failing_once;
  failing_once.apply = [&attempts](SqliteDb&) -> Status {
    if (attempts++ == 0) return make_error(ErrorKind::kInternal, "injected failure");
    return Ok{};
  };
  store.store().append_state(std::move(failing_once));
  EXPECT_FALSE(store.store().flush());
  // Neither the ledger rows nor their rollups: the batch is all or nothing.
  EXPECT_EQ(query(path, "SELECT count(*) FROM ledger"), 0);
  EXPECT_EQ(query(path, "SELECT count(*) FROM usage_rollups"), 0);
  ASSERT_TRUE(store.store().flush());
  EXPECT_EQ(attempts.load(), 2);
  EXPECT_EQ(query(path, "SELECT count(*) FROM ledger"), 2);

  for (const auto& [scope, owner] :
       {std::pair{UsageScope::kMeter, "m1"}, std::pair{UsageScope::kAccount, "a1"}}) {
    for (const auto& [granularity, period] : {std::pair{UsageGranularity::kDay, 20260131},
                                              std::pair{UsageGranularity::kMonth, 202601}}) {
      Result<std::vector<UsageRollup>> rows =
          store.port().read_usage(UsageQuery{scope, owner, granularity, period, period, 10});
      ASSERT_TRUE(rows.ok()) << rows.error().message;
      ASSERT_EQ(rows.value().size(), 1u) << owner << " " << period;
      EXPECT_EQ(rows.value()[0].figures.energy_wh(), 120) << owner << " " << period;
    }
  }
}

TEST(UsageCoalescing, DeltasOfTheSameRowsAreHeldAsOneAdditionPerRow) {
  UsageCoalescer usage;
  usage.add(delta("m1", "a1", 20260130, 10));
  usage.add(delta("m1", "a1", 20260130, 20));
  usage.add(delta("m1", "a1", 20260130, 30));
  EXPECT_EQ(usage.pending_rows(202601), 4u);  // m1's and a1's day and month
  EXPECT_EQ(usage.pending_rows(202512), 2u);  // the month not closed: the days alone
  usage.add(delta("m1", "a1", 20260131, 5));
  EXPECT_EQ(usage.pending_rows(202601), 6u);  // a new day for each; the same months
  usage.add(delta("m2", "", 20260131, 5));
  EXPECT_EQ(usage.pending_rows(202601), 8u);
  EXPECT_EQ(usage.pending_rows(202512), 5u);
  usage.discard();
  EXPECT_EQ(usage.pending_rows(202601), 0u);
}

}  // namespace
}  // namespace meterd::testing
