// SPDX-License-Identifier: Apache-2.0
#include "profibus/master/slave_link.h"

#include "profibus/codec/requests.h"

namespace meterd::profibus {

namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

bool is_data(ReplyKind kind) { return kind == ReplyKind::kData || kind == ReplyKind::kDataDiag; }

}  // namespace

const char* to_string(SlaveState state) {
  switch (state) {
    case SlaveState::kProbe:
      return "probe";
    case SlaveState::kFirstDiag:
      return "first_diag";
    case SlaveState::kSetPrm:
      return "set_prm";
    case SlaveState::kChkCfg:
      return "chk_cfg";
    case SlaveState::kDiagUntilReady:
      return "diag_until_ready";
    case SlaveState::kGetCfg:
      return "get_cfg";
    case SlaveState::kDataExchange:
      return "data_exchange";
    case SlaveState::kCycleDiag:
      return "cycle_diag";
  }
  return "?";
}

SlaveLink::SlaveLink(std::uint8_t master, SlaveSetup setup)
    : master_(master), setup_(std::move(setup)) {}

Telegram SlaveLink::next_request(std::span<const std::uint8_t> outputs) const {
  const std::uint8_t a = setup_.address;
  switch (state_) {
    case SlaveState::kProbe:
      return fdl_status_request(a, master_);
    case SlaveState::kFirstDiag:
    case SlaveState::kDiagUntilReady:
    case SlaveState::kCycleDiag:
      return slave_diag_request(a, master_, frame_bits_);
    case SlaveState::kSetPrm:
      return set_prm_request(a, master_, frame_bits_, setup_.prm);
    case SlaveState::kChkCfg:
      return chk_cfg_request(a, master_, frame_bits_, setup_.cfg);
    case SlaveState::kGetCfg:
      return get_cfg_request(a, master_, frame_bits_);
    case SlaveState::kDataExchange:
      return data_exchange_request(a, master_, frame_bits_, outputs);
  }
  return fdl_status_request(a, master_);
}

void SlaveLink::advance_frame_bits() {
  frame_bits_ = static_cast<std::uint8_t>(((frame_bits_ & fc::kFcb) ^ fc::kFcb) | fc::kFcv);
}

void SlaveLink::restart(const std::string& why) {
  last_problem_ = why;
  if (was_ready_) {
    events_.push_back({"slave_lost", "{\"address\":" + std::to_string(setup_.address) +
                                         ",\"reason\":" + quoted(why) + "}"});
    was_ready_ = false;
  }
  state_ = SlaveState::kProbe;
  frame_bits_ = fc::kFcb;
  diag_polls_ = 0;
  fresh_inputs_ = false;
}

void SlaveLink::on_silence(const std::string& why) {
  fresh_inputs_ = false;
  if (state_ == SlaveState::kProbe) {
    last_problem_ = why;
    return;
  }
  restart(std::string("no reply in ") + to_string(state_) + ": " + why);
}

void SlaveLink::report_diag(const SlaveDiag& diag) {
  if (!diag.has_extended() && (diag.stat1 & (stat1::kPrmFault | stat1::kNotSupported)) == 0) {
    reported_diag_.reset();  // the next diagnosis with content is news again
    return;
  }
  if (reported_diag_ && *reported_diag_ == diag) return;
  reported_diag_ = diag;
  events_.push_back({"diag", "{\"address\":" + std::to_string(setup_.address) +
                                 ",\"diag\":" + diag_json(diag) + "}"});
}

void SlaveLink::on_diag(const SlaveDiag& diag) {
  report_diag(diag);
  if (diag.stat1 & stat1::kCfgFault) {
    state_ = SlaveState::kGetCfg;
    return;
  }
  if (diag.stat1 & stat1::kPrmFault) return restart("prm fault in the slave's diagnosis");
  if (diag.stat2 & stat2::kPrmRequest) return restart("the slave asks for parameters");
  if (diag.ready() && diag.ident != setup_.prm.ident) {
    return restart("ident number 0x" +
                   hex_bytes(std::vector<std::uint8_t>{static_cast<std::uint8_t>(diag.ident >> 8),
                                                       static_cast<std::uint8_t>(diag.ident)}) +
                   " where the GSD says another");
  }
  if (diag.ready()) {
    if (state_ == SlaveState::kDiagUntilReady) {
      events_.push_back({"slave_ready", "{\"address\":" + std::to_string(setup_.address) +
                                            ",\"ident\":" + std::to_string(diag.ident) +
                                            ",\"cfg\":\"" + hex_bytes(setup_.cfg) + "\"}"});
      was_ready_ = true;
      reported_cfg_fault_.reset();
      last_problem_.clear();
    }
    state_ = SlaveState::kDataExchange;
    return;
  }
  if (state_ == SlaveState::kCycleDiag) return restart("the slave left data exchange");
  if (++diag_polls_ >= setup_.max_diag_polls) {
    restart("not ready after " + std::to_string(diag_polls_) + " diagnosis polls");
  }
}

