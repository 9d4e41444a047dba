// SPDX-License-Identifier: Apache-2.0
#include "commands/step_runner.h"

#include <memory>
#include <set>

#include "core/money.h"

namespace meterd {
namespace {

nlohmann::json values_json(const MeterReading& reading) {
  nlohmann::json values = nlohmann::json::object();
  for (const PointValue& value : reading.values) {
    std::visit([&](const auto& v) { values[value.name] = v; }, value.value);
  }
  return values;
}

const char* error_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTimeout:
      return "meter_timeout";
    case ErrorKind::kRejected:
      return "rejected";
    case ErrorKind::kNotSupported:
      return "not_supported";
    case ErrorKind::kInvalidArgument:
      return "invalid";
    case ErrorKind::kBusError:
      return "bus_error";
    default:
      return "meter_error";
  }
}

}  // namespace

nlohmann::json target_failure(const std::string& target, const std::string& code,
                              const std::string& message) {
  return nlohmann::json{{"target", target}, {"ok", false}, {"code", code}, {"message", message}};
}

nlohmann::json admin_result(const std::string& target, const AdminOutcome& outcome) {
  if (!outcome.ok) return target_failure(target, outcome.code, outcome.message);
  nlohmann::json result{{"target", target}, {"ok", true}};
  if (const auto& write = outcome.meter_write) {
    nlohmann::json meter{{"action", write->action}, {"ok", !write->error}};
    if (write->error) {
      meter["code"] = error_code(write->error->kind);
      meter["message"] = write->error->message;
    }
    result["meter"] = std::move(meter);
  }
  return result;
}

std::function<void(std::size_t, nlohmann::json)> ResultGather::make(
    std::size_t count, std::function<void(TargetResults)> done) {
  struct State {
    TargetResults results;
    std::size_t left;
    std::function<void(TargetResults)> done;
  };
  auto state = std::make_shared<State>(State{TargetResults(count), count, std::move(done)});
  if (count == 0) {
    state->done({});
    return [](std::size_t, const nlohmann::json&) {};
  }
  return [state](std::size_t index, nlohmann::json result) {
    state->results[index] = std::move(result);
    if (--state->left == 0) state->done(std::move(state->results));
  };
}

void StepRunner::run(const BatchStep& step, const std::string& who,
                     std::function<void(TargetResults)> done) {
  switch (step.op) {
    case CommandOp::kRecharge:
    case CommandOp::kRefund:
      return run_payment(step, who, std::move(done));
    case CommandOp::kRelayOpen:
    case CommandOp::kRelayClose:
      return run_relay(step, std::move(done));
    case CommandOp::kQuery:
      return run_query(step, std::move(done));
    case CommandOp::kStats:
      return run_stats(step, done);
    case CommandOp::kSetTariff:
    case CommandOp::kSetThresholds:
    case CommandOp::kOpenAccount:
    case CommandOp::kCloseAccount:
    case CommandOp::kAssignMeter:
      return run_account_op(step, std::move(done));
    case CommandOp::kSetLoadLimits:
    case CommandOp::kSetSchedule:
      return run_meter_control(step, std::move(done));
    case CommandOp::kBatch:
    case CommandOp::kCancel:
    case CommandOp::kGetResult:
      return done({target_failure("", "invalid", "not a step")});
  }
}

void StepRunner::run_payment(const BatchStep& step, const std::string& who,
                             std::function<void(TargetResults)> done) {
  const auto& target = std::get<AccountTarget>(step.target);
  const auto& args = std::get<PaymentArgs>(step.args);
  MoneyOrder order{args.order_id, target.account, args.amount, who};
  auto answer = [account = target.account, done = std::move(done)](MoneyOutcome outcome) {
    if (!outcome.ok) return done({target_failure(account, outcome.code, outcome.message)});
    done({nlohmann::json{{"target", account},
                         {"ok", true},
                         {"amount", format_money(outcome.amount)},
                         {"balance_after", format_money(outcome.balance_after)},
                         {"order_applied_before", outcome.duplicate}}});
  };
  if (step.op == CommandOp::kRecharge) {
    engine_.recharge(order, std::move(answer));
  } else {
    engine_.refund(order, std::move(answer));
  }
}

