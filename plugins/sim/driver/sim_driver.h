// SPDX-License-Identifier: Apache-2.0
// The `sim` driver: one bus of simulated meters answering in-process. Each read advances the
// meter model to the clock's now and returns the group's points; faults for tests come from
// the meter's `fail` setting or from control files (docs/sim.md). The meters' registers and
// relays are kept in a state file (state_file.h) so a daemon restart finds them as a real
// meter would. Used by the bus thread only; all state lives in the instance.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "sim/driver/sim_settings.h"
#include "sim/sim/sim_meter.h"

namespace meterd::sim {

class SimDriver final : public MeterDriver {
 public:
  // `state_path`: the bus's state file; empty: none is read or written.
  SimDriver(SimSettings settings, std::vector<PollGroupSpec> groups, const Clock& clock,
            std::string state_path);

  Status open() override;
  Result<MeterReading> read(std::size_t meter, std::size_t group) override;
  Result<MeterReading> act(std::size_t meter, const Action& action) override;
  void close() override;
  std::vector<DriverEvent> take_events() override;

 private:
  bool control_file(const std::string& file) const;
  // The simulated failure of this exchange, if any (after sleeping the meter's timeout).
  std::optional<Error> fault(std::size_t meter, bool is_read);
  void advance(std::size_t meter);
  MeterReading read_back(std::size_t meter, const std::vector<std::string>& points);
  Result<MeterReading> perform(std::size_t meter, const Action& action);
  // The state file, read once at the first open() (not at construction: a reload builds the
  // new driver before the old one has saved). A bad file is an event and a fresh start.
  void load_state();
  void save_state();
  void save_state_if_due();
  void state_problem(const std::string& type, const std::string& message);

  SimBusConfig bus_;
  std::vector<SimMeterConfig> config_;
  std::vector<PollGroupSpec> groups_;
  const Clock& clock_;
  std::string state_path_;
  bool state_loaded_ = false;
  bool save_failing_ = false;  // one event per run of failed saves
  WallTime started_;           // when this bus's simulated world began
  WallTime last_saved_;
  std::vector<SimMeter> meters_;
  std::vector<std::uint64_t> reads_;  // per meter, for flaky meters
  std::vector<DriverEvent> events_;
};

}  // namespace meterd::sim
