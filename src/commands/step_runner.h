// SPDX-License-Identifier: Apache-2.0
// Runs one operation (a command, or one step of a batch) over its targets against the engine
// and the buses, and gathers one result per target. Loop thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/meter_directory.h"
#include "engine/engine.h"

namespace meterd {

// Live reads for `query`: fresh values of named points; `done` runs on the loop.
class LiveReadPort {
 public:
  virtual ~LiveReadPort() = default;
  virtual void read(const std::string& meter_id, std::vector<std::string> points,
                    std::function<void(Result<MeterReading>)> done) = 0;
};

// {"target": "m1", "ok": true, ...op-specific fields} or
// {"target": "m1", "ok": false, "code": "...", "message": "..."}
using TargetResults = std::vector<nlohmann::json>;

class StepRunner {
 public:
  StepRunner(Engine& engine, LiveReadPort& reads, const MeterDirectory& meters)
      : engine_(engine), reads_(reads), meters_(meters) {}

  // `who` is the operator recorded with money orders.
  void run(const BatchStep& step, const std::string& who, std::function<void(TargetResults)> done);

 private:
  void run_payment(const BatchStep& step, const std::string& who,
                   std::function<void(TargetResults)> done);
  void run_relay(const BatchStep& step, std::function<void(TargetResults)> done);
  void run_query(const BatchStep& step, std::function<void(TargetResults)> done);
  // stats: the rollups of one meter or account, or the sum of the meters a tag selector
  // matches (step_runner_stats.cpp). It reads the store and answers before it returns.
  void run_stats(const BatchStep& step, const std::function<void(TargetResults)>& done);
  // Starts one read or action per meter of `target` (unknown meters fail at once) and gathers
  // a result per meter: the values read (and, for reads, the per-point errors).
  using StartRead = std::function<void(const std::string& meter,
                                       std::function<void(Result<MeterReading>)> answer)>;
  // Resolves `target`: unknown meters fail at once; `start` runs for each known one and
  // passes its result to `add`. `done` gets every result once all are in.
  using StartStep =
      std::function<void(const std::string& meter, std::function<void(nlohmann::json)> add)>;
  void for_each_meter(const CommandTarget& target, std::function<void(TargetResults)> done,
                      const StartStep& start);
  void run_per_meter(const CommandTarget& target, std::function<void(TargetResults)> done,
                     const StartRead& start, bool with_point_errors);
  void run_account_op(const BatchStep& step, std::function<void(TargetResults)> done);
  // set_load_limits, set_schedule: per meter, into the engine.
  void run_meter_control(const BatchStep& step, std::function<void(TargetResults)> done);
  // The accounts a target names: an account, or the accounts of the meters named.
  std::vector<std::string> accounts_of(const CommandTarget& target, TargetResults& failures) const;

  Engine& engine_;
  LiveReadPort& reads_;
  const MeterDirectory& meters_;
};

// Calls `done` with every result once `count` of them have been added. Loop thread.
class ResultGather {
 public:
  static std::function<void(std::size_t, nlohmann::json)> make(
      std::size_t count, std::function<void(TargetResults)> done);
};

nlohmann::json target_failure(const std::string& target, const std::string& code,
                              const std::string& message);
// The result of an account or parameter change: ok, or its failure; with the meter's copy
// ("meter": {"action", "ok", "code", "message"}) for a meter-billed account.
nlohmann::json admin_result(const std::string& target, const AdminOutcome& outcome);

}  // namespace meterd
