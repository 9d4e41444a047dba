// SPDX-License-Identifier: Apache-2.0
#include "request_builder.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "reply_outcome.h"

namespace meterctl {
namespace {

using json = nlohmann::json;

json envelope(const std::string& op, std::int64_t now_ms, std::uint32_t nonce) {
  return json{{"id", local_id(now_ms, nonce)}, {"op", op}, {"issued_at", now_ms}};
}

json command_request(json command) {
  return json{{"op", "command"}, {"command", std::move(command)}};
}

constexpr const char* kFooter = R"(
The socket defaults to $METERCTL_SOCKET, else /run/meterd/meterd.sock.
Exit: 0 done, 1 failed, cancelled or refused by meterd, 2 usage or connection error
(meterd unreachable, or no reply within --timeout).)";

// "building=A,floor=2" as a selector's tags; the daemon checks names and values (a meter id
// never has '=', so the form cannot be mistaken for one).
json tags_of(const std::string& text) {
  json tags = json::object();
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    const std::size_t equals = part.find('=');
    tags[part.substr(0, equals)] = equals == std::string::npos ? "" : part.substr(equals + 1);
    start = end + 1;
  }
  return tags;
}

}  // namespace

std::string local_id(std::int64_t now_ms, std::uint32_t nonce) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", nonce);
  return "local-" + std::to_string(now_ms) + "-" + hex;
}

