// SPDX-License-Identifier: Apache-2.0
// A rollup's figures as the API writes them, in the `stats` op's answer and in the period
// summaries on the stats topics: energy in Wh, money as a decimal string (1/10000 units),
// `by_period` only for TOU periods with Wh or cost. New rollup figures are added here once for
// both. Pure, any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/usage_rollup.h"

namespace meterd {

nlohmann::json usage_figures_json(const UsageFigures& figures);

}  // namespace meterd
