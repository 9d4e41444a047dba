// SPDX-License-Identifier: Apache-2.0
// Valid command payloads the command tests start from and then break one member at a time.
#pragma once

#include <nlohmann/json.hpp>

namespace meterd::test {

inline nlohmann::json recharge_command() {
  return {{"id", "c-20241125-0042"},
          {"op", "recharge"},
          {"account", "a-17"},
          {"args", {{"order_id", "ord-9"}, {"amount", "50.0000"}}},
          {"issued_at", 1732537300000}};
}

inline nlohmann::json relay_command() {
  return {{"id", "c2"}, {"op", "relay_open"}, {"meters", {"m1", "m2"}}, {"issued_at", 1}};
}

}  // namespace meterd::test
