// SPDX-License-Identifier: Apache-2.0
#include "commands/operation_parser.h"

#include <string>

#include "commands/command_args.h"
#include "commands/command_target.h"

namespace meterd {
namespace {

bool can_be_batch_step(CommandOp op) {
  return op != CommandOp::kBatch && op != CommandOp::kCancel && op != CommandOp::kGetResult;
}

// "op": required, a known op name; when `in_batch`, one a batch step can be.
std::optional<CommandOp> read_op(JsonObjectReader& r, bool in_batch) {
  const nlohmann::json* value = r.any("op");
  const std::string path = r.member_path("op");
  if (r.failed()) return std::nullopt;
  if (value == nullptr) {
    r.fail(path, "required");
    return std::nullopt;
  }
  if (!value->is_string()) {
    r.fail(path, "must be a string, not " + std::string(value->type_name()));
    return std::nullopt;
  }
  const auto& name = value->get_ref<const std::string&>();
  const auto op = command_op_from_string(name);
  if (!op) {
    r.fail(path, "no op '" + name + "'", kCodeUnknownOp);
  } else if (in_batch && !can_be_batch_step(*op)) {
    r.fail(path, "a batch step cannot be " + name);
  } else {
    return op;
  }
  return std::nullopt;
}

// Explicit steps: {"ops": [{"op":..., <target>, "args":{...}}, ...], "run_at": ms}.
void read_explicit_steps(JsonObjectReader& r, const nlohmann::json& ops, const ParseLimits& limits,
                         BatchArgs& batch) {
  const std::string path = r.member_path("ops");
  if (ops.empty()) return r.fail(path, "must list at least one operation");
  if (ops.size() > limits.max_batch_steps) {
    return r.fail(path, "more than " + std::to_string(limits.max_batch_steps) + " operations",
                  kCodeTooLarge);
  }
  batch.steps.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const std::string step_path = json_pointer_child(path, i);
    if (!ops[i].is_object()) {
      return r.fail(step_path, "must be an object, not " + std::string(ops[i].type_name()));
    }
    JsonObjectReader step_reader(ops[i], step_path);
    for (std::string_view envelope_only : {"id", "issued_at", "sig"}) {
      if (step_reader.any(envelope_only) != nullptr) {
        return r.fail(step_reader.member_path(envelope_only),
                      "a batch step has no " + std::string(envelope_only));
      }
    }
    auto step = parse_operation(step_reader, limits, true);
    if (const auto* error = std::get_if<CommandError>(&step)) {
      return r.fail(error->path, error->message, error->code);
    }
    step_reader.finish();
    if (step_reader.failed()) {
      const auto& e = step_reader.error();
      return r.fail(e.path, e.message, e.code);
    }
    batch.steps.push_back(std::move(std::get<BatchStep>(step)));
  }
}

// One op over the batch's own target: {"op": ..., "args": {...}, "run_at": ms}.
void read_single_op_over_target(JsonObjectReader& r, const CommandTarget& target,
                                const ParseLimits& limits, BatchArgs& batch) {
  BatchStep step;
  step.target = target;
  const auto op = read_op(r, true);
  if (!op) return;
  if (!op_accepts_target(*op, target)) {
    return r.fail(r.member_path("op"), std::string(to_string(*op)) +
                                           " cannot run over the batch's target; it takes " +
                                           describe_accepted_targets(*op));
  }
  step.op = *op;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json* args = r.object("args", false);
  if (r.failed()) return;
  auto parsed = parse_args(*op, args ? *args : empty, r.member_path("args"), limits);
  if (const auto* error = std::get_if<CommandError>(&parsed)) {
    return r.fail(error->path, error->message, error->code);
  }
  step.args = std::move(std::get<CommandArgs>(parsed));
  batch.steps.push_back(std::move(step));
}

BatchArgs read_batch(JsonObjectReader& r, const CommandTarget& target, const ParseLimits& limits) {
  BatchArgs batch;
  batch.run_at = r.unix_ms("run_at", false);
  const bool over_target = !std::holds_alternative<NoTarget>(target);
  if (over_target) {
    if (r.any("ops") != nullptr) {
      r.fail(r.member_path("ops"), "a batch over meters or select runs one 'op', not 'ops'");
      return batch;
    }
    read_single_op_over_target(r, target, limits, batch);
  } else {
    if (r.any("op") != nullptr) {
      r.fail(r.member_path("op"), "one 'op' needs a target (meters or select) on the batch");
      return batch;
    }
    if (const nlohmann::json* ops = r.array("ops", true)) {
      read_explicit_steps(r, *ops, limits, batch);
    }
  }
  r.finish();
  return batch;
}

}  // namespace

Checked<BatchStep> parse_operation(JsonObjectReader& reader, const ParseLimits& limits,
                                   bool in_batch) {
  BatchStep step;
  const auto op = read_op(reader, in_batch);
  CommandTarget target = read_target(reader, limits);
  const nlohmann::json* args_value = reader.object("args", false);
  if (reader.failed()) return reader.error();
  if (!op_accepts_target(*op, target)) {
    return CommandError{std::string(kCodeInvalid), reader.path(),
                        std::string(to_string(*op)) + " takes " + describe_accepted_targets(*op)};
  }
  step.op = *op;
  step.target = std::move(target);

  const std::string args_path = reader.member_path("args");
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& args = args_value ? *args_value : empty;
  if (*op == CommandOp::kBatch) {
    JsonObjectReader batch_reader(args, args_path);
    BatchArgs batch = read_batch(batch_reader, step.target, limits);
    if (batch_reader.failed()) return batch_reader.error();
    step.args = std::move(batch);
    return step;
  }
  auto parsed = parse_args(*op, args, args_path, limits);
  if (auto* error = std::get_if<CommandError>(&parsed)) return std::move(*error);
  step.args = std::move(std::get<CommandArgs>(parsed));
  return step;
}

}  // namespace meterd
