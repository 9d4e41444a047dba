// SPDX-License-Identifier: Apache-2.0
// The FDL/DP codec on the golden frames of PROTOCOLS.md §4, byte for byte both ways, and on
// the edges a hostile line produces.
#include <gtest/gtest.h>

#include "plugins/profibus/golden_test.h"
#include "profibus/codec/config_data.h"
#include "profibus/codec/diagnosis.h"
#include "profibus/codec/requests.h"
#include "profibus/codec/telegram.h"

namespace meterd::profibus {
namespace {

using golden::hex;

Telegram decode_one(const std::vector<std::uint8_t>& bytes) {
  const ScanResult r = scan(bytes);
  EXPECT_EQ(r.status, ScanStatus::kTelegram);
  EXPECT_EQ(r.consume, bytes.size());
  return r.telegram;
}

std::vector<std::uint8_t> encoded(const Telegram& t) {
  auto bytes = encode(t);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? bytes.value() : std::vector<std::uint8_t>{};
}

PrmData golden_prm() {
  PrmData p;
  p.station_status = 0xB8;
  p.wd_fact_1 = 100;
  p.wd_fact_2 = 1;
  p.min_tsdr = 0;
  p.ident = 0x4D44;
  p.group = 1;
  return p;
}

TEST(ProfibusGolden, FdlStatusRequestAndReplyEncodeAndDecodeByteForByte) {
  EXPECT_EQ(encoded(fdl_status_request(8, 2)), hex(golden::kFdlStatusReq));
  const Telegram reply = decode_one(hex(golden::kFdlStatusCon));
  EXPECT_EQ(reply.sd, kSd1);
  EXPECT_EQ(reply.da, 2);
  EXPECT_EQ(reply.sa, 8);
  EXPECT_EQ(reply.fc, 0x00);
  EXPECT_EQ(classify_reply(reply, 8, 2), ReplyKind::kFdlStatusOk);
  EXPECT_EQ(encoded(reply), hex(golden::kFdlStatusCon));
}

TEST(ProfibusGolden, FirstSlaveDiagStartsTheFcbSequenceAndDecodesNotReadyWithPrmRequest) {
  EXPECT_EQ(encoded(slave_diag_request(8, 2, fc::kFcb)), hex(golden::kDiag1Req));
  const Telegram reply = decode_one(hex(golden::kDiag1Con));
  EXPECT_EQ(reply.sd, kSd3);
  EXPECT_EQ(reply.dsap, sap::kMaster);
  EXPECT_EQ(reply.ssap, sap::kSlaveDiag);
  EXPECT_EQ(reply.fc, fc::kDataLow);
  EXPECT_EQ(classify_reply(reply, 8, 2), ReplyKind::kData);
  auto diag = decode_diag(reply.data);
  ASSERT_TRUE(diag.ok());
  EXPECT_EQ(diag.value().stat1, stat1::kNotReady);
  EXPECT_EQ(diag.value().stat2, stat2::kPrmRequest | stat2::kAlwaysOne);
  EXPECT_EQ(diag.value().stat3, 0);
  EXPECT_EQ(diag.value().master, kNoMaster);
  EXPECT_EQ(diag.value().ident, 0x4D44);
  EXPECT_FALSE(diag.value().ready());
  EXPECT_FALSE(diag.value().has_extended());
  EXPECT_EQ(encoded(reply), hex(golden::kDiag1Con));
  EXPECT_EQ(encode_diag(diag.value()), hex("02 05 00 FF 4D 44"));
}

TEST(ProfibusGolden, SetPrmCarriesLockSyncFreezeWatchdogIdentAndGroup) {
  EXPECT_EQ(encoded(set_prm_request(8, 2, fc::kFcv, golden_prm())), hex(golden::kSetPrmReq));
  const Telegram request = decode_one(hex(golden::kSetPrmReq));
  EXPECT_EQ(request.dsap, sap::kSetPrm);
  EXPECT_EQ(request.ssap, sap::kMaster);
  EXPECT_EQ(request.fc, 0x5D);
  auto prm = decode_prm(request.data);
  ASSERT_TRUE(prm.ok());
  EXPECT_EQ(prm.value(), golden_prm());
  EXPECT_EQ(prm.value().station_status, station_status::kLock | station_status::kSyncRequested |
                                            station_status::kFreezeRequested |
                                            station_status::kWatchdogOn);
  EXPECT_EQ(decode_one(hex("E5")).kind, Telegram::Kind::kShortAck);
  EXPECT_EQ(encoded(Telegram::short_ack()), hex("E5"));
}

TEST(ProfibusGolden, SetPrmWithUserDataOfTheSecondCapture) {
  PrmData p = golden_prm();
  p.wd_fact_1 = 0x1E;
  p.ident = 0x4224;
  p.user = {0x00, 0x00, 0x00, 0x42};
  EXPECT_EQ(encoded(set_prm_request(8, 2, fc::kFcv, p)), hex(golden::kSetPrm4224Req));
  auto back = decode_prm(decode_one(hex(golden::kSetPrm4224Req)).data);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), p);
}

