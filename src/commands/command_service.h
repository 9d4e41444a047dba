// SPDX-License-Identifier: Apache-2.0
// The command intake: a payload from `cmd` (or a local technician) is size-checked, parsed,
// authenticated when a key is configured, deduplicated by id, written to the journal, and only
// once that is durable executed; every command ends in a result on `cmd/result`, sent through
// the outbox (accepted/scheduled first, then done/failed/cancelled). A repeated id executes
// nothing and gets the stored result again. Batches run their steps over their targets, now or
// at `run_at` (persisted: a restart keeps the schedule). Loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "commands/command_auth.h"
#include "commands/command_parser.h"
#include "commands/meter_directory.h"
#include "commands/step_runner.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "store/store.h"

namespace meterd {

struct CommandSettings {
  std::optional<HmacKey> key;    // set: every command must be signed
  Millis window{5 * 60 * 1000};  // issued_at within this of now (when signed)
  ParseLimits limits;
};

struct CommandStats {
  std::int64_t received = 0;
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;
  std::int64_t rejected = 0;  // refused before the journal (malformed, invalid, unsigned ...)
  std::int64_t done = 0;
  std::int64_t failed = 0;
};

class CommandService {
 public:
  using Post = std::function<void(std::function<void()>)>;

  CommandService(Store& store, const Clock& clock, Engine& engine, LiveReadPort& reads,
                 MeterDirectory meters, CommandSettings settings, Post post);
  ~CommandService();

  // Loads the journal: known ids, commands to resume (accepted but not finished before a
  // stop or crash) and scheduled batches. Throws std::runtime_error if the store can't be read.
  void start();
  void stop();
  // `operator_id`: "cloud" for MQTT, "local:<name>" for the technician's CLI. Local commands
  // skip the HMAC check: the control socket's permissions and peer credentials vouch for them.
  void on_message(const std::string& payload, const std::string& operator_id = "cloud");
  // Sees every result body once the store has committed it (accepted/scheduled, then the final
  // done/failed/cancelled, and the stored result again for a repeated id). Loop thread.
  using ResultObserver = std::function<void(const std::string& id, const nlohmann::json& body)>;
  void set_result_observer(ResultObserver observer) { observer_ = std::move(observer); }
  // Runs scheduled batches that are due.
  void on_tick();
  const CommandStats& stats() const { return stats_; }

 private:
  struct Known {
    std::string state;
    std::string result;       // the final body, once finished
    int waiting_copies = 0;   // repeats that arrived before it finished: each gets the result
    std::string operator_id;  // who asked: "cloud", "local:tech1"
  };
  struct Scheduled {
    Command command;
    std::string operator_id;
    std::int64_t run_at_ms = 0;
  };

  void refuse(const ParsedCommand& parsed, const CommandError& error);
  void accept(Command command, const std::string& payload, const std::string& operator_id);
  void execute_or_fail(const Command& command, const std::string& operator_id);
  void execute(const Command& command, const std::string& operator_id);
  void run_batch(const Command& command, const std::string& operator_id);
  void cancel(const Command& command);
  void get_result(const Command& command);
  void finish(const Command& command, TargetResults results);
  void finish_with(const std::string& id, const std::string& op, const std::string& state,
                   nlohmann::json body);
  void publish(const std::string& body);
  void observe(StateWrite& write, nlohmann::json body);
  std::function<void()> later(std::function<void()> fn) const;

  Store& store_;
  const Clock& clock_;
  MeterDirectory meters_;
  StepRunner runner_;
  const CommandSettings settings_;
  const Post post_;
  bool stopped_ = false;
  std::map<std::string, Known> known_;
  std::map<std::string, Scheduled> scheduled_;
  CommandStats stats_;
  ResultObserver observer_;
  std::shared_ptr<char> life_ = std::make_shared<char>();
};

}  // namespace meterd
