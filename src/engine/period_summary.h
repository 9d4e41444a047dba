// SPDX-License-Identifier: Apache-2.0
// The body of a closed period's summary on meters/<id>/stats and accounts/<id>/stats (the
// uplink adds the message header): which period, which revision (0 when the period closes, then
// one more per correction) and the rollup's figures (usage_figures_json.h). Pure, any thread.
#pragma once

#include <cstdint>
#include <string>

#include "engine/usage_rollup.h"

namespace meterd {

// "2026-03-01" for a day key (yyyymmdd), "2026-03" for a month key (yyyymm).
std::string local_period_text(std::int32_t key, UsageGranularity granularity);

std::string period_summary_body(const UsageRollup& rollup, std::int32_t revision);

}  // namespace meterd
