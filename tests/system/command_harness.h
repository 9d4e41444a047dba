// SPDX-License-Identifier: Apache-2.0
// System-test helpers for commands: send a command to the daemon over the real broker and
// wait for its results on cmd/result. Use from one thread.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/mqtt_collector.h"

namespace meterd::test {

inline const std::string kCmdTopic = "meterd/v1/gw-test/cmd";
inline const std::string kResultTopic = "meterd/v1/gw-test/cmd/result";

// A `billing:` section for sim sites: account A101 on b1-m1 and b1-m2, a cheap flat tariff,
// 100.0000 to start with.
inline const char* kOneAccountBilling = R"(billing:
  utc_offset: "+08:00"
  ledger_interval: 1s
  tariffs:
    - {id: cheap, price: "0.0100"}
  accounts:
    - {id: A101, meters: [b1-m1, b1-m2], tariff: cheap, opening_balance: "100.0000"}
)";

std::int64_t unix_now_ms();
// True once telemetry of `meter` has arrived (the engine bills from a meter's first reading).
bool wait_for_telemetry_of(MqttCollector& collector, const std::string& meter,
                           std::chrono::milliseconds timeout);

// Every result published for `id`, in arrival order.
std::vector<nlohmann::json> results_for(const MqttCollector::Messages& messages,
                                        const std::string& id);
// Waits until `id` has `count` final results (done, failed or cancelled); the last one, or a
// null json after `timeout`.
nlohmann::json wait_final(MqttCollector& collector, const std::string& id,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20),
                          std::size_t count = 1);
// Publishes `command` on cmd and waits for its final result.
nlohmann::json run_command(MqttCollector& collector, const nlohmann::json& command,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));
// A command envelope with issued_at = now.
nlohmann::json make_command(const std::string& id, const std::string& op, nlohmann::json target,
                            nlohmann::json args = nlohmann::json::object());
// Events of the gateway topic (meterd/v1/gw-test/events) whose type is in `types`, in order.
std::vector<std::string> gateway_events(const MqttCollector::Messages& messages,
                                        const std::vector<std::string>& types);
// The same for one meter's topic (meterd/v1/gw-test/meters/<meter>/events).
std::vector<std::string> meter_events(const MqttCollector::Messages& messages,
                                      const std::string& meter,
                                      const std::vector<std::string>& types);

}  // namespace meterd::test
