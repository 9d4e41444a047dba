// SPDX-License-Identifier: Apache-2.0
#include "commands/command.h"

#include <array>
#include <utility>

namespace meterd {
namespace {

constexpr std::array<std::pair<CommandOp, std::string_view>, 16> kOpNames{{
    {CommandOp::kRecharge, "recharge"},
    {CommandOp::kRefund, "refund"},
    {CommandOp::kRelayOpen, "relay_open"},
    {CommandOp::kRelayClose, "relay_close"},
    {CommandOp::kSetTariff, "set_tariff"},
    {CommandOp::kSetThresholds, "set_thresholds"},
    {CommandOp::kSetLoadLimits, "set_load_limits"},
    {CommandOp::kSetSchedule, "set_schedule"},
    {CommandOp::kOpenAccount, "open_account"},
    {CommandOp::kCloseAccount, "close_account"},
    {CommandOp::kAssignMeter, "assign_meter"},
    {CommandOp::kQuery, "query"},
    {CommandOp::kStats, "stats"},
    {CommandOp::kBatch, "batch"},
    {CommandOp::kCancel, "cancel"},
    {CommandOp::kGetResult, "get_result"},
}};

}  // namespace

const char* to_string(CommandOp op) {
  for (const auto& [candidate, name] : kOpNames) {
    if (candidate == op) return name.data();  // literals: NUL-terminated
  }
  return "unknown";
}

std::optional<CommandOp> command_op_from_string(std::string_view name) {
  for (const auto& [op, candidate] : kOpNames) {
    if (candidate == name) return op;
  }
  return std::nullopt;
}

}  // namespace meterd
