// SPDX-License-Identifier: Apache-2.0
#include "engine/period_summary.h"

#include <cstdio>

#include "engine/usage_figures_json.h"

namespace meterd {

std::string local_period_text(std::int32_t key, UsageGranularity granularity) {
  char text[16];
  if (granularity == UsageGranularity::kDay) {
    std::snprintf(text, sizeof text, "%04d-%02d-%02d", key / 10000, key / 100 % 100, key % 100);
  } else {
    std::snprintf(text, sizeof text, "%04d-%02d", key / 100, key % 100);
  }
  return text;
}

std::string period_summary_body(const UsageRollup& rollup, std::int32_t revision) {
  nlohmann::json body = {{"scope", usage_scope_name(rollup.scope)},
                         {"period_kind", usage_granularity_name(rollup.granularity)},
                         {"period", local_period_text(rollup.period, rollup.granularity)},
                         {"revision", revision},
                         {"correction", revision > 0}};
  // Offline time is kept for meters only.
  const std::int64_t offline_base = rollup.scope == UsageScope::kMeter
                                        ? calendar_period_ms(rollup.period, rollup.granularity)
                                        : 0;
  body.update(usage_figures_json(rollup.figures, offline_base));
  return body.dump();
}

}  // namespace meterd
