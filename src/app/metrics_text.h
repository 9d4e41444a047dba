// SPDX-License-Identifier: Apache-2.0
// The health snapshot as OpenMetrics text (the /metrics endpoint and the node-exporter
// textfile). Pure. To add a metric: one line in metrics_text.cpp's `health_metrics`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/health_report.h"

namespace meterd {

// One metric family being written: samples are added with their labels, then `text()`.
class MetricSet {
 public:
  enum class Type { counter, gauge };
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // `name` without the `_total` suffix of a counter; `unit` ("seconds", "bytes") or empty.
  void add(Type type, const std::string& name, const std::string& help, double value,
           const Labels& labels = {}, const std::string& unit = "");
  void counter(const std::string& name, const std::string& help, std::int64_t value,
               const Labels& labels = {}) {
    add(Type::counter, name, help, static_cast<double>(value), labels);
  }
  void gauge(const std::string& name, const std::string& help, double value,
             const Labels& labels = {}, const std::string& unit = "") {
    add(Type::gauge, name, help, value, labels, unit);
  }
  enum class Format {
    openmetrics,  // OpenMetrics 1.0: counter families named without `_total`, `# EOF`
    prometheus,   // text format 0.0.4 (node-exporter's textfile collector)
  };
  // The exposition, families in first-added order.
  std::string text(Format format = Format::openmetrics) const;

 private:
  struct Family {
    Type type;
    std::string help;
    std::string unit;
    std::vector<std::string> samples;  // "name{labels} value"
  };
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

// Every counter and gauge of the `health` topic, `meterd_`-prefixed, in base units.
void health_metrics(const HealthSnapshot& snapshot, MetricSet& out);
std::string metrics_text(const HealthSnapshot& snapshot,
                         MetricSet::Format format = MetricSet::Format::openmetrics);

// Content-Type of `metrics_text` for HTTP.
inline constexpr const char* kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

}  // namespace meterd
