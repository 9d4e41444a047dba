// SPDX-License-Identifier: Apache-2.0
// The journal's lines for finished commands and for events: who, what, and how it ended, in
// one readable line each, whatever the command or the meter sent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/event_log.h"
#include "commands/command_log.h"

namespace meterd {
namespace {

using json = nlohmann::json;

TEST(JournalLines, ADoneRechargeNamesTheOperatorTheAccountAndTheAmount) {
  const json body{{"results", {{{"target", "A101"}, {"ok", true}, {"amount", "50.0000"}}}}};
  EXPECT_EQ(command_log_line("c-81", "recharge", "local:tech1", "done", body),
            "command c-81 recharge by local:tech1: done: A101 ok amount=50.0000");
}

TEST(JournalLines, AFailedRelayCommandNamesEachTargetsOutcomeAndCountsTheRest) {
  json results = json::array();
  results.push_back({{"target", "m1"},
                     {"ok", false},
                     {"code", "meter_timeout"},
                     {"message", "no reply within 500 ms"}});
  for (int i = 2; i <= 10; ++i)
    results.push_back({{"target", "m" + std::to_string(i)}, {"ok", true}});
  const std::string line =
      command_log_line("c-9", "relay_open", "cloud", "failed", json{{"results", results}});
  EXPECT_EQ(line,
            "command c-9 relay_open by cloud: failed: m1 meter_timeout (no reply within 500 ms), "
            "m2 ok, m3 ok, m4 ok, m5 ok, m6 ok, m7 ok, m8 ok and 2 more");
}

TEST(JournalLines, HostileTextIsQuotedPrintableAndCut) {
  const std::string id = "x\n\x1b[31mred" + std::string(200, 'a');
  const std::string line = command_log_line(
      id, "recharge", "", "failed", json{{"error", {{"code", "invalid"}, {"message", "m"}}}});
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_NE(line.find("by unknown: failed: invalid m"), std::string::npos) << line;
  EXPECT_LT(line.size(), 200u) << line;

  // Bytes that are not UTF-8 inside a result's values, and an "ok" that is not a boolean, are
  // quoted, never thrown on: the line is built before the result is journaled.
  json odd{{"target", "m1"}, {"ok", "yes"}, {"code", "x"}, {"message", json{{"m", "\xff\xfe"}}}};
  std::string quoted;
  EXPECT_NO_THROW(
      quoted = command_log_line("c1", "relay_open", "cloud", "failed", json{{"results", {odd}}}));
  EXPECT_NE(quoted.find("m1 x"), std::string::npos) << quoted;
}

TEST(JournalLines, AnEventLineNamesTypeMeterAndDetailsAndCutOffIsAWarning) {
  const Event cut{"cut_off", "m-301", WallTime{}, R"({"account":"A301","balance":"0.0000"})"};
  EXPECT_EQ(event_log_line(cut),
            R"(event cut_off meter m-301: {"account":"A301","balance":"0.0000"})");
  EXPECT_TRUE(event_is_warning("cut_off"));
  EXPECT_TRUE(event_is_warning("relay_action_failed"));
  EXPECT_FALSE(event_is_warning("restored"));
  const Event gateway{"config_reloaded", "", WallTime{}, "{}"};
  EXPECT_EQ(event_log_line(gateway), "event config_reloaded");
}

}  // namespace
}  // namespace meterd
