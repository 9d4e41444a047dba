// SPDX-License-Identifier: Apache-2.0
#include "request_builder.h"

#include <cstdio>
#include <filesystem>

namespace meterctl {
namespace {

using json = nlohmann::json;

json envelope(const std::string& op, std::int64_t now_ms, std::uint32_t nonce) {
  return json{{"id", local_id(now_ms, nonce)}, {"op", op}, {"issued_at", now_ms}};
}

json command_request(json command) {
  return json{{"op", "command"}, {"command", std::move(command)}};
}

BuildResult usage(std::string message) {
  BuildResult result;
  result.usage = Usage{std::move(message)};
  return result;
}

// recharge|refund ACCOUNT AMOUNT [--order ORDER_ID]
BuildResult money(const std::string& op, const std::vector<std::string>& rest,
                  std::int64_t now_ms, std::uint32_t nonce, Invocation invocation) {
  std::vector<std::string> positional;
  std::string order;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == "--order") {
      if (i + 1 >= rest.size()) return usage("--order needs an order id");
      order = rest[++i];
    } else {
      positional.push_back(rest[i]);
    }
  }
  if (positional.size() != 2) return usage(op + " takes ACCOUNT AMOUNT [--order ORDER_ID]");
  // The order id is the recharge's idempotency key: a generated one is printed in the reply's
  // command id, so a technician can repeat a recharge safely only with --order.
  if (order.empty()) order = local_id(now_ms, nonce);
  json command = envelope(op, now_ms, nonce);
  command["account"] = positional[0];
  command["args"] = json{{"order_id", order}, {"amount", positional[1]}};
  invocation.request = command_request(std::move(command));
  BuildResult result;
  result.invocation = std::move(invocation);
  return result;
}

}  // namespace

std::string local_id(std::int64_t now_ms, std::uint32_t nonce) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", nonce);
  return "local-" + std::to_string(now_ms) + "-" + hex;
}

std::string usage_text() {
  return R"(usage: meterctl [--socket PATH] COMMAND ...
  status                                   gateway health: buses, store, uplink, engine
  backup FILE                              a consistent copy of the running store to FILE
                                           (written by meterd: its user must be able to)
  recharge ACCOUNT AMOUNT [--order ID]     credit AMOUNT (e.g. 50.0000) to ACCOUNT
  refund ACCOUNT AMOUNT [--order ID]       take AMOUNT back from ACCOUNT
  relay open|close METER...                switch the relays of meters
  query METER POINT...                     read points live from a meter
  send FILE|-                              any command envelope (JSON); id and issued_at
                                           are added when missing
The socket defaults to $METERCTL_SOCKET, else /run/meterd/meterd.sock.
Exit: 0 done, 1 failed/cancelled/refused, 2 usage or connection error, 3 no result in time.
)";
}

BuildResult build_invocation(const std::vector<std::string>& args, const char* env_socket,
                             std::int64_t now_ms, std::uint32_t nonce) {
  Invocation invocation;
  invocation.socket_path = env_socket && *env_socket ? env_socket : kDefaultSocket;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h" || args[i] == "help") {
      BuildResult result;
      result.help = true;
      return result;
    }
    if (args[i] == "--socket" && rest.empty()) {
      if (i + 1 >= args.size()) return usage("--socket needs a path");
      invocation.socket_path = args[++i];
    } else if (args[i].starts_with("--socket=") && rest.empty()) {
      invocation.socket_path = args[i].substr(9);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (rest.empty()) return usage("no command given");
  const std::string verb = rest.front();
  rest.erase(rest.begin());
  BuildResult result;
  if (verb == "status") {
    if (!rest.empty()) return usage("status takes no arguments");
    invocation.request = json{{"op", "status"}};
  } else if (verb == "backup") {
    if (rest.size() != 1 || rest[0].empty()) return usage("backup takes one FILE");
    // meterd runs elsewhere (another working directory): it gets an absolute path.
    invocation.request =
        json{{"op", "backup"}, {"path", std::filesystem::absolute(rest[0]).lexically_normal().string()}};
  } else if (verb == "recharge" || verb == "refund") {
    return money(verb, rest, now_ms, nonce, std::move(invocation));
  } else if (verb == "relay") {
    if (rest.size() < 2 || (rest[0] != "open" && rest[0] != "close")) {
      return usage("relay takes open|close METER...");
    }
    json command = envelope("relay_" + rest[0], now_ms, nonce);
    if (rest.size() == 2) {
      command["meter"] = rest[1];
    } else {
      command["meters"] = std::vector<std::string>(rest.begin() + 1, rest.end());
    }
    invocation.request = command_request(std::move(command));
  } else if (verb == "query") {
    if (rest.size() < 2) return usage("query takes METER POINT...");
    json command = envelope("query", now_ms, nonce);
    command["meter"] = rest[0];
    command["args"] = json{{"points", std::vector<std::string>(rest.begin() + 1, rest.end())}};
    invocation.request = command_request(std::move(command));
  } else if (verb == "send") {
    if (rest.size() != 1) return usage("send takes FILE or - (standard input)");
    invocation.send_file = rest[0];
  } else {
    return usage("unknown command '" + verb + "'");
  }
  result.invocation = std::move(invocation);
  return result;
}

std::optional<nlohmann::json> complete_envelope(const std::string& text, std::int64_t now_ms,
                                                std::uint32_t nonce, std::string& why) {
  json command = json::parse(text, nullptr, false);
  if (command.is_discarded()) {
    why = "not valid JSON";
    return std::nullopt;
  }
  if (!command.is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  if (!command.contains("id")) command["id"] = local_id(now_ms, nonce);
  if (!command.contains("issued_at")) command["issued_at"] = now_ms;
  return command_request(std::move(command));
}

}  // namespace meterctl
