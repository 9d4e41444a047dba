// SPDX-License-Identifier: Apache-2.0
// The stats op of StepRunner: a meter's or an account's rollups over a range of local days or
// months, their total, and (compare) the same range a month or a year before with the change,
// absolute and relative. One bounded store read per range.
#include <cmath>

#include "commands/stats_period.h"
#include "commands/step_runner.h"
#include "core/money.h"
#include "engine/usage_figures_json.h"

namespace meterd {
namespace {

// (now - before) / before in percent, to 0.01; null when there is nothing to compare with.
nlohmann::json relative(std::int64_t now, std::int64_t before) {
  if (before == 0) return nullptr;
  const double hundredths =
      std::round(static_cast<double>(now - before) * 10000.0 / static_cast<double>(before));
  return hundredths / 100.0;
}

struct RangeRead {
  std::vector<UsageRollup> rows;
  UsageFigures total;
};

Result<RangeRead> read_range(const Engine& engine, UsageScope scope, const std::string& owner,
                             UsageGranularity g, std::int32_t from, std::int32_t to) {
  // The range is bounded when parsed; the limit only keeps the read honest.
  const int limit = g == UsageGranularity::kDay ? kMaxStatsDays : kMaxStatsMonths;
  Result<std::vector<UsageRollup>> rows =
      engine.read_usage(UsageQuery{scope, owner, g, from, to, limit});
  if (!rows) return rows.error();
  RangeRead read{std::move(rows.value()), {}};
  for (const UsageRollup& row : read.rows) read.total += row.figures;
  return read;
}

}  // namespace

void StepRunner::run_stats(const BatchStep& step, std::function<void(TargetResults)> done) {
  const auto& args = std::get<StatsArgs>(step.args);
  UsageScope scope = UsageScope::kMeter;
  std::string owner;
  if (const auto* meter = std::get_if<MeterTarget>(&step.target)) {
    owner = meter->meter;
    if (!meters_.has(owner)) {
      return done(
          {target_failure(owner, "unknown_meter", "no meter '" + owner + "' on this gateway")});
    }
  } else {
    scope = UsageScope::kAccount;
    owner = std::get<AccountTarget>(step.target).account;
    if (engine_.account(owner) == nullptr) {
      return done({target_failure(owner, "unknown_account", "no account '" + owner + "'")});
    }
  }
  const UsageGranularity g = args.granularity;
  Result<RangeRead> current = read_range(engine_, scope, owner, g, args.from, args.to);
  if (!current) return done({target_failure(owner, "store_error", current.error().message)});

  nlohmann::json periods = nlohmann::json::array();
  for (const UsageRollup& row : current.value().rows) {
    nlohmann::json item = usage_figures_json(row.figures);
    item["period"] = format_stats_period(row.period, g);
    periods.push_back(std::move(item));
  }
  nlohmann::json result{{"target", owner},
                        {"ok", true},
                        {"scope", usage_scope_name(scope)},
                        {"granularity", usage_granularity_name(g)},
                        {"from", format_stats_period(args.from, g)},
                        {"to", format_stats_period(args.to, g)},
                        {"periods", std::move(periods)},
                        {"total", usage_figures_json(current.value().total)}};
  if (args.compare != StatsCompare::kNone) {
    const int months = args.compare == StatsCompare::kMonthOnMonth ? -1 : -12;
    const std::int32_t from = shift_stats_period(args.from, g, months);
    const std::int32_t to = shift_stats_period(args.to, g, months);
    Result<RangeRead> before = read_range(engine_, scope, owner, g, from, to);
    if (!before) return done({target_failure(owner, "store_error", before.error().message)});
    const UsageFigures& now = current.value().total;
    const UsageFigures& then = before.value().total;
    result["compare"] = {{"kind", args.compare == StatsCompare::kMonthOnMonth ? "mom" : "yoy"},
                         {"from", format_stats_period(from, g)},
                         {"to", format_stats_period(to, g)},
                         {"total", usage_figures_json(then)},
                         {"change",
                          {{"energy_wh", now.energy_wh() - then.energy_wh()},
                           {"energy_pct", relative(now.energy_wh(), then.energy_wh())},
                           {"cost", format_money(Money{now.cost - then.cost})},
                           {"cost_pct", relative(now.cost, then.cost)}}}};
  }
  done({std::move(result)});
}

}  // namespace meterd
