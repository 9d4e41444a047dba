// SPDX-License-Identifier: Apache-2.0
// The technician's CLI end to end: the real meterctl binary against the real daemon's local
// control socket, with a real mosquitto and sim meters. Local commands go through the same
// journal as the cloud's, with the technician as operator, need no HMAC signature, and work
// while the broker is down; bad input on the socket is answered and harms nothing.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/broker.h"
#include "support/process.h"
#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"

#ifndef METERCTL_BINARY
#error "METERCTL_BINARY must be defined by the build"
#endif

namespace meterd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string current_user() {
  const passwd* entry = ::getpwuid(::geteuid());
  return entry ? entry->pw_name : "uid" + std::to_string(::geteuid());
}

struct CtlRun {
  int code = -1;  // the exit status; -1 when meterctl did not exit (a signal, a hang)
  int signal = 0;
  json reply;          // the parsed reply on stdout, null when it was not JSON
  std::string output;  // stdout and stderr
  std::string reason;  // meterctl's own "meterctl: ..." lines on stderr
};

// A raw client of the control socket, for what meterctl would never send.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    timeval timeout{20, 0};
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // The next reply line; nullopt on EOF, error or timeout.
  std::optional<std::string> line() {
    while (true) {
      if (auto newline = buffer_.find('\n'); newline != std::string::npos) {
        std::string out = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return out;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // True once the daemon has closed the connection (reads reach EOF or a reset).
  bool closed_by_peer() {
    char chunk[4096];
    while (true) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

class MeterctlTest : public ::testing::Test {
 protected:
  void start(const std::string& extra_yaml = "", std::map<std::string, std::string> env = {}) {
    broker_.start();
    collector_ =
        std::make_unique<MqttCollector>(broker_.uri(), "ctl-collector", "meterd/v1/gw-test/#");
    spec_.servers = {broker_.uri()};
    spec_.billing_yaml =
        std::string(kOneAccountBilling) + "local:\n  socket: " + socket_ + "\n" + extra_yaml;
    daemon_ = std::make_unique<DaemonUnderTest>(dir_, spec_);
    daemon_->start(std::move(env));
    ASSERT_TRUE(wait_for_telemetry_of(*collector_, "b1-m2", 20s)) << daemon_->log();
    ASSERT_TRUE(std::filesystem::is_socket(socket_)) << daemon_->log();
  }

  // With --json (the reply parsed into `reply`) unless `human`.
  CtlRun ctl(const std::vector<std::string>& args, bool with_socket = true, bool human = false) {
    std::vector<std::string> argv{METERCTL_BINARY};
    if (with_socket) argv.insert(argv.end(), {"--socket", socket_});
    if (!human) argv.push_back("--json");
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = dir_.file("meterctl-" + std::to_string(++runs_) + ".log");
    ChildProcess process(argv, log);
    CtlRun run;
    const std::optional<ExitStatus> status = process.wait(60s);
    run.output = process.log();
    if (status && status->exited) run.code = status->code;
    if (status && !status->exited) run.signal = status->signal;
    // stderr is tied to stdout: the reply comes first, meterctl's own lines after it.
    std::string reply_text;
    std::istringstream lines(run.output);
    for (std::string line; std::getline(lines, line);) {
      (line.starts_with("meterctl: ") ? run.reason : reply_text) += line + "\n";
    }
    run.reply = json::parse(reply_text, nullptr, false);
    if (run.reply.is_discarded()) run.reply = nullptr;
    return run;
  }

  CtlRun human(const std::vector<std::string>& args) { return ctl(args, true, true); }

  std::int64_t db_int(const std::string& sql) { return query_store_int(daemon_->db_path(), sql); }

  TempDir dir_;
  std::string socket_ = dir_.file("meterd.sock");
  MosquittoBroker broker_{dir_.path() / "broker"};
  std::unique_ptr<MqttCollector> collector_;
  SiteSpec spec_;
  std::unique_ptr<DaemonUnderTest> daemon_;
  int runs_ = 0;
};

TEST_F(MeterctlTest, StatusAnswersWithTheHealthReportOnASocketOnlyOwnerAndGroupMayUse) {
  start();
  const CtlRun run = ctl({"status"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.reply.value("gw", ""), "gw-test") << run.output;
  EXPECT_TRUE(run.reply.contains("backlog_rows")) << run.output;
  EXPECT_TRUE(run.reply["commands"].contains("received")) << run.output;
  struct stat info {};
  ASSERT_EQ(::stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
  // Removed at a clean stop.
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(MeterctlTest, BackupCopiesTheRunningStoreOnceAndNeverOverwrites) {
  start();
  const std::string copy = dir_.file("backup.db");
  const CtlRun run = ctl({"backup", copy});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.reply.value("backup", ""), copy) << run.output;
  EXPECT_GT(run.reply.value("last_seq", 0), 0) << run.output;
  const std::string running_id =
      query_store_text(daemon_->db_path(), "SELECT store_id FROM store_identity");
  EXPECT_EQ(run.reply.value("source_store_id", ""), running_id) << run.output;
  EXPECT_EQ(query_store_text(copy, "SELECT store_id FROM store_identity"),
            run.reply.value("store_id", ""))
      << run.output;
  EXPECT_NE(run.reply.value("store_id", ""), running_id) << run.output;
  EXPECT_EQ(query_store_text(copy, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(query_store_int(copy, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"),
            run.reply.value("last_seq", 0));

  const CtlRun again = ctl({"backup", copy});
  EXPECT_EQ(again.code, 1) << again.output;
  EXPECT_NE(again.reason.find("never overwritten"), std::string::npos) << again.output;
  EXPECT_TRUE(daemon_->running()) << daemon_->log();
}

TEST_F(MeterctlTest, LocalRechargeIsJournaledWithTheTechnicianAndAppliedOncePerOrder) {
  start();
  CtlRun first = ctl({"recharge", "A101", "25.0000", "--order", "tech-order-1"});
  ASSERT_EQ(first.code, 0) << first.output << daemon_->log();
  EXPECT_EQ(first.reply.value("state", ""), "done") << first.output;
  EXPECT_EQ(first.reply["results"][0].value("amount", ""), "25.0000") << first.output;
  const std::string first_id = first.reply.value("id", "");
  EXPECT_TRUE(first_id.starts_with("local-")) << first.output;

  CtlRun again = ctl({"recharge", "A101", "25.0000", "--order", "tech-order-1"});
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.reply.value("id", ""), first_id);
  EXPECT_TRUE(again.reply["results"][0].value("order_applied_before", false)) << again.output;

  // The cloud hears of local commands too: their results go out on cmd/result.
  EXPECT_FALSE(wait_final(*collector_, first_id, 10s).is_null());

  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  // The journal says who did what and how it ended.
  EXPECT_NE(daemon_->log().find("command " + first_id + " recharge by local:" + current_user() +
                                ": done: A101 ok amount=25.0000"),
            std::string::npos)
      << daemon_->log();
  EXPECT_EQ(db_int("SELECT count(*) FROM ledger WHERE kind = 'recharge' AND "
                   "order_id = 'tech-order-1'"),
            1);
  EXPECT_EQ(db_int("SELECT count(*) FROM commands WHERE operator = 'local:" + current_user() +
                   "' AND op = 'recharge' AND state = 'done'"),
            2);
  EXPECT_EQ(db_int("SELECT sum(amount) FROM ledger WHERE account_id = 'A101'"),
            db_int("SELECT balance FROM account_state WHERE account_id = 'A101'"));
}

TEST_F(MeterctlTest, RelayOpenAndCloseSwitchTheMeterAndAFailedCommandExitsOne) {
  start();
  CtlRun run = ctl({"relay", "open", "b1-m3"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.reply["results"][0]["values"].value("relay_closed", true), false) << run.output;
  run = ctl({"query", "b1-m3", "relay_closed"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.reply["results"][0]["values"].value("relay_closed", true), false) << run.output;
  run = ctl({"relay", "close", "b1-m3", "b1-m4"});
  ASSERT_EQ(run.code, 0) << run.output;
  ASSERT_EQ(run.reply["results"].size(), 2u) << run.output;
  EXPECT_EQ(run.reply["results"][0]["values"].value("relay_closed", false), true) << run.output;

  run = ctl({"recharge", "NO-SUCH-ACCOUNT", "1.0000"});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_EQ(run.reply.value("state", ""), "failed") << run.output;

  const std::string file = dir_.file("envelope.json");
  std::ofstream(file) << R"({"op":"relay_open","meter":"b1-m5"})";
  run = ctl({"send", file});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.reply.value("op", ""), "relay_open") << run.output;
}

// Each of these once ended meterctl with SIGABRT: the daemon's refusal carries `error` as an
// object. Every refusal exits 1 with the daemon's reason on one readable line.
TEST_F(MeterctlTest, EveryRefusalOfTheDaemonExitsOneWithAReadableReason) {
  start();
  const std::string unknown_member = dir_.file("unknown-member.json");
  std::ofstream(unknown_member) << R"({"op":"relay_open","meter":"b1-m5","colour":"red"})";
  const std::string no_id_op = dir_.file("no-op.json");
  std::ofstream(no_id_op) << R"({"op":"frobnicate","meter":"b1-m5"})";
  struct Case {
    std::vector<std::string> args;
    std::string reason;  // expected within meterctl's own line
  };
  const std::vector<Case> cases = {
      {{"recharge", "A101", "20.12345"}, "refused: invalid at /args/amount"},
      {{"recharge", "A101", "-5"}, "refused: invalid at /args/amount"},
      {{"refund", "A101", "1e9"}, "refused: invalid at /args/amount"},
      {{"send", unknown_member}, "refused: invalid at /colour"},
      {{"send", no_id_op}, "refused: unknown_op at /op"},
      {{"recharge", "NO-SUCH-ACCOUNT", "1.0000"}, "failed: NO-SUCH-ACCOUNT: unknown_account"},
  };
  for (const Case& c : cases) {
    const CtlRun run = ctl(c.args);
    EXPECT_EQ(run.signal, 0) << c.args[0] << " " << c.args.back() << ": " << run.output;
    EXPECT_EQ(run.code, 1) << c.args.back() << ": " << run.output;
    EXPECT_NE(run.reason.find(c.reason), std::string::npos)
        << c.args.back() << ": " << run.reason << " in\n"
        << run.output;
  }
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(db_int("SELECT COUNT(*) FROM ledger WHERE kind = 'recharge'"), 0);
}

TEST_F(MeterctlTest, MalformedLinesAreAnsweredAndAnOverlongLineClosesOnlyItsConnection) {
  start();
  RawClient client(socket_);
  ASSERT_TRUE(client.connected());
  for (const std::string bad : {"not json", "[1,2]", R"({"op":"reboot"})", R"({"op":"command"})",
                                "{\"op\":\"status\"\xff}"}) {
    ASSERT_TRUE(client.send(bad + "\n"));
    const auto reply = client.line();
    ASSERT_TRUE(reply.has_value()) << bad;
    EXPECT_EQ(json::parse(*reply, nullptr, false).value("error", ""), "bad_request") << *reply;
  }
  // A command without a usable id is refused at once, with the parser's reason.
  ASSERT_TRUE(client.send(R"({"op":"command","command":{"op":"recharge"}})"
                          "\n"));
  auto reply = client.line();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(json::parse(*reply, nullptr, false).value("error", ""), "rejected") << *reply;
  // The same connection still answers.
  ASSERT_TRUE(client.send(R"({"op":"status"})"
                          "\n"));
  reply = client.line();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(json::parse(*reply, nullptr, false).value("gw", ""), "gw-test") << *reply;

  RawClient flooder(socket_);
  ASSERT_TRUE(flooder.connected());
  flooder.send(std::string(70 * 1024, 'x'));
  EXPECT_TRUE(flooder.closed_by_peer());

  // Everyone else carries on.
  ASSERT_TRUE(client.send(R"({"op":"status"})"
                          "\n"));
  EXPECT_TRUE(client.line().has_value());
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(ctl({"status"}).code, 0);
}

TEST_F(MeterctlTest, ManyClientsAtOnceEachGetTheirOwnResult) {
  start();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(std::make_unique<RawClient>(socket_));
    ASSERT_TRUE(clients.back()->connected());
    json command = make_command("many-" + std::to_string(i), "query", {{"meter", "b1-m1"}},
                                {{"points", {"energy_total"}}});
    command.erase("sig");
    ASSERT_TRUE(clients.back()->send(json{{"op", "command"}, {"command", command}}.dump() + "\n"));
  }
  for (int i = 0; i < 8; ++i) {
    const auto reply = clients[static_cast<std::size_t>(i)]->line();
    ASSERT_TRUE(reply.has_value()) << i;
    const json body = json::parse(*reply, nullptr, false);
    EXPECT_EQ(body.value("id", ""), "many-" + std::to_string(i)) << *reply;
    EXPECT_EQ(body.value("state", ""), "done") << *reply;
  }
}

TEST_F(MeterctlTest, LocalCommandsNeedNoSignatureWhereTheCloudsDo) {
  const std::string key = dir_.file("cmd.key");
  std::ofstream(key) << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  start("commands:\n  hmac_key_file: " + key + "\n");
  const json cloud =
      run_command(*collector_, make_command("cloud-unsigned", "recharge", {{"account", "A101"}},
                                            {{"order_id", "o-cloud"}, {"amount", "1.0000"}}));
  EXPECT_EQ(cloud.value("state", ""), "failed") << cloud.dump();
  const CtlRun local = ctl({"recharge", "A101", "1.0000", "--order", "o-local"});
  EXPECT_EQ(local.code, 0) << local.output;
  EXPECT_EQ(local.reply.value("state", ""), "done") << local.output;
}

TEST_F(MeterctlTest, LocalRechargeWorksWhileTheBrokerIsDown) {
  start();
  broker_.stop();
  const CtlRun run = ctl({"recharge", "A101", "12.5000", "--order", "offline-1"});
  ASSERT_EQ(run.code, 0) << run.output << daemon_->log();
  EXPECT_EQ(run.reply.value("state", ""), "done") << run.output;
  const CtlRun status = ctl({"status"});
  ASSERT_EQ(status.code, 0) << status.output;
  EXPECT_FALSE(status.reply.value("connected", true)) << status.output;
  ASSERT_TRUE(daemon_->terminate(15s).has_value());
  EXPECT_EQ(db_int("SELECT count(*) FROM ledger WHERE order_id = 'offline-1'"), 1);
}

TEST_F(MeterctlTest, UsageAndConnectionErrorsExitTwo) {
  EXPECT_EQ(ctl({"recharge", "A101"}).code, 2);
  EXPECT_EQ(ctl({"relay", "toggle", "m1"}).code, 2);
  EXPECT_EQ(ctl({"frobnicate"}).code, 2);
  EXPECT_EQ(ctl({"account"}).code, 2);
  EXPECT_EQ(ctl({"status", "--timeout", "0"}).code, 2);
  const CtlRun run = ctl({"status"});  // nothing listens on the socket
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.output.find("cannot connect"), std::string::npos) << run.output;
  const CtlRun human_run = human({"meters"});
  EXPECT_EQ(human_run.code, 2);
  EXPECT_NE(human_run.output.find("cannot connect"), std::string::npos) << human_run.output;
}

TEST_F(MeterctlTest, VersionAndPerCommandHelpExitZero) {
  const CtlRun version = ctl({"--version"}, false);
  EXPECT_EQ(version.code, 0) << version.output;
  EXPECT_NE(version.output.find("meterctl "), std::string::npos) << version.output;
  for (const std::string command : {"status", "meters", "account", "backlog", "backup", "recharge",
                                    "refund", "relay", "query", "send"}) {
    const CtlRun help = ctl({command, "--help"}, false);
    EXPECT_EQ(help.code, 0) << command << ": " << help.output;
    EXPECT_NE(help.output.find("Usage: meterctl " + command), std::string::npos) << help.output;
  }
}

// A daemon that accepts the connection and never answers: meterctl gives up after --timeout
// with exit 2 and says so, rather than hanging.
TEST_F(MeterctlTest, ADaemonThatAcceptsAndNeverAnswersEndsInExitTwoAfterTheTimeout) {
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 8), 0);  // the kernel accepts; nobody ever reads or writes
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"status", "--timeout", "0.5"},
        std::vector<std::string>{"--timeout", "0.5", "recharge", "A101", "1.0000"}}) {
    const CtlRun run = ctl(args);
    EXPECT_EQ(run.signal, 0) << run.output;
    EXPECT_EQ(run.code, 2) << run.output;
    EXPECT_NE(run.reason.find("no reply from meterd at " + socket_ + " within 0.5 s"),
              std::string::npos)
        << run.output;
  }
  ::close(listener);
}

TEST_F(MeterctlTest, EveryReportAnswersInJsonAndAsTablesForPeople) {
  start();
  ASSERT_EQ(ctl({"recharge", "A101", "25.0000", "--order", "report-order-1"}).code, 0);

  CtlRun run = ctl({"status"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.reply["meters"].value("online", -1) + run.reply["meters"].value("unknown", -1) +
                run.reply["meters"].value("offline", -1),
            5)
      << run.output;
  EXPECT_EQ(run.reply["meters"].value("cut_off", -1), 0) << run.output;
  EXPECT_TRUE(run.reply["clock"].contains("synchronized")) << run.output;
  EXPECT_EQ(run.reply["clock"].value("source", ""), "kernel") << run.output;
  EXPECT_GT(run.reply.value("disk_free_bytes", std::int64_t{0}), 0) << run.output;
  EXPECT_TRUE(run.reply.value("config_hash", "").starts_with("sha256:")) << run.output;
  EXPECT_EQ(run.reply.value("config_hash", "").size(), 7u + 64u) << run.output;
  EXPECT_EQ(run.reply.value("store_id", ""),
            query_store_text(daemon_->db_path(), "SELECT store_id FROM store_identity"));
  EXPECT_EQ(run.reply["versions"].value("plugin_abi", 0), 3) << run.output;
  EXPECT_TRUE(run.reply.contains("backlog_age_s")) << run.output;
  run = human({"status"});
  ASSERT_EQ(run.code, 0) << run.output;
  for (const char* line : {"gateway      gw-test", "clock        ", "meters       ",
                           "backlog      ", "config       sha256:", "BUS"}) {
    EXPECT_NE(run.output.find(line), std::string::npos) << line << " in\n" << run.output;
  }

  ASSERT_TRUE(wait_for(
      [&] {
        run = ctl({"meters"});
        return run.code == 0 && run.reply["meters"].size() == 5u &&
               run.reply["meters"][0].value("state", "") == "online";
      },
      20s, 200ms))
      << run.output;
  const json& first = run.reply["meters"][0];
  EXPECT_EQ(first.value("meter", ""), "b1-m1") << run.output;
  EXPECT_EQ(first.value("bus", ""), "bus1") << run.output;
  EXPECT_EQ(first.value("account", ""), "A101") << run.output;
  EXPECT_TRUE(first["last_reading_age_s"].is_number_integer()) << run.output;
  EXPECT_EQ(first.value("poll_errors", -1), 0) << run.output;
  run = human({"meters"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("METER"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("b1-m5"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("online"), std::string::npos) << run.output;

  run = ctl({"account", "A101"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.reply.value("account", ""), "A101") << run.output;
  EXPECT_EQ(run.reply.value("alarm_level", ""), "normal") << run.output;
  EXPECT_EQ(run.reply["meters"].size(), 2u) << run.output;
  ASSERT_EQ(run.reply["recent_recharges"].size(), 1u) << run.output;
  EXPECT_EQ(run.reply["recent_recharges"][0].value("amount", ""), "25.0000") << run.output;
  EXPECT_EQ(run.reply["recent_recharges"][0].value("order_id", ""), "report-order-1");
  const std::string balance = run.reply.value("balance", "");
  EXPECT_EQ(balance.find('.'), balance.size() - 5) << run.output;  // money: 4 decimals
  run = human({"account", "A101"});
  ASSERT_EQ(run.code, 0) << run.output;
  for (const char* text : {"account      A101", "balance      ", "alarm level  normal", "b1-m2",
                           "report-order-1", "25.0000"}) {
    EXPECT_NE(run.output.find(text), std::string::npos) << text << " in\n" << run.output;
  }
  run = ctl({"account", "NO-SUCH"});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_NE(run.reason.find("unknown_account"), std::string::npos) << run.output;
  EXPECT_EQ(human({"account", "NO-SUCH"}).code, 1);

  // The broker goes away: rows wait, and the backlog says how many and since when.
  broker_.stop();
  ASSERT_TRUE(wait_for(
      [&] {
        run = ctl({"backlog"});
        return run.code == 0 && run.reply.value("rows", 0) > 0;
      },
      20s, 200ms))
      << run.output;
  EXPECT_GT(run.reply.value("bytes", 0), 0) << run.output;
  EXPECT_TRUE(run.reply["oldest_seq"].is_number_integer()) << run.output;
  EXPECT_TRUE(run.reply["oldest_age_s"].is_number_integer()) << run.output;
  run = human({"backlog"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("rows         "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("oldest       seq "), std::string::npos) << run.output;
}

TEST_F(MeterctlTest, CommandsPrintTheirResultsForPeopleAndAnUnpolledPointIsAnError) {
  start();
  CtlRun run = human({"recharge", "A101", "5.0000", "--order", "human-1"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find(": done"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("A101  ok  amount=5.0000"), std::string::npos) << run.output;
  run = human({"relay", "open", "b1-m3"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("relay_closed=no"), std::string::npos) << run.output;
  run = human({"query", "b1-m3", "energy_total"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("energy_total="), std::string::npos) << run.output;

  // A point the meter's profile does not have: the command fails, naming the point.
  run = ctl({"query", "b1-m3", "energy_total", "no_such_point"});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_EQ(run.reply.value("state", ""), "failed") << run.output;
  EXPECT_EQ(run.reply["results"][0].value("code", ""), "unknown_point") << run.output;
  EXPECT_TRUE(run.reply["results"][0]["values"].contains("energy_total")) << run.output;
  EXPECT_NE(run.reason.find("no_such_point"), std::string::npos) << run.output;
  run = human({"query", "b1-m3", "no_such_point"});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_NE(run.output.find("FAILED  unknown_point"), std::string::npos) << run.output;
}

// YYYY-MM-DD of `days` from now in UTC; yesterday..tomorrow covers today at any site offset.
std::string utc_date(int days) {
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
                   std::chrono::days{days};
  const std::chrono::year_month_day date{day};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

TEST_F(MeterctlTest, StatsAnswerTheRollupsOfTodayByMeterAccountAndTagAndRefuseWhatTheyCannot) {
  // Every meter b1-m1..b1-m5 in building A, drawing 9 kW so that billing shows in seconds.
  spec_.meter_settings = "tags: {building: A}\n        base_load_w: 9000";
  start();
  // Two relay operations today (open, then close), counted in the meter's rollups.
  ASSERT_EQ(ctl({"relay", "open", "b1-m3"}).code, 0);
  ASSERT_EQ(ctl({"relay", "close", "b1-m3"}).code, 0);
  CtlRun run = ctl({"stats", "b1-m3", "day", utc_date(-1), utc_date(1), "--compare", "mom"});
  ASSERT_EQ(run.code, 0) << run.output;
  const json& result = run.reply["results"][0];
  EXPECT_EQ(result.value("scope", ""), "meter") << run.output;
  EXPECT_EQ(result["total"].value("relay_operations", 0), 2) << run.output;
  EXPECT_TRUE(result["compare"]["change"].contains("energy_pct")) << run.output;
  run = human(
      {"stats", "A101", "month", utc_date(0).substr(0, 7), utc_date(0).substr(0, 7), "--account"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("total"), std::string::npos) << run.output;

  // By tag: the sum of the five meters. Billing goes on meanwhile, so the tag's energy lies
  // between the meters' sums read before and after it; the relay operations are exact.
  auto meters_sum = [&](const char* figure) {
    std::int64_t sum = 0;
    for (int n = 1; n <= 5; ++n) {
      const std::string meter = "b1-m" + std::to_string(n);
      CtlRun one = ctl({"stats", meter, "day", utc_date(-1), utc_date(1)});
      EXPECT_EQ(one.code, 0) << one.output;
      sum += one.reply["results"][0]["total"].value(figure, std::int64_t{-1000000});
    }
    return sum;
  };
  ASSERT_TRUE(wait_for([&] { return meters_sum("energy_wh") > 0; }, 60s, 500ms))
      << "b1-m1 and b1-m2 are billed";
  const std::int64_t energy_before = meters_sum("energy_wh");
  run = ctl({"stats", "building=A", "day", utc_date(-1), utc_date(1), "--compare", "yoy"});
  const std::int64_t energy_after = meters_sum("energy_wh");
  ASSERT_EQ(run.code, 0) << run.output;
  const json& building = run.reply["results"][0];
  EXPECT_EQ(building.value("target", ""), "building=A") << run.output;
  EXPECT_EQ(building.value("scope", ""), "select") << run.output;
  EXPECT_EQ(building.value("meters", 0), 5) << run.output;
  EXPECT_EQ(building["total"].value("relay_operations", 0), meters_sum("relay_operations"));
  const std::int64_t energy = building["total"].value("energy_wh", std::int64_t{-1});
  EXPECT_GE(energy, energy_before) << run.output;
  EXPECT_LE(energy, energy_after) << run.output;
  EXPECT_EQ(building["compare"].value("kind", ""), "yoy") << run.output;
  run = ctl({"stats", "building=Z", "day", utc_date(0), utc_date(0)});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_EQ(run.reply["results"][0].value("code", ""), "no_match") << run.output;

  run = ctl({"stats", "no-such-meter", "day", utc_date(0), utc_date(0)});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_EQ(run.reply["results"][0].value("code", ""), "unknown_meter") << run.output;
  run = ctl({"stats", "b1-m3", "day", utc_date(1), utc_date(-1)});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_EQ(run.reply["error"].value("path", ""), "/args/to") << run.output;
  run = ctl({"stats", "b1-m3", "week", utc_date(0), utc_date(0)});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_EQ(run.reply["error"].value("path", ""), "/args/granularity") << run.output;
}

// The kernel's clock state replaced by the test-only override file: an unsynchronized clock
// raises one event and a health flag, and its return raises clock_synchronized.
TEST_F(MeterctlTest, AnUnsynchronizedClockRaisesOneEventAndAHealthFlagUntilItComesBack) {
  const std::string clock_file = dir_.file("clock-state");
  std::ofstream(clock_file) << "unsynchronized\n";
  spec_.health_interval = "1s";
  start("", {{"METERD_TEST_CLOCK_STATE_FILE", clock_file}});
  CtlRun run = ctl({"status"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_FALSE(run.reply["clock"].value("synchronized", true)) << run.output;
  EXPECT_EQ(run.reply["clock"].value("source", ""), "test_override") << run.output;
  EXPECT_EQ(run.reply["flags"], json::array({"clock_unsynchronized"})) << run.output;
  EXPECT_NE(human({"status"}).output.find("NOT synchronized"), std::string::npos);
  auto health_flagged = [](const MqttCollector::Messages& messages) {
    for (const auto& m : messages) {
      if (!m.topic.ends_with("/health")) continue;
      const json body = m.json();
      if (!body.is_discarded() && body.contains("flags") &&
          body["flags"] == json::array({"clock_unsynchronized"})) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(collector_->wait_until(health_flagged, 20s));
  auto event_count = [&](const std::string& type) {
    return db_int("SELECT count(*) FROM events WHERE type = '" + type + "'");
  };
  ASSERT_TRUE(wait_for([&] { return event_count("clock_unsynchronized") == 1; }, 20s, 200ms));

  std::ofstream(clock_file) << "synchronized\n";
  ASSERT_TRUE(wait_for([&] { return event_count("clock_synchronized") == 1; }, 20s, 200ms))
      << daemon_->log();
  run = ctl({"status"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_TRUE(run.reply["clock"].value("synchronized", false)) << run.output;
  EXPECT_EQ(run.reply["flags"], json::array()) << run.output;
  EXPECT_EQ(event_count("clock_unsynchronized"), 1);  // once per transition, not per check
}

}  // namespace
}  // namespace meterd::test
