// SPDX-License-Identifier: Apache-2.0
// `metrics:`: the Prometheus endpoint and the node-exporter textfile (docs/metrics.md).
#include <arpa/inet.h>

#include "config/config_sections.h"

namespace meterd {

std::optional<MetricsListen> parse_metrics_listen(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  unsigned char address[16];
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
    if (inet_pton(AF_INET6, host.c_str(), address) != 1) return std::nullopt;
  } else if (inet_pton(AF_INET, host.c_str(), address) != 1) {
    return std::nullopt;
  }
  return MetricsListen{host, static_cast<std::uint16_t>(port)};
}

MetricsConfig read_metrics_section(const SettingsNode& node, const PathBases& bases,
                                   ConfigErrors& errors) {
  SettingsReader r(node, errors, "metrics");
  MetricsConfig metrics;
  if (r.has("listen")) {
    const std::string text = r.string("listen");
    metrics.listen = parse_metrics_listen(text);
    if (!metrics.listen) {
      errors.add(r.any("listen")->pos,
                 "'listen' must be an IP address and port, e.g. 127.0.0.1:9464 or [::1]:9464");
    }
  }
  if (r.has("textfile")) metrics.textfile = read_path(r, "textfile", bases, true);
  metrics.max_connections =
      static_cast<int>(r.integer("max_connections", metrics.max_connections, 1, 1000));
  metrics.read_timeout = r.duration("read_timeout", metrics.read_timeout,
                                    std::chrono::milliseconds(100), std::chrono::minutes(1));
  r.finish();
  return metrics;
}

}  // namespace meterd
