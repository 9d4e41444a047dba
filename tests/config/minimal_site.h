// SPDX-License-Identifier: Apache-2.0
// A valid site file for config tests, to which they append or in which they replace lines.
#pragma once

#include <string>

namespace meterd::test {

inline const std::string kMinimalSite = R"(gateway_id: gw1
mqtt:
  servers: [tcp://broker:1883]
store:
  path: /var/lib/meterd/m.db
poll_groups:
  - {name: fast, points: [power_total]}
buses:
  - name: b1
    protocol: sim
    meters:
      - id: m1
)";

}  // namespace meterd::test