TEST(ProfibusGolden, ChkCfgCarriesTheIdentifierBytes) {
  const auto cfg = hex("5F 20");
  EXPECT_EQ(encoded(chk_cfg_request(8, 2, fc::kFcb | fc::kFcv, cfg)), hex(golden::kChkCfgReq));
  auto modules = decode_cfg(cfg);
  ASSERT_TRUE(modules.ok());
  ASSERT_EQ(modules.value().size(), 2u);
  EXPECT_EQ(modules.value()[0].inputs, 32u);  // 16 words
  EXPECT_EQ(modules.value()[0].outputs, 0u);
  EXPECT_EQ(modules.value()[1].outputs, 1u);
  const auto cfg4 = hex("00 20 20 10");
  EXPECT_EQ(encoded(chk_cfg_request(8, 2, fc::kFcb | fc::kFcv, cfg4)), hex(golden::kChkCfg4Req));
  auto four = decode_cfg(cfg4);
  ASSERT_TRUE(four.ok());
  ASSERT_EQ(four.value().size(), 4u);  // an empty slot, two 1-byte outputs, one input byte
  EXPECT_EQ(io_sizes(four.value()).inputs, 1u);
  EXPECT_EQ(io_sizes(four.value()).outputs, 2u);
}

TEST(ProfibusGolden, SecondDiagIsReadyWithWatchdogOnAndLockedToMaster2) {
  EXPECT_EQ(encoded(slave_diag_request(8, 2, fc::kFcv)), hex(golden::kDiag2Req));
  auto diag = decode_diag(decode_one(hex(golden::kDiag2Con)).data);
  ASSERT_TRUE(diag.ok());
  EXPECT_EQ(diag.value().stat1, 0);
  EXPECT_EQ(diag.value().stat2, stat2::kWatchdogOn | stat2::kAlwaysOne);
  EXPECT_EQ(diag.value().master, 2);
  EXPECT_TRUE(diag.value().ready());
}

TEST(ProfibusGolden, DataExchangeRequestAndThirtyTwoByteReply) {
  const std::vector<std::uint8_t> outputs{0x01};
  EXPECT_EQ(encoded(data_exchange_request(8, 2, fc::kFcb | fc::kFcv, outputs)),
            hex(golden::kDataExchangeReq));
  const auto reply_bytes = golden::data_exchange_con();
  const Telegram reply = decode_one(reply_bytes);
  EXPECT_EQ(reply.sd, kSd2);
  EXPECT_FALSE(reply.dsap.has_value());
  EXPECT_EQ(reply.fc, fc::kDataLow);
  EXPECT_EQ(reply.data, golden::inputs32());
  EXPECT_EQ(classify_reply(reply, 8, 2), ReplyKind::kData);
  EXPECT_EQ(encoded(reply), reply_bytes);
}

TEST(ProfibusTelegram, ScannerSkipsGarbageWaitsForMoreAndRejectsABadFcs) {
  auto bytes = hex("00 37 " + golden::kFdlStatusCon);
  ScanResult r = scan(bytes);
  EXPECT_EQ(r.status, ScanStatus::kGarbage);
  EXPECT_EQ(r.consume, 2u);
  auto partial = hex(golden::kDiag1Con);
  partial.resize(9);
  EXPECT_EQ(scan(partial).status, ScanStatus::kNeedMore);
  auto bad = hex(golden::kDiag1Con);
  bad[12] ^= 0x01;
  r = scan(bad);
  EXPECT_EQ(r.status, ScanStatus::kBadFcs);
  EXPECT_EQ(r.consume, bad.size());
  // LE and LEr disagree: not a telegram start.
  EXPECT_EQ(scan(hex("68 05 06 68 88 82 6D 3C 3E F1 16")).status, ScanStatus::kGarbage);
  // A token passes as a token.
  r = scan(hex("DC 02 03"));
  EXPECT_EQ(r.status, ScanStatus::kTelegram);
  EXPECT_EQ(r.telegram.kind, Telegram::Kind::kToken);
  // SAP extension announced, no DU to carry it.
  EXPECT_EQ(scan(hex("10 88 02 49 D3 16")).status, ScanStatus::kMalformed);
}

