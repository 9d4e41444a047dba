// SPDX-License-Identifier: Apache-2.0
// Each class of bad input is refused with the expected code, the JSON pointer of the offending
// member and a reason; the id is recovered whenever it was readable.
#include <gtest/gtest.h>

#include "commands/command_parser.h"
#include "commands/command_test_payloads.h"

namespace meterd {
namespace {

using nlohmann::json;

struct Refusal {
  std::optional<std::string> id;
  std::string code;
  std::string path;
  std::string message;
};

Refusal refuse_text(std::string_view payload, const ParseLimits& limits = {}) {
  const ParsedCommand parsed = parse_command(payload, limits);
  if (parsed.ok()) {
    ADD_FAILURE() << "accepted: " << payload.substr(0, 200);
    return {};
  }
  return {parsed.id, parsed.error().code, parsed.error().path, parsed.error().message};
}

Refusal refuse(const json& payload) { return refuse_text(payload.dump()); }

json recharge_with_amount(json amount) {
  json j = test::recharge_command();
  j["args"]["amount"] = std::move(amount);
  return j;
}

// Once, the JSON library's message quoted the bad bytes, and every JSON dump of the refusal
// threw (type_error.316) and ended the daemon. Now the offset is given, and the id and op are
// recovered so that the cloud hears of its command.
TEST(CommandParserErrors, InvalidUtf8IsMalformedAtItsOffsetWithTheIdAndOpRecovered) {
  const ParsedCommand parsed =
      parse_command("{\"id\":\"x1\",\"op\":\"query\",\"target\":\"\xff\xfe\"}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, "malformed");
  EXPECT_EQ(parsed.error().message, "not valid UTF-8 at byte 34");
  EXPECT_EQ(parsed.id, "x1");
  EXPECT_EQ(parsed.op, "query");
  const json quoted{{"message", parsed.error().message}};
  EXPECT_NO_THROW((void)quoted.dump());
  // Every kind of ill-formed sequence, and an id that is itself broken, which stays unread.
  for (const std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80",
                                "\xf8\x88\x80\x80\x80"}) {
    const ParsedCommand broken = parse_command("{\"id\":\"b" + bad + "\",\"op\":\"query\"}");
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.error().code, "malformed");
    EXPECT_EQ(broken.error().message, "not valid UTF-8 at byte 8");
    EXPECT_FALSE(broken.id.has_value());
  }
  EXPECT_TRUE(parse_command("{\"id\":\"u1\",\"op\":\"relay_open\",\"meter\":\"\xe4\xb8\xad\"}").id);
}

TEST(CommandParserErrors, TheOpIsRecoveredForTheRefusalWhenItReadsAsAName) {
  EXPECT_EQ(parse_command(R"({"id":"c1","op":"recharge","account":"a","args":5})").op, "recharge");
  EXPECT_EQ(parse_command(R"({"id":"c1","op":"explode"})").op, "explode");
  EXPECT_FALSE(parse_command(R"({"id":"c1","op":["recharge"]})").op.has_value());
  EXPECT_FALSE(parse_command(R"({"id":"c1","op":"re charge"})").op.has_value());
}

TEST(CommandParserErrors, MalformedJsonIsMalformedWithThePosition) {
  const Refusal r = refuse_text(R"({"id":"c1","op":"recharge",)");
  EXPECT_EQ(r.code, "malformed");
  EXPECT_EQ(r.path, "");
  EXPECT_NE(r.message.find("parse error"), std::string::npos) << r.message;
  EXPECT_FALSE(r.id.has_value());
}

TEST(CommandParserErrors, NonObjectIsMalformed) {
  const Refusal r = refuse_text("[1,2]");
  EXPECT_EQ(r.code, "malformed");
  EXPECT_NE(r.message.find("array"), std::string::npos) << r.message;
  EXPECT_EQ(refuse_text("").code, "malformed");
  EXPECT_EQ(refuse_text("\"recharge\"").code, "malformed");
}

TEST(CommandParserErrors, InvalidUtf8IsMalformed) {
  EXPECT_EQ(refuse_text("{\"id\":\"c\xff\"}").code, "malformed");
}

TEST(CommandParserErrors, MissingIdIsInvalidAtId) {
  json j = test::recharge_command();
  j.erase("id");
  const Refusal r = refuse(j);
  EXPECT_EQ(r.code, "invalid");
  EXPECT_EQ(r.path, "/id");
  EXPECT_EQ(r.message, "required");
  EXPECT_FALSE(r.id.has_value());
}

TEST(CommandParserErrors, IdWithBadCharactersOrLengthIsInvalidAndNotRecovered) {
  for (const json& id : {json("c 1"), json("c/1"), json(""), json(std::string(65, 'a')),
                         json("\xc3\xa9t\xc3\xa9"), json(42)}) {
    SCOPED_TRACE(id.dump());
    json j = test::recharge_command();
    j["id"] = id;
    const Refusal r = refuse(j);
    EXPECT_EQ(r.code, "invalid");
    EXPECT_EQ(r.path, "/id");
    EXPECT_FALSE(r.id.has_value());
  }
  json longest = test::recharge_command();
  longest["id"] = std::string(64, 'a');
  EXPECT_TRUE(parse_command(longest.dump()).ok());
}

TEST(CommandParserErrors, IdIsRecoveredWhenTheRestFails) {
  json j = recharge_with_amount("-1");
  const Refusal r = refuse(j);
  EXPECT_EQ(r.id, "c-20241125-0042");
  EXPECT_EQ(r.path, "/args/amount");
}

TEST(CommandParserErrors, UnknownOpIsUnknownOpAtOp) {
  json j = test::recharge_command();
  j["op"] = "recharge_all";
  const Refusal r = refuse(j);
  EXPECT_EQ(r.code, "unknown_op");
  EXPECT_EQ(r.path, "/op");
  EXPECT_EQ(r.id, "c-20241125-0042");
}

TEST(CommandParserErrors, WrongTypesAreInvalidAtTheMember) {
  struct Case {
    const char* pointer;
    json value;
  };
  const std::vector<Case> cases{
      {"/op", 7},
      {"/account", json::array({"a1"})},
      {"/issued_at", "2024-11-25T12:00:00Z"},
      {"/issued_at", 1.5},
      {"/args", "order_id=1"},
      {"/args/order_id", 17},
      {"/args/amount", 50},
      {"/args/amount", 50.0},
      {"/args/amount", true},
      {"/sig", 12},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.pointer) + " = " + c.value.dump());
    json j = test::recharge_command();
    j[json::json_pointer(c.pointer)] = c.value;
    const Refusal r = refuse(j);
    EXPECT_EQ(r.code, "invalid");
    EXPECT_EQ(r.path, c.pointer);
    EXPECT_FALSE(r.message.empty());
  }
}

