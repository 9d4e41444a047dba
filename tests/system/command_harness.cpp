// SPDX-License-Identifier: Apache-2.0
#include "system/command_harness.h"

#include <algorithm>

namespace meterd::test {
namespace {

bool is_final(const nlohmann::json& result) {
  const std::string state = result.value("state", "");
  return state == "done" || state == "failed" || state == "cancelled";
}

}  // namespace

std::vector<nlohmann::json> results_for(const MqttCollector::Messages& messages,
                                        const std::string& id) {
  std::vector<nlohmann::json> out;
  for (const auto& m : messages) {
    if (m.topic != kResultTopic) continue;
    nlohmann::json j = m.json();
    if (!j.is_discarded() && j.value("id", "") == id) out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json wait_final(MqttCollector& collector, const std::string& id,
                          std::chrono::milliseconds timeout, std::size_t count) {
  nlohmann::json last;
  collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        std::size_t finals = 0;
        for (auto& r : results_for(m, id)) {
          if (is_final(r)) {
            ++finals;
            last = r;
          }
        }
        return finals >= count;
      },
      timeout);
  return last;
}

nlohmann::json run_command(MqttCollector& collector, const nlohmann::json& command,
                           std::chrono::milliseconds timeout) {
  if (!collector.publish(kCmdTopic, command.dump())) return nullptr;
  return wait_final(collector, command.value("id", ""), timeout);
}

bool wait_for_telemetry_of(MqttCollector& collector, const std::string& meter,
                           std::chrono::milliseconds timeout) {
  return collector.wait_until(
      [&](const MqttCollector::Messages& m) {
        for (const auto& msg : m) {
          if (msg.topic.ends_with("/" + meter + "/telemetry")) return true;
        }
        return false;
      },
      timeout);
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json make_command(const std::string& id, const std::string& op, nlohmann::json target,
                            nlohmann::json args) {
  nlohmann::json command = std::move(target);
  command["id"] = id;
  command["op"] = op;
  command["args"] = std::move(args);
  command["issued_at"] = unix_now_ms();
  return command;
}

namespace {

std::vector<std::string> events_on(const MqttCollector::Messages& messages,
                                   const std::string& topic,
                                   const std::vector<std::string>& types) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    if (m.topic != topic) continue;
    const std::string type = m.json().value("event", "");
    if (std::find(types.begin(), types.end(), type) != types.end()) out.push_back(type);
  }
  return out;
}

}  // namespace

std::vector<std::string> gateway_events(const MqttCollector::Messages& messages,
                                        const std::vector<std::string>& types) {
  return events_on(messages, "meterd/v1/gw-test/events", types);
}

std::vector<std::string> meter_events(const MqttCollector::Messages& messages,
                                      const std::string& meter,
                                      const std::vector<std::string>& types) {
  return events_on(messages, "meterd/v1/gw-test/meters/" + meter + "/events", types);
}

}  // namespace meterd::test