TEST(ProfibusTelegram, EncodeRefusesADataUnitOverTheMaximum) {
  Telegram t = data_exchange_request(8, 2, 0, std::vector<std::uint8_t>(247, 0));
  EXPECT_FALSE(encode(t).ok());
  t.data.resize(246);
  auto ok = encode(t);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value()[1], 249);
}

TEST(ProfibusDiagnosis, ExtendedDeviceIdentifierAndChannelBlocksDecodeAndRoundTrip) {
  // Stat1 ext diag; device block (3 bytes incl. header); identifier block: modules 1 and 9;
  // channel: module 2, output channel 5, type 1, error 1 (short circuit).
  const auto bytes = hex("08 0C 00 02 4D 44 03 AA BB 43 02 02 82 85 21");
  auto diag = decode_diag(bytes);
  ASSERT_TRUE(diag.ok()) << diag.error().message;
  const SlaveDiag& d = diag.value();
  ASSERT_EQ(d.device.size(), 1u);
  EXPECT_EQ(d.device[0], hex("AA BB"));
  EXPECT_EQ(d.modules_with_diag, (std::vector<std::uint16_t>{1, 9}));
  ASSERT_EQ(d.channels.size(), 1u);
  EXPECT_EQ(d.channels[0], (ChannelDiag{2, 5, 2, 1, 1}));
  EXPECT_TRUE(d.ready());
  EXPECT_EQ(encode_diag(d), bytes);
  const std::string json = diag_json(d);
  EXPECT_NE(json.find("\"device\":[\"AABB\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"modules\":[1,9]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"error\":1"), std::string::npos) << json;
  EXPECT_FALSE(decode_diag(hex("08 0C 00 02 4D 44 05 AA")).ok());  // block past the end
  EXPECT_FALSE(decode_diag(hex("08 0C 00 02 4D")).ok());
}

TEST(ProfibusConfigData, SpecialFormatIdentifiersCountLengthBytesAndManufacturerData) {
  // C1: output and input length bytes, 1 manufacturer byte: out 2 words, in 4 bytes consistent.
  auto modules = decode_cfg(hex("C1 41 83 7E"));
  ASSERT_TRUE(modules.ok());
  ASSERT_EQ(modules.value().size(), 1u);
  EXPECT_EQ(modules.value()[0].outputs, 4u);
  EXPECT_EQ(modules.value()[0].inputs, 4u);
  EXPECT_TRUE(modules.value()[0].consistent);
  EXPECT_EQ(modules.value()[0].manufacturer_bytes, 1u);
  EXPECT_FALSE(decode_cfg(hex("C1 41")).ok());
  EXPECT_EQ(hex_bytes(hex("5F 20")), "5F 20");
}

TEST(ProfibusGlobalControl, ClearFreezeAndSyncGoToTheBroadcastAddressWithoutReply) {
  auto bytes = encoded(global_control_request(2, control::kClearData, 0));
  // DA 127 and SA 2 with the SAP extension, SDN high, DSAP 58, SSAP 62, CLEAR, all groups.
  EXPECT_EQ(bytes, hex("68 07 07 68 FF 82 46 3A 3E 02 00 41 16"));
  const Telegram t = decode_one(bytes);
  EXPECT_EQ(t.da, kBroadcast);
  EXPECT_EQ(t.dsap, sap::kGlobalControl);
  EXPECT_EQ(t.data, (std::vector<std::uint8_t>{control::kClearData, 0}));
  EXPECT_EQ(encoded(global_control_request(2, control::kFreeze, 1)),
            hex("68 07 07 68 FF 82 46 3A 3E 08 01 48 16"));
}

}  // namespace
}  // namespace meterd::profibus
