// SPDX-License-Identifier: Apache-2.0
#include "system/interop/delivery_check.h"

#include <functional>

#include "system/command_harness.h"

namespace meterd::test {

bool DeliveryTally::add(const CollectedMessage& message) {
  const bool outbox = message.topic.ends_with("/telemetry") || message.topic.ends_with("/events") ||
                      message.topic.ends_with("/cmd/result");
  if (!outbox) return false;
  const nlohmann::json j = message.json();
  if (j.is_discarded() || !j.contains("seq") || !j["seq"].is_number_integer()) return false;
  const std::int64_t seq = j["seq"].get<std::int64_t>();
  d_.store_ids.insert(j.value("store_id", ""));
  const std::size_t content = std::hash<std::string>{}(j.dump());
  const auto [it, fresh] = content_hashes_.emplace(seq, content);
  if (fresh) {
    d_.seqs.insert(seq);
    return true;
  }
  ++d_.duplicates;
  if (it->second != content) d_.conflicting.push_back(seq);
  return true;
}

Delivered delivered(const MqttCollector::Messages& messages) {
  DeliveryTally tally;
  for (const auto& message : messages) tally.add(message);
  return tally.result();
}

std::vector<std::int64_t> missing_from(const StoreView& view, const Delivered& d) {
  std::vector<std::int64_t> out;
  for (std::int64_t seq = 1; seq <= view.last_seq; ++seq) {
    if (!view.pending.count(seq) && !d.seqs.count(seq)) out.push_back(seq);
  }
  return out;
}

std::vector<std::int64_t> wait_for_every_acknowledged_seq(MqttCollector& collector,
                                                          const StoreView& view,
                                                          std::chrono::milliseconds quiet) {
  std::vector<std::int64_t> left = missing_from(view, delivered(collector.messages()));
  constexpr int kMaxRounds = 10;  // each round of `quiet` must bring some of them
  for (int round = 0; round < kMaxRounds && !left.empty(); ++round) {
    const std::size_t before = left.size();
    collector.wait_until(
        [&](const MqttCollector::Messages& m) {
          left = missing_from(view, delivered(m));
          return left.empty();
        },
        quiet);
    if (left.size() >= before) break;
  }
  return left;
}

std::size_t answers(const MqttCollector::Messages& messages, const std::string& id) {
  std::set<std::int64_t> seqs;
  for (const auto& r : results_for(messages, id)) {
    const std::string state = r.value("state", "");
    if (state == "done" || state == "failed" || state == "cancelled") {
      seqs.insert(r.value("seq", std::int64_t{-1}));
    }
  }
  return seqs.size();
}

}  // namespace meterd::test