TEST(CommandParserErrors, AmountGivenAsNumberSaysToUseAString) {
  const Refusal r = refuse(recharge_with_amount(50));
  EXPECT_NE(r.message.find("decimal string"), std::string::npos) << r.message;
}

TEST(CommandParserErrors, TwoTargetsAreInvalidAtTheSecond) {
  json j = test::recharge_command();
  j["meter"] = "m1";
  const Refusal r = refuse(j);
  EXPECT_EQ(r.code, "invalid");
  EXPECT_EQ(r.path, "/account");  // "meter" is checked first, so "account" is the second
  EXPECT_NE(r.message.find("only one target"), std::string::npos) << r.message;
}

TEST(CommandParserErrors, MissingOrWrongTargetNamesWhatTheOpTakes) {
  json no_target = test::recharge_command();
  no_target.erase("account");
  Refusal r = refuse(no_target);
  EXPECT_EQ(r.code, "invalid");
  EXPECT_EQ(r.path, "");
  EXPECT_EQ(r.message, "recharge takes account");

  json relay_to_account = test::relay_command();
  relay_to_account.erase("meters");
  relay_to_account["account"] = "a1";
  r = refuse(relay_to_account);
  EXPECT_EQ(r.message, "relay_open takes meter, meters, select");

  json cancel = {{"id", "c3"},
                 {"op", "cancel"},
                 {"meter", "m1"},
                 {"issued_at", 1},
                 {"args", {{"command_id", "c1"}}}};
  EXPECT_EQ(refuse(cancel).message, "cancel takes no target");
}

