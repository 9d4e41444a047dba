// SPDX-License-Identifier: Apache-2.0
// The JSON of the technician's reports on the control socket (docs/meterctl.md): `meters`,
// `account ID` and `backlog`. Pure: the daemon gathers the figures on the loop thread and on
// the store thread (store/report_reads.h) and hands them in.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/meter_board.h"
#include "engine/account_runtime.h"
#include "store/report_reads.h"
#include "store/store.h"

namespace meterd {

// `relay_of(meter)`: the engine's relay object as JSON text, or nullopt; `account_of(meter)`:
// the meter's account id, or "".
struct MeterFacts {
  std::function<std::optional<std::string>(const std::string&)> relay_of;
  std::function<std::string(const std::string&)> account_of;
  std::map<std::string, std::int64_t> poll_errors;  // by meter id
};

std::string meters_report(const std::vector<MeterBoardEntry>& meters, const MeterFacts& facts,
                          WallTime now);

// `meters`: the board's entries of the account's meters.
std::string account_report(const AccountRuntime& account,
                           const std::vector<MeterBoardEntry>& meters, const MeterFacts& facts,
                           const std::vector<MoneyMovement>& recharges, WallTime now);

std::string backlog_report(const BacklogFigures& backlog, const StoreStats& store, WallTime now);

}  // namespace meterd