void SlaveLink::on_reply(const Telegram& reply) {
  fresh_inputs_ = false;
  const ReplyKind kind = classify_reply(reply, setup_.address, master_);
  if (kind == ReplyKind::kNotAReply) return on_silence("a telegram that is no reply");
  if (state_ != SlaveState::kProbe) advance_frame_bits();
  if (kind == ReplyKind::kRefused) {
    if (state_ == SlaveState::kProbe) {
      last_problem_ = "the station does not answer as a DP slave";
      return;
    }
    return restart(std::string("request refused in ") + to_string(state_) + " (FC " +
                   std::to_string(reply.fc & 0x0F) + ")");
  }
  switch (state_) {
    case SlaveState::kProbe:
      if (kind == ReplyKind::kFdlStatusOk) {
        state_ = SlaveState::kFirstDiag;
        frame_bits_ = fc::kFcb;
      }
      return;
    case SlaveState::kFirstDiag: {
      auto diag = is_data(kind) ? decode_diag(reply.data) : Result<SlaveDiag>(Error{});
      if (!diag) return restart("no diagnosis data before Set_Prm");
      const SlaveDiag& d = diag.value();
      if ((d.stat1 & stat1::kMasterLock) && d.master != master_ && d.master != kNoMaster) {
        return restart("locked by master " + std::to_string(d.master));
      }
      state_ = SlaveState::kSetPrm;
      return;
    }
    case SlaveState::kSetPrm:
      if (kind != ReplyKind::kShortAck && kind != ReplyKind::kNoData) {
        return restart("Set_Prm not acknowledged");
      }
      state_ = SlaveState::kChkCfg;
      return;
    case SlaveState::kChkCfg:
      if (kind != ReplyKind::kShortAck && kind != ReplyKind::kNoData) {
        return restart("Chk_Cfg not acknowledged");
      }
      state_ = SlaveState::kDiagUntilReady;
      diag_polls_ = 0;
      return;
    case SlaveState::kDiagUntilReady:
    case SlaveState::kCycleDiag: {
      auto diag = is_data(kind) ? decode_diag(reply.data) : Result<SlaveDiag>(Error{});
      if (!diag) return restart("undecodable diagnosis");
      return on_diag(diag.value());
    }
    case SlaveState::kGetCfg: {
      const std::vector<std::uint8_t> reported =
          is_data(kind) ? reply.data : std::vector<std::uint8_t>{};
      if (!reported_cfg_fault_ || *reported_cfg_fault_ != reported) {
        reported_cfg_fault_ = reported;
        events_.push_back({"cfg_fault", "{\"address\":" + std::to_string(setup_.address) +
                                            ",\"expected\":\"" + hex_bytes(setup_.cfg) +
                                            "\",\"reported\":\"" + hex_bytes(reported) + "\"}"});
      }
      return restart("cfg fault: expected " + hex_bytes(setup_.cfg) + ", the slave reports " +
                     hex_bytes(reported));
    }
    case SlaveState::kDataExchange:
      if (kind == ReplyKind::kShortAck || kind == ReplyKind::kNoData) {
        if (setup_.input_bytes != 0) return restart("data exchange reply without inputs");
        fresh_inputs_ = true;
        inputs_.clear();
        return;
      }
      if (reply.data.size() != setup_.input_bytes) {
        return restart("input image of " + std::to_string(reply.data.size()) +
                       " bytes where the configuration has " + std::to_string(setup_.input_bytes));
      }
      inputs_ = reply.data;
      fresh_inputs_ = true;
      if (kind == ReplyKind::kDataDiag) state_ = SlaveState::kCycleDiag;
      return;
  }
}

std::vector<SlaveEvent> SlaveLink::take_events() {
  std::vector<SlaveEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace meterd::profibus
