// SPDX-License-Identifier: Apache-2.0
// Period close: once a local day or month has ended and its readings are billed, every rollup
// row of it is marked due and its summary goes out through the outbox once; a late delta to a
// closed period marks its rows due again, for a correction. What has been closed and published
// is durable in the store (period_close.h), so "once" holds across restarts and crashes: a
// close and its marks are one write, a summary and its "published" record another.
#include <spdlog/spdlog.h>

#include "engine/engine_impl.h"
#include "engine/local_time.h"
#include "engine/period_summary.h"

namespace meterd {
namespace {

using std::chrono::days;
using std::chrono::months;
using std::chrono::sys_days;
using std::chrono::year_month;
using std::chrono::year_month_day;

// Summaries per store write (and per tick): bounds one transaction after a long outage.
constexpr int kSummariesPerWrite = 256;

year_month_day day_of(std::int32_t key) {
  return year_month_day{std::chrono::year{key / 10000},
                        std::chrono::month{static_cast<unsigned>(key / 100 % 100)},
                        std::chrono::day{static_cast<unsigned>(key % 100)}};
}

year_month month_of(std::int32_t key) {
  return year_month{std::chrono::year{key / 100},
                    std::chrono::month{static_cast<unsigned>(key % 100)}};
}

std::int32_t month_key(year_month m) {
  return static_cast<std::int32_t>(int(m.year()) * 100 + unsigned(m.month()));
}

}  // namespace

void Engine::Impl::start_period_close() {
  Result<UsageCloseMarks> marks = store_.read_close_marks();
  if (!marks) {
    throw std::runtime_error("engine: cannot read the closed periods: " + marks.error().message);
  }
  closed_ = marks.value();
  // A new store: what ended before it has nothing to publish; closing starts from here.
  const year_month_day today = to_local(clock_.wall_now(), config_.zone).date;
  EngineWrite write;
  if (closed_.day == 0) {
    closed_.day = yyyymmdd(year_month_day{sys_days{today} - days{1}});
    write.changes.emplace_back(UsagePeriodClose{UsageGranularity::kDay, closed_.day, false});
  }
  if (closed_.month == 0) {
    closed_.month = month_key(year_month{today.year(), today.month()} - months{1});
    write.changes.emplace_back(UsagePeriodClose{UsageGranularity::kMonth, closed_.month, false});
  }
  if (!write.changes.empty()) write_to_store(std::move(write));
  summaries_due_ = true;  // a crash may have left summaries due
  close_periods();
}

// A period waits `stats_close_wait` after its end for a meter that has not been read past it
// (offline, dead): then it closes anyway, and the meter's late reading publishes a correction.
bool Engine::Impl::period_billed(WallTime end) const {
  if (clock_.wall_now() >= end + config_.stats_close_wait) return true;
  for (const auto& [meter_id, meter] : meters_) {
    auto account = accounts_.find(meter.account_id);
    // A meter-billed account books the balance drop on the day it reads it: nothing to wait for.
    if (account == accounts_.end() || account->second.closed ||
        account->second.mode != BillingMode::kGateway) {
      continue;
    }
    if (!meter.has_billed || meter.billed_time < end) return false;
  }
  return true;
}

void Engine::Impl::close_periods() {
  if (stopped_) return;
  const year_month_day today = to_local(clock_.wall_now(), config_.zone).date;
  // Days: from the one after the last closed, within retention, up to yesterday.
  sys_days next = sys_days{day_of(closed_.day)} + days{1};
  next = std::max(next, sys_days{today} - days{config_.stats_days_kept - 1});
  for (; next < sys_days{today}; next += days{1}) {
    if (!period_billed(local_instant(year_month_day{next + days{1}}, 0, config_.zone))) break;
    closed_.day = yyyymmdd(year_month_day{next});
    EngineWrite write;
    write.changes.emplace_back(UsagePeriodClose{UsageGranularity::kDay, closed_.day, true});
    write_to_store(std::move(write));
    summaries_due_ = true;
  }
  const year_month this_month{today.year(), today.month()};
  year_month month = month_of(closed_.month) + months{1};
  month = std::max(month, this_month - months{config_.stats_months_kept - 1});
  for (; month < this_month; month += months{1}) {
    const year_month after = month + months{1};
    if (!period_billed(local_instant(after.year() / after.month() / 1, 0, config_.zone))) break;
    closed_.month = month_key(month);
    EngineWrite write;
    write.changes.emplace_back(UsagePeriodClose{UsageGranularity::kMonth, closed_.month, true});
    write_to_store(std::move(write));
    summaries_due_ = true;
  }
  publish_due_summaries();
}

void Engine::Impl::publish_due_summaries() {
  if (!summaries_due_) return;
  Result<std::vector<DueSummary>> due = store_.read_due_summaries(kSummariesPerWrite);
  if (!due) {
    spdlog::warn("engine: cannot read the period summaries due: {} (tried again next tick)",
                 due.error().message);
    return;
  }
  summaries_due_ = static_cast<int>(due.value().size()) == kSummariesPerWrite;
  if (due.value().empty()) return;
  EngineWrite write;
  const std::int64_t now_ms = to_unix_ms(clock_.wall_now());
  for (const DueSummary& row : due.value()) {
    const std::int32_t revision = row.published ? *row.published + 1 : 0;
    write.changes.emplace_back(UsageSummary{row.rollup.scope, row.rollup.owner,
                                            row.rollup.granularity, row.rollup.period, revision,
                                            period_summary_body(row.rollup, revision), now_ms});
  }
  store_.write(std::move(write));
}

void Engine::Impl::reopen_late_usage(EngineWrite& write) {
  std::vector<UsageReopen> reopened;
  for (const EngineChange& change : write.changes) {
    const UsageDelta* delta = std::get_if<UsageDelta>(&change);
    if (delta == nullptr || delta->day > closed_.day) continue;
    reopened.push_back(UsageReopen{delta->meter_id, delta->account_id, delta->day,
                                   month_of_day(delta->day) <= closed_.month});
  }
  for (UsageReopen& reopen : reopened) write.changes.emplace_back(std::move(reopen));
  if (!reopened.empty()) summaries_due_ = true;
}

}  // namespace meterd
