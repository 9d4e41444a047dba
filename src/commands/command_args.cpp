// SPDX-License-Identifier: Apache-2.0
#include "commands/command_args.h"

#include <set>
#include <string_view>

#include "commands/stats_period.h"
#include "config/tariff_json.h"
#include "core/json_text.h"
#include "engine/json_fields.h"
#include "engine/load_limits.h"
#include "engine/supply_schedule.h"

namespace meterd {
namespace {

PaymentArgs read_payment(JsonObjectReader& r, const ParseLimits& limits) {
  PaymentArgs payment;
  payment.order_id = r.name("order_id", kOrderIdRule, true).value_or("");
  payment.amount = r.money("amount", true).value_or(Money{});
  if (r.failed()) return payment;
  if (payment.amount <= Money{0}) {
    r.fail(r.member_path("amount"), "must be positive");
  } else if (payment.amount > limits.max_amount) {
    r.fail(r.member_path("amount"), "must not exceed " + format_money(limits.max_amount));
  }
  return payment;
}

// A threshold in -max_amount..max_amount; non-negative when `at_least_zero`.
std::optional<Money> read_level(JsonObjectReader& r, std::string_view key, bool required,
                                bool at_least_zero, const ParseLimits& limits) {
  const auto level = r.money(key, required);
  if (!level) return level;
  if (at_least_zero && *level < Money{0}) {
    r.fail(r.member_path(key), "must not be negative");
  } else if (*level > limits.max_amount || *level < -limits.max_amount) {
    r.fail(r.member_path(key), "must be within -" + format_money(limits.max_amount) + ".." +
                                   format_money(limits.max_amount));
  }
  return level;
}

ThresholdArgs read_thresholds(JsonObjectReader& r, const ParseLimits& limits) {
  ThresholdArgs t;
  t.low_1 = read_level(r, "low_1", true, false, limits).value_or(Money{});
  t.low_2 = read_level(r, "low_2", true, false, limits).value_or(Money{});
  t.cut_off = read_level(r, "cut_off", true, false, limits).value_or(Money{});
  t.hysteresis = read_level(r, "hysteresis", false, true, limits);
  t.credit_limit = read_level(r, "credit_limit", false, true, limits);
  if (r.failed()) return t;
  if (t.low_2 > t.low_1) {
    r.fail(r.member_path("low_2"), "must not be above low_1");
  } else if (t.cut_off > t.low_2) {
    r.fail(r.member_path("cut_off"), "must not be above low_2");
  }
  return t;
}

// {"granularity": "day"|"month", "from": "2026-03-01", "to": "2026-03-31", "compare": "yoy"}
// (months as "2026-03").
StatsArgs read_stats(JsonObjectReader& r) {
  StatsArgs stats;
  const std::optional<std::string> granularity = r.string("granularity", true);
  if (r.failed()) return stats;
  const std::optional<UsageGranularity> kept = usage_granularity_named(*granularity);
  if (!kept) {
    r.fail(r.member_path("granularity"),
           "'" + *granularity + "' is not a granularity the store keeps: day or month");
    return stats;
  }
  stats.granularity = *kept;
  for (auto [key, into] : {std::pair{"from", &stats.from}, std::pair{"to", &stats.to}}) {
    const std::optional<std::string> text = r.string(key, true);
    if (r.failed()) return stats;
    const std::optional<std::int32_t> period = parse_stats_period(*text, stats.granularity);
    if (!period) {
      r.fail(
          r.member_path(key),
          std::string("must be a local ") +
              (stats.granularity == UsageGranularity::kDay ? "date YYYY-MM-DD" : "month YYYY-MM") +
              ", not '" + *text + "'");
      return stats;
    }
    *into = *period;
  }
  if (stats.to < stats.from) {
    r.fail(r.member_path("to"), "must not be before from: the range is reversed");
    return stats;
  }
  const int count = stats_period_count(stats.from, stats.to, stats.granularity);
  const int most = stats.granularity == UsageGranularity::kDay ? kMaxStatsDays : kMaxStatsMonths;
  if (count > most) {
    r.fail(r.member_path("to"),
           "the range covers " + std::to_string(count) + " " +
               usage_granularity_name(stats.granularity) + "s; at most " + std::to_string(most) +
               " per request",
           kCodeTooLarge);
    return stats;
  }
  if (const std::optional<std::string> compare = r.string("compare", false)) {
    if (*compare == "mom") {
      stats.compare = StatsCompare::kMonthOnMonth;
    } else if (*compare == "yoy") {
      stats.compare = StatsCompare::kYearOnYear;
    } else {
      r.fail(r.member_path("compare"), "must be mom or yoy, not '" + *compare + "'");
    }
  }
  return stats;
}

QueryArgs read_query(JsonObjectReader& r, const ParseLimits& limits) {
  QueryArgs query;
  const nlohmann::json* points = r.array("points", true);
  if (!points) return query;
  const std::string path = r.member_path("points");
  if (points->empty()) {
    r.fail(path, "must name at least one point");
    return query;
  }
  if (points->size() > limits.max_points) {
    r.fail(path, "more than " + std::to_string(limits.max_points) + " points", kCodeTooLarge);
    return query;
  }
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < points->size(); ++i) {
    const auto& point = (*points)[i];
    if (!point.is_string() || !follows_rule(point.get_ref<const std::string&>(), kPointNameRule)) {
      r.fail(json_pointer_child(path, i), "must be a point name: " + describe_rule(kPointNameRule));
      return query;
    }
    if (!seen.insert(point.get_ref<const std::string&>()).second) {
      r.fail(json_pointer_child(path, i), "point listed twice");
      return query;
    }
    query.points.push_back(point.get<std::string>());
  }
  return query;
}

// The member "tariff", read as a site file's tariff is read; none when absent or refused.
std::optional<GivenTariff> read_given_tariff(JsonObjectReader& r, bool required) {
  const nlohmann::json* object = r.object("tariff", required);
  if (!object) return std::nullopt;
  if (object->empty()) {
    r.fail(r.member_path("tariff"), "must not be empty");
    return std::nullopt;
  }
  CommandTariff read = command_tariff(json_text(*object));
  if (!read.tariff) {
    r.fail(r.member_path("tariff"), read.tariff.error().message);
    return std::nullopt;
  }
  return GivenTariff{std::move(read.json), std::move(read.tariff.value())};
}

TariffArgs read_tariff(JsonObjectReader& r) {
  TariffArgs tariff;
  if (auto given = read_given_tariff(r, true)) tariff.tariff = std::move(*given);
  tariff.effective_from = r.unix_ms("effective_from", false);
  return tariff;
}

// open_account's "thresholds": {"low_1": "20", ...}, defaults for the ones not given, with
// low_1 >= low_2 >= cut_off.
AlarmThresholds read_opening_thresholds(JsonObjectReader& account, const ParseLimits& limits) {
  AlarmThresholds t;
  const nlohmann::json* object = account.object("thresholds", false);
  if (!object) return t;
  JsonObjectReader r(*object, account.member_path("thresholds"));
  for (auto [key, field] : {std::pair{"low_1", &t.low_1}, std::pair{"low_2", &t.low_2},
                            std::pair{"cut_off", &t.cut_off}}) {
    if (auto level = read_level(r, key, false, false, limits)) *field = *level;
  }
  for (auto [key, field] :
       {std::pair{"hysteresis", &t.hysteresis}, std::pair{"credit_limit", &t.credit_limit}}) {
    if (auto level = read_level(r, key, false, true, limits)) *field = *level;
  }
  r.finish();
  if (!r.failed() && !(t.low_1 >= t.low_2 && t.low_2 >= t.cut_off)) {
    r.fail(r.path(), "must satisfy low_1 >= low_2 >= cut_off");
  }
  if (r.failed()) account.fail(r.error().path, r.error().message, r.error().code);
  return t;
}

// open_account: {"name": "...", "mode": "gateway"|"meter", "meters": [...], "thresholds": {...},
// "opening_balance": "10.0000", "tariff": {...}}.
OpenAccountArgs read_opening(JsonObjectReader& r, const ParseLimits& limits) {
  OpenAccountArgs opening;
  AccountSpec& spec = opening.spec;
  spec.name = r.string("name", false).value_or("");
  const std::string mode = r.string("mode", false).value_or("gateway");
  if (mode != "gateway" && mode != "meter") {
    r.fail(r.member_path("mode"), "must be gateway or meter, not '" + mode + "'");
  }
  spec.mode = mode == "meter" ? BillingMode::kMeter : BillingMode::kGateway;
  if (const nlohmann::json* meters = r.array("meters", true)) {
    const std::string path = r.member_path("meters");
    if (meters->empty()) r.fail(path, "must name at least one meter");
    if (meters->size() > limits.max_meters) {
      r.fail(path, "more than " + std::to_string(limits.max_meters) + " meters", kCodeTooLarge);
    }
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < meters->size() && !r.failed(); ++i) {
      const auto& meter = (*meters)[i];
      if (!meter.is_string() || !follows_rule(meter.get_ref<const std::string&>(), kMeterIdRule)) {
        r.fail(json_pointer_child(path, i), "must be a meter id: " + describe_rule(kMeterIdRule));
      } else if (!seen.insert(meter.get_ref<const std::string&>()).second) {
        r.fail(json_pointer_child(path, i), "meter listed twice");
      } else {
        spec.meters.push_back(meter.get<std::string>());
      }
    }
    if (!r.failed() && spec.mode == BillingMode::kMeter && spec.meters.size() != 1) {
      r.fail(path, "an account in meter billing mode has exactly one meter");
    }
  }
  spec.thresholds = read_opening_thresholds(r, limits);
  if (auto balance = read_level(r, "opening_balance", false, false, limits)) {
    spec.opening_balance = *balance;  // may be negative: a debt carried over
  }
  opening.tariff = read_given_tariff(r, spec.mode == BillingMode::kGateway);
  return opening;
}

