// SPDX-License-Identifier: Apache-2.0
// A command from the cloud after validation: the op, whom it addresses, and its arguments,
// read once into types (money, thresholds, tariffs, accounts, load limits, schedules, ...).
// Pure value types; no I/O.
// The wire format is described in docs/commands.md.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/money.h"
#include "engine/billing_config.h"
#include "engine/load_limits.h"
#include "engine/supply_schedule.h"
#include "engine/tariff.h"
#include "engine/usage_rollup.h"

namespace meterd {

enum class CommandOp {
  kRecharge,
  kRefund,
  kRelayOpen,
  kRelayClose,
  kSetTariff,
  kSetThresholds,
  kSetLoadLimits,
  kSetSchedule,
  kOpenAccount,
  kCloseAccount,
  kAssignMeter,
  kQuery,
  kStats,
  kBatch,
  kCancel,
  kGetResult,
};

// The wire name: "recharge", "relay_open", ...
const char* to_string(CommandOp op);
// The op named `name`, or nullopt for a name that is not an op.
std::optional<CommandOp> command_op_from_string(std::string_view name);

// Whom a command addresses. Exactly one form on the wire: "meter", "account", "meters" or
// "select"; NoTarget for ops that address nobody (batch of explicit ops, cancel, get_result).
struct NoTarget {
  friend bool operator==(const NoTarget&, const NoTarget&) = default;
};
struct MeterTarget {
  std::string meter;
  friend bool operator==(const MeterTarget&, const MeterTarget&) = default;
};
struct AccountTarget {
  std::string account;
  friend bool operator==(const AccountTarget&, const AccountTarget&) = default;
};
struct MeterListTarget {
  std::vector<std::string> meters;  // non-empty, no duplicates, in the order sent
  friend bool operator==(const MeterListTarget&, const MeterListTarget&) = default;
};
struct TagSelector {
  std::map<std::string, std::string> tags;  // a meter matches when it has every tag
  friend bool operator==(const TagSelector&, const TagSelector&) = default;
};
using CommandTarget =
    std::variant<NoTarget, MeterTarget, AccountTarget, MeterListTarget, TagSelector>;

// recharge and refund: money onto or off an account, once per order.
struct PaymentArgs {
  std::string order_id;
  Money amount;  // > 0
};

// set_thresholds: alarm levels on the balance; low_1 >= low_2 >= cut_off.
struct ThresholdArgs {
  Money low_1;
  Money low_2;
  Money cut_off;
  std::optional<Money> hysteresis;    // >= 0
  std::optional<Money> credit_limit;  // >= 0
};

// relay_open and relay_close take no arguments.
struct RelayArgs {};

// query: a live read of these points.
struct QueryArgs {
  std::vector<std::string> points;  // non-empty
};

// stats: the statistics rollups of a meter or an account over local periods `from`..`to`
// (keys as stored: yyyymmdd for days, yyyymm for months; from <= to, a bounded count), and
// optionally the same range a month (mom) or a year (yoy) before, to compare with.
enum class StatsCompare { kNone, kMonthOnMonth, kYearOnYear };
struct StatsArgs {
  UsageGranularity granularity = UsageGranularity::kDay;
  std::int32_t from = 0;
  std::int32_t to = 0;
  StatsCompare compare = StatsCompare::kNone;
};
// The most periods one stats request covers: the retention the store keeps by default.
inline constexpr int kMaxStatsDays = 400;
inline constexpr int kMaxStatsMonths = 36;
// The most meters a stats `select` target sums (a building of a large site, with room).
inline constexpr std::size_t kMaxStatsMeters = 5000;

// A tariff in a command, read at intake the way a site file's tariff is read, and its JSON as
// sent (stored with the change).
struct GivenTariff {
  std::string json;
  Tariff tariff;
};

// set_tariff: an account's new tariff, now or from a time.
struct TariffArgs {
  GivenTariff tariff;
  std::optional<std::int64_t> effective_from;  // unix ms
};

// cancel and get_result: the command they are about.
struct CommandRefArgs {
  std::string command_id;
};

// set_load_limits: the limits, read once here; none for `{"clear": true}`.
struct LoadLimitsArgs {
  std::optional<LoadLimitsOrder> set;
};

// set_schedule: the schedule, read once here; none for `{"clear": true}`.
struct ScheduleArgs {
  std::optional<SupplySchedule> set;
};

// open_account: the account's terms, read at intake. The account id is the command's target
// and whether the meters are on this gateway is checked when it runs.
struct OpenAccountArgs {
  AccountSpec spec;                   // spec.id and spec.tariff_id unused
  std::optional<GivenTariff> tariff;  // none: none (meter billing mode)
};

// close_account takes no arguments.
struct CloseAccountArgs {};

// assign_meter: the account the target meter moves to.
struct AssignMeterArgs {
  std::string account;
};

struct BatchStep;
// batch: explicit steps, or one op over the batch's own target (then one step whose target is
// the batch's). Steps are never batch, cancel or get_result.
struct BatchArgs {
  std::vector<BatchStep> steps;
  std::optional<std::int64_t> run_at;  // unix ms; now when absent
};

using CommandArgs = std::variant<PaymentArgs, ThresholdArgs, RelayArgs, QueryArgs, TariffArgs,
                                 CommandRefArgs, LoadLimitsArgs, ScheduleArgs, OpenAccountArgs,
                                 CloseAccountArgs, AssignMeterArgs, BatchArgs, StatsArgs>;

// One operation of a batch: a command without id, issued_at or sig.
struct BatchStep {
  CommandOp op = CommandOp::kQuery;
  CommandTarget target;
  CommandArgs args;
};

struct Command {
  std::string id;  // 1..64 of [A-Za-z0-9._:-]
  CommandOp op = CommandOp::kQuery;
  CommandTarget target;
  CommandArgs args;
  std::int64_t issued_at = 0;      // unix ms
  std::optional<std::string> sig;  // hex HMAC-SHA256, checked by verify_command
};

// Why a command was refused. `code` is one of the kCode* values; `path` is a JSON pointer
// (RFC 6901) to the offending member ("" for the whole payload, "/args/amount").
struct CommandError {
  std::string code;
  std::string path;
  std::string message;
};

inline constexpr std::string_view kCodeMalformed = "malformed";  // not JSON / not an object
inline constexpr std::string_view kCodeInvalid = "invalid";      // schema or range
inline constexpr std::string_view kCodeUnknownOp = "unknown_op";
inline constexpr std::string_view kCodeTooLarge = "too_large";  // size, nesting, list length
inline constexpr std::string_view kCodeUnauthenticated = "unauthenticated";
inline constexpr std::string_view kCodeExpired = "expired";

}  // namespace meterd
