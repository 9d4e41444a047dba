// SPDX-License-Identifier: Apache-2.0
// Statistics rollups: what billing and control add to the usage of a meter and its account by
// local day. Charges and energy ride with the ledger deduction they come from (commit_account);
// counts ride with the write that carries the event reporting them.
#include <algorithm>

#include "engine/engine_impl.h"
#include "engine/local_time.h"

namespace meterd {
namespace {

UsageFigures& day_usage(PendingDeduction& pending, std::int32_t day) {
  for (DayUsage& usage : pending.usage) {
    if (usage.day == day) return usage.figures;
  }
  return pending.usage.emplace_back(DayUsage{day, {}}).figures;
}

}  // namespace

void Engine::Impl::add_pieces(PendingDeduction& pending, const std::vector<PricedPiece>& pieces) {
  for (const PricedPiece& piece : pieces) {
    UsageFigures& figures = day_usage(pending, piece.day);
    const int p = static_cast<int>(piece.period);
    figures.wh_by_period[p] += piece.wh;
    figures.cost_by_period[p] += piece.cost;
    figures.cost += piece.cost;
    figures.free_wh += piece.free_wh;
    figures.tier_reached = std::max<std::int64_t>(figures.tier_reached, piece.tier);
  }
}

void Engine::Impl::add_cost(PendingDeduction& pending, std::int32_t day, std::int64_t cost) {
  day_usage(pending, day).cost += cost;
}

void Engine::Impl::write_to_store(EngineWrite write) {
  for (UsageDelta& delta : usage_counts_) write.changes.emplace_back(std::move(delta));
  usage_counts_.clear();
  reopen_late_usage(write);
  store_.write(std::move(write));
}

void Engine::Impl::count_usage(const std::string& meter_id, const std::string& account_id,
                               std::int64_t UsageFigures::*counter) {
  UsageDelta delta{meter_id, account_id, local_day(clock_.wall_now()), {}};
  delta.figures.*counter = 1;
  usage_counts_.push_back(std::move(delta));
}

void Engine::Impl::count_cut_off(const AccountRuntime& account) {
  // Every meter of the account is cut off; the account once.
  count_usage("", account.id, &UsageFigures::cut_offs);
  for (const std::string& meter_id : account.meters) {
    count_usage(meter_id, "", &UsageFigures::cut_offs);
  }
}

void Engine::Impl::prune_usage() {
  using namespace std::chrono;
  const year_month_day today = to_local(clock_.wall_now(), config_.zone).date;
  if (yyyymmdd(today) == pruned_on_) return;
  pruned_on_ = yyyymmdd(today);
  const year_month_day first_day{sys_days{today} - days{config_.stats_days_kept - 1}};
  const year_month first_month =
      year_month{today.year(), today.month()} - months{config_.stats_months_kept - 1};
  EngineWrite write;
  write.changes.emplace_back(UsagePrune{
      yyyymmdd(first_day), yyyymm(first_month.year() / first_month.month() / std::chrono::day{1})});
  write_to_store(std::move(write));
}

std::int32_t Engine::Impl::local_day(WallTime t) const { return local_day_key(t, config_.zone); }

std::string Engine::Impl::account_of(const std::string& meter_id) const {
  auto found = meters_.find(meter_id);
  return found == meters_.end() ? std::string() : found->second.account_id;
}

}  // namespace meterd