BuildResult build_invocation(const std::vector<std::string>& args, const char* env_socket,
                             std::int64_t now_ms, std::uint32_t nonce) {
  CLI::App app{"meterctl: the technician's CLI for meterd's local control socket", "meterctl"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("meterctl ") + METERCTL_VERSION);
  app.require_subcommand(1, 1);
  app.fallthrough();  // global options may follow the command too

  Invocation invocation;
  invocation.socket_path = env_socket && *env_socket ? env_socket : kDefaultSocket;
  double timeout_s = 0;
  app.add_option("--socket", invocation.socket_path, "the control socket's path");
  app.add_flag("--json", invocation.json, "print the reply as indented JSON (for scripts)");
  app.add_option("--timeout", timeout_s,
                 "seconds to wait for the reply (default 5 for reports, 40 for commands and "
                 "backup); then exit 2")
      ->check(CLI::Range(0.1, 3600.0));

  app.add_subcommand("status", "gateway health: buses, store, backlog, uplink, clock, meters");
  app.add_subcommand("meters",
                     "each meter: bus, online/offline since, last reading, relay, errors");
  std::string account_id;
  app.add_subcommand("account", "an account: balance, alarm level, its meters' relays, recharges")
      ->add_option("ACCOUNT", account_id, "the account's id")
      ->required();
  app.add_subcommand("backlog", "what waits for the cloud: outbox rows, oldest age, bytes");
  std::string backup_file;
  app.add_subcommand("backup", "a consistent copy of the running store to FILE (written by meterd)")
      ->add_option("FILE", backup_file, "where the copy goes (must not exist)")
      ->required();
  std::string money_account, amount, order;
  for (const char* op : {"recharge", "refund"}) {
    CLI::App* money = app.add_subcommand(
        op,
        std::string(op == std::string("recharge") ? "credit AMOUNT to" : "take AMOUNT back from") +
            " ACCOUNT (journaled like a cloud command)");
    money->add_option("ACCOUNT", money_account, "the account's id")->required();
    money->add_option("AMOUNT", amount, "a decimal with at most 4 decimals, e.g. 50.0000")
        ->required();
    money->add_option(
        "--order", order,
        "the order id (idempotency key): repeat an unclear recharge with the same one");
  }
  std::string relay_action;
  std::vector<std::string> relay_meters;
  CLI::App* relay = app.add_subcommand("relay", "switch the relays of meters");
  relay->add_option("ACTION", relay_action, "open or close")
      ->required()
      ->check(CLI::IsMember({"open", "close"}));
  relay->add_option("METER", relay_meters, "meter ids")->required();
  std::string query_meter;
  std::vector<std::string> query_points;
  CLI::App* query = app.add_subcommand("query", "read points live from a meter");
  query->add_option("METER", query_meter, "the meter's id")->required();
  query->add_option("POINT", query_points, "point names of the meter's profile")->required();
  std::string stats_owner, stats_granularity, stats_from, stats_to, stats_compare;
  bool stats_account = false;
  CLI::App* stats = app.add_subcommand(
      "stats",
      "energy and cost of a meter, an account (--account) or the meters with given tags, by "
      "local day or month");
  stats
      ->add_option("METER", stats_owner,
                   "the meter's id (the account's with --account), or TAG=VALUE[,TAG=VALUE...] "
                   "for the sum of the meters with those tags")
      ->required();
  stats->add_option("GRANULARITY", stats_granularity, "day or month")->required();
  stats->add_option("FROM", stats_from, "first day YYYY-MM-DD or month YYYY-MM")->required();
  stats->add_option("TO", stats_to, "last day or month, included")->required();
  stats->add_flag("--account", stats_account, "METER is an account's id");
  stats->add_option("--compare", stats_compare, "mom or yoy: the change against that range");
  std::string send_file;
  app.add_subcommand("send",
                     "any command envelope (JSON) from FILE or - (stdin); id and "
                     "issued_at are added when missing")
      ->add_option("FILE", send_file, "a file, or - for standard input")
      ->required();

  BuildResult result;
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, std::cout, std::cerr);
    result.exit_code = code == 0 ? kExitDone : kExitUsage;
    return result;
  }
  const std::string verb = app.get_subcommands().front()->get_name();
  invocation.kind = ReplyKind::kCommand;
  if (verb == "status" || verb == "meters" || verb == "backlog") {
    invocation.kind = verb == "status"   ? ReplyKind::kStatus
                      : verb == "meters" ? ReplyKind::kMeters
                                         : ReplyKind::kBacklog;
    invocation.request = json{{"op", verb}};
  } else if (verb == "account") {
    invocation.kind = ReplyKind::kAccount;
    invocation.request = json{{"op", "account"}, {"account", account_id}};
  } else if (verb == "backup") {
    invocation.kind = ReplyKind::kBackup;
    // meterd runs elsewhere (another working directory): it gets an absolute path.
    invocation.request =
        json{{"op", "backup"},
             {"path", std::filesystem::absolute(backup_file).lexically_normal().string()}};
  } else if (verb == "recharge" || verb == "refund") {
    // The order id is the recharge's idempotency key: a generated one is the command's id, so
    // a technician can repeat a recharge safely only with --order.
    if (order.empty()) order = local_id(now_ms, nonce);
    json command = envelope(verb, now_ms, nonce);
    command["account"] = money_account;
    command["args"] = json{{"order_id", order}, {"amount", amount}};
    invocation.request = command_request(std::move(command));
  } else if (verb == "relay") {
    json command = envelope("relay_" + relay_action, now_ms, nonce);
    if (relay_meters.size() == 1) {
      command["meter"] = relay_meters[0];
    } else {
      command["meters"] = relay_meters;
    }
    invocation.request = command_request(std::move(command));
  } else if (verb == "query") {
    json command = envelope("query", now_ms, nonce);
    command["meter"] = query_meter;
    command["args"] = json{{"points", query_points}};
    invocation.request = command_request(std::move(command));
  } else if (verb == "stats") {
    json command = envelope("stats", now_ms, nonce);
    if (stats_owner.find('=') != std::string::npos) {
      command["select"] = json{{"tags", tags_of(stats_owner)}};
    } else {
      command[stats_account ? "account" : "meter"] = stats_owner;
    }
    json args{{"granularity", stats_granularity}, {"from", stats_from}, {"to", stats_to}};
    if (!stats_compare.empty()) args["compare"] = stats_compare;
    command["args"] = std::move(args);
    invocation.request = command_request(std::move(command));
  } else {
    invocation.send_file = send_file;
  }
  const bool report =
      invocation.kind != ReplyKind::kCommand && invocation.kind != ReplyKind::kBackup;
  invocation.timeout = timeout_s > 0
                           ? std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000))
                           : std::chrono::milliseconds(report ? kReportTimeout : kCommandTimeout);
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
