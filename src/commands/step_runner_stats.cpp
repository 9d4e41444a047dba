// SPDX-License-Identifier: Apache-2.0
// The stats op of StepRunner: a meter's or an account's rollups, or the sum of the rollups of
// the meters a tag selector matches, over a range of local days or months, their total, and
// (compare) the same range a month or a year before with the change, absolute and relative.
// One bounded store read (two when the compared range does not overlap the range), whatever
// the number of meters.
#include <cmath>
#include <functional>
#include <optional>

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

// What one stats target reads: the rows of a range of periods, at most `limit`.
using ReadRows =
    std::function<Result<std::vector<UsageRollup>>(std::int32_t from, std::int32_t to, int limit)>;

// A target resolved: its name in the result, its scope, how its rows are read, and the
// fields only it has (the meters a selector summed); or its failure.
struct StatsSource {
  std::string name;
  std::string scope;
  ReadRows read;
  nlohmann::json extra = nlohmann::json::object();
  std::optional<nlohmann::json> failure;
  // Meters whose offline time the rows sum (offline_share's base): 1 for a meter, the count
  // for a selector, 0 for an account (which keeps none).
  std::int64_t offline_meters = 0;
};

// The calendar length of the periods from..to in ms (usage_figures_json.h).
std::int64_t range_ms(std::int32_t from, std::int32_t to, UsageGranularity g) {
  if (g == UsageGranularity::kDay) {
    return stats_period_count(from, to, g) * calendar_period_ms(from, g);
  }
  std::int64_t ms = 0;
  for (std::int32_t month = from; month <= to; month = shift_stats_period(month, g, 1)) {
    ms += calendar_period_ms(month, g);
  }
  return ms;
}

struct RangeRead {
  std::vector<UsageRollup> rows;
  UsageFigures total;
};

// The rows of `rows` (in period order) within from..to, and their total.
RangeRead within(const std::vector<UsageRollup>& rows, std::int32_t from, std::int32_t to) {
  RangeRead read;
  for (const UsageRollup& row : rows) {
    if (row.period < from || row.period > to) continue;
    read.rows.push_back(row);
    read.total += row.figures;
  }
  return read;
}

// The range asked for and (compare) the range before it, read in one store read when they
// overlap (mom always, yoy over more than a year): each period is read and summed once.
struct Ranges {
  RangeRead current;
  std::optional<RangeRead> before;
};

Result<Ranges> read_ranges(const StatsSource& source, UsageGranularity g, std::int32_t from,
                           std::int32_t to,
                           std::optional<std::pair<std::int32_t, std::int32_t>> before) {
  const bool together = before && before->second >= from;
  std::vector<std::pair<std::int32_t, std::int32_t>> reads{{together ? before->first : from, to}};
  if (before && !together) reads.push_back(*before);
  std::vector<UsageRollup> rows;
  for (const auto& [first, last] : reads) {
    // The range is bounded when parsed; the limit only keeps the read honest.
    Result<std::vector<UsageRollup>> read =
        source.read(first, last, stats_period_count(first, last, g));
    if (!read) return read.error();
    rows.insert(rows.begin(), read.value().begin(), read.value().end());  // earlier first
  }
  Ranges ranges{within(rows, from, to), std::nullopt};
  if (before) ranges.before = within(rows, before->first, before->second);
  return ranges;
}

// "building=A,floor=2": a selector as results name it.
std::string selector_name(const TagSelector& selector) {
  std::string name;
  for (const auto& [key, value] : selector.tags) {
    if (!name.empty()) name += ',';
    name.append(key).append("=").append(value);
  }
  return name;
}

StatsSource readable(std::string name, std::string scope, ReadRows read) {
  StatsSource source;
  source.name = std::move(name);
  source.scope = std::move(scope);
  source.read = std::move(read);
  return source;
}

StatsSource failed(const std::string& name, const std::string& code, const std::string& message) {
  StatsSource source;
  source.failure = target_failure(name, code, message);
  return source;
}

