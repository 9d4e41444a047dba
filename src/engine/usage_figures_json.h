// SPDX-License-Identifier: Apache-2.0
// A rollup's figures as the API writes them, in the `stats` op's answer and in the period
// summaries on the stats topics: energy in Wh, money as a decimal string (1/10000 units),
// `by_period` only for TOU periods with Wh or cost. New rollup figures are added here once for
// both. Pure, any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/usage_rollup.h"

namespace meterd {

// `offline_base_ms` > 0: also the share of that time the meter was offline (`offline_share`,
// to 0.0001): the period's length, times the number of meters for a sum of meters.
nlohmann::json usage_figures_json(const UsageFigures& figures, std::int64_t offline_base_ms = 0);

// The calendar length of a local day (yyyymmdd) or month (yyyymm) in ms, at 24 hours a day.
std::int64_t calendar_period_ms(std::int32_t key, UsageGranularity granularity);

}  // namespace meterd