TEST(CommandParserErrors, OutOfRangeAmountsAreInvalidAtAmount) {
  for (const char* amount : {"0", "0.0000", "-5", "1000000.0001", "99999999999999"}) {
    SCOPED_TRACE(amount);
    const Refusal r = refuse(recharge_with_amount(amount));
    EXPECT_EQ(r.code, "invalid");
    EXPECT_EQ(r.path, "/args/amount");
  }
}

TEST(CommandParserErrors, MalformedDecimalStringsAreInvalidAtAmount) {
  for (const char* amount : {"50.00001", "1e3", "+5", " 5", "5.", ".5", "5,00", "", "-",
                             "123456789012345", "0x10", "5.0.0"}) {
    SCOPED_TRACE(amount);
    const Refusal r = refuse(recharge_with_amount(amount));
    EXPECT_EQ(r.code, "invalid");
    EXPECT_EQ(r.path, "/args/amount");
  }
  EXPECT_NE(refuse(recharge_with_amount("50.00001")).message.find("4 decimals"), std::string::npos);
}

TEST(CommandParserErrors, ThresholdOrderIsCheckedAtTheLevelOutOfOrder) {
  auto thresholds = [](json args) {
    return json{{"id", "t1"},
                {"op", "set_thresholds"},
                {"account", "a1"},
                {"issued_at", 1},
                {"args", std::move(args)}};
  };
  EXPECT_EQ(refuse(thresholds({{"low_1", "5"}, {"low_2", "6"}, {"cut_off", "0"}})).path,
            "/args/low_2");
  EXPECT_EQ(refuse(thresholds({{"low_1", "5"}, {"low_2", "4"}, {"cut_off", "4.0001"}})).path,
            "/args/cut_off");
  EXPECT_EQ(refuse(thresholds({{"low_1", "5"}, {"low_2", "4"}})).path, "/args/cut_off");
  EXPECT_EQ(
      refuse(thresholds({{"low_1", "5"}, {"low_2", "4"}, {"cut_off", "0"}, {"hysteresis", "-1"}}))
          .path,
      "/args/hysteresis");
}

TEST(CommandParserErrors, UnknownMembersAreInvalidWhereTheyAre) {
  json top = test::recharge_command();
  top["amount"] = "5";
  EXPECT_EQ(refuse(top).path, "/amount");
  json typo_payload = test::recharge_command();
  typo_payload["args"] = {{"order_id", "o"}, {"amout", "5"}};
  const Refusal typo = refuse(typo_payload);
  EXPECT_EQ(typo.path, "/args/amount");  // the required member is missing first
  json extra = test::recharge_command();
  extra["args"]["note"] = "x";
  EXPECT_EQ(refuse(extra).path, "/args/note");
  EXPECT_EQ(refuse(extra).message, "unknown member");
}

TEST(CommandParserErrors, OversizePayloadIsTooLargeWithoutParsing) {
  const std::string payload(64 * 1024 + 1, '{');  // would also be far too deep and malformed
  const Refusal r = refuse_text(payload);
  EXPECT_EQ(r.code, "too_large");
  EXPECT_EQ(r.path, "");
  EXPECT_NE(r.message.find("65537"), std::string::npos) << r.message;
}

TEST(CommandParserErrors, DeepNestingIsTooLarge) {
  std::string payload =
      R"({"id":"c1","op":"set_tariff","account":"a","issued_at":1,"args":{"tariff":)";
  for (int i = 0; i < 40; ++i) payload += "[";
  for (int i = 0; i < 40; ++i) payload += "]";
  payload += "}}";
  const Refusal r = refuse_text(payload);
  EXPECT_EQ(r.code, "too_large");
  EXPECT_NE(r.message.find("nested deeper than 32"), std::string::npos) << r.message;
}

TEST(CommandParserErrors, BracketsInsideStringsDoNotCountAsNesting) {
  json j = test::recharge_command();
  j["args"]["order_id"] = std::string(100, '[') + "\\\"{";
  EXPECT_TRUE(parse_command(j.dump()).ok());
}

