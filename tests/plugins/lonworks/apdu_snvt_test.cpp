// SPDX-License-Identifier: Apache-2.0
// NV messages, network-management messages, and SNVT values decoded to canonical units from
// hand-built wire bytes (scales per docs/lonworks.md).
#include <gtest/gtest.h>

#include "hex.h"
#include "lonworks/codec/apdu.h"
#include "lonworks/codec/snvt.h"

namespace meterd::lonworks {
namespace {

using testing::bytes;
using testing::hex;

TEST(NvMessage, SelectorAndDirectionInTheFirstTwoBytes) {
  EXPECT_EQ(hex(encode_nv({0x1234, true, {0xAB}}).value()), "D2 34 AB");
  auto nv = decode_nv(bytes("92 34"));
  ASSERT_TRUE(nv);
  EXPECT_EQ(nv.value(), (NvMessage{0x1234, false, {}}));
  EXPECT_FALSE(encode_nv({0x4000, false, {}}));
  EXPECT_FALSE(encode_nv({1, false, std::vector<std::uint8_t>(32, 0)}));
  EXPECT_FALSE(decode_nv(bytes("92")));
  EXPECT_FALSE(decode_nv(bytes("61 00")));
  EXPECT_EQ(selector_of_unbound_index(1), 0x3FFE);
}

TEST(NetworkManagement, RequestsAndResponses) {
  EXPECT_EQ(hex(build_fetch_nv(7)), "73 07");
  EXPECT_EQ(hex(build_fetch_nv(300)), "73 FF 01 2C");
  EXPECT_EQ(nm::success_code(nm::kQueryId), 0x21);
  EXPECT_EQ(nm::failure_code(nm::kQueryId), 0x01);
  EXPECT_EQ(nm::success_code(nm::kQueryStatus), 0x31);
  EXPECT_EQ(nm::success_code(nm::kFetchNv), 0x33);
  const NodeIdentity id{*parse_neuron_id("04a1b2c3d4e5"),
                        {0x90, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05}};
  EXPECT_EQ(hex(build_query_id_response(id)), "21 04 A1 B2 C3 D4 E5 90 00 00 01 02 03 04 05");
  EXPECT_EQ(parse_identity(build_query_id_response(id)).value(), id);
  EXPECT_EQ(parse_identity(build_service_pin(id.neuron_id, id.program_id)).value(), id);
  EXPECT_FALSE(parse_identity(bytes("21 04 A1")));
  EXPECT_EQ(parse_identity(bytes("01")).error().kind, ErrorKind::kRejected);
  const std::vector<std::uint8_t> value{0x09, 0x01};
  EXPECT_EQ(hex(build_fetch_nv_response(300, value)), "33 FF 01 2C 09 01");
  EXPECT_EQ(parse_fetch_nv_response(build_fetch_nv_response(300, value), 300).value(), value);
  EXPECT_FALSE(parse_fetch_nv_response(build_fetch_nv_response(301, value), 300));
  EXPECT_EQ(parse_fetch_nv_response(bytes("13"), 1).error().kind, ErrorKind::kRejected);
  NodeAddress a{{1, 5}, {}};
  a.domain.length = 1;
  a.domain.id[0] = 0x2A;
  EXPECT_EQ(hex(build_query_address_response(a)), "27 01 85 01 2A");
  EXPECT_EQ(parse_query_address_response(build_query_address_response(a)).value(), a);
}

double analog(const char* snvt, const char* wire) {
  auto value = decode_snvt(*find_snvt(snvt), bytes(wire));
  EXPECT_TRUE(value) << snvt << " " << wire;
  return value ? value.value().value : -1e9;
}

std::int64_t energy(const char* snvt, const char* wire) {
  auto value = decode_snvt(*find_snvt(snvt), bytes(wire));
  EXPECT_TRUE(value && value.value().wh) << snvt << " " << wire;
  return value && value.value().wh ? *value.value().wh : -1;
}

TEST(Snvt, MeterTypesDecodeToCanonicalUnits) {
  EXPECT_DOUBLE_EQ(analog("SNVT_volt", "09 01"), 230.5);
  EXPECT_DOUBLE_EQ(analog("SNVT_amp", "FF F6"), -1.0);
  EXPECT_DOUBLE_EQ(analog("SNVT_power", "27 10"), 1000.0);
  EXPECT_DOUBLE_EQ(analog("SNVT_power_kilo", "00 64"), 10000.0);
  EXPECT_DOUBLE_EQ(analog("SNVT_pwr_fact", "4E 20"), 1.0);
  EXPECT_DOUBLE_EQ(analog("SNVT_pwr_fact", "B1 E0"), -1.0);
  EXPECT_DOUBLE_EQ(analog("SNVT_freq_hz", "01 F4"), 50.0);
  EXPECT_EQ(energy("SNVT_elec_kwh", "30 39"), 12'345'000);
  EXPECT_EQ(energy("SNVT_elec_kwh_l", "00 01 E2 40"), 12'345'600);
  EXPECT_EQ(energy("SNVT_elec_kwh_l", "FF FF FF FF"), -100);
  EXPECT_EQ(energy("SNVT_elec_whr_f", "44 7A 00 00"), 1000);
}

TEST(Snvt, SwitchStateAndLevel) {
  const SnvtInfo& sw = *find_snvt("switch");
  EXPECT_TRUE(*decode_snvt(sw, bytes("C8 01")).value().on);
  EXPECT_FALSE(*decode_snvt(sw, bytes("00 00")).value().on);
  EXPECT_FALSE(*decode_snvt(sw, bytes("00 01")).value().on);  // on at level 0 is off
  EXPECT_DOUBLE_EQ(decode_snvt(sw, bytes("C8 01")).value().value, 100.0);
  EXPECT_FALSE(decode_snvt(sw, bytes("64 FF")));  // null
  EXPECT_FALSE(decode_snvt(sw, bytes("64 02")));
  EXPECT_EQ(hex(encode_switch(true)), "C8 01");
  EXPECT_EQ(hex(encode_switch(false)), "00 00");
}

TEST(Snvt, WrongLengthsAndNonFiniteFloatsAreRefused) {
  EXPECT_FALSE(decode_snvt(*find_snvt("SNVT_volt"), bytes("09")));
  EXPECT_FALSE(decode_snvt(*find_snvt("SNVT_elec_kwh_l"), bytes("00 01 E2")));
  EXPECT_FALSE(decode_snvt(*find_snvt("SNVT_elec_whr_f"), bytes("7F C0 00 00")));
  EXPECT_EQ(find_snvt("SNVT_nonesuch"), nullptr);
  // The types' invalid values and ranges: no reading.
  EXPECT_FALSE(decode_snvt(*find_snvt("SNVT_elec_kwh_l"), bytes("7F FF FF FF")));
  EXPECT_FALSE(decode_snvt(*find_snvt("SNVT_pwr_fact"), bytes("4E 21")));
  EXPECT_FALSE(decode_snvt(*find_snvt("SNVT_pwr_fact"), bytes("80 00")));
  EXPECT_FALSE(decode_snvt(*find_snvt("SNVT_elec_whr_f"), bytes("BF 80 00 00")));  // -1.0
}

TEST(Snvt, EncodeRoundsToTheWireStepAndRefusesOutOfRange) {
  EXPECT_EQ(hex(encode_snvt(*find_snvt("SNVT_volt"), 230.5).value()), "09 01");
  EXPECT_EQ(hex(encode_snvt(*find_snvt("SNVT_elec_kwh_l"), 12'345'600).value()), "00 01 E2 40");
  EXPECT_EQ(hex(encode_snvt(*find_snvt("SNVT_elec_whr_f"), 1000).value()), "44 7A 00 00");
  EXPECT_FALSE(encode_snvt(*find_snvt("SNVT_power"), -1.0));
  EXPECT_FALSE(encode_snvt(*find_snvt("SNVT_volt"), 4000.0));
  EXPECT_FALSE(encode_snvt(*find_snvt("SNVT_elec_whr_f"), 1e300));
  EXPECT_FALSE(encode_snvt(*find_snvt("SNVT_elec_whr_f"), -5.0));
}

}  // namespace
}  // namespace meterd::lonworks
