// SPDX-License-Identifier: Apache-2.0
// The account and parameter ops of StepRunner: set_tariff, set_thresholds, open_account,
// close_account, assign_meter.
#include "commands/step_runner.h"

namespace meterd {
namespace {

CommandTariff command_tariff_of(const GivenTariff& given) {
  return CommandTariff{given.json, given.tariff};
}

// The opening of account `id` from args read at intake; the meters must be on this gateway.
Result<AccountOpening> opening_from(const std::string& id, const OpenAccountArgs& args,
                                    const MeterDirectory& directory) {
  AccountOpening opening{args.spec, std::nullopt};
  opening.spec.id = id;
  if (opening.spec.name.empty()) opening.spec.name = id;
  for (const std::string& meter : opening.spec.meters) {
    if (!directory.has(meter)) {
      return make_error(ErrorKind::kInvalidArgument, "meters: unknown meter \"" + meter + "\"");
    }
  }
  if (args.tariff) opening.tariff = command_tariff_of(*args.tariff);
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
    if (args.effective_from)
      effective = WallTime{} + std::chrono::milliseconds(*args.effective_from);
    for (const std::string& account : accounts) {
      auto answer = [account, add, index = i++](const AdminOutcome& outcome) {
        add(index, admin_result(account, outcome));
      };
      engine_.set_tariff(account, command_tariff_of(args.tariff), effective, std::move(answer));
    }
    return;
  }
  auto single = [done = std::move(done)](const std::string& target) {
    return [target, done](const AdminOutcome& outcome) { done({admin_result(target, outcome)}); };
  };
  if (step.op == CommandOp::kAssignMeter) {
    const std::string meter = std::get<MeterTarget>(step.target).meter;
    if (!meters_.has(meter)) {
      return single(meter)(AdminOutcome{false, "unknown_meter",
                                        "no meter '" + meter + "' on this gateway", std::nullopt});
    }
    return engine_.assign_meter(meter, std::get<AssignMeterArgs>(step.args).account, single(meter));
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
          opening_from(account, std::get<OpenAccountArgs>(step.args), meters_);
      if (!opening)
        return single(account)(
            AdminOutcome{false, "invalid", opening.error().message, std::nullopt});
      return engine_.open_account(std::move(opening.value()), single(account));
    }
    case CommandOp::kCloseAccount:
      return engine_.close_account(account, single(account));
    default:
      return single(account)(AdminOutcome{false, "invalid", "not an account op", std::nullopt});
  }
}

}  // namespace meterd