void StepRunner::for_each_meter(const CommandTarget& target,
                                std::function<void(TargetResults)> done, const StartStep& start) {
  const std::vector<std::string> meters = meters_.resolve(target);
  auto add = ResultGather::make(meters.size(), std::move(done));
  for (std::size_t i = 0; i < meters.size(); ++i) {
    const std::string& meter = meters[i];
    if (!meters_.has(meter)) {
      add(i, target_failure(meter, "unknown_meter", "no meter '" + meter + "' on this gateway"));
      continue;
    }
    start(meter, [add, i](nlohmann::json result) { add(i, std::move(result)); });
  }
}

void StepRunner::run_per_meter(const CommandTarget& target, std::function<void(TargetResults)> done,
                               const StartRead& start, bool with_point_errors) {
  for_each_meter(target, std::move(done),
                 [&start, with_point_errors](const std::string& meter,
                                             const std::function<void(nlohmann::json)>& add) {
                   start(meter, [meter, add, with_point_errors](Result<MeterReading> result) {
                     if (!result) {
                       return add(target_failure(meter, error_code(result.error().kind),
                                                 result.error().message));
                     }
                     nlohmann::json out{
                         {"target", meter}, {"ok", true}, {"values", values_json(result.value())}};
                     if (with_point_errors && !result.value().errors.empty()) {
                       nlohmann::json errors = nlohmann::json::object();
                       std::string unpolled;
                       for (const PointError& e : result.value().errors) {
                         errors[e.name] = e.error.message;
                         if (e.error.kind == ErrorKind::kNotSupported) {
                           unpolled += (unpolled.empty() ? "'" : ", '") + e.name + "'";
                         }
                       }
                       out["errors"] = errors;
                       // A point the meter's profile does not poll is a mistake of the asker (a
                       // typo, the wrong meter), not a reading: the target fails, with the values
                       // it did read.
                       if (!unpolled.empty()) {
                         out["ok"] = false;
                         out["code"] = "unknown_point";
                         out["message"] =
                             "not polled on this meter (not in its profile): " + unpolled;
                       }
                     }
                     add(std::move(out));
                   });
                 });
}

void StepRunner::run_relay(const BatchStep& step, std::function<void(TargetResults)> done) {
  const bool close = step.op == CommandOp::kRelayClose;
  run_per_meter(
      step.target, std::move(done),
      [this, close](const std::string& meter, std::function<void(Result<MeterReading>)> answer) {
        engine_.command_relay(meter, close, std::move(answer));
      },
      /*with_point_errors=*/false);
}

void StepRunner::run_query(const BatchStep& step, std::function<void(TargetResults)> done) {
  const std::vector<std::string> points = std::get<QueryArgs>(step.args).points;
  run_per_meter(
      step.target, std::move(done),
      [this, points](const std::string& meter, std::function<void(Result<MeterReading>)> answer) {
        reads_.read(meter, points, std::move(answer));
      },
      /*with_point_errors=*/true);
}

void StepRunner::run_meter_control(const BatchStep& step, std::function<void(TargetResults)> done) {
  for_each_meter(
      step.target, std::move(done),
      [this, &step](const std::string& meter, const std::function<void(nlohmann::json)>& add) {
        auto answer = [meter, add](const AdminOutcome& outcome) {
          add(admin_result(meter, outcome));
        };
        if (const auto* limits = std::get_if<LoadLimitsArgs>(&step.args)) {
          engine_.set_load_limits(meter, limits->set, std::move(answer));
        } else {
          engine_.set_schedule(meter, std::get<ScheduleArgs>(step.args).set, std::move(answer));
        }
      });
}

std::vector<std::string> StepRunner::accounts_of(const CommandTarget& target,
                                                 TargetResults& failures) const {
  if (const auto* account = std::get_if<AccountTarget>(&target)) return {account->account};
  std::vector<std::string> accounts;
  std::set<std::string> seen;
  for (const std::string& meter : meters_.resolve(target)) {
    const MeterRuntime* runtime = engine_.meter(meter);
    if (!runtime) {
      failures.push_back(
          target_failure(meter, "unknown_meter", "meter '" + meter + "' has no account"));
      continue;
    }
    if (seen.insert(runtime->account_id).second) accounts.push_back(runtime->account_id);
  }
  return accounts;
}

}  // namespace meterd