StatsSource select_source(const Engine& engine, const MeterDirectory& directory,
                          const TagSelector& selector, UsageGranularity g) {
  const std::string name = selector_name(selector);
  std::vector<std::string> meters = directory.resolve(selector);
  if (meters.empty()) {
    return failed(name, "no_match", "the selector '" + name + "' matches no meter on this gateway");
  }
  if (meters.size() > kMaxStatsMeters) {
    return failed(name, "too_large",
                  "the selector matches " + std::to_string(meters.size()) +
                      " meters; stats sums at most " + std::to_string(kMaxStatsMeters));
  }
  const std::size_t count = meters.size();
  StatsSource source = readable(
      name, "select",
      [&engine, g, meters = std::move(meters)](std::int32_t from, std::int32_t to, int limit) {
        return engine.read_usage_sum(UsageSumQuery{meters, g, from, to, limit});
      });
  source.extra["meters"] = count;
  source.offline_meters = static_cast<std::int64_t>(count);
  return source;
}

StatsSource owner_source(const Engine& engine, UsageScope scope, const std::string& owner,
                         UsageGranularity g) {
  StatsSource source =
      readable(owner, usage_scope_name(scope),
               [&engine, scope, owner, g](std::int32_t from, std::int32_t to, int limit) {
                 return engine.read_usage(UsageQuery{scope, owner, g, from, to, limit});
               });
  source.offline_meters = scope == UsageScope::kMeter ? 1 : 0;
  return source;
}

}  // namespace

void StepRunner::run_stats(const BatchStep& step, const std::function<void(TargetResults)>& done) {
  const auto& args = std::get<StatsArgs>(step.args);
  const UsageGranularity g = args.granularity;
  StatsSource source;
  if (const auto* meter = std::get_if<MeterTarget>(&step.target)) {
    source = meters_.has(meter->meter) ? owner_source(engine_, UsageScope::kMeter, meter->meter, g)
                                       : failed(meter->meter, "unknown_meter",
                                                "no meter '" + meter->meter + "' on this gateway");
  } else if (const auto* account = std::get_if<AccountTarget>(&step.target)) {
    source =
        engine_.account(account->account) != nullptr
            ? owner_source(engine_, UsageScope::kAccount, account->account, g)
            : failed(account->account, "unknown_account", "no account '" + account->account + "'");
  } else {
    source = select_source(engine_, meters_, std::get<TagSelector>(step.target), g);
  }
  if (source.failure) return done({std::move(*source.failure)});

  const std::string& name = source.name;
  std::optional<std::pair<std::int32_t, std::int32_t>> compared;
  if (args.compare != StatsCompare::kNone) {
    const int months = args.compare == StatsCompare::kMonthOnMonth ? -1 : -12;
    compared = {shift_stats_period(args.from, g, months), shift_stats_period(args.to, g, months)};
  }
  Result<Ranges> ranges = read_ranges(source, g, args.from, args.to, compared);
  if (!ranges) return done({target_failure(name, "store_error", ranges.error().message)});
  const RangeRead& current = ranges.value().current;

  nlohmann::json periods = nlohmann::json::array();
  for (const UsageRollup& row : current.rows) {
    nlohmann::json item =
        usage_figures_json(row.figures, calendar_period_ms(row.period, g) * source.offline_meters);
    item["period"] = format_stats_period(row.period, g);
    periods.push_back(std::move(item));
  }
  nlohmann::json result{
      {"target", name},
      {"ok", true},
      {"scope", source.scope},
      {"granularity", usage_granularity_name(g)},
      {"from", format_stats_period(args.from, g)},
      {"to", format_stats_period(args.to, g)},
      {"periods", std::move(periods)},
      {"total",
       usage_figures_json(current.total, range_ms(args.from, args.to, g) * source.offline_meters)}};
  result.update(source.extra);
  if (compared) {
    const UsageFigures& now = current.total;
    const UsageFigures& then = ranges.value().before->total;
    result["compare"] = {
        {"kind", args.compare == StatsCompare::kMonthOnMonth ? "mom" : "yoy"},
        {"from", format_stats_period(compared->first, g)},
        {"to", format_stats_period(compared->second, g)},
        {"total", usage_figures_json(then, range_ms(compared->first, compared->second, g) *
                                               source.offline_meters)},
        {"change",
         {{"energy_wh", now.energy_wh() - then.energy_wh()},
          {"energy_pct", relative(now.energy_wh(), then.energy_wh())},
          {"cost", format_money(Money{now.cost - then.cost})},
          {"cost_pct", relative(now.cost, then.cost)},
          {"demand_w", now.demand_w - then.demand_w},
          {"demand_pct", relative(now.demand_w, then.demand_w)}}}};
  }
  done({std::move(result)});
}

}  // namespace meterd
