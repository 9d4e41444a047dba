// SPDX-License-Identifier: Apache-2.0
#include "commands/command_target.h"

#include <array>
#include <set>
#include <string_view>

namespace meterd {
namespace {

enum TargetForm : unsigned {
  kNone = 1u << 0,
  kMeter = 1u << 1,
  kAccount = 1u << 2,
  kMeters = 1u << 3,
  kSelect = 1u << 4,
};

constexpr std::size_t kMaxSelectorTags = 32;

unsigned accepted_forms(CommandOp op) {
  switch (op) {
    case CommandOp::kRecharge:
    case CommandOp::kRefund:
    case CommandOp::kSetThresholds:
    case CommandOp::kOpenAccount:
    case CommandOp::kCloseAccount:
      return kAccount;
    case CommandOp::kAssignMeter:
      return kMeter;
    case CommandOp::kRelayOpen:
    case CommandOp::kRelayClose:
    case CommandOp::kSetLoadLimits:
    case CommandOp::kSetSchedule:
      return kMeter | kMeters | kSelect;
    case CommandOp::kSetTariff:
      return kAccount | kMeter | kMeters | kSelect;
    case CommandOp::kQuery:
      return kMeter | kMeters;
    case CommandOp::kStats:
      return kMeter | kAccount | kSelect;
    case CommandOp::kBatch:
      return kNone | kMeters | kSelect;
    case CommandOp::kCancel:
    case CommandOp::kGetResult:
      return kNone;
  }
  return 0;
}

unsigned form_of(const CommandTarget& target) {
  // Same order as the CommandTarget alternatives.
  constexpr std::array<unsigned, 5> kForms{kNone, kMeter, kAccount, kMeters, kSelect};
  return kForms[target.index()];
}

MeterListTarget read_meter_list(const nlohmann::json& list, const std::string& path,
                                const ParseLimits& limits, JsonObjectReader& reader) {
  MeterListTarget target;
  if (list.empty()) {
    reader.fail(path, "must list at least one meter");
    return target;
  }
  if (list.size() > limits.max_meters) {
    reader.fail(path, "more than " + std::to_string(limits.max_meters) + " meters", kCodeTooLarge);
    return target;
  }
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& item = list[i];
    const std::string item_path = json_pointer_child(path, i);
    if (!item.is_string() || !follows_rule(item.get_ref<const std::string&>(), kMeterIdRule)) {
      reader.fail(item_path, "must be a meter id: " + describe_rule(kMeterIdRule));
      return target;
    }
    if (!seen.insert(item.get_ref<const std::string&>()).second) {
      reader.fail(item_path, "meter listed twice");
      return target;
    }
    target.meters.push_back(item.get<std::string>());
  }
  return target;
}

TagSelector read_selector(const nlohmann::json& select, const std::string& path,
                          JsonObjectReader& parent) {
  TagSelector selector;
  JsonObjectReader reader(select, path);
  const nlohmann::json* tags = reader.object("tags", true);
  reader.finish();
  if (reader.failed()) {
    parent.fail(reader.error().path, reader.error().message, reader.error().code);
    return selector;
  }
  const std::string tags_path = reader.member_path("tags");
  // An empty selector would match every meter: too easy to send by mistake.
  if (tags->empty()) {
    parent.fail(tags_path, "must name at least one tag");
    return selector;
  }
  if (tags->size() > kMaxSelectorTags) {
    parent.fail(tags_path, "more than " + std::to_string(kMaxSelectorTags) + " tags",
                kCodeTooLarge);
    return selector;
  }
  for (const auto& [key, value] : tags->items()) {
    const std::string tag_path = json_pointer_child(tags_path, key);
    if (!follows_rule(key, kTagKeyRule)) {
      parent.fail(tag_path, "tag names are " + describe_rule(kTagKeyRule));
      return selector;
    }
    if (!value.is_string() || !follows_rule(value.get_ref<const std::string&>(), kTagValueRule)) {
      parent.fail(tag_path, "tag values are strings of " + describe_rule(kTagValueRule));
      return selector;
    }
    selector.tags.emplace(key, value.get<std::string>());
  }
  return selector;
}

}  // namespace

CommandTarget read_target(JsonObjectReader& reader, const ParseLimits& limits) {
  constexpr std::array<std::string_view, 4> kTargetKeys{"meter", "account", "meters", "select"};
  std::string_view present;
  for (std::string_view key : kTargetKeys) {
    if (reader.any(key) == nullptr) continue;
    if (!present.empty()) {
      reader.fail(reader.member_path(key),
                  "only one target allowed, and '" + std::string(present) + "' is already given");
      return NoTarget{};
    }
    present = key;
  }
  if (present == "meter") {
    if (auto meter = reader.name("meter", kMeterIdRule, true)) return MeterTarget{*meter};
  } else if (present == "account") {
    if (auto account = reader.name("account", kAccountIdRule, true)) return AccountTarget{*account};
  } else if (present == "meters") {
    if (const auto* list = reader.array("meters", true)) {
      return read_meter_list(*list, reader.member_path("meters"), limits, reader);
    }
  } else if (present == "select") {
    if (const auto* select = reader.object("select", true)) {
      return read_selector(*select, reader.member_path("select"), reader);
    }
  }
  return NoTarget{};
}

bool op_accepts_target(CommandOp op, const CommandTarget& target) {
  return (accepted_forms(op) & form_of(target)) != 0;
}

std::string describe_accepted_targets(CommandOp op) {
  const unsigned forms = accepted_forms(op);
  if (forms == kNone) return "no target";
  std::string out;
  constexpr std::array<std::pair<unsigned, std::string_view>, 4> kNames{
      {{kMeter, "meter"}, {kAccount, "account"}, {kMeters, "meters"}, {kSelect, "select"}}};
  for (const auto& [form, name] : kNames) {
    if ((forms & form) == 0) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  if (forms & kNone) out += " or none";
  return out;
}

}  // namespace meterd
