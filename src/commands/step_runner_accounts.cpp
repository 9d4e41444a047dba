// SPDX-License-Identifier: Apache-2.0
// The account and parameter ops of StepRunner: set_tariff, set_thresholds, open_account,
// close_account, assign_meter.
#include "commands/step_runner.h"
#include "config/tariff_json.h"
#include "core/json_text.h"

namespace meterd {
namespace {

// The thresholds of an open_account's args ("thresholds": {"low_1": "20", ...}); defaults for
// the ones not given. Error: the message.
Result<AlarmThresholds> thresholds_from(const nlohmann::json& json) {
  AlarmThresholds t;
  if (!json.is_object()) return t;
  for (auto [key, field] : {std::pair{"low_1", &t.low_1}, std::pair{"low_2", &t.low_2},
                            std::pair{"cut_off", &t.cut_off}, std::pair{"hysteresis", &t.hysteresis},
                            std::pair{"credit_limit", &t.credit_limit}}) {
    if (!json.contains(key)) continue;
    if (!json[key].is_string()) {
      return make_error(ErrorKind::kInvalidArgument, std::string("thresholds.") + key + " must be a string");
    }
    Result<Money> money = parse_money(json[key].get<std::string>());
    if (!money) return make_error(ErrorKind::kInvalidArgument, std::string("thresholds.") + key + ": " + money.error().message);
    *field = money.value();
  }
  if (!(t.low_1 >= t.low_2 && t.low_2 >= t.cut_off)) {
    return make_error(ErrorKind::kInvalidArgument, "thresholds must satisfy low_1 >= low_2 >= cut_off");
  }
  return t;
}

Result<AccountOpening> opening_from(const std::string& id, const nlohmann::json& args,
                                    const MeterDirectory& directory) {
  AccountOpening opening;
  AccountSpec& spec = opening.spec;
  spec.id = id;
  // Members of the wrong type are refused here: nlohmann's value() would throw on them.
  for (const char* key : {"name", "mode", "opening_balance"}) {
    if (args.contains(key) && !args[key].is_string()) {
      return make_error(ErrorKind::kInvalidArgument, std::string(key) + " must be a string");
    }
  }
  if (args.contains("thresholds") && !args["thresholds"].is_object()) {
    return make_error(ErrorKind::kInvalidArgument, "thresholds must be an object");
  }
  spec.name = args.value("name", id);
  const std::string mode = args.value("mode", "gateway");
  if (mode != "gateway" && mode != "meter") {
    return make_error(ErrorKind::kInvalidArgument, "mode must be gateway or meter");
  }
  spec.mode = mode == "meter" ? BillingMode::kMeter : BillingMode::kGateway;
  if (!args.contains("meters") || !args["meters"].is_array() || args["meters"].empty()) {
    return make_error(ErrorKind::kInvalidArgument, "meters: a non-empty list of meter ids");
  }
  for (const auto& meter : args["meters"]) {
    if (!meter.is_string() || !directory.has(meter.get<std::string>())) {
      return make_error(ErrorKind::kInvalidArgument, "meters: unknown meter " + json_text(meter));
    }
    spec.meters.push_back(meter.get<std::string>());
  }
  if (spec.mode == BillingMode::kMeter && spec.meters.size() != 1) {
    return make_error(ErrorKind::kInvalidArgument, "an account in meter billing mode has exactly one meter");
  }
  Result<AlarmThresholds> thresholds = thresholds_from(args.value("thresholds", nlohmann::json::object()));
  if (!thresholds) return thresholds.error();
  spec.thresholds = thresholds.value();
  if (args.contains("opening_balance")) {
    if (!args["opening_balance"].is_string()) {
      return make_error(ErrorKind::kInvalidArgument, "opening_balance must be a string");
    }
    Result<Money> balance = parse_money(args["opening_balance"].get<std::string>());
    if (!balance) return make_error(ErrorKind::kInvalidArgument, "opening_balance: " + balance.error().message);
    spec.opening_balance = balance.value();
  }
  if (args.contains("tariff")) opening.tariff = command_tariff(json_text(args["tariff"]));
  return opening;
}

}  // namespace

void StepRunner::run_account_op(const BatchStep& step, std::function<void(TargetResults)> done) {
  TargetResults failures;
  if (step.op == CommandOp::kSetTariff) {
    const auto& args = std::get<TariffArgs>(step.args);
    const std::vector<std::string> accounts = accounts_of(step.target, failures);
    auto add = ResultGather::make(accounts.size() + failures.size(), std::move(done));
    std::size_t i = 0;
    for (auto& failure : failures) add(i++, std::move(failure));
    std::optional<WallTime> effective;
    if (args.effective_from) effective = WallTime{} + std::chrono::milliseconds(*args.effective_from);
    for (const std::string& account : accounts) {
      auto answer = [account, add, index = i++](AdminOutcome outcome) {
        add(index, admin_result(account, outcome));
      };
      engine_.set_tariff(account, command_tariff(json_text(args.tariff)), effective,
                         std::move(answer));
    }
    return;
  }
  auto single = [done = std::move(done)](const std::string& target) {
    return [target, done](AdminOutcome outcome) { done({admin_result(target, outcome)}); };
  };
  if (step.op == CommandOp::kAssignMeter) {
    const std::string meter = std::get<MeterTarget>(step.target).meter;
    const auto& args = std::get<JsonArgs>(step.args).args;
    if (!meters_.has(meter)) {
      return single(meter)(AdminOutcome{false, "unknown_meter", "no meter '" + meter + "' on this gateway", std::nullopt});
    }
    if (!args.contains("account") || !args["account"].is_string()) {
      return single(meter)(AdminOutcome{false, "invalid", "args.account: the account id", std::nullopt});
    }
    return engine_.assign_meter(meter, args["account"].get<std::string>(), single(meter));
  }
  const std::string account = std::get<AccountTarget>(step.target).account;
  switch (step.op) {
    case CommandOp::kSetThresholds: {
      const auto& args = std::get<ThresholdArgs>(step.args);
      AlarmThresholds t;
      if (const AccountRuntime* runtime = engine_.account(account)) t = runtime->thresholds;
      t.low_1 = args.low_1;
      t.low_2 = args.low_2;
      t.cut_off = args.cut_off;
      if (args.hysteresis) t.hysteresis = *args.hysteresis;
      if (args.credit_limit) t.credit_limit = *args.credit_limit;
      return engine_.set_thresholds(account, t, single(account));
    }
    case CommandOp::kOpenAccount: {
      Result<AccountOpening> opening =
          opening_from(account, std::get<JsonArgs>(step.args).args, meters_);
      if (!opening) return single(account)(AdminOutcome{false, "invalid", opening.error().message, std::nullopt});
      return engine_.open_account(std::move(opening.value()), single(account));
    }
    case CommandOp::kCloseAccount: return engine_.close_account(account, single(account));
    default: return single(account)(AdminOutcome{false, "invalid", "not an account op", std::nullopt});
  }
}

}  // namespace meterd
