// SPDX-License-Identifier: Apache-2.0
// Pricing throughput: increments priced per second under a time-of-use tariff with seasons,
// holidays, monthly tiers and a daily allowance, at +08:00. One year of 1-minute increments
// set 30 s off the minute, so every TOU switch and day/month boundary splits one increment,
// then one year of 1-hour increments (each spanning its boundaries), 5 rounds each; each
// priced for the ledger only and again with the split for the statistics rollups.
// Usage: bench_pricing   (pure CPU, one thread)
#include "engine/pricing.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "engine/usage_rollup.h"

namespace {

using meterd::Energy;
using meterd::Money;
using meterd::TouPeriod;
using meterd::WallTime;

meterd::Tariff bench_tariff() {
  meterd::TimeOfUse tou;
  tou.price_per_kwh = {Money{12000}, Money{9000}, Money{6000}, Money{3000}};
  tou.default_day = {{0, TouPeriod::kValley},      {8 * 60, TouPeriod::kPeak},
                     {10 * 60, TouPeriod::kSharp}, {12 * 60, TouPeriod::kFlat},
                     {17 * 60, TouPeriod::kPeak},  {23 * 60, TouPeriod::kValley}};
  tou.seasons = {{701,
                  930,
                  {{0, TouPeriod::kValley},
                   {8 * 60, TouPeriod::kFlat},
                   {19 * 60, TouPeriod::kSharp},
                   {22 * 60, TouPeriod::kValley}}}};
  tou.holiday_day = {{0, TouPeriod::kValley}, {18 * 60, TouPeriod::kFlat}};
  tou.holidays = {20260101, 20260501, 20261001, 20261002, 20261003};
  meterd::Tariff tariff;
  tariff.id = "bench";
  tariff.tou = tou;
  tariff.tiers = meterd::Tiers{
      meterd::CalendarPeriod::kMonth,
      {{Energy{200'000}, Money{0}}, {Energy{400'000}, Money{500}}, {std::nullopt, Money{3000}}}};
  tariff.allowance = meterd::Allowance{meterd::CalendarPeriod::kDay, Energy{1000}};
  return tariff;
}

struct Run {
  std::int64_t increments = 0;
  double seconds = 0;
  std::int64_t charged_units = 0;
  std::int64_t rolled_up_units = 0;  // with pieces: equal to charged_units
};

// With `pieces`, as billing prices for the statistics rollups: also split at local midnights
// into pieces by day and period, summed into the day's figures (what the engine adds per
// reading for the rollups, beside the ledger).
Run price_year(const meterd::TariffHistory& history, std::chrono::milliseconds step,
               std::chrono::milliseconds skew, bool pieces) {
  const meterd::LocalZone offset{std::chrono::minutes(480)};
  const WallTime start = WallTime{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}} + skew;
  const std::int64_t count = std::chrono::hours(24 * 365) / step;
  meterd::BillingCounters counters;
  Run run;
  const auto began = std::chrono::steady_clock::now();
  WallTime from = start;
  std::vector<meterd::PricedPiece> split;
  meterd::UsageFigures day;
  for (std::int64_t i = 0; i < count; ++i) {
    const WallTime to = from + step;
    // 1..64 Wh per minute-equivalent: a few kW, varying.
    const Energy wh{(1 + (i * 7919) % 64) *
                    (step / std::chrono::minutes(1) > 0 ? step / std::chrono::minutes(1) : 1)};
    run.charged_units +=
        meterd::price_increment(history, offset, counters, from, to, wh, pieces ? &split : nullptr)
            .charge.units;
    for (const meterd::PricedPiece& piece : split) {
      day.wh_by_period[static_cast<int>(piece.period)] += piece.wh;
      day.cost_by_period[static_cast<int>(piece.period)] += piece.cost;
      day.cost += piece.cost;
      day.free_wh += piece.free_wh;
    }
    from = to;
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  run.increments = count;
  run.rolled_up_units = day.cost;
  return run;
}

void report(const char* what, const meterd::TariffHistory& history, std::chrono::milliseconds step,
            std::chrono::milliseconds skew) {
  double plain_ns = 0;
  for (bool pieces : {false, true}) {
    double best = 1e30;
    Run run;
    for (int round = 0; round < 5; ++round) {
      run = price_year(history, step, skew, pieces);
      if (run.seconds < best) best = run.seconds;
    }
    const double ns = best * 1e9 / run.increments;
    std::printf(
        "%-44s %-12s %8lld increments  %12.0f increments/s  %7.1f ns/increment  (charged %lld, "
        "rolled up %lld)",
        what, pieces ? "+ rollups" : "ledger only", static_cast<long long>(run.increments),
        run.increments / best, ns, static_cast<long long>(run.charged_units),
        static_cast<long long>(run.rolled_up_units));
    if (pieces) std::printf("  rollup split: +%.1f ns", ns - plain_ns);
    std::printf("\n");
    plain_ns = ns;
  }
}

}  // namespace

int main() {
  meterd::TariffHistory history;
  history.add({WallTime{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}}, bench_tariff()});
  // A price change in mid-year, as a second history entry.
  meterd::Tariff revised = bench_tariff();
  revised.id = "bench-revised";
  revised.tou->price_per_kwh[static_cast<int>(TouPeriod::kPeak)] = Money{9500};
  history.add({WallTime{std::chrono::sys_days{std::chrono::year{2026} / 7 / 1}}, revised});

  using std::chrono::milliseconds;
  report("1-minute increments, 30 s off the minute", history, milliseconds(60'000),
         milliseconds(30'000));
  report("1-minute increments, on the minute", history, milliseconds(60'000), milliseconds(0));
  report("1-hour increments, 30 s off the hour", history, milliseconds(3'600'000),
         milliseconds(30'000));
  return 0;
}
