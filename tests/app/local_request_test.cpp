// SPDX-License-Identifier: Apache-2.0
// Request lines of the control socket, judged before anything acts on them.
#include "local/local_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace meterd {
namespace {

using json = nlohmann::json;

TEST(LocalRequest, StatusAndACommandWithAnIdAreTakenAsTheyAre) {
  EXPECT_EQ(read_local_request(R"({"op":"status"})").kind, LocalRequest::Kind::kStatus);
  const LocalRequest request = read_local_request(
      R"({"op":"command","command":{"id":"l1","op":"relay_open","meter":"m1"}})");
  ASSERT_EQ(request.kind, LocalRequest::Kind::kCommand);
  EXPECT_EQ(request.id, "l1");
  EXPECT_EQ(json::parse(request.command)["meter"], "m1");
  EXPECT_TRUE(request.refusal.empty());
}

TEST(LocalRequest, ABackupNamesAnAbsolutePath) {
  const LocalRequest request = read_local_request(R"({"op":"backup","path":"/var/backups/m.db"})");
  ASSERT_EQ(request.kind, LocalRequest::Kind::kBackup);
  EXPECT_EQ(request.backup_path, "/var/backups/m.db");
  for (const std::string line : {R"({"op":"backup"})", R"({"op":"backup","path":"relative.db"})",
                                 R"({"op":"backup","path":""})", R"({"op":"backup","path":7})",
                                 "{\"op\":\"backup\",\"path\":\"/a\\u0000b\"}"}) {
    const LocalRequest refused = read_local_request(line);
    EXPECT_EQ(refused.kind, LocalRequest::Kind::kRefused) << line;
    EXPECT_EQ(json::parse(refused.refusal)["error"], "bad_request") << line;
  }
}

TEST(LocalRequest, TheReportsAreTakenAndAnAccountReportNeedsAnId) {
  EXPECT_EQ(read_local_request(R"({"op":"meters"})").kind, LocalRequest::Kind::kMeters);
  EXPECT_EQ(read_local_request(R"({"op":"backlog"})").kind, LocalRequest::Kind::kBacklog);
  const LocalRequest account = read_local_request(R"({"op":"account","account":"A101"})");
  ASSERT_EQ(account.kind, LocalRequest::Kind::kAccount);
  EXPECT_EQ(account.account_id, "A101");
  EXPECT_TRUE(is_report(account));
  EXPECT_FALSE(is_report(read_local_request(R"({"op":"backup","path":"/b.db"})")));
  for (const std::string line : {R"({"op":"account"})", R"({"op":"account","account":""})",
                                 R"({"op":"account","account":7})"}) {
    const LocalRequest refused = read_local_request(line);
    EXPECT_EQ(refused.kind, LocalRequest::Kind::kRefused) << line;
    EXPECT_EQ(json::parse(refused.refusal)["error"], "bad_request") << line;
  }
}

TEST(LocalRequest, ACommandWithoutAUsableIdCarriesTheParsersReasonForItsReply) {
  const LocalRequest request =
      read_local_request(R"({"op":"command","command":{"op":"recharge"}})");
  ASSERT_EQ(request.kind, LocalRequest::Kind::kCommand);
  EXPECT_FALSE(request.id.has_value());
  const json reply = json::parse(request.refusal);
  EXPECT_EQ(reply["error"], "rejected");
  EXPECT_EQ(reply["path"], "/id");
}

TEST(LocalRequest, AnythingElseIsRefusedWithABadRequestLineThatIsValidJson) {
  for (const std::string line :
       {"", "not json", "[1]", R"({"op":1})", R"({"op":"reboot"})", R"({"op":"command"})",
        R"({"op":"command","command":[]})", "{\"op\":\"status\"\xff}", "{\"op\":\"\xc3\x28\"}"}) {
    const LocalRequest request = read_local_request(line);
    EXPECT_EQ(request.kind, LocalRequest::Kind::kRefused) << line;
    const json reply = json::parse(request.refusal, nullptr, false);
    ASSERT_TRUE(reply.is_object()) << line;
    EXPECT_EQ(reply["error"], "bad_request") << line;
  }
}

}  // namespace
}  // namespace meterd
