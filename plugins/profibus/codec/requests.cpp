// SPDX-License-Identifier: Apache-2.0
#include "profibus/codec/requests.h"

namespace meterd::profibus {

namespace {

Telegram sap_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits,
                     std::uint8_t dsap, std::vector<std::uint8_t> data) {
  Telegram t;
  t.da = slave;
  t.sa = master;
  t.fc = static_cast<std::uint8_t>(fc::kRequest | frame_bits | fc::kSrdHigh);
  t.dsap = dsap;
  t.ssap = sap::kMaster;
  t.data = std::move(data);
  return t;
}

}  // namespace

Telegram fdl_status_request(std::uint8_t slave, std::uint8_t master) {
  Telegram t;
  t.da = slave;
  t.sa = master;
  t.fc = fc::kRequest | fc::kFdlStatus;
  return t;
}

Telegram slave_diag_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits) {
  return sap_request(slave, master, frame_bits, sap::kSlaveDiag, {});
}

Telegram set_prm_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits,
                         const PrmData& prm) {
  return sap_request(slave, master, frame_bits, sap::kSetPrm, encode_prm(prm));
}

Telegram chk_cfg_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits,
                         std::span<const std::uint8_t> cfg) {
  return sap_request(slave, master, frame_bits, sap::kChkCfg, {cfg.begin(), cfg.end()});
}

Telegram get_cfg_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits) {
  return sap_request(slave, master, frame_bits, sap::kGetCfg, {});
}

Telegram data_exchange_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits,
                               std::span<const std::uint8_t> outputs) {
  Telegram t;
  t.da = slave;
  t.sa = master;
  t.fc = static_cast<std::uint8_t>(fc::kRequest | frame_bits | fc::kSrdHigh);
  t.data.assign(outputs.begin(), outputs.end());
  return t;
}

Telegram global_control_request(std::uint8_t master, std::uint8_t command, std::uint8_t group) {
  Telegram t;
  t.da = kBroadcast;
  t.sa = master;
  t.fc = fc::kRequest | fc::kSdnHigh;
  t.dsap = sap::kGlobalControl;
  t.ssap = sap::kMaster;
  t.data = {command, group};
  return t;
}

ReplyKind classify_reply(const Telegram& reply, std::uint8_t slave, std::uint8_t master) {
  if (reply.kind == Telegram::Kind::kShortAck) return ReplyKind::kShortAck;
  if (reply.kind != Telegram::Kind::kData) return ReplyKind::kNotAReply;
  if (fc::is_request(reply.fc) || reply.sa != slave || reply.da != master) {
    return ReplyKind::kNotAReply;
  }
  switch (fc::function(reply.fc)) {
    case fc::kOk:
      if (!reply.data.empty() || reply.dsap) return ReplyKind::kData;
      // An FDL status answer: only a slave station may be brought up by a DP master.
      return (reply.fc & fc::kStationTypeMask) == fc::kStationSlave ? ReplyKind::kFdlStatusOk
                                                                    : ReplyKind::kRefused;
    case fc::kDataLow:
      return ReplyKind::kData;
    case fc::kDataHigh:
      return ReplyKind::kDataDiag;
    case fc::kNoData:
      return ReplyKind::kNoData;
    default:
      return ReplyKind::kRefused;
  }
}

}  // namespace meterd::profibus
