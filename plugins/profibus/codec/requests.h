// SPDX-License-Identifier: Apache-2.0
// The DP-V0 requests a class-1 master sends, as FDL telegrams: FDL status, Slave_Diag,
// Set_Prm, Chk_Cfg, Get_Cfg, Data_Exchange (SRD high, no SAP) and Global_Control (SDN to
// 127). `frame_bits` is the FCB/FCV pair the caller's sequence gives. Pure.
#pragma once

#include <cstdint>
#include <span>

#include "profibus/codec/config_data.h"
#include "profibus/codec/telegram.h"

namespace meterd::profibus {

Telegram fdl_status_request(std::uint8_t slave, std::uint8_t master);
Telegram slave_diag_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits);
Telegram set_prm_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits,
                         const PrmData& prm);
Telegram chk_cfg_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits,
                         std::span<const std::uint8_t> cfg);
Telegram get_cfg_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits);
Telegram data_exchange_request(std::uint8_t slave, std::uint8_t master, std::uint8_t frame_bits,
                               std::span<const std::uint8_t> outputs);
// `group` 0 addresses every slave. SDN high (FC 46): no reply. (Which SDN priority the
// standard uses here is unconfirmed by a capture; slaves accept both.)
Telegram global_control_request(std::uint8_t master, std::uint8_t command, std::uint8_t group);

// A reply to one of the above, judged.
enum class ReplyKind {
  kShortAck,     // SC
  kData,         // FC DL: data follow
  kDataDiag,     // FC DH: data follow and a diagnosis is pending
  kNoData,       // FC NR, or OK without data
  kFdlStatusOk,  // an FDL status answer of a slave station
  kRefused,      // UE / RR / RS: the slave refused the service
  kNotAReply,    // a request (an echo), a token, or another station's telegram
};
ReplyKind classify_reply(const Telegram& reply, std::uint8_t slave, std::uint8_t master);

}  // namespace meterd::profibus
