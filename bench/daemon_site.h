// SPDX-License-Identifier: Apache-2.0
// Shared by the daemon benchmarks: writes a sim site configuration for the real meterd binary.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

namespace meterd::bench {

inline void write_site(const std::string& path, const std::string& broker_uri,
                       const std::string& db_path, int buses, int meters_per_bus,
                       const std::string& interval) {
  std::ofstream y(path);
  y << "gateway_id: bench\nlog_level: warn\nplugin_dir: " << METERD_PLUGIN_DIR << "\n"
    << "mqtt:\n  servers: [" << broker_uri << "]\n  max_inflight: "
    << (std::getenv("BENCH_INFLIGHT") ? std::getenv("BENCH_INFLIGHT") : "256")
    << "\n  drain_batch: 1000\n"
    << "store:\n  path: " << db_path << "\n  budget: 1GiB\n"
    << "poll_groups:\n  - {name: slow, interval: " << interval
    << ", points: [energy_total, power_total, voltage_a, current_a, relay_closed]}\n"
    << "buses:\n";
  for (int b = 1; b <= buses; ++b) {
    y << "  - name: bus" << b << "\n    protocol: sim\n    seed: " << b << "\n    meters:\n"
      << "      - {id: \"b" << b << "-m{n}\", count: " << meters_per_bus << "}\n";
  }
}

}  // namespace meterd::bench
