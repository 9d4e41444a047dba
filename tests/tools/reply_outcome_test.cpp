// SPDX-License-Identifier: Apache-2.0
// meterctl's judgement of a reply line: exit status and the technician's reason, for every
// shape meterd sends and for shapes it never should.
#include "reply_outcome.h"

#include <gtest/gtest.h>

namespace meterctl {
namespace {

using json = nlohmann::json;

TEST(MeterctlReply, ARefusedCommandsErrorObjectGivesExitOneWithCodePathAndMessage) {
  const json reply = json::parse(R"({"id":"local-1","op":"recharge","state":"failed",
      "error":{"code":"invalid","path":"/args/amount","message":"at most 4 decimals"}})");
  const ReplyOutcome outcome = judge_reply(reply, false);
  EXPECT_EQ(outcome.exit_code, kExitFailed);
  EXPECT_EQ(outcome.message, "refused: invalid at /args/amount: at most 4 decimals");
}

TEST(MeterctlReply, TheSocketsOwnStringErrorsAndTheDaemonsCommandTimeoutGiveExitOne) {
  EXPECT_EQ(
      judge_reply(json::parse(R"({"error":"bad_request","message":"expected one JSON"})"), false)
          .message,
      "bad_request: expected one JSON");
  const ReplyOutcome rejected = judge_reply(
      json::parse(R"({"error":"rejected","code":"invalid","path":"/id","message":"required"})"),
      false);
  EXPECT_EQ(rejected.exit_code, kExitFailed);
  EXPECT_EQ(rejected.message, "rejected: invalid at /id: required");
  const ReplyOutcome timeout =
      judge_reply(json::parse(R"({"error":"timeout","id":"x","message":"ask later"})"), true);
  EXPECT_EQ(timeout.exit_code, kExitFailed);
  EXPECT_EQ(timeout.message, "timeout: ask later");
}

TEST(MeterctlReply, FailedTargetsAreNamedWithTheirCodesAndDoneIsSilent) {
  const json failed = json::parse(R"({"id":"c","op":"relay_open","state":"failed","results":[
      {"target":"m1","ok":true},{"target":"m2","ok":false,"code":"meter_timeout","message":"no reply"},
      {"target":"m3","ok":false,"error":{"code":"bus_error"}}]})");
  const ReplyOutcome outcome = judge_reply(failed, false);
  EXPECT_EQ(outcome.exit_code, kExitFailed);
  EXPECT_EQ(outcome.message, "failed: m2: meter_timeout: no reply; m3: bus_error");
  const ReplyOutcome done = judge_reply(json::parse(R"({"id":"c","state":"done"})"), false);
  EXPECT_EQ(done.exit_code, kExitDone);
  EXPECT_TRUE(done.message.empty());
  EXPECT_EQ(judge_reply(json::parse(R"({"gw":"g","uptime_s":1})"), true).exit_code, kExitDone);
}

TEST(MeterctlReply, RepliesOfAnyOtherShapeAreFailuresNeverExceptions) {
  for (const char* text :
       {"null", "[]", "42", "\"done\"", R"({"error":null})", R"({"error":[1,2]})",
        R"({"error":{"code":7,"path":[],"message":{}}})", R"({"state":1})", R"({"state":"done2"})",
        R"({"state":"failed","results":"x"})",
        R"({"state":"failed","results":[1,null,{"ok":"no"}]})", R"({})"}) {
    const json reply = json::parse(text);
    ReplyOutcome outcome;
    EXPECT_NO_THROW(outcome = judge_reply(reply, false)) << text;
    EXPECT_EQ(outcome.exit_code, kExitFailed) << text;
    EXPECT_FALSE(outcome.message.empty()) << text;
  }
}

}  // namespace
}  // namespace meterctl
