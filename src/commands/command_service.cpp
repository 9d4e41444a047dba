// SPDX-License-Identifier: Apache-2.0
#include "commands/command_service.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

#include "commands/command_log.h"
#include "core/json_text.h"
#include "store/command_journal.h"

namespace meterd {
namespace {

nlohmann::json result_head(const std::string& id, const std::string& op, const std::string& state) {
  return nlohmann::json{{"id", id}, {"op", op}, {"state", state}};
}

nlohmann::json error_json(const CommandError& error) {
  return nlohmann::json{{"code", error.code}, {"path", error.path}, {"message", error.message}};
}

std::optional<std::int64_t> run_at_of(const Command& command) {
  if (const auto* batch = std::get_if<BatchArgs>(&command.args)) return batch->run_at;
  return std::nullopt;
}

}  // namespace

CommandService::CommandService(Store& store, const Clock& clock, Engine& engine,
                               LiveReadPort& reads, MeterDirectory meters, CommandSettings settings,
                               Post post)
    : store_(store),
      clock_(clock),
      meters_(std::move(meters)),
      runner_(engine, reads, meters_),
      settings_(std::move(settings)),
      post_(std::move(post)) {}

CommandService::~CommandService() = default;

std::function<void()> CommandService::later(std::function<void()> fn) const {
  return [post = post_, life = std::weak_ptr<char>(life_), fn = std::move(fn)]() mutable {
    post([life, fn = std::move(fn)] {
      if (!life.expired()) fn();
    });
  };
}

void CommandService::start() {
  std::vector<JournalEntry> journal;
  Status status = store_.read_state([&](SqliteDb& db) { return journal_load(db, journal); });
  if (!status)
    throw std::runtime_error("commands: cannot load the journal: " + status.error().message);
  for (JournalEntry& entry : journal) {
    known_[entry.id] = Known{entry.state, entry.result, 0, entry.operator_id};
    if (entry.state != "accepted" && entry.state != "scheduled") continue;
    ParsedCommand parsed = parse_command(entry.payload, settings_.limits);
    if (!parsed.ok()) {
      spdlog::error("commands: journaled command {} no longer parses: {}", entry.id,
                    parsed.error().message);
      finish_with(entry.id, entry.op, "failed",
                  nlohmann::json{{"error", error_json(parsed.error())}});
      continue;
    }
    if (entry.state == "scheduled" && entry.run_at_ms) {
      scheduled_[entry.id] = Scheduled{parsed.command(), entry.operator_id, *entry.run_at_ms};
      continue;
    }
    spdlog::info("commands: resuming {} ({}) after a restart", entry.id, entry.op);
    execute_or_fail(parsed.command(), entry.operator_id);
  }
  if (!scheduled_.empty())
    spdlog::info("commands: {} scheduled batches pending", scheduled_.size());
}

void CommandService::stop() { stopped_ = true; }

void CommandService::on_message(const std::string& payload, const std::string& operator_id) {
  ++stats_.received;
  if (stopped_) return;  // not acknowledged with a result: the cloud sends it again
  ParsedCommand parsed = parse_command(payload, settings_.limits);
  if (parsed.id) {
    if (auto known = known_.find(*parsed.id); known != known_.end()) {
      ++stats_.duplicates;
      if (known->second.result.empty()) {
        ++known->second.waiting_copies;
      } else {
        publish(known->second.result);
      }
      return;
    }
  }
  if (!parsed.ok()) return refuse(parsed, parsed.error());
  if (settings_.key && !operator_id.starts_with("local:")) {
    nlohmann::json json = nlohmann::json::parse(payload, nullptr, false);
    if (std::optional<CommandError> error =
            verify_command(json, *settings_.key, clock_.wall_now(), settings_.window)) {
      return refuse(parsed, *error);
    }
  }
  accept(parsed.command(), payload, operator_id);
}

void CommandService::refuse(const ParsedCommand& parsed, const CommandError& error) {
  ++stats_.rejected;
  const std::optional<std::string>& id = parsed.id;
  spdlog::warn("commands: refused {}: {} at '{}': {}", id.value_or("(no id)"), error.code,
               printable(error.path), printable(error.message));
  nlohmann::json details{{"code", error.code}, {"path", error.path}, {"message", error.message}};
  if (id) details["id"] = *id;
  if (parsed.op) details["op"] = *parsed.op;
  store_.append_event(Event{"command_rejected", "", clock_.wall_now(), json_text(details)});
  if (!id) return;
  nlohmann::json body{{"id", *id}, {"state", "failed"}, {"error", error_json(error)}};
  if (parsed.op) body["op"] = *parsed.op;
  publish(json_text(body));
}

void CommandService::accept(Command command, const std::string& payload,
                            const std::string& operator_id) {
  ++stats_.accepted;
  const std::int64_t now_ms = to_unix_ms(clock_.wall_now());
  const std::optional<std::int64_t> run_at = run_at_of(command);
  const bool later_run = run_at && *run_at > now_ms;
  JournalEntry entry{command.id,
                     to_string(command.op),
                     payload,
                     operator_id,
                     now_ms,
                     later_run ? run_at : std::nullopt,
                     later_run ? "scheduled" : "accepted",
                     ""};
  known_[command.id] = Known{entry.state, "", 0, operator_id};
  nlohmann::json body = result_head(command.id, entry.op, entry.state);
  if (later_run) body["run_at"] = *run_at;
  StateWrite write;
  write.urgent = true;  // the cloud waits for this result
  write.apply = [entry](SqliteDb& db) { return journal_insert(db, entry); };
  write.rows.push_back({OutboxKind::kResult, "", clock_.wall_now(), json_text(body)});
  if (later_run) {
    scheduled_[command.id] = Scheduled{command, operator_id, *run_at};
  } else {
    // Only once the journal holds it does it run: a crash before that loses nothing the
    // cloud was told about (no result yet), a crash after resumes it.
    write.committed = later([this, command = std::move(command), operator_id] {
      execute_or_fail(command, operator_id);
    });
  }
  observe(write, std::move(body));
  store_.append_state(std::move(write));
}

// A journaled command that throws (a bug) must not stay `accepted`: it would run again at
// every start, and a start-up that throws would keep the daemon down. It fails, and its result
// and the journal say why.
void CommandService::execute_or_fail(const Command& command, const std::string& operator_id) {
  try {
    execute(command, operator_id);
  } catch (const std::exception& e) {
    spdlog::error("internal error executing command {}: {}", command.id, printable(e.what()));
    CommandError error{"internal", "", std::string("not executed: ") + printable(e.what())};
    finish_with(command.id, to_string(command.op), "failed",
                nlohmann::json{{"error", error_json(error)}});
  }
}

void CommandService::execute(const Command& command, const std::string& operator_id) {
  switch (command.op) {
    case CommandOp::kBatch:
      return run_batch(command, operator_id);
    case CommandOp::kCancel:
      return cancel(command);
    case CommandOp::kGetResult:
      return get_result(command);
    default:
      break;
  }
  BatchStep step{command.op, command.target, command.args};
  runner_.run(step, operator_id,
              [this, command, life = std::weak_ptr<char>(life_)](TargetResults results) {
                if (!life.expired()) finish(command, std::move(results));
              });
}

void CommandService::run_batch(const Command& command, const std::string& operator_id) {
  const auto& steps = std::get<BatchArgs>(command.args).steps;
  auto add = ResultGather::make(
      steps.size(), [this, command, life = std::weak_ptr<char>(life_)](TargetResults per_step) {
        if (life.expired()) return;
        TargetResults flat;
        for (std::size_t i = 0; i < per_step.size(); ++i) {
          for (auto& result : per_step[i]) {
            result["step"] = i;
            flat.push_back(std::move(result));
          }
        }
        finish(command, std::move(flat));
      });
  // Steps go out together: each bus runs its actions in the order they arrive, buses in
  // parallel, so a batch over many buses takes the time of its busiest bus.
  for (std::size_t i = 0; i < steps.size(); ++i) {
    runner_.run(steps[i], operator_id,
                [add, i](TargetResults results) { add(i, nlohmann::json(std::move(results))); });
  }
}

void CommandService::cancel(const Command& command) {
  const std::string& target = std::get<CommandRefArgs>(command.args).command_id;
  auto scheduled = scheduled_.find(target);
  if (scheduled == scheduled_.end()) {
    TargetResults results{target_failure(target, "not_cancellable",
                                         "no scheduled batch '" + target + "' is waiting")};
    return finish(command, std::move(results));
  }
  const Command batch = scheduled->second.command;
  scheduled_.erase(scheduled);
  finish_with(batch.id, to_string(batch.op), "cancelled",
              nlohmann::json{{"cancelled_by", command.id}});
  finish(command, {nlohmann::json{{"target", target}, {"ok", true}}});
}

void CommandService::get_result(const Command& command) {
  const std::string& target = std::get<CommandRefArgs>(command.args).command_id;
  auto known = known_.find(target);
  if (known == known_.end()) {
    return finish(command,
                  {target_failure(target, "unknown_command", "no command '" + target + "'")});
  }
  nlohmann::json out{{"target", target}, {"ok", true}, {"state", known->second.state}};
  if (!known->second.result.empty()) {
    out["result"] = nlohmann::json::parse(known->second.result, nullptr, false);
  }
  finish(command, {std::move(out)});
}

void CommandService::finish(const Command& command, TargetResults results) {
  bool all_ok = true;
  for (const auto& result : results) all_ok = all_ok && result.value("ok", false);
  nlohmann::json body{{"results", std::move(results)}};
  finish_with(command.id, to_string(command.op), all_ok ? "done" : "failed", std::move(body));
}

void CommandService::finish_with(const std::string& id, const std::string& op,
                                 const std::string& state, nlohmann::json body) {
  if (state == "done") ++stats_.done;
  if (state == "failed") ++stats_.failed;
  nlohmann::json full = result_head(id, op, state);
  for (auto& [key, value] : body.items()) full[key] = value;
  const std::string text = json_text(full);
  Known& known = known_[id];
  const std::string line = command_log_line(id, op, known.operator_id, state, full);
  if (state == "done") {
    spdlog::info("{}", line);
  } else {
    spdlog::warn("{}", line);
  }
  const int copies = 1 + std::exchange(known.waiting_copies, 0);
  known.state = state;
  known.result = text;
  StateWrite write;
  write.urgent = true;  // the cloud waits for this result
  write.apply = [id, state, text, now = to_unix_ms(clock_.wall_now())](SqliteDb& db) {
    return journal_finish(db, id, state, text, now);
  };
  for (int i = 0; i < copies; ++i) {
    write.rows.push_back({OutboxKind::kResult, "", clock_.wall_now(), text});
  }
  observe(write, std::move(full));
  store_.append_state(std::move(write));
}

void CommandService::publish(const std::string& body) {
  StateWrite write;
  write.urgent = true;
  write.rows.push_back({OutboxKind::kResult, "", clock_.wall_now(), body});
  if (observer_) observe(write, nlohmann::json::parse(body, nullptr, false));
  store_.append_state(std::move(write));
}

void CommandService::observe(StateWrite& write, nlohmann::json body) {
  if (!observer_ || !body.is_object()) return;
  auto notify = later([this, body = std::move(body)] {
    if (observer_) observer_(body.value("id", ""), body);
  });
  write.committed = [then = std::move(write.committed), notify = std::move(notify)] {
    if (then) then();
    notify();
  };
}

void CommandService::on_tick() {
  if (stopped_) return;
  const std::int64_t now_ms = to_unix_ms(clock_.wall_now());
  std::vector<Scheduled> due;
  for (auto it = scheduled_.begin(); it != scheduled_.end();) {
    if (it->second.run_at_ms <= now_ms) {
      due.push_back(std::move(it->second));
      it = scheduled_.erase(it);
    } else {
      ++it;
    }
  }
  for (const Scheduled& batch : due) {
    spdlog::info("commands: scheduled batch {} runs now", batch.command.id);
    known_[batch.command.id].state = "accepted";
    execute_or_fail(batch.command, batch.operator_id);
  }
}

}  // namespace meterd
