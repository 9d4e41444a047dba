// SPDX-License-Identifier: Apache-2.0
// The OpenMetrics text of the health snapshot: counters end in _total, families are
// contiguous, label values are escaped, values are written without float noise.
#include "app/metrics_text.h"

#include <gtest/gtest.h>

namespace meterd {
namespace {

TEST(MetricsText, CountersGaugesLabelsAndEof) {
  MetricSet set;
  set.counter("meterd_x", "X done.", 3, {{"bus", "a\"b\\c\nd"}});
  set.gauge("meterd_t_seconds", "A time.", 0.1 + 0.2, {}, "seconds");
  set.counter("meterd_x", "X done.", 4, {{"bus", "two"}});
  const std::string text = set.text();
  EXPECT_EQ(text,
            "# HELP meterd_x X done.\n"
            "# TYPE meterd_x counter\n"
            "meterd_x_total{bus=\"a\\\"b\\\\c\\nd\"} 3\n"
            "meterd_x_total{bus=\"two\"} 4\n"
            "# HELP meterd_t_seconds A time.\n"
            "# TYPE meterd_t_seconds gauge\n"
            "# UNIT meterd_t_seconds seconds\n"
            "meterd_t_seconds 0.30000000000000004\n"
            "# EOF\n");
  const std::string prom = set.text(MetricSet::Format::prometheus);
  EXPECT_NE(prom.find("# TYPE meterd_x_total counter\n"), std::string::npos) << prom;
  EXPECT_EQ(prom.find("# EOF"), std::string::npos);
  EXPECT_EQ(prom.find("# UNIT"), std::string::npos);
}

TEST(MetricsText, HealthSnapshotCarriesBusLabelsAndBaseUnits) {
  HealthSnapshot s;
  s.gateway_id = "gw";
  s.buses.push_back({"line1", {}});
  s.buses.back().stats.polls = 7;
  s.buses.back().stats.latency_avg_ms = 12.5;
  s.store.db_bytes = 4096;
  s.uplink.reconnects = 2;
  const std::string text = metrics_text(s);
  EXPECT_NE(text.find("meterd_bus_polls_total{bus=\"line1\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("meterd_bus_poll_latency_avg_seconds{bus=\"line1\"} 0.0125\n"),
            std::string::npos);
  EXPECT_NE(text.find("meterd_store_size_bytes 4096\n"), std::string::npos);
  EXPECT_NE(text.find("meterd_uplink_reconnects_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("meterd_store_state{state=\"ok\"} 1\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("# EOF\n"));
}

}  // namespace
}  // namespace meterd