// An engine parser's error, "<pointer>: <reason>" (engine/json_fields.h), at its place in
// the command.
void fail_with(JsonObjectReader& r, const Error& error) {
  const std::string& message = error.message;
  const std::size_t colon = message.find(": ");
  if (colon != std::string::npos && (colon == 0 || message[0] == '/')) {
    return r.fail(r.path() + message.substr(0, colon), message.substr(colon + 2));
  }
  r.fail(r.path(), message);
}

// set_load_limits and set_schedule: `{"clear": true}` is none; anything else is read by the
// engine's own parser, once, here.
template <typename T>
std::optional<T> read_meter_control(JsonObjectReader& r, const nlohmann::json& args,
                                    Result<T> (*parse)(const nlohmann::json&)) {
  if (args.empty()) {
    r.fail(r.path(), "must not be empty");
    return std::nullopt;
  }
  if (is_clear_request(args)) return std::nullopt;
  Result<T> parsed = parse(args);
  if (!parsed) {
    fail_with(r, parsed.error());
    return std::nullopt;
  }
  return std::move(parsed.value());
}

}  // namespace

Checked<CommandArgs> parse_args(CommandOp op, const nlohmann::json& args, const std::string& path,
                                const ParseLimits& limits) {
  JsonObjectReader r(args, path);
  CommandArgs parsed = RelayArgs{};
  bool strict = true;  // typed args refuse members they do not know
  switch (op) {
    case CommandOp::kRecharge:
    case CommandOp::kRefund:
      parsed = read_payment(r, limits);
      break;
    case CommandOp::kSetThresholds:
      parsed = read_thresholds(r, limits);
      break;
    case CommandOp::kRelayOpen:
    case CommandOp::kRelayClose:
      parsed = RelayArgs{};
      break;
    case CommandOp::kQuery:
      parsed = read_query(r, limits);
      break;
    case CommandOp::kStats:
      parsed = read_stats(r);
      break;
    case CommandOp::kSetTariff:
      parsed = read_tariff(r);
      break;
    case CommandOp::kCancel:
    case CommandOp::kGetResult:
      parsed = CommandRefArgs{r.name("command_id", kCommandIdRule, true).value_or("")};
      break;
    case CommandOp::kSetLoadLimits:
      parsed = LoadLimitsArgs{read_meter_control(r, args, &parse_load_limits_order)};
      strict = false;  // the limits' reader names members it does not know
      break;
    case CommandOp::kSetSchedule:
      parsed = ScheduleArgs{read_meter_control(r, args, &parse_supply_schedule)};
      strict = false;
      break;
    case CommandOp::kOpenAccount:
      parsed = read_opening(r, limits);
      break;
    case CommandOp::kCloseAccount:
      parsed = CloseAccountArgs{};
      break;
    case CommandOp::kAssignMeter:
      parsed = AssignMeterArgs{r.name("account", kAccountIdRule, true).value_or("")};
      break;
    case CommandOp::kBatch:
      r.fail(path, "batch args are read by the operation parser");
      break;
  }
  if (strict) r.finish();
  if (r.failed()) return r.error();
  return parsed;
}

}  // namespace meterd