TEST(CommandParserErrors, NestingOfExactlyTheLimitIsParsed) {
  std::string tariff = "{\"a\":";
  for (int i = 0; i < 29; ++i) tariff += "[";
  for (int i = 0; i < 29; ++i) tariff += "]";
  tariff += "}";
  // depth: envelope 1, args 2, tariff 3, arrays 4..32
  const std::string payload =
      R"({"id":"c1","op":"set_tariff","account":"a","issued_at":1,"args":{"tariff":)" + tariff +
      "}}";
  // Past the depth check to the tariff's own reader, which finds no tariff in it.
  const Refusal r = refuse_text(payload);
  EXPECT_EQ(r.code, "invalid") << r.message;
  EXPECT_EQ(r.path, "/args/tariff") << r.message;
}

TEST(CommandParserErrors, BatchStepErrorsPointIntoTheStep) {
  json ops = json::array({{{"op", "relay_open"}, {"meter", "m1"}},
                          {{"op", "recharge"},
                           {"account", "a1"},
                           {"args", {{"order_id", "o1"}, {"amount", "1.23456"}}}}});
  json batch = {{"id", "b1"}, {"op", "batch"}, {"issued_at", 1}, {"args", {{"ops", ops}}}};
  Refusal r = refuse(batch);
  EXPECT_EQ(r.path, "/args/ops/1/args/amount");
  EXPECT_EQ(r.id, "b1");

  batch["args"]["ops"][0]["id"] = "x";
  EXPECT_EQ(refuse(batch).path, "/args/ops/0/id");

  batch["args"]["ops"] = json::array({{{"op", "batch"}, {"args", {{"ops", json::array()}}}}});
  r = refuse(batch);
  EXPECT_EQ(r.path, "/args/ops/0/op");
  EXPECT_NE(r.message.find("cannot be batch"), std::string::npos);

  batch["args"]["ops"] = json::array({{{"op", "detonate"}}});
  EXPECT_EQ(refuse(batch).code, "unknown_op");
  EXPECT_EQ(refuse(batch).path, "/args/ops/0/op");
}

TEST(CommandParserErrors, BatchOverMoreThanTheLimitIsTooLarge) {
  json ops = json::array();
  for (int i = 0; i < 1001; ++i) ops.push_back({{"op", "relay_open"}, {"meter", "m1"}});
  json batch = {{"id", "b1"}, {"op", "batch"}, {"issued_at", 1}, {"args", {{"ops", ops}}}};
  const Refusal r = refuse(batch);
  EXPECT_EQ(r.code, "too_large");
  EXPECT_EQ(r.path, "/args/ops");
}

TEST(CommandParserErrors, BatchOverASelectorRefusesOpsThatDoNotTakeMeters) {
  json batch = {{"id", "b1"},
                {"op", "batch"},
                {"issued_at", 1},
                {"select", {{"tags", {{"building", "B1"}}}}},
                {"args", {{"op", "recharge"}}}};
  const Refusal r = refuse(batch);
  EXPECT_EQ(r.path, "/args/op");
  EXPECT_NE(r.message.find("batch's target"), std::string::npos) << r.message;
}

TEST(CommandParserErrors, EmptySelectorIsRefusedRatherThanMatchingEveryMeter) {
  json j = {
      {"id", "c1"}, {"op", "relay_open"}, {"issued_at", 1}, {"select", {{"tags", json::object()}}}};
  EXPECT_EQ(refuse(j).path, "/select/tags");
}

TEST(CommandParserErrors, DuplicateMetersArePointedAt) {
  json j = test::relay_command();
  j["meters"] = {"m1", "m2", "m1"};
  EXPECT_EQ(refuse(j).path, "/meters/2");
}

TEST(CommandParserErrors, JsonPointerEscapesUnknownKeys) {
  json j = test::recharge_command();
  j["a/b~c"] = 1;
  EXPECT_EQ(refuse(j).path, "/a~1b~0c");
}

}  // namespace
}  // namespace meterd
