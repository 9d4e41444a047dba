// SPDX-License-Identifier: Apache-2.0
#include "store/telemetry_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace meterd {
namespace {

Telemetry sample() {
  Telemetry t;
  t.meter_id = "m1";
  t.group = "fast";
  t.values = {{"energy_total", PointScalar{std::int64_t{123456}}},
              {"power_total", PointScalar{812.5}},
              {"relay_closed", PointScalar{true}}};
  return t;
}

TEST(TelemetryJsonTest, EncodesTheDocumentedExampleByteForByte) {
  Telemetry t = sample();
  t.errors = {{"balance", make_error(ErrorKind::kTimeout, "no reply")}};
  EXPECT_EQ(encode_telemetry_body(t),
            R"({"group":"fast","values":{"energy_total":123456,"power_total":812.5,)"
            R"("relay_closed":true},"errors":{"balance":"timeout: no reply"}})");
}

TEST(TelemetryJsonTest, OmitsErrorsWhenThereAreNone) {
  EXPECT_EQ(encode_telemetry_body(sample()),
            R"({"group":"fast","values":{"energy_total":123456,"power_total":812.5,)"
            R"("relay_closed":true}})");
}

TEST(TelemetryJsonTest, CarriesTheEnginesRelayStateAfterTheValues) {
  Telemetry t = sample();
  t.relay_json = R"({"state":"settled","wanted":"closed","reported":"closed"})";
  EXPECT_EQ(encode_telemetry_body(t),
            R"({"group":"fast","values":{"energy_total":123456,"power_total":812.5,)"
            R"("relay_closed":true},"relay":{"state":"settled","wanted":"closed",)"
            R"("reported":"closed"}})");
}

TEST(TelemetryJsonTest, IntegersStayIntegersAndWholeDoublesStayDoubles) {
  Telemetry t;
  t.group = "slow";
  t.values = {{"energy_total", PointScalar{std::int64_t{9'007'199'254'740'993}}},
              {"voltage_a", PointScalar{230.0}},
              {"frequency", PointScalar{0.1}},
              {"harmonic_3", PointScalar{1e-300}}};
  const std::string body = encode_telemetry_body(t);
  const auto json = nlohmann::json::parse(body);
  EXPECT_TRUE(json["values"]["energy_total"].is_number_integer());
  EXPECT_EQ(json["values"]["energy_total"].get<std::int64_t>(), 9'007'199'254'740'993);
  EXPECT_TRUE(json["values"]["voltage_a"].is_number_float());
  EXPECT_EQ(json["values"]["voltage_a"].get<double>(), 230.0);
  EXPECT_EQ(json["values"]["frequency"].get<double>(), 0.1);  // round-trips exactly
  EXPECT_EQ(json["values"]["harmonic_3"].get<double>(), 1e-300);
}

// A float32 register's value is written with the digits that identify the float, not the
// noise digits of its double; every other double still round-trips exactly.
TEST(TelemetryJsonTest, AFloat32ValueIsWrittenAtTheFloatsResolution) {
  Telemetry t;
  t.group = "fast";
  t.values = {{"voltage_a", PointScalar{static_cast<double>(230.1F)}},
              {"current_a", PointScalar{static_cast<double>(-0.003F)}},
              {"energy", PointScalar{static_cast<double>(16777216.0F)}},
              {"power", PointScalar{230.1}}};
  EXPECT_EQ(encode_telemetry_body(t),
            R"({"group":"fast","values":{"voltage_a":230.1,"current_a":-0.003,)"
            R"("energy":16777216.0,"power":230.1}})");
  const auto json = nlohmann::json::parse(encode_telemetry_body(t));
  EXPECT_EQ(static_cast<float>(json["values"]["voltage_a"].get<double>()), 230.1F);
  EXPECT_EQ(json["values"]["power"].get<double>(), 230.1);
}

TEST(TelemetryJsonTest, NonFiniteDoublesAreLeftOutOfValuesAndReportedAsErrors) {
  Telemetry t;
  t.group = "fast";
  t.values = {{"power_total", PointScalar{std::nan("")}},
              {"current_a", PointScalar{std::numeric_limits<double>::infinity()}},
              {"voltage_a", PointScalar{231.5}}};
  const auto json = nlohmann::json::parse(encode_telemetry_body(t));
  EXPECT_EQ(json["values"], nlohmann::json::parse(R"({"voltage_a":231.5})"));
  EXPECT_EQ(json["errors"]["power_total"], "non_finite: nan");
  EXPECT_EQ(json["errors"]["current_a"], "non_finite: inf");
}

TEST(TelemetryJsonTest, EscapesNamesAndMessages) {
  Telemetry t;
  t.group = "g\"1";
  t.errors = {{"balance", make_error(ErrorKind::kMalformed, "bad \\ byte \x01\n")}};
  const auto json = nlohmann::json::parse(encode_telemetry_body(t));
  EXPECT_EQ(json["group"], "g\"1");
  EXPECT_EQ(json["errors"]["balance"], "malformed: bad \\ byte \x01\n");
}

TEST(TelemetryJsonTest, EventBodyEmbedsDetailsObject) {
  const Event e{"meter_offline", "m1", WallTime{}, R"({"failures":3,"last":"timeout"})"};
  EXPECT_EQ(encode_event_body(e),
            R"({"event":"meter_offline","details":{"failures":3,"last":"timeout"}})");
}

TEST(TelemetryJsonTest, EventDetailsThatAreNotAnObjectAreWrappedAsAString) {
  for (const char* details : {"[1,2]", "{broken", "", "42"}) {
    const Event e{"x", "", WallTime{}, details};
    const auto json = nlohmann::json::parse(encode_event_body(e));
    EXPECT_EQ(json["details"]["invalid_details"], details);
  }
}

}  // namespace
}  // namespace meterd
