// SPDX-License-Identifier: Apache-2.0
#include "profibus/sim/sim_slave.h"

#include <algorithm>

#include "profibus/codec/requests.h"

namespace meterd::profibus {

SimSlave::SimSlave(SimSlaveSpec spec) : spec_(std::move(spec)) {
  auto modules = decode_cfg(spec_.cfg);
  const IoSizes sizes = modules ? io_sizes(modules.value()) : IoSizes{};
  inputs_.assign(sizes.inputs, 0);
  outputs_.assign(sizes.outputs, 0);
}

void SimSlave::restart() {
  state_ = State::kWaitPrm;
  stat1_ = stat1::kNotReady;
  prm_request_ = true;
  master_ = kNoMaster;
  watchdog_.reset();
  freeze_ = false;
  std::fill(outputs_.begin(), outputs_.end(), 0);
  last_fcb_.reset();
  last_reply_.reset();
}

void SimSlave::check_watchdog(Clock::time_point now) {
  if (watchdog_ && state_ != State::kWaitPrm && now - last_seen_ > *watchdog_) {
    // The watchdog expired: fail-safe outputs and a fresh start, as the standard has it.
    restart();
  }
}

Telegram SimSlave::data_reply(const Telegram& request, std::uint8_t fc_code,
                              std::vector<std::uint8_t> data) const {
  Telegram t;
  t.da = request.sa;
  t.sa = spec_.address;
  t.fc = fc_code;
  if (request.ssap) t.dsap = request.ssap;
  if (request.dsap) t.ssap = request.dsap;
  t.data = std::move(data);
  return t;
}

Telegram SimSlave::diag_reply(const Telegram& request) const {
  SlaveDiag d;
  d.stat1 = stat1_;
  d.stat2 = static_cast<std::uint8_t>(stat2::kAlwaysOne | (prm_request_ ? stat2::kPrmRequest : 0) |
                                      (watchdog_ ? stat2::kWatchdogOn : 0) |
                                      (freeze_ ? stat2::kFreezeMode : 0));
  d.master = master_;
  d.ident = spec_.ident;
  if (!faults_.extended_diag.empty()) {
    d.stat1 |= stat1::kExtDiag;
    d.device.push_back(faults_.extended_diag);
  }
  return data_reply(request, fc::kDataLow, encode_diag(d));
}

std::optional<Telegram> SimSlave::handle(const Telegram& request, Clock::time_point now) {
  if (request.kind != Telegram::Kind::kData || !fc::is_request(request.fc)) return std::nullopt;
  check_watchdog(now);
  if (request.da == kBroadcast) {
    if (request.dsap == sap::kGlobalControl && request.data.size() == 2 &&
        state_ == State::kDataExchange) {
      const std::uint8_t command = request.data[0];
      if (command & control::kClearData) std::fill(outputs_.begin(), outputs_.end(), 0);
      if (command & control::kFreeze) {
        freeze_ = true;
        frozen_inputs_ = inputs_;
      }
      if (command & control::kUnfreeze) freeze_ = false;
    }
    return std::nullopt;
  }
  if (request.da != spec_.address || faults_.silent) return std::nullopt;
  const std::uint8_t function = fc::function(request.fc);
  if (function == fc::kFdlStatus) {
    return data_reply(request, fc::kOk, {});
  }
  if (function != fc::kSrdHigh && function != fc::kSrdLow) return std::nullopt;
  // FCV 1 with the FCB of the previous request: the master lost our reply; repeat it.
  const bool fcv = (request.fc & fc::kFcv) != 0;
  const std::uint8_t fcb = request.fc & fc::kFcb;
  if (fcv && last_fcb_ && *last_fcb_ == fcb && last_reply_) return last_reply_;
  auto reply = answer(request, now);
  if (reply) {
    last_fcb_ = fcb;
    last_reply_ = reply;
  }
  return reply;
}

std::optional<Telegram> SimSlave::answer(const Telegram& request, Clock::time_point now) {
  if (!request.dsap) {  // Data_Exchange
    if (state_ != State::kDataExchange || request.sa != master_) {
      return data_reply(request, fc::kSapNotActive, {});
    }
    if (request.data.size() == outputs_.size() && request.data != outputs_) {
      outputs_ = request.data;
      if (output_hook_) output_hook_();
    }
    last_seen_ = now;
    ++exchanges_;
    const bool pending = !faults_.extended_diag.empty();
    return data_reply(request, pending ? fc::kDataHigh : fc::kDataLow,
                      freeze_ ? frozen_inputs_ : inputs_);
  }
  if (request.ssap != sap::kMaster) return data_reply(request, fc::kSapNotActive, {});
  switch (*request.dsap) {
    case sap::kSlaveDiag:
      return diag_reply(request);
    case sap::kGetCfg:
      return data_reply(request, fc::kDataLow, spec_.cfg);
    case sap::kSetPrm: {
      if (state_ == State::kDataExchange && request.sa != master_) {
        return data_reply(request, fc::kSapNotActive, {});
      }
      auto prm = decode_prm(request.data);
      if (!prm || prm.value().ident != spec_.ident ||
          prm.value().user.size() != spec_.user_prm_bytes) {
        stat1_ = stat1::kPrmFault | stat1::kNotReady;
        prm_request_ = true;
        state_ = State::kWaitPrm;
        return Telegram::short_ack();
      }
      const PrmData& p = prm.value();
      master_ = request.sa;
      if (p.station_status & station_status::kWatchdogOn) {
        watchdog_ = std::chrono::milliseconds(10 * p.wd_fact_1 * p.wd_fact_2);
      } else {
        watchdog_.reset();
      }
      last_seen_ = now;
      prm_request_ = false;
      stat1_ = stat1::kNotReady;
      state_ = State::kWaitCfg;
      return Telegram::short_ack();
    }
    case sap::kChkCfg:
      if (state_ == State::kWaitPrm) return Telegram::short_ack();
      last_seen_ = now;
      if (request.data != spec_.cfg) {
        stat1_ = stat1::kCfgFault | stat1::kNotReady;
        state_ = State::kWaitPrm;
        prm_request_ = false;
        return Telegram::short_ack();
      }
      stat1_ = 0;
      state_ = State::kDataExchange;
      return Telegram::short_ack();
    default:
      return data_reply(request, fc::kSapNotActive, {});
  }
}

}  // namespace meterd::profibus
