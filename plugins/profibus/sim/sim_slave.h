// SPDX-License-Identifier: Apache-2.0
// One simulated DP-V0 slave, pure: a request telegram in, the reply telegram (or none) out.
// It keeps the slave's side of the standard: WAIT_PRM -> WAIT_CFG -> DATA_EXCHANGE, checks
// the ident number and the configuration, runs its watchdog on the time it is given, repeats
// its last reply on a repeated FCB, and serves an input image that a MeterModel fills. Faults
// can be switched on to test masters: silence, a lost parameterization (Prm_Req), a
// configuration the slave reports differently, an extended diagnosis. No I/O; one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "profibus/codec/config_data.h"
#include "profibus/codec/diagnosis.h"
#include "profibus/codec/telegram.h"

namespace meterd::profibus {

struct SimSlaveSpec {
  std::uint8_t address = 0;
  std::uint16_t ident = 0;
  std::vector<std::uint8_t> cfg;   // what the slave is (Get_Cfg answers this)
  std::size_t user_prm_bytes = 0;  // the user parameter data length it accepts
};

struct SimFaults {
  bool silent = false;
  // Answer every diagnosis with ext diag (a device related block of these bytes).
  std::vector<std::uint8_t> extended_diag;
};

class SimSlave {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kWaitPrm, kWaitCfg, kDataExchange };

  explicit SimSlave(SimSlaveSpec spec);

  // The reply to `request` at time `now`, or nothing (not for us, a broadcast, silent).
  // Global_Control to the broadcast address is applied (CLEAR zeroes the outputs).
  std::optional<Telegram> handle(const Telegram& request, Clock::time_point now);

  // Back to power-on: parameters lost, outputs cleared; the next diagnosis says Prm_Req.
  void restart();
  // Called when a Data_Exchange brought new outputs, before the reply is built: the device
  // acts on them (a relay opens) and its inputs show it in the same reply.
  void on_outputs(std::function<void()> hook) { output_hook_ = std::move(hook); }
  SimFaults& faults() { return faults_; }
  State state() const { return state_; }
  const SimSlaveSpec& spec() const { return spec_; }
  std::vector<std::uint8_t>& inputs() { return inputs_; }
  const std::vector<std::uint8_t>& outputs() const { return outputs_; }
  std::uint8_t locked_master() const { return master_; }
  // FREEZE in force: Data_Exchange answers `frozen_inputs()` until UNFREEZE.
  bool frozen() const { return freeze_; }
  const std::vector<std::uint8_t>& frozen_inputs() const { return frozen_inputs_; }
  // Data exchanges answered so far.
  std::uint64_t exchanges() const { return exchanges_; }

 private:
  std::optional<Telegram> answer(const Telegram& request, Clock::time_point now);
  Telegram diag_reply(const Telegram& request) const;
  Telegram data_reply(const Telegram& request, std::uint8_t fc_code,
                      std::vector<std::uint8_t> data) const;
  void check_watchdog(Clock::time_point now);

  SimSlaveSpec spec_;
  SimFaults faults_;
  State state_ = State::kWaitPrm;
  std::uint8_t stat1_ = stat1::kNotReady;
  bool prm_request_ = true;
  std::uint8_t master_ = kNoMaster;
  std::optional<std::chrono::milliseconds> watchdog_;
  Clock::time_point last_seen_{};
  bool freeze_ = false;
  std::vector<std::uint8_t> frozen_inputs_;
  std::vector<std::uint8_t> inputs_;
  std::vector<std::uint8_t> outputs_;
  std::optional<std::uint8_t> last_fcb_;  // nullopt: accept any (power-on)
  std::optional<Telegram> last_reply_;
  std::uint64_t exchanges_ = 0;
  std::function<void()> output_hook_;
};

}  // namespace meterd::profibus
