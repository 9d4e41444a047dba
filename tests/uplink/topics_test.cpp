// SPDX-License-Identifier: Apache-2.0
// Golden strings for the uplink's topics and payloads.
#include "uplink/topics.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace meterd {
namespace {

OutboxRow row(std::int64_t seq, OutboxKind kind, std::string meter, std::string body) {
  OutboxRow r;
  r.seq = seq;
  r.kind = kind;
  r.meter_id = std::move(meter);
  r.ts_ms = 1700000000123;
  r.body_json = std::move(body);
  return r;
}

constexpr MessageOrigin kGw7{"gw-7", "00112233445566778899aabbccddeeff"};

TEST(Topics, RootCarriesGatewayId) { EXPECT_EQ(topic_root("gw-7"), "meterd/v1/gw-7/"); }

TEST(Topics, CommandsArriveOnCmd) {
  EXPECT_EQ(command_topic("meterd/v1/gw-7/"), "meterd/v1/gw-7/cmd");
}

TEST(Topics, EachKindHasItsTopic) {
  const std::string root = "meterd/v1/gw-7/";
  EXPECT_EQ(outbox_topic(root, row(1, OutboxKind::kTelemetry, "m1", "{}")),
            "meterd/v1/gw-7/meters/m1/telemetry");
  EXPECT_EQ(outbox_topic(root, row(1, OutboxKind::kEvent, "m1", "{}")),
            "meterd/v1/gw-7/meters/m1/events");
  EXPECT_EQ(outbox_topic(root, row(1, OutboxKind::kEvent, "", "{}")), "meterd/v1/gw-7/events");
  EXPECT_EQ(outbox_topic(root, row(1, OutboxKind::kResult, "", "{}")), "meterd/v1/gw-7/cmd/result");
}

TEST(Payload, HeaderIsSplicedInFrontOfTheBody) {
  EXPECT_EQ(
      outbox_payload(kGw7, row(42, OutboxKind::kTelemetry, "m1",
                               R"({"group":"slow","values":{"energy_total":1234}})")),
      R"({"seq":42,"store_id":"00112233445566778899aabbccddeeff","gw":"gw-7","meter":"m1","ts":1700000000123,"kind":"telemetry",)"
      R"("group":"slow","values":{"energy_total":1234}})");
}

TEST(Payload, EmptyBodyGivesHeaderOnly) {
  EXPECT_EQ(
      outbox_payload(kGw7, row(3, OutboxKind::kEvent, "m1", " { } ")),
      R"({"seq":3,"store_id":"00112233445566778899aabbccddeeff","gw":"gw-7","meter":"m1","ts":1700000000123,"kind":"event"})");
}

TEST(Payload, GatewayLevelRowHasNoMeter) {
  EXPECT_EQ(
      outbox_payload(kGw7, row(9, OutboxKind::kEvent, "", R"({"type":"store_full"})")),
      R"({"seq":9,"store_id":"00112233445566778899aabbccddeeff","gw":"gw-7","ts":1700000000123,"kind":"event","type":"store_full"})");
}

TEST(Payload, BodyThatIsNotAnObjectIsDroppedNotSpliced) {
  const std::string payload = outbox_payload(kGw7, row(5, OutboxKind::kResult, "", "[1,2]"));
  EXPECT_EQ(
      payload,
      R"({"seq":5,"store_id":"00112233445566778899aabbccddeeff","gw":"gw-7","ts":1700000000123,"kind":"result"})");
}

TEST(Payload, IdsAreEscaped) {
  const std::string payload = outbox_payload(MessageOrigin{"g\"w\\", "s\"1"},
                                             row(1, OutboxKind::kTelemetry, "m\n1", R"({"a":1})"));
  const auto json = nlohmann::json::parse(payload);
  EXPECT_EQ(json["gw"], "g\"w\\");
  EXPECT_EQ(json["store_id"], "s\"1");
  EXPECT_EQ(json["meter"], "m\n1");
  EXPECT_EQ(json["a"], 1);
}

TEST(Payload, ControlCharactersAreUnicodeEscaped) {
  EXPECT_EQ(json_quote(std::string("a\x01z", 3)), "\"a\\u0001z\"");
}

TEST(Status, OnlineAndOffline) {
  EXPECT_EQ(status_payload(true, kGw7, 1700000000123, "0.1.0"),
            R"({"state":"online","gw":"gw-7","store_id":"00112233445566778899aabbccddeeff",)"
            R"("ts":1700000000123,"version":"0.1.0"})");
  EXPECT_EQ(status_payload(false, kGw7, 5, "0.1.0"),
            R"({"state":"offline","gw":"gw-7","store_id":"00112233445566778899aabbccddeeff",)"
            R"("ts":5,"version":"0.1.0"})");
}

TEST(Payload, APackIsAnArrayOfTheSameObjectsInOrderOnBatch) {
  EXPECT_EQ(batch_topic("meterd/v1/gw-7/"), "meterd/v1/gw-7/batch");
  const std::vector<OutboxRow> rows{row(5, OutboxKind::kTelemetry, "m1", R"({"group":"slow"})"),
                                    row(6, OutboxKind::kEvent, "", R"({"event":"x"})")};
  EXPECT_EQ(pack_payload(kGw7, rows),
            "[" + outbox_payload(kGw7, rows[0]) + "," + outbox_payload(kGw7, rows[1]) + "]");
  const nlohmann::json parsed = nlohmann::json::parse(pack_payload(kGw7, rows));
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0]["seq"], 5);
  EXPECT_EQ(parsed[0]["store_id"], "00112233445566778899aabbccddeeff");
  EXPECT_EQ(parsed[1]["kind"], "event");
}

TEST(Payload, TheBoundIsNeverBelowTheObjectAndItsSeparator) {
  const std::vector<OutboxRow> rows{
      row(INT64_MAX, OutboxKind::kTelemetry, "m\"\n\x01", R"({"group":"slow"})"),
      row(1, OutboxKind::kTelemetry, "m1", "  {  }  "),
      row(2, OutboxKind::kTelemetry, "", "not an object"),
      row(3, OutboxKind::kResult, "", R"({"id":"c-1","state":"done"})"),
      row(4, OutboxKind::kAccountStats, "A\"101", R"({"period":"day"})"),
      row(5, OutboxKind::kMeterStats, "m1", "")};
  for (OutboxRow r : rows) {
    r.ts_ms = INT64_MIN;
    EXPECT_GE(outbox_payload_bound(kGw7, r), outbox_payload(kGw7, r).size() + 1) << r.seq;
  }
}

}  // namespace
}  // namespace meterd
