// SPDX-License-Identifier: Apache-2.0
// The class-1 master's view of one DP slave, as a pure state machine: it says which request
// to send next and takes what came back (a telegram, or silence after the transport's
// retries). Power-on to data exchange: FDL status probe -> Slave_Diag -> Set_Prm -> Chk_Cfg
// -> Slave_Diag until ready -> Data_Exchange. A diagnosis with Prm_Req, a cfg or prm fault,
// a refused request or silence sends the slave back to the probe. On a cfg fault the master
// asks Get_Cfg so the event can name the configuration the slave reports. FCB/FCV follow the
// standard: the first SRD after a (re)start carries FCB 1 FCV 0, every SRD answered toggles
// FCB with FCV 1, a repeated request keeps its bits. No I/O, no clock; one owner thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "profibus/codec/config_data.h"
#include "profibus/codec/diagnosis.h"
#include "profibus/codec/telegram.h"

namespace meterd::profibus {

struct SlaveSetup {
  std::uint8_t address = 0;
  PrmData prm;                    // ident, watchdog, group, user data
  std::vector<std::uint8_t> cfg;  // Chk_Cfg identifier bytes
  std::size_t input_bytes = 0;
  std::size_t output_bytes = 0;
  // Slave_Diag polls after Chk_Cfg before the start-up is given up and begun again.
  int max_diag_polls = 20;
};

enum class SlaveState {
  kProbe,      // FDL status until the station answers as a slave
  kFirstDiag,  // Slave_Diag before parameterization
  kSetPrm,
  kChkCfg,
  kDiagUntilReady,
  kGetCfg,  // after a cfg fault: what the slave says it is
  kDataExchange,
  kCycleDiag,  // a data reply with DH: read the diagnosis, then back to data exchange
};
const char* to_string(SlaveState state);

// Something the master saw that becomes a DriverEvent: slave_ready, slave_lost, cfg_fault,
// diag. `details_json` is a JSON object.
struct SlaveEvent {
  std::string type;
  std::string details_json;
};

class SlaveLink {
 public:
  SlaveLink(std::uint8_t master, SlaveSetup setup);

  // The request for the current state; Data_Exchange carries `outputs` (output_bytes long).
  Telegram next_request(std::span<const std::uint8_t> outputs) const;
  // Whether the current request expects a reply at all (every DP-V0 request here does).
  void on_reply(const Telegram& reply);
  // No usable reply after the transport's retries; `why` goes into the event.
  void on_silence(const std::string& why);

  SlaveState state() const { return state_; }
  bool in_data_exchange() const { return state_ == SlaveState::kDataExchange; }
  // True right after a Data_Exchange reply delivered a complete input image.
  bool has_fresh_inputs() const { return fresh_inputs_; }
  const std::vector<std::uint8_t>& inputs() const { return inputs_; }
  const SlaveSetup& setup() const { return setup_; }
  // The last problem that held the start-up back (for a read's error message).
  const std::string& last_problem() const { return last_problem_; }
  std::vector<SlaveEvent> take_events();

 private:
  void restart(const std::string& why);
  void advance_frame_bits();
  void on_diag(const SlaveDiag& diag);
  void report_diag(const SlaveDiag& diag);

  std::uint8_t master_;
  SlaveSetup setup_;
  SlaveState state_ = SlaveState::kProbe;
  std::uint8_t frame_bits_ = fc::kFcb;  // FCB 1, FCV 0: the first SRD
  int diag_polls_ = 0;
  bool was_ready_ = false;
  bool fresh_inputs_ = false;
  std::vector<std::uint8_t> inputs_;
  std::optional<std::vector<std::uint8_t>> reported_cfg_fault_;  // one event per fault
  std::optional<SlaveDiag> reported_diag_;                       // one event per change
  std::string last_problem_;
  std::vector<SlaveEvent> events_;
};

}  // namespace meterd::profibus
